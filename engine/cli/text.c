/*
** text.c -- a decision as a summary a person reads (`--format text`):
** outcome first, then each policy, goodwill with its steps and authority,
** promises, outputs, and the questions still to ask.
*/
#include "cli.h"

#include <string.h>

typedef struct style {
    const char *bold, *red, *green, *yellow, *dim, *off;
} style;

static const char *outcome_color(const style *s, const char *o)
{
    if (strcmp(o, "allow") == 0)
        return s->green;
    if (strcmp(o, "escalate") == 0)
        return s->yellow;
    return s->red;
}

static void upper(char *dst, const char *src, size_t n)
{
    size_t i = 0;
    for (; src[i] && i + 1 < n; i++)
        dst[i] = (src[i] >= 'a' && src[i] <= 'z') ? (char)(src[i] - 32) : src[i];
    dst[i] = 0;
}

void print_decision_text(FILE *out, const lw_decision *d, bool color)
{
    style s = {"", "", "", "", "", ""};
    if (color)
        s = (style){"\033[1m", "\033[31m", "\033[32m", "\033[33m", "\033[2m", "\033[0m"};
    char word[64], a[64], b[64];
    upper(word, d->outcome, sizeof word);
    fprintf(out, "%s%s%s%s   %s(%s %s)%s\n", s.bold, outcome_color(&s, d->outcome), word, s.off,
            s.dim, d->playbook ? d->playbook : "", d->version ? d->version : "", s.off);
    if (d->n_problems) {
        fprintf(out, "\nThe case is invalid:\n");
        for (size_t i = 0; i < d->n_problems; i++)
            fprintf(out, "  - %s\n", d->problems[i]);
        return;
    }
    if (d->n_policies) {
        fprintf(out, "\n%sPolicies%s\n", s.bold, s.off);
        for (size_t i = 0; i < d->n_policies; i++) {
            const lw_policy_result *p = &d->policies[i];
            fprintf(out, "  %s: %s%s%s", p->id, outcome_color(&s, p->outcome), p->outcome, s.off);
            if (p->exception)
                fprintf(out, " by exception %s%s", p->exception,
                        p->discretionary ? " (staff discretion)" : "");
            fputc('\n', out);
            if (p->needs_role)
                fprintf(out, "    needs approval from: %s\n", p->needs_role);
            else if (p->escalate_to)
                fprintf(out, "    escalate to: %s\n", p->escalate_to);
            if (p->n_requires) {
                fprintf(out, "    requires:");
                for (size_t k = 0; k < p->n_requires; k++)
                    fprintf(out, "%s %s", k ? "," : "", p->requires[k]);
                fputc('\n', out);
            }
            if (p->reason)
                fprintf(out, "    why: %s\n", p->reason);
            if (p->say)
                fprintf(out, "    %s: \"%s\"\n",
                        p->needs_role ? "once approved, tell the customer" : "tell the customer",
                        p->say);
        }
    } else {
        fprintf(out, "\nNo policy applies: the default is allow.\n");
    }
    const lw_goodwill_result *g = &d->goodwill;
    if (g->n_steps || g->amount.minor) {
        lw_money_format(g->amount, 1, a, sizeof a);
        fprintf(out, "\n%sGoodwill%s %s", s.bold, s.off, a);
        if (g->within_authority) {
            fprintf(out, " - %swithin your authority%s", s.green, s.off);
            if (g->limit.currency) {
                lw_money_format(g->limit, 1, b, sizeof b);
                fprintf(out, " (limit %s)", b);
            }
        } else if (g->needs_role) {
            fprintf(out, " - %sneeds approval from %s%s", s.yellow, g->needs_role, s.off);
        } else {
            fprintf(out, " - %sneeds approval%s", s.yellow, s.off);
        }
        fputc('\n', out);
        for (size_t i = 0; i < g->n_steps; i++) {
            lw_money_format(g->steps[i].amount, 1, a, sizeof a);
            fprintf(out, "  %-24s %14s", g->steps[i].id, a);
            if (g->steps[i].row_id)
                fprintf(out, "  %s(row %s)%s", s.dim, g->steps[i].row_id, s.off);
            else if (g->steps[i].row)
                fprintf(out, "  %s(row %d)%s", s.dim, g->steps[i].row, s.off);
            fputc('\n', out);
        }
        for (size_t i = 0; i < g->n_capped; i++) {
            lw_money_format(g->capped_by[i].by, 1, a, sizeof a);
            fprintf(out, "  capped by %s: -%s\n", g->capped_by[i].id, a);
        }
    }
    if (d->n_promises) {
        fprintf(out, "\n%sPromises%s\n", s.bold, s.off);
        for (size_t i = 0; i < d->n_promises; i++)
            fprintf(out, "  %s%s%s%s: %s\n", d->promises[i].id, d->promises[i].due ? " (" : "",
                    d->promises[i].due ? d->promises[i].due : "", d->promises[i].due ? ")" : "",
                    d->promises[i].text ? d->promises[i].text : "");
    }
    if (d->n_outputs) {
        fprintf(out, "\n%sOutputs%s\n", s.bold, s.off);
        for (size_t i = 0; i < d->n_outputs; i++) {
            char v[512];
            lw_value_format(&d->outputs[i].value, v, sizeof v);
            fprintf(out, "  %s = %s\n", d->outputs[i].name, v);
        }
    }
    if (d->n_missing) {
        fprintf(out, "\n%sStill to ask%s\n", s.bold, s.off);
        for (size_t i = 0; i < d->n_missing; i++)
            fprintf(out, "  - %s\n", d->missing[i]);
    }
    if (d->n_errors) {
        fprintf(out, "\n%s%sErrors%s\n", s.bold, s.red, s.off);
        for (size_t i = 0; i < d->n_errors; i++)
            fprintf(out, "  %s:%d:%d: %s [rule %s]\n", d->errors[i].file, d->errors[i].line,
                    d->errors[i].column, d->errors[i].message,
                    d->errors[i].rule ? d->errors[i].rule : "-");
    }
}
