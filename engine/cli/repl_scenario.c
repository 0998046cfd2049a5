/*
** repl_scenario.c -- checking decisions in `leeway repl`: `expect` (met, not
** met, or not checkable -- which counts as not met, and says why) and
** `scenario FILE`, a file of REPL commands played line by line, with a count
** of its expectations at the end.
*/
#include "repl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* "15 EUR", "15.00", "15" against an amount: equal in value? */
static bool same_money(const char *text, lw_money m)
{
    char *end;
    double v = strtod(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || (*end && (!m.currency || strcmp(end, m.currency) != 0)))
        return false;
    double scale = 1;
    for (int i = 0; i < m.digits; i++)
        scale *= 10;
    return (long long)(v * scale + (v < 0 ? -0.5 : 0.5)) == (long long)m.minor;
}

void repl_scenario(session *S, char *args)
{
    if (!*args) {
        repl_error(S, "scenario takes a file of REPL commands: scenario tests/repl/poa.scenario");
        return;
    }
    if (S->depth >= 8) {
        repl_error(S, "scenarios are nested too deeply");
        return;
    }
    struct stat st;
    if (stat(args, &st) == 0 && S_ISDIR(st.st_mode)) {
        repl_error(S, "%s is a directory; scenario takes a file of REPL commands", args);
        return;
    }
    FILE *f = fopen(args, "r");
    if (!f) {
        repl_error(S, "cannot open %s: %s", args, strerror(errno));
        return;
    }
    int p0 = S->expect_pass, f0 = S->expect_fail;
    S->depth++;
    char *line = NULL;
    size_t cap = 0, len;
    int lineno = 0;
    while (!repl_interrupted && !repl_quit_requested && repl_read_line(f, &line, &cap, &len)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        while (*s == ' ')
            s++;
        if (!*s || *s == '#')
            continue;
        if (len > REPL_MAX_LINE) {
            repl_echo_start(S, s);
            repl_error(S, "%s:%d: %s", args, lineno, repl_too_long(len));
            continue;
        }
        printf("%s> %s%s\n", repl_color(S, DIM), s, repl_color(S, OFF));
        repl_run_line(S, s);
    }
    free(line);
    fclose(f);
    S->depth--;
    int p = S->expect_pass - p0, fl = S->expect_fail - f0;
    if (p || fl)
        printf("scenario %s: %d expectation%s met, %d not met\n", args, p, p == 1 ? "" : "s", fl);
}

/* An expectation: met, not met, or one the REPL cannot check -- which counts
** as not met, so a scenario with a mistyped `expect` line does not pass. */
static void expect_met(session *S, const char *what, const char *value)
{
    S->expect_pass++;
    printf("%smet:%s %s %s\n", repl_color(S, GREEN), repl_color(S, OFF), what, value);
}

static void expect_not_met(session *S, const char *what, const char *value, const char *actual)
{
    S->expect_fail++;
    printf("%sNOT MET:%s %s: expected %s, got %s\n", repl_color(S, RED), repl_color(S, OFF), what, value, actual);
}

static void expect_unchecked(session *S, const char *fmt, ...) LW_PRINTF_CLI(2, 3);
static void expect_unchecked(session *S, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    S->expect_fail++;
    printf("%sNOT MET (cannot check):%s ", repl_color(S, RED), repl_color(S, OFF));
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static const char *const expect_words[] = {"outcome", "policy", "missing", "goodwill"};
static size_t n_expect_words(void) { return sizeof expect_words / sizeof expect_words[0]; }
static const char *expect_word_at(size_t i) { return expect_words[i]; }

#define EXPECT_FORMS "outcome WORD | policy ID OUTCOME | missing PATH | goodwill AMOUNT"

/* expect outcome WORD | expect missing PATH | expect policy ID OUTCOME |
** expect goodwill AMOUNT */
void repl_expect(session *S, char *args)
{
    if (!S->pb) {
        expect_unchecked(S, "no playbook is loaded; use `load PLAYBOOK.yaml` first");
        return;
    }
    char *what = repl_next_word(&args);
    if (!*what || !*args) {
        expect_unchecked(S, "expect takes what and a value: expect " EXPECT_FORMS);
        return;
    }
    bool known = false;
    for (size_t i = 0; i < n_expect_words(); i++)
        known |= strcmp(what, expect_words[i]) == 0;
    if (!known) {
        const char *best = repl_nearest(what, n_expect_words, expect_word_at);
        expect_unchecked(S, "the REPL cannot check '%s'%s%s%s; expect takes " EXPECT_FORMS, what,
                         best ? " (did you mean " : "", best ? best : "", best ? "?)" : "");
        return;
    }
    if (strcmp(what, "missing") == 0 && lw_fact_index(S->pb, args) < 0) {
        expect_unchecked(S, "'%s' is not a fact of this playbook; `facts` lists them", args);
        return;
    }
    const lw_decision *d = repl_decision(S, S->e, 0);
    if (!d) {
        expect_unchecked(S, "the decision failed");
        return;
    }
    bool ok = false;
    char actual[256] = "";
    if (strcmp(what, "outcome") == 0) {
        ok = strcmp(d->outcome, args) == 0;
        snprintf(actual, sizeof actual, "%s", d->outcome);
    } else if (strcmp(what, "missing") == 0) {
        for (size_t i = 0; i < d->n_missing; i++)
            ok |= strcmp(d->missing[i], args) == 0;
        snprintf(actual, sizeof actual, "%zu missing", d->n_missing);
    } else if (strcmp(what, "policy") == 0) {
        char *id = repl_next_word(&args);
        if (!*args) {
            expect_unchecked(S, "expect policy takes a policy and an outcome: expect policy %s "
                                "deny",
                             id);
            return;
        }
        snprintf(actual, sizeof actual, "not in force");
        for (size_t i = 0; i < d->n_policies; i++)
            if (strcmp(d->policies[i].id, id) == 0) {
                ok = strcmp(d->policies[i].outcome, args) == 0;
                snprintf(actual, sizeof actual, "%s", d->policies[i].outcome);
            }
        /* say which policy: "policy ID OUTCOME" (repl_next_word() left a NUL after ID) */
        id[strlen(id)] = ' ';
        args = id;
    } else {
        lw_money_format(d->goodwill.amount, 1, actual, sizeof actual);
        char *end;
        strtod(args, &end);
        if (end == args) {
            expect_unchecked(S, "'%s' is not an amount; write it like 15.00 EUR", args);
            return;
        }
        ok = same_money(args, d->goodwill.amount);
    }
    if (ok)
        expect_met(S, what, args);
    else
        expect_not_met(S, what, args, actual);
}
