/*
** domain.c -- the values an input may take and boxes over several inputs
** (see domain.h): intersection, union, difference and emptiness of sets,
** boxes and unions of boxes, and picking a concrete value to show a reader.
**
** Numbers are only ever compared with val_compare; the one place that makes
** up a number is pick_ordered.
*/
#include "domain.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Dims
*/
static uint64_t bits_below(size_t n)
{
    return n >= 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
}

static dim_kind kind_of(vtype vt)
{
    switch (vt) {
    case V_BOOL:
    case V_ENUM:
    case V_ROLE:
    case V_STR:
        return DK_MASK;
    case V_NUM:
    case V_MONEY:
    case V_DUR:
    case V_DATE:
        return DK_ORD;
    default:
        return DK_OPAQUE;
    }
}

static vtype vtype_of(ttype t)
{
    static const vtype map[] = {[T_BOOL] = V_BOOL, [T_NUM] = V_NUM,   [T_MONEY] = V_MONEY,
                                [T_STR] = V_STR,   [T_ENUM] = V_ENUM, [T_DUR] = V_DUR,
                                [T_DATE] = V_DATE, [T_ROLE] = V_ROLE};
    return (size_t)t < sizeof map / sizeof map[0] ? map[t] : V_MISSING;
}

/* The whole line: one interval with both ends open to infinity. */
static bool full_line(space *sp, dset *out)
{
    out->iv = arena_alloc(sp->keep, sizeof *out->iv);
    if (!out->iv) {
        sp->gave_up = true;
        return false;
    }
    out->n = 1;
    return true;
}

static void dim_setup(space *sp, dim_info *d, vtype vt, const enumset *set, int cur)
{
    d->vt = vt;
    d->kind = kind_of(vt);
    d->set = set;
    d->cur = cur;
    d->ready = true;
    if (vt == V_BOOL)
        d->all.mask = 3;
    else if (vt == V_ENUM)
        d->all.mask = set ? bits_below(set->n) : 0;
    else if (vt == V_ROLE)
        d->all.mask = bits_below(sp->pb->n_roles);
    else if (vt == V_STR)
        d->all.mask = 1; /* every other text; words add their bits */
    else if (d->kind == DK_ORD)
        full_line(sp, &d->all);
}

bool space_init(space *sp, const lw_playbook *pb, arena *boxes_arena, arena *keep)
{
    memset(sp, 0, sizeof *sp);
    sp->pb = pb;
    sp->a = boxes_arena;
    sp->keep = keep;
    sp->cap = pb->n_facts + 16;
    sp->d = arena_alloc(keep, sp->cap * sizeof *sp->d);
    if (!sp->d)
        return false;
    sp->n = pb->n_facts;
    for (size_t i = 0; i < sp->n; i++)
        sp->d[i].fact = (int)i;
    return true;
}

dim_info *space_dim(space *sp, size_t dim)
{
    dim_info *d = &sp->d[dim];
    if (d->ready || d->fact < 0)
        return d;
    const fact *f = &sp->pb->facts[d->fact];
    dim_setup(sp, d, vtype_of(f->type), f->set, f->cur);
    if ((d->vt == V_NUM || d->vt == V_MONEY) && (f->has_min || f->has_max) && d->all.iv &&
        !sp->unbounded) {
        ivl *iv = d->all.iv;
        if (d->vt == V_MONEY) {
            iv->lo = (val){.t = V_MONEY, .cur = (uint8_t)f->cur, .u.i = f->min_money};
            iv->hi = (val){.t = V_MONEY, .cur = (uint8_t)f->cur, .u.i = f->max_money};
        } else if (num_put(sp->keep, f->min, &iv->lo) || num_put(sp->keep, f->max, &iv->hi)) {
            iv->lo = iv->hi = num_int(0); /* out of memory: the ends are not read */
        }
        iv->lok = f->has_min ? END_CLOSED : END_INF;
        iv->hik = f->has_max ? END_CLOSED : END_INF;
    }
    return d;
}

bool space_unbounded(const space *from, space *out)
{
    *out = *from;
    out->unbounded = true;
    out->d = arena_alloc(from->keep, from->cap * sizeof *out->d);
    if (!out->d)
        return false;
    memcpy(out->d, from->d, from->n * sizeof *out->d);
    for (size_t i = 0; i < from->pb->n_facts; i++) {
        const fact *f = &from->pb->facts[i];
        if (out->d[i].ready && out->d[i].kind == DK_ORD && (f->has_min || f->has_max) &&
            !full_line(out, &out->d[i].all))
            return false;
    }
    return true;
}

int space_add_dim(space *sp, vtype vt, const enumset *set, int cur, const char *text)
{
    if (sp->n == sp->cap) {
        dim_info *nd = arena_alloc(sp->keep, sp->cap * 2 * sizeof *nd);
        if (!nd) {
            sp->gave_up = true;
            return -1;
        }
        memcpy(nd, sp->d, sp->n * sizeof *nd);
        sp->d = nd;
        sp->cap *= 2;
    }
    dim_info *d = &sp->d[sp->n];
    memset(d, 0, sizeof *d);
    d->fact = -1;
    d->text = text;
    dim_setup(sp, d, vt, set, cur);
    return (int)sp->n++;
}

static int word_bit(const dim_info *d, const char *s, size_t len)
{
    for (size_t i = 0; i < d->n_words; i++)
        if (strlen(d->words[i]) == len && memcmp(d->words[i], s, len) == 0)
            return (int)i + 1;
    return 0;
}

void space_add_word(space *sp, size_t dim, const char *s, size_t len)
{
    dim_info *d = space_dim(sp, dim);
    if (d->vt != V_STR || word_bit(d, s, len))
        return;
    if (d->n_words == WORDS_MAX) {
        d->kind = DK_OPAQUE; /* too many words to tell apart */
        return;
    }
    const char **w = arena_alloc(sp->keep, (d->n_words + 1) * sizeof *w);
    char *copy = arena_strndup(sp->keep, s, len);
    if (!w || !copy) {
        sp->gave_up = true;
        return;
    }
    if (d->n_words)
        memcpy(w, d->words, d->n_words * sizeof *w);
    w[d->n_words++] = copy;
    d->words = w;
    d->all.mask |= (uint64_t)1 << d->n_words;
}

/* ======================================================================
** Interval ends
*/
static int cmp_val(const val *a, const val *b)
{
    bool ok = true;
    return val_compare(a, b, &ok);
}

/* Lower ends: infinity first; at the same value a closed end starts earlier. */
static int cmp_lo(const ivl *a, const ivl *b)
{
    if (a->lok == END_INF || b->lok == END_INF)
        return (b->lok == END_INF) - (a->lok == END_INF);
    int c = cmp_val(&a->lo, &b->lo);
    if (c || a->lok == b->lok)
        return c;
    return a->lok == END_CLOSED ? -1 : 1;
}

/* Upper ends: infinity last; at the same value an open end stops earlier. */
static int cmp_hi(const ivl *a, const ivl *b)
{
    if (a->hik == END_INF || b->hik == END_INF)
        return (a->hik == END_INF) - (b->hik == END_INF);
    int c = cmp_val(&a->hi, &b->hi);
    if (c || a->hik == b->hik)
        return c;
    return a->hik == END_OPEN ? -1 : 1;
}

/* The grid of values a discrete type takes: 0 for numbers. */
static int64_t grid_step(vtype vt)
{
    return vt == V_MONEY ? MONEY_FINE : vt == V_DUR || vt == V_DATE ? 1 : 0;
}

static int64_t floor_to(int64_t x, int64_t g)
{
    int64_t r = x % g;
    return r < 0 ? x - r - g : x - r;
}

/* Money, durations and dates take values on a grid: make both ends closed
** grid points, so an interval is empty exactly when lo > hi. */
static void normalise(const dim_info *d, ivl *iv)
{
    int64_t g = grid_step(d->vt);
    if (!g)
        return;
    if (iv->lok != END_INF) {
        int64_t f = floor_to(iv->lo.u.i, g);
        iv->lo.u.i = iv->lok == END_OPEN || f != iv->lo.u.i ? f + g : f;
        iv->lok = END_CLOSED;
    }
    if (iv->hik != END_INF) {
        int64_t f = floor_to(iv->hi.u.i, g);
        iv->hi.u.i = iv->hik == END_OPEN && f == iv->hi.u.i ? f - g : f;
        iv->hik = END_CLOSED;
    }
}

static bool ivl_empty(const ivl *iv)
{
    if (iv->lok == END_INF || iv->hik == END_INF)
        return false;
    int c = cmp_val(&iv->lo, &iv->hi);
    return c > 0 || (c == 0 && (iv->lok != END_CLOSED || iv->hik != END_CLOSED));
}

/* Room for n intervals in the boxes arena. */
static bool ivl_room(space *sp, dset *out, size_t n)
{
    if (n > IVL_MAX) {
        sp->gave_up = true;
        return false;
    }
    out->n = 0;
    out->iv = arena_alloc(sp->a, (n ? n : 1) * sizeof *out->iv);
    if (!out->iv)
        sp->gave_up = true;
    return out->iv != NULL;
}

static void ivl_push(const dim_info *d, dset *out, ivl iv)
{
    normalise(d, &iv);
    if (!ivl_empty(&iv))
        out->iv[out->n++] = iv;
}

/* The set operations below may write over an operand: out may be a or b. */
static bool ord_meet(space *sp, const dim_info *d, const dset *a, const dset *b, dset *out)
{
    dset r;
    if (!ivl_room(sp, &r, a->n + b->n))
        return false;
    size_t i = 0, j = 0;
    while (i < a->n && j < b->n) {
        const ivl *x = &a->iv[i], *y = &b->iv[j];
        ivl m;
        const ivl *lo = cmp_lo(x, y) >= 0 ? x : y, *hi = cmp_hi(x, y) <= 0 ? x : y;
        m.lo = lo->lo;
        m.lok = lo->lok;
        m.hi = hi->hi;
        m.hik = hi->hik;
        ivl_push(d, &r, m);
        if (hi == x)
            i++;
        else
            j++;
    }
    *out = r;
    return true;
}

/* Everything outside a's intervals. */
static bool ord_complement(space *sp, const dim_info *d, const dset *a, dset *out)
{
    dset r;
    if (!ivl_room(sp, &r, a->n + 1))
        return false;
    ivl gap = {.lok = END_INF};
    bool open_end = true;
    for (size_t i = 0; open_end && i < a->n; i++) {
        const ivl *x = &a->iv[i];
        if (x->lok != END_INF) {
            gap.hi = x->lo;
            gap.hik = x->lok == END_CLOSED ? END_OPEN : END_CLOSED;
            ivl_push(d, &r, gap);
        }
        open_end = x->hik != END_INF;
        gap.lo = x->hi;
        gap.lok = x->hik == END_CLOSED ? END_OPEN : END_CLOSED;
    }
    if (open_end) {
        gap.hik = END_INF;
        ivl_push(d, &r, gap);
    }
    *out = r;
    return true;
}

static int by_lo(const void *x, const void *y)
{
    return cmp_lo(x, y);
}

static bool ord_join(space *sp, const dim_info *d, const dset *a, const dset *b, dset *out)
{
    dset all, r;
    if (!ivl_room(sp, &all, a->n + b->n) || !ivl_room(sp, &r, a->n + b->n))
        return false;
    memcpy(all.iv, a->iv, a->n * sizeof *a->iv);
    memcpy(all.iv + a->n, b->iv, b->n * sizeof *b->iv);
    all.n = a->n + b->n;
    qsort(all.iv, all.n, sizeof *all.iv, by_lo);
    for (size_t i = 0; i < all.n; i++) {
        const ivl *x = &all.iv[i];
        ivl *last = r.n ? &r.iv[r.n - 1] : NULL;
        bool touches = false;
        if (last) {
            int c = last->hik == END_INF || x->lok == END_INF ? 1 : cmp_val(&last->hi, &x->lo);
            touches = c > 0 || (c == 0 && (last->hik == END_CLOSED || x->lok == END_CLOSED));
        }
        if (!touches)
            r.iv[r.n++] = *x;
        else if (cmp_hi(x, last) > 0) {
            last->hi = x->hi;
            last->hik = x->hik;
        }
    }
    *out = r;
    return true;
}

/* ======================================================================
** Sets
*/
bool dset_empty(const dim_info *d, const dset *s)
{
    return d->kind == DK_MASK ? (s->mask & d->all.mask) == 0 : s->n == 0;
}

bool dset_meet(space *sp, size_t dim, const dset *a, const dset *b, dset *out)
{
    const dim_info *d = space_dim(sp, dim);
    if (d->kind == DK_MASK) {
        out->mask = a->mask & b->mask;
        return true;
    }
    return ord_meet(sp, d, a, b, out);
}

bool dset_join(space *sp, size_t dim, const dset *a, const dset *b, dset *out)
{
    const dim_info *d = space_dim(sp, dim);
    if (d->kind == DK_MASK) {
        out->mask = a->mask | b->mask;
        return true;
    }
    return ord_join(sp, d, a, b, out);
}

bool dset_minus(space *sp, size_t dim, const dset *a, const dset *b, dset *out)
{
    const dim_info *d = space_dim(sp, dim);
    if (d->kind == DK_MASK) {
        out->mask = a->mask & ~b->mask;
        return true;
    }
    dset not_b;
    return ord_complement(sp, d, b, &not_b) && ord_meet(sp, d, a, &not_b, out);
}

/* The set of one interval, within the dim's domain. */
static bool ord_one(space *sp, size_t dim, ivl iv, dset *out)
{
    dset one;
    if (!ivl_room(sp, &one, 1))
        return false;
    ivl_push(space_dim(sp, dim), &one, iv);
    return dset_meet(sp, dim, &one, &space_dim(sp, dim)->all, out);
}

/* Can v stand for a value of d? (the same type; money in the same currency) */
static bool fits(const dim_info *d, const val *v)
{
    return v->t == d->vt && (v->t != V_MONEY || v->cur == d->cur);
}

static int mask_index(const dim_info *d, const val *v)
{
    switch ((vtype)v->t) {
    case V_BOOL:
        return v->u.b ? 1 : 0;
    case V_STR:
        return word_bit(d, v->u.s, (size_t)v->idx);
    default:
        return v->idx;
    }
}

bool dset_point(space *sp, size_t dim, const val *v, dset *out)
{
    return dset_compare(sp, dim, X_EQ, v, out);
}

bool dset_compare(space *sp, size_t dim, int op, const val *v, dset *out)
{
    const dim_info *d = space_dim(sp, dim);
    memset(out, 0, sizeof *out);
    if (d->kind == DK_OPAQUE)
        return false;
    if (!fits(d, v))
        return d->kind == DK_MASK || ivl_room(sp, out, 0); /* matches nothing */
    if (d->kind == DK_MASK) {
        int i = mask_index(d, v);
        if (d->vt == V_STR && i == 0)
            return false; /* a word nobody named with space_add_word */
        uint64_t bit = (uint64_t)1 << i;
        switch (op) {
        case X_EQ: out->mask = bit; break;
        case X_NE: out->mask = d->all.mask & ~bit; break;
        case X_LT: out->mask = bits_below((size_t)i); break;
        case X_LE: out->mask = bits_below((size_t)i + 1); break;
        case X_GT: out->mask = d->all.mask & ~bits_below((size_t)i + 1); break;
        case X_GE: out->mask = d->all.mask & ~bits_below((size_t)i); break;
        default: return false;
        }
        /* only roles are ordered (by the ladder) */
        return d->vt == V_ROLE || op == X_EQ || op == X_NE;
    }
    ivl iv = {*v, *v, END_CLOSED, END_CLOSED};
    switch (op) {
    case X_EQ: break;
    case X_LT: iv.lok = END_INF; iv.hik = END_OPEN; break;
    case X_LE: iv.lok = END_INF; break;
    case X_GT: iv.lok = END_OPEN; iv.hik = END_INF; break;
    case X_GE: iv.hik = END_INF; break;
    case X_NE: {
        dset pt;
        return ord_one(sp, dim, iv, &pt) && dset_minus(sp, dim, &d->all, &pt, out);
    }
    default: return false;
    }
    return ord_one(sp, dim, iv, out);
}

bool dset_range(space *sp, size_t dim, const val *lo, const val *hi, dset *out)
{
    const dim_info *d = space_dim(sp, dim);
    memset(out, 0, sizeof *out);
    if (d->kind != DK_ORD)
        return false;
    if (!fits(d, lo) || !fits(d, hi))
        return ivl_room(sp, out, 0);
    return ord_one(sp, dim, (ivl){*lo, *hi, END_CLOSED, END_CLOSED}, out);
}

/* A value in the interval, as plain as the interval allows: a closed end,
** else the next whole number inside, else the middle. */
static val pick_ordered(space *sp, const dim_info *d, const ivl *iv)
{
    val v = iv->lok != END_INF ? iv->lo : iv->hi;
    if (iv->lok == END_INF && iv->hik == END_INF) {
        memset(&v, 0, sizeof v);
        v.t = (uint8_t)d->vt;
        v.cur = (uint8_t)d->cur;
    }
    if (d->vt != V_NUM || iv->lok == END_CLOSED)
        return v; /* grid types are closed at both ends (normalise) */
    /* exact decimals (decimal.c); if one fails (out of range), v stays an end */
    dec x, one = dec_int(1);
    val picked;
    if (iv->lok == END_OPEN) {
        if (dec_round(num_get(&iv->lo), one, DEC_FLOOR, &x) || dec_add(x, one, &x) ||
            num_put(sp->a, x, &picked))
            return v;
        int c = iv->hik == END_INF ? -1 : num_compare(&picked, &iv->hi);
        if (c < 0 || (c == 0 && iv->hik == END_CLOSED))
            return picked;
        dec mid;
        if (!dec_add(num_get(&iv->lo), num_get(&iv->hi), &mid) &&
            !dec_div(mid, dec_int(2), &mid) && !num_put(sp->a, mid, &picked))
            return picked;
    } else if (iv->hik == END_OPEN) {
        if (!dec_round(num_get(&iv->hi), one, DEC_CEIL, &x) && !dec_sub(x, one, &x) &&
            !num_put(sp->a, x, &picked))
            return picked;
    }
    return v;
}

/* A text no word of d is. */
static const char *other_text(const dim_info *d, char *buf, size_t size)
{
    for (int k = 0;; k++) {
        if (k == 0)
            snprintf(buf, size, "something else");
        else
            snprintf(buf, size, "something else %d", k);
        if (!word_bit(d, buf, strlen(buf)))
            return buf;
    }
}

bool dset_pick(space *sp, size_t dim, const dset *s, char *buf, size_t size)
{
    const dim_info *d = space_dim(sp, dim);
    if (dset_empty(d, s))
        return false;
    if (d->kind == DK_ORD) {
        val v = pick_ordered(sp, d, &s->iv[0]);
        val_format(sp->pb, &v, buf, size);
        return true;
    }
    uint64_t m = s->mask & d->all.mask;
    if (d->vt == V_STR && m != 1)
        m &= ~(uint64_t)1; /* a word the playbook names reads better */
    int i = __builtin_ctzll(m);
    switch (d->vt) {
    case V_BOOL:
        snprintf(buf, size, "%s", i ? "true" : "false");
        break;
    case V_ENUM:
        snprintf(buf, size, "%s", d->set->words[i]);
        break;
    case V_ROLE:
        snprintf(buf, size, "%s", sp->pb->roles[i].id);
        break;
    default:
        if (i)
            snprintf(buf, size, "%s", d->words[i - 1]);
        else
            other_text(d, buf, size);
        break;
    }
    return true;
}

/* ======================================================================
** Boxes
*/
box box_all(void)
{
    return (box){0, NULL};
}

bool box_single(space *sp, size_t dim, const dset *s, box *out)
{
    out->n = 1;
    out->d = arena_alloc(sp->a, sizeof *out->d);
    if (!out->d) {
        sp->gave_up = true;
        return false;
    }
    out->d[0].dim = (uint32_t)dim;
    out->d[0].s = *s;
    return !dset_empty(space_dim(sp, dim), s);
}

const dset *box_get(const space *sp, const box *b, size_t dim)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (b->d[i].dim == dim)
            return &b->d[i].s;
    return &sp->d[dim].all;
}

bool box_empty(space *sp, const box *b)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (dset_empty(space_dim(sp, b->d[i].dim), &b->d[i].s))
            return true;
    return false;
}

bool box_meet(space *sp, const box *a, const box *b, box *out)
{
    box m = {0, NULL};
    if (++sp->steps <= STEPS_MAX)
        m.d = arena_alloc(sp->a, (a->n + b->n + 1) * sizeof *m.d);
    if (!m.d) {
        sp->gave_up = true;
        return false;
    }
    uint32_t i = 0, j = 0;
    while (i < a->n || j < b->n) {
        bdim *o = &m.d[m.n++];
        if (j == b->n || (i < a->n && a->d[i].dim < b->d[j].dim)) {
            *o = a->d[i++];
        } else if (i == a->n || b->d[j].dim < a->d[i].dim) {
            *o = b->d[j++];
        } else {
            o->dim = a->d[i].dim;
            if (!dset_meet(sp, o->dim, &a->d[i].s, &b->d[j].s, &o->s))
                return false;
            i++;
            j++;
        }
        if (dset_empty(space_dim(sp, o->dim), &o->s))
            return false;
    }
    *out = m; /* out may be a or b */
    return true;
}

/* b with dim set to s (a copy). */
static bool box_with(space *sp, const box *b, uint32_t dim, const dset *s, box *out)
{
    box one = {1, &(bdim){dim, *s}};
    box rest = {0, arena_alloc(sp->a, (b->n + 1) * sizeof *rest.d)};
    if (!rest.d) {
        sp->gave_up = true;
        return false;
    }
    for (uint32_t i = 0; i < b->n; i++)
        if (b->d[i].dim != dim)
            rest.d[rest.n++] = b->d[i];
    return box_meet(sp, &rest, &one, out);
}

/* Append a - b to out. */
static bool box_minus(space *sp, const box *a, const box *b, boxes *out)
{
    box m;
    if (!box_meet(sp, a, b, &m))
        return !sp->gave_up && boxes_add(sp, out, a);
    box cur = *a;
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t dim = b->d[i].dim;
        const dset *as = box_get(sp, &cur, dim);
        dset diff, both;
        if (!dset_minus(sp, dim, as, &b->d[i].s, &diff))
            return false;
        box piece;
        if (!dset_empty(space_dim(sp, dim), &diff) &&
            (!box_with(sp, &cur, dim, &diff, &piece) || !boxes_add(sp, out, &piece)))
            return false;
        if (!dset_meet(sp, dim, as, &b->d[i].s, &both) || !box_with(sp, &cur, dim, &both, &cur))
            return false;
    }
    return true;
}

bool boxes_add(space *sp, boxes *u, const box *b)
{
    if (u->n == u->cap) {
        size_t ncap = u->cap ? u->cap * 2 : 8;
        box *nb = u->n >= BOXES_MAX ? NULL : arena_alloc(sp->a, ncap * sizeof *nb);
        if (!nb) {
            sp->gave_up = true;
            return false;
        }
        if (u->n)
            memcpy(nb, u->b, u->n * sizeof *nb);
        u->b = nb;
        u->cap = ncap;
    }
    u->b[u->n++] = *b;
    return true;
}

/* u - b, in place. */
static bool boxes_minus(space *sp, boxes *u, const box *b)
{
    boxes out = {0, 0, NULL};
    for (size_t i = 0; i < u->n; i++)
        if (!box_minus(sp, &u->b[i], b, &out))
            return false;
    *u = out;
    return true;
}

bool boxes_meet(space *sp, const boxes *u, const boxes *v, boxes *out)
{
    boxes r = {0, 0, NULL};
    for (size_t i = 0; i < u->n; i++)
        for (size_t j = 0; j < v->n; j++) {
            box m;
            if (box_meet(sp, &u->b[i], &v->b[j], &m)) {
                if (!boxes_add(sp, &r, &m))
                    return false;
            } else if (sp->gave_up) {
                return false;
            }
        }
    *out = r; /* out may be u or v */
    return true;
}

bool boxes_cover(space *sp, const box *b, const boxes *u, boxes *rest)
{
    boxes r = {0, 0, NULL};
    if (!boxes_add(sp, &r, b))
        return false;
    for (size_t i = 0; i < u->n && r.n; i++)
        if (!boxes_minus(sp, &r, &u->b[i]))
            return false;
    if (rest)
        *rest = r;
    return r.n == 0;
}
