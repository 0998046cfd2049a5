#!/usr/bin/env python3
"""The replay benchmark: `leeway replay` on the benchmark decision.

    python3 tests/bench/replay.py [--leeway build/release/leeway] [-n 1000000]

Generates N cases of the shared benchmark (gen_cases.py, seed 20261123; kept
in build/bench/), then times, each best of --runs:

  replay -j 1 and -j 2     read, decide and write every line (-o /dev/null)
  replay --against -j 2    decide every line with two playbooks and compare

and prints wall time, CPU time (user + system) and peak RSS of each run. The
targets (DESIGN.md, issue 8): 1,000,000 lines in <= 1.0 s with -j 2,
--against in <= 2.0 s, peak RSS <= 64 MiB. Figures, not assertions: the
machine may be busy.
"""
import argparse
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(cmd):
    """Wall seconds, CPU seconds and peak RSS (KiB) of one run of cmd."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode()
    p.stderr.close()
    if status != 0:
        sys.exit("failed (%d): %s\n%s" % (status, " ".join(cmd), err))
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leeway", default=os.path.join(ROOT, "build/release/leeway"))
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    cases = os.path.join(ROOT, "build/bench/cases-%d.jsonl" % a.n)
    if not os.path.exists(cases):
        os.makedirs(os.path.dirname(cases), exist_ok=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests/bench/gen_cases.py"),
                        "-n", str(a.n), "-o", cases], check=True, stderr=subprocess.DEVNULL)
    pb = os.path.join(ROOT, "examples/bench/playbook.yaml")
    size = os.path.getsize(cases)
    print("replay: %d cases (%.0f MiB of JSON lines), %d cores, best of %d"
          % (a.n, size / 2**20, os.cpu_count(), a.runs))
    for label, extra in (("-j 1", ["-j", "1"]), ("-j 2", ["-j", "2"]),
                         ("--against, -j 2", ["-j", "2", "--against", pb])):
        best = None
        for _ in range(a.runs):
            r = run([a.leeway, "replay", pb, cases, "-o", "/dev/null"] + extra)
            if best is None or r[0] < best[0]:
                best = r
        wall, cpu, rss = best
        print("  %-16s %6.2f s wall  %6.2f s CPU  %5.0f ns CPU a line  %6.1f MiB peak RSS"
              % (label, wall, cpu, cpu * 1e9 / a.n, rss / 1024))


if __name__ == "__main__":
    main()
