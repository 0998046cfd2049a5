/*
** case_refused.c -- values a case refused, kept as they were given.
**
** A value the case could not take (a word for a number, an amount above the
** fact's max:, a key the playbook does not declare) leaves a problem, and the
** decision is `invalid`. lw_case_json must still write the case as it came,
** or the decision log's record of that decision would replay as a valid
** case (docs/decision-log.md). So each refused value is kept here as its
** path and its JSON text, and lw_case_json writes these entries after the
** facts the case took. Replayed, they are refused again, with the same
** problem. At most max_problems of them are kept, as many as the decision
** lists: a case with more still replays as invalid.
*/
#include "internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Is s[0..n) a number as JSON writes one? */
static bool json_number_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    else
        return false;
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == d)
            return false;
    }
    return i == n;
}

static void put_raw_json(strbuf *b, const raw *r)
{
    char num[40];
    switch (r->k) {
    case RAW_NULL:
        buf_puts(b, "null");
        break;
    case RAW_BOOL:
        buf_puts(b, r->b ? "true" : "false");
        break;
    case RAW_NUM:
        if (r->s && json_number_text(r->s, r->len)) {
            buf_put(b, r->s, r->len);
        } else if (r->s) {
            json_str(b, r->s); /* +5, 1_000: text, refused again as it was */
        } else if (isfinite(r->n)) {
            snprintf(num, sizeof num, "%.17g", r->n);
            buf_puts(b, num);
        } else {
            json_str(b, isnan(r->n) ? "nan" : r->n > 0 ? "inf" : "-inf");
        }
        break;
    default:
        /* a text, or a value of no JSON kind (a mapping for a declared fact):
        ** [{}] is refused by every fact, as a mapping there was */
        if (r->s)
            json_str(b, r->s);
        else
            buf_puts(b, "[{}]");
        break;
    }
}

static void put_cjson(strbuf *b, const cJSON *it)
{
    if (cJSON_IsArray(it) || cJSON_IsObject(it)) {
        bool obj = cJSON_IsObject(it);
        buf_putc(b, obj ? '{' : '[');
        for (const cJSON *e = it->child; e; e = e->next) {
            if (e != it->child)
                buf_putc(b, ',');
            if (obj) {
                json_str(b, e->string ? e->string : "");
                buf_putc(b, ':');
            }
            put_cjson(b, e);
        }
        buf_putc(b, obj ? '}' : ']');
        return;
    }
    raw r;
    memset(&r, 0, sizeof r);
    if (cJSON_IsBool(it)) {
        r.k = RAW_BOOL;
        r.b = cJSON_IsTrue(it);
    } else if (cJSON_IsNumber(it)) {
        r.k = RAW_NUM;
        r.n = it->valuedouble;
        r.s = it->valuestring; /* its text, when a double does not hold it */
        r.len = r.s ? strlen(r.s) : 0;
    } else if (cJSON_IsString(it)) {
        r.k = RAW_STR;
        r.s = it->valuestring;
    } else {
        r.k = RAW_NULL;
    }
    put_raw_json(b, &r);
}

static void put_node(strbuf *b, const node *n)
{
    if (n->kind == N_SCALAR) {
        raw r;
        raw_from_node(n, &r);
        put_raw_json(b, &r);
        return;
    }
    bool map = n->kind == N_MAP;
    buf_putc(b, map ? '{' : '[');
    for (size_t i = 0; i < n->n; i++) {
        if (i)
            buf_putc(b, ',');
        if (map) {
            json_str(b, MAP_KEY(n, i)->str ? MAP_KEY(n, i)->str : "");
            buf_putc(b, ':');
        }
        put_node(b, map ? MAP_VAL(n, i) : n->items[i]);
    }
    buf_putc(b, map ? '}' : ']');
}

/* Keep (path, the JSON text in b); b is freed. */
static void keep(lw_case *c, int f, const char *path, strbuf *b)
{
    if (c->n_refused < c->pb->max_problems && !b->failed) {
        struct refused *r = arena_alloc(&c->a, sizeof *r);
        const char *p = arena_strdup(&c->a, path);
        const char *json = arena_strndup(&c->a, b->p ? b->p : "null", b->p ? b->len : 4);
        if (r && p && json) {
            r->path = p;
            r->json = json;
            r->next = NULL;
            *c->refused_tail = r;
            c->refused_tail = &r->next;
            c->n_refused++;
            /* lw_case_json writes it from here, not as the fact's null */
            if (f >= 0 && c->slots[f].t == V_MISSING)
                c->given[f] = 2;
        } else {
            c->nomem = true;
        }
    }
    buf_free(b);
}

void refused_raw(lw_case *c, int f, const char *path, const raw *r)
{
    strbuf b;
    buf_init(&b, &c->mem);
    put_raw_json(&b, r);
    keep(c, f, path, &b);
}

void refused_cjson(lw_case *c, int f, const char *path, const struct cJSON *it)
{
    strbuf b;
    buf_init(&b, &c->mem);
    put_cjson(&b, it);
    keep(c, f, path, &b);
}

void refused_node(lw_case *c, int f, const char *path, const node *n)
{
    strbuf b;
    buf_init(&b, &c->mem);
    put_node(&b, n);
    keep(c, f, path, &b);
}

void refused_json(lw_case *c, int f, const char *path, const char *json)
{
    strbuf b;
    buf_init(&b, &c->mem);
    buf_puts(&b, json);
    keep(c, f, path, &b);
}

void refused_write(const lw_case *c, strbuf *b, bool *first)
{
    for (const struct refused *r = c->refused; r; r = r->next) {
        if (!*first)
            buf_putc(b, ',');
        *first = false;
        json_str(b, r->path);
        buf_putc(b, ':');
        buf_puts(b, r->json);
    }
}
