/*
** internal.h -- types shared by the engine's source files; not API.
**
** Memory: everything a playbook owns lives in its arena and is freed at once;
** an engine has an arena that is reset at the start of every decision, so
** deciding allocates nothing in steady state.
*/
#ifndef LW_INTERNAL_H
#define LW_INTERNAL_H

#include "leeway.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define LW_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define LW_LIKELY(x) __builtin_expect(!!(x), 1)
#define LW_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LW_PRINTF(f, a)
#define LW_LIKELY(x) (x)
#define LW_UNLIKELY(x) (x)
#endif

/* ======================================================================
** Allocation (alloc.c)
*/
typedef struct lw_mem {
    lw_alloc_fn fn;
    void *ud;
    bool *refused;       /* when not NULL, set when the allocator refuses */
} lw_mem;

void lw_mem_init(lw_mem *m, const lw_options *opt);
void *lw_mem_alloc(const lw_mem *m, size_t n);
void *lw_mem_realloc(const lw_mem *m, void *p, size_t osize, size_t nsize);
void lw_mem_free(const lw_mem *m, void *p, size_t n);

typedef struct arena_chunk arena_chunk;
typedef struct arena {
    lw_mem mem;
    arena_chunk *head;
    size_t used_total;   /* bytes handed out since the last reset */
    bool failed;         /* an allocation failed since the last reset */
} arena;

void arena_init(arena *a, const lw_mem *m);
void *arena_alloc(arena *a, size_t n);             /* 16-byte aligned, zeroed */
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_printf(arena *a, const char *fmt, ...) LW_PRINTF(2, 3);
char *arena_vprintf(arena *a, const char *fmt, va_list ap);
void arena_reset(arena *a);                        /* keeps one chunk */
void arena_free(arena *a);

/* A hash table from strings (with an owner pointer: the keys of one YAML
** mapping, or NULL) to pointers, on an arena (strtab.c). Strings are not
** copied. */
typedef struct strtab_slot {
    const void *owner;
    const char *s;           /* NULL: empty slot */
    size_t len;
    uint32_t h;
    void *v;
} strtab_slot;

typedef struct strtab {
    arena *a;
    size_t cap, n;           /* cap: 0 or a power of two */
    strtab_slot *slot;
} strtab;

uint32_t strtab_hash(const char *s, size_t n);
void strtab_init(strtab *t, arena *a);
/* The value of (owner, s), or NULL if it is not in the table. */
void *strtab_get(const strtab *t, const void *owner, const char *s, size_t n);
/* Add (owner, s) -> v: 1 if added; 0 if it was there already (*old, when
** old is not NULL, gets its value; the table is unchanged); -1 out of memory. */
int strtab_add(strtab *t, const void *owner, const char *s, size_t n, void *v, void **old);

/* Growable byte buffer on an lw_mem. */
typedef struct strbuf {
    const lw_mem *mem;
    char *p;
    size_t len, cap;
    bool failed;
} strbuf;

void buf_init(strbuf *b, const lw_mem *m);
bool buf_grow(strbuf *b, size_t extra);
void buf_puts(strbuf *b, const char *s);

static inline void buf_put(strbuf *b, const char *s, size_t n)
{
    if (LW_UNLIKELY(b->len + n + 1 > b->cap) && !buf_grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static inline void buf_putc(strbuf *b, char c)
{
    if (LW_UNLIKELY(b->len + 2 > b->cap) && !buf_grow(b, 1))
        return;
    b->p[b->len++] = c;
    b->p[b->len] = 0;
}
void buf_printf(strbuf *b, const char *fmt, ...) LW_PRINTF(2, 3);
void buf_free(strbuf *b);

/* ======================================================================
** Text (text.c): UTF-8 checks, NFC, case folding, graphemes
*/
bool text_valid_utf8(const char *s, size_t n, size_t *bad_at);
/* NFC-normalised copy in the arena (NULL if invalid UTF-8 or out of memory). */
char *text_nfc(arena *a, const char *s, size_t n, size_t *out_len);
/* Case-folded NFC copy, for comparing enum words. */
char *text_fold(arena *a, const char *s, size_t n);
size_t text_graphemes(const char *s, size_t n);
char *text_lower(arena *a, const char *s, size_t n, size_t *out_len);
/* A copy that is valid UTF-8 (bad bytes become '?'), cut at a character
** boundary to at most max bytes (then ending in "..."). */
char *text_clean(arena *a, const char *s, size_t max);
/* "Did you mean": offer every candidate in turn; best is the nearest one
** within fewer than max_edits edits (NULL if none is that close). */
typedef struct nearest {
    const char *name;
    const char *best;
    int dist;
} nearest;
nearest nearest_start(const char *name, int max_edits);
void nearest_offer(nearest *n, const char *candidate);

/* ======================================================================
** Values (value.c, money.c)
*/
typedef enum {
    V_MISSING = 0, /* no value: conditions reading it are unknown */
    V_ERROR,       /* evaluation failed; an error entry was recorded */
    V_BOOL, V_NUM, V_MONEY, V_STR, V_ENUM, V_DUR, V_DATE, V_ROLE, V_LIST,
    V_OUTCOME      /* an outcome word of the playbook (idx) */
} vtype;

typedef struct enumset enumset;

typedef struct strlist {
    size_t n;
    const char **items; /* NFC strings */
    const size_t *lens;
} strlist;

typedef struct val {
    uint8_t t;
    uint8_t cur;   /* V_MONEY: currency index */
    int32_t idx;   /* V_ENUM value index, V_ROLE, V_OUTCOME index; V_STR length;
                      V_NUM exponent (decimal.c: read numbers with num_get) */
    union {
        int64_t i;            /* V_MONEY minor units, V_DUR seconds, V_DATE seconds;
                                 V_NUM coefficient (decimal.c) */
        bool b;               /* V_BOOL */
        const char *s;        /* V_STR */
        const enumset *set;   /* V_ENUM */
        const strlist *list;  /* V_LIST */
    } u;
} val;

struct enumset {
    size_t n;
    const char **words;  /* as declared */
    const char **folded; /* case-folded, for matching */
};

int enumset_find(const enumset *s, const char *folded);
int enumset_find_text(arena *scratch, const enumset *s, const char *text, size_t n);

/* Exact decimal numbers (decimal.c): c x 10^e, |c| < 10^34. Functions that
** return const char * give NULL when all is well, else a message for people
** (a result beyond 10^6144, division by zero, ...). +, -, * and dec_round are
** exact while the result fits in 34 digits; quotients and powers are rounded
** to 34 significant digits, half to even (DMN FEEL's decimal128). */
/* 8-byte aligned, not 16: decs live in arenas and structs (fact min/max)
** whose memory an application's allocator gives 8-aligned (PostgreSQL's
** palloc); aligned SSE loads of a 16-aligned __int128 would fault there. */
typedef struct __attribute__((packed, aligned(8))) dec {
    __int128 c;
    int32_t e;
} dec;
typedef enum { DEC_DOWN, DEC_HALF_UP, DEC_FLOOR, DEC_CEIL } dec_rounding; /* HALF_UP: away from zero */

dec dec_int(int64_t i);
int dec_sign(dec a);
dec dec_neg(dec a);
const char *dec_add(dec a, dec b, dec *out);
const char *dec_sub(dec a, dec b, dec *out);
const char *dec_mul(dec a, dec b, dec *out);
const char *dec_div(dec a, dec b, dec *out);
const char *dec_pow(dec a, dec n, dec *out);    /* n whole */
int dec_compare(dec a, dec b);                  /* -1, 0, 1; exact */
const char *dec_round(dec a, dec step, dec_rounding mode, dec *out); /* to a multiple of step > 0 */
const char *dec_to_int64(dec a, dec_rounding mode, int64_t *out);
const char *dec_parse(const char *s, size_t n, dec *out); /* "12", "-0.5", "1.5e-3" */
size_t dec_format(dec a, char *buf, size_t size);         /* shortest exact text */
double dec_to_double(dec a);                    /* nearest double, for display-free uses */
const char *dec_from_double(double d, dec *out); /* the shortest decimal that reads back as d */
/* A number in a val: num_put holds a wide coefficient in the arena a. */
dec num_get(const val *v);
const char *num_put(arena *a, dec d, val *out);
val num_int(int64_t i);
int num_compare_aligned(const val *a, const val *b);
/* The one comparison of two numbers (val_compare uses it): -1, 0 or 1. */
static inline int num_compare(const val *a, const val *b)
{
    if (LW_LIKELY(a->idx == b->idx && a->cur == 0 && b->cur == 0)) /* same exponent */
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    return num_compare_aligned(a, b);
}
const char *num_add(arena *a, const val *x, const val *y, bool subtract, val *out);
const char *num_mul(arena *a, const val *x, const val *y, val *out);
size_t num_format(const val *v, char *buf, size_t size);

/* Currencies (money.c). */
typedef struct currency_def {
    const char *code;
    int digits;
} currency_def;

/* Inside the engine a money value is held in fine units: 1/MONEY_FINE of the
** currency's minor unit, so a pipeline like 35 x 1.5 x 1.25 = 65.625 and a cap
** of 129.99 x 50% = 64.995 stay exact and are rounded once, half away from
** zero, to the minor unit when they become a result (docs/playbook-format.md §3, §6). The
** functions below that speak of "minor" units take and give whole minor units;
** money_to_fine and money_to_minor convert. */
#define MONEY_FINE 10000

const char *money_to_fine(int64_t minor, int64_t *fine);
int64_t money_to_minor(int64_t fine);                /* rounded half away from zero */

int money_currency(const char *code, size_t n);    /* index, or -1 */
const currency_def *money_currency_at(int idx);
int64_t money_scale(int cur);                      /* 10^digits */
/* Parse "19.95", "19.95 EUR", "-3 EUR"; cur_default used without a code.
** Returns 0 ok, else a static message. */
const char *money_parse(const char *s, size_t n, int cur_default, int64_t *minor, int *cur);
/* Exact conversion of a number in major units; error if more decimals than the
** currency has or out of range. */
const char *money_from_dec(dec d, int cur, int64_t *minor);
/* Arithmetic: 0 ok, else a static message (overflow, ...). */
const char *money_mul(int64_t a, dec f, int64_t *out);
const char *money_div(int64_t a, dec f, int64_t *out);
int64_t money_round_step(int64_t a, int64_t step);    /* half away from zero */
int64_t money_floor_step(int64_t a, int64_t step);
int64_t money_ceil_step(int64_t a, int64_t step);
size_t money_format(int64_t minor, int cur, bool with_code, char *buf, size_t size);
/* The same with the currency's digits and code (NULL: none) given. */
size_t money_format_digits(int64_t minor, int digits, const char *code, char *buf, size_t size);

/* Durations and dates (value.c). */
bool duration_parse(const char *s, size_t n, int64_t *secs);
size_t duration_format(int64_t secs, char *buf, size_t size);
bool date_parse(const char *s, size_t n, int64_t *secs);
size_t date_format(int64_t secs, char *buf, size_t size);
/* Is the date in the years 1 to 9999, the dates the engine reads and writes? */
bool date_in_range(int64_t secs);
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/* ======================================================================
** Diagnostics (report.c)
*/
struct lw_report {
    lw_mem mem;
    arena a;
    lw_diag *items;
    size_t n, cap;
    size_t errors;
    bool nomem;          /* a diagnostic was lost for lack of memory */
};

typedef struct pos {
    const char *file;
    int line, col;
} pos;

lw_report *report_new(const lw_mem *m);
void report_add(lw_report *r, lw_severity sev, pos p, const char *rule,
                const char *fmt, ...) LW_PRINTF(5, 6);
void report_vadd(lw_report *r, lw_severity sev, pos p, const char *rule,
                 const char *fmt, va_list ap);

/* ======================================================================
** YAML node tree (yaml_load.c)
*/
typedef enum { N_SCALAR, N_SEQ, N_MAP } nkind;

typedef struct node node;
struct node {
    nkind kind;
    bool plain;          /* scalar written without quotes */
    bool block;          /* a literal (|) or folded (>) block scalar */
    pos at;
    const char *str;     /* scalar text (NUL-terminated), NULL otherwise */
    size_t len;
    size_t n;            /* items in a sequence, pairs in a map */
    node **items;        /* sequence items, or keys and values interleaved */
};

#define MAP_KEY(m, i) ((m)->items[2 * (i)])
#define MAP_VAL(m, i) ((m)->items[2 * (i) + 1])

typedef struct yaml_limits {
    int max_depth;
    size_t max_scalar, max_file, max_nodes;
} yaml_limits;

/* Parse a YAML document into a, reporting errors to r. NULL on error, or when
** out of memory (then a's failed flag is set). An empty document gives an
** empty map. */
node *yaml_load(arena *a, lw_report *r, const char *file, const char *text,
                size_t len, const yaml_limits *lim);
void yaml_limits_from(yaml_limits *l, const lw_options *opt);
/* Read a whole file into the arena; error message in *err (static or arena),
** or NULL when out of memory (then the arena's failed flag is set). */
char *file_read(arena *a, const char *path, size_t max, size_t *len, const char **err);
node *map_get(const node *m, const char *key);
bool scalar_is(const node *n, const char *s);
bool scalar_is_null(const node *n);
const char *node_kind_name(const node *n);

/* ======================================================================
** Compiled playbook (compile.c, expr.c, table.c)
*/
typedef enum {
    T_ANY = 0, T_BOOL, T_NUM, T_MONEY, T_STR, T_ENUM, T_DUR, T_DATE, T_ROLE,
    T_LIST, T_OUTCOME, T_NULL
} ttype;

const char *ttype_name(ttype t);

typedef struct fact {
    const char *path;
    ttype type;
    int cur;                 /* money: currency_def */
    const enumset *set;      /* enum */
    bool has_min, has_max;
    dec min, max;            /* number */
    int64_t min_money, max_money; /* money, fine units */
    size_t max_length;       /* strings, in graphemes; 0 = none */
    bool has_default;
    val def;
    const char *doc;
    pos at;
} fact;

typedef struct expr expr;

typedef struct window {
    bool has_from, has_until;
    int64_t from, until;     /* [from, until) in seconds */
} window;

/* A localised text: per language a template of literal parts and
** placeholder expressions. */
typedef struct tmpl_part {
    const char *lit;         /* the literal text; for a placeholder its
                                expression as written (the handbook shows it) */
    size_t len;
    const expr *e;           /* NULL for a literal part */
} tmpl_part;

typedef struct tmpl {
    size_t n;
    tmpl_part *parts;
} tmpl;

typedef struct ltext {
    size_t n;                /* 0: no message */
    const char **lang;
    tmpl *text;
} ltext;

typedef struct exception_rule {
    const char *id;
    const expr *when;
    int outcome;
    bool discretionary;
    const char **requires;
    size_t n_requires;
    ltext reason, say;
    window eff;
    pos at;
    int cov;                 /* coverage index */
    int overriders;          /* discretionary: lowest role index that may apply
                                it (may_override: POLICY, POLICY.ID or all), -1 none */
    int escalate_to;         /* outcome escalate: the role it goes to, -1 not said */
} exception_rule;

typedef struct policy {
    const char *id;
    const char *title;
    const expr *applies;
    int outcome;
    ltext reason, say;
    exception_rule *exc;
    size_t n_exc;
    uint64_t channels;       /* bitmask over the channel fact's values; 0 = all */
    bool channel_specific;
    window eff;
    pos at;
    int cov;
    int overriders;          /* lowest role index that may override all its
                                discretionary exceptions, -1 none */
    int escalate_to;         /* outcome escalate: the role it goes to, -1 not said */
    int next_version;        /* index of the next policy with this id (versions by
                                effective window, in playbook order), -1 none */
} policy;

/* Decision tables (table.c). */
typedef enum {
    HIT_FIRST, HIT_UNIQUE, HIT_ANY, HIT_PRIORITY, HIT_COLLECT, HIT_RULE_ORDER,
    HIT_OUTPUT_ORDER
} hit_policy;
typedef enum { AGG_NONE, AGG_SUM, AGG_MIN, AGG_MAX, AGG_COUNT } aggregate;

typedef enum {
    CELL_ANY, CELL_MASK, CELL_EQ, CELL_CMP, CELL_RANGE, CELL_OR, CELL_NOT
} cell_kind;

typedef struct cell cell;
struct cell {
    cell_kind kind;
    int op;                  /* CELL_CMP: token of the comparison */
    uint64_t mask;           /* CELL_MASK: enum indices, bools (1=false,2=true) */
    val a, b;                /* CELL_EQ / CELL_CMP: a; CELL_RANGE: a..b */
    cell **sub;              /* CELL_OR / CELL_NOT */
    size_t n_sub;
};

typedef struct table_row {
    const char *id;          /* optional row id */
    cell **cells;
    const expr **out;        /* one per result column */
    pos at;
    int cov;
} table_row;

/* A result column: `output: NAME` gives one, `outputs:` several. */
typedef struct table_result {
    const char *name;
    ttype type;
    const enumset *set;      /* declared words: priority ranking, bare words */
    const expr *def;         /* `default:` when no row matches, or NULL */
    pos at;
} table_result;

typedef struct table {
    hit_policy hit;
    aggregate agg;
    size_t n_in;
    const expr **in;
    const char **in_text;    /* each input as written (NULL: not a plain text) */
    size_t n_rows;
    table_row *rows;
    size_t n_out;
    table_result *out;
    const char *rule;        /* the rule that holds the table, for error entries */
    pos at;
} table;

typedef enum {
    STEP_TABLE, STEP_AMOUNT, STEP_ADD, STEP_MULTIPLY, STEP_CAP, STEP_FLOOR, STEP_ROUND
} step_kind;

typedef struct step_rule {
    const char *id;
    step_kind kind;
    const expr *when;
    const expr *arg;
    table *tab;
    size_t col;              /* tab's result column that is the amount */
    size_t res_slot;         /* a table with several results: where its results
                                go in the step results (goodwill.STEP.RESULT) */
    window eff;
    pos at;
    int cov;
} step_rule;

typedef struct limit_rule {
    const char *id;
    const expr *cap, *used;
    pos at;
} limit_rule;

typedef struct role_def {
    const char *id;
    bool has_limit;
    int64_t limit;           /* minor units, playbook currency_def */
    bool all;
    pos at;
    pos limit_at;
} role_def;

typedef struct output_rule {
    const char *name;
    const expr *when;
    const expr *value;
    table *tab;
    size_t col;              /* tab's result column; the outputs of a table with
                                several results follow each other, col 0 first */
    ttype type;
    const enumset *set;
    pos at;
    int cov;
} output_rule;

typedef struct promise_rule {
    const char *id;
    const expr *when;
    bool has_due;
    int64_t due;
    const char *due_text;
    ltext text;
    pos at;
    int cov;
} promise_rule;

typedef struct outcome_word {
    const char *word;
    int rank;                /* higher is more restrictive */
} outcome_word;

enum { OUT_ALLOW = 0, OUT_DENY = 1, OUT_ESCALATE = 2 };

/* Hash of fact paths. */
typedef struct fact_index {
    size_t cap;              /* power of two */
    int32_t *slot;           /* -1 empty, else fact index */
    uint32_t *hash;          /* the path's hash, compared before the path */
} fact_index;

/* A file the playbook was built from (bundle.c). */
typedef struct lw_source {
    const char *path;        /* relative to the playbook's folder */
    const char *digest;      /* "sha256:..." of its bytes */
} lw_source;

struct lw_playbook {
    arena a;
    lw_mem mem;
    const char *file, *dir;
    const char *id, *version, *title, *digest;
    lw_source *sources;      /* the bundle, in the order the loader read it */
    size_t n_sources;
    int cur;                 /* playbook currency_def */
    const char *locale;
    fact *facts;
    size_t n_facts;
    fact_index fidx;
    role_def *roles;
    size_t n_roles;
    outcome_word *outcomes;
    size_t n_outcomes;
    policy *policies;
    size_t n_policies;
    step_rule *steps;
    size_t n_steps;
    size_t n_step_results;   /* results of goodwill tables with several results */
    limit_rule *limits;
    size_t n_limits;
    output_rule *outputs;
    size_t n_outputs;
    promise_rule *promises;
    size_t n_promises;
    /* Lua (script.c) */
    struct script *scripts;
    size_t n_scripts;
    struct lua_lib *libs;
    size_t n_libs;
    struct lua_fn *fns;
    size_t n_fns;
    /* facts with a meaning to the engine, -1 when not declared */
    int f_channel, f_role, f_locale, f_date;
    /* coverage names, indexed by rule cov index */
    const char **cov_names;
    size_t n_cov;
    size_t n_trace_max;      /* upper bound of trace entries per decision */
    /* limits for its cases, from the load options (case.c) */
    yaml_limits case_lim;
    size_t max_list, max_keys, max_problems;
};

int fact_lookup(const lw_playbook *pb, const char *path, size_t n);

/* ======================================================================
** Expressions (expr.c)
*/
typedef enum {
    X_CONST, X_FACT, X_AMOUNT, X_OUTPUT, X_POLICY, X_GOODWILL,
    X_STEP_RESULT, /* goodwill.STEP.RESULT (slot: index in the step results) */
    X_AND, X_OR, X_NOT, X_NEG,
    X_EQ, X_NE, X_LT, X_LE, X_GT, X_GE,
    X_IN_SET, X_IN_RANGE, X_IN_LIST,
    X_ADD, X_SUB, X_MUL, X_DIV, X_POW,
    X_MIN, X_MAX, X_ROUND, X_FLOOR, X_CEIL, X_HAS, X_LOWER, X_CONTAINS,
    X_STARTS, X_LEN, X_IF, X_COALESCE,
    X_ISNULL,      /* x == null (k.u.b: negated, x != null) */
    X_LUA,         /* a Lua script (slot: index in pb->scripts) */
    X_LUAFN        /* a function of a functions: library (slot: pb->fns index) */
} xop;

struct expr {
    uint8_t op;
    uint8_t type;            /* ttype of the result */
    uint16_t n;              /* number of args */
    int32_t slot;            /* X_FACT / X_OUTPUT / X_POLICY index */
    const enumset *set;      /* enum-typed results */
    int cur;                 /* money-typed results */
    val k;                   /* X_CONST */
    const expr **args;
    pos at;
};

/* Where an expression is compiled: what it may refer to. */
typedef struct scope {
    bool amount;             /* `amount` (goodwill pipeline value) is visible */
    size_t n_outputs;        /* outputs.NAME for the first n outputs */
    bool policies, goodwill; /* policies.ID.outcome, goodwill.amount */
    const enumset *words;    /* declared output words (values:) */
    const char *rule;        /* rule id for messages */
    const expr *cell_input;  /* compiling a table cell: the column's input, which
                                the name CELL_INPUT stands for (table.c) */
    const char *cell_column; /* and its name for messages: "column 1 (FACT)" */
} scope;

/* The name a table cell's text uses for its column's input: a byte that no
** playbook text has (it is not UTF-8), so it can name nothing else. */
#define CELL_INPUT "\xff"

typedef struct compiler {
    lw_playbook *pb;
    lw_report *r;
    arena *a;                /* the playbook arena */
    arena tmp;               /* scratch */
    strtab ids;              /* rule ids; owner: the kind of rule (compile.c's
                                K_POLICY ...), for exceptions their policy's
                                exc array (a policy's slot is reused when it
                                fails; its array is not) */
    strtab outcome_ids;      /* outcome word -> pb->outcomes entry */
    const node **decl_nodes; /* each fact's declaration */
    void *L;                 /* scratch lua_State for checking scripts */
    const char *root_dir;    /* real path of the playbook's folder */
    size_t cap_sources;      /* room in pb->sources */
    int n_imports;           /* files imported so far */
} compiler;

/* bundle.c: record a file the playbook is built from when it is read (the
** playbook itself first; in_rules: the path as written, when the file was
** found in a rule-set folder, else NULL); then compute pb->digest over them
** all. false when out of memory. */
bool bundle_add(compiler *c, const char *path, const char *in_rules, const char *text,
                size_t len);
bool bundle_finish(compiler *c);

/* The policy, role, output or outcome word of that id compiled (roles,
** outcomes: declared) so far, or NULL (compile.c). */
policy *policy_by_id(const compiler *c, const char *id, size_t n);
const role_def *role_by_id(const compiler *c, const char *id, size_t n);
const output_rule *output_by_name(const compiler *c, const char *name, size_t n);
const outcome_word *outcome_by_word(const compiler *c, const char *word, size_t n);
const step_rule *step_by_id(const compiler *c, const char *id, size_t n);

/* ======================================================================
** Lua scripts (script.c)
*/
typedef struct script {
    const char *src;         /* the script as written */
    size_t len;
    const char *rule;        /* rule id, for errors */
    const char *file;
    int line0;               /* playbook line of the script's first line */
    ttype want;              /* what it must return */
    const enumset *set;      /* T_ENUM results: the declared words */
} script;

typedef struct lua_lib {
    const char *path;        /* as resolved from the playbook */
    const char *src;
    size_t len;
} lua_lib;

typedef struct lua_fn {
    const char *name;
    int lib;
    int nparams;
    bool vararg;
} lua_fn;

/* Resolve a path written in the playbook (imports, functions). */
const char *resolve_import(compiler *c, const node *at, const char *rel, const char **in_rules);
/* Is name one of the expression language's own functions? */
bool builtin_function(const char *name);

/* Compile `{ lua: SOURCE }` into an X_LUA expression (syntax checked now). */
const expr *script_compile(compiler *c, const node *src, const scope *sc, ttype want,
                           const enumset *set);
/* Load the functions: libraries of a playbook (names, arity). */
bool script_load_libs(compiler *c, node *const *lists, size_t n);
int script_fn_lookup(const lw_playbook *pb, const char *name);
void script_compiler_done(compiler *c);
/* Run a script / library function during a decision. */
struct eval_ctx;
val script_eval(struct eval_ctx *x, const expr *e);
void lua_engine_free(lw_engine *e);
/* Charge `steps` of work done inside one C call (a pattern match, a sort) to
** the running script's instruction budget, one step an instruction; raises
** the budget error (a Lua error) if the instructions or the time are spent. */
struct lua_State;
void script_charge(struct lua_State *L, size_t steps);

/* lua_pattern.c: set find, match, gmatch and gsub -- Lua 5.4's pattern
** functions, charged step by step with script_charge -- in the table on top
** of the stack (the real string table of a script engine). */
void lua_pattern_install(struct lua_State *L);

/* A coverage slot for a rule, named for `leeway test --coverage`. */
int cov_new(compiler *c, const char *fmt, ...) LW_PRINTF(2, 3);

/* lint.c: warnings for a compiled playbook; false if out of memory. */
bool lint_playbook(const lw_playbook *pb, lw_report *r);
/* Are a and b the same expression tree? */
bool expr_same(const expr *a, const expr *b);

/* Compile expression text found at node n (its position is used). NULL after
** reporting an error. want: T_ANY or the type required. */
const expr *expr_compile(compiler *c, const node *n, const scope *sc, ttype want);
const expr *expr_compile_text(compiler *c, const char *text, size_t len, pos at,
                              const scope *sc, ttype want, const enumset *hint);

/* ======================================================================
** Evaluation context (decide.c, expr.c, table.c)
*/
struct lw_case {
    const lw_playbook *pb;
    lw_mem mem;
    arena a;
    val *slots;              /* V_MISSING when not given */
    uint8_t *given;          /* given explicitly (also as null) */
    const char **problems;
    size_t n_problems, cap_problems;
    strbuf json;
    const char *msg;
    bool nomem;              /* an allocation failed since the last reset: a
                                value or problem may be lost */
    size_t more_problems;    /* problems past pb->max_problems, not listed */
    char more[48];           /* the last entry then: "and N more problems" */
    int64_t today;           /* the day it is decided as of when it gives no
                                date: UTC midnight, in seconds since 1970 */
    struct refused *refused, **refused_tail; /* values refused, as given */
    size_t n_refused;
};

/* Add the values of a parsed JSON object to c (as lw_case_read_json does
** after parsing); LW_ERR_CASE when it recorded problems, LW_ERR_NOMEM when
** out of memory. */
struct cJSON;
int case_read_tree(lw_case *c, const struct cJSON *obj);
/* The checks a JSON case passes before it is parsed: its size, NUL bytes and
** \u0000 escapes, keys and values within the playbook's limits. LW_OK, or
** LW_ERR_CASE with *msg (owned by c) positioned in the text. */
int case_json_precheck(lw_case *c, const char *name, const char *text, size_t len,
                       const char **msg);
/* cJSON reads a number as a binary double: give every number of j, parsed
** from text, that a double does not hold exactly (more than 15 digits, or an
** exponent) its text as valuestring (cJSON_Delete frees it), so that
** 12345678901234567890 or 1e-30 is read exactly (0.1 is exact from its
** double: dec_from_double). false: out of memory. */
bool json_number_texts(struct cJSON *j, const char *text, size_t len);
/* Check and parse a JSON case: LW_OK with *out the object (the caller
** deletes it; its numbers keep their text), or the error of
** lw_case_read_json with *msg. */
int case_parse_json(lw_case *c, const char *name, const char *text, size_t len,
                    const char **msg, struct cJSON **out);

/* UTC midnight of the current day, in seconds since 1970. */
int64_t today_utc(void);

typedef struct eval_ctx {
    lw_engine *e;
    const lw_playbook *pb;
    const lw_case *c;
    const val *slots;
    val amount;
    val *outputs;             /* V_MISSING with idx SETTLED: no value, whatever
                                 the missing facts turn out to be */
    int *policy_out;          /* outcome index per policy; POLICY_OUT_NONE not in
                                 force, POLICY_OUT_UNKNOWN not known yet */
    val goodwill_amount;
    int goodwill_needs_role;  /* role index of goodwill.needs_role, -1 null */
    bool goodwill_done;
    val *step_results;        /* goodwill.STEP.RESULT, by step_rule.res_slot */
    const char *rule;         /* rule being evaluated, for errors */
    pos rule_at;
    lw_decision *d;           /* the decision being made: errors go here */
    lw_error_entry *errors;
    size_t cap_errors;
    int64_t now;              /* the case's date (or today), for os.time in scripts */
    size_t outputs_done;      /* outputs computed so far */
    int32_t *pending;         /* missing facts read by the condition in progress */
    size_t n_pending, cap_pending;
    size_t n_settled;         /* settled unknowns read so far (a policy not in
                                 force, an output without a value) */
    arena *a;
} eval_ctx;

/* A comparison's opposite (x < k is false: x >= k) and its mirror (k < x:
** x > k), for X_EQ .. X_GE (expr.c). */
int xop_negate(int op);
int xop_mirror(int op);

val expr_eval(eval_ctx *x, const expr *e);
/* Evaluate a condition; LW_TRUE/FALSE/UNKNOWN. Missing facts of an unknown
** result are added to the decision's missing list. NULL e is true. */
lw_truth cond_eval(eval_ctx *x, const expr *e);
/* A condition that came out unknown (v): can knowing the missing facts it
** read (since the marks) still make it true? If not, they are not asked. */
bool eval_may_hold(const eval_ctx *x, const expr *e, val v, size_t pending_mark,
                   size_t settled_mark);
#define POLICY_OUT_NONE (-1)
#define POLICY_OUT_UNKNOWN (-2)
#define SETTLED 1
void eval_error(eval_ctx *x, pos at, const char *fmt, ...) LW_PRINTF(3, 4);
void eval_keep_missing(eval_ctx *x, size_t mark);

/* The text in the language lang, else in fallback, else the first; NULL
** when there is none (decide.c). */
const tmpl *pick_lang(const ltext *m, const char *lang, const char *fallback);
/* An expression printed back as text, parenthesised as needed inside an
** operator of precedence outer (0: none) (flip.c). */
void print_expr(strbuf *b, const lw_playbook *pb, const expr *e, int outer);


/* Tables: the results, one per result column, into res[0..t->n_out-1];
** *row = 1-based row that decided (0 none). */
void table_eval(eval_ctx *x, const table *t, val *res, int *row, const char **row_id);
/* The one comparison of two rows' results (res_a, res_b: n_out values each):
** the sign says which comes first by priority -- the results' values: order,
** column by column from the left (columns without values: do not rank) --
** and *same says whether every result is equal. */
int table_results_compare(const table *t, const val *res_a, const val *res_b, bool *same);
/* The index of the result column called name, or -1. */
int table_result_index(const table *t, const char *name);
/* collect without aggregate, rule_order and output_order: each result is a
** list (of texts). */
bool table_gives_list(const table *t);
/* out_type and out_set are the rule's: they apply to a table's one result, or,
** in a table with several results, to the one called typed (NULL: none). */
table *table_compile(compiler *c, const node *n, const scope *sc, ttype out_type,
                     const enumset *out_set, const char *typed, const char *rule);
/* A `values:` list of words (compile.c). */
const enumset *compile_values(compiler *c, const node *v, const char *rule);

/* Value helpers (value.c). */
size_t val_format(const lw_playbook *pb, const val *v, char *buf, size_t size);
void val_to_public(const lw_playbook *pb, const val *v, lw_value *out, arena *a);
int val_compare(const val *a, const val *b, bool *ok);  /* -1, 0, 1 */
bool val_equal(const val *a, const val *b);
bool val_is(const val *v, ttype t);   /* missing values are of every type */
/* For a name that is no role: "(the roles are frontline, manager; did you
** mean 'manager'?)", or "(no roles are declared under roles:)". In a. */
const char *roles_hint(arena *a, const lw_playbook *pb, const char *name, size_t n);

/* ======================================================================
** Engine (engine.c / decide.c)
*/
typedef struct lua_engine lua_engine;  /* script.c */

struct lw_engine {
    lw_mem mem;
    lw_options opt;
    arena a;                 /* reset per decision */
    strbuf json;
    lua_engine *lua;         /* created when a playbook with scripts is first decided */
    unsigned long serial;    /* decisions made, for per-decision budgets */
    /* decision being built */
    lw_decision d;
    strbuf log;              /* the last decision-log record (decision_log.c) */
    uint64_t rng;            /* decision ids; 0 until the first */
    int64_t as_of_day;       /* the day as_of names, formatted once */
    char as_of[32];
    const lw_playbook *cov_pb;
    bool cov_on;
    uint8_t *cov;            /* reached flags, n_cov of cov_pb */
    size_t cov_n;
    const char **cov_list;
    size_t cov_list_n;
};

void coverage_mark(lw_engine *e, const lw_playbook *pb, int idx);

/* A scalar from a case file or a YAML node, before it is given a type. */
typedef enum { RAW_NULL, RAW_BOOL, RAW_NUM, RAW_STR } raw_kind;
typedef struct raw {
    raw_kind k;
    bool b;
    double n;
    const char *s;       /* the text as written (numbers too, when known) */
    size_t len;
} raw;

void raw_from_node(const node *n, raw *r);

/* Values a case refused with a problem, kept as they were given, so that
** lw_case_json writes the case as it came and a replay of its log record
** refuses them alike (case_refused.c). Each keeps path and the value's JSON
** text -- of a raw scalar, a cJSON item, a YAML node or a JSON text -- in
** c's arena; f is the fact (or -1 for a path the playbook does not declare),
** whose null lw_case_json then leaves out. */
struct refused {
    const char *path, *json;
    struct refused *next;
};
void refused_raw(lw_case *c, int f, const char *path, const raw *r);
void refused_cjson(lw_case *c, int f, const char *path, const struct cJSON *it);
void refused_node(lw_case *c, int f, const char *path, const node *n);
void refused_json(lw_case *c, int f, const char *path, const char *json);
/* Write the kept values as members of a JSON object ("path":value,...). */
void refused_write(const lw_case *c, strbuf *b, bool *first);
/* A raw number as an exact decimal: from its text when known (YAML, --set),
** else the shortest decimal that reads back as the double (JSON via cJSON). */
const char *raw_number(const raw *r, dec *out);
/* Convert a raw scalar to a value of fact f's type; NULL or a message saying
** what was expected. */
const char *fact_value(arena *a, const lw_playbook *pb, const fact *f, const raw *r, val *out);

/* Case helpers (case.c). */
void case_limits_from(lw_playbook *pb, const lw_options *opt);
int case_set_node(lw_case *c, int f, const node *n);
int case_read_node(lw_case *c, const node *root);
void case_problem(lw_case *c, const char *fmt, ...) LW_PRINTF(2, 3);

/* JSON writing helpers (decision_json.c). */
void json_str(strbuf *b, const char *s);

/* sha256.c */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
