/*
** decide.c -- engines and the decision procedure of docs/playbook-format.md §5-§7, §11.
**
** Order: policies in force and their exceptions (against the acting role),
** the overall outcome, the outputs goodwill steps read, the goodwill
** pipeline, cumulative limits, authority, the other outputs, promises.
** Everything a decision holds lives in the engine's arena, which is reset at
** the start of the next decision: after the first few decisions, deciding
** allocates nothing.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* ======================================================================
** Engines and coverage
*/
lw_engine *lw_engine_new(const lw_options *opt)
{
    lw_mem m;
    lw_mem_init(&m, opt);
    lw_engine *e = lw_mem_alloc(&m, sizeof *e);
    if (!e)
        return NULL;
    memset(e, 0, sizeof *e);
    e->mem = m;
    /* any refusal (the embedded Lua's too) marks the decision in progress as
    ** out of memory, like a failure in its arena, which each decision resets */
    e->mem.refused = &e->a.failed;
    lw_options_init(&e->opt);
    if (opt)
        e->opt = *opt;
    arena_init(&e->a, &e->mem);
    buf_init(&e->json, &e->mem);
    buf_init(&e->log, &e->mem);
    return e;
}

void lw_engine_free(lw_engine *e)
{
    if (!e)
        return;
    lua_engine_free(e);
    arena_free(&e->a);
    buf_free(&e->json);
    buf_free(&e->log);
    lw_mem_free(&e->mem, e->cov, e->cov_n);
    lw_mem_free(&e->mem, e->cov_list, e->cov_list_n * sizeof *e->cov_list);
    lw_mem m = e->mem;
    lw_mem_free(&m, e, sizeof *e);
}

void lw_engine_coverage(lw_engine *e, int on)
{
    if (!e)
        return;
    e->cov_on = on != 0;
    if (e->cov)
        memset(e->cov, 0, e->cov_n);
    e->cov_pb = NULL;
}

void coverage_mark(lw_engine *e, const lw_playbook *pb, int idx)
{
    if (LW_LIKELY(!e->cov_on))
        return;
    if (e->cov_pb != pb) {
        lw_mem_free(&e->mem, e->cov, e->cov_n);
        e->cov_n = pb->n_cov ? pb->n_cov : 1;
        e->cov = lw_mem_alloc(&e->mem, e->cov_n);
        if (!e->cov) {
            e->cov_n = 0;
            e->cov_pb = NULL;
            return;
        }
        memset(e->cov, 0, e->cov_n);
        e->cov_pb = pb;
    }
    if (idx >= 0 && (size_t)idx < e->cov_n)
        e->cov[idx] = 1;
}

size_t lw_coverage_unreached(lw_engine *e, const lw_playbook *pb, const char *const **names)
{
    if (!e || !pb || !names)
        return 0;
    lw_mem_free(&e->mem, e->cov_list, e->cov_list_n * sizeof *e->cov_list);
    e->cov_list_n = pb->n_cov ? pb->n_cov : 1;
    e->cov_list = lw_mem_alloc(&e->mem, e->cov_list_n * sizeof *e->cov_list);
    if (!e->cov_list) {
        e->cov_list_n = 0;
        *names = NULL;
        return 0;
    }
    size_t n = 0;
    for (size_t i = 0; i < pb->n_cov; i++)
        if (e->cov_pb != pb || !e->cov[i])
            e->cov_list[n++] = pb->cov_names[i];
    *names = e->cov_list;
    return n;
}

/* ======================================================================
** Decision state
*/
typedef struct dstate {
    eval_ctx x;
    lw_decision *d;
    bool trace;
    uint8_t *missing_seen;
    const char **missing;
    lw_trace_entry *trace_buf;
    const char *lang;
    int64_t date;
    bool has_date;
} dstate;

#define DS(x) ((dstate *)(x))

void eval_error(eval_ctx *x, pos at, const char *fmt, ...)
{
    lw_decision *d = x->d;
    if (d->n_errors == x->cap_errors) {
        size_t cap = x->cap_errors ? x->cap_errors * 2 : 8;
        lw_error_entry *p = arena_alloc(x->a, cap * sizeof *p);
        if (!p)
            return;
        if (d->n_errors)
            memcpy(p, x->errors, d->n_errors * sizeof *p);
        x->errors = p;
        x->cap_errors = cap;
        d->errors = p;
    }
    va_list ap;
    va_start(ap, fmt);
    lw_error_entry *err = &x->errors[d->n_errors];
    err->rule = x->rule;
    err->file = at.file ? at.file : x->pb->file;
    err->line = at.line;
    err->column = at.col;
    err->message = arena_vprintf(x->a, fmt, ap);
    va_end(ap);
    if (err->message) /* messages quote scripts and cases: keep them UTF-8 and short */
        err->message = text_clean(x->a, err->message, 1000);
    if (err->message)
        d->n_errors++;
}

void eval_keep_missing(eval_ctx *x, size_t mark)
{
    dstate *s = DS(x);
    for (size_t i = mark; i < x->n_pending; i++) {
        int32_t f = x->pending[i];
        if (!s->missing_seen[f]) {
            s->missing_seen[f] = 1;
            s->missing[s->d->n_missing++] = x->pb->facts[f].path;
        }
    }
    x->n_pending = mark;
}

static void add_missing_fact(dstate *s, int f)
{
    if (f >= 0 && !s->missing_seen[f]) {
        s->missing_seen[f] = 1;
        s->missing[s->d->n_missing++] = s->x.pb->facts[f].path;
    }
}

lw_truth cond_eval(eval_ctx *x, const expr *e)
{
    if (!e)
        return LW_TRUE;
    size_t mark = x->n_pending, settled = x->n_settled;
    val v = expr_eval(x, e);
    if (v.t == V_BOOL) {
        x->n_pending = mark;
        return v.u.b ? LW_TRUE : LW_FALSE;
    }
    if (v.t == V_MISSING) {
        /* a fact is asked for only if knowing it could make the condition hold */
        if (eval_may_hold(x, e, v, mark, settled))
            eval_keep_missing(x, mark);
        else
            x->n_pending = mark;
    } else {
        x->n_pending = mark;
        if (v.t != V_ERROR) /* a library function gave something else than true/false */
            eval_error(x, e->at, "this condition gave %s, not true or false",
                       ttype_name(v.t == V_NUM ? T_NUM : v.t == V_STR ? T_STR : T_ANY));
    }
    return LW_UNKNOWN;
}

/* A value (not a condition): unknown values report their missing facts. */
static val value_eval(eval_ctx *x, const expr *e)
{
    size_t mark = x->n_pending;
    val v = expr_eval(x, e);
    if (v.t == V_MISSING)
        eval_keep_missing(x, mark);
    else
        x->n_pending = mark;
    return v;
}

static void trace_add(dstate *s, const char *kind, const char *rule, lw_truth r, pos at)
{
    if (!s->trace || s->d->n_trace >= s->x.pb->n_trace_max)
        return;
    lw_trace_entry *t = &s->trace_buf[s->d->n_trace++];
    t->kind = kind;
    t->rule = rule;
    t->result = r;
    t->file = at.file;
    t->line = at.line;
}

static bool in_window(dstate *s, const window *w)
{
    if (!w->has_from && !w->has_until)
        return true;
    if (!s->has_date)
        return false;
    return (!w->has_from || s->date >= w->from) && (!w->has_until || s->date < w->until);
}

/* ======================================================================
** Messages
*/
const tmpl *pick_lang(const ltext *m, const char *lang, const char *fallback)
{
    if (m->n == 0)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->lang[i], lang) == 0)
            return &m->text[i];
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->lang[i], fallback) == 0)
            return &m->text[i];
    return &m->text[0];
}

static const char *render(dstate *s, const ltext *m)
{
    const tmpl *t = pick_lang(m, s->lang, s->x.pb->locale);
    if (!t)
        return NULL;
    if (t->n == 1 && !t->parts[0].e)
        return t->parts[0].lit;
    /* render through a stack buffer, then copy into the arena */
    char stack[1024];
    size_t len = 0;
    char *out = stack;
    size_t cap = sizeof stack;
    for (size_t i = 0; i < t->n; i++) {
        const char *p;
        size_t n;
        char tmp[256];
        if (t->parts[i].e) {
            size_t mark = s->x.n_pending;
            val v = expr_eval(&s->x, t->parts[i].e);
            s->x.n_pending = mark;
            if (v.t <= V_ERROR) {
                p = "?";
                n = 1;
            } else {
                n = val_format(s->x.pb, &v, tmp, sizeof tmp);
                if (n >= sizeof tmp)
                    n = sizeof tmp - 1;
                p = tmp;
            }
        } else {
            p = t->parts[i].lit;
            n = t->parts[i].len;
        }
        if (len + n + 1 > cap) {
            size_t ncap = (len + n + 1) * 2;
            char *q = arena_alloc(s->x.a, ncap);
            if (!q)
                return NULL;
            memcpy(q, out, len);
            out = q;
            cap = ncap;
        }
        memcpy(out + len, p, n);
        len += n;
    }
    return arena_strndup(s->x.a, out, len);
}

/* ======================================================================
** Policies (§5)
*/
static int outcome_rank(const lw_playbook *pb, int o)
{
    return pb->outcomes[o].rank;
}

static void decide_policies(dstate *s, int role, int channel, int *overall)
{
    eval_ctx *x = &s->x;
    const lw_playbook *pb = x->pb;
    lw_decision *d = s->d;
    lw_policy_result *res = (lw_policy_result *)d->policies;
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        x->policy_out[i] = POLICY_OUT_NONE;
        if (!in_window(s, &p->eff))
            continue;
        x->rule = p->id;
        if (p->channels && channel >= 0 && !((p->channels >> channel) & 1))
            continue;
        lw_truth t = cond_eval(x, p->applies);
        if (t == LW_TRUE && p->channels && channel < 0) {
            /* it would apply, but only on some channels: the channel matters */
            add_missing_fact(s, pb->f_channel);
            t = LW_UNKNOWN;
        }
        trace_add(s, "policy", p->id, t, p->at);
        coverage_mark(x->e, pb, p->cov);
        if (t == LW_UNKNOWN)
            x->policy_out[i] = POLICY_OUT_UNKNOWN;
        if (t != LW_TRUE)
            continue;
        lw_policy_result *r = &res[d->n_policies++];
        memset(r, 0, sizeof *r);
        r->id = p->id;
        int outcome = p->outcome;
        const exception_rule *chosen = NULL;
        for (size_t k = 0; k < p->n_exc; k++) {
            const exception_rule *ex = &p->exc[k];
            if (!in_window(s, &ex->eff))
                continue;
            x->rule = ex->id;
            lw_truth w = cond_eval(x, ex->when);
            trace_add(s, "exception", ex->id, w, ex->at);
            if (w == LW_TRUE) {
                chosen = ex;
                coverage_mark(x->e, pb, ex->cov);
                break;
            }
        }
        int escalate_to = p->escalate_to;
        if (chosen) {
            r->exception = chosen->id;
            r->discretionary = chosen->discretionary;
            r->requires = chosen->requires;
            r->n_requires = chosen->n_requires;
            if (chosen->escalate_to >= 0)
                escalate_to = chosen->escalate_to;
            if (!chosen->discretionary) {
                outcome = chosen->outcome;
            } else if (chosen->overriders >= 0 && role >= chosen->overriders) {
                outcome = chosen->outcome;
            } else {
                /* the escalation goes to the lowest role that may apply it */
                outcome = OUT_ESCALATE;
                escalate_to = chosen->overriders;
                r->needs_role = chosen->overriders >= 0 ? pb->roles[chosen->overriders].id
                                                        : NULL;
                if (role < 0)
                    add_missing_fact(s, pb->f_role);
            }
            r->reason = render(s, chosen->reason.n ? &chosen->reason : &p->reason);
            r->say = render(s, &chosen->say);
        } else {
            r->reason = render(s, &p->reason);
            r->say = render(s, &p->say);
        }
        r->outcome = pb->outcomes[outcome].word;
        if (outcome == OUT_ESCALATE && escalate_to >= 0)
            r->escalate_to = pb->roles[escalate_to].id;
        x->policy_out[i] = outcome;
        if (*overall < 0 || outcome_rank(pb, outcome) > outcome_rank(pb, *overall))
            *overall = outcome;
    }
}

/* ======================================================================
** Goodwill (§6)
*/
static lw_money pub_money(int64_t fine, int cur)
{
    const currency_def *c = money_currency_at(cur);
    lw_money m = {money_to_minor(fine), c->code, c->digits};
    return m;
}

/* Goodwill is never below zero: a pipeline that ends there (a check-out
** before the check-in, a credit larger than the base) is an error entry that
** names the step that took it below zero, and no goodwill is granted. */
static void goodwill_below_zero(dstate *s, const step_rule *st, int cur)
{
    eval_ctx *x = &s->x;
    char amount[64];
    money_format(money_to_minor(x->amount.u.i), cur, true, amount, sizeof amount);
    x->rule = st->id;
    eval_error(x, st->at, "the goodwill came out below zero (%s): step '%s' took it below "
                          "zero, so no goodwill is granted; check the facts it uses, or add "
                          "a step floor: 0 if below zero should mean none",
               amount, st->id);
    x->amount.u.i = 0;
}

static void decide_goodwill(dstate *s, int role)
{
    eval_ctx *x = &s->x;
    const lw_playbook *pb = x->pb;
    lw_goodwill_result *g = &s->d->goodwill;
    int cur = pb->cur >= 0 ? pb->cur : 0;
    memset(&x->amount, 0, sizeof x->amount);
    x->amount.t = V_MONEY;
    x->amount.cur = (uint8_t)cur;
    lw_step_result *steps = (lw_step_result *)g->steps;
    lw_cap_result *caps = (lw_cap_result *)g->capped_by;
    const step_rule *made_negative = NULL; /* the step that took the amount below zero */
    for (size_t i = 0; i < pb->n_steps; i++) {
        const step_rule *st = &pb->steps[i];
        if (!in_window(s, &st->eff))
            continue;
        x->rule = st->id;
        if (st->when) {
            lw_truth w = cond_eval(x, st->when);
            trace_add(s, "goodwill", st->id, w, st->at);
            if (w != LW_TRUE)
                continue;
        }
        int row = 0;
        const char *row_id = NULL;
        val v;
        size_t missing_before = s->d->n_missing;
        if (st->kind == STEP_TABLE) {
            size_t mark = x->n_pending;
            v = table_eval(x, st->tab, &row, &row_id);
            eval_keep_missing(x, mark); /* facts that left rows unknown, if they mattered */
        } else {
            v = value_eval(x, st->arg);
        }
        if (v.t != V_MONEY && v.t != V_NUM) {
            if (!st->when)
                trace_add(s, "goodwill", st->id,
                          s->d->n_missing > missing_before ? LW_UNKNOWN : LW_FALSE, st->at);
            continue;
        }
        int64_t before = x->amount.u.i, after = before;
        const char *err = NULL;
        switch (st->kind) {
        case STEP_TABLE:
        case STEP_AMOUNT:
            after = v.u.i;
            break;
        case STEP_ADD:
            if (__builtin_add_overflow(before, v.u.i, &after))
                err = "money overflow: the amount is too large";
            break;
        case STEP_MULTIPLY:
            err = money_mul(before, v.u.n, &after);
            break;
        case STEP_CAP:
            after = before < v.u.i ? before : v.u.i;
            break;
        case STEP_FLOOR:
            after = before > v.u.i ? before : v.u.i;
            break;
        case STEP_ROUND:
            if (v.u.i <= 0)
                err = "the rounding step must be more than zero";
            else
                after = money_round_step(before, v.u.i);
            break;
        }
        if (err) {
            eval_error(x, st->at, "%s", err);
            continue;
        }
        /* a bound that does not bite has not fired */
        if ((st->kind == STEP_CAP || st->kind == STEP_FLOOR) && after == before) {
            if (!st->when)
                trace_add(s, "goodwill", st->id, LW_FALSE, st->at);
            continue;
        }
        if (!st->when)
            trace_add(s, "goodwill", st->id, LW_TRUE, st->at);
        coverage_mark(x->e, pb, st->cov);
        if (after < 0 && (before >= 0 || st->kind == STEP_TABLE || st->kind == STEP_AMOUNT))
            made_negative = st;
        x->amount.u.i = after;
        lw_step_result *r = &steps[g->n_steps++];
        r->id = st->id;
        r->amount = pub_money(after, cur);
        r->row = row;
        r->row_id = row_id;
    }
    /* the pipeline is exact; its result is rounded once, to the minor unit */
    x->amount.u.i = money_to_minor(x->amount.u.i) * MONEY_FINE;
    if (x->amount.u.i < 0 && made_negative)
        goodwill_below_zero(s, made_negative, cur);
    /* cumulative limits (§6.3) */
    for (size_t i = 0; i < pb->n_limits; i++) {
        const limit_rule *l = &pb->limits[i];
        x->rule = l->id;
        val cap = value_eval(x, l->cap);
        val used = l->used ? value_eval(x, l->used) : (val){0};
        if (cap.t != V_MONEY || (l->used && used.t != V_MONEY))
            continue;
        int64_t remaining = cap.u.i - (l->used ? used.u.i : 0);
        if (remaining < 0)
            remaining = 0;
        remaining = money_to_minor(remaining) * MONEY_FINE;
        trace_add(s, "limit", l->id, x->amount.u.i > remaining ? LW_TRUE : LW_FALSE, l->at);
        if (x->amount.u.i > remaining) {
            lw_cap_result *c = &caps[g->n_capped++];
            c->id = l->id;
            c->by = pub_money(x->amount.u.i - remaining, cur);
            x->amount.u.i = remaining;
        }
    }
    /* authority (§6.2) */
    int64_t amount = x->amount.u.i;
    g->needs_role = NULL;
    x->goodwill_needs_role = -1;
    bool any_limit = false;
    for (size_t r = 0; r < pb->n_roles; r++)
        any_limit |= pb->roles[r].has_limit;
    if (!any_limit) {
        g->within_authority = 1; /* no goodwill_limit anywhere: authority is not modelled */
    } else {
        int covering = -1;
        for (size_t r = 0; r < pb->n_roles; r++)
            if (pb->roles[r].has_limit && pb->roles[r].limit >= amount) {
                covering = (int)r;
                break;
            }
        if (covering < 0 && amount > 0) {
            const role_def *top = &pb->roles[pb->n_roles - 1];
            lw_cap_result *c = &caps[g->n_capped++];
            c->id = "top_role_limit";
            c->by = pub_money(amount - top->limit, cur);
            amount = top->limit;
            g->over_top = 1;
        }
        if (role >= 0) {
            g->limit = pub_money(pb->roles[role].limit, cur);
            g->within_authority = amount <= pb->roles[role].limit;
        } else {
            /* no acting role: within authority only if every role may grant it */
            g->within_authority = amount == 0 || covering == 0;
            if (!g->within_authority)
                add_missing_fact(s, pb->f_role);
        }
        if (!g->within_authority && covering >= 0) {
            g->needs_role = pb->roles[covering].id;
            x->goodwill_needs_role = covering;
        }
    }
    g->amount = pub_money(amount, cur);
    x->amount.u.i = amount;
    x->goodwill_amount = x->amount;
    x->goodwill_done = true;
}

/* ======================================================================
** Outputs and promises (§6.4, §7)
*/
/* The outputs goodwill steps read (early) or the others, in the order written. */
static void decide_outputs(dstate *s, bool early)
{
    eval_ctx *x = &s->x;
    const lw_playbook *pb = x->pb;
    lw_output_result *res = (lw_output_result *)s->d->outputs;
    for (size_t i = 0; i < pb->n_outputs; i++) {
        const output_rule *o = &pb->outputs[i];
        if (o->early != early)
            continue;
        x->rule = o->name;
        val v;
        memset(&v, 0, sizeof v);
        lw_truth w = cond_eval(x, o->when);
        if (o->when)
            trace_add(s, "output", o->name, w, o->at);
        if (w == LW_TRUE) {
            coverage_mark(x->e, pb, o->cov);
            if (o->tab) {
                int row;
                const char *row_id;
                size_t mark = x->n_pending;
                v = table_eval(x, o->tab, &row, &row_id);
                eval_keep_missing(x, mark); /* facts that left rows unknown, if they mattered */
            } else {
                v = value_eval(x, o->value);
                if (o->value->type == T_ANY && o->type != T_ANY && !val_is(&v, o->type)) {
                    /* a library function's result, for a typed output */
                    eval_error(x, o->at, "the output '%s' is declared as %s, but its value is "
                                         "not",
                               o->name, ttype_name(o->type));
                    v.t = V_ERROR;
                }
            }
        }
        if (v.t == V_ERROR)
            v.t = V_MISSING;
        if (w == LW_FALSE)
            v.idx = SETTLED; /* no value, whatever the missing facts are */
        x->outputs[i] = v;
        x->output_ready[i] = 1;
        res[i].name = o->name;
        val_to_public(pb, &v, &res[i].value, x->a);
    }
    s->d->n_outputs = pb->n_outputs;
}

static void decide_promises(dstate *s)
{
    eval_ctx *x = &s->x;
    const lw_playbook *pb = x->pb;
    lw_promise_result *res = (lw_promise_result *)s->d->promises;
    for (size_t i = 0; i < pb->n_promises; i++) {
        const promise_rule *p = &pb->promises[i];
        x->rule = p->id;
        lw_truth w = cond_eval(x, p->when);
        trace_add(s, "promise", p->id, w, p->at);
        if (w != LW_TRUE)
            continue;
        coverage_mark(x->e, pb, p->cov);
        lw_promise_result *r = &res[s->d->n_promises++];
        r->id = p->id;
        r->due = p->has_due ? p->due_text : NULL;
        r->text = render(s, &p->text);
    }
}

/* ======================================================================
** lw_decide
*/
static int role_by_name(const lw_playbook *pb, const char *name)
{
    for (size_t i = 0; i < pb->n_roles; i++)
        if (strcmp(pb->roles[i].id, name) == 0)
            return (int)i;
    return -1;
}

int lw_decide(lw_engine *e, const lw_playbook *pb, const lw_case *c,
              const lw_decide_options *opt, const lw_decision **out)
{
    if (out)
        *out = NULL;
    if (!e || !pb || !c || !out || c->pb != pb)
        return LW_ERR_ARG;
    arena_reset(&e->a);
    e->serial++;
    arena *a = &e->a;
    lw_decision *d = &e->d;
    memset(d, 0, sizeof *d);
    d->playbook = pb->id;
    d->version = pb->version;
    d->digest = pb->digest;

    dstate s;
    memset(&s, 0, sizeof s);
    s.d = d;
    s.trace = opt && opt->trace;
    eval_ctx *x = &s.x;
    x->d = d;
    x->e = e;
    x->pb = pb;
    x->c = c;
    x->a = a;
    x->slots = c->slots;

    size_t nf = pb->n_facts ? pb->n_facts : 1;
    s.missing_seen = arena_alloc(a, nf);
    s.missing = arena_alloc(a, nf * sizeof *s.missing);
    d->policies = arena_alloc(a, (pb->n_policies ? pb->n_policies : 1) *
                                     sizeof *d->policies);
    d->goodwill.steps = arena_alloc(a, (pb->n_steps ? pb->n_steps : 1) *
                                           sizeof *d->goodwill.steps);
    d->goodwill.capped_by = arena_alloc(a, (pb->n_limits + 1) * sizeof *d->goodwill.capped_by);
    d->promises = arena_alloc(a, (pb->n_promises ? pb->n_promises : 1) *
                                     sizeof *d->promises);
    d->outputs = arena_alloc(a, (pb->n_outputs ? pb->n_outputs : 1) * sizeof *d->outputs);
    x->outputs = arena_alloc(a, (pb->n_outputs ? pb->n_outputs : 1) * sizeof *x->outputs);
    x->output_ready = arena_alloc(a, pb->n_outputs ? pb->n_outputs : 1);
    x->policy_out = arena_alloc(a, (pb->n_policies ? pb->n_policies : 1) *
                                       sizeof *x->policy_out);
    if (s.trace)
        s.trace_buf = arena_alloc(a, (pb->n_trace_max ? pb->n_trace_max : 1) *
                                         sizeof *s.trace_buf);
    if (a->failed)
        return LW_ERR_NOMEM;
    d->missing = s.missing;
    d->trace = s.trace_buf;
    d->goodwill.amount = pub_money(0, pb->cur >= 0 ? pb->cur : 0);

    /* the acting role_def */
    int role = -1;
    bool bad_role = false;
    if (opt && opt->role) {
        role = role_by_name(pb, opt->role);
        bad_role = role < 0;
    } else if (pb->f_role >= 0) {
        val rv = c->slots[pb->f_role];
        if (rv.t == V_MISSING && pb->facts[pb->f_role].has_default)
            rv = pb->facts[pb->f_role].def;
        if (rv.t == V_ROLE)
            role = rv.idx;
    }

    /* the case's date (default: the case's today, lw_case_set_as_of) */
    if (pb->f_date >= 0) {
        val dv = c->slots[pb->f_date];
        if (dv.t == V_MISSING && pb->facts[pb->f_date].has_default)
            dv = pb->facts[pb->f_date].def;
        if (dv.t == V_MISSING) {
            val *copy = arena_alloc(a, nf * sizeof *copy);
            if (!copy)
                return LW_ERR_NOMEM;
            memcpy(copy, c->slots, pb->n_facts * sizeof *copy);
            copy[pb->f_date].t = V_DATE;
            copy[pb->f_date].u.i = c->today;
            x->slots = copy;
            dv = copy[pb->f_date];
        }
        s.date = dv.t == V_DATE ? dv.u.i : c->today; /* a bad date: the case is invalid */
        s.has_date = true;
        x->now = s.date;
    } else {
        x->now = c->today;
    }
    /* as_of names the day when the decision can depend on it: through the
    ** date fact, or a script's clock */
    if (pb->f_date >= 0 || pb->n_scripts || pb->n_libs) {
        int64_t day = x->now - ((x->now % 86400) + 86400) % 86400;
        if (day != e->as_of_day || !e->as_of[0]) {
            date_format(day, e->as_of, sizeof e->as_of);
            e->as_of_day = day;
        }
        d->as_of = e->as_of;
    }

    if (c->n_problems || bad_role) {
        d->outcome = "invalid";
        size_t n = c->n_problems + bad_role;
        const char **p = arena_alloc(a, n * sizeof *p);
        if (!p)
            return LW_ERR_NOMEM;
        if (c->n_problems)
            memcpy(p, c->problems, c->n_problems * sizeof *p);
        if (bad_role)
            p[c->n_problems] = arena_printf(a, "role: '%s' is not a role of this playbook %s",
                                            opt->role,
                                            roles_hint(a, pb, opt->role, strlen(opt->role)));
        d->problems = p;
        d->n_problems = n;
        *out = d;
        return LW_OK;
    }

    s.lang = pb->locale;
    if (pb->f_locale >= 0) {
        val lv = x->slots[pb->f_locale];
        if (lv.t == V_MISSING && pb->facts[pb->f_locale].has_default)
            lv = pb->facts[pb->f_locale].def;
        if (lv.t == V_STR)
            s.lang = lv.u.s;
        else if (lv.t == V_ENUM)
            s.lang = lv.u.set->words[lv.idx];
    }
    int channel = -1;
    if (pb->f_channel >= 0) {
        val cv = x->slots[pb->f_channel];
        if (cv.t == V_MISSING && pb->facts[pb->f_channel].has_default)
            cv = pb->facts[pb->f_channel].def;
        if (cv.t == V_ENUM)
            channel = cv.idx;
    }

    int overall = -1;
    decide_policies(&s, role, channel, &overall);
    d->outcome = overall < 0 ? "allow" : pb->outcomes[overall].word;
    decide_outputs(&s, true);
    decide_goodwill(&s, role);
    decide_outputs(&s, false);
    decide_promises(&s);
    if (a->failed)
        return LW_ERR_NOMEM;
    *out = d;
    return LW_OK;
}
