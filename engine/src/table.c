/*
** table.c -- decision tables (docs/playbook-format.md §6): unary-test cells
** compiled to masks and constants, one or several result columns with their
** defaults, and the DMN 1.3 hit policies first, unique, any, priority,
** collect (sum, min, max, count: column by column), rule_order and
** output_order, each on the whole row.
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
                                        "rule_order", "output_order"};
    *ok = true;
    for (int i = 0; i < 7; i++)
        if (strcmp(names[i], s) == 0)
            return (hit_policy)i;
    *ok = false;
    return HIT_FIRST;
}

bool table_gives_list(const table *t)
{
    return (t->hit == HIT_COLLECT && t->agg == AGG_NONE) || t->hit == HIT_RULE_ORDER ||
           t->hit == HIT_OUTPUT_ORDER;
}

int table_result_index(const table *t, const char *name)
{
    for (size_t i = 0; i < t->n_out; i++)
        if (strcmp(t->out[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* One result column written as NAME or NAME: { values: [...], default: X }. */
static bool compile_result(compiler *c, table_result *res, const node *name, const node *spec,
                           const node **def, const char *rule)
{
    if (name->kind != N_SCALAR || name->len == 0) {
        report_add(c->r, LW_ERROR, name->at, rule,
                   "each entry of outputs: is the name of a result column");
        return false;
    }
    res->name = name->str;
    res->at = name->at;
    if (!spec || scalar_is_null(spec))
        return true;
    if (spec->kind != N_MAP) {
        report_add(c->r, LW_ERROR, spec->at, rule,
                   "the result '%s' takes { values: [...], default: ... } or nothing",
                   name->str);
        return false;
    }
    for (size_t i = 0; i < spec->n; i++) {
        const node *k = MAP_KEY(spec, i);
        if (strcmp(k->str, "values") == 0) {
            res->set = compile_values(c, MAP_VAL(spec, i), rule);
            if (!res->set)
                return false;
            res->type = T_ENUM;
        } else if (strcmp(k->str, "default") == 0) {
            *def = MAP_VAL(spec, i);
        } else {
            report_add(c->r, LW_ERROR, k->at, rule,
                       "unknown key '%s' in the result '%s'; a result takes values: and "
                       "default:",
                       k->str, name->str);
            return false;
        }
    }
    return true;
}

/* The result columns: `output: NAME` (one, typed by the rule that holds the
** table) or `outputs:` (a list of names, or a mapping of names to their
** values: and default:). defs[i] gets the node of column i's default. */
static bool compile_results(compiler *c, table *t, const node *n, ttype out_type,
                            const enumset *out_set, const char *typed, const node ***defs,
                            const char *rule)
{
    const node *one = map_get(n, "output"), *many = map_get(n, "outputs");
    const node *def = map_get(n, "default");
    if (one && many) {
        report_add(c->r, LW_ERROR, many->at, rule,
                   "a table has output: (one result) or outputs: (several), not both");
        return false;
    }
    if (many && def) {
        report_add(c->r, LW_ERROR, def->at, rule,
                   "with outputs:, each result has its own default: write outputs: { NAME: "
                   "{ default: ... }, ... }");
        return false;
    }
    if (one && one->kind != N_SCALAR) {
        report_add(c->r, LW_ERROR, one->at, rule, "output: names the result column");
        return false;
    }
    if (many && (many->kind == N_SCALAR || many->n == 0)) {
        report_add(c->r, LW_ERROR, many->at, rule,
                   "outputs: lists the table's result columns: [name, ...], or a mapping "
                   "name: { values: [...], default: ... }");
        return false;
    }
    t->n_out = many ? many->n : 1;
    t->out = arena_alloc(c->a, t->n_out * sizeof *t->out);
    *defs = arena_alloc(c->a, t->n_out * sizeof **defs);
    if (!t->out || !*defs)
        return false;
    if (!many) {
        t->out[0] = (table_result){one ? one->str : rule, out_type, out_set, NULL,
                                   one ? one->at : n->at};
        (*defs)[0] = def;
        return true;
    }
    bool typed_found = false;
    for (size_t i = 0; i < t->n_out; i++) {
        table_result *res = &t->out[i];
        const node *name = many->kind == N_MAP ? MAP_KEY(many, i) : many->items[i];
        const node *spec = many->kind == N_MAP ? MAP_VAL(many, i) : NULL;
        if (!compile_result(c, res, name, spec, &(*defs)[i], rule))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->out[j].name, res->name) == 0) {
                report_add(c->r, LW_ERROR, name->at, rule,
                           "the result '%s' is named twice in outputs:", res->name);
                return false;
            }
        if (typed && strcmp(res->name, typed) == 0) {
            typed_found = true;
            if (!res->set) {
                res->type = out_type;
                res->set = out_set;
            }
        }
    }
    if (typed && !typed_found) {
        report_add(c->r, LW_ERROR, many->at, rule,
                   "a goodwill table with several results needs one called %s: it is the "
                   "step's new amount",
                   typed);
        return false;
    }
    if (!typed && (out_type != T_ANY || out_set)) {
        report_add(c->r, LW_ERROR, many->at, rule,
                   "values: and type: describe one result, but this table has %zu; put "
                   "values: on each result under outputs:",
                   t->n_out);
        return false;
    }
    return true;
}

/* A result's default: an expression of the result's type, given when no row
** matches. */
static bool compile_default(compiler *c, table *t, size_t i, const node *d, const scope *sc,
                            const char *rule)
{
    table_result *res = &t->out[i];
    if (t->agg == AGG_COUNT) {
        report_add(c->r, LW_ERROR, d->at, rule,
                   "default: is not for a count: with no matching row the count is 0");
        return false;
    }
    if (d->kind != N_SCALAR) {
        report_add(c->r, LW_ERROR, d->at, rule, "default: must be a single value");
        return false;
    }
    pos at = {d->at.file, d->at.line, d->at.col + (d->plain ? 0 : 1)};
    res->def = expr_compile_text(c, d->str, d->len, at, sc, T_ANY, res->set);
    if (res->def && res->type == T_MONEY && res->def->type == T_NUM) /* 25 is 25 EUR */
        res->def = expr_compile_text(c, d->str, d->len, at, sc, T_MONEY, NULL);
    if (!res->def)
        return false;
    if (res->def->type != res->type && res->def->type != T_NULL && res->type != T_NULL &&
        res->type != T_ANY) {
        report_add(c->r, LW_ERROR, d->at, rule,
                   "the default of '%s' is %s but its rows give %s; give a default of the same "
                   "type",
                   res->name, ttype_name((ttype)res->def->type), ttype_name(res->type));
        return false;
    }
    if (res->set && res->def->type == T_ENUM && res->def->set != res->set) {
        report_add(c->r, LW_ERROR, d->at, rule,
                   "the default of '%s' must be one of its declared values", res->name);
        return false;
    }
    return true;
}

/* Row r's result cell for column i; declared: the column's type before any row. */
static bool compile_result_cell(compiler *c, table *t, size_t r, size_t i, const node *on,
                                ttype declared, const scope *sc, const char *rule)
{
    table_result *res = &t->out[i];
    ttype want = declared;
    if (t->hit == HIT_COLLECT && t->agg == AGG_COUNT)
        want = T_ANY;
    if (want == T_ENUM || want == T_NULL)
        want = T_ANY;
    const expr *e;
    if (on->kind == N_MAP) { /* { lua: ... } */
        e = expr_compile(c, on, sc, want);
    } else if (on->kind != N_SCALAR) {
        report_add(c->r, LW_ERROR, on->at, rule, "the result cell must be a single value");
        return false;
    } else {
        pos at = on->at;
        at.col += on->plain ? 0 : 1;
        e = expr_compile_text(c, on->str, on->len, at, sc, want, res->set);
    }
    if (!e)
        return false;
    t->rows[r].out[i] = e;
    if (r == 0 || res->type == T_ANY || res->type == T_NULL) {
        if (e->type != T_NULL || res->type == T_ANY)
            res->type = (ttype)e->type;
    } else if (e->type != res->type && e->type != T_NULL) {
        report_add(c->r, LW_ERROR, on->at, rule,
                   t->n_out == 1
                       ? "the result of row %zu is %s but row 1 gives %s; all rows must give "
                         "the same type%s"
                       : "the result of row %zu is %s but the rows above give %s; all rows "
                         "must give the same type in the column '%s'",
                   r + 1, ttype_name((ttype)e->type), ttype_name(res->type),
                   t->n_out == 1 ? "" : res->name);
        return false;
    }
    if (res->set && e->type == T_ENUM && e->set != res->set) {
        report_add(c->r, LW_ERROR, on->at, rule,
                   "the result must be one of the output's declared values");
        return false;
    }
    return true;
}

static bool compile_row(compiler *c, table *t, size_t r, const node *row, const ttype *declared,
                        const char *const *column, const scope *sc, const char *rule)
{
    table_row *tr = &t->rows[r];
    tr->at = row->at;
    if (row->kind == N_MAP) {
        const node *id = map_get(row, "id"), *cells = map_get(row, "row");
        if (!id || id->kind != N_SCALAR || !cells || row->n != 2) {
            report_add(c->r, LW_ERROR, row->at, rule,
                       "a row written as a mapping has exactly id: and row: [cells..., "
                       "result]");
            return false;
        }
        tr->id = id->str;
        row = cells;
    }
    if (row->kind != N_SEQ) {
        report_add(c->r, LW_ERROR, row->at, rule,
                   "row %zu must be a list [cell, ..., result], not a %s", r + 1,
                   node_kind_name(row));
        return false;
    }
    if (row->n != t->n_in + t->n_out) {
        if (t->n_out == 1)
            report_add(c->r, LW_ERROR, row->at, rule,
                       "row %zu has %zu cells but the table has %zu input%s and one result "
                       "(%zu cells)",
                       r + 1, row->n, t->n_in, t->n_in == 1 ? "" : "s", t->n_in + 1);
        else
            report_add(c->r, LW_ERROR, row->at, rule,
                       "row %zu has %zu cells but the table has %zu input%s and %zu results "
                       "(%zu cells: the inputs' tests, then one result per name in outputs:)",
                       r + 1, row->n, t->n_in, t->n_in == 1 ? "" : "s", t->n_out,
                       t->n_in + t->n_out);
        return false;
    }
    tr->cells = arena_alloc(c->a, t->n_in * sizeof *tr->cells);
    tr->out = arena_alloc(c->a, t->n_out * sizeof *tr->out);
    if (!tr->cells || !tr->out)
        return false;
    for (size_t i = 0; i < t->n_in; i++) {
        cellc C = {c, sc, row->items[i], t->in[i], column[i]};
        tr->cells[i] = compile_cell(&C, row->items[i]);
        if (!tr->cells[i])
            return false;
    }
    for (size_t i = 0; i < t->n_out; i++)
        if (!compile_result_cell(c, t, r, i, row->items[t->n_in + i], declared[i], sc, rule))
            return false;
    tr->cov = tr->id ? cov_new(c, "%s row %zu (%s)", rule, r + 1, tr->id)
                     : cov_new(c, "%s row %zu", rule, r + 1);
    return true;
}

static bool compile_hit(compiler *c, table *t, const node *n, const char *rule)
{
    const node *hit = map_get(n, "hit");
    if (hit) {
        bool ok = hit->kind == N_SCALAR;
        if (ok)
            t->hit = hit_by_name(hit->str, &ok);
        if (!ok) {
            report_add(c->r, LW_ERROR, hit->at, rule,
                       "'%s' is not a hit policy; use first, unique, any, priority, collect, "
                       "rule_order or output_order",
                       hit->kind == N_SCALAR ? hit->str : "");
            return false;
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
            return false;
        }
        t->agg = (aggregate)(k + 1);
    }
    return true;
}

/* priority and output_order rank rows by the results' declared values. */
static bool check_ranking(compiler *c, const table *t, const node *n, const char *rule)
{
    if (t->hit != HIT_PRIORITY && t->hit != HIT_OUTPUT_ORDER)
        return true;
    for (size_t i = 0; i < t->n_out; i++)
        if (t->out[i].set)
            return true;
    const node *hit = map_get(n, "hit");
    const char *name = t->hit == HIT_PRIORITY ? "priority" : "output_order";
    if (t->n_out == 1)
        report_add(c->r, LW_ERROR, hit->at, rule,
                   "hit: %s ranks outputs by their declared values: give the output "
                   "values: [first, second, ...]",
                   name);
    else
        report_add(c->r, LW_ERROR, hit->at, rule,
                   "hit: %s ranks rows by their results' declared values: give at least one "
                   "result values: [first, second, ...] under outputs:",
                   name);
    return false;
}

/* collect with an aggregate works column by column: each result column is
** summed, or gives its smallest or largest value, or the count of matching
** rows (a number, whatever the column's cells are). */
static bool check_aggregate(compiler *c, table *t, const node *n, const char *rule)
{
    for (size_t i = 0; i < t->n_out && t->agg != AGG_NONE; i++) {
        table_result *res = &t->out[i];
        ttype ty = res->type;
        if (t->agg == AGG_COUNT) {
            res->type = T_NUM;
            res->set = NULL;
            continue;
        }
        bool sum = t->agg == AGG_SUM;
        if (ty == T_NUM || ty == T_MONEY || ty == T_DUR ||
            (!sum && (ty == T_DATE || ty == T_BOOL)))
            continue;
        const char *what = sum ? "numbers, money or durations"
                               : "numbers, money, durations, dates or true/false";
        const char *name = sum ? "sum" : t->agg == AGG_MIN ? "min" : "max";
        if (t->n_out == 1)
            report_add(c->r, LW_ERROR, n->at, rule, "aggregate: %s needs %s as results", name,
                       what);
        else
            report_add(c->r, LW_ERROR, res->at, rule,
                       "aggregate: %s works on each result, but '%s' gives %s; it needs %s",
                       name, res->name, ttype_name(ty), what);
        return false;
    }
    return true;
}

table *table_compile(compiler *c, const node *n, const scope *sc, ttype out_type,
                     const enumset *out_set, const char *typed, const char *rule)
{
    if (!n || n->kind != N_MAP) {
        report_add(c->r, LW_ERROR, n ? n->at : (pos){c->pb->file, 0, 0}, rule,
                   "table: must be a mapping with hit:, inputs:, output: and rows:");
        return NULL;
    }
    static const char *const keys[] = {"hit", "aggregate", "inputs", "output", "outputs",
                                       "default", "rows", NULL};
    for (size_t i = 0; i < n->n; i++) {
        bool found = false;
        for (const char *const *k = keys; *k; k++)
            found |= strcmp(MAP_KEY(n, i)->str, *k) == 0;
        if (!found) {
            report_add(c->r, LW_ERROR, MAP_KEY(n, i)->at, rule,
                       "unknown key '%s' in a table; the keys are hit, aggregate, inputs, "
                       "output (or outputs), default and rows",
                       MAP_KEY(n, i)->str);
            return NULL;
        }
    }
    table *t = arena_alloc(c->a, sizeof *t);
    const node **defs;
    if (!t || !compile_hit(c, t, n, rule) ||
        !compile_results(c, t, n, out_type, out_set, typed, &defs, rule) ||
        !check_ranking(c, t, n, rule))
        return NULL;
    t->at = n->at;
    t->rule = rule;
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
    const node *rows = map_get(n, "rows");
    if (!rows || rows->kind != N_SEQ || rows->n == 0) {
        report_add(c->r, LW_ERROR, rows ? rows->at : n->at, rule,
                   "a table needs rows: a list of [cell, ..., result]");
        return NULL;
    }
    t->n_rows = rows->n;
    t->rows = arena_alloc(c->a, rows->n * sizeof *t->rows);
    ttype *declared = arena_alloc(&c->tmp, t->n_out * sizeof *declared);
    if (!t->rows || !declared)
        return NULL;
    for (size_t i = 0; i < t->n_out; i++)
        declared[i] = t->out[i].type;
    for (size_t r = 0; r < rows->n; r++)
        if (!compile_row(c, t, r, rows->items[r], declared, column, sc, rule))
            return NULL;
    size_t n_defs = 0;
    for (size_t i = 0; i < t->n_out; i++) {
        if (!defs[i])
            continue;
        n_defs++;
        if (!compile_default(c, t, i, defs[i], sc, rule))
            return NULL;
    }
    if (table_gives_list(t) && n_defs && n_defs < t->n_out) {
        size_t i = 0;
        while (defs[i])
            i++;
        report_add(c->r, LW_ERROR, t->out[i].at, rule,
                   "the result '%s' needs a default: too: with no matching row this table "
                   "gives a list of one item, every result's default; give each result a "
                   "default, or none",
                   t->out[i].name);
        return NULL;
    }
    return check_aggregate(c, t, n, rule) ? t : NULL;
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
        if (v->t == V_NUM && x->a.t == V_NUM)
            c = num_compare(v, &x->a);
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
        if (v->t == V_NUM && x->a.t == V_NUM && x->b.t == V_NUM)
            return num_compare(v, &x->a) >= 0 && num_compare(v, &x->b) <= 0 ? LW_TRUE : LW_FALSE;
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

int table_results_compare(const table *t, const val *res_a, const val *res_b, bool *same)
{
    int order = 0;
    *same = true;
    for (size_t i = 0; i < t->n_out; i++) {
        if (!val_equal(&res_a[i], &res_b[i]))
            *same = false;
        const enumset *set = t->out[i].set;
        if (order == 0 && set) {
            /* a word's place in values:; anything else after the last word */
            int ra = res_a[i].t == V_ENUM ? res_a[i].idx : (int)set->n;
            int rb = res_b[i].t == V_ENUM ? res_b[i].idx : (int)set->n;
            order = (ra > rb) - (ra < rb);
        }
    }
    return order;
}

static void row_results(eval_ctx *x, const table *t, size_t r, val *res)
{
    for (size_t i = 0; i < t->n_out; i++)
        res[i] = expr_eval(x, t->rows[r].out[i]);
}

/* collect (no aggregate), rule_order and output_order: per result column the
** list of the matched rows' results, as texts, in row order or (output_order)
** by priority; several columns give lists of the same length, in the same
** order. hits: the matched rows, res_rows: their results (n_out each). */
static void list_results(eval_ctx *x, const table *t, size_t *hits, val *res_rows,
                         size_t n_hits, val *res)
{
    if (t->hit == HIT_OUTPUT_ORDER) /* a stable insertion sort: ties keep row order */
        for (size_t i = 1; i < n_hits; i++)
            for (size_t j = i; j > 0; j--) {
                val *a = &res_rows[(j - 1) * t->n_out], *b = &res_rows[j * t->n_out];
                bool same;
                if (table_results_compare(t, a, b, &same) <= 0)
                    break;
                for (size_t k = 0; k < t->n_out; k++) {
                    val tmp = a[k];
                    a[k] = b[k];
                    b[k] = tmp;
                }
                size_t h = hits[j - 1];
                hits[j - 1] = hits[j];
                hits[j] = h;
            }
    for (size_t col = 0; col < t->n_out; col++) {
        strlist *l = arena_alloc(x->a, sizeof *l);
        const char **items = arena_alloc(x->a, (n_hits ? n_hits : 1) * sizeof *items);
        size_t *lens = arena_alloc(x->a, (n_hits ? n_hits : 1) * sizeof *lens);
        if (!l || !items || !lens)
            return;
        for (size_t k = 0; k < n_hits; k++) {
            char tmp[256];
            size_t len = val_format(x->pb, &res_rows[k * t->n_out + col], tmp, sizeof tmp);
            if (len >= sizeof tmp)
                len = sizeof tmp - 1;
            items[k] = arena_strndup(x->a, tmp, len);
            lens[k] = len;
        }
        l->n = n_hits;
        l->items = items;
        l->lens = lens;
        memset(&res[col], 0, sizeof res[col]);
        res[col].t = V_LIST;
        res[col].u.list = l;
    }
}

/* collect with an aggregate, one result column: out into acc (the first
** match's result, or the count so far). */
static bool aggregate_add(eval_ctx *x, const table *t, size_t r, const val *out, val *acc)
{
    const char *err;
    if (t->agg == AGG_COUNT) {
        acc->u.i += 1;
    } else if (t->agg == AGG_SUM) {
        if (out->t <= V_ERROR || acc->t <= V_ERROR) {
            acc->t = V_ERROR;
        } else if (out->t == V_NUM) {
            if ((err = num_add(x->a, acc, out, false, acc))) {
                eval_error(x, t->rows[r].at, "the sum of the table's results: %s", err);
                acc->t = V_ERROR;
                return false;
            }
        } else if (__builtin_add_overflow(acc->u.i, out->u.i, &acc->u.i)) {
            eval_error(x, t->rows[r].at, "the sum of the table's results overflows");
            acc->t = V_ERROR;
            return false;
        }
    } else {
        bool ok;
        int c = val_compare(out, acc, &ok);
        if (ok && (t->agg == AGG_MIN ? c < 0 : c > 0))
            *acc = *out;
    }
    return true;
}

static void set_all(const table *t, val *res, vtype ty)
{
    for (size_t i = 0; i < t->n_out; i++)
        res[i].t = (uint8_t)ty;
}

void table_eval(eval_ctx *x, const table *t, val *res, int *row, const char **row_id)
{
    val in[16], cand_buf[8];
    val *inp = t->n_in <= 16 ? in : arena_alloc(x->a, t->n_in * sizeof *inp);
    val *cand = t->n_out <= 8 ? cand_buf : arena_alloc(x->a, t->n_out * sizeof *cand);
    const bool list = table_gives_list(t);
    size_t *hits = list ? arena_alloc(x->a, t->n_rows * sizeof *hits) : NULL;
    val *res_rows = list ? arena_alloc(x->a, t->n_rows * t->n_out * sizeof *res_rows) : NULL;
    memset(res, 0, t->n_out * sizeof *res);
    *row = 0;
    *row_id = NULL;
    if (!inp || !cand || (list && (!hits || !res_rows)))
        return;
    size_t mark = x->n_pending;
    for (size_t i = 0; i < t->n_in; i++)
        inp[i] = expr_eval(x, t->in[i]);
    bool unknown_seen = false;
    int hit = -1;
    size_t n_hits = 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        lw_truth m = row_match(t, &t->rows[r], inp);
        if (m == LW_UNKNOWN) {
            unknown_seen = true;
            continue;
        }
        if (m == LW_FALSE)
            continue;
        coverage_mark(x->e, x->pb, t->rows[r].cov);
        if (list) {
            row_results(x, t, r, &res_rows[n_hits * t->n_out]);
            hits[n_hits++] = r;
            continue;
        }
        row_results(x, t, r, cand);
        if (hit < 0) {
            hit = (int)r;
            memcpy(res, cand, t->n_out * sizeof *res);
            if (t->hit == HIT_FIRST)
                break;
            if (t->agg == AGG_COUNT)
                for (size_t i = 0; i < t->n_out; i++)
                    res[i] = num_int(1);
            continue;
        }
        bool same;
        switch (t->hit) {
        case HIT_UNIQUE:
            eval_error(x, t->rows[r].at,
                       "rows %d and %zu both match, but the table's hit policy is unique; make "
                       "the rows exclusive or use hit: first",
                       hit + 1, r + 1);
            set_all(t, res, V_ERROR);
            goto done;
        case HIT_ANY:
            table_results_compare(t, cand, res, &same);
            if (!same) {
                eval_error(x, t->rows[r].at,
                           "rows %d and %zu both match with different results, but the hit "
                           "policy is any (all matches must agree)",
                           hit + 1, r + 1);
                set_all(t, res, V_ERROR);
                goto done;
            }
            break;
        case HIT_PRIORITY:
            if (table_results_compare(t, cand, res, &same) < 0) {
                memcpy(res, cand, t->n_out * sizeof *res);
                hit = (int)r;
            }
            break;
        case HIT_COLLECT:
            for (size_t i = 0; i < t->n_out; i++)
                if (!aggregate_add(x, t, r, &cand[i], &res[i])) {
                    set_all(t, res, V_ERROR);
                    goto done;
                }
            break;
        default:
            break;
        }
    }
    if (list) {
        size_t n_items = n_hits;
        if (!n_hits && t->out[0].def) { /* DMN: the defaults, a list of one item */
            for (size_t i = 0; i < t->n_out; i++)
                res_rows[i] = expr_eval(x, t->out[i].def);
            n_items = 1;
        }
        list_results(x, t, hits, res_rows, n_items, res);
        if (n_hits)
            hit = (int)hits[0];
    } else if (hit < 0) {
        for (size_t i = 0; i < t->n_out; i++)
            if (t->out[i].def)
                res[i] = expr_eval(x, t->out[i].def);
    }
    if (hit < 0 && t->agg == AGG_COUNT && !unknown_seen)
        for (size_t i = 0; i < t->n_out; i++)
            res[i] = num_int(0); /* DMN: the count of no rows is 0 (a sum of none is null) */
done:
    if (hit >= 0) {
        *row = hit + 1;
        *row_id = t->rows[hit].id;
    }
    /* Missing inputs matter only if a row they left unknown could have decided. */
    if (!unknown_seen)
        x->n_pending = mark;
}
