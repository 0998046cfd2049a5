/*
** lint.c -- warnings for a playbook that compiles but probably does not say
** what its author meant (docs/playbook-format.md §5): exceptions that can never fire,
** discretionary exceptions nobody may apply, policies that differ by channel
** without saying why.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>

static bool always_true(const expr *e)
{
    return e && e->op == X_CONST && e->k.t == V_BOOL && e->k.u.b;
}

static bool always_false(const expr *e)
{
    return e && e->op == X_CONST && e->k.t == V_BOOL && !e->k.u.b;
}

/* Two conditions are the same if they are the same tree: enough to find the
** copy-paste duplicates that make a later exception dead. */
bool expr_same(const expr *a, const expr *b)
{
    if (a == b)
        return true;
    if (!a || !b || a->op != b->op || a->n != b->n || a->slot != b->slot)
        return false;
    if (a->op == X_CONST && !val_equal(&a->k, &b->k) &&
        !(a->k.t == V_MISSING && b->k.t == V_MISSING))
        return false;
    if (a->op == X_IN_SET && a->k.u.i != b->k.u.i)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (!expr_same(a->args[i], b->args[i]))
            return false;
    return true;
}

/* A hash of the tree that same_expr compares: the same trees hash alike. */
static uint32_t expr_hash(const expr *e)
{
    if (!e)
        return 0;
    uint32_t h = (uint32_t)e->op * 31u + e->n;
    h = h * 16777619u ^ (uint32_t)e->slot;
    if (e->op == X_CONST) {
        h = h * 16777619u ^ e->k.t;
        switch ((vtype)e->k.t) {
        case V_BOOL:
            h = h * 16777619u ^ e->k.u.b;
            break;
        case V_NUM: {
            double d = e->k.u.n == 0 ? 0 : e->k.u.n; /* -0 == 0 */
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            h = h * 16777619u ^ (uint32_t)(bits ^ bits >> 32);
            break;
        }
        case V_MONEY:
        case V_DUR:
        case V_DATE:
            h = h * 16777619u ^ (uint32_t)(e->k.u.i ^ e->k.u.i >> 32);
            break;
        case V_ENUM:
        case V_ROLE:
        case V_OUTCOME:
            h = h * 16777619u ^ (uint32_t)e->k.idx;
            break;
        default:
            break;
        }
    }
    if (e->op == X_IN_SET)
        h = h * 16777619u ^ (uint32_t)(e->k.u.i ^ e->k.u.i >> 32);
    for (size_t i = 0; i < e->n; i++)
        h = h * 31u + expr_hash(e->args[i]);
    return h;
}

/* The exceptions of one policy seen so far, by (condition, window): the
** condition is NULL for one that is always true, the window all zero when
** there is none. Each key keeps its first exception. */
typedef struct seen_exc {
    const exception_rule *x; /* NULL: empty */
    const expr *when;
    uint32_t h;
} seen_exc;

typedef struct seen_set {
    seen_exc *slot;
    size_t cap;
} seen_set;

static uint32_t window_hash(const window *w)
{
    uint64_t v = (uint64_t)w->from * 31u + (uint64_t)w->until * 17u + w->has_from * 2u +
                 w->has_until;
    return (uint32_t)(v ^ v >> 32);
}

/* The slot of (when, w): the exception there, or an empty slot for it. */
static seen_exc *seen_find(seen_set *s, const expr *when, const window *w, uint32_t h)
{
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        seen_exc *e = &s->slot[i];
        if (!e->x || (e->h == h && memcmp(&e->x->eff, w, sizeof *w) == 0 &&
                      (e->when == when || (e->when && when && expr_same(e->when, when)))))
            return e;
    }
}

/* The first of p's exceptions before x that always fires first when x would:
** always true, or the same condition, with no window or the same one. */
static const exception_rule *earlier_same(seen_set *s, const exception_rule *x,
                                          const expr *key, uint32_t kh)
{
    static const window none;
    const expr *keys[2] = {NULL, key};
    uint32_t khs[2] = {0, kh};
    const window *ws[2] = {&none, &x->eff};
    const exception_rule *first = NULL;
    for (int k = 0; k < 2; k++)
        for (int w = 0; w < 2; w++) {
            seen_exc *e = seen_find(s, keys[k], ws[w], khs[k] ^ window_hash(ws[w]));
            if (e->x && (!first || e->x < first))
                first = e->x;
        }
    return first;
}

/* False if out of memory. */
static bool lint_exceptions(const lw_playbook *pb, const policy *p, lw_report *r)
{
    if (p->n_exc == 0)
        return true;
    seen_set s = {NULL, 16};
    while (s.cap < p->n_exc * 2 + 2)
        s.cap *= 2;
    s.slot = lw_mem_alloc(&pb->mem, s.cap * sizeof *s.slot);
    if (!s.slot)
        return false;
    memset(s.slot, 0, s.cap * sizeof *s.slot);
    for (size_t i = 0; i < p->n_exc; i++) {
        const exception_rule *x = &p->exc[i];
        if (always_false(x->when))
            report_add(r, LW_WARNING, x->at, x->id,
                       "the exception '%s' can never fire: its condition is always false",
                       x->id);
        const expr *key = always_true(x->when) ? NULL : x->when;
        uint32_t kh = key ? expr_hash(key) : 0;
        const exception_rule *e = earlier_same(&s, x, key, kh);
        if (e)
            report_add(r, LW_WARNING, x->at, x->id,
                       "the exception '%s' can never fire: the earlier exception '%s' "
                       "(line %d) always fires first when this one would; reorder or "
                       "merge them",
                       x->id, e->id, e->at.line);
        seen_exc *slot = seen_find(&s, key, &x->eff, kh ^ window_hash(&x->eff));
        if (!slot->x)
            *slot = (seen_exc){x, key, kh ^ window_hash(&x->eff)};
        if (x->discretionary && x->overriders < 0)
            report_add(r, LW_WARNING, x->at, x->id,
                       "the exception '%s' is discretionary but no role may override the "
                       "policy '%s'; add it to a role's may_override",
                       x->id, p->id);
    }
    lw_mem_free(&pb->mem, s.slot, s.cap * sizeof *s.slot);
    return true;
}

/* The same policy id is one rule; two policies with the same title on
** different channels are "the same policy meaning different things".
**
** Each policy is reported once, against the first earlier policy of its title
** that has channels, other channels, and another outcome or number of
** exceptions (and not both channel_specific). Finding that one without
** comparing every pair: "other channels and another outcome" excludes one
** channel set and one (outcome, exceptions) pair, and the first policy that
** avoids both is always one of six kept per title -- the first policy (p1),
** the first with channels other than p1's (p2), the first with channels
** other than p1's and a pair other than p2's (q2), the first with a pair other
** than p1's (p3), the first with a pair other than p1's and channels other
** than p3's (r3), and the first with channels and pair both other than p1's
** (p4). Kept twice: over every policy of the title, and over those without
** channel_specific. */
typedef struct firsts {
    const policy *p1, *p2, *q2, *p3, *r3, *p4;
} firsts;

static bool same_pair(const policy *a, const policy *b)
{
    return a->outcome == b->outcome && a->n_exc == b->n_exc;
}

static void firsts_add(firsts *f, const policy *m)
{
    if (!f->p1) {
        f->p1 = m;
        return;
    }
    bool other_ch = m->channels != f->p1->channels, other_pair = !same_pair(m, f->p1);
    if (!f->p2 && other_ch)
        f->p2 = m;
    else if (f->p2 && !f->q2 && other_ch && !same_pair(m, f->p2))
        f->q2 = m;
    if (!f->p3 && other_pair)
        f->p3 = m;
    else if (f->p3 && !f->r3 && other_pair && m->channels != f->p3->channels)
        f->r3 = m;
    if (!f->p4 && other_ch && other_pair)
        f->p4 = m;
}

/* The first policy in f that b differs from, or NULL. */
static const policy *firsts_differs(const firsts *f, const policy *b)
{
    const policy *const cand[] = {f->p1, f->p2, f->q2, f->p3, f->r3, f->p4};
    const policy *best = NULL;
    for (size_t i = 0; i < sizeof cand / sizeof cand[0]; i++) {
        const policy *a = cand[i];
        if (a && a->channels != b->channels && !same_pair(a, b) && (!best || a < best))
            best = a;
    }
    return best;
}

typedef struct title_group {
    firsts all, plain; /* plain: the policies without channel_specific */
} title_group;

typedef struct channel_warning {
    const policy *a, *b;
} channel_warning;

static int warning_order(const void *x, const void *y)
{
    const channel_warning *p = x, *q = y;
    if (p->a != q->a)
        return p->a < q->a ? -1 : 1;
    return (p->b > q->b) - (p->b < q->b);
}

static bool lint_channels(const lw_playbook *pb, lw_report *r)
{
    size_t n = pb->n_policies, nw = 0;
    arena tmp;
    arena_init(&tmp, &pb->mem);
    strtab titles; /* title -> title_group */
    strtab_init(&titles, &tmp);
    channel_warning *w = arena_alloc(&tmp, (n ? n : 1) * sizeof *w);
    bool ok = w != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        const policy *b = &pb->policies[i];
        if (!b->title)
            continue;
        title_group *g = strtab_get(&titles, NULL, b->title, strlen(b->title));
        if (!g) {
            g = arena_alloc(&tmp, sizeof *g);
            if (!g || strtab_add(&titles, NULL, b->title, strlen(b->title), g, NULL) < 0) {
                ok = false;
                break;
            }
        }
        const policy *a = firsts_differs(b->channel_specific ? &g->plain : &g->all, b);
        if (a)
            w[nw++] = (channel_warning){a, b};
        if (b->channels) {
            firsts_add(&g->all, b);
            if (!b->channel_specific)
                firsts_add(&g->plain, b);
        }
    }
    if (ok)
        qsort(w, nw, sizeof *w, warning_order);
    for (size_t i = 0; ok && i < nw; i++)
        report_add(r, LW_WARNING, w[i].b->at, w[i].b->id,
                   "the policy '%s' (\"%s\") says something different on other channels "
                   "than '%s' (line %d); if that is intended, say why with "
                   "channel_specific: \"reason\" on both",
                   w[i].b->id, w[i].b->title, w[i].a->id, w[i].a->at.line);
    arena_free(&tmp);
    return ok;
}

bool lint_playbook(const lw_playbook *pb, lw_report *r)
{
    bool ok = true;
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        if (always_false(p->applies))
            report_add(r, LW_WARNING, p->at, p->id,
                       "the policy '%s' never applies: its applies: is always false", p->id);
        ok = lint_exceptions(pb, p, r) && ok;
    }
    return lint_channels(pb, r) && ok;
}
