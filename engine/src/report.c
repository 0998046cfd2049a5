/*
** report.c -- playbook diagnostics: errors and lint warnings with positions.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

lw_report *report_new(const lw_mem *m)
{
    lw_report *r = lw_mem_alloc(m, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->mem = *m;
    r->mem.refused = NULL; /* a report outlives what made it: it has its own flag */
    arena_init(&r->a, &r->mem);
    return r;
}

void report_vadd(lw_report *r, lw_severity sev, pos p, const char *rule,
                 const char *fmt, va_list ap)
{
    if (!r)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        lw_diag *items = lw_mem_realloc(&r->mem, r->items, r->cap * sizeof *items,
                                        cap * sizeof *items);
        if (!items) {
            r->nomem = true;
            return;
        }
        r->items = items;
        r->cap = cap;
    }
    lw_diag *d = &r->items[r->n++];
    d->severity = sev;
    d->file = arena_strdup(&r->a, p.file ? p.file : "<string>");
    d->line = p.line;
    d->column = p.col;
    d->rule = rule ? arena_strdup(&r->a, rule) : NULL;
    d->message = arena_vprintf(&r->a, fmt, ap);
    if (!d->file || !d->message) {
        r->n--;
        r->nomem = true;
        return;
    }
    if (sev == LW_ERROR)
        r->errors++;
}

void report_add(lw_report *r, lw_severity sev, pos p, const char *rule,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report_vadd(r, sev, p, rule, fmt, ap);
    va_end(ap);
}

size_t lw_report_count(const lw_report *r)
{
    return r ? r->n : 0;
}

const lw_diag *lw_report_get(const lw_report *r, size_t i)
{
    return (r && i < r->n) ? &r->items[i] : NULL;
}

size_t lw_report_errors(const lw_report *r)
{
    return r ? r->errors : 0;
}

size_t lw_diag_format(const lw_diag *d, char *buf, size_t size)
{
    if (!d) {
        if (size)
            buf[0] = 0;
        return 0;
    }
    const char *sev = d->severity == LW_ERROR ? "error" : "warning";
    int n;
    if (d->line == 0) /* no position: the message names the file itself */
        n = snprintf(buf, size, "%s: %s%s%s%s", sev, d->message, d->rule ? " [rule " : "",
                     d->rule ? d->rule : "", d->rule ? "]" : "");
    else if (d->rule)
        n = snprintf(buf, size, "%s:%d:%d: %s: %s [rule %s]", d->file, d->line, d->column,
                     sev, d->message, d->rule);
    else
        n = snprintf(buf, size, "%s:%d:%d: %s: %s", d->file, d->line, d->column, sev,
                     d->message);
    return n < 0 ? 0 : (size_t)n;
}

void lw_report_free(lw_report *r)
{
    if (!r)
        return;
    lw_mem m = r->mem;
    arena_free(&r->a);
    lw_mem_free(&m, r->items, r->cap * sizeof *r->items);
    lw_mem_free(&m, r, sizeof *r);
}
