/*
** decision_diff.c -- what differs between two decisions of one case, for the
** REPL's `whatif`: the outcome, each policy (outcome, exception, who must
** approve, what to check, what to tell the customer), the goodwill amount
** and authority, each promise and output, the questions still to ask, and
** whether the case is valid. One line per part that changed.
*/
#include "cli.h"

#include <string.h>

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static const lw_policy_result *find_policy(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_policies; i++)
        if (strcmp(d->policies[i].id, id) == 0)
            return &d->policies[i];
    return NULL;
}

static const lw_promise_result *find_promise(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_promises; i++)
        if (strcmp(d->promises[i].id, id) == 0)
            return &d->promises[i];
    return NULL;
}

static const lw_output_result *find_output(const lw_decision *d, const char *name)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (strcmp(d->outputs[i].name, name) == 0)
            return &d->outputs[i];
    return NULL;
}

/* "escalate by x, needs senior" */
static void policy_state(FILE *out, const lw_policy_result *p)
{
    fputs(p->outcome, out);
    if (p->exception)
        fprintf(out, " by %s", p->exception);
    if (p->needs_role)
        fprintf(out, ", needs %s", p->needs_role);
}

static void requires_list(FILE *out, const lw_policy_result *p)
{
    for (size_t i = 0; i < p->n_requires; i++)
        fprintf(out, "%s%s", i ? ", " : "", p->requires[i]);
    if (!p->n_requires)
        fputs("nothing", out);
}

static bool same_requires(const lw_policy_result *p, const lw_policy_result *q)
{
    if (p->n_requires != q->n_requires)
        return false;
    for (size_t i = 0; i < p->n_requires; i++)
        if (strcmp(p->requires[i], q->requires[i]) != 0)
            return false;
    return true;
}

static int diff_policies(FILE *out, const lw_decision *a, const lw_decision *b)
{
    int n = 0;
    for (size_t i = 0; i < a->n_policies; i++) {
        const lw_policy_result *p = &a->policies[i], *q = find_policy(b, p->id);
        if (!q) {
            fprintf(out, "  policy %s no longer applies (was ", p->id);
            policy_state(out, p);
            fputs(")\n", out);
            n++;
            continue;
        }
        if (strcmp(p->outcome, q->outcome) != 0 || !same_str(p->exception, q->exception) ||
            !same_str(p->needs_role, q->needs_role)) {
            fprintf(out, "  policy %s: ", p->id);
            policy_state(out, p);
            fputs(" -> ", out);
            policy_state(out, q);
            fputc('\n', out);
            n++;
        }
        if (!same_requires(p, q)) {
            fprintf(out, "  policy %s requires: ", p->id);
            requires_list(out, p);
            fputs(" -> ", out);
            requires_list(out, q);
            fputc('\n', out);
            n++;
        }
        if (!same_str(p->say, q->say)) {
            fprintf(out, "  policy %s, tell the customer: ", p->id);
            fprintf(out, p->say ? "\"%s\" -> " : "%s(nothing) -> ", p->say ? p->say : "");
            fprintf(out, q->say ? "\"%s\"\n" : "%s(nothing)\n", q->say ? q->say : "");
            n++;
        }
    }
    for (size_t k = 0; k < b->n_policies; k++) {
        const lw_policy_result *q = &b->policies[k];
        if (find_policy(a, q->id))
            continue;
        fprintf(out, "  policy %s now applies: ", q->id);
        policy_state(out, q);
        fputc('\n', out);
        n++;
    }
    return n;
}

/* "30.00 EUR (needs approval from duty_manager)", "10.00 EUR (within
** authority)" when the authority changed, else "10.00 EUR" */
static void goodwill_state(FILE *out, const lw_goodwill_result *g, bool authority_changed)
{
    char amount[64];
    lw_money_format(g->amount, 1, amount, sizeof amount);
    fputs(amount, out);
    if (g->within_authority && authority_changed)
        fputs(" (within authority)", out);
    else if (!g->within_authority)
        fprintf(out, " (needs approval from %s)",
                g->needs_role ? g->needs_role : "a role above every limit");
}

static int diff_goodwill(FILE *out, const lw_goodwill_result *a, const lw_goodwill_result *b)
{
    bool authority_changed =
        a->within_authority != b->within_authority || !same_str(a->needs_role, b->needs_role);
    if (a->amount.minor == b->amount.minor && same_str(a->amount.currency, b->amount.currency) &&
        !authority_changed)
        return 0;
    fputs("  goodwill: ", out);
    goodwill_state(out, a, authority_changed);
    fputs(" -> ", out);
    goodwill_state(out, b, authority_changed);
    fputc('\n', out);
    return 1;
}

static int diff_promises(FILE *out, const lw_decision *a, const lw_decision *b)
{
    int n = 0;
    for (size_t i = 0; i < a->n_promises; i++) {
        const lw_promise_result *p = &a->promises[i], *q = find_promise(b, p->id);
        if (!q) {
            fprintf(out, "  promise %s is no longer made\n", p->id);
            n++;
        } else if (!same_str(p->text, q->text)) {
            fprintf(out, "  promise %s: \"%s\" -> \"%s\"\n", p->id, p->text, q->text);
            n++;
        }
        if (q && !same_str(p->due, q->due)) {
            fprintf(out, "  promise %s due: %s -> %s\n", p->id, p->due ? p->due : "(no time)",
                    q->due ? q->due : "(no time)");
            n++;
        }
    }
    for (size_t k = 0; k < b->n_promises; k++) {
        const lw_promise_result *q = &b->promises[k];
        if (find_promise(a, q->id))
            continue;
        fprintf(out, "  promise %s is now made%s%s: \"%s\"\n", q->id, q->due ? " within " : "",
                q->due ? q->due : "", q->text);
        n++;
    }
    return n;
}

static int diff_outputs(FILE *out, const lw_decision *a, const lw_decision *b)
{
    int n = 0;
    char x[512], y[512];
    for (size_t i = 0; i < b->n_outputs; i++) {
        const lw_output_result *q = &b->outputs[i], *p = find_output(a, q->name);
        if (p)
            lw_value_format(&p->value, x, sizeof x);
        else
            snprintf(x, sizeof x, "(none)");
        lw_value_format(&q->value, y, sizeof y);
        if (strcmp(x, y) != 0) {
            fprintf(out, "  output %s: %s -> %s\n", q->name, x, y);
            n++;
        }
    }
    return n;
}

static void missing_list(FILE *out, const lw_decision *d)
{
    for (size_t i = 0; i < d->n_missing; i++)
        fprintf(out, "%s%s", i ? ", " : " ", d->missing[i]);
    if (!d->n_missing)
        fputs(" nothing", out);
}

static int diff_missing(FILE *out, const lw_decision *a, const lw_decision *b)
{
    bool same = a->n_missing == b->n_missing;
    for (size_t i = 0; same && i < a->n_missing; i++)
        same = strcmp(a->missing[i], b->missing[i]) == 0;
    if (same)
        return 0;
    fputs("  still to ask:", out);
    missing_list(out, a);
    fputs(" ->", out);
    missing_list(out, b);
    fputc('\n', out);
    return 1;
}

void print_decision_diff(FILE *out, const lw_decision *a, const lw_decision *b, bool color)
{
    int n = 0;
    if ((a->n_problems == 0) != (b->n_problems == 0)) {
        fprintf(out, "  the case becomes %s\n", b->n_problems ? "invalid:" : "valid");
        for (size_t i = 0; i < b->n_problems; i++)
            fprintf(out, "    %s\n", b->problems[i]);
        n++;
    }
    if (strcmp(a->outcome, b->outcome) != 0) {
        fprintf(out, "  outcome: %s -> %s%s%s\n", a->outcome, color ? "\033[1m" : "", b->outcome,
                color ? "\033[0m" : "");
        n++;
    }
    n += diff_policies(out, a, b);
    n += diff_goodwill(out, &a->goodwill, &b->goodwill);
    n += diff_promises(out, a, b);
    n += diff_outputs(out, a, b);
    n += diff_missing(out, a, b);
    if (n == 0)
        fputs("  nothing changes\n", out);
}
