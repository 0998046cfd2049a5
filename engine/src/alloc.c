/*
** alloc.c -- the engine's allocator hook, arenas and growable buffers.
**
** All memory goes through an lw_alloc_fn (realloc-shaped, like lua_Alloc), so
** an application can count, cap or pool it. Arenas hand out zeroed, aligned
** blocks from chunks and free them all at once; reset keeps the largest chunk,
** so an arena used once per decision stops allocating after the first few.
*/
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, nsize);
}

void lw_mem_init(lw_mem *m, const lw_options *opt)
{
    m->fn = (opt && opt->alloc) ? opt->alloc : default_alloc;
    m->ud = (opt && opt->alloc) ? opt->alloc_ud : NULL;
    m->refused = NULL;
}

void *lw_mem_alloc(const lw_mem *m, size_t n)
{
    void *p = m->fn(m->ud, NULL, 0, n ? n : 1);
    if (!p && m->refused)
        *m->refused = true;
    return p;
}

void *lw_mem_realloc(const lw_mem *m, void *p, size_t osize, size_t nsize)
{
    void *q = m->fn(m->ud, p, osize, nsize);
    if (!q && nsize && m->refused)
        *m->refused = true;
    return q;
}

void lw_mem_free(const lw_mem *m, void *p, size_t n)
{
    if (p)
        m->fn(m->ud, p, n, 0);
}

/* ---------------------------------------------------------------------- */

struct arena_chunk {
    arena_chunk *next;
    size_t size, used;
    max_align_t data[];
};

#define ARENA_MIN_CHUNK (16 * 1024 - sizeof(arena_chunk))

void arena_init(arena *a, const lw_mem *m)
{
    memset(a, 0, sizeof *a);
    a->mem = *m;
}

void *arena_alloc(arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_MIN_CHUNK ? n : ARENA_MIN_CHUNK;
        if (a->head && a->head->size * 2 > size && a->head->size < (1u << 24))
            size = a->head->size * 2;
        c = lw_mem_alloc(&a->mem, sizeof *c + size);
        if (!c) {
            a->failed = true;
            return NULL;
        }
        c->size = size;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

char *arena_strdup(arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p)
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

/* Keep one chunk big enough for everything used since the last reset, so the
** next round of the same work fits without allocating. */
void arena_reset(arena *a)
{
    size_t want = a->used_total;
    arena_chunk *keep = NULL;
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        if (!keep && c->size >= want)
            keep = c;
        else
            lw_mem_free(&a->mem, c, sizeof *c + c->size);
    }
    if (!keep && want > 0) {
        size_t size = want > ARENA_MIN_CHUNK ? want : ARENA_MIN_CHUNK;
        keep = lw_mem_alloc(&a->mem, sizeof *keep + size);
        if (keep)
            keep->size = size;
    }
    if (keep) {
        keep->used = 0;
        keep->next = NULL;
    }
    a->head = keep;
    a->used_total = 0;
    a->failed = false;
}

void arena_free(arena *a)
{
    for (arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        lw_mem_free(&a->mem, c, sizeof *c + c->size);
    }
    a->head = NULL;
    a->used_total = 0;
}

/* ---------------------------------------------------------------------- */

void buf_init(strbuf *b, const lw_mem *m)
{
    memset(b, 0, sizeof *b);
    b->mem = m;
}

bool buf_grow(strbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = lw_mem_realloc(b->mem, b->p, b->cap, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void buf_puts(strbuf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

void buf_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[256];
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof tmp) {
        buf_put(b, tmp, (size_t)n);
        return;
    }
    if (!buf_grow(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_free(strbuf *b)
{
    lw_mem_free(b->mem, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}
