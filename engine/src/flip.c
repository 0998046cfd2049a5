/*
** flip.c -- "what would have to change": for every rule that did not fire
** in a decision, every condition that would have to change together to make
** it fire (its effective window, its channels, its own condition, read from
** the compiled expression: "customer.tenure_years >= 10 (now 7)"), and the
** answers that only a different acting role would change (an exception or a
** goodwill amount beyond the role's authority). Conditions too complex to
** invert are printed with the current values of the facts they read.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ======================================================================
** Printing expressions back as text
*/
static int prec(int op)
{
    switch (op) {
    case X_OR: return 1;
    case X_AND: return 2;
    case X_NOT: return 3;
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE:
    case X_IN_SET: case X_IN_RANGE: case X_IN_LIST: return 4;
    case X_ADD: case X_SUB: return 5;
    case X_MUL: case X_DIV: return 6;
    case X_NEG: return 7;
    case X_POW: return 8;
    default: return 9;
    }
}

static const char *op_text(int op)
{
    switch (op) {
    case X_OR: return "or";
    case X_AND: return "and";
    case X_EQ: return "==";
    case X_NE: return "!=";
    case X_LT: return "<";
    case X_LE: return "<=";
    case X_GT: return ">";
    case X_GE: return ">=";
    case X_ADD: return "+";
    case X_SUB: return "-";
    case X_MUL: return "*";
    case X_DIV: return "/";
    case X_POW: return "**";
    default: return "?";
    }
}

static const char *fn_text(int op)
{
    switch (op) {
    case X_MIN: return "min";
    case X_MAX: return "max";
    case X_ROUND: return "round";
    case X_FLOOR: return "floor";
    case X_CEIL: return "ceil";
    case X_HAS: return "has";
    case X_LOWER: return "lower";
    case X_CONTAINS: return "contains";
    case X_STARTS: return "starts_with";
    case X_LEN: return "len";
    case X_IF: return "if";
    case X_COALESCE: return "coalesce";
    default: return NULL;
    }
}

static void put_val(strbuf *b, const lw_playbook *pb, const val *v)
{
    char tmp[256];
    if (v->t == V_MISSING) {
        buf_puts(b, "unknown");
        return;
    }
    val_format(pb, v, tmp, sizeof tmp);
    if (v->t == V_STR) {
        buf_putc(b, '"');
        buf_puts(b, tmp);
        buf_putc(b, '"');
    } else {
        buf_puts(b, tmp);
    }
}

void print_expr(strbuf *b, const lw_playbook *pb, const expr *e, int outer)
{
    int p = prec(e->op);
    bool paren = p < outer;
    if (paren)
        buf_putc(b, '(');
    switch (e->op) {
    case X_CONST:
        put_val(b, pb, &e->k);
        break;
    case X_FACT:
        buf_puts(b, pb->facts[e->slot].path);
        break;
    case X_AMOUNT:
        buf_puts(b, "amount");
        break;
    case X_OUTPUT:
        buf_printf(b, "outputs.%s", pb->outputs[e->slot].name);
        break;
    case X_POLICY:
        buf_printf(b, "policies.%s.outcome", pb->policies[e->slot].id);
        break;
    case X_GOODWILL:
        buf_puts(b, e->slot == 0 ? "goodwill.amount"
                    : e->slot == 1 ? "goodwill.within_authority" : "goodwill.needs_role");
        break;
    case X_STEP_RESULT:
        for (size_t i = 0; i < pb->n_steps; i++) {
            const step_rule *st = &pb->steps[i];
            if (st->tab && st->tab->n_out > 1 && (size_t)e->slot >= st->res_slot &&
                (size_t)e->slot < st->res_slot + st->tab->n_out)
                buf_printf(b, "goodwill.%s.%s", st->id,
                           st->tab->out[(size_t)e->slot - st->res_slot].name);
        }
        break;
    case X_NOT:
        buf_puts(b, "not ");
        print_expr(b, pb, e->args[0], p);
        break;
    case X_NEG:
        buf_putc(b, '-');
        print_expr(b, pb, e->args[0], p);
        break;
    case X_IN_SET:
        print_expr(b, pb, e->args[0], p + 1);
        buf_puts(b, " in [");
        for (size_t i = 1; i < e->n; i++) {
            if (i > 1)
                buf_puts(b, ", ");
            print_expr(b, pb, e->args[i], 0);
        }
        buf_putc(b, ']');
        break;
    case X_IN_RANGE:
        print_expr(b, pb, e->args[0], p + 1);
        buf_puts(b, " in ");
        print_expr(b, pb, e->args[1], p + 1);
        buf_puts(b, "..");
        print_expr(b, pb, e->args[2], p + 1);
        break;
    case X_IN_LIST:
        print_expr(b, pb, e->args[0], p + 1);
        buf_puts(b, " in ");
        print_expr(b, pb, e->args[1], p + 1);
        break;
    case X_ISNULL:
        print_expr(b, pb, e->args[0], 5);
        buf_puts(b, e->k.u.b ? " != null" : " == null");
        break;
    case X_LUA:
        buf_puts(b, "a Lua script");
        break;
    case X_LUAFN:
        buf_printf(b, "%s(...)", pb->fns[e->slot].name);
        break;
    default:
        if (fn_text(e->op)) {
            buf_puts(b, fn_text(e->op));
            buf_putc(b, '(');
            for (size_t i = 0; i < e->n; i++) {
                if (i)
                    buf_puts(b, ", ");
                print_expr(b, pb, e->args[i], 0);
            }
            buf_putc(b, ')');
        } else if (e->n == 2) { /* ** groups from the right, the others from the left */
            print_expr(b, pb, e->args[0], e->op == X_POW ? p + 1 : p);
            buf_printf(b, " %s ", op_text(e->op));
            print_expr(b, pb, e->args[1], e->op == X_POW ? p : p + 1);
        }
        break;
    }
    if (paren)
        buf_putc(b, ')');
}

/* ======================================================================
** What a condition needs
*/
typedef struct fx {
    const lw_playbook *pb;
    const lw_case *c;
    bool role_part;   /* a condition still to change reads the role fact */
    bool other_part;  /* ... or anything else (another fact, a constant, Lua) */
} fx;

static val fact_now(fx *F, int slot)
{
    val v = F->c->slots[slot];
    if (v.t == V_MISSING && F->pb->facts[slot].has_default)
        v = F->pb->facts[slot].def;
    return v;
}

static void facts_now(fx *F, strbuf *b, const expr *e, bool *first)
{
    if (e->op == X_FACT) {
        buf_puts(b, *first ? " (now " : ", ");
        *first = false;
        buf_printf(b, "%s = ", F->pb->facts[e->slot].path);
        val v = fact_now(F, e->slot);
        put_val(b, F->pb, &v);
        return;
    }
    for (size_t i = 0; i < e->n; i++)
        facts_now(F, b, e->args[i], first);
}

static lw_truth cmp_truth(int op, const val *a, const val *b)
{
    if (a->t == V_MISSING || b->t == V_MISSING)
        return LW_UNKNOWN;
    bool ok;
    int c = val_compare(a, b, &ok);
    if (!ok)
        return LW_UNKNOWN;
    bool r = op == X_EQ ? c == 0 : op == X_NE ? c != 0 : op == X_LT ? c < 0
           : op == X_LE ? c <= 0 : op == X_GT ? c > 0 : c >= 0;
    return r ? LW_TRUE : LW_FALSE;
}

/* Note what a condition that still has to change reads: the role fact only,
** or something else. */
static void note_reads(fx *F, const expr *e, bool *any)
{
    if (e->op == X_FACT) {
        *(e->slot == F->pb->f_role ? &F->role_part : &F->other_part) = true;
        *any = true;
    } else if (e->op == X_LUA || e->op == X_LUAFN || e->op == X_AMOUNT || e->op == X_OUTPUT ||
               e->op == X_POLICY || e->op == X_GOODWILL) {
        F->other_part = *any = true;
    }
    for (size_t i = 0; i < e->n; i++)
        note_reads(F, e->args[i], any);
}

static lw_truth need_leaf(fx *F, strbuf *b, const expr *e, bool want);

/* Append to b what must hold for e to be `want`; LW_TRUE if it already is. */
static lw_truth need(fx *F, strbuf *b, const expr *e, bool want)
{
    switch (e->op) {
    case X_AND:
    case X_OR: {
        bool role_part = F->role_part, other_part = F->other_part;
        bool all = (e->op == X_AND) == want; /* every child must be `want` */
        strbuf parts[2];
        lw_truth t[2];
        for (int i = 0; i < 2; i++) {
            buf_init(&parts[i], b->mem);
            t[i] = need(F, &parts[i], e->args[i], want);
        }
        lw_truth res;
        if (all) {
            res = t[0] == LW_TRUE && t[1] == LW_TRUE ? LW_TRUE : LW_FALSE;
            if (res != LW_TRUE) {
                bool first = true;
                for (int i = 0; i < 2; i++)
                    if (t[i] != LW_TRUE && parts[i].p) {
                        if (!first)
                            buf_puts(b, " and ");
                        buf_puts(b, parts[i].p);
                        first = false;
                    }
            }
        } else {
            res = t[0] == LW_TRUE || t[1] == LW_TRUE ? LW_TRUE : LW_FALSE;
            if (res != LW_TRUE) {
                buf_putc(b, '(');
                buf_puts(b, parts[0].p ? parts[0].p : "?");
                buf_puts(b, " or ");
                buf_puts(b, parts[1].p ? parts[1].p : "?");
                buf_putc(b, ')');
            }
        }
        buf_free(&parts[0]);
        buf_free(&parts[1]);
        if (res == LW_TRUE) { /* nothing of it has to change */
            F->role_part = role_part;
            F->other_part = other_part;
        }
        return res;
    }
    case X_NOT:
        return need(F, b, e->args[0], !want);
    default: {
        lw_truth t = need_leaf(F, b, e, want);
        if (t != LW_TRUE) {
            bool any = false;
            note_reads(F, e, &any);
            if (!any)
                F->other_part = true; /* a constant: no role makes it hold */
        }
        return t;
    }
    }
}

/* The same for a condition that is not and, or, not. */
static lw_truth need_leaf(fx *F, strbuf *b, const expr *e, bool want)
{
    const lw_playbook *pb = F->pb;
    switch (e->op) {
    case X_CONST:
        if (e->k.t == V_BOOL && e->k.u.b == want)
            return LW_TRUE;
        buf_puts(b, want ? "never (the condition is always false)"
                         : "never (the condition is always true)");
        return LW_FALSE;
    case X_FACT: {
        val v = fact_now(F, e->slot);
        if (v.t == V_BOOL && v.u.b == want)
            return LW_TRUE;
        buf_printf(b, "%s is %s (now ", pb->facts[e->slot].path, want ? "true" : "false");
        put_val(b, pb, &v);
        buf_putc(b, ')');
        return LW_FALSE;
    }
    case X_HAS: {
        const expr *a = e->args[0];
        bool known = a->op == X_FACT && fact_now(F, a->slot).t != V_MISSING;
        if (a->op == X_FACT && known == want)
            return LW_TRUE;
        print_expr(b, pb, a, 0);
        buf_puts(b, want ? " is known" : " is not given");
        return LW_FALSE;
    }
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE: {
        const expr *l = e->args[0], *r = e->args[1];
        int op = e->op;
        if (r->op == X_FACT && l->op == X_CONST) {
            const expr *t = l;
            l = r;
            r = t;
            op = xop_mirror(op);
        }
        if (l->op == X_FACT && r->op == X_CONST) {
            val v = fact_now(F, l->slot);
            lw_truth t = cmp_truth(op, &v, &r->k);
            if (t != LW_UNKNOWN && (t == LW_TRUE) == want)
                return LW_TRUE;
            int o = want ? op : xop_negate(op);
            buf_printf(b, "%s %s ", pb->facts[l->slot].path, op_text(o));
            put_val(b, pb, &r->k);
            buf_puts(b, " (now ");
            put_val(b, pb, &v);
            buf_putc(b, ')');
            return LW_FALSE;
        }
        break;
    }
    case X_IN_SET:
    case X_IN_RANGE:
        if (e->args[0]->op == X_FACT) {
            val v = fact_now(F, e->args[0]->slot);
            lw_truth t = LW_UNKNOWN;
            if (v.t != V_MISSING) {
                if (e->op == X_IN_RANGE) {
                    lw_truth lo = cmp_truth(X_GE, &v, &e->args[1]->k);
                    lw_truth hi = cmp_truth(X_LE, &v, &e->args[2]->k);
                    t = lo == LW_TRUE && hi == LW_TRUE ? LW_TRUE
                        : lo == LW_UNKNOWN || hi == LW_UNKNOWN ? LW_UNKNOWN : LW_FALSE;
                } else {
                    t = LW_FALSE;
                    for (size_t i = 1; i < e->n; i++)
                        if (cmp_truth(X_EQ, &v, &e->args[i]->k) == LW_TRUE)
                            t = LW_TRUE;
                }
            }
            if (t != LW_UNKNOWN && (t == LW_TRUE) == want)
                return LW_TRUE;
            if (!want)
                buf_puts(b, "not ");
            print_expr(b, pb, e, 0);
            buf_puts(b, " (now ");
            put_val(b, pb, &v);
            buf_putc(b, ')');
            return LW_FALSE;
        }
        break;
    default:
        break;
    }
    if (e->op == X_LUA) {
        buf_puts(b, "a Lua script decides this: cannot tell which facts would change it");
        return LW_UNKNOWN;
    }
    /* Anything else: show the condition and the facts it reads. */
    if (!want)
        buf_puts(b, "not ");
    print_expr(b, pb, e, want ? 0 : 4);
    bool first = true;
    facts_now(F, b, e, &first);
    if (!first)
        buf_putc(b, ')');
    return LW_UNKNOWN;
}

/* ======================================================================
** lw_flip
*/
typedef struct flips {
    lw_flip_item *items;
    size_t n, cap;
    arena *a;
} flips;

static void item(flips *L, const char *kind, const char *rule, pos at, const char *change)
{
    if (L->n == L->cap)
        return;
    lw_flip_item *f = &L->items[L->n++];
    f->kind = kind;
    f->rule = rule;
    f->file = at.file;
    f->line = at.line;
    f->change = change ? change : ""; /* "" when out of memory */
}

/* A rule that did not fire: every part that has to change, joined by "and"
** -- its window (`closed`: not in force on the case's date, or NULL), its
** channels (the case's is not among them, or NULL), and what its condition
** needs. Not added when nothing has to change: something else kept it from
** firing. */
static void add(flips *L, fx *F, const char *kind, const char *rule, pos at, const char *closed,
                const char *channels, const expr *cond)
{
    strbuf b, c;
    lw_mem m = L->a->mem;
    buf_init(&b, &m);
    buf_init(&c, &m);
    F->role_part = F->other_part = false;
    if (closed)
        buf_puts(&b, closed);
    if (channels) {
        buf_puts(&b, b.len ? " and " : "");
        buf_puts(&b, channels);
    }
    if (cond && need(F, &c, cond, true) != LW_TRUE && c.p) {
        buf_puts(&b, b.len ? " and " : "");
        buf_puts(&b, c.p);
    }
    if (b.len && !closed && !channels && F->role_part && !F->other_part)
        buf_puts(&b, " -- only a different role would change this");
    if (b.len)
        item(L, kind, rule, at, arena_strndup(L->a, b.p, b.len));
    buf_free(&b);
    buf_free(&c);
}

static bool window_open(const lw_playbook *pb, const lw_case *c, const window *w)
{
    if (!w->has_from && !w->has_until)
        return true;
    if (pb->f_date < 0 || c->slots[pb->f_date].t != V_DATE)
        return true; /* today: assume the rule is in force */
    int64_t d = c->slots[pb->f_date].u.i;
    return (!w->has_from || d >= w->from) && (!w->has_until || d < w->until);
}

/* "channel in [store, phone] (now web)", or NULL when the case's channel is
** one of the rule's (or the rule is for every channel). */
static const char *channels_text(arena *a, fx *F, uint64_t mask)
{
    const lw_playbook *pb = F->pb;
    if (!mask || pb->f_channel < 0)
        return NULL;
    val now = fact_now(F, pb->f_channel);
    if (now.t != V_ENUM || ((mask >> now.idx) & 1))
        return NULL;
    const enumset *set = pb->facts[pb->f_channel].set;
    strbuf b;
    lw_mem m = a->mem;
    buf_init(&b, &m);
    buf_puts(&b, "channel in [");
    bool first = true;
    for (size_t i = 0; i < set->n; i++)
        if ((mask >> i) & 1) {
            buf_puts(&b, first ? "" : ", ");
            buf_puts(&b, set->words[i]);
            first = false;
        }
    buf_printf(&b, "] (now %s)", set->words[now.idx]);
    const char *out = b.p ? arena_strndup(a, b.p, b.len) : "";
    buf_free(&b);
    return out;
}

/* "date >= 2026-09-01 (now 2026-08-01)", or NULL when the rule is in force
** on the case's date. */
static const char *window_text(arena *a, const lw_playbook *pb, const lw_case *c,
                               const window *w)
{
    if (window_open(pb, c, w))
        return NULL;
    char from[32] = "", until[32] = "", now[32] = "";
    if (w->has_from)
        date_format(w->from, from, sizeof from);
    if (w->has_until)
        date_format(w->until, until, sizeof until);
    date_format(c->slots[pb->f_date].u.i, now, sizeof now);
    return arena_printf(a, "date%s%s%s%s (now %s)", w->has_from ? " >= " : "", from,
                        w->has_from && w->has_until ? " and date < " : w->has_until ? " < " : "",
                        until, now);
}

/* The acting role, as the decision took it: opt's, else the case's. */
static const char *acting_role(fx *F, const lw_decide_options *opt)
{
    if (opt && opt->role)
        return opt->role;
    if (F->pb->f_role < 0)
        return NULL;
    val v = fact_now(F, F->pb->f_role);
    return v.t == V_ROLE ? F->pb->roles[v.idx].id : NULL;
}

static pos role_at(const lw_playbook *pb, const char *id, pos otherwise)
{
    for (size_t i = 0; id && i < pb->n_roles; i++)
        if (strcmp(pb->roles[i].id, id) == 0)
            return pb->roles[i].at;
    return otherwise;
}

/* Answers that only a different role would change: a policy escalated
** because its exception needs more authority, goodwill beyond the acting
** role's limit. */
static void add_authority(flips *L, fx *F, const lw_decision *d, const lw_decide_options *opt)
{
    const lw_playbook *pb = F->pb;
    const char *role = acting_role(F, opt);
    const char *acting = role ? arena_printf(L->a, "acting as %s", role)
                              : "no acting role is set";
    for (size_t k = 0; k < d->n_policies; k++) {
        const lw_policy_result *r = &d->policies[k];
        if (!r->needs_role)
            continue;
        pos at = {NULL, 0, 0};
        for (size_t i = 0; i < pb->n_policies; i++)
            if (pb->policies[i].id == r->id)
                at = pb->policies[i].at;
        item(L, "authority", r->id, role_at(pb, r->needs_role, at),
             arena_printf(L->a, "only a different role would change this: the exception %s "
                                "needs %s or above to apply it (now %s)",
                          r->exception, r->needs_role, acting));
    }
    const lw_goodwill_result *g = &d->goodwill;
    if (!g->within_authority && pb->n_roles) {
        const char *needs = g->needs_role ? g->needs_role : pb->roles[pb->n_roles - 1].id;
        char amount[64], limit[64];
        lw_money_format(g->amount, 1, amount, sizeof amount);
        lw_money_format(g->limit, 1, limit, sizeof limit);
        const char *now = role ? arena_printf(L->a, "%s, who may grant up to %s", acting, limit)
                               : acting;
        item(L, "authority", "goodwill", role_at(pb, needs, pb->roles[0].at),
             arena_printf(L->a, "only a different role would change this: %s of goodwill "
                                "needs %s or above (now %s)",
                          amount, needs, now));
    }
}

int lw_flip(lw_engine *e, const lw_playbook *pb, const lw_case *c, const lw_decide_options *opt,
            const lw_flip_item **items, size_t *n)
{
    if (items)
        *items = NULL;
    if (n)
        *n = 0;
    if (!e || !pb || !c || !items || !n || c->pb != pb)
        return LW_ERR_ARG;
    const lw_decision *d;
    int rc = lw_decide(e, pb, c, opt, &d);
    if (rc != LW_OK)
        return rc;
    fx F = {pb, c, false, false};
    size_t cap = pb->n_trace_max + pb->n_policies + 2;
    flips L = {arena_alloc(&e->a, cap * sizeof(lw_flip_item)), 0, cap, &e->a};
    if (!L.items)
        return LW_ERR_NOMEM;
    if (d->n_problems) {
        *items = L.items;
        return LW_OK;
    }
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        const lw_policy_result *r = NULL;
        for (size_t k = 0; k < d->n_policies; k++)
            if (d->policies[k].id == p->id)
                r = &d->policies[k];
        if (!r) {
            add(&L, &F, "policy", p->id, p->at, window_text(&e->a, pb, c, &p->eff),
                channels_text(&e->a, &F, p->channels), p->applies);
            continue;
        }
        for (size_t k = 0; k < p->n_exc; k++) {
            const exception_rule *x = &p->exc[k];
            if (r->exception == x->id)
                break;
            add(&L, &F, "exception", x->id, x->at, window_text(&e->a, pb, c, &x->eff), NULL,
                x->when);
        }
    }
    for (size_t i = 0; i < pb->n_steps; i++) {
        const step_rule *st = &pb->steps[i];
        bool fired = false;
        for (size_t k = 0; k < d->goodwill.n_steps; k++)
            fired |= d->goodwill.steps[k].id == st->id;
        if (fired)
            continue;
        const char *closed = window_text(&e->a, pb, c, &st->eff);
        if (st->when || closed)
            add(&L, &F, "goodwill", st->id, st->at, closed, NULL, st->when);
        else if (st->kind == STEP_CAP || st->kind == STEP_FLOOR)
            item(&L, "goodwill", st->id, st->at,
                 st->kind == STEP_CAP ? "the amount is above the cap"
                                      : "the amount is below the floor");
    }
    for (size_t i = 0; i < pb->n_promises; i++) {
        const promise_rule *p = &pb->promises[i];
        bool made = false;
        for (size_t k = 0; k < d->n_promises; k++)
            made |= d->promises[k].id == p->id;
        if (!made && p->when)
            add(&L, &F, "promise", p->id, p->at, NULL, NULL, p->when);
    }
    add_authority(&L, &F, d, opt);
    *items = L.items;
    *n = L.n;
    return LW_OK;
}
