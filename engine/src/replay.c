/*
** replay.c -- what a change of playbook does to many decisions: the
** comparison of a decision before and after, and the summary of a replay
** (counts, outcome transitions, the rules in changed decisions, goodwill
** before/after per currency, the first changed cases). `leeway replay`, the
** service and the PostgreSQL extension all summarise through here.
**
** A summary belongs to one thread; threads keep one each and merge them at
** the end (lw_replay_merge), so counting needs no lock.
*/
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Counters by name (outcomes, transitions, rules)
*/
typedef struct counter {
    char *key;
    uint64_t n;
    uint64_t stamp; /* the decision that last counted it: once per decision */
} counter;

typedef struct counters {
    counter *slot; /* open addressing; key NULL = empty */
    size_t cap, n;
} counters;

typedef struct currency_sum {
    char code[8];
    int digits;
    __int128 before, after, after_all;
} currency_sum;

typedef struct example {
    long line;
    char *case_json; /* NULL when no case was given */
    char *changes;   /* a JSON array of strings */
} example;

struct lw_replay {
    lw_mem mem;
    size_t max_examples;
    size_t cases, invalid, compared, changed;
    char oldest[16], newest[16];
    counters outcomes, transitions, by_rule;
    currency_sum *cur;
    size_t n_cur;
    example *ex; /* sorted by line */
    size_t n_ex;
    example *bad; /* invalid decisions: their problems, sorted by line */
    size_t n_bad;
    uint64_t serial;
    strbuf why, out;
    bool failed;
};

static uint32_t hash_str(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static char *dup_str(lw_replay *r, const char *s, size_t n)
{
    char *p = lw_mem_alloc(&r->mem, n + 1);
    if (!p) {
        r->failed = true;
        return NULL;
    }
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static void free_str(lw_replay *r, char *s)
{
    if (s)
        lw_mem_free(&r->mem, s, strlen(s) + 1);
}

static counter *counter_find(lw_replay *r, counters *m, const char *key)
{
    if (m->n * 2 + 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        counter *s = lw_mem_alloc(&r->mem, cap * sizeof *s);
        if (!s) {
            r->failed = true;
            return NULL;
        }
        memset(s, 0, cap * sizeof *s);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slot[i].key)
                for (size_t j = hash_str(m->slot[i].key) & (cap - 1);; j = (j + 1) & (cap - 1))
                    if (!s[j].key) {
                        s[j] = m->slot[i];
                        break;
                    }
        lw_mem_free(&r->mem, m->slot, m->cap * sizeof *m->slot);
        m->slot = s;
        m->cap = cap;
    }
    for (size_t j = hash_str(key) & (m->cap - 1);; j = (j + 1) & (m->cap - 1)) {
        if (!m->slot[j].key) {
            m->slot[j].key = dup_str(r, key, strlen(key));
            if (!m->slot[j].key)
                return NULL;
            m->n++;
            return &m->slot[j];
        }
        if (strcmp(m->slot[j].key, key) == 0)
            return &m->slot[j];
    }
}

/* Count key once for the decision being counted. */
static void count_once(lw_replay *r, counters *m, const char *key)
{
    counter *c = key ? counter_find(r, m, key) : NULL;
    if (c && c->stamp != r->serial) {
        c->stamp = r->serial;
        c->n++;
    }
}

static void counters_free(lw_replay *r, counters *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free_str(r, m->slot[i].key);
    lw_mem_free(&r->mem, m->slot, m->cap * sizeof *m->slot);
}

static int by_key(const void *a, const void *b)
{
    const counter *x = *(const counter *const *)a, *y = *(const counter *const *)b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* The counters, most frequent first (then by name); NULL when empty. The
** caller frees the array with lw_mem_free(n * sizeof(counter *)). */
static const counter **counters_sorted(lw_replay *r, const counters *m)
{
    if (!m->n)
        return NULL;
    const counter **v = lw_mem_alloc(&r->mem, m->n * sizeof *v);
    if (!v) {
        r->failed = true;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].key)
            v[k++] = &m->slot[i];
    qsort(v, k, sizeof *v, by_key);
    return v;
}

/* ======================================================================
** Comparing two decisions
*/
static bool same(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_money(lw_money a, lw_money b)
{
    return a.minor == b.minor && same(a.currency, b.currency);
}

/* A number exactly: from its text when it has one (a decision's, or a
** log's), else from its double. */
static const char *value_number(const lw_value *v, dec *d)
{
    return v->text ? dec_parse(v->text, strlen(v->text), d) : dec_from_double(v->number, d);
}

/* Values compare as a decision shows them: "29.99 EUR" read back from a log
** is the money value 29.99 EUR; numbers compare exactly. */
static bool same_value(const lw_value *a, const lw_value *b)
{
    bool a_num = a->type == LW_V_NUMBER, b_num = b->type == LW_V_NUMBER;
    dec da, db;
    if (a_num || b_num)
        return a_num && b_num && !value_number(a, &da) && !value_number(b, &db) &&
               dec_compare(da, db) == 0;
    if ((a->type == LW_V_NULL) != (b->type == LW_V_NULL) ||
        (a->type == LW_V_BOOL) != (b->type == LW_V_BOOL))
        return false;
    char ta[512], tb[512];
    size_t la = lw_value_format(a, ta, sizeof ta), lb = lw_value_format(b, tb, sizeof tb);
    if (la != lb)
        return false;
    if (la < sizeof ta)
        return memcmp(ta, tb, la) == 0;
    return same(a->text, b->text); /* long texts: compare them whole */
}

static bool same_requires(const lw_policy_result *a, const lw_policy_result *b)
{
    if (a->n_requires != b->n_requires)
        return false;
    for (size_t i = 0; i < a->n_requires; i++)
        if (!same(a->requires[i], b->requires[i]))
            return false;
    return true;
}

static bool same_policy(const lw_policy_result *a, const lw_policy_result *b)
{
    return same(a->outcome, b->outcome) && same(a->exception, b->exception) &&
           a->discretionary == b->discretionary && same(a->needs_role, b->needs_role) &&
           same(a->reason, b->reason) && same(a->say, b->say) && same_requires(a, b);
}

static const lw_policy_result *policy_in(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_policies; i++)
        if (same(d->policies[i].id, id))
            return &d->policies[i];
    return NULL;
}

static const lw_promise_result *promise_in(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_promises; i++)
        if (same(d->promises[i].id, id))
            return &d->promises[i];
    return NULL;
}

static const lw_output_result *output_in(const lw_decision *d, const char *name)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (same(d->outputs[i].name, name))
            return &d->outputs[i];
    return NULL;
}

/* One change, as a JSON string in the array r->why (when asked for). */
static void why(lw_replay *r, bool on, const char *fmt, ...) LW_PRINTF(3, 4);
static void why(lw_replay *r, bool on, const char *fmt, ...)
{
    if (!on)
        return;
    char tmp[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (r->why.len > 1) /* after the '[' */
        buf_putc(&r->why, ',');
    json_str(&r->why, tmp);
}

static const char *policy_words(const lw_policy_result *p, char *buf, size_t size)
{
    if (!p)
        snprintf(buf, size, "not in force");
    else if (p->exception)
        snprintf(buf, size, "%s by exception %s", p->outcome, p->exception);
    else
        snprintf(buf, size, "%s", p->outcome);
    return buf;
}

static const char *authority_words(const lw_goodwill_result *g, char *buf, size_t size)
{
    if (g->within_authority)
        snprintf(buf, size, "within the role's authority");
    else
        snprintf(buf, size, "needs %s", g->needs_role ? g->needs_role : "a higher role");
    return buf;
}

/* Whether b and a differ (docs/playbook-guide.md Part 3: what counts as changed); with
** explain, each difference goes to r->why. */
static bool differs(lw_replay *r, const lw_decision *b, const lw_decision *a, bool explain)
{
    bool changed = false;
    char x[160], y[160];
    if (!same(b->outcome, a->outcome)) {
        changed = true;
        why(r, explain, "outcome: %s -> %s", b->outcome, a->outcome);
    }
    for (size_t i = 0; i < b->n_policies; i++) {
        const lw_policy_result *pb = &b->policies[i], *pa = policy_in(a, pb->id);
        if (pa && same_policy(pb, pa))
            continue;
        changed = true;
        if (!pa || !same(pa->outcome, pb->outcome) || !same(pa->exception, pb->exception))
            why(r, explain, "policy %s: %s -> %s", pb->id, policy_words(pb, x, sizeof x),
                policy_words(pa, y, sizeof y));
        else
            why(r, explain, "policy %s: %s%s%s%s%schanged", pb->id,
                !same(pb->reason, pa->reason) ? "reason " : "",
                !same(pb->say, pa->say) ? "say " : "",
                !same(pb->needs_role, pa->needs_role) ? "needs_role " : "",
                pb->discretionary != pa->discretionary ? "discretionary " : "",
                !same_requires(pb, pa) ? "requires " : "");
    }
    for (size_t i = 0; i < a->n_policies; i++)
        if (!policy_in(b, a->policies[i].id)) {
            changed = true;
            why(r, explain, "policy %s: not in force -> %s", a->policies[i].id,
                policy_words(&a->policies[i], y, sizeof y));
        }
    const lw_goodwill_result *gb = &b->goodwill, *ga = &a->goodwill;
    if (!same_money(gb->amount, ga->amount)) {
        changed = true;
        lw_money_format(gb->amount, 1, x, sizeof x);
        lw_money_format(ga->amount, 1, y, sizeof y);
        why(r, explain, "goodwill: %s -> %s", x, y);
    }
    if (gb->within_authority != ga->within_authority || !same(gb->needs_role, ga->needs_role)) {
        changed = true;
        why(r, explain, "goodwill authority: %s -> %s", authority_words(gb, x, sizeof x),
            authority_words(ga, y, sizeof y));
    }
    for (size_t i = 0; i < b->n_promises; i++) {
        const lw_promise_result *pb = &b->promises[i], *pa = promise_in(a, pb->id);
        if (!pa) {
            changed = true;
            why(r, explain, "promise %s: no longer made", pb->id);
        } else if (!same(pb->due, pa->due) || !same(pb->text, pa->text)) {
            changed = true;
            why(r, explain, "promise %s: %s changed", pb->id,
                same(pb->due, pa->due) ? "text" : "due");
        }
    }
    for (size_t i = 0; i < a->n_promises; i++)
        if (!promise_in(b, a->promises[i].id)) {
            changed = true;
            why(r, explain, "promise %s: now made", a->promises[i].id);
        }
    for (size_t i = 0; i < b->n_outputs; i++) {
        const lw_output_result *ob = &b->outputs[i], *oa = output_in(a, ob->name);
        if (oa && same_value(&ob->value, &oa->value))
            continue;
        changed = true;
        lw_value_format(&ob->value, x, sizeof x);
        if (oa)
            lw_value_format(&oa->value, y, sizeof y);
        why(r, explain, "output %s: %s -> %s", ob->name, x, oa ? y : "(none)");
    }
    for (size_t i = 0; i < a->n_outputs; i++)
        if (!output_in(b, a->outputs[i].name)) {
            changed = true;
            lw_value_format(&a->outputs[i].value, y, sizeof y);
            why(r, explain, "output %s: (none) -> %s", a->outputs[i].name, y);
        }
    return changed;
}

/* Every rule that took part in d, once per counted decision. */
static void count_rules(lw_replay *r, const lw_decision *d)
{
    char key[200];
    for (size_t i = 0; i < d->n_policies; i++) {
        count_once(r, &r->by_rule, d->policies[i].id);
        count_once(r, &r->by_rule, d->policies[i].exception);
    }
    for (size_t i = 0; i < d->goodwill.n_steps; i++) {
        const lw_step_result *s = &d->goodwill.steps[i];
        count_once(r, &r->by_rule, s->id);
        if (s->row) {
            if (s->row_id)
                snprintf(key, sizeof key, "%s row %d (%s)", s->id, s->row, s->row_id);
            else
                snprintf(key, sizeof key, "%s row %d", s->id, s->row);
            count_once(r, &r->by_rule, key);
        }
    }
    for (size_t i = 0; i < d->goodwill.n_capped; i++)
        count_once(r, &r->by_rule, d->goodwill.capped_by[i].id);
}

static currency_sum *sum_for(lw_replay *r, lw_money m)
{
    if (!m.currency)
        return NULL;
    for (size_t i = 0; i < r->n_cur; i++)
        if (strcmp(r->cur[i].code, m.currency) == 0)
            return &r->cur[i];
    currency_sum *c = lw_mem_realloc(&r->mem, r->cur, r->n_cur * sizeof *c,
                                     (r->n_cur + 1) * sizeof *c);
    if (!c) {
        r->failed = true;
        return NULL;
    }
    r->cur = c;
    c = &r->cur[r->n_cur++];
    memset(c, 0, sizeof *c);
    snprintf(c->code, sizeof c->code, "%s", m.currency);
    c->digits = m.digits;
    return c;
}

/* Keep an example in list (of at most r->max_examples) if it is among the
** lowest line numbers. */
static void keep_example(lw_replay *r, example **list, size_t *n, long line,
                         const char *case_json, const char *changes)
{
    if (!r->max_examples)
        return;
    if (*n == r->max_examples && (*list)[*n - 1].line <= line)
        return;
    if (!*list) {
        *list = lw_mem_alloc(&r->mem, r->max_examples * sizeof **list);
        if (!*list) {
            r->failed = true;
            return;
        }
    }
    example e = {line, case_json ? dup_str(r, case_json, strlen(case_json)) : NULL,
                 dup_str(r, changes, strlen(changes))};
    example *ex = *list;
    if (*n == r->max_examples) {
        (*n)--;
        free_str(r, ex[*n].case_json);
        free_str(r, ex[*n].changes);
    }
    size_t at = *n;
    while (at > 0 && ex[at - 1].line > line) {
        ex[at] = ex[at - 1];
        at--;
    }
    ex[at] = e;
    (*n)++;
}

static bool wants_example(const lw_replay *r, const example *list, size_t n, long line)
{
    return r->max_examples && (n < r->max_examples || list[n - 1].line > line);
}

static void free_examples(lw_replay *r, example *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free_str(r, list[i].case_json);
        free_str(r, list[i].changes);
    }
    lw_mem_free(&r->mem, list, r->max_examples * sizeof *list);
}

/* ======================================================================
** Public API
*/
lw_replay *lw_replay_new(const lw_options *opt, size_t max_examples)
{
    lw_mem m;
    lw_mem_init(&m, opt);
    lw_replay *r = lw_mem_alloc(&m, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->mem = m;
    r->max_examples = max_examples;
    buf_init(&r->why, &r->mem);
    buf_init(&r->out, &r->mem);
    return r;
}

void lw_replay_free(lw_replay *r)
{
    if (!r)
        return;
    counters_free(r, &r->outcomes);
    counters_free(r, &r->transitions);
    counters_free(r, &r->by_rule);
    free_examples(r, r->ex, r->n_ex);
    free_examples(r, r->bad, r->n_bad);
    lw_mem_free(&r->mem, r->cur, r->n_cur * sizeof *r->cur);
    buf_free(&r->why);
    buf_free(&r->out);
    lw_mem m = r->mem;
    lw_mem_free(&m, r, sizeof *r);
}

static void see_day(lw_replay *r, const char *day)
{
    if (!day || strlen(day) >= sizeof r->oldest)
        return;
    if (!r->oldest[0] || strcmp(day, r->oldest) < 0)
        strcpy(r->oldest, day);
    if (!r->newest[0] || strcmp(day, r->newest) > 0)
        strcpy(r->newest, day);
}

int lw_replay_add(lw_replay *r, long line, const lw_decision *before, const lw_decision *after,
                  lw_case *c)
{
    if (!r || !after || !after->outcome)
        return LW_ERR_ARG;
    r->serial++;
    r->cases++;
    if (strcmp(after->outcome, "invalid") == 0) {
        r->invalid++;
        if (wants_example(r, r->bad, r->n_bad, line)) {
            r->why.len = 0;
            r->why.failed = false;
            buf_putc(&r->why, '[');
            for (size_t i = 0; i < after->n_problems; i++) {
                if (i)
                    buf_putc(&r->why, ',');
                json_str(&r->why, after->problems[i]);
            }
            buf_putc(&r->why, ']');
            if (r->why.failed)
                r->failed = true;
            else
                keep_example(r, &r->bad, &r->n_bad, line, NULL, r->why.p);
        }
    }
    count_once(r, &r->outcomes, after->outcome);
    see_day(r, after->as_of);
    currency_sum *sa = sum_for(r, after->goodwill.amount);
    if (sa)
        sa->after_all += after->goodwill.amount.minor;
    if (!before || !before->outcome)
        return r->failed ? LW_ERR_NOMEM : 0;
    r->compared++;
    currency_sum *sb = sum_for(r, before->goodwill.amount);
    sa = sum_for(r, after->goodwill.amount); /* sum_for may have moved it */
    if (sb)
        sb->before += before->goodwill.amount.minor;
    if (sa)
        sa->after += after->goodwill.amount.minor;
    if (!differs(r, before, after, false))
        return r->failed ? LW_ERR_NOMEM : 0;
    r->changed++;
    if (!same(before->outcome, after->outcome)) {
        char key[200];
        snprintf(key, sizeof key, "%s->%s", before->outcome, after->outcome);
        count_once(r, &r->transitions, key);
    }
    count_rules(r, before);
    count_rules(r, after);
    if (wants_example(r, r->ex, r->n_ex, line)) {
        r->why.len = 0;
        r->why.failed = false;
        buf_putc(&r->why, '[');
        differs(r, before, after, true);
        buf_putc(&r->why, ']');
        if (r->why.failed)
            r->failed = true;
        else
            keep_example(r, &r->ex, &r->n_ex, line, c ? lw_case_json(c) : NULL, r->why.p);
    }
    return r->failed ? LW_ERR_NOMEM : 1;
}

static void merge_counters(lw_replay *into, counters *to, const counters *from)
{
    into->serial++;
    for (size_t i = 0; i < from->cap; i++)
        if (from->slot[i].key) {
            counter *c = counter_find(into, to, from->slot[i].key);
            if (c)
                c->n += from->slot[i].n;
        }
}

int lw_replay_merge(lw_replay *into, const lw_replay *from)
{
    if (!into || !from)
        return LW_ERR_ARG;
    into->cases += from->cases;
    into->invalid += from->invalid;
    into->compared += from->compared;
    into->changed += from->changed;
    if (from->oldest[0])
        see_day(into, from->oldest);
    if (from->newest[0])
        see_day(into, from->newest);
    merge_counters(into, &into->outcomes, &from->outcomes);
    merge_counters(into, &into->transitions, &from->transitions);
    merge_counters(into, &into->by_rule, &from->by_rule);
    for (size_t i = 0; i < from->n_cur; i++) {
        lw_money m = {0, from->cur[i].code, from->cur[i].digits};
        currency_sum *s = sum_for(into, m);
        if (s) {
            s->before += from->cur[i].before;
            s->after += from->cur[i].after;
            s->after_all += from->cur[i].after_all;
        }
    }
    for (size_t i = 0; i < from->n_ex; i++)
        keep_example(into, &into->ex, &into->n_ex, from->ex[i].line, from->ex[i].case_json,
                     from->ex[i].changes);
    for (size_t i = 0; i < from->n_bad; i++)
        keep_example(into, &into->bad, &into->n_bad, from->bad[i].line, NULL,
                     from->bad[i].changes);
    return into->failed ? LW_ERR_NOMEM : LW_OK;
}

size_t lw_replay_cases(const lw_replay *r) { return r ? r->cases : 0; }
size_t lw_replay_changed(const lw_replay *r) { return r ? r->changed : 0; }

/* ======================================================================
** The summary
*/

/* A sum of minor units as a decimal string: "-1234.50". */
static void put_amount(strbuf *b, __int128 v, int digits, bool sign)
{
    char tmp[64];
    size_t n = 0;
    bool neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    int k = 0;
    do {
        if (digits > 0 && k == digits)
            tmp[n++] = '.';
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
        k++;
    } while (u || k <= digits);
    if (neg)
        tmp[n++] = '-';
    else if (sign)
        tmp[n++] = '+';
    while (n)
        buf_putc(b, tmp[--n]);
}

static void put_count(strbuf *b, size_t n)
{
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%zu", n);
    buf_puts(b, tmp);
}

static void put_counters(lw_replay *r, strbuf *b, const counters *m)
{
    const counter **v = counters_sorted(r, m);
    buf_putc(b, '{');
    for (size_t i = 0; v && i < m->n; i++) {
        if (i)
            buf_putc(b, ',');
        json_str(b, v[i]->key);
        buf_putc(b, ':');
        put_count(b, (size_t)v[i]->n);
    }
    buf_putc(b, '}');
    if (v)
        lw_mem_free(&r->mem, (void *)v, m->n * sizeof *v);
}

const char *lw_replay_json(lw_replay *r, size_t *len)
{
    if (!r)
        return NULL;
    strbuf *b = &r->out;
    b->len = 0;
    b->failed = false;
    buf_puts(b, "{\"cases\":");
    put_count(b, r->cases);
    buf_puts(b, ",\"invalid\":");
    put_count(b, r->invalid);
    buf_puts(b, ",\"compared\":");
    put_count(b, r->compared);
    buf_puts(b, ",\"changed\":");
    put_count(b, r->changed);
    buf_puts(b, ",\"unchanged\":");
    put_count(b, r->compared - r->changed);
    buf_puts(b, ",\"oldest\":");
    if (r->oldest[0])
        json_str(b, r->oldest);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"newest\":");
    if (r->newest[0])
        json_str(b, r->newest);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"outcomes\":");
    put_counters(r, b, &r->outcomes);
    buf_puts(b, ",\"transitions\":");
    put_counters(r, b, &r->transitions);
    buf_puts(b, ",\"goodwill\":{");
    for (size_t i = 0; i < r->n_cur; i++) {
        const currency_sum *c = &r->cur[i];
        if (i)
            buf_putc(b, ',');
        json_str(b, c->code);
        buf_puts(b, ":{\"before\":");
        if (r->compared) {
            buf_putc(b, '"');
            put_amount(b, c->before, c->digits, false);
            buf_puts(b, "\",\"after\":\"");
            put_amount(b, c->after, c->digits, false);
            buf_puts(b, "\",\"delta\":\"");
            put_amount(b, c->after - c->before, c->digits, false);
            buf_puts(b, "\"}");
        } else {
            buf_puts(b, "null,\"after\":\"");
            put_amount(b, c->after_all, c->digits, false);
            buf_puts(b, "\",\"delta\":null}");
        }
    }
    buf_puts(b, "},\"by_rule\":");
    put_counters(r, b, &r->by_rule);
    buf_puts(b, ",\"examples\":[");
    for (size_t i = 0; i < r->n_ex; i++) {
        if (i)
            buf_putc(b, ',');
        buf_puts(b, "{\"line\":");
        put_count(b, (size_t)r->ex[i].line);
        buf_puts(b, ",\"case\":");
        buf_puts(b, r->ex[i].case_json ? r->ex[i].case_json : "null");
        buf_puts(b, ",\"changes\":");
        buf_puts(b, r->ex[i].changes);
        buf_putc(b, '}');
    }
    buf_puts(b, "],\"invalid_lines\":[");
    for (size_t i = 0; i < r->n_bad; i++) {
        if (i)
            buf_putc(b, ',');
        buf_puts(b, "{\"line\":");
        put_count(b, (size_t)r->bad[i].line);
        buf_puts(b, ",\"problems\":");
        buf_puts(b, r->bad[i].changes);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}");
    if (b->failed || r->failed)
        return NULL;
    if (len)
        *len = b->len;
    return b->p;
}

/* Each change of an example's JSON array of strings, one per line. */
static void put_changes_text(strbuf *b, const char *json)
{
    /* the array was written by json_str: decode its escapes */
    for (const char *p = json; *p; p++) {
        if (*p != '"')
            continue;
        buf_puts(b, "    ");
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                char c = *p == 'n' ? ' ' : *p == 't' ? ' ' : *p;
                if (*p == 'u') { /* \u00XX: control characters, shown as '?' */
                    c = '?';
                    p += 4;
                }
                buf_putc(b, c);
            } else {
                buf_putc(b, *p);
            }
        }
        buf_putc(b, '\n');
    }
}

static void put_counters_text(lw_replay *r, strbuf *b, const char *title, const counters *m,
                              size_t max)
{
    if (!m->n)
        return;
    buf_puts(b, title);
    const counter **v = counters_sorted(r, m);
    for (size_t i = 0; v && i < m->n && i < max; i++) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "  %10llu  ", (unsigned long long)v[i]->n);
        buf_puts(b, tmp);
        buf_puts(b, v[i]->key);
        buf_putc(b, '\n');
    }
    if (m->n > max) {
        char tmp[64];
        snprintf(tmp, sizeof tmp, "  ... and %zu more (--format json lists all)\n", m->n - max);
        buf_puts(b, tmp);
    }
    if (v)
        lw_mem_free(&r->mem, (void *)v, m->n * sizeof *v);
}

const char *lw_replay_text(lw_replay *r, size_t *len)
{
    if (!r)
        return NULL;
    strbuf *b = &r->out;
    b->len = 0;
    b->failed = false;
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%zu case%s", r->cases, r->cases == 1 ? "" : "s");
    buf_puts(b, tmp);
    if (r->invalid) {
        snprintf(tmp, sizeof tmp, " (%zu invalid)", r->invalid);
        buf_puts(b, tmp);
    }
    if (r->oldest[0]) {
        snprintf(tmp, sizeof tmp, ", decided as of %s to %s", r->oldest, r->newest);
        buf_puts(b, tmp);
    }
    buf_putc(b, '\n');
    if (r->compared) {
        snprintf(tmp, sizeof tmp, "changed:   %zu of %zu (%.2f%%)\nunchanged: %zu\n", r->changed,
                 r->compared, 100.0 * (double)r->changed / (double)r->compared,
                 r->compared - r->changed);
        buf_puts(b, tmp);
    } else if (r->cases) {
        buf_puts(b, "nothing to compare with (give --against OLD_PLAYBOOK, or log records)\n");
    }
    put_counters_text(r, b, "\noutcomes\n", &r->outcomes, 20);
    put_counters_text(r, b, "\noutcome changes\n", &r->transitions, 20);
    if (r->n_cur) {
        buf_puts(b, r->compared ? "\ngoodwill        before           after           delta\n"
                                : "\ngoodwill\n");
        for (size_t i = 0; i < r->n_cur; i++) {
            const currency_sum *c = &r->cur[i];
            strbuf v;
            buf_init(&v, &r->mem);
            snprintf(tmp, sizeof tmp, "  %-4s", c->code);
            buf_puts(b, tmp);
            if (r->compared) {
                __int128 cols[3] = {c->before, c->after, c->after - c->before};
                for (int k = 0; k < 3; k++) {
                    v.len = 0;
                    put_amount(&v, cols[k], c->digits, k == 2);
                    snprintf(tmp, sizeof tmp, "%16.*s", (int)v.len, v.p ? v.p : "");
                    buf_puts(b, tmp);
                }
            } else {
                put_amount(&v, c->after_all, c->digits, false);
                snprintf(tmp, sizeof tmp, "%16.*s paid", (int)v.len, v.p ? v.p : "");
                buf_puts(b, tmp);
            }
            buf_putc(b, '\n');
            buf_free(&v);
        }
    }
    put_counters_text(r, b, "\nrules in changed decisions\n", &r->by_rule, 15);
    if (r->n_ex)
        buf_puts(b, "\nfirst changed cases\n");
    for (size_t i = 0; i < r->n_ex; i++) {
        snprintf(tmp, sizeof tmp, "  line %ld:\n", r->ex[i].line);
        buf_puts(b, tmp);
        put_changes_text(b, r->ex[i].changes);
    }
    if (r->n_bad)
        buf_puts(b, "\nfirst invalid lines\n");
    for (size_t i = 0; i < r->n_bad; i++) {
        snprintf(tmp, sizeof tmp, "  line %ld:\n", r->bad[i].line);
        buf_puts(b, tmp);
        put_changes_text(b, r->bad[i].changes);
    }
    if (b->failed || r->failed)
        return NULL;
    if (len)
        *len = b->len;
    return b->p;
}
