#!/usr/bin/env python3
"""Map decisions of examples/bench/playbook.yaml, as `leeway replay -o` writes
them, to the reference's lines (reference.py; compared by check.py): the
goodwill, the acting role's limit, whether it escalates, and the rules that
decided (a table row by its id).

    replay_map.py DECISIONS.jsonl MAPPED.jsonl

Amounts are copied as written (exact decimals, never through a float).
"""
import json
import sys


def mapped(line):
    g = json.loads(line)["goodwill"]
    rules = [s.get("row_id") or s["id"] for s in g["steps"]]
    return '{"goodwill_eur": %s, "max_without_escalation_eur": %s, "escalate": %s, "rule_ids": %s}\n' % (
        g["amount"], g["limit"], json.dumps(not g["within_authority"]), json.dumps(rules))


def main():
    with open(sys.argv[1]) as src, open(sys.argv[2], "w") as out:
        for line in src:
            out.write(mapped(line))


if __name__ == "__main__":
    main()
