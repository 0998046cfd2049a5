/*
** output_order.c -- which outputs the goodwill pipeline needs
** (docs/playbook-format.md §6.4). Outputs are computed after policies and goodwill, in the order
** written, except those a goodwill step reads (and the outputs these read):
** they are computed before the pipeline. An output that needs the goodwill
** result -- it reads goodwill.amount, goodwill.within_authority or
** goodwill.needs_role, or an output that does -- cannot also feed a goodwill
** step: that cycle is a playbook error naming both rules.
*/
#include "internal.h"

typedef void (*ref_fn)(void *ud, const expr *e);

/* Call fn for every outputs.NAME and goodwill.PART that e reads. */
static void expr_refs(const expr *e, ref_fn fn, void *ud)
{
    if (!e)
        return;
    if (e->op == X_OUTPUT || e->op == X_GOODWILL)
        fn(ud, e);
    for (size_t i = 0; i < e->n; i++)
        expr_refs(e->args[i], fn, ud);
}

static void table_refs(const table *t, ref_fn fn, void *ud)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_in; i++)
        expr_refs(t->in[i], fn, ud);
    for (size_t r = 0; r < t->n_rows; r++)
        expr_refs(t->rows[r].out, fn, ud);
}

typedef struct walk {
    compiler *c;
    const char *why;         /* what makes the output need goodwill, as a chain of reads */
    const step_rule *step;   /* the step whose reads are checked */
    bool ok;
} walk;

static void note_goodwill(void *ud, const expr *e)
{
    walk *w = ud;
    const lw_playbook *pb = w->c->pb;
    if (w->why)
        return;
    if (e->op == X_GOODWILL)
        w->why = arena_printf(&w->c->tmp, "goodwill.%s", goodwill_parts[e->slot]);
    else if (pb->outputs[e->slot].needs_goodwill)
        w->why = arena_printf(&w->c->tmp, "outputs.%s, which reads %s",
                              pb->outputs[e->slot].name, pb->outputs[e->slot].needs_goodwill);
}

static void mark_early(void *ud, const expr *e)
{
    walk *w = ud;
    if (e->op == X_OUTPUT)
        w->c->pb->outputs[e->slot].early = true;
}

static void check_step_read(void *ud, const expr *e)
{
    walk *w = ud;
    const output_rule *o = &w->c->pb->outputs[e->slot];
    if (e->op != X_OUTPUT)
        return;
    if (o->needs_goodwill) {
        report_add(w->c->r, LW_ERROR, e->at, w->step->id,
                   "the goodwill step '%s' reads outputs.%s, which reads %s: the output needs "
                   "the goodwill result and the step is part of it; compute the output "
                   "without goodwill, or read it in a promise or a later output instead",
                   w->step->id, o->name, o->needs_goodwill);
        w->ok = false;
    } else {
        mark_early(ud, e);
    }
}

bool outputs_order(compiler *c)
{
    lw_playbook *pb = c->pb;
    walk w = {c, NULL, NULL, true};
    for (size_t i = 0; i < pb->n_outputs; i++) {
        output_rule *o = &pb->outputs[i];
        w.why = NULL;
        expr_refs(o->when, note_goodwill, &w);
        expr_refs(o->value, note_goodwill, &w);
        table_refs(o->tab, note_goodwill, &w);
        o->needs_goodwill = w.why;
    }
    for (size_t i = 0; i < pb->n_steps; i++) {
        w.step = &pb->steps[i];
        expr_refs(w.step->when, check_step_read, &w);
        expr_refs(w.step->arg, check_step_read, &w);
        table_refs(w.step->tab, check_step_read, &w);
    }
    /* what an early output reads is early too; outputs read only the ones above */
    for (size_t i = pb->n_outputs; i-- > 0;) {
        const output_rule *o = &pb->outputs[i];
        if (!o->early)
            continue;
        expr_refs(o->when, mark_early, &w);
        expr_refs(o->value, mark_early, &w);
        table_refs(o->tab, mark_early, &w);
    }
    return w.ok && !c->tmp.failed;
}
