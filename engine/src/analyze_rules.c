/*
** analyze_rules.c -- policies and conditions in `leeway check`'s analysis:
** exceptions that can never fire (an earlier exception of the policy always
** wins, or their condition contradicts the policy's applies), conditions
** (an exception's too) that are always true or always false over the facts'
** declared values; and every decision table, through analyze_table. (Versions of a policy by
** effective window are analyze_versions.c's.)
*/
#include "analyze.h"

#include <string.h>

/* The loader's lint's warning that the exception at `at` never fires
** because an earlier one is the same or true (lint.c: its words, without a
** case), or NULL. */
static lw_diag *lint_never_fires(const analysis *an, pos at, const char *rule)
{
    for (size_t i = 0; i < an->r->n; i++) {
        lw_diag *d = &an->r->items[i];
        if (d->line == at.line && d->column == at.col && d->rule && rule &&
            strcmp(d->rule, rule) == 0 &&
            strstr(d->message, "always fires first when this one would"))
            return d;
    }
    return NULL;
}

/* A finding. The lint's warning that an exception never fires is said
** again here with a case: it is replaced rather than repeated. */
static void warn(analysis *an, pos at, const char *rule, const char *fmt, ...) LW_PRINTF(4, 5);
static void warn(analysis *an, pos at, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lw_diag *said = lint_never_fires(an, at, rule);
    const char *m = said ? arena_vprintf(&an->r->a, fmt, ap) : NULL;
    if (m)
        said->message = m;
    else if (!said)
        report_vadd(an->r, LW_WARNING, at, rule, fmt, ap);
    va_end(ap);
}

static bool is_constant(const expr *e)
{
    return !e || e->op == X_CONST;
}

/* Does every fact e reads have a default? (Else e is unknown, and asks for
** the fact, when it is not given.) */
static bool defaults_only(const lw_playbook *pb, const expr *e)
{
    if (e->op == X_FACT && !pb->facts[e->slot].has_default)
        return false;
    for (size_t i = 0; i < e->n; i++)
        if (!defaults_only(pb, e->args[i]))
            return false;
    return true;
}

/* For a condition always true (meet false) or always false within the
** facts' declared values: a case outside them that would change it. */
static const char *outside_note(analysis *an, const expr *e, bool meet)
{
    const char *ex = outside_example(an, e, meet);
    if (ex)
        return outside_words(an, meet ? "meet" : "fail", ex);
    /* no value of their types would: say which facts it is about */
    strbuf b;
    buf_init(&b, &an->pb->mem);
    size_t n = 0;
    for (size_t i = 0; i < an->n_dims; i++) {
        const dim_info *d = space_dim(&an->sp, an->dims[i]);
        if (d->fact < 0)
            continue;
        if (n < 4)
            buf_printf(&b, "%s%s", n ? ", " : "", an->pb->facts[d->fact].path);
        n++;
    }
    const char *facts = b.p ? arena_strdup(&an->work, b.p) : NULL;
    buf_free(&b);
    if (!facts)
        return "";
    return arena_printf(&an->work, ": it %s whatever %s %s%s %s", meet ? "fails" : "holds",
                        n == 1 ? "value" : "values", facts, n > 4 ? " ..." : "",
                        n == 1 ? "has" : "have");
}

/* A condition (applies:, when:) that no case can make false, or true. */
static void check_condition(analysis *an, const expr *e, pos at, const char *rule,
                            const char *what, bool always_false_too)
{
    if (is_constant(e))
        return; /* written as true or false: meant */
    finding_start(an);
    finding_expr(an, e);
    boxes over, under;
    box all = box_all();
    if (!cond_boxes(an, e, OVER, &over))
        return;
    if (over.n == 0) {
        if (!always_false_too)
            return;
        warn(an, at, rule,
             "%s of '%s' is always false for the values the facts may take (their declared "
             "values, min and max), so it never holds%s; correct or remove it",
             what, rule, outside_note(an, e, true));
        return;
    }
    if (!defaults_only(an->pb, e))
        return; /* it also makes a decision ask for the facts it reads */
    if (cond_boxes(an, e, UNDER, &under) && boxes_cover(&an->sp, &all, &under, NULL))
        warn(an, at, rule,
             "%s of '%s' is always true for the values the facts may take (their declared "
             "values, min and max)%s; if that is meant, write true",
             what, rule, outside_note(an, e, false));
}

/* Every case where the policy is in force (over), as boxes. */
static bool policy_boxes(analysis *an, const policy *p, approx how, boxes *out)
{
    boxes fixed = {0, 0, NULL}, win = {0, 0, NULL}, cond;
    box w = window_box(an, &p->eff), ch = channels_box(an, p->channels);
    return cond_boxes(an, p->applies, how, &cond) && boxes_add(&an->sp, &fixed, &w) &&
           boxes_add(&an->sp, &win, &ch) && boxes_meet(&an->sp, &fixed, &win, &fixed) &&
           boxes_meet(&an->sp, &cond, &fixed, out);
}

static bool exception_boxes(analysis *an, const exception_rule *x, approx how, boxes *out)
{
    boxes win = {0, 0, NULL}, cond;
    box w = window_box(an, &x->eff);
    return cond_boxes(an, x->when, how, &cond) && boxes_add(&an->sp, &win, &w) &&
           boxes_meet(&an->sp, &cond, &win, out);
}

static void finding_window(analysis *an, const window *w)
{
    if ((w->has_from || w->has_until) && an->pb->f_date >= 0)
        finding_dim(an, (size_t)an->pb->f_date);
}

/* The inputs the choice of x in p depends on. */
static void exception_dims(analysis *an, const policy *p, size_t upto)
{
    finding_start(an);
    finding_expr(an, p->applies);
    finding_window(an, &p->eff);
    if (p->channels && an->pb->f_channel >= 0)
        finding_dim(an, (size_t)an->pb->f_channel);
    for (size_t k = 0; k <= upto; k++) {
        finding_expr(an, p->exc[k].when);
        finding_window(an, &p->exc[k].eff);
    }
}

/* The cases where each exception of p surely holds, kept in an->rule while
** the policy is analysed: the later exceptions are compared with them all.
** Worked out with the facts known whenever the policy applies; an exception
** that reads a fact only a later one needs is worked out again for it. */
typedef struct sure_exc {
    boxes b;
    bool ok;                 /* worked out (not past a limit) */
} sure_exc;

static void sure_boxes(analysis *an, const exception_rule *x, const uint8_t *known,
                       sure_exc *out)
{
    an->known = known;
    an->sp.gave_up = false;
    out->ok = exception_boxes(an, x, UNDER, &out->b);
    an->known = NULL;
}

/* Does e read a fact known to x (in kx) but not to the whole policy (k0)? */
static bool reads_newly_known(const expr *e, const uint8_t *k0, const uint8_t *kx)
{
    if (!e)
        return false;
    if (e->op == X_FACT && !k0[e->slot] && kx[e->slot])
        return true;
    for (size_t i = 0; i < e->n; i++)
        if (reads_newly_known(e->args[i], k0, kx))
            return true;
    return false;
}

/* The first exception before x that surely holds somewhere in *b: the one
** that fires there. *b becomes the part of it where that one surely holds,
** so that every case picked from it shows that exception firing. */
static const exception_rule *first_winner(analysis *an, const policy *p, const sure_exc *sure,
                                          size_t x, const box **b)
{
    boxes one = {0, 0, NULL};
    if (!boxes_add(&an->sp, &one, *b))
        return NULL;
    for (size_t k = 0; k < x; k++) {
        boxes m;
        if (sure[k].ok && boxes_meet(&an->sp, &sure[k].b, &one, &m) && m.n) {
            *b = &m.b[0];
            return &p->exc[k];
        }
    }
    return NULL;
}

static void analyze_exceptions(analysis *an, const policy *p)
{
    space *sp = &an->sp;
    const lw_playbook *pb = an->pb;
    size_t nf = pb->n_facts ? pb->n_facts : 1;
    if (p->n_exc == 0)
        return;
    arena_reset(&an->rule);
    sure_exc *kept = arena_alloc(&an->rule, (p->n_exc + 1) * sizeof *kept);
    uint8_t *k0 = arena_alloc(&an->rule, nf);
    if (!kept || !k0)
        return;
    for (size_t f = 0; f < pb->n_facts; f++)
        k0[f] = pb->facts[f].has_default || (int)f == pb->f_date;
    facts_needed(an, p->applies, true, k0);
    if (p->channels && pb->f_channel >= 0)
        k0[pb->f_channel] = 1;
    for (size_t k = 0; k < p->n_exc && an->sp.steps < STEPS_MAX; k++) {
        const exception_rule *x = &p->exc[k];
        arena_reset(&an->work);
        sp->a = &an->rule;
        sure_boxes(an, x, k0, &kept[k]);
        sp->a = &an->work;
        exception_dims(an, p, k);
        boxes in_force, when, live;
        if (!policy_boxes(an, p, OVER, &in_force) || !exception_boxes(an, x, OVER, &when) ||
            !boxes_meet(sp, &in_force, &when, &live))
            continue;
        if (live.n == 0) {
            if (is_constant(x->when))
                continue; /* the loader's lint speaks of a constant condition */
            if (when.n == 0) {
                finding_start(an);
                finding_expr(an, x->when);
                warn(an, x->at, x->id,
                     "the exception '%s' can never fire: its condition is always false for the "
                     "values the facts may take (their declared values, min and max)%s",
                     x->id, outside_note(an, x->when, true));
            } else {
                /* a case that meets the applies: too, when the window or
                ** the channels are what keep the policy out */
                boxes cond, both;
                const box *at = &when.b[0];
                if (cond_boxes(an, p->applies, OVER, &cond) &&
                    boxes_meet(sp, &cond, &when, &both) && both.n)
                    at = &both.b[0];
                const char *ex = finding_example(an, at);
                bool dated = p->eff.has_from || p->eff.has_until || x->eff.has_from ||
                              x->eff.has_until;
                const char *what = dated && p->channels ? "applies, effective windows or channels"
                                   : dated             ? "applies or effective windows"
                                   : p->channels       ? "applies or channels"
                                                       : "applies";
                warn(an, x->at, x->id,
                     "the exception '%s' can never fire: whenever its condition holds, the "
                     "policy '%s' does not apply (for example %s%s meets the exception's "
                     "condition but not the policy's %s); correct one of the two",
                     x->id, p->id, ex ? ex : "", opaque_note(an), what);
            }
            continue;
        }
        /* the facts given whenever x fires */
        uint8_t *kx = arena_alloc(&an->work, nf);
        sure_exc *sure = arena_alloc(&an->work, (k + 1) * sizeof *sure);
        if (!kx || !sure)
            return;
        memcpy(kx, k0, nf);
        facts_needed(an, x->when, true, kx);
        /* dead when every live case is taken by an earlier exception: the
        ** earlier cases that meet a live one */
        boxes earlier = {0, 0, NULL};
        bool ok = true;
        for (size_t i = 0; ok && i < k; i++) {
            sure[i] = kept[i];
            if (reads_newly_known(p->exc[i].when, k0, kx))
                sure_boxes(an, &p->exc[i], kx, &sure[i]);
            if (!sure[i].ok)
                continue;
            boxes m;
            ok = boxes_meet(sp, &sure[i].b, &live, &m);
            for (size_t j = 0; ok && j < m.n; j++)
                ok = boxes_add(sp, &earlier, &m.b[j]);
        }
        bool covered = ok && earlier.n;
        for (size_t j = 0; covered && j < live.n; j++)
            covered = boxes_cover(sp, &live.b[j], &earlier, NULL);
        if (!covered || sp->gave_up)
            continue;
        /* show a case where x surely holds, when the analysis can see one */
        sure_exc x_sure;
        sure_boxes(an, x, NULL, &x_sure);
        boxes sure_in_force, shown;
        const box *at = &live.b[0];
        if (policy_boxes(an, p, UNDER, &sure_in_force) && x_sure.ok &&
            boxes_meet(sp, &sure_in_force, &x_sure.b, &shown) && shown.n)
            at = &shown.b[0];
        const exception_rule *w = first_winner(an, p, sure, k, &at);
        const char *ex = finding_example(an, at);
        warn(an, x->at, x->id,
             "the exception '%s' can never fire: whenever it would, an earlier exception of "
             "the policy '%s' fires first (exceptions are tried in order and the first that "
             "holds wins): for example %s%s gives '%s' (line %d); reorder or merge them",
             x->id, p->id, ex ? ex : "", opaque_note(an), w ? w->id : "?", w ? w->at.line : 0);
    }
}

static void words_from_table(analysis *an, const table *t)
{
    for (size_t i = 0; t && i < t->n_in; i++)
        if (t->in[i]->op == X_FACT && t->in[i]->type == T_STR)
            for (size_t r = 0; r < t->n_rows; r++)
                words_from_cell(an, (size_t)t->in[i]->slot, t->rows[r].cells[i]);
}

/* Every text word the playbook compares a text fact with, before any set is
** built: a text's "any other" value must not change under a finding. */
static void collect_words(analysis *an)
{
    const lw_playbook *pb = an->pb;
    for (size_t i = 0; i < pb->n_policies; i++) {
        words_from_expr(an, pb->policies[i].applies);
        for (size_t k = 0; k < pb->policies[i].n_exc; k++)
            words_from_expr(an, pb->policies[i].exc[k].when);
    }
    for (size_t i = 0; i < pb->n_steps; i++) {
        words_from_expr(an, pb->steps[i].when);
        words_from_table(an, pb->steps[i].tab);
    }
    for (size_t i = 0; i < pb->n_outputs; i++) {
        words_from_expr(an, pb->outputs[i].when);
        words_from_table(an, pb->outputs[i].tab);
    }
    for (size_t i = 0; i < pb->n_promises; i++)
        words_from_expr(an, pb->promises[i].when);
}

void analyze_rules(analysis *an)
{
    static const window always;
    const lw_playbook *pb = an->pb;
    collect_words(an);
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        rule_start(an);
        check_condition(an, p->applies, p->at, p->id, "the applies: condition", true);
        rule_start(an);
        analyze_exceptions(an, p);
        /* always true (always false was said by analyze_exceptions) */
        for (size_t k = 0; k < p->n_exc; k++) {
            rule_start(an);
            check_condition(an, p->exc[k].when, p->exc[k].at, p->exc[k].id,
                            "the when: condition of the exception", false);
        }
    }
    for (size_t i = 0; i < pb->n_steps; i++) {
        const step_rule *s = &pb->steps[i];
        rule_start(an);
        check_condition(an, s->when, s->at, s->id, "the when: condition of the goodwill step",
                        true);
        rule_start(an);
        if (s->tab)
            analyze_table(an, s->tab, s->id, s->when, &s->eff, true);
    }
    for (size_t i = 0; i < pb->n_outputs; i++) {
        const output_rule *o = &pb->outputs[i];
        if (o->col > 0)
            continue; /* a later result of a table with several: analysed with the first */
        const char *name = o->tab ? o->tab->rule : o->name;
        rule_start(an);
        check_condition(an, o->when, o->at, name, "the when: condition of the output", true);
        rule_start(an);
        if (o->tab)
            analyze_table(an, o->tab, name, o->when, &always, false);
    }
    for (size_t i = 0; i < pb->n_promises; i++) {
        const promise_rule *pr = &pb->promises[i];
        rule_start(an);
        check_condition(an, pr->when, pr->at, pr->id, "the when: condition of the promise",
                        true);
    }
}
