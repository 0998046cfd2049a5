#!/usr/bin/env python3
"""Check that the docs say what the code does.

    python3 docs/check.py [--leeway build/debug/leeway]
                          [--lib build/debug/libleeway.a] [--update]

Run from anywhere; paths are relative to the repository root.

1. `leeway check` passes without warnings on every complete playbook under
   docs/examples/ (a .yaml file with a top-level `version:`; *.test.yaml
   files and imported fragments are not playbooks on their own). A playbook
   that keeps a mistake on purpose, to show it, says why in a line
   `# leeway check warns: REASON`; it must then give a warning.
2. `leeway test docs/examples` passes.
3. The C programs in docs/examples/embed/ compile (without warnings) against
   the static library, if it has been built.
4. Every ```yaml, ```json, ```lua and ```c block in docs/*.md appears, line
   for line, in a file under docs/examples/, docs/broken/ or rules/ (or, for
   C, in engine/include/leeway.h): a snippet cannot drift from a file that is
   compiled and tested.
5. Every ```console block in docs/*.md and README.md is run: lines starting with "$ " are
   commands (run by bash, in one shell per block, in a scratch folder where
   docs/, engine/, build/, examples/, rules/ and lua/ point into the repository, with `leeway` meaning
   the binary given); the other lines are the expected output (stdout and
   stderr together). ```text blocks are not checked (timings, for example).
   With --update, the expected output in the .md files is replaced by the
   actual output instead of being compared.
6. Every citation "playbook-format.md §N" (also "§N-§M", "§N, §M", "§6.3")
   anywhere in the tree names a section that docs/playbook-format.md has, and
   nothing cites the format contract's own file, which a clone does not hold.

Last line: N passed, N failed. Exit status 0 iff nothing failed.
"""
import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")

passed = 0
failed = 0


def ok(what):
    global passed
    passed += 1


def fail(what, detail=""):
    global failed
    failed += 1
    print("FAIL  " + what)
    if detail:
        for line in detail.rstrip("\n").split("\n"):
            print("      " + line)


def run(cmd, **kw):
    return subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def files_under(*dirs, exts=None):
    out = []
    for d in dirs:
        for base, _, names in os.walk(os.path.join(ROOT, d)):
            for n in sorted(names):
                if exts is None or any(n.endswith(e) for e in exts):
                    out.append(os.path.join(base, n))
    return sorted(out)


def rel(p):
    return os.path.relpath(p, ROOT)


def check_playbooks(leeway):
    for path in files_under("docs/examples", exts=[".yaml", ".yml"]):
        if path.endswith(".test.yaml"):
            continue
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if not re.search(r"^version:", text, re.M):
            continue
        warns = re.search(r"^# leeway check warns: ", text, re.M) is not None
        r = run([leeway, "check", rel(path)])
        if r.returncode == 0 and ("warning" in r.stdout) == warns:
            ok(path)
        else:
            fail("leeway check " + rel(path), r.stdout)
    r = run([leeway, "test", "docs/examples"])
    if r.returncode == 0:
        ok("leeway test docs/examples")
    else:
        fail("leeway test docs/examples", r.stdout)


def check_c(lib):
    if not os.path.exists(os.path.join(ROOT, lib)):
        print("note: %s not built; the C examples were not compiled" % lib)
        return
    flags = subprocess.run(
        ["pkg-config", "--cflags", "--libs", "lua5.4", "yaml-0.1", "libutf8proc", "libcjson"],
        stdout=subprocess.PIPE, text=True).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        for src in files_under("docs/examples/embed", exts=[".c"]):
            out = os.path.join(tmp, os.path.basename(src)[:-2])
            r = run(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-pthread",
                     "-I", "engine/include", rel(src), lib] + flags + ["-lm", "-o", out])
            if r.returncode == 0:
                ok(src)
            else:
                fail("compile " + rel(src), r.stdout)


FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def norm(text):
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n"))


def check_snippets(md, text):
    sources = {}
    for p in files_under("docs/examples", "docs/broken", "rules"):
        try:
            with open(p, encoding="utf-8") as f:
                sources[p] = norm(f.read())
        except UnicodeDecodeError:
            pass
    with open(os.path.join(ROOT, "engine/include/leeway.h"), encoding="utf-8") as f:
        header = norm(f.read())
    for m in FENCE.finditer(text):
        lang, body = m.group(1), m.group(2)
        if lang not in ("yaml", "json", "lua", "c"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        want = norm(body)
        pool = list(sources.values()) + ([header] if lang == "c" else [])
        # whole lines only: the snippet must start and end at line boundaries
        if any(("\n" + want + "\n") in ("\n" + s + "\n") for s in pool):
            ok("%s:%d" % (md, line))
        else:
            fail("%s:%d: this ```%s block is not in any file under docs/examples, docs/broken, rules%s"
                 % (rel(md), line, lang, " or leeway.h" if lang == "c" else ""),
                 body[:400])


def run_console(body, leeway, scratch):
    """Run the commands of a console block; return (commands, outputs)."""
    cmds, script = [], ["exec 2>&1", "leeway() { %s \"$@\"; }" % shlex.quote(leeway)]
    lines = body.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("$ "):
            cmd = lines[i][2:]
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd += "\n" + lines[i]
            cmds.append(cmd)
            script.append("printf '\\n@@@CMD@@@\\n'")
            script.append(cmd)
        i += 1
    r = subprocess.run(["bash", "-c", "\n".join(script)], cwd=scratch, stdout=subprocess.PIPE,
                       text=True, env=dict(os.environ, NO_COLOR="1"))
    parts = r.stdout.split("\n@@@CMD@@@\n")[1:]
    return cmds, parts


def render_console(cmds, outs):
    text = []
    for c, o in zip(cmds, outs):
        text.append("$ " + c)
        if o.strip("\n"):
            text.append(o.rstrip("\n"))
    return "\n".join(text) + "\n"


def check_console(md, text, leeway, update):
    scratch = tempfile.mkdtemp(prefix="leeway-docs-")
    for d in ("docs", "engine", "build", "examples", "rules", "lua"):
        if os.path.exists(os.path.join(ROOT, d)):
            os.symlink(os.path.join(ROOT, d), os.path.join(scratch, d))
    new, last = [], 0
    for m in FENCE.finditer(text):
        if m.group(1) != "console":
            continue
        body = m.group(2)
        line = text.count("\n", 0, m.start()) + 1
        cmds, outs = run_console(body, leeway, scratch)
        actual = render_console(cmds, outs)
        if update:
            new.append(text[last:m.start(2)])
            new.append(actual)
            last = m.end(2)
            ok("%s:%d" % (md, line))
        elif norm(actual) == norm(body):
            ok("%s:%d" % (md, line))
        else:
            import difflib
            diff = "\n".join(difflib.unified_diff(norm(body).split("\n"),
                                                  norm(actual).split("\n"),
                                                  "in the doc", "actual", lineterm="", n=1))
            fail("%s:%d: the output differs" % (rel(md), line), diff)
    subprocess.run(["rm", "-rf", scratch])
    if update and new:
        new.append(text[last:])
        with open(md, "w", encoding="utf-8") as f:
            f.write("".join(new))


FORMAT = os.path.join(DOCS, "playbook-format.md")
SECTION = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.M)
# "playbook-format.md §5", "playbook-format.md (§1-§7, §9)", "[...](...) §11";
# a citation may continue on the next line after a comment marker.
GAP = r"(?:[\s()\[\]]|\*\*|--|//|#)*"
REF = r"§\d+(?:\.\d+)?(?:\s*[-–]\s*§\d+(?:\.\d+)?)?"
CITATION = re.compile(r"playbook-format\.md\)?" + GAP + "(" + REF + r"(?:,\s*" + REF + ")*)")
CONTRACT = re.compile(r"(?<![\w/.-])PLAYBOOK[.]md\b")


def cited_sections(refs):
    """The section numbers a citation's text names: "§4-§7, §11" gives 4, 5, 6, 7, 11."""
    out = []
    for part in re.split(r",\s*", refs):
        ends = re.findall(r"§(\d+(?:\.\d+)?)", part)
        if len(ends) == 2 and "." not in ends[0] + ends[1]:
            out += [str(n) for n in range(int(ends[0]), int(ends[1]) + 1)]
        else:
            out += ends
    return out


def check_citations():
    with open(FORMAT, encoding="utf-8") as f:
        sections = set(SECTION.findall(f.read()))
    for base, dirs, names in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "build"))
        for n in sorted(names):
            path = os.path.join(base, n)
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, OSError):
                continue
            for m in CONTRACT.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                fail("%s:%d: cites the format contract's file, which is not in the project; "
                     "cite docs/playbook-format.md and its section instead" % (rel(path), line))
            for m in CITATION.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                where = "%s:%d" % (rel(path), line)
                bad = [s for s in cited_sections(m.group(1)) if s not in sections]
                if bad:
                    fail("%s: cites docs/playbook-format.md §%s, which has no such section"
                         % (where, ", §".join(bad)))
                else:
                    ok(where)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--leeway", default="build/debug/leeway")
    ap.add_argument("--lib", default="build/debug/libleeway.a")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    leeway = os.path.join(ROOT, a.leeway)
    if not os.path.exists(leeway):
        print("no %s: build it first (see docs/embedding.md)" % a.leeway)
        print("0 passed, 1 failed")
        return 1
    check_citations()
    check_playbooks(leeway)
    check_c(a.lib)
    for md in sorted(files_under("docs", exts=[".md"])):
        if os.path.dirname(md) != DOCS:
            continue
        with open(md, encoding="utf-8") as f:
            text = f.read()
        check_snippets(md, text)
        check_console(md, text, leeway, a.update)
    # the README's console blocks are run too (its YAML is abridged: not checked)
    readme = os.path.join(ROOT, "README.md")
    with open(readme, encoding="utf-8") as f:
        check_console(readme, f.read(), leeway, a.update)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
