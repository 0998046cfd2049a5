/*
** lint.c -- warnings for a playbook that compiles but probably does not say
** what its author meant (PLAYBOOK.md §5): exceptions that can never fire,
** discretionary exceptions nobody may apply, policies that differ by channel
** without saying why.
*/
#include "internal.h"

#include <string.h>

static bool always_true(const expr *e)
{
    return e && e->op == X_CONST && e->k.t == V_BOOL && e->k.u.b;
}

static bool always_false(const expr *e)
{
    return e && e->op == X_CONST && e->k.t == V_BOOL && !e->k.u.b;
}

/* Two conditions are the same if they are the same tree: enough to find the
** copy-paste duplicates that make a later exception dead. */
static bool same_expr(const expr *a, const expr *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->op != b->op || a->n != b->n || a->slot != b->slot)
        return false;
    if (a->op == X_CONST && !val_equal(&a->k, &b->k) && a->k.t != V_MISSING)
        return false;
    if (a->op == X_IN_SET && a->k.u.i != b->k.u.i)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!same_expr(a->args[i], b->args[i]))
            return false;
    return true;
}

static void lint_exceptions(const lw_playbook *pb, const policy *p, lw_report *r)
{
    for (size_t i = 0; i < p->n_exc; i++) {
        const exception_rule *x = &p->exc[i];
        if (always_false(x->when))
            report_add(r, LW_WARNING, x->at, x->id,
                       "the exception '%s' can never fire: its condition is always false",
                       x->id);
        for (size_t j = 0; j < i; j++) {
            const exception_rule *e = &p->exc[j];
            bool windows_same = memcmp(&e->eff, &x->eff, sizeof e->eff) == 0 ||
                                (!e->eff.has_from && !e->eff.has_until);
            if (windows_same && (always_true(e->when) || same_expr(e->when, x->when))) {
                report_add(r, LW_WARNING, x->at, x->id,
                           "the exception '%s' can never fire: the earlier exception '%s' "
                           "(line %d) always fires first when this one would; reorder or "
                           "merge them",
                           x->id, e->id, e->at.line);
                break;
            }
        }
        if (x->discretionary && p->overriders < 0)
            report_add(r, LW_WARNING, x->at, x->id,
                       "the exception '%s' is discretionary but no role may override the "
                       "policy '%s'; add it to a role's may_override",
                       x->id, p->id);
    }
}

/* The same policy id is one rule; two policies with the same title on
** different channels are "the same policy meaning different things". */
static void lint_channels(const lw_playbook *pb, lw_report *r)
{
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *a = &pb->policies[i];
        if (!a->title || !a->channels)
            continue;
        for (size_t j = i + 1; j < pb->n_policies; j++) {
            const policy *b = &pb->policies[j];
            if (!b->title || strcmp(a->title, b->title) != 0 || b->channels == a->channels)
                continue;
            if (a->outcome == b->outcome && a->n_exc == b->n_exc)
                continue;
            if (a->channel_specific && b->channel_specific)
                continue;
            report_add(r, LW_WARNING, b->at, b->id,
                       "the policy '%s' (\"%s\") says something different on other channels "
                       "than '%s' (line %d); if that is intended, say why with "
                       "channel_specific: \"reason\" on both",
                       b->id, b->title, a->id, a->at.line);
        }
    }
}

void lint_playbook(const lw_playbook *pb, lw_report *r)
{
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        if (always_false(p->applies))
            report_add(r, LW_WARNING, p->at, p->id,
                       "the policy '%s' never applies: its applies: is always false", p->id);
        lint_exceptions(pb, p, r);
    }
    lint_channels(pb, r);
}
