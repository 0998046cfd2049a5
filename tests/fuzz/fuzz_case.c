/*
** fuzz_case.c -- libFuzzer target: any bytes as a JSON case for a playbook
** with a fact of every type, then a decision and its JSON.
*/
#include "leeway.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char playbook[] =
    "playbook: fuzz\nversion: \"1\"\ncurrency: EUR\nlocale: en\n"
    "facts:\n"
    "  n: { type: number, min: 0, max: 100 }\n"
    "  m: { type: money }\n"
    "  s: { type: string, max_length: 10 }\n"
    "  e: { type: enum, values: [a, b, \"Ä\"] }\n"
    "  b: { type: bool, default: false }\n"
    "  d: { type: duration }\n"
    "  t: { type: date }\n"
    "  l: { type: list }\n"
    "  x.y.z: { type: number }\n"
    "  staff.role: { type: role }\n"
    "roles:\n  - { id: r1, goodwill_limit: 10 EUR }\n  - { id: r2, goodwill_limit: 100 EUR, "
    "may_override: all }\n"
    "policies:\n"
    "  - id: p\n    applies: n > 3 or e == a or contains(s, \"x\") or len(s) > 2\n"
    "    outcome: deny\n    reason: \"{s} {m} {d} {t}\"\n"
    "    exceptions:\n      - { id: q, when: \"m > 10 EUR and d < 2h\", discretionary: true }\n"
    "goodwill:\n  - { id: g, amount: \"m * n / 7\" }\n  - { id: r, round: 1 EUR }\n"
    "outputs:\n  o: { value: \"if(b, x.y.z, n) + 1\" }\n  k: { value: \"\\\"x\\\" in l\" }\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static lw_playbook *pb;
    if (!pb) {
        lw_report *r = NULL;
        if (lw_playbook_load_string("fuzz.yaml", playbook, strlen(playbook), NULL, &pb, &r) !=
            LW_OK) {
            char msg[512];
            lw_diag_format(lw_report_get(r, 0), msg, sizeof msg);
            fprintf(stderr, "fuzz_case: the playbook does not compile: %s\n", msg);
            __builtin_trap();
        }
        lw_report_free(r);
    }
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(pb);
    const char *msg;
    lw_case_read_json(c, "case.json", (const char *)data, size, &msg);
    const lw_decision *d;
    if (lw_decide(e, pb, c, NULL, &d) == LW_OK)
        lw_decision_json(e, d, 0, NULL);
    lw_case_json(c);
    lw_case_free(c);
    lw_engine_free(e);
    return 0;
}
