/*
** analyze.c -- lw_playbook_analyze, the analysis behind `leeway check`
** (issue 10): conditions turned into unions of boxes over the facts'
** declared domains, and the counterexamples its warnings give. The findings
** themselves are in analyze_table.c (decision tables), analyze_rules.c
** (policies, exceptions, conditions) and analyze_versions.c (versions of a
** policy by effective window).
*/
#include "analyze.h"

#include <string.h>

/* ======================================================================
** Conditions as unions of boxes
*/
static bool has_lua(const expr *e)
{
    if (!e)
        return false;
    if (e->op == X_LUA || e->op == X_LUAFN)
        return true;
    for (size_t i = 0; i < e->n; i++)
        if (has_lua(e->args[i]))
            return true;
    return false;
}

/* A part the analysis cannot see. */
static bool opaque(analysis *an, const expr *e, approx how, boxes *out)
{
    an->sp.opaque = true;
    an->sp.opaque_lua |= has_lua(e);
    box all = box_all();
    return how == UNDER || boxes_add(&an->sp, out, &all);
}

/* The set of a fact atom (x OP k, x in [..], x in a..b, a bool fact), or
** false when it is not one the analysis can see. */
static bool atom_set(analysis *an, const expr *e, bool neg, size_t *dim, dset *out)
{
    space *sp = &an->sp;
    const expr *x = e->n ? e->args[0] : e;
    int op = e->op;
    if (op >= X_EQ && op <= X_GE && x->op == X_CONST && e->args[1]->op == X_FACT) {
        x = e->args[1];
        op = xop_mirror(op);
    }
    if (x->op != X_FACT || space_dim(sp, (size_t)x->slot)->kind == DK_OPAQUE)
        return false;
    *dim = (size_t)x->slot;
    const dset *all = &space_dim(sp, *dim)->all;
    dset s;
    switch (e->op) {
    case X_FACT: {
        val t = {.t = V_BOOL, .u.b = !neg};
        return e->type == T_BOOL && dset_point(sp, *dim, &t, out);
    }
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE: {
        const expr *k = e->args[0] == x ? e->args[1] : e->args[0];
        return k->op == X_CONST && dset_compare(sp, *dim, neg ? xop_negate(op) : op, &k->k, out);
    }
    case X_IN_SET:
        memset(&s, 0, sizeof s);
        for (size_t i = 1; i < e->n; i++) {
            dset one;
            if (!dset_point(sp, *dim, &e->args[i]->k, &one) || !dset_join(sp, *dim, &s, &one, &s))
                return false;
        }
        break;
    case X_IN_RANGE:
        if (e->args[1]->op != X_CONST || e->args[2]->op != X_CONST ||
            !dset_range(sp, *dim, &e->args[1]->k, &e->args[2]->k, &s))
            return false;
        break;
    default:
        return false;
    }
    return neg ? dset_minus(sp, *dim, all, &s, out) : dset_meet(sp, *dim, all, &s, out);
}

static bool cond_rec(analysis *an, const expr *e, bool neg, approx how, boxes *out)
{
    space *sp = &an->sp;
    *out = (boxes){0, 0, NULL};
    if (!e || (e->op == X_CONST && e->k.t == V_BOOL)) {
        box all = box_all();
        return ((e ? e->k.u.b : true) == neg) || boxes_add(sp, out, &all);
    }
    if (e->op == X_NOT)
        return cond_rec(an, e->args[0], !neg, how, out);
    if (e->op == X_AND || e->op == X_OR) {
        bool product = (e->op == X_AND) != neg;
        if (!cond_rec(an, e->args[0], neg, how, out))
            return false;
        for (size_t i = 1; i < e->n; i++) {
            boxes next, both;
            if (!cond_rec(an, e->args[i], neg, how, &next))
                return false;
            if (product) {
                if (!boxes_meet(sp, out, &next, &both))
                    return false;
                *out = both;
            } else {
                for (size_t k = 0; k < next.n; k++)
                    if (!boxes_add(sp, out, &next.b[k]))
                        return false;
            }
        }
        return true;
    }
    size_t dim;
    dset s;
    /* the negation is pushed down to here: an unseen part, negated or not,
    ** may be true anywhere and is surely true nowhere */
    if (!atom_set(an, e, neg, &dim, &s))
        return !sp->gave_up && opaque(an, e, how, out);
    if (how == UNDER && an->known && dim < an->pb->n_facts && !an->known[dim])
        return true; /* the fact may be missing: the test is surely true nowhere */
    box b;
    if (box_single(sp, dim, &s, &b))
        return boxes_add(sp, out, &b);
    return !sp->gave_up;
}

bool cond_boxes(analysis *an, const expr *e, approx how, boxes *out)
{
    return cond_rec(an, e, false, how, out) && !an->sp.gave_up;
}

void facts_needed(analysis *an, const expr *e, bool want, uint8_t *known)
{
    size_t nf = an->pb->n_facts;
    if (!e)
        return;
    switch (e->op) {
    case X_NOT:
        facts_needed(an, e->args[0], !want, known);
        return;
    case X_AND:
    case X_OR: {
        if ((e->op == X_AND) == want) { /* every part must hold: each needs its facts */
            for (size_t i = 0; i < e->n; i++)
                facts_needed(an, e->args[i], want, known);
            return;
        }
        /* one part is enough: only what every part needs */
        uint8_t *each = arena_alloc(&an->work, nf + 1), *all = arena_alloc(&an->work, nf + 1);
        if (!each || !all)
            return; /* nothing more is known: fewer claims */
        memset(all, 1, nf);
        for (size_t i = 0; i < e->n; i++) {
            memset(each, 0, nf);
            facts_needed(an, e->args[i], want, each);
            for (size_t f = 0; f < nf; f++)
                all[f] &= each[f];
        }
        for (size_t f = 0; f < nf; f++)
            known[f] |= all[f];
        return;
    }
    case X_FACT:
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE:
    case X_IN_SET: case X_IN_RANGE: {
        const expr *x = e->n ? e->args[0] : e;
        if (e->n == 2 && x->op == X_CONST)
            x = e->args[1];
        if (x->op == X_FACT && (size_t)x->slot < nf)
            known[x->slot] = 1;
        return;
    }
    default:
        return; /* anything else: nothing is surely needed */
    }
}

box window_box(analysis *an, const window *w)
{
    box b = box_all();
    int f = an->pb->f_date;
    if (f < 0 || (!w->has_from && !w->has_until))
        return b;
    dset s;
    val lo = {.t = V_DATE, .u.i = w->from}, hi = {.t = V_DATE, .u.i = w->until};
    dset from, until;
    if (w->has_from && !dset_compare(&an->sp, (size_t)f, X_GE, &lo, &from))
        return b;
    if (w->has_until && !dset_compare(&an->sp, (size_t)f, X_LT, &hi, &until))
        return b;
    const dset *all = &space_dim(&an->sp, (size_t)f)->all;
    if (!dset_meet(&an->sp, (size_t)f, w->has_from ? &from : all, w->has_until ? &until : all,
                   &s))
        return b;
    box_single(&an->sp, (size_t)f, &s, &b);
    return b;
}

box channels_box(analysis *an, uint64_t channels)
{
    box b = box_all();
    int f = an->pb->f_channel;
    if (f < 0 || !channels || space_dim(&an->sp, (size_t)f)->kind != DK_MASK)
        return b;
    dset s = {.mask = channels};
    box_single(&an->sp, (size_t)f, &s, &b);
    return b;
}

/* ======================================================================
** Findings and their counterexamples
*/
void finding_start(analysis *an)
{
    an->n_dims = 0;
    an->sp.opaque = an->sp.opaque_lua = an->sp.gave_up = false;
}

void rule_start(analysis *an)
{
    arena_reset(&an->work);
    an->sp.steps = 0;
}

void finding_dim(analysis *an, size_t dim)
{
    size_t i = 0;
    while (i < an->n_dims && an->dims[i] < dim)
        i++;
    if ((i < an->n_dims && an->dims[i] == dim) || an->n_dims == EXAMPLE_DIMS)
        return;
    memmove(&an->dims[i + 1], &an->dims[i], (an->n_dims - i) * sizeof an->dims[0]);
    an->dims[i] = (uint32_t)dim;
    an->n_dims++;
}

void finding_expr(analysis *an, const expr *e)
{
    if (!e)
        return;
    if (e->op == X_FACT)
        finding_dim(an, (size_t)e->slot);
    for (size_t i = 0; i < e->n; i++)
        finding_expr(an, e->args[i]);
}

/* A --set argument the shell takes as one word. */
static void put_set(strbuf *b, const char *path, const char *value)
{
    bool plain = true;
    for (const char *p = value; *p; p++)
        plain &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || strchr("._-:+", *p) != NULL;
    if (b->len)
        buf_putc(b, ' ');
    if (plain) {
        buf_printf(b, "--set %s=%s", path, value);
        return;
    }
    buf_printf(b, "--set '%s=", path);
    for (const char *p = value; *p; p++)
        buf_puts(b, *p == '\'' ? "'\\''" : (char[]){*p, 0});
    buf_putc(b, '\'');
}

/* An input as written, on one line and at most 60 characters, quoted. */
static const char *short_text(analysis *an, const char *s)
{
    char out[80];
    size_t n = 0;
    for (; *s && n < 60; s++)
        if (!(*s == ' ' || *s == '\n') || (n && out[n - 1] != ' '))
            out[n++] = *s == '\n' ? ' ' : *s;
    while (n && out[n - 1] == ' ')
        n--;
    return arena_printf(&an->work, "'%.*s%s'", (int)n, out, *s ? "..." : "");
}

const char *finding_example(analysis *an, const box *b)
{
    space *sp = &an->sp;
    strbuf *t = &an->text;
    t->len = 0;
    if (t->p)
        t->p[0] = 0;
    size_t n_cols = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < an->n_dims; i++) {
            size_t dim = an->dims[i];
            const dim_info *d = space_dim(sp, dim);
            if (d->kind == DK_OPAQUE || (pass == 0) != (d->fact >= 0))
                continue;
            char v[256];
            if (!dset_pick(sp, dim, box_get(sp, b, dim), v, sizeof v))
                return NULL;
            if (d->fact >= 0)
                put_set(t, an->pb->facts[d->fact].path, v);
            else
                buf_printf(t, "%s%s is %s", n_cols++ ? " and " : t->len ? " when " : "when ",
                           short_text(an, d->text), v);
        }
    if (t->failed)
        return NULL;
    return t->len ? arena_strdup(&an->work, t->p) : "any case";
}

const char *outside_words(analysis *an, const char *verb, const char *ex)
{
    return ex ? arena_printf(&an->work,
                             ": only values the facts may not take would %s it, for example %s "
                             "(leeway decide refuses that case and says why)",
                             verb, ex)
              : "";
}

bool unbounded_begin(analysis *an, space *within)
{
    *within = an->sp;
    return space_unbounded(within, &an->sp);
}

void unbounded_end(analysis *an, space *within)
{
    within->steps = an->sp.steps;
    an->sp = *within;
}

const char *outside_example(analysis *an, const expr *e, bool want)
{
    space within;
    boxes b;
    const char *ex = NULL;
    if (unbounded_begin(an, &within) && cond_rec(an, e, !want, UNDER, &b) &&
        !an->sp.gave_up && b.n)
        ex = finding_example(an, &b.b[0]);
    unbounded_end(an, &within);
    return ex;
}

const char *opaque_note(const analysis *an)
{
    if (an->sp.opaque_lua)
        return " (a condition here is Lua, which the analysis cannot see: the example may "
               "need other values to reach this point)";
    if (an->sp.opaque)
        return " (a condition here computes values the analysis cannot follow: the example "
               "may need other values to reach this point)";
    return "";
}

void words_from_cell(analysis *an, size_t dim, const cell *c)
{
    if (c->kind == CELL_EQ && c->a.t == V_STR)
        space_add_word(&an->sp, dim, c->a.u.s, (size_t)c->a.idx);
    for (size_t i = 0; i < c->n_sub; i++)
        words_from_cell(an, dim, c->sub[i]);
}

void words_from_expr(analysis *an, const expr *e)
{
    if (!e)
        return;
    if (e->op == X_EQ || e->op == X_NE || e->op == X_IN_SET)
        for (size_t i = 0; i < e->n; i++) {
            const expr *x = e->args[i];
            if (x->op != X_FACT || x->type != T_STR)
                continue;
            for (size_t k = 0; k < e->n; k++)
                if (e->args[k]->op == X_CONST && e->args[k]->k.t == V_STR)
                    space_add_word(&an->sp, (size_t)x->slot, e->args[k]->k.u.s,
                                   (size_t)e->args[k]->k.idx);
        }
    for (size_t i = 0; i < e->n; i++)
        words_from_expr(an, e->args[i]);
}

/* ======================================================================
** The entry point
*/
/* The warnings from `from` on in the order of their files and lines (a
** stable insertion sort: warnings at one place keep their order). */
static void sort_findings(lw_report *r, size_t from)
{
    for (size_t i = from + 1; i < r->n; i++) {
        lw_diag d = r->items[i];
        size_t j = i;
        for (; j > from; j--) {
            const lw_diag *p = &r->items[j - 1];
            int c = strcmp(p->file, d.file);
            if (c < 0 || (c == 0 && (p->line < d.line ||
                                     (p->line == d.line && p->column <= d.column))))
                break;
            r->items[j] = *p;
        }
        r->items[j] = d;
    }
}

int lw_playbook_analyze(const lw_playbook *pb, lw_report *r)
{
    if (!pb || !r)
        return LW_ERR_ARG;
    analysis an;
    memset(&an, 0, sizeof an);
    an.pb = pb;
    an.r = r;
    arena_init(&an.work, &pb->mem);
    arena_init(&an.rule, &pb->mem);
    arena_init(&an.keep, &pb->mem);
    buf_init(&an.text, &pb->mem);
    int rc = LW_OK;
    size_t before = r->n;
    if (space_init(&an.sp, pb, &an.work, &an.keep)) {
        analyze_rules(&an);
        analyze_versions(&an);
    }
    sort_findings(r, before);
    if (an.work.failed || an.rule.failed || an.keep.failed || an.text.failed || r->nomem)
        rc = LW_ERR_NOMEM;
    buf_free(&an.text);
    arena_free(&an.work);
    arena_free(&an.rule);
    arena_free(&an.keep);
    return rc;
}
