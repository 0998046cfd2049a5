/*
** table.c -- decision tables (docs/playbook-format.md §6): unary-test cells compiled to
** masks and constants, and the DMN 1.3 hit policies first, unique, any,
** priority, collect (sum, min, max, count) and rule_order.
**
** Inputs are evaluated once per table; a cell test on an enum is a bit test.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ======================================================================
** Compiling cells
*/
typedef struct cellc {
    compiler *c;
    const scope *sc;
    const node *cellnode;
    const expr *input;
    const char *column; /* "column 1 (incident.hours)" */
} cellc;

static void cell_err(cellc *C, const char *fmt, ...) LW_PRINTF(2, 3);
static void cell_err(cellc *C, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vadd(C->c->r, LW_ERROR, C->cellnode->at, C->sc->rule, fmt, ap);
    va_end(ap);
}

static cell *new_cell(cellc *C, cell_kind k)
{
    cell *x = arena_alloc(C->c->a, sizeof *x);
    if (x)
        x->kind = k;
    return x;
}

/* Compile "(INPUT) OP ITEM" and take the constant(s) from the right-hand side:
** the expression checker then applies every rule of §3 (bare enum words,
** roles, money from numbers) to the cell. INPUT is the name CELL_INPUT, which
** stands for the column's compiled input, so the input's text is not parsed
** again for every row. */
static const expr *compile_against(cellc *C, const char *op, const char *item, size_t n,
                                   size_t item_off)
{
    arena *tmp = &C->c->tmp;
    const char *text = arena_printf(tmp, "(%s) %s %.*s", CELL_INPUT, op, (int)n, item);
    if (!text)
        return NULL;
    size_t prefix = strlen(CELL_INPUT) + strlen(op) + 4;
    pos at = C->cellnode->at;
    at.col += (int)item_off - (int)prefix + (C->cellnode->plain ? 0 : 1);
    size_t before = C->c->r->n;
    scope sc = *C->sc;
    sc.cell_input = C->input;
    sc.cell_column = C->column;
    const expr *e = expr_compile_text(C->c, text, strlen(text), at, &sc, T_BOOL, NULL);
    /* an error placed in the synthetic "(INPUT) OP" prefix belongs to the cell */
    for (size_t i = before; i < C->c->r->n; i++) {
        lw_diag *d = &C->c->r->items[i];
        if (d->line < C->cellnode->at.line ||
            (d->line == C->cellnode->at.line && d->column < C->cellnode->at.col)) {
            d->line = C->cellnode->at.line;
            d->column = C->cellnode->at.col;
        }
    }
    return e;
}

static bool is_const(cellc *C, const expr *e)
{
    if (e->op == X_CONST)
        return true;
    cell_err(C, "a table cell holds fixed values (like 3, gold, >= 4, 1..3), not expressions; "
                "put the expression in the table's inputs");
    return false;
}

static cell *compile_item(cellc *C, const char *s, size_t n, size_t off);

/* Split at top-level commas. */
static cell *compile_list(cellc *C, const char *s, size_t n, size_t off)
{
    cell *items[64];
    size_t k = 0, start = 0;
    int depth = 0;
    char quote = 0;
    for (size_t i = 0; i <= n; i++) {
        char ch = i < n ? s[i] : ',';
        if (quote) {
            if (ch == quote)
                quote = 0;
            continue;
        }
        if (ch == '"' || ch == '\'')
            quote = ch;
        else if (ch == '(' || ch == '[')
            depth++;
        else if (ch == ')' || ch == ']')
            depth--;
        else if (ch == ',' && depth == 0) {
            size_t a = start, b = i;
            while (a < b && s[a] == ' ')
                a++;
            while (b > a && s[b - 1] == ' ')
                b--;
            if (a == b) {
                cell_err(C, "an empty item in the cell's list (two commas in a row?)");
                return NULL;
            }
            if (k == 64) {
                cell_err(C, "a cell may list at most 64 values");
                return NULL;
            }
            items[k] = compile_item(C, s + a, b - a, off + a);
            if (!items[k++])
                return NULL;
            start = i + 1;
        }
    }
    if (k == 1)
        return items[0];
    /* merge enum/bool masks, keep the rest as alternatives */
    cell *or = new_cell(C, CELL_OR);
    if (!or)
        return NULL;
    or->sub = arena_alloc(C->c->a, k * sizeof *or->sub);
    if (!or->sub)
        return NULL;
    cell *mask = NULL;
    for (size_t i = 0; i < k; i++) {
        if (items[i]->kind == CELL_MASK) {
            if (mask) {
                mask->mask |= items[i]->mask;
                continue;
            }
            mask = items[i];
        }
        or->sub[or->n_sub++] = items[i];
    }
    return or->n_sub == 1 ? or->sub[0] : or;
}

static cell *compile_item(cellc *C, const char *s, size_t n, size_t off)
{
    if (n >= 4 && strncmp(s, "not(", 4) == 0 && s[n - 1] == ')') {
        cell *inner = compile_list(C, s + 4, n - 5, off + 4);
        if (!inner)
            return NULL;
        cell *x = new_cell(C, CELL_NOT);
        if (!x)
            return NULL;
        x->sub = arena_alloc(C->c->a, sizeof *x->sub);
        if (!x->sub)
            return NULL;
        x->sub[0] = inner;
        x->n_sub = 1;
        return x;
    }
    static const char *const ops[] = {">=", "<=", "!=", "==", ">", "<"};
    static const int xops[] = {X_GE, X_LE, X_NE, X_EQ, X_GT, X_LT};
    for (int i = 0; i < 6; i++) {
        size_t ol = strlen(ops[i]);
        if (n > ol && strncmp(s, ops[i], ol) == 0) {
            size_t a = ol;
            while (a < n && s[a] == ' ')
                a++;
            const expr *e = compile_against(C, ops[i], s + a, n - a, off + a);
            if (!e || !is_const(C, e->args[1]))
                return NULL;
            cell *x = new_cell(C, xops[i] == X_EQ ? CELL_EQ : CELL_CMP);
            if (!x)
                return NULL;
            x->op = xops[i];
            x->a = e->args[1]->k;
            return x;
        }
    }
    /* a..b (not inside quotes) */
    const char *dd = NULL;
    char quote = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (quote) {
            if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '.' && s[i + 1] == '.') {
            dd = s + i;
            break;
        }
    }
    if (dd) {
        const expr *e = compile_against(C, "in", s, n, off);
        if (!e)
            return NULL;
        if (e->op != X_IN_RANGE || !is_const(C, e->args[1]) || !is_const(C, e->args[2]))
            return NULL;
        cell *x = new_cell(C, CELL_RANGE);
        if (!x)
            return NULL;
        x->a = e->args[1]->k;
        x->b = e->args[2]->k;
        return x;
    }
    const expr *e = compile_against(C, "==", s, n, off);
    if (!e || !is_const(C, e->args[1]))
        return NULL;
    const val *k = &e->args[1]->k;
    if (k->t == V_ENUM && C->input->type == T_ENUM) {
        cell *x = new_cell(C, CELL_MASK);
        if (x)
            x->mask = (uint64_t)1 << k->idx;
        return x;
    }
    if (k->t == V_BOOL) {
        cell *x = new_cell(C, CELL_MASK);
        if (x)
            x->mask = k->u.b ? 2 : 1;
        return x;
    }
    cell *x = new_cell(C, CELL_EQ);
    if (x) {
        x->op = X_EQ;
        x->a = *k;
    }
    return x;
}

static cell *compile_cell(cellc *C, const node *n)
{
    static cell any = {CELL_ANY, 0, 0, {0}, {0}, NULL, 0};
    if (n->kind != N_SCALAR) {
        cell_err(C, "a table cell must be a single value, not a %s", node_kind_name(n));
        return NULL;
    }
    const char *s = n->str;
    size_t len = n->len;
    while (len && s[0] == ' ') {
        s++;
        len--;
    }
    while (len && s[len - 1] == ' ')
        len--;
    if (len == 0 || (len == 1 && s[0] == '-'))
        return &any;
    return compile_list(C, s, len, (size_t)(s - n->str));
}

/* ======================================================================
** Compiling tables
*/
static hit_policy hit_by_name(const char *s, bool *ok)
{
    static const char *const names[] = {"first", "unique", "any", "priority", "collect",
                                        "rule_order"};
    *ok = true;
    for (int i = 0; i < 6; i++)
        if (strcmp(names[i], s) == 0)
            return (hit_policy)i;
    *ok = false;
    return HIT_FIRST;
}

table *table_compile(compiler *c, const node *n, const scope *sc, ttype out_type,
                     const enumset *out_set, const char *rule)
{
    if (!n || n->kind != N_MAP) {
        report_add(c->r, LW_ERROR, n ? n->at : (pos){c->pb->file, 0, 0}, rule,
                   "table: must be a mapping with hit:, inputs:, output: and rows:");
        return NULL;
    }
    static const char *const keys[] = {"hit", "aggregate", "inputs", "output", "rows", NULL};
    for (size_t i = 0; i < n->n; i++) {
        bool found = false;
        for (const char *const *k = keys; *k; k++)
            found |= strcmp(MAP_KEY(n, i)->str, *k) == 0;
        if (!found) {
            report_add(c->r, LW_ERROR, MAP_KEY(n, i)->at, rule,
                       "unknown key '%s' in a table; the keys are hit, aggregate, inputs, "
                       "output and rows",
                       MAP_KEY(n, i)->str);
            return NULL;
        }
    }
    table *t = arena_alloc(c->a, sizeof *t);
    if (!t)
        return NULL;
    t->at = n->at;
    t->out_set = out_set;
    const node *hit = map_get(n, "hit");
    if (hit) {
        bool ok = hit->kind == N_SCALAR;
        if (ok)
            t->hit = hit_by_name(hit->str, &ok);
        if (!ok) {
            report_add(c->r, LW_ERROR, hit->at, rule,
                       "'%s' is not a hit policy; use first, unique, any, priority, collect or "
                       "rule_order",
                       hit->kind == N_SCALAR ? hit->str : "");
            return NULL;
        }
    }
    const node *agg = map_get(n, "aggregate");
    if (agg) {
        static const char *const names[] = {"sum", "min", "max", "count"};
        int k = -1;
        for (int i = 0; i < 4; i++)
            if (scalar_is(agg, names[i]))
                k = i;
        if (k < 0 || t->hit != HIT_COLLECT) {
            report_add(c->r, LW_ERROR, agg->at, rule,
                       k < 0 ? "aggregate: must be sum, min, max or count"
                             : "aggregate: is only for hit: collect");
            return NULL;
        }
        t->agg = (aggregate)(k + 1);
    }
    if (t->hit == HIT_PRIORITY && !out_set) {
        report_add(c->r, LW_ERROR, hit->at, rule,
                   "hit: priority ranks outputs by their declared values: give the output "
                   "values: [first, second, ...]");
        return NULL;
    }
    const node *ins = map_get(n, "inputs");
    if (!ins || ins->kind != N_SEQ || ins->n == 0) {
        report_add(c->r, LW_ERROR, ins ? ins->at : n->at, rule,
                   "a table needs inputs: [fact.path, ...] (one per condition column)");
        return NULL;
    }
    t->n_in = ins->n;
    t->in = arena_alloc(c->a, ins->n * sizeof *t->in);
    t->in_text = arena_alloc(c->a, ins->n * sizeof *t->in_text);
    const char **column = arena_alloc(&c->tmp, ins->n * sizeof *column);
    if (!t->in || !t->in_text || !column)
        return NULL;
    for (size_t i = 0; i < ins->n; i++) {
        t->in_text[i] = ins->items[i]->str;
        t->in[i] = expr_compile(c, ins->items[i], sc, T_ANY);
        if (!t->in[i])
            return NULL;
        const node *in = ins->items[i]; /* a long or multi-line input is not quoted */
        column[i] = in->kind == N_SCALAR && in->len <= 60 && !memchr(in->str, '\n', in->len)
                        ? arena_printf(&c->tmp, "column %zu (%s)", i + 1, in->str)
                        : arena_printf(&c->tmp, "column %zu", i + 1);
    }
    const node *outn = map_get(n, "output");
    if (outn && outn->kind != N_SCALAR) {
        report_add(c->r, LW_ERROR, outn->at, rule, "output: names the result column");
        return NULL;
    }
    const node *rows = map_get(n, "rows");
    if (!rows || rows->kind != N_SEQ || rows->n == 0) {
        report_add(c->r, LW_ERROR, rows ? rows->at : n->at, rule,
                   "a table needs rows: a list of [cell, ..., result]");
        return NULL;
    }
    t->n_rows = rows->n;
    t->rows = arena_alloc(c->a, rows->n * sizeof *t->rows);
    if (!t->rows)
        return NULL;
    ttype want = out_type;
    if (t->hit == HIT_COLLECT && t->agg == AGG_COUNT)
        want = T_ANY;
    for (size_t r = 0; r < rows->n; r++) {
        const node *row = rows->items[r];
        table_row *tr = &t->rows[r];
        tr->at = row->at;
        if (row->kind == N_MAP) {
            const node *id = map_get(row, "id"), *cells = map_get(row, "row");
            if (!id || id->kind != N_SCALAR || !cells || row->n != 2) {
                report_add(c->r, LW_ERROR, row->at, rule,
                           "a row written as a mapping has exactly id: and row: [cells..., "
                           "result]");
                return NULL;
            }
            tr->id = id->str;
            row = cells;
        }
        if (row->kind != N_SEQ) {
            report_add(c->r, LW_ERROR, row->at, rule,
                       "row %zu must be a list [cell, ..., result], not a %s", r + 1,
                       node_kind_name(row));
            return NULL;
        }
        if (row->n != t->n_in + 1) {
            report_add(c->r, LW_ERROR, row->at, rule,
                       "row %zu has %zu cells but the table has %zu input%s and one result "
                       "(%zu cells)",
                       r + 1, row->n, t->n_in, t->n_in == 1 ? "" : "s", t->n_in + 1);
            return NULL;
        }
        tr->cells = arena_alloc(c->a, t->n_in * sizeof *tr->cells);
        if (!tr->cells)
            return NULL;
        for (size_t i = 0; i < t->n_in; i++) {
            cellc C = {c, sc, row->items[i], t->in[i], column[i]};
            tr->cells[i] = compile_cell(&C, row->items[i]);
            if (!tr->cells[i])
                return NULL;
        }
        const node *on = row->items[t->n_in];
        if (on->kind == N_MAP) { /* { lua: ... } */
            tr->out = expr_compile(c, on, sc, want == T_ENUM ? T_ANY : want);
            if (!tr->out)
                return NULL;
            goto typed;
        }
        if (on->kind != N_SCALAR) {
            report_add(c->r, LW_ERROR, on->at, rule, "the result cell must be a single value");
            return NULL;
        }
        pos at = on->at;
        at.col += on->plain ? 0 : 1;
        tr->out = expr_compile_text(c, on->str, on->len, at, sc,
                                    want == T_ENUM ? T_ANY : want, out_set);
        if (!tr->out)
            return NULL;
    typed:
        if (r == 0)
            t->out_type = (ttype)tr->out->type;
        else if (tr->out->type != t->out_type && tr->out->type != T_NULL &&
                 t->out_type != T_NULL) {
            report_add(c->r, LW_ERROR, on->at, rule,
                       "the result of row %zu is %s but row 1 gives %s; all rows must give the "
                       "same type",
                       r + 1, ttype_name((ttype)tr->out->type), ttype_name(t->out_type));
            return NULL;
        }
        if (t->out_type == T_NULL)
            t->out_type = (ttype)tr->out->type;
        if (out_set && tr->out->type == T_ENUM && tr->out->set != out_set) {
            report_add(c->r, LW_ERROR, on->at, rule,
                       "the result must be one of the output's declared values");
            return NULL;
        }
        tr->cov = tr->id ? cov_new(c, "%s row %zu (%s)", rule, r + 1, tr->id)
                         : cov_new(c, "%s row %zu", rule, r + 1);
    }
    if (t->hit == HIT_COLLECT && (t->agg == AGG_SUM || t->agg == AGG_MIN || t->agg == AGG_MAX) &&
        t->out_type != T_NUM && t->out_type != T_MONEY && t->out_type != T_DUR) {
        report_add(c->r, LW_ERROR, n->at, rule,
                   "aggregate: %s needs numbers, money or durations as results",
                   t->agg == AGG_SUM ? "sum" : t->agg == AGG_MIN ? "min" : "max");
        return NULL;
    }
    return t;
}

/* ======================================================================
** Evaluating
*/
static lw_truth cell_match(const cell *x, const val *v)
{
    if (x->kind == CELL_ANY)
        return LW_TRUE;
    if (v->t <= V_ERROR)
        return LW_UNKNOWN;
    bool ok = true;
    int c;
    switch (x->kind) {
    case CELL_MASK:
        if (v->t == V_BOOL)
            return (x->mask >> (v->u.b ? 1 : 0)) & 1 ? LW_TRUE : LW_FALSE;
        return (x->mask >> v->idx) & 1 ? LW_TRUE : LW_FALSE;
    case CELL_EQ:
    case CELL_CMP:
        if (v->t == V_NUM)
            c = (v->u.n > x->a.u.n) - (v->u.n < x->a.u.n);
        else
            c = val_compare(v, &x->a, &ok);
        if (!ok)
            return LW_FALSE;
        switch (x->op) {
        case X_EQ: return c == 0 ? LW_TRUE : LW_FALSE;
        case X_NE: return c != 0 ? LW_TRUE : LW_FALSE;
        case X_LT: return c < 0 ? LW_TRUE : LW_FALSE;
        case X_LE: return c <= 0 ? LW_TRUE : LW_FALSE;
        case X_GT: return c > 0 ? LW_TRUE : LW_FALSE;
        default: return c >= 0 ? LW_TRUE : LW_FALSE;
        }
    case CELL_RANGE: {
        if (v->t == V_NUM)
            return v->u.n >= x->a.u.n && v->u.n <= x->b.u.n ? LW_TRUE : LW_FALSE;
        int lo = val_compare(v, &x->a, &ok);
        int hi = val_compare(v, &x->b, &ok);
        return ok && lo >= 0 && hi <= 0 ? LW_TRUE : LW_FALSE;
    }
    case CELL_OR:
        for (size_t i = 0; i < x->n_sub; i++)
            if (cell_match(x->sub[i], v) == LW_TRUE)
                return LW_TRUE;
        return LW_FALSE;
    case CELL_NOT:
        return cell_match(x->sub[0], v) == LW_TRUE ? LW_FALSE : LW_TRUE;
    default:
        return LW_FALSE;
    }
}

static lw_truth row_match(const table *t, const table_row *r, const val *in)
{
    lw_truth res = LW_TRUE;
    for (size_t i = 0; i < t->n_in; i++) {
        lw_truth m = cell_match(r->cells[i], &in[i]);
        if (m == LW_FALSE)
            return LW_FALSE;
        if (m == LW_UNKNOWN)
            res = LW_UNKNOWN;
    }
    return res;
}

static int out_rank(const table *t, const val *v)
{
    return v->t == V_ENUM ? v->idx : (int)t->out_set->n;
}

val table_eval(eval_ctx *x, const table *t, int *row, const char **row_id)
{
    val in[16];
    val *inp = t->n_in <= 16 ? in : arena_alloc(x->a, t->n_in * sizeof *inp);
    val none;
    memset(&none, 0, sizeof none);
    *row = 0;
    *row_id = NULL;
    if (!inp)
        return none;
    size_t mark = x->n_pending;
    for (size_t i = 0; i < t->n_in; i++)
        inp[i] = expr_eval(x, t->in[i]);
    bool unknown_seen = false;
    int hit = -1;
    val result = none;
    for (size_t r = 0; r < t->n_rows; r++) {
        lw_truth m = row_match(t, &t->rows[r], inp);
        if (m == LW_UNKNOWN) {
            unknown_seen = true;
            continue;
        }
        if (m == LW_FALSE)
            continue;
        coverage_mark(x->e, x->pb, t->rows[r].cov);
        val out = expr_eval(x, t->rows[r].out);
        if (hit < 0) {
            hit = (int)r;
            result = out;
            if (t->hit == HIT_FIRST)
                break;
            if (t->hit == HIT_COLLECT || t->hit == HIT_RULE_ORDER) {
                if (t->agg == AGG_COUNT) {
                    result.t = V_NUM;
                    result.u.n = 1;
                }
            }
            continue;
        }
        switch (t->hit) {
        case HIT_UNIQUE:
            eval_error(x, t->rows[r].at,
                       "rows %d and %zu both match, but the table's hit policy is unique; make "
                       "the rows exclusive or use hit: first",
                       hit + 1, r + 1);
            result.t = V_ERROR;
            goto done;
        case HIT_ANY:
            if (!val_equal(&out, &result)) {
                eval_error(x, t->rows[r].at,
                           "rows %d and %zu both match with different results, but the hit "
                           "policy is any (all matches must agree)",
                           hit + 1, r + 1);
                result.t = V_ERROR;
                goto done;
            }
            break;
        case HIT_PRIORITY:
            if (out_rank(t, &out) < out_rank(t, &result)) {
                result = out;
                hit = (int)r;
            }
            break;
        case HIT_COLLECT:
            if (t->agg == AGG_COUNT) {
                result.u.n += 1;
            } else if (t->agg == AGG_SUM) {
                if (out.t <= V_ERROR || result.t <= V_ERROR) {
                    result.t = V_ERROR;
                } else if (out.t == V_NUM) {
                    result.u.n += out.u.n;
                } else if (__builtin_add_overflow(result.u.i, out.u.i, &result.u.i)) {
                    eval_error(x, t->rows[r].at, "the sum of the table's results overflows");
                    result.t = V_ERROR;
                    goto done;
                }
            } else if (t->agg == AGG_MIN || t->agg == AGG_MAX) {
                bool ok;
                int c = val_compare(&out, &result, &ok);
                if (ok && (t->agg == AGG_MIN ? c < 0 : c > 0))
                    result = out;
            }
            break;
        default:
            break;
        }
    }
    if ((t->hit == HIT_COLLECT && t->agg == AGG_NONE) || t->hit == HIT_RULE_ORDER) {
        /* the list of matched results, in row order, as text */
        size_t n = 0;
        for (size_t r = 0; r < t->n_rows; r++)
            n += row_match(t, &t->rows[r], inp) == LW_TRUE;
        strlist *l = arena_alloc(x->a, sizeof *l);
        const char **items = arena_alloc(x->a, (n ? n : 1) * sizeof *items);
        size_t *lens = arena_alloc(x->a, (n ? n : 1) * sizeof *lens);
        if (l && items && lens) {
            size_t k = 0;
            for (size_t r = 0; r < t->n_rows; r++) {
                if (row_match(t, &t->rows[r], inp) != LW_TRUE)
                    continue;
                val out = expr_eval(x, t->rows[r].out);
                char tmp[256];
                size_t len = val_format(x->pb, &out, tmp, sizeof tmp);
                if (len >= sizeof tmp)
                    len = sizeof tmp - 1;
                items[k] = arena_strndup(x->a, tmp, len);
                lens[k++] = len;
            }
            l->n = k;
            l->items = items;
            l->lens = lens;
            result = none;
            result.t = V_LIST;
            result.u.list = l;
        }
    }
done:
    if (hit >= 0) {
        *row = hit + 1;
        *row_id = t->rows[hit].id;
    }
    /* Missing inputs matter only if a row they left unknown could have decided. */
    if (!unknown_seen)
        x->n_pending = mark;
    return result;
}
