/*
** decision_log.c -- the decision log (docs/decision-log.md): one JSON object
** per line, each the decision (docs/playbook-format.md §11) plus what it takes to replay
** it exactly:
**
**   {"log":1,"decision_id":"...","at":"2026-12-06T19:45:12.345Z",
**    "role":"frontline","case":{...},"playbook":...,"digest":...,
**    "as_of":"2026-12-06","outcome":...,...}
**
** Writing builds the line in the engine and hands it to the kernel in one
** write(2) on a file opened with O_APPEND, so concurrent writers never
** interleave lines. Reading takes a line of a replay's input -- a bare case
** or such a record -- into a case, and a record's decision back into an
** lw_decision, so the logged decision can be compared with a new one.
*/
#include "internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ======================================================================
** Writing
*/

/* splitmix64: decision ids need to be unique, not secret */
static uint64_t next_random(lw_engine *e)
{
    if (!e->rng) {
        uint64_t seed = 0;
        if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ (uint64_t)(uintptr_t)e;
        }
        e->rng = seed | 1;
    }
    uint64_t z = (e->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The acting role: the one asked for, else the case's staff role. */
static const char *acting_role(const lw_case *c, const char *role)
{
    const lw_playbook *pb = c->pb;
    if (role || pb->f_role < 0)
        return role;
    val rv = c->slots[pb->f_role];
    if (rv.t == V_MISSING && pb->facts[pb->f_role].has_default)
        rv = pb->facts[pb->f_role].def;
    return rv.t == V_ROLE ? pb->roles[rv.idx].id : NULL;
}

/* A UUID of version 7 for the time ms: 48 bits of milliseconds, then
** random bits. */
static void make_id(lw_engine *e, int64_t ms, char *id)
{
    uint64_t r1 = next_random(e), r2 = next_random(e);
    snprintf(id, LW_DECISION_ID_SIZE, "%08x-%04x-7%03x-%04x-%012llx",
             (unsigned)((uint64_t)ms >> 16), (unsigned)(ms & 0xFFFF), (unsigned)(r1 & 0xFFF),
             (unsigned)(0x8000 | ((r1 >> 12) & 0x3FFF)),
             (unsigned long long)(r2 & 0xFFFFFFFFFFFFull));
}

static int64_t now_ms(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
    return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

int lw_decision_id(lw_engine *e, char *id)
{
    if (!e || !id)
        return LW_ERR_ARG;
    struct timespec ts;
    make_id(e, now_ms(&ts), id);
    return LW_OK;
}

const char *lw_log_record(lw_engine *e, lw_case *c, const lw_decision *d, const char *role,
                          size_t *len)
{
    return lw_log_record_id(e, c, d, role, NULL, len);
}

const char *lw_log_record_id(lw_engine *e, lw_case *c, const lw_decision *d, const char *role,
                             const char *given_id, size_t *len)
{
    if (!e || !c || !d)
        return NULL;
    const char *cj = lw_case_json(c);
    size_t dlen;
    const char *dj = lw_decision_json(e, d, 0, &dlen);
    if (!cj || !dj || dlen < 2)
        return NULL;
    struct timespec ts;
    int64_t ms = now_ms(&ts);
    char at[80], day[32];
    date_format((int64_t)ts.tv_sec - (int64_t)ts.tv_sec % 86400, day, sizeof day);
    int64_t in_day = (int64_t)ts.tv_sec % 86400;
    snprintf(at, sizeof at, "%sT%02d:%02d:%02d.%03dZ", day, (int)(in_day / 3600),
             (int)(in_day % 3600 / 60), (int)(in_day % 60), (int)(ts.tv_nsec / 1000000));
    char id[LW_DECISION_ID_SIZE];
    if (!given_id) {
        make_id(e, ms, id);
        given_id = id;
    }
    strbuf *b = &e->log;
    b->len = 0;
    b->failed = false;
    buf_puts(b, "{\"log\":1,\"decision_id\":");
    json_str(b, given_id);
    buf_puts(b, ",\"at\":\"");
    buf_puts(b, at);
    buf_puts(b, "\",\"role\":");
    const char *who = acting_role(c, role);
    if (who)
        json_str(b, who);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"case\":");
    buf_puts(b, cj);
    buf_putc(b, ',');
    buf_put(b, dj + 1, dlen - 1); /* the decision's keys, after its '{' */
    buf_putc(b, '\n');
    if (b->failed)
        return NULL;
    if (len)
        *len = b->len;
    return b->p;
}

int lw_log_append(lw_engine *e, int fd, lw_case *c, const lw_decision *d, const char *role)
{
    if (!e || !c || !d || fd < 0)
        return LW_ERR_ARG;
    size_t len;
    const char *rec = lw_log_record(e, c, d, role, &len);
    if (!rec)
        return LW_ERR_NOMEM;
    ssize_t w;
    do
        w = write(fd, rec, len);
    while (w < 0 && errno == EINTR);
    /* one write: a short one would let another writer's line in between */
    return w == (ssize_t)len ? LW_OK : LW_ERR_IO;
}

/* ======================================================================
** Reading a logged decision back
*/
static const char *str_of(arena *a, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? arena_strdup(a, v->valuestring) : NULL;
}

static int int_of(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 1e9 ? (int)v->valuedouble
                                                                            : 0;
}

/* "112.50" in the currency `cur` (may be NULL: minor = 0). */
static lw_money money_of(const cJSON *o, const char *k, const char *cur)
{
    lw_money m = {0, NULL, 0};
    int c = cur ? money_currency(cur, strlen(cur)) : -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (c < 0 || !cJSON_IsString(v))
        return m;
    int64_t minor;
    int got;
    if (money_parse(v->valuestring, strlen(v->valuestring), c, &minor, &got) == NULL) {
        m.minor = minor;
        m.currency = money_currency_at(got)->code;
        m.digits = money_currency_at(got)->digits;
    }
    return m;
}

/* Items of an array (0 when absent or not an array), allocated in a. */
static void *array_of(arena *a, const cJSON *o, const char *k, size_t size, size_t *n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    *n = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    return arena_alloc(a, (*n ? *n : 1) * size);
}

static const char *const *strings_of(arena *a, const cJSON *o, const char *k, size_t *n)
{
    const char **s = array_of(a, o, k, sizeof *s, n);
    size_t i = 0;
    if (s)
        for (const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k)->child; it && i < *n;
             it = it->next)
            s[i++] = cJSON_IsString(it) ? arena_strdup(a, it->valuestring) : "";
    return s;
}

static void value_of(arena *a, const cJSON *v, lw_value *out)
{
    memset(out, 0, sizeof *out);
    if (cJSON_IsBool(v)) {
        out->type = LW_V_BOOL;
        out->b = cJSON_IsTrue(v);
    } else if (cJSON_IsNumber(v)) {
        out->type = LW_V_NUMBER;
        out->number = v->valuedouble;
        out->text = v->valuestring ? arena_strdup(a, v->valuestring) : NULL; /* exact */
    } else if (cJSON_IsString(v)) {
        out->type = LW_V_STRING;
        out->text = arena_strdup(a, v->valuestring);
    } else if (cJSON_IsArray(v)) {
        char *t = cJSON_PrintUnformatted(v);
        out->type = LW_V_LIST;
        out->text = t ? arena_strdup(a, t) : "[]";
        cJSON_free(t);
    }
}

/* The decision of a log record (the record's own keys are ignored). */
static bool decision_from_json(arena *a, const cJSON *o, lw_decision *d)
{
    memset(d, 0, sizeof *d);
    d->playbook = str_of(a, o, "playbook");
    d->version = str_of(a, o, "version");
    d->digest = str_of(a, o, "digest");
    d->as_of = str_of(a, o, "as_of");
    d->outcome = str_of(a, o, "outcome");
    if (!d->outcome)
        return false;

    size_t n;
    lw_policy_result *p = array_of(a, o, "policies", sizeof *p, &n);
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "policies");
    d->policies = p;
    for (it = n ? it->child : NULL; p && it && d->n_policies < n; it = it->next) {
        lw_policy_result *r = &p[d->n_policies++];
        r->id = str_of(a, it, "id");
        r->outcome = str_of(a, it, "outcome");
        r->exception = str_of(a, it, "exception");
        r->discretionary = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "discretionary"));
        r->needs_role = str_of(a, it, "needs_role");
        r->escalate_to = str_of(a, it, "escalate_to");
        r->requires = strings_of(a, it, "requires", &r->n_requires);
        r->reason = str_of(a, it, "reason");
        r->say = str_of(a, it, "say");
        if (!r->id || !r->outcome)
            return false;
    }

    const cJSON *g = cJSON_GetObjectItemCaseSensitive(o, "goodwill");
    if (!cJSON_IsObject(g))
        return false;
    lw_goodwill_result *gw = &d->goodwill;
    const char *cur = str_of(a, g, "currency");
    gw->amount = money_of(g, "amount", cur);
    gw->limit = money_of(g, "limit", cur);
    gw->within_authority = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(g, "within_authority"));
    gw->needs_role = str_of(a, g, "needs_role");
    lw_step_result *st = array_of(a, g, "steps", sizeof *st, &n);
    gw->steps = st;
    it = cJSON_GetObjectItemCaseSensitive(g, "steps");
    for (it = n ? it->child : NULL; st && it && gw->n_steps < n; it = it->next) {
        lw_step_result *s = &st[gw->n_steps++];
        s->id = str_of(a, it, "id");
        s->amount = money_of(it, "amount", cur);
        s->row = int_of(it, "row");
        s->row_id = str_of(a, it, "row_id");
        if (!s->id)
            return false;
    }
    lw_cap_result *cp = array_of(a, g, "capped_by", sizeof *cp, &n);
    gw->capped_by = cp;
    it = cJSON_GetObjectItemCaseSensitive(g, "capped_by");
    for (it = n ? it->child : NULL; cp && it && gw->n_capped < n; it = it->next) {
        lw_cap_result *c = &cp[gw->n_capped++];
        c->id = str_of(a, it, "id");
        c->by = money_of(it, "by", cur);
        if (!c->id)
            return false;
    }

    lw_promise_result *pr = array_of(a, o, "promises", sizeof *pr, &n);
    d->promises = pr;
    it = cJSON_GetObjectItemCaseSensitive(o, "promises");
    for (it = n ? it->child : NULL; pr && it && d->n_promises < n; it = it->next) {
        lw_promise_result *r = &pr[d->n_promises++];
        r->id = str_of(a, it, "id");
        r->due = str_of(a, it, "due");
        r->text = str_of(a, it, "text");
        if (!r->id)
            return false;
    }

    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(o, "outputs");
    n = cJSON_IsObject(outs) ? (size_t)cJSON_GetArraySize(outs) : 0;
    lw_output_result *ou = arena_alloc(a, (n ? n : 1) * sizeof *ou);
    d->outputs = ou;
    for (it = n ? outs->child : NULL; ou && it && d->n_outputs < n; it = it->next) {
        lw_output_result *r = &ou[d->n_outputs++];
        r->name = arena_strdup(a, it->string ? it->string : "");
        value_of(a, it, &r->value);
    }
    d->missing = strings_of(a, o, "missing", &d->n_missing);
    d->problems = strings_of(a, o, "problems", &d->n_problems);
    return !a->failed;
}

/* ======================================================================
** Reading a line of a replay's input
*/
/* Add the values of a parsed case to c and, if not NULL, to also; the
** record's day (as_of, may be NULL) too. c's result. */
static int read_into(lw_case *c, lw_case *also, const cJSON *cs, const cJSON *asof)
{
    int rc = LW_OK;
    for (lw_case *k = c; k; k = k == c ? also : NULL) {
        int r = case_read_tree(k, cs);
        if (cJSON_IsString(asof) && lw_case_set_as_of(k, asof->valuestring) != LW_OK)
            case_problem(k, "as_of: '%.40s' is not a date like 2026-11-23", asof->valuestring);
        if (k == c)
            rc = r;
    }
    return rc;
}

int lw_log_read(lw_engine *e, lw_case *c, lw_case *also, const char *name, const char *line,
                size_t len, const lw_decision **logged, const char **role, const char **msg)
{
    if (logged)
        *logged = NULL;
    if (role)
        *role = NULL;
    if (msg)
        *msg = NULL;
    if (!e || !c || !line || also == c)
        return LW_ERR_ARG;
    if (!name)
        name = "<case>";
    /* a record starts with its "log" key; anything else is a bare case, read
    ** (with every check and a positioned message) as the case reader does */
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
        i++;
    if (i < len && line[i] == '{')
        i++;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
        i++;
    bool record = len - i >= 5 && memcmp(line + i, "\"log\"", 5) == 0;
    cJSON *root = NULL;
    int rc = case_parse_json(c, name, line, len, msg, &root);
    if (rc != LW_OK)
        return rc;
    const cJSON *ver = record ? cJSON_GetObjectItemCaseSensitive(root, "log") : NULL;
    const cJSON *cs = ver ? cJSON_GetObjectItemCaseSensitive(root, "case") : root;
    const cJSON *asof = ver ? cJSON_GetObjectItemCaseSensitive(root, "as_of") : NULL;
    const cJSON *who = ver ? cJSON_GetObjectItemCaseSensitive(root, "role") : NULL;
    const char *bad = NULL;
    if (ver) {
        arena_reset(&e->a); /* the logged decision lives here, like a decision */
        if (!cJSON_IsNumber(ver) || ver->valuedouble != 1)
            bad = "this decision-log record is of a format other than 1 (\"log\": 1); a newer "
                  "leeway wrote it";
        else if (!cJSON_IsObject(cs))
            bad = "this decision-log record has no \"case\" object";
        else if (logged && !decision_from_json(&e->a, root, &e->d))
            bad = e->a.failed ? "out of memory"
                              : "the decision in this decision-log record is incomplete (it "
                                "needs outcome, policies and goodwill as "
                                "docs/playbook-format.md §11 writes them)";
    }
    if (bad) {
        c->msg = arena_printf(&c->a, "%s: error: %s", name, bad);
        if (msg)
            *msg = c->msg;
        cJSON_Delete(root);
        return e->a.failed ? LW_ERR_NOMEM : LW_ERR_CASE;
    }
    rc = read_into(c, also, cs, asof);
    if (role && cJSON_IsString(who)) {
        *role = arena_strdup(&c->a, who->valuestring);
        if (!*role)
            rc = LW_ERR_NOMEM;
    }
    if (logged && ver)
        *logged = &e->d;
    cJSON_Delete(root);
    if (rc == LW_ERR_NOMEM || c->a.failed) {
        c->msg = "out of memory";
        if (msg)
            *msg = c->msg;
        return LW_ERR_NOMEM;
    }
    return c->n_problems ? LW_ERR_CASE : rc;
}
