/*
** analyze_table.c -- decision tables in `leeway check`'s analysis: rows that
** overlap where the hit policy forbids it (unique; any with different
** results), rows that can never decide (first, priority), rows that match
** nothing, and gaps -- cases no row matches, in a table whose result has no
** default (an output; a goodwill step keeps the amount it had). Each row is one box over the
** table's inputs; a column whose input is not a fact takes the values its
** cells name as its domain.
*/
#include "analyze.h"

#include <string.h>

/* The set of values a cell accepts; false when it cannot be seen. */
static bool cell_set(analysis *an, size_t dim, const cell *c, dset *out)
{
    space *sp = &an->sp;
    const dim_info *d = space_dim(sp, dim);
    dset s;
    switch (c->kind) {
    case CELL_ANY:
        *out = d->all;
        return true;
    case CELL_MASK:
        memset(out, 0, sizeof *out);
        out->mask = c->mask & d->all.mask;
        return d->kind == DK_MASK;
    case CELL_EQ:
    case CELL_CMP:
        return dset_compare(sp, dim, c->op, &c->a, out);
    case CELL_RANGE:
        return dset_range(sp, dim, &c->a, &c->b, out);
    case CELL_OR:
        memset(out, 0, sizeof *out);
        if (d->kind == DK_ORD && !dset_range(sp, dim, &c->a, &c->a, out))
            return false; /* an empty set of the dim's kind to join into */
        for (size_t i = 0; i < c->n_sub; i++)
            if (!cell_set(an, dim, c->sub[i], &s) || !dset_join(sp, dim, out, &s, out))
                return false;
        return true;
    case CELL_NOT:
        return cell_set(an, dim, c->sub[0], &s) && dset_minus(sp, dim, &d->all, &s, out);
    }
    return false;
}

/* Every row's results are compared here, and only here. */
static bool same_result(const table *t, const table_row *a, const table_row *b)
{
    for (size_t i = 0; i < t->n_out; i++) {
        const expr *x = a->out[i], *y = b->out[i];
        bool same = x->op == X_CONST && y->op == X_CONST
                        ? val_equal(&x->k, &y->k) || (x->k.t == V_MISSING && y->k.t == V_MISSING)
                        : expr_same(x, y);
        if (!same)
            return false;
    }
    return true;
}

/* Does row i decide instead of row j under hit: priority (its results come
** first in the outputs' values, column by column from the left, or tie and
** it comes first)? -1 when a ranking result of either is not a fixed value. */
static int priority_wins(const table *t, size_t i, size_t j)
{
    val a[16], b[16];
    if (t->n_out > sizeof a / sizeof a[0])
        return -1;
    for (size_t k = 0; k < t->n_out; k++) {
        const expr *x = t->rows[i].out[k], *y = t->rows[j].out[k];
        if (t->out[k].set && (x->op != X_CONST || y->op != X_CONST))
            return -1;
        a[k] = x->op == X_CONST ? x->k : (val){0};
        b[k] = y->op == X_CONST ? y->k : (val){0};
    }
    bool same;
    int order = table_results_compare(t, a, b, &same);
    return order < 0 || (order == 0 && i < j);
}

static const char *row_name(analysis *an, const table *t, size_t i)
{
    const table_row *r = &t->rows[i];
    return r->id ? arena_printf(&an->work, "row %zu (%s)", i + 1, r->id)
                 : arena_printf(&an->work, "row %zu", i + 1);
}

/* The dim of column i: its fact, or a new input holding the values its cells
** name (everything, when every cell is '-'). -1 when it cannot be seen. */
static int column_dim(analysis *an, const table *t, size_t col)
{
    space *sp = &an->sp;
    const expr *in = t->in[col];
    if (in->op == X_FACT)
        return space_dim(sp, (size_t)in->slot)->kind == DK_OPAQUE ? -1 : in->slot;
    static const vtype by_type[] = {[T_BOOL] = V_BOOL, [T_NUM] = V_NUM, [T_MONEY] = V_MONEY,
                                    [T_STR] = V_STR,   [T_ENUM] = V_ENUM, [T_DUR] = V_DUR,
                                    [T_DATE] = V_DATE, [T_ROLE] = V_ROLE};
    vtype vt = in->type < sizeof by_type / sizeof by_type[0] ? by_type[in->type] : V_MISSING;
    const char *text = t->in_text[col]
                           ? t->in_text[col]
                           : arena_printf(&an->keep, "the table's input %zu", col + 1);
    int dim = space_add_dim(sp, vt, in->set, in->cur, text);
    if (dim < 0 || sp->d[dim].kind == DK_OPAQUE)
        return -1;
    for (size_t r = 0; vt == V_STR && r < t->n_rows; r++)
        words_from_cell(an, (size_t)dim, t->rows[r].cells[col]);
    dset named = {0, 0, NULL};
    bool any_named = false;
    for (size_t r = 0; r < t->n_rows; r++) {
        const cell *c = t->rows[r].cells[col];
        dset s;
        if (c->kind == CELL_ANY)
            continue;
        if (!cell_set(an, (size_t)dim, c, &s))
            return -1;
        if (!any_named)
            named = s;
        else if (!dset_join(sp, (size_t)dim, &named, &s, &named))
            return -1;
        any_named = true;
    }
    if (any_named) {
        /* the domain outlives this table's boxes */
        dim_info *d = &sp->d[dim];
        d->all = named;
        if (named.n) {
            d->all.iv = arena_alloc(&an->keep, named.n * sizeof *named.iv);
            if (!d->all.iv)
                return -1;
            memcpy(d->all.iv, named.iv, named.n * sizeof *named.iv);
        }
    }
    return dim;
}

static void warn(analysis *an, pos at, const char *rule, const char *fmt, ...) LW_PRINTF(4, 5);
static void warn(analysis *an, pos at, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vadd(an->r, LW_WARNING, at, rule, fmt, ap);
    va_end(ap);
}

/* Can a row decide through a missing input? A row is skipped when a cell of
** it reads an input with no value, so row j still decides when an input that
** may be missing (a fact with no default, or a column that is not a fact) has
** '-' in j and a test in a row that wins over it. */
static bool decides_when_missing(const lw_playbook *pb, const table *t, size_t j,
                                 const bool *wins)
{
    for (size_t c = 0; c < t->n_in; c++) {
        const expr *in = t->in[c];
        if (t->rows[j].cells[c]->kind != CELL_ANY ||
            (in->op == X_FACT && pb->facts[in->slot].has_default))
            continue;
        for (size_t i = 0; i < t->n_rows; i++)
            if (wins[i] && t->rows[i].cells[c]->kind != CELL_ANY)
                return true;
    }
    return false;
}

/* The rows before j (or, for hit: priority, those that win over j) that meet
** the cases of j, as "row 1, row 3 (B2)". */
static const char *rows_meeting(analysis *an, const table *t, const boxes *rows, size_t j,
                                const bool *wins)
{
    strbuf b;
    buf_init(&b, &an->pb->mem);
    size_t named = 0, more = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        box m;
        if (i == j || !wins[i] || !box_meet(&an->sp, &rows->b[i], &rows->b[j], &m))
            continue;
        if (named++ < 5)
            buf_printf(&b, "%s%s", b.len ? ", " : "", row_name(an, t, i));
        else
            more++;
    }
    if (more)
        buf_printf(&b, " and %zu more row%s", more, more == 1 ? "" : "s");
    const char *s = b.p ? arena_strdup(&an->work, b.p) : "earlier rows";
    buf_free(&b);
    return s;
}

/* The box of row r over the columns' dims: a box with an empty set, which
** meets nothing, when no case matches the row. False when the space gave up
** or a cell cannot be seen. */
static bool row_box(analysis *an, const table *t, const int *dims, size_t r, box *out)
{
    space *sp = &an->sp;
    *out = box_all();
    for (size_t i = 0; i < t->n_in; i++) {
        dset s;
        box one;
        if (!cell_set(an, (size_t)dims[i], t->rows[r].cells[i], &s))
            return false;
        if (!box_single(sp, (size_t)dims[i], &s, &one) || !box_meet(sp, out, &one, out)) {
            if (sp->gave_up)
                return false;
            *out = (box){1, arena_alloc(&an->work, sizeof *out->d)};
            if (!out->d)
                return false;
            out->d[0].dim = (uint32_t)dims[i];
            return true;
        }
    }
    return true;
}

/* For a row no case within the facts' declared values matches: a case
** outside them that would match it (outside_words), or "". */
static const char *row_outside(analysis *an, const table *t, const int *dims, size_t r)
{
    uint32_t saved[EXAMPLE_DIMS];
    size_t n_saved = an->n_dims;
    memcpy(saved, an->dims, sizeof saved);
    an->n_dims = 0; /* the example names the table's columns only */
    for (size_t i = 0; i < t->n_in; i++)
        finding_dim(an, (size_t)dims[i]);
    space within;
    box b;
    const char *ex = NULL;
    if (unbounded_begin(an, &within) && row_box(an, t, dims, r, &b) && !box_empty(&an->sp, &b))
        ex = finding_example(an, &b);
    unbounded_end(an, &within);
    memcpy(an->dims, saved, sizeof saved);
    an->n_dims = n_saved;
    return outside_words(an, "match", ex);
}

void analyze_table(analysis *an, const table *t, const char *rule, const expr *when,
                   const window *eff, bool keeps)
{
    space *sp = &an->sp;
    finding_start(an);
    finding_expr(an, when);
    boxes ctx, rows = {0, 0, NULL};
    box win = window_box(an, eff);
    boxes wins = {0, 0, NULL};
    if (!cond_boxes(an, when, OVER, &ctx) || !boxes_add(sp, &wins, &win) ||
        !boxes_meet(sp, &ctx, &wins, &ctx))
        return;
    int *dims = arena_alloc(&an->work, t->n_in * sizeof *dims);
    bool *before = arena_alloc(&an->work, t->n_rows * sizeof *before);
    if (!dims || !before)
        return;
    for (size_t i = 0; i < t->n_in; i++) {
        dims[i] = column_dim(an, t, i);
        if (dims[i] < 0)
            return; /* a column the analysis cannot see: no claims about this table */
        finding_dim(an, (size_t)dims[i]);
    }
    for (size_t r = 0; r < t->n_rows; r++) {
        box b;
        if (!row_box(an, t, dims, r, &b) || !boxes_add(sp, &rows, &b))
            return;
    }
    for (size_t j = 0; j < t->n_rows; j++) {
        const table_row *rj = &t->rows[j];
        boxes here, one = {0, 0, NULL};
        if (!boxes_add(sp, &one, &rows.b[j]) || !boxes_meet(sp, &one, &ctx, &here))
            return;
        if (here.n == 0) {
            bool empty = box_empty(sp, &rows.b[j]);
            warn(an, rj->at, rule,
                 "%s can never match: no case %s satisfies all its cells%s; correct or remove it",
                 row_name(an, t, j),
                 empty ? "within the facts' declared values" : "that reaches this table",
                 empty ? row_outside(an, t, dims, j) : "");
            continue;
        }
        const char *ex = finding_example(an, &here.b[0]);
        if (t->hit == HIT_UNIQUE || t->hit == HIT_ANY) {
            for (size_t i = 0; i < j; i++) {
                boxes other = {0, 0, NULL}, both;
                if (t->hit == HIT_ANY && same_result(t, &t->rows[i], rj))
                    continue;
                if (!boxes_add(sp, &other, &rows.b[i]) || !boxes_meet(sp, &here, &other, &both))
                    return;
                if (both.n == 0)
                    continue;
                ex = finding_example(an, &both.b[0]);
                if (t->hit == HIT_UNIQUE)
                    warn(an, rj->at, rule,
                         "%s and %s both match the same cases, but the table's hit policy is "
                         "unique (only one row may match): for example %s%s; make the rows "
                         "exclusive or use hit: first",
                         row_name(an, t, i), row_name(an, t, j), ex ? ex : "", opaque_note(an));
                else
                    warn(an, rj->at, rule,
                         "%s and %s both match the same cases with different results, but the "
                         "table's hit policy is any (all matches must agree): for example %s%s; "
                         "make the rows exclusive or give them the same result",
                         row_name(an, t, i), row_name(an, t, j), ex ? ex : "", opaque_note(an));
                break;
            }
            continue;
        }
        if (t->hit != HIT_FIRST && t->hit != HIT_PRIORITY)
            continue;
        /* the rows that decide instead of j whenever they match */
        boxes winners = {0, 0, NULL};
        bool ranked = true;
        for (size_t i = 0; ranked && i < t->n_rows; i++) {
            int w = i == j ? 0 : t->hit == HIT_PRIORITY ? priority_wins(t, i, j) : i < j;
            ranked = w >= 0;
            before[i] = w > 0;
            if (before[i] && !boxes_add(sp, &winners, &rows.b[i]))
                return;
        }
        if (!ranked)
            continue;
        bool covered = true;
        for (size_t k = 0; covered && k < here.n; k++)
            covered = boxes_cover(sp, &here.b[k], &winners, NULL);
        if (!covered || sp->gave_up || decides_when_missing(an->pb, t, j, before))
            continue;
        warn(an, rj->at, rule,
             t->hit == HIT_FIRST
                 ? "%s can never decide: every case it matches is taken first by %s (hit: "
                   "first takes the first match; for example %s%s); remove it or move it up"
                 : "%s can never decide: every case it matches is taken by %s, whose results "
                   "come first in the output's values (hit: priority; for example %s%s); remove "
                   "it or change its result",
             row_name(an, t, j), rows_meeting(an, t, &rows, j, before), ex ? ex : "any case",
             opaque_note(an));
    }
    /* gaps: cases that reach the table and match no row (for collect,
    ** rule_order and output_order no match is an answer: the empty list, or
    ** no sum; with a default for every result, the defaults are) */
    bool defaults = true;
    for (size_t i = 0; i < t->n_out; i++)
        defaults = defaults && t->out[i].def;
    bool gaps = !keeps && !defaults && t->hit != HIT_COLLECT && t->hit != HIT_RULE_ORDER &&
                t->hit != HIT_OUTPUT_ORDER;
    for (size_t k = 0; gaps && k < ctx.n; k++) {
        boxes rest;
        if (boxes_cover(sp, &ctx.b[k], &rows, &rest) || sp->gave_up)
            continue;
        const char *ex = finding_example(an, &rest.b[0]);
        warn(an, t->at, rule,
             "no row of the table matches some cases%s: for example %s%s; add rows for them or "
             "a last row of '-' cells",
             when ? " that reach it" : "", ex ? ex : "", opaque_note(an));
        break;
    }
}
