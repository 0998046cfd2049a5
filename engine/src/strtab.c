/*
** strtab.c -- a hash table from strings to pointers, on an arena.
**
** What the loader uses instead of comparing names pairwise: duplicate keys of
** a YAML mapping, anchors, fact paths, rule ids. A key is a string plus an
** owner pointer, so one table can hold the keys of many mappings (owner: the
** mapping) or of one namespace (owner: NULL). Strings are not copied: they
** must outlive the table. Open addressing with linear probing; the table
** doubles when half full, and its old slots stay in the arena until the
** arena is freed (at most as much again as the final table).
*/
#include "internal.h"

#include <string.h>

uint32_t strtab_hash(const char *s, size_t n)
{
    /* eight bytes at a time: a case's keys are looked up once per key */
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return (uint32_t)(h ^ (h >> 29));
}

static uint32_t key_hash(const void *owner, const char *s, size_t n)
{
    uint32_t h = strtab_hash(s, n);
    if (owner) {
        uintptr_t o = (uintptr_t)owner;
        h ^= (uint32_t)(o >> 4) * 2654435761u ^ (uint32_t)((uint64_t)o >> 32);
    }
    /* mix the high bits into the low ones, which pick the slot */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

void strtab_init(strtab *t, arena *a)
{
    memset(t, 0, sizeof *t);
    t->a = a;
}

static strtab_slot *find(const strtab *t, const void *owner, const char *s, size_t n,
                         uint32_t h)
{
    size_t mask = t->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        strtab_slot *e = &t->slot[i];
        if (!e->s || (e->h == h && e->owner == owner && e->len == n &&
                      memcmp(e->s, s, n) == 0))
            return e;
    }
}

void *strtab_get(const strtab *t, const void *owner, const char *s, size_t n)
{
    if (!t->cap)
        return NULL;
    strtab_slot *e = find(t, owner, s, n, key_hash(owner, s, n));
    return e->s ? e->v : NULL;
}

static bool grow(strtab *t)
{
    size_t cap = t->cap ? t->cap * 2 : 16;
    strtab_slot *slot = arena_alloc(t->a, cap * sizeof *slot);
    if (!slot)
        return false;
    strtab old = *t;
    t->cap = cap;
    t->slot = slot;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].s)
            *find(t, old.slot[i].owner, old.slot[i].s, old.slot[i].len, old.slot[i].h) =
                old.slot[i];
    return true;
}

int strtab_add(strtab *t, const void *owner, const char *s, size_t n, void *v, void **old)
{
    if ((t->n + 1) * 2 > t->cap && !grow(t))
        return -1;
    uint32_t h = key_hash(owner, s, n);
    strtab_slot *e = find(t, owner, s, n, h);
    if (e->s) {
        if (old)
            *old = e->v;
        return 0;
    }
    *e = (strtab_slot){owner, s, n, h, v};
    t->n++;
    return 1;
}
