/*
** decision_json.c -- a decision as JSON (docs/playbook-format.md §11), written straight
** into the engine's reusable buffer: no tree is built, nothing is allocated
** once the buffer has grown to size.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Whether any of the 8 bytes of w is below 0x20, '"' or '\\' (SWAR: the
** high bit of each byte of the result flags one). */
static inline uint64_t needs_escape8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t quote = w ^ (ones * '"'), slash = w ^ (ones * '\\');
    uint64_t low = (w - ones * 0x20) & ~w;
    return (low | ((quote - ones) & ~quote) | ((slash - ones) & ~slash)) & high;
}

void json_str(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s);
    buf_putc(b, '"');
    const char *run = s, *end = s + n;
    while (s < end) {
        /* plain text eight bytes at a time */
        while (end - s >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            if (needs_escape8(w))
                break;
            s += 8;
        }
        if (end - s < 8) { /* the tail, padded with letters */
            uint64_t w = 0x4141414141414141ull;
            memcpy(&w, s, (size_t)(end - s));
            if (!needs_escape8(w))
                s = end;
        }
        if (s == end)
            break;
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\') {
            s++;
            continue;
        }
        buf_put(b, run, (size_t)(s - run));
        run = s + 1;
        switch (ch) {
        case '"': buf_put(b, "\\\"", 2); break;
        case '\\': buf_put(b, "\\\\", 2); break;
        case '\n': buf_put(b, "\\n", 2); break;
        case '\t': buf_put(b, "\\t", 2); break;
        case '\r': buf_put(b, "\\r", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
            buf_put(b, u, 6);
        }
        }
        s++;
    }
    buf_put(b, run, (size_t)(end - run));
    buf_putc(b, '"');
}

static void json_str_or_null(strbuf *b, const char *s)
{
    if (s)
        json_str(b, s);
    else
        buf_put(b, "null", 4);
}

size_t lw_money_format(lw_money m, int with_currency, char *out, size_t size)
{
    int cur = m.currency ? money_currency(m.currency, strlen(m.currency)) : -1;
    if (cur < 0) {
        int n = snprintf(out, size, "%lld", (long long)m.minor);
        return n < 0 ? 0 : (size_t)n;
    }
    return money_format(m.minor, cur, with_currency != 0, out, size);
}

size_t lw_value_format(const lw_value *v, char *out, size_t size)
{
    int n = 0;
    if (!v) {
        n = snprintf(out, size, "null");
        return n < 0 ? 0 : (size_t)n;
    }
    switch (v->type) {
    case LW_V_NULL: n = snprintf(out, size, "null"); break;
    case LW_V_BOOL: n = snprintf(out, size, "%s", v->b ? "true" : "false"); break;
    case LW_V_NUMBER: {
        dec d;
        if (v->text)
            n = snprintf(out, size, "%s", v->text);
        else if (!dec_from_double(v->number, &d))
            return dec_format(d, out, size);
        else
            n = snprintf(out, size, "null");
        break;
    }
    case LW_V_MONEY: return lw_money_format(v->money, 1, out, size);
    case LW_V_STRING:
    case LW_V_ENUM:
    case LW_V_LIST: n = snprintf(out, size, "%s", v->text ? v->text : ""); break;
    case LW_V_DURATION: return duration_format(v->seconds, out, size);
    case LW_V_DATE: return date_format(v->seconds, out, size);
    }
    return n < 0 ? 0 : (size_t)n;
}

static void put_value(strbuf *b, const lw_value *v)
{
    char tmp[128];
    switch (v->type) {
    case LW_V_NULL:
        buf_put(b, "null", 4);
        return;
    case LW_V_BOOL:
    case LW_V_NUMBER:
    case LW_V_LIST:
        if (v->type == LW_V_LIST) {
            buf_puts(b, v->text ? v->text : "[]");
            return;
        }
        lw_value_format(v, tmp, sizeof tmp);
        buf_puts(b, tmp);
        return;
    case LW_V_STRING:
    case LW_V_ENUM:
        json_str(b, v->text ? v->text : "");
        return;
    default:
        lw_value_format(v, tmp, sizeof tmp);
        json_str(b, tmp);
        return;
    }
}

/* Pretty printing: newline + indent when asked, nothing otherwise. */
typedef struct jw {
    strbuf *b;
    bool pretty;
    int depth;
} jw;

static void nl(jw *w)
{
    if (!w->pretty)
        return;
    buf_putc(w->b, '\n');
    for (int i = 0; i < w->depth; i++)
        buf_put(w->b, "  ", 2);
}

static void open_(jw *w, char c)
{
    buf_putc(w->b, c);
    w->depth++;
}

static void close_(jw *w, char c, bool empty)
{
    w->depth--;
    if (!empty)
        nl(w);
    buf_putc(w->b, c);
}

static void key(jw *w, bool *first, const char *k)
{
    if (!*first)
        buf_putc(w->b, ',');
    *first = false;
    nl(w);
    json_str(w->b, k);
    buf_put(w->b, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
}

/* A key of the format's own (letters and '_': nothing to escape), written
** with its comma, quotes and colon at once: KEY(&w, &first, "outcome"). The
** compact form is expanded in place, so its length is a constant and the
** copy needs no call. */
#define KEY(w, first, k)                                                   \
    do {                                                                   \
        if ((w)->pretty)                                                   \
            key_pretty(w, *(first), "\"" k "\": ");                        \
        else if (*(first))                                                 \
            buf_put((w)->b, "\"" k "\":", sizeof k + 2);                   \
        else                                                               \
            buf_put((w)->b, ",\"" k "\":", sizeof k + 3);                  \
        *(first) = false;                                                  \
    } while (0)
static void key_pretty(jw *w, bool first, const char *lit)
{
    if (!first)
        buf_putc(w->b, ',');
    nl(w);
    buf_puts(w->b, lit);
}

/* An integer (a row or line number), written without printf. */
static void put_int(strbuf *b, int64_t i)
{
    char tmp[32];
    buf_put(b, tmp, money_format_digits(i, 0, NULL, tmp, sizeof tmp));
}

/* An amount as a decimal string: digits, '.' and '-' need no escaping. */
static void money_amount(strbuf *b, lw_money m)
{
    char tmp[64];
    tmp[0] = '"';
    size_t n = money_format_digits(m.minor, m.currency ? m.digits : 0, NULL, tmp + 1,
                                   sizeof tmp - 2);
    tmp[n + 1] = '"';
    buf_put(b, tmp, n + 2);
}

static void str_list(jw *w, const char *const *items, size_t n)
{
    buf_putc(w->b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_put(w->b, w->pretty ? ", " : ",", w->pretty ? 2 : 1);
        json_str(w->b, items[i]);
    }
    buf_putc(w->b, ']');
}

const char *lw_decision_json(lw_engine *e, const lw_decision *d, int flags, size_t *len)
{
    if (!e || !d)
        return NULL;
    strbuf *b = &e->json;
    b->len = 0;
    b->failed = false;
    jw w = {b, (flags & LW_JSON_PRETTY) != 0, 0};
    bool first = true;
    open_(&w, '{');
    KEY(&w, &first, "playbook");
    json_str_or_null(b, d->playbook);
    KEY(&w, &first, "version");
    json_str_or_null(b, d->version);
    KEY(&w, &first, "digest");
    json_str_or_null(b, d->digest);
    KEY(&w, &first, "as_of");
    json_str_or_null(b, d->as_of);
    KEY(&w, &first, "outcome");
    json_str_or_null(b, d->outcome);

    KEY(&w, &first, "policies");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_policies; i++) {
        const lw_policy_result *p = &d->policies[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool f2 = true;
        open_(&w, '{');
        KEY(&w, &f2, "id");
        json_str(b, p->id);
        KEY(&w, &f2, "outcome");
        json_str(b, p->outcome);
        KEY(&w, &f2, "exception");
        json_str_or_null(b, p->exception);
        KEY(&w, &f2, "discretionary");
        buf_puts(b, p->discretionary ? "true" : "false");
        KEY(&w, &f2, "needs_role");
        json_str_or_null(b, p->needs_role);
        KEY(&w, &f2, "escalate_to");
        json_str_or_null(b, p->escalate_to);
        KEY(&w, &f2, "requires");
        str_list(&w, p->requires, p->n_requires);
        KEY(&w, &f2, "reason");
        json_str_or_null(b, p->reason);
        KEY(&w, &f2, "say");
        json_str_or_null(b, p->say);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_policies == 0);

    const lw_goodwill_result *g = &d->goodwill;
    KEY(&w, &first, "goodwill");
    bool fg = true;
    open_(&w, '{');
    KEY(&w, &fg, "amount");
    money_amount(b, g->amount);
    KEY(&w, &fg, "currency");
    json_str_or_null(b, g->amount.currency);
    KEY(&w, &fg, "within_authority");
    buf_puts(b, g->within_authority ? "true" : "false");
    KEY(&w, &fg, "needs_role");
    json_str_or_null(b, g->needs_role);
    KEY(&w, &fg, "limit");
    if (g->limit.currency)
        money_amount(b, g->limit);
    else
        buf_puts(b, "null");
    KEY(&w, &fg, "steps");
    open_(&w, '[');
    for (size_t i = 0; i < g->n_steps; i++) {
        const lw_step_result *s = &g->steps[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fs = true;
        open_(&w, '{');
        KEY(&w, &fs, "id");
        json_str(b, s->id);
        KEY(&w, &fs, "amount");
        money_amount(b, s->amount);
        if (s->row) {
            KEY(&w, &fs, "row");
            put_int(b, s->row);
        }
        if (s->row_id) {
            KEY(&w, &fs, "row_id");
            json_str(b, s->row_id);
        }
        close_(&w, '}', false);
    }
    close_(&w, ']', g->n_steps == 0);
    KEY(&w, &fg, "capped_by");
    open_(&w, '[');
    for (size_t i = 0; i < g->n_capped; i++) {
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fc = true;
        open_(&w, '{');
        KEY(&w, &fc, "id");
        json_str(b, g->capped_by[i].id);
        KEY(&w, &fc, "by");
        money_amount(b, g->capped_by[i].by);
        close_(&w, '}', false);
    }
    close_(&w, ']', g->n_capped == 0);
    close_(&w, '}', false);

    KEY(&w, &first, "promises");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_promises; i++) {
        const lw_promise_result *p = &d->promises[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fp = true;
        open_(&w, '{');
        KEY(&w, &fp, "id");
        json_str(b, p->id);
        KEY(&w, &fp, "due");
        json_str_or_null(b, p->due);
        KEY(&w, &fp, "text");
        json_str_or_null(b, p->text);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_promises == 0);

    KEY(&w, &first, "outputs");
    open_(&w, '{');
    bool fo = true;
    for (size_t i = 0; i < d->n_outputs; i++) {
        key(&w, &fo, d->outputs[i].name);
        put_value(b, &d->outputs[i].value);
    }
    close_(&w, '}', d->n_outputs == 0);

    KEY(&w, &first, "missing");
    str_list(&w, d->missing, d->n_missing);
    KEY(&w, &first, "problems");
    str_list(&w, d->problems, d->n_problems);

    KEY(&w, &first, "errors");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_errors; i++) {
        const lw_error_entry *er = &d->errors[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fe = true;
        open_(&w, '{');
        KEY(&w, &fe, "rule");
        json_str_or_null(b, er->rule);
        KEY(&w, &fe, "file");
        json_str_or_null(b, er->file);
        KEY(&w, &fe, "line");
        put_int(b, er->line);
        KEY(&w, &fe, "column");
        put_int(b, er->column);
        KEY(&w, &fe, "message");
        json_str_or_null(b, er->message);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_errors == 0);

    if (flags & LW_JSON_TRACE) {
        KEY(&w, &first, "trace");
        open_(&w, '[');
        static const char *const truth[] = {"false", "true", "null"};
        for (size_t i = 0; i < d->n_trace; i++) {
            const lw_trace_entry *t = &d->trace[i];
            if (i)
                buf_putc(b, ',');
            nl(&w);
            bool ft = true;
            open_(&w, '{');
            KEY(&w, &ft, "kind");
            json_str(b, t->kind);
            KEY(&w, &ft, "rule");
            json_str(b, t->rule);
            KEY(&w, &ft, "result");
            buf_puts(b, truth[t->result]);
            KEY(&w, &ft, "file");
            json_str_or_null(b, t->file);
            KEY(&w, &ft, "line");
            put_int(b, t->line);
            close_(&w, '}', false);
        }
        close_(&w, ']', d->n_trace == 0);
    }
    close_(&w, '}', false);
    if (b->failed)
        return NULL;
    if (len)
        *len = b->len;
    return b->p;
}
