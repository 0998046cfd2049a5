/*
** lua_pattern.c -- Lua's pattern functions for the sandbox: string.find,
** string.match, string.gmatch and string.gsub with the semantics of the Lua
** 5.4 manual (§6.4.1), written here so that matching can be stopped.
**
** Lua's own matcher runs a whole match inside one C call, where no hook can
** interrupt it, and it backtracks: `("a"):rep(3000):find("a*a*b")` takes
** billions of steps. This one counts its steps -- one per pattern item
** tried, per byte scanned by a repetition, %b or a plain search, and per 32
** bytes compared or copied -- and charges them to the running script's
** instruction budget every LP_CHARGE_EVERY steps (script_charge), which also
** checks the time budget and raises the same error a runaway loop gets.
**
** Results are Lua's, byte for byte (tests/unit/test_lua_patterns.c compares
** them). The differences: a malformed pattern (a '[' or '(' not closed, a
** ')' closing nothing, a '%' at the end, %b without its two characters, %f
** without a set, a back-reference to a capture not closed yet) is always an
** error, where Lua reports it only if matching gets that far; "too complex"
** counts nested repetitions only, where Lua counts captures too; and
** character classes (%a, %l ...) are those of the C locale, ASCII only.
**
** A pattern is compiled first (lp_compile) into items: runs of literal
** bytes, single-character classes as 256-bit sets with their repetition,
** captures, %b, %f, back-references and the final '$'. Then match_here walks
** the items and recurses only for a repetition's alternatives (at most
** LP_MAX_DEPTH deep, like Lua's "pattern too complex"). Nothing is allocated
** outside Lua (a large compiled pattern is a userdata), so an error or a
** spent budget can leave at any point.
*/
#include "internal.h"

#include <lauxlib.h>
#include <lua.h>

#define LP_MAX_CAPTURES 32   /* as Lua's LUA_MAXCAPTURES */
#define LP_MAX_DEPTH 200     /* nested repetitions, as Lua's MAXCCALLS */
#define LP_CHARGE_EVERY 1000 /* steps between two charges to the budget */
#define LP_SMALL 48          /* items (and sets) compiled on the C stack */

enum { K_END, K_LITERAL, K_SINGLE, K_OPEN, K_POSITION, K_CLOSE, K_BALANCE, K_FRONTIER,
       K_BACKREF, K_AT_END };
enum { R_ONE, R_STAR, R_PLUS, R_MINUS, R_OPT };

typedef struct lp_item {
    uint8_t kind, rep;
    uint8_t a, b;      /* capture index; %b's open and close bytes */
    uint32_t arg, len; /* set index; a literal run's offset and length */
} lp_item;

typedef uint8_t lp_set[32]; /* bit c: byte c belongs */

typedef struct lp_pattern {
    const char *text;  /* the pattern (literal runs point into it) */
    lp_item *items;
    lp_set *sets;
    size_t n_items, n_sets;
    int n_caps;
    bool anchored;
    bool position[LP_MAX_CAPTURES]; /* capture i is a position capture () */
} lp_pattern;

typedef struct lp_match {
    lua_State *L;
    const lp_pattern *pat;
    const char *s0, *end; /* the subject */
    int depth;
    size_t used;          /* steps not yet charged */
    const char *cap_at[LP_MAX_CAPTURES];
    size_t cap_len[LP_MAX_CAPTURES];
} lp_match;

/* ======================================================================
** Counting
*/
static void charge(lp_match *m)
{
    size_t used = m->used;
    m->used = 0;
    script_charge(m->L, used);
}

static inline void burn(lp_match *m, size_t steps)
{
    m->used += steps;
    if (m->used >= LP_CHARGE_EVERY)
        charge(m);
}

/* ======================================================================
** Compiling
*/

static void set_add(uint8_t *set, int c)
{
    set[c >> 3] |= (uint8_t)(1u << (c & 7));
}

static inline bool set_has(const uint8_t *set, int c)
{
    return (set[c >> 3] >> (c & 7)) & 1;
}

static void set_add_range(uint8_t *set, int lo, int hi)
{
    for (; lo <= hi && (lo & 7); lo++)
        set_add(set, lo);
    for (; lo + 7 <= hi; lo += 8)
        set[lo >> 3] = 0xff;
    for (; lo <= hi; lo++)
        set_add(set, lo);
}

/* Add the bytes of class %cl (C locale, so ASCII only); its upper-case
** letter is the complement. A character that names no class stands for
** itself, like any other character after '%'. */
static void set_add_class(uint8_t *set, int cl)
{
    static const struct {
        char name;
        unsigned char ranges[10]; /* lo, hi pairs, ended by an empty pair */
    } classes[] = {
        {'a', {'A', 'Z', 'a', 'z'}},
        {'c', {0, 31, 127, 127}},
        {'d', {'0', '9'}},
        {'g', {33, 126}},
        {'l', {'a', 'z'}},
        {'p', {33, 47, 58, 64, 91, 96, 123, 126}},
        {'s', {'\t', '\r', ' ', ' '}},
        {'u', {'A', 'Z'}},
        {'w', {'0', '9', 'A', 'Z', 'a', 'z'}},
        {'x', {'0', '9', 'A', 'F', 'a', 'f'}},
        {'z', {0, 0}}, /* kept by Lua 5.4 though deprecated */
    };
    bool upper = cl >= 'A' && cl <= 'Z';
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++) {
        if (classes[i].name != (upper ? cl + 32 : cl))
            continue;
        lp_set one = {0};
        const unsigned char *r = classes[i].ranges;
        for (int k = 0; k == 0 || r[k] || r[k + 1]; k += 2)
            set_add_range(one, r[k], r[k + 1]);
        for (int b = 0; b < 32; b++)
            set[b] |= (uint8_t)(upper ? ~one[b] : one[b]);
        return;
    }
    set_add(set, cl);
}

/* The ']' that closes the set opening at p[i] == '[' (its first character,
** after an optional '^', is taken literally, so "[]]" is a set of ']'). */
static size_t set_end(lua_State *L, const char *p, size_t n, size_t i)
{
    size_t j = i + 1;
    if (j < n && p[j] == '^')
        j++;
    for (;;) {
        if (j >= n)
            luaL_error(L, "malformed pattern: a set opened with '[' is not closed with ']' "
                        "(write %%[ for the character itself)");
        char c = p[j++];
        if (c == '%' && j < n)
            j++;
        if (j < n && p[j] == ']')
            return j;
    }
}

/* Fill set with the members of p[i] == '[' up to p[close] == ']'. */
static void set_fill(uint8_t *set, const char *p, size_t i, size_t close)
{
    bool negate = p[i + 1] == '^';
    size_t k = i + 1 + negate;
    while (k < close) {
        unsigned char c = (unsigned char)p[k];
        if (c == '%') {
            set_add_class(set, (unsigned char)p[k + 1]);
            k += 2;
        } else if (k + 2 < close && p[k + 1] == '-') {
            set_add_range(set, c, (unsigned char)p[k + 2]);
            k += 3;
        } else {
            set_add(set, c);
            k++;
        }
    }
    if (negate)
        for (int b = 0; b < 32; b++)
            set[b] = (uint8_t)~set[b];
}

static int repetition(char c)
{
    return c == '*' ? R_STAR : c == '+' ? R_PLUS : c == '-' ? R_MINUS : c == '?' ? R_OPT : R_ONE;
}

/* Parse the pattern into pat's items and sets; with pat->items NULL only
** count them (and find every error). */
static void parse(lp_match *m, lp_pattern *pat, const char *p, size_t n, bool anchor_ok)
{
    lua_State *L = m->L;
    bool fill = pat->items != NULL;
    size_t ni = 0, ns = 0, i = 0, run_end = SIZE_MAX; /* run_end: of the last literal run */
    int open[LP_MAX_CAPTURES], n_open = 0, caps = 0;
    bool closed[LP_MAX_CAPTURES] = {false};
    pat->anchored = anchor_ok && n > 0 && p[0] == '^';
    if (pat->anchored)
        i = 1;
#define ITEM(k) (fill ? (pat->items[ni] = (lp_item){.kind = (k)}, &pat->items[ni++]) \
                      : (ni++, (lp_item *)NULL))
    while (i < n) {
        if (!fill)
            burn(m, 1);
        char c = p[i];
        lp_item *it;
        if (c == '(') {
            if (caps == LP_MAX_CAPTURES)
                luaL_error(L, "the pattern has too many captures (at most 32)");
            bool position = i + 1 < n && p[i + 1] == ')';
            it = ITEM(position ? K_POSITION : K_OPEN);
            if (it)
                it->a = (uint8_t)caps;
            pat->position[caps] = position;
            if (position)
                closed[caps] = true;
            else
                open[n_open++] = caps;
            caps++;
            i += position ? 2 : 1;
            continue;
        }
        if (c == ')') {
            if (n_open == 0)
                luaL_error(L, "malformed pattern: a ')' closes no capture (write %%) for the "
                            "character itself)");
            int k = open[--n_open];
            closed[k] = true;
            it = ITEM(K_CLOSE);
            if (it)
                it->a = (uint8_t)k;
            i++;
            continue;
        }
        if (c == '$' && i + 1 == n) {
            ITEM(K_AT_END);
            i++;
            continue;
        }
        if (c == '%' && i + 1 >= n)
            luaL_error(L, "malformed pattern: it ends with '%%' (write %%%% for the character "
                        "itself)");
        if (c == '%' && p[i + 1] == 'b') {
            if (i + 3 >= n)
                luaL_error(L, "malformed pattern: %%b needs two characters, as in %%b()");
            it = ITEM(K_BALANCE);
            if (it) {
                it->a = (uint8_t)p[i + 2];
                it->b = (uint8_t)p[i + 3];
            }
            i += 4;
            continue;
        }
        if (c == '%' && p[i + 1] == 'f') {
            i += 2;
            if (i >= n || p[i] != '[')
                luaL_error(L, "malformed pattern: %%f needs a set, as in %%f[%%w]");
            size_t close = set_end(L, p, n, i);
            it = ITEM(K_FRONTIER);
            if (it) {
                it->arg = (uint32_t)ns;
                memset(pat->sets[ns], 0, sizeof(lp_set));
                set_fill(pat->sets[ns], p, i, close);
            } else {
                burn(m, 4 * (close - i));
            }
            ns++;
            i = close + 1;
            continue;
        }
        if (c == '%' && p[i + 1] >= '0' && p[i + 1] <= '9') {
            int k = p[i + 1] - '1';
            if (k < 0 || k >= caps || !closed[k])
                luaL_error(L, "malformed pattern: %%%c refers to no capture closed before it",
                           p[i + 1]);
            it = ITEM(K_BACKREF);
            if (it)
                it->a = (uint8_t)k;
            i += 2;
            continue;
        }
        /* one character class: '.', %x, [set] or a byte, then a repetition */
        size_t e = c == '%' ? i + 2 : c == '[' ? set_end(L, p, n, i) + 1 : i + 1;
        int rep = e < n ? repetition(p[e]) : R_ONE;
        bool plain = c != '.' && c != '%' && c != '[';
        if (plain && rep == R_ONE) {
            if (run_end == i) { /* the literal run just before goes on */
                if (fill)
                    pat->items[ni - 1].len++;
            } else {
                it = ITEM(K_LITERAL);
                if (it) {
                    it->arg = (uint32_t)i;
                    it->len = 1;
                }
            }
            run_end = i = e;
            continue;
        }
        it = ITEM(K_SINGLE);
        if (it) {
            uint8_t *set = pat->sets[ns];
            memset(set, 0, sizeof(lp_set));
            it->rep = (uint8_t)rep;
            it->arg = (uint32_t)ns;
            if (c == '.')
                memset(set, 0xff, sizeof(lp_set));
            else if (c == '%')
                set_add_class(set, (unsigned char)p[i + 1]);
            else if (c == '[')
                set_fill(set, p, i, e - 1);
            else
                set_add(set, (unsigned char)c);
        } else {
            burn(m, c == '[' ? 4 * (e - i) : c == '%' ? 4 : 1);
        }
        ns++;
        i = e + (rep != R_ONE);
    }
    if (n_open)
        luaL_error(L, "malformed pattern: a capture opened with '(' is not closed with ')' "
                    "(write %%( for the character itself)");
    ITEM(K_END);
#undef ITEM
    pat->n_items = ni;
    pat->n_sets = ns;
    pat->n_caps = caps;
}

/* Storage for a small compiled pattern, on the caller's stack. */
typedef struct lp_small {
    lp_item items[LP_SMALL];
    lp_set sets[LP_SMALL];
} lp_small;

/* Compile p into pat: into small if it fits and keep is false, else into a
** userdata pushed on the stack (keep: the pattern outlives the call). */
static void lp_compile(lp_match *m, lp_pattern *pat, lp_small *small, const char *p, size_t n,
                       bool anchor_ok, bool keep)
{
    if (n >= UINT32_MAX)
        luaL_error(m->L, "the pattern is too long");
    memset(pat, 0, sizeof *pat);
    pat->text = p;
    parse(m, pat, p, n, anchor_ok);
    size_t ni = pat->n_items, ns = pat->n_sets;
    if (!keep && ni <= LP_SMALL && ns <= LP_SMALL) {
        pat->items = small->items;
        pat->sets = small->sets;
    } else {
        char *block = lua_newuserdatauv(m->L, ns * sizeof(lp_set) + ni * sizeof(lp_item), 0);
        pat->sets = (lp_set *)block;
        pat->items = (lp_item *)(block + ns * sizeof(lp_set));
    }
    parse(m, pat, p, n, anchor_ok);
}

/* ======================================================================
** Matching
*/
static inline bool single(const lp_match *m, const char *s, const lp_item *it)
{
    return s < m->end && set_has(m->pat->sets[it->arg], (unsigned char)*s);
}

static const char *walk(lp_match *m, const char *s, const lp_item *it);

/* Match the items from it on at s: the end of the match, or NULL. */
static const char *match_here(lp_match *m, const char *s, const lp_item *it)
{
    if (m->depth >= LP_MAX_DEPTH)
        luaL_error(m->L, "the pattern is too complex (more than 200 repetitions nested in one "
                       "match)");
    m->depth++;
    const char *r = walk(m, s, it);
    m->depth--;
    return r;
}

static const char *balance(lp_match *m, const char *s, int open, int close)
{
    if (s >= m->end || (unsigned char)*s != open)
        return NULL;
    int depth = 1;
    for (const char *q = s + 1; q < m->end; q++) {
        burn(m, 1);
        if ((unsigned char)*q == close) {
            if (--depth == 0)
                return q + 1;
        } else if ((unsigned char)*q == open) {
            depth++;
        }
    }
    return NULL;
}

static const char *walk(lp_match *m, const char *s, const lp_item *it)
{
    for (;; it++) {
        burn(m, 1);
        switch (it->kind) {
        case K_END:
            return s;
        case K_AT_END:
            return s == m->end ? s : NULL;
        case K_LITERAL:
            burn(m, it->len / 32);
            if ((size_t)(m->end - s) < it->len || memcmp(s, m->pat->text + it->arg, it->len) != 0)
                return NULL;
            s += it->len;
            continue;
        case K_OPEN:
        case K_POSITION:
            m->cap_at[it->a] = s;
            continue;
        case K_CLOSE:
            m->cap_len[it->a] = (size_t)(s - m->cap_at[it->a]);
            continue;
        case K_BALANCE:
            s = balance(m, s, it->a, it->b);
            if (!s)
                return NULL;
            continue;
        case K_FRONTIER: {
            const uint8_t *set = m->pat->sets[it->arg];
            int before = s == m->s0 ? 0 : (unsigned char)s[-1];
            int here = s < m->end ? (unsigned char)*s : 0;
            if (set_has(set, before) || !set_has(set, here))
                return NULL;
            continue;
        }
        case K_BACKREF: {
            if (m->pat->position[it->a])
                return NULL; /* a position is no text: it matches nothing */
            size_t len = m->cap_len[it->a];
            burn(m, len / 32);
            if ((size_t)(m->end - s) < len || memcmp(s, m->cap_at[it->a], len) != 0)
                return NULL;
            s += len;
            continue;
        }
        default: /* K_SINGLE */
            break;
        }
        const char *r;
        switch (it->rep) {
        case R_ONE:
            if (!single(m, s, it))
                return NULL;
            s++;
            continue;
        case R_OPT:
            if (single(m, s, it) && (r = match_here(m, s + 1, it + 1)) != NULL)
                return r;
            continue;
        case R_MINUS: /* as few as possible */
            for (;;) {
                if ((r = match_here(m, s, it + 1)) != NULL)
                    return r;
                if (!single(m, s, it))
                    return NULL;
                s++;
            }
        default: { /* R_STAR, R_PLUS: as many as possible, then give back */
            if (it->rep == R_PLUS) {
                if (!single(m, s, it))
                    return NULL;
                s++;
            }
            size_t k = 0;
            while (single(m, s + k, it)) {
                burn(m, 1);
                k++;
            }
            for (;; k--) {
                if ((r = match_here(m, s + k, it + 1)) != NULL)
                    return r;
                if (k == 0)
                    return NULL;
            }
        }
        }
    }
}

/* ======================================================================
** Captures
*/
static void push_capture(lp_match *m, int i, const char *s, const char *e)
{
    lua_State *L = m->L;
    if (i >= m->pat->n_caps) {
        if (i != 0)
            luaL_error(L, "the replacement's %%%d refers to no capture of the pattern", i + 1);
        lua_pushlstring(L, s, (size_t)(e - s)); /* no captures: the whole match */
    } else if (m->pat->position[i]) {
        lua_pushinteger(L, (lua_Integer)(m->cap_at[i] - m->s0) + 1);
    } else {
        lua_pushlstring(L, m->cap_at[i], m->cap_len[i]);
    }
}

/* Push the captures (or, with whole and none, the whole match s..e). */
static int push_captures(lp_match *m, const char *s, const char *e, bool whole)
{
    int n = m->pat->n_caps == 0 && whole ? 1 : m->pat->n_caps;
    luaL_checkstack(m->L, n, "too many captures");
    for (int i = 0; i < n; i++)
        push_capture(m, i, s, e);
    return n;
}

/* Try the pattern at s: the end of the match or NULL. */
static const char *match_at(lp_match *m, const char *s)
{
    m->depth = 0;
    return match_here(m, s, m->pat->items);
}

static void start(lp_match *m, lua_State *L, const char *s, size_t n)
{
    m->L = L;
    m->pat = NULL;
    m->depth = 0;
    m->used = 0;
    m->s0 = s;
    m->end = s + n;
}

/* Charge what is left; a call ends here. */
static void settle(lp_match *m)
{
    if (m->used)
        charge(m);
}

/* ======================================================================
** string.find and string.match
*/

/* Lua 5.4's reading of a start position (posrelatI): 1-based, negative
** counts from the end, clamped to 1. */
static size_t start_index(lua_Integer at, size_t len)
{
    if (at > 0)
        return (size_t)at;
    if (at == 0 || at < -(lua_Integer)len)
        return 1;
    return len + (size_t)at + 1;
}

static bool has_specials(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (memchr("^$*+?.([%-", p[i], 10))
            return true;
    return false;
}

/* The first occurrence of needle in h (plain find). */
static const char *find_plain(lp_match *m, const char *h, size_t hn, const char *nd, size_t nn)
{
    if (nn == 0)
        return h;
    if (nn > hn)
        return NULL;
    const char *last = h + (hn - nn);
    while (h <= last) {
        const char *q = memchr(h, nd[0], (size_t)(last - h) + 1);
        burn(m, (size_t)((q ? q : last) - h) / 32 + 1 + nn / 32);
        if (!q)
            return NULL;
        if (memcmp(q + 1, nd + 1, nn - 1) == 0)
            return q;
        h = q + 1;
    }
    return NULL;
}

static int find_or_match(lua_State *L, bool find)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    lp_match m;
    start(&m, L, s, ls);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char *at = find_plain(&m, s + init, ls - init, p, lp);
        settle(&m);
        if (!at) {
            luaL_pushfail(L);
            return 1;
        }
        lua_pushinteger(L, (lua_Integer)(at - s) + 1);
        lua_pushinteger(L, (lua_Integer)(at - s + lp));
        return 2;
    }
    lp_pattern pat;
    lp_small small;
    lp_compile(&m, &pat, &small, p, lp, true, false);
    m.pat = &pat;
    for (const char *s1 = s + init;; s1++) {
        const char *e = match_at(&m, s1);
        if (e) {
            settle(&m);
            if (!find)
                return push_captures(&m, s1, e, true);
            lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
            lua_pushinteger(L, (lua_Integer)(e - s));
            return push_captures(&m, NULL, NULL, false) + 2;
        }
        if (pat.anchored || s1 >= m.end)
            break;
    }
    settle(&m);
    luaL_pushfail(L);
    return 1;
}

static int lp_find(lua_State *L)
{
    return find_or_match(L, true);
}

static int lp_match_fn(lua_State *L)
{
    return find_or_match(L, false);
}

/* ======================================================================
** string.gmatch
*/
typedef struct gm_state {
    lp_pattern pat;
    size_t pos;       /* where the next search starts */
    size_t last;      /* where the last match ended; SIZE_MAX: none yet */
} gm_state;

/* upvalues: the subject, the pattern, the compiled pattern's userdata, the
** gm_state userdata */
static int gmatch_next(lua_State *L)
{
    size_t ls;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    gm_state *st = lua_touserdata(L, lua_upvalueindex(4));
    st->pat.text = lua_tostring(L, lua_upvalueindex(2));
    lp_match m;
    start(&m, L, s, ls);
    m.pat = &st->pat;
    for (const char *src = s + st->pos; src <= m.end; src++) {
        const char *e = match_at(&m, src);
        if (e && (st->last == SIZE_MAX || e != s + st->last)) {
            st->pos = st->last = (size_t)(e - s);
            settle(&m);
            return push_captures(&m, src, e, true);
        }
    }
    st->pos = ls + 1; /* nothing more, now or later */
    settle(&m);
    return 0;
}

static int lp_gmatch(lua_State *L)
{
    size_t ls, lp;
    luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_index(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    lp_match m;
    start(&m, L, NULL, 0);
    gm_state *st = lua_newuserdatauv(L, sizeof *st, 0); /* 3 */
    lp_compile(&m, &st->pat, NULL, p, lp, false, true); /* 4: the items (a '^' is a byte) */
    settle(&m);
    st->pos = init > ls ? ls + 1 : init;
    st->last = SIZE_MAX;
    lua_rotate(L, 3, 1); /* subject, pattern, items, state */
    lua_pushcclosure(L, gmatch_next, 4);
    return 1;
}

/* ======================================================================
** string.gsub
*/

/* A replacement string: %0 the match, %1-%9 captures, %% a '%'. */
static void add_string(lp_match *m, luaL_Buffer *b, const char *s, const char *e)
{
    lua_State *L = m->L;
    size_t lr;
    const char *r = lua_tolstring(L, 3, &lr);
    burn(m, lr / 32 + 1);
    for (size_t i = 0; i < lr;) {
        const char *pc = memchr(r + i, '%', lr - i);
        size_t upto = pc ? (size_t)(pc - r) : lr;
        luaL_addlstring(b, r + i, upto - i);
        if (!pc)
            break;
        i = upto + 1;
        char c = i < lr ? r[i] : 0;
        if (c == '%') {
            luaL_addchar(b, '%');
        } else if (c == '0') {
            burn(m, (size_t)(e - s) / 32);
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (c >= '1' && c <= '9') {
            push_capture(m, c - '1', s, e);
            size_t len;
            lua_tolstring(L, -1, &len);
            burn(m, len / 32);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "in a replacement, '%%' must be followed by a digit or another '%%'");
        }
        i++;
    }
}

static void add_replacement(lp_match *m, luaL_Buffer *b, const char *s, const char *e, int tr)
{
    lua_State *L = m->L;
    if (tr == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e, true);
        settle(m); /* the function's own work is counted by the hook */
        lua_call(L, n, 1);
    } else if (tr == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string(m, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the match */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
    } else if (!lua_isstring(L, -1)) {
        luaL_error(L, "the replacement must be text or a number, not %s", luaL_typename(L, -1));
    } else {
        luaL_addvalue(b);
    }
}

static int lp_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    int tr = lua_type(L, 3);
    lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1);
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
                            tr == LUA_TTABLE,
                     3, "string/function/table");
    lua_settop(L, 4);
    lp_match m;
    start(&m, L, s, ls);
    lp_pattern pat;
    lp_small small;
    lp_compile(&m, &pat, &small, p, lp, true, false);
    m.pat = &pat;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *src = s, *last = NULL;
    lua_Integer n = 0;
    while (n < max_n) {
        const char *e = match_at(&m, src);
        if (e && e != last) {
            n++;
            add_replacement(&m, &b, src, e, tr);
            src = last = e;
        } else if (src < m.end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (pat.anchored)
            break;
    }
    burn(&m, (size_t)(m.end - src) / 32);
    luaL_addlstring(&b, src, (size_t)(m.end - src));
    settle(&m);
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

/* ======================================================================
** Installing
*/
void lua_pattern_install(lua_State *L)
{
    static const luaL_Reg fns[] = {{"find", lp_find}, {"match", lp_match_fn},
                                   {"gmatch", lp_gmatch}, {"gsub", lp_gsub},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
