/*
** decision_json.c -- a decision as JSON (PLAYBOOK.md §11), written straight
** into the engine's reusable buffer: no tree is built, nothing is allocated
** once the buffer has grown to size.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_str(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    buf_putc(b, '"');
    const char *run = s;
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
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
    }
    buf_put(b, run, (size_t)(s - run));
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
    case LW_V_NUMBER:
        if (v->number == nearbyint(v->number) && fabs(v->number) < 1e15)
            n = snprintf(out, size, "%.0f", v->number);
        else
            n = snprintf(out, size, "%.15g", v->number);
        break;
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

static void money_amount(strbuf *b, lw_money m)
{
    char tmp[64];
    lw_money_format(m, 0, tmp, sizeof tmp);
    json_str(b, tmp);
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
    char tmp[64];
    open_(&w, '{');
    key(&w, &first, "playbook");
    json_str_or_null(b, d->playbook);
    key(&w, &first, "version");
    json_str_or_null(b, d->version);
    key(&w, &first, "digest");
    json_str_or_null(b, d->digest);
    key(&w, &first, "as_of");
    json_str_or_null(b, d->as_of);
    key(&w, &first, "outcome");
    json_str_or_null(b, d->outcome);

    key(&w, &first, "policies");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_policies; i++) {
        const lw_policy_result *p = &d->policies[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool f2 = true;
        open_(&w, '{');
        key(&w, &f2, "id");
        json_str(b, p->id);
        key(&w, &f2, "outcome");
        json_str(b, p->outcome);
        key(&w, &f2, "exception");
        json_str_or_null(b, p->exception);
        key(&w, &f2, "discretionary");
        buf_puts(b, p->discretionary ? "true" : "false");
        key(&w, &f2, "needs_role");
        json_str_or_null(b, p->needs_role);
        key(&w, &f2, "requires");
        str_list(&w, p->requires, p->n_requires);
        key(&w, &f2, "reason");
        json_str_or_null(b, p->reason);
        key(&w, &f2, "say");
        json_str_or_null(b, p->say);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_policies == 0);

    const lw_goodwill_result *g = &d->goodwill;
    key(&w, &first, "goodwill");
    bool fg = true;
    open_(&w, '{');
    key(&w, &fg, "amount");
    money_amount(b, g->amount);
    key(&w, &fg, "currency");
    json_str_or_null(b, g->amount.currency);
    key(&w, &fg, "within_authority");
    buf_puts(b, g->within_authority ? "true" : "false");
    key(&w, &fg, "needs_role");
    json_str_or_null(b, g->needs_role);
    key(&w, &fg, "limit");
    if (g->limit.currency)
        money_amount(b, g->limit);
    else
        buf_puts(b, "null");
    key(&w, &fg, "steps");
    open_(&w, '[');
    for (size_t i = 0; i < g->n_steps; i++) {
        const lw_step_result *s = &g->steps[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fs = true;
        open_(&w, '{');
        key(&w, &fs, "id");
        json_str(b, s->id);
        key(&w, &fs, "amount");
        money_amount(b, s->amount);
        if (s->row) {
            key(&w, &fs, "row");
            snprintf(tmp, sizeof tmp, "%d", s->row);
            buf_puts(b, tmp);
        }
        if (s->row_id) {
            key(&w, &fs, "row_id");
            json_str(b, s->row_id);
        }
        close_(&w, '}', false);
    }
    close_(&w, ']', g->n_steps == 0);
    key(&w, &fg, "capped_by");
    open_(&w, '[');
    for (size_t i = 0; i < g->n_capped; i++) {
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fc = true;
        open_(&w, '{');
        key(&w, &fc, "id");
        json_str(b, g->capped_by[i].id);
        key(&w, &fc, "by");
        money_amount(b, g->capped_by[i].by);
        close_(&w, '}', false);
    }
    close_(&w, ']', g->n_capped == 0);
    close_(&w, '}', false);

    key(&w, &first, "promises");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_promises; i++) {
        const lw_promise_result *p = &d->promises[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fp = true;
        open_(&w, '{');
        key(&w, &fp, "id");
        json_str(b, p->id);
        key(&w, &fp, "due");
        json_str_or_null(b, p->due);
        key(&w, &fp, "text");
        json_str_or_null(b, p->text);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_promises == 0);

    key(&w, &first, "outputs");
    open_(&w, '{');
    bool fo = true;
    for (size_t i = 0; i < d->n_outputs; i++) {
        key(&w, &fo, d->outputs[i].name);
        put_value(b, &d->outputs[i].value);
    }
    close_(&w, '}', d->n_outputs == 0);

    key(&w, &first, "missing");
    str_list(&w, d->missing, d->n_missing);
    key(&w, &first, "problems");
    str_list(&w, d->problems, d->n_problems);

    key(&w, &first, "errors");
    open_(&w, '[');
    for (size_t i = 0; i < d->n_errors; i++) {
        const lw_error_entry *er = &d->errors[i];
        if (i)
            buf_putc(b, ',');
        nl(&w);
        bool fe = true;
        open_(&w, '{');
        key(&w, &fe, "rule");
        json_str_or_null(b, er->rule);
        key(&w, &fe, "file");
        json_str_or_null(b, er->file);
        key(&w, &fe, "line");
        snprintf(tmp, sizeof tmp, "%d", er->line);
        buf_puts(b, tmp);
        key(&w, &fe, "column");
        snprintf(tmp, sizeof tmp, "%d", er->column);
        buf_puts(b, tmp);
        key(&w, &fe, "message");
        json_str_or_null(b, er->message);
        close_(&w, '}', false);
    }
    close_(&w, ']', d->n_errors == 0);

    if (flags & LW_JSON_TRACE) {
        key(&w, &first, "trace");
        open_(&w, '[');
        static const char *const truth[] = {"false", "true", "null"};
        for (size_t i = 0; i < d->n_trace; i++) {
            const lw_trace_entry *t = &d->trace[i];
            if (i)
                buf_putc(b, ',');
            nl(&w);
            bool ft = true;
            open_(&w, '{');
            key(&w, &ft, "kind");
            json_str(b, t->kind);
            key(&w, &ft, "rule");
            json_str(b, t->rule);
            key(&w, &ft, "result");
            buf_puts(b, truth[t->result]);
            key(&w, &ft, "file");
            json_str_or_null(b, t->file);
            key(&w, &ft, "line");
            snprintf(tmp, sizeof tmp, "%d", t->line);
            buf_puts(b, tmp);
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
