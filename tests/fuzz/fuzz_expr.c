/*
** fuzz_expr.c -- libFuzzer target: any bytes as one expression, placed as an
** output's value in a playbook with facts of several types, compiled and
** evaluated against a populated case.
*/
#include "leeway.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char head[] =
    "playbook: fuzz\nversion: \"1\"\ncurrency: EUR\n"
    "facts:\n  n: { type: number }\n  m: { type: money }\n  s: { type: string }\n"
    "  e: { type: enum, values: [a, b] }\n  b: { type: bool }\n  d: { type: duration }\n"
    "  t: { type: date }\n  u: { type: number }\n"
    "outputs:\n  o: { value: \"";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    size_t cap = sizeof head + size * 4 + 16, k = 0;
    char *text = malloc(cap);
    if (!text)
        return 0;
    memcpy(text, head, sizeof head - 1);
    k = sizeof head - 1;
    for (size_t i = 0; i < size; i++) {
        unsigned char ch = data[i];
        if (ch == '"' || ch == '\\')
            text[k++] = '\\', text[k++] = (char)ch;
        else if (ch < 0x20 || ch == 0x7f)
            k += (size_t)snprintf(text + k, cap - k, "\\x%02x", ch);
        else
            text[k++] = (char)ch;
    }
    memcpy(text + k, "\" }\n", 4);
    k += 4;
    lw_playbook *pb = NULL;
    lw_playbook_load_string("fuzz.yaml", text, k, NULL, &pb, NULL);
    free(text);
    if (!pb)
        return 0;
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(pb);
    lw_case_set_text(c, "n", "3.5");
    lw_case_set_text(c, "m", "12.34 EUR");
    lw_case_set_text(c, "s", "Äiti");
    lw_case_set_text(c, "e", "b");
    lw_case_set_text(c, "b", "true");
    lw_case_set_text(c, "d", "90min");
    lw_case_set_text(c, "t", "2026-11-23");
    const lw_decision *d;
    if (lw_decide(e, pb, c, NULL, &d) == LW_OK)
        lw_decision_json(e, d, 0, NULL);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return 0;
}
