/*
** domain.h -- sets of values an input may take, and boxes over several
** inputs (domain.c), for the analysis of `leeway check` (analyze_*.c).
**
** An input (a "dim") is a fact, or a table column whose input is not a fact.
** Its values are a bit mask when they are few (enum values, bools, roles, the
** words the playbook names for a text plus "any other text") or a union of
** intervals with open or closed ends (numbers, money, durations, dates). A
** box gives a set for some inputs and leaves the others at their declared
** domain; a condition is a union of boxes. Everything lives in the space's
** arena; past the limits the space gives up (sp->gave_up) rather than grow.
*/
#ifndef LW_DOMAIN_H
#define LW_DOMAIN_H

#include "internal.h"

typedef enum { DK_OPAQUE, DK_MASK, DK_ORD } dim_kind;
typedef enum { END_INF, END_OPEN, END_CLOSED } end_kind;

typedef struct ivl {
    val lo, hi;
    uint8_t lok, hik;        /* end_kind of each end */
} ivl;

typedef struct dset {
    uint64_t mask;           /* DK_MASK */
    uint32_t n;              /* DK_ORD: sorted, disjoint intervals */
    ivl *iv;
} dset;

/* The words a text input is compared with: bit 0 stands for every other text. */
#define WORDS_MAX 63

typedef struct dim_info {
    dim_kind kind;
    bool ready;              /* kind and domain worked out */
    vtype vt;                /* the values' type */
    int cur;                 /* V_MONEY: currency */
    const enumset *set;      /* V_ENUM */
    const char **words;      /* V_STR: word i is bit i + 1 */
    size_t n_words;
    dset all;                /* the declared domain */
    int fact;                /* fact index, or -1 */
    const char *text;        /* a column's input as written, when not a fact */
} dim_info;

typedef struct bdim {
    uint32_t dim;
    dset s;
} bdim;

typedef struct box {
    uint32_t n;              /* constrained inputs, by dim */
    bdim *d;
} box;

typedef struct boxes {
    size_t n, cap;
    box *b;
} boxes;

/* Limits: boxes in one union, intervals in one set, and the box
** intersections spent on one rule (the caller sets steps to 0 per rule). */
#define BOXES_MAX 4096
#define IVL_MAX 256
#define STEPS_MAX 2000000

typedef struct space {
    const lw_playbook *pb;
    arena *a;                /* boxes and sets; the caller resets it */
    arena *keep;             /* the dims' own data, kept while the space lives */
    dim_info *d;
    size_t n, cap;
    size_t steps;            /* box intersections so far, up to STEPS_MAX */
    bool gave_up;            /* a limit was hit: results are not to be trusted */
    bool opaque;             /* a condition had a part the analysis cannot see */
    bool opaque_lua;         /* ... and one of those was Lua */
    bool unbounded;          /* facts take every value of their type: min:/max: dropped */
} space;

/* Dims 0 .. n_facts-1 are the facts; space_add_dim adds one for a column. */
bool space_init(space *sp, const lw_playbook *pb, arena *boxes_arena, arena *keep);
dim_info *space_dim(space *sp, size_t dim); /* works out a fact's dim on first use */
int space_add_dim(space *sp, vtype vt, const enumset *set, int cur, const char *text);
/* A copy of from (its dims and words) in which the facts take every value of
** their type, min: and max: dropped: where a condition that never holds
** within the bounds would hold. Its dims live in from's keep arena. */
bool space_unbounded(const space *from, space *out);
/* Name a text word for a text dim (before any set of it is built). */
void space_add_word(space *sp, size_t dim, const char *s, size_t len);

/* Sets over one dim. */
bool dset_empty(const dim_info *d, const dset *s);
bool dset_point(space *sp, size_t dim, const val *v, dset *out);      /* {v} */
bool dset_compare(space *sp, size_t dim, int op, const val *v, dset *out); /* X_EQ..X_GE */
bool dset_range(space *sp, size_t dim, const val *lo, const val *hi, dset *out);
bool dset_meet(space *sp, size_t dim, const dset *a, const dset *b, dset *out);
bool dset_join(space *sp, size_t dim, const dset *a, const dset *b, dset *out);
bool dset_minus(space *sp, size_t dim, const dset *a, const dset *b, dset *out);
/* Format one value of s the way `leeway decide --set` reads it; false if s
** is empty. */
bool dset_pick(space *sp, size_t dim, const dset *s, char *buf, size_t size);

/* Boxes. A box with no dims is everything. */
box box_all(void);
bool box_single(space *sp, size_t dim, const dset *s, box *out); /* false: s is empty */
const dset *box_get(const space *sp, const box *b, size_t dim);  /* its set, or the domain */
bool box_meet(space *sp, const box *a, const box *b, box *out); /* false: empty or failed */
bool box_empty(space *sp, const box *b);
bool boxes_add(space *sp, boxes *u, const box *b);
/* Every pair of u and v that meets. */
bool boxes_meet(space *sp, const boxes *u, const boxes *v, boxes *out);
/* Is b within the union u? false also when the space gave up (check it);
** rest (when not NULL) gets the part of b outside u. */
bool boxes_cover(space *sp, const box *b, const boxes *u, boxes *rest);

#endif
