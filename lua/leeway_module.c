/*
** leeway_module.c -- the `leeway` Lua 5.4 module (build/<config>/lua/leeway.so).
**
** A thin wrapper over the public C API (engine/include/leeway.h) and nothing
** else: whatever a Lua host can do here, a C program can do with the header.
**
**   local leeway = require "leeway"
**   leeway.version                  lw_version(), e.g. "0.1.0"
**   leeway.version_num              lw_version_number(), e.g. 100
**   leeway.null                     an explicit null in a case (lw_case_unset);
**                                   the same value as lua-cjson's cjson.null
**   leeway.load(path [, options])   a playbook, or nil and every diagnostic
**                                   ("FILE:LINE:COL: error: ...") joined by
**                                   newlines. options: the lw_options limits
**                                   max_depth, max_scalar, max_file, max_nodes,
**                                   max_list, lua_instructions, lua_memory,
**                                   lua_millis (0 or absent = the default).
**
**   pb.id, pb.version, pb.file, pb.digest
**   pb:decide(case [, { role = "senior", trace = true }])  the decision table
**   pb:check()     lint warnings of the playbook, as formatted diagnostics
**   pb:test()      passed, failed, { "FILE:LINE: NAME: why", ... }
**                  (the tests written in the playbook's file; nil and a message
**                  when that file can no longer be loaded)
**   pb:facts()     { { path =, type =, values = (enums), doc = }, ... }
**   pb:roles()     role ids, least authority first
**   pb:close()     frees the playbook now (also `local pb <close> = ...`);
**                  the garbage collector does it otherwise
**
** The case is a nested table, { customer = { age = 82 }, staff = { role =
** "frontline" } }; keys are joined with dots into fact paths, so a flat
** { ["customer.age"] = 82 } is the same case. Values go through the C setters
** and are checked by the engine exactly as a case file's would be: a bad
** value, an undeclared path or a value of the wrong type makes the decision
** `invalid` with its `problems` listed, never a Lua error. Tables are read
** raw (metatables are ignored).
**   number   lw_case_set_number (for money: major units of the playbook's
**            currency; for durations: seconds)
**   boolean  lw_case_set_bool
**   string   for string, enum and role facts the text as it is
**            (lw_case_set_string); for every other fact the text parsed by
**            the fact's type as in a case file (lw_case_set_text): "19.95 EUR",
**            "90min", "2026-11-23", "82"; "" and "null" mean no value there
**   list     a table { "a", "b" } for a list fact (through lw_case_read_json,
**            the only list setter of the API)
**   leeway.null  no value (lw_case_unset)
** Lua errors (bad argument) are raised only for what has no case meaning at
** all: a non-string key, a function/userdata/thread value, a NUL byte inside
** text, nesting deeper than 32 tables (a cycle), a table mixing list items
** and keys.
**
** The decision is a table mirroring the JSON of docs/playbook-format.md §11, built
** from the lw_decision structs (no JSON is parsed). JSON null is nil (the key
** is absent); arrays stay dense. Money:
**   goodwill.amount, goodwill.limit, steps[i].amount, capped_by[i].by
**            decimal strings with the currency's minor digits ("40.00"), the
**            currency in goodwill.currency -- as in the JSON
**   outputs  one string with the currency, "29.99 EUR"; durations "90min";
**            dates "2026-11-23"; numbers are Lua numbers (integers when
**            integral); lists are arrays of strings
**   trace[i].result  true, false, or nil for unknown
** goodwill.over_top (no role covers the amount) is added beside the JSON keys.
**
** Memory: each playbook object owns one lw_playbook, one lw_engine and one
** lw_case (reset per decide), plus scratch buffers; all of them are freed by
** __gc / __close, so a Lua error (which longjmps) never leaks: nothing
** C-allocated is ever held only in a C local while Lua can raise.
*/
#include <leeway.h>

#include <lauxlib.h>
#include <lua.h>

#include <cjson/cJSON.h>

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLAYBOOK_MT "leeway.playbook"
#define CASE_MAX_DEPTH 32

#if defined(__GNUC__)
#define MODULE_EXPORT __attribute__((visibility("default")))
#else
#define MODULE_EXPORT
#endif

/* ======================================================================
** The playbook object
*/

typedef struct strvec {
    char **v;
    size_t n, cap;
    int oom; /* an append failed (inside a callback, where we cannot raise) */
} strvec;

typedef struct lpb {
    lw_playbook *pb;
    lw_engine *e;
    lw_case *c;
    lw_options opt;
    lw_report *report; /* held only between a lw_ call and its conversion */
    cJSON *scratch;    /* a list value being converted to a Lua table */
    char *jbuf;        /* JSON text being built for a list fact */
    size_t jlen, jcap;
    strvec fails;      /* failure messages of pb:test() */
} lpb;

static void strvec_clear(strvec *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
    s->oom = 0;
}

static void strvec_push(strvec *s, char *str)
{
    if (!str) {
        s->oom = 1;
        return;
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            free(str);
            s->oom = 1;
            return;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = str;
}

/* Free everything the object owns; safe to call twice (__close, then __gc).
** The case keeps a pointer to the playbook: it goes first. */
static void lpb_release(lpb *p)
{
    lw_case_free(p->c);
    p->c = NULL;
    lw_engine_free(p->e);
    p->e = NULL;
    lw_playbook_free(p->pb);
    p->pb = NULL;
    lw_report_free(p->report);
    p->report = NULL;
    cJSON_Delete(p->scratch);
    p->scratch = NULL;
    free(p->jbuf);
    p->jbuf = NULL;
    p->jlen = p->jcap = 0;
    strvec_clear(&p->fails);
}

static int pb_gc(lua_State *L)
{
    lpb *p = luaL_checkudata(L, 1, PLAYBOOK_MT);
    lpb_release(p);
    return 0;
}

/* A playbook object that has not been closed. */
static lpb *check_open(lua_State *L, int idx)
{
    lpb *p = luaL_checkudata(L, idx, PLAYBOOK_MT);
    if (!p->pb)
        luaL_error(L, "leeway: the playbook has been closed");
    return p;
}

static int nomem(lua_State *L)
{
    return luaL_error(L, "leeway: out of memory");
}

/* ======================================================================
** Small helpers for building tables
*/

static void set_str(lua_State *L, const char *key, const char *s)
{
    if (!s)
        return; /* null: the key stays absent */
    lua_pushstring(L, s);
    lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v)
{
    lua_pushboolean(L, v != 0);
    lua_setfield(L, -2, key);
}

/* An amount as the JSON writes it in goodwill: "40.00" (no currency). */
static void push_amount(lua_State *L, lw_money m)
{
    char buf[64];
    size_t n = lw_money_format(m, 0, buf, sizeof buf);
    lua_pushlstring(L, buf, n < sizeof buf ? n : sizeof buf - 1);
}

static void set_amount(lua_State *L, const char *key, lw_money m)
{
    push_amount(L, m);
    lua_setfield(L, -2, key);
}

static void push_strings(lua_State *L, const char *const *v, size_t n)
{
    lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, v[i] ? v[i] : "");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* One diagnostic as lw_diag_format writes it. */
static void push_diag(lua_State *L, const lw_diag *d)
{
    char small[512];
    size_t n = lw_diag_format(d, small, sizeof small);
    if (n < sizeof small) {
        lua_pushlstring(L, small, n);
        return;
    }
    luaL_Buffer b;
    char *big = luaL_buffinitsize(L, &b, n + 1);
    lw_diag_format(d, big, n + 1);
    luaL_pushresultsize(&b, n);
}

/* Every diagnostic of p->report joined by newlines (or, when the report
** holds none, "WHAT: LW_ERR_..."), then the report is freed. */
static void push_report_text(lua_State *L, lpb *p, const char *what, int rc)
{
    size_t n = lw_report_count(p->report);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const lw_diag *d = lw_report_get(p->report, i);
        if (!d)
            continue;
        if (k++)
            luaL_addchar(&b, '\n');
        push_diag(L, d);
        luaL_addvalue(&b);
    }
    if (k == 0) {
        luaL_addstring(&b, what);
        luaL_addstring(&b, ": ");
        luaL_addstring(&b, rc == LW_ERR_IO ? "cannot read the file (LW_ERR_IO)" : lw_errstr(rc));
    }
    luaL_pushresult(&b);
    lw_report_free(p->report);
    p->report = NULL;
}

/* ======================================================================
** leeway.load
*/

/* The lw_options fields a Lua host may set, by name. */
enum { O_INT, O_LONG, O_SIZE };
static const struct {
    const char *name;
    int kind;
    size_t offset;
} option_fields[] = {
    {"max_depth", O_INT, offsetof(lw_options, max_depth)},
    {"max_scalar", O_SIZE, offsetof(lw_options, max_scalar)},
    {"max_file", O_SIZE, offsetof(lw_options, max_file)},
    {"max_nodes", O_SIZE, offsetof(lw_options, max_nodes)},
    {"max_list", O_SIZE, offsetof(lw_options, max_list)},
    {"lua_instructions", O_LONG, offsetof(lw_options, lua_instructions)},
    {"lua_memory", O_SIZE, offsetof(lw_options, lua_memory)},
    {"lua_millis", O_LONG, offsetof(lw_options, lua_millis)},
};
#define N_OPTION_FIELDS (sizeof option_fields / sizeof option_fields[0])
#define OPTION_LIST                                                                        \
    "max_depth, max_scalar, max_file, max_nodes, max_list, lua_instructions, lua_memory, " \
    "lua_millis"

static void read_options(lua_State *L, int idx, lw_options *opt)
{
    lw_options_init(opt);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_argexpected(L, lua_type(L, idx) == LUA_TTABLE, idx, "table of options");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            luaL_argerror(L, idx,
                          lua_pushfstring(L, "option names must be strings, got a %s key",
                                          luaL_typename(L, -2)));
        }
        const char *k = lua_tostring(L, -2);
        size_t which = N_OPTION_FIELDS;
        for (size_t i = 0; i < N_OPTION_FIELDS; i++)
            if (strcmp(k, option_fields[i].name) == 0)
                which = i;
        if (which == N_OPTION_FIELDS)
            luaL_argerror(L, idx,
                          lua_pushfstring(L, "unknown option '%s' (known: " OPTION_LIST ")", k));
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        int kind = option_fields[which].kind;
        if (!isint || lua_type(L, -1) != LUA_TNUMBER || v < 0 ||
            (kind == O_INT && v > INT32_MAX) ||
            (kind == O_LONG && (unsigned long long)v > (unsigned long long)LONG_MAX))
            luaL_argerror(L, idx,
                          lua_pushfstring(L, "option '%s' must be a non-negative integer, got %s",
                                          k, luaL_tolstring(L, -1, NULL)));
        char *field = (char *)opt + option_fields[which].offset;
        switch (kind) {
        case O_INT: *(int *)(void *)field = (int)v; break;
        case O_LONG: *(long *)(void *)field = (long)v; break;
        default: *(size_t *)(void *)field = (size_t)v; break;
        }
        lua_pop(L, 1);
    }
}

static int l_load(lua_State *L)
{
    size_t plen;
    const char *path = luaL_checklstring(L, 1, &plen);
    if (strlen(path) != plen)
        luaL_argerror(L, 1, "the path contains a NUL byte");
    lw_options opt;
    read_options(L, 2, &opt);

    /* The object exists (with its __gc) before anything is allocated. */
    lpb *p = lua_newuserdatauv(L, sizeof *p, 1);
    memset(p, 0, sizeof *p);
    p->opt = opt;
    luaL_setmetatable(L, PLAYBOOK_MT);

    int rc = lw_playbook_load(path, &p->opt, &p->pb, &p->report);
    if (rc != LW_OK || !p->pb) {
        lua_pushnil(L);
        push_report_text(L, p, path, rc == LW_OK ? LW_ERR_PLAYBOOK : rc);
        lpb_release(p);
        return 2;
    }
    /* A loaded playbook has no errors: what the report holds are lint
    ** warnings, kept (formatted) for pb:check(). */
    size_t n = lw_report_count(p->report);
    lua_createtable(L, n > INT32_MAX ? 0 : (int)n, 0);
    lua_Integer k = 0;
    for (size_t i = 0; i < n; i++) {
        const lw_diag *d = lw_report_get(p->report, i);
        if (!d)
            continue;
        push_diag(L, d);
        lua_rawseti(L, -2, ++k);
    }
    lua_setiuservalue(L, -2, 1);
    lw_report_free(p->report);
    p->report = NULL;

    p->e = lw_engine_new(&p->opt);
    p->c = p->e ? lw_case_new(p->pb) : NULL;
    if (!p->e || !p->c)
        return nomem(L);
    return 1;
}

/* ======================================================================
** Cases: a Lua table through the C setters
*/

/* Raise "bad argument #1 to 'decide' (PATH: WHAT)" (the case is argument 2
** of the method; Lua counts without self). */
static int case_error(lua_State *L, const char *path, const char *what)
{
    if (path && *path)
        return luaL_argerror(L, 2, lua_pushfstring(L, "case %s: %s", path, what));
    return luaL_argerror(L, 2, lua_pushfstring(L, "case: %s", what));
}

static void jb_put(lua_State *L, lpb *p, const char *s, size_t n)
{
    if (p->jlen + n + 1 > p->jcap) {
        size_t cap = p->jcap ? p->jcap : 256;
        while (cap < p->jlen + n + 1)
            cap *= 2;
        char *q = realloc(p->jbuf, cap);
        if (!q)
            nomem(L);
        p->jbuf = q;
        p->jcap = cap;
    }
    memcpy(p->jbuf + p->jlen, s, n);
    p->jlen += n;
    p->jbuf[p->jlen] = 0;
}

static void jb_puts(lua_State *L, lpb *p, const char *s)
{
    jb_put(L, p, s, strlen(s));
}

/* A JSON string. Bytes >= 0x80 are copied as they are: the engine checks
** UTF-8 and reports invalid text as a problem of the case. */
static void jb_str(lua_State *L, lpb *p, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    jb_put(L, p, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        jb_put(L, p, s + run, i - run);
        run = i + 1;
        char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        if (ch == '"' || ch == '\\') {
            esc[1] = (char)ch;
            jb_put(L, p, esc, 2);
        } else {
            jb_put(L, p, esc, 6);
        }
    }
    jb_put(L, p, s + run, n - run);
    jb_put(L, p, "\"", 1);
}

/* What a table is, as a case value. */
enum { KIND_EMPTY, KIND_MAP, KIND_LIST };

static int table_kind(lua_State *L, int t, const char *path)
{
    lua_Integer len = (lua_Integer)lua_rawlen(L, t);
    lua_rawgeti(L, t, 1);
    int first = !lua_isnil(L, -1);
    lua_pop(L, 1);
    if (!first && len == 0) {
        lua_pushnil(L);
        if (!lua_next(L, t))
            return KIND_EMPTY;
        lua_pop(L, 2);
        return KIND_MAP;
    }
    /* a list: keys 1..len and nothing else */
    lua_Integer count = 0;
    int outside = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1))
            case_error(L, path,
                       "a table with both list items and named keys (a list is "
                       "{\"a\", \"b\"}, a group of facts is {name = value})");
        if (lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len)
            outside = 1;
    }
    if (outside || count != len)
        case_error(L, path, "a list with holes (nil items) or keys below 1");
    return KIND_LIST;
}

/* Give a list fact its value (or let the engine report why it cannot have
** one) through lw_case_read_json on { "PATH": [ITEMS] }: the API has no list
** setter. kind KIND_MAP sends { "PATH": {} }, which the engine reports as a
** mapping where a value was expected. */
static void set_via_json(lua_State *L, lpb *p, int v, const char *path, int kind)
{
    p->jlen = 0;
    jb_puts(L, p, "{");
    jb_str(L, p, path, strlen(path));
    jb_puts(L, p, ":");
    if (kind == KIND_LIST) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, v);
        jb_puts(L, p, "[");
        for (lua_Integer i = 1; i <= n; i++) {
            if (i > 1)
                jb_puts(L, p, ",");
            lua_rawgeti(L, v, i);
            switch (lua_type(L, -1)) {
            case LUA_TSTRING: {
                size_t len;
                const char *s = lua_tolstring(L, -1, &len);
                if (strlen(s) != len) {
                    const char *where = lua_pushfstring(L, "%s[%d]", path, (int)i);
                    case_error(L, where, "text contains a NUL byte");
                }
                jb_str(L, p, s, len);
                break;
            }
            case LUA_TBOOLEAN:
                jb_puts(L, p, lua_toboolean(L, -1) ? "true" : "false");
                break;
            case LUA_TNUMBER: {
                double x = lua_tonumber(L, -1);
                char num[64];
                if (isfinite(x))
                    snprintf(num, sizeof num, "%.17g", x);
                else
                    snprintf(num, sizeof num, "null");
                jb_puts(L, p, num);
                break;
            }
            default:
                /* the engine says "item N of the list is not text" */
                jb_puts(L, p, "null");
                break;
            }
            lua_pop(L, 1);
        }
        jb_puts(L, p, "]");
    } else {
        jb_puts(L, p, "{}");
    }
    jb_puts(L, p, "}");
    const char *msg = NULL;
    int rc = lw_case_read_json(p->c, "<lua case>", p->jbuf, p->jlen, &msg);
    if (rc == LW_ERR_NOMEM)
        nomem(L);
    if (msg) /* the text itself was refused: a bug here, not in the case */
        luaL_error(L, "leeway: internal error converting %s: %s", path, msg);
}

static int is_text_fact(const lw_playbook *pb, int f)
{
    const char *t = f >= 0 ? lw_fact_type(pb, (size_t)f) : NULL;
    return t && (strcmp(t, "string") == 0 || strcmp(t, "enum") == 0 || strcmp(t, "role") == 0);
}

static int is_list_fact(const lw_playbook *pb, int f)
{
    const char *t = f >= 0 ? lw_fact_type(pb, (size_t)f) : NULL;
    return t && strcmp(t, "list") == 0;
}

static void fill_table(lua_State *L, lpb *p, int t, const char *prefix, int depth, int sorted);

/* The value at stack index v for fact path `path`. Setter results are not
** checked: the engine records every problem in the case and the decision
** lists them; only memory exhaustion is an error here. */
static void set_value(lua_State *L, lpb *p, int v, const char *path, int depth, int sorted)
{
    int rc = LW_OK;
    switch (lua_type(L, v)) {
    case LUA_TNUMBER:
        rc = lw_case_set_number(p->c, path, lua_tonumber(L, v));
        break;
    case LUA_TBOOLEAN:
        rc = lw_case_set_bool(p->c, path, lua_toboolean(L, v));
        break;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, v, &len);
        if (strlen(s) != len)
            case_error(L, path, "text contains a NUL byte");
        if (is_text_fact(p->pb, lw_fact_index(p->pb, path)))
            rc = lw_case_set_string(p->c, path, s);
        else
            rc = lw_case_set_text(p->c, path, s);
        break;
    }
    case LUA_TTABLE: {
        int kind = table_kind(L, v, path);
        int f = lw_fact_index(p->pb, path);
        if (kind == KIND_LIST) {
            set_via_json(L, p, v, path, KIND_LIST);
        } else if (f >= 0) {
            /* {} for a list fact is the empty list; a mapping (or {}) for any
            ** other declared fact is a problem the engine words */
            set_via_json(L, p, v, path, is_list_fact(p->pb, f) && kind == KIND_EMPTY ? KIND_LIST
                                                                                  : KIND_MAP);
        } else if (kind == KIND_MAP) {
            if (depth >= CASE_MAX_DEPTH)
                case_error(L, path, "nested more than 32 tables deep (a table that contains "
                                    "itself?)");
            fill_table(L, p, v, path, depth + 1, sorted);
        }
        /* an empty group ({}) gives nothing, like {} in a JSON case */
        break;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, v) == NULL) { /* leeway.null */
            rc = lw_case_unset(p->c, path);
            break;
        }
        /* fall through */
    default:
        case_error(L, path,
                   lua_pushfstring(L, "a %s cannot be a case value (use numbers, booleans, "
                                      "strings, tables or leeway.null)",
                                   luaL_typename(L, v)));
    }
    if (rc == LW_ERR_NOMEM)
        nomem(L);
}

/* One entry of a case table: key at stack index k, value at v. */
static void fill_entry(lua_State *L, lpb *p, int k, int v, const char *prefix, int depth,
                       int sorted)
{
    if (lua_type(L, k) != LUA_TSTRING) {
        const char *what =
            lua_type(L, k) == LUA_TNUMBER
                ? lua_pushfstring(L, "keys must be strings, got the number %s (a list "
                                     "where a group of facts belongs?)",
                                  luaL_tolstring(L, k, NULL))
                : lua_pushfstring(L, "keys must be strings, got a %s", luaL_typename(L, k));
        case_error(L, prefix, what);
    }
    size_t klen;
    const char *key = lua_tolstring(L, k, &klen);
    if (strlen(key) != klen)
        case_error(L, prefix, "a key contains a NUL byte");
    if (prefix)
        lua_pushfstring(L, "%s.%s", prefix, key);
    else
        lua_pushvalue(L, k);
    set_value(L, p, v, lua_tostring(L, -1), depth, sorted);
    lua_pop(L, 1);
}

/* Every entry of the table at t, in traversal order, or (sorted) in key
** order: Lua's traversal order changes from run to run, and the engine lists
** problems in the order the values were given. */
static void fill_table(lua_State *L, lpb *p, int t, const char *prefix, int depth, int sorted)
{
    luaL_checkstack(L, 8, "case nested too deeply");
    if (!sorted) {
        lua_pushnil(L);
        while (lua_next(L, t)) {
            fill_entry(L, p, lua_absindex(L, -2), lua_absindex(L, -1), prefix, depth, 0);
            lua_pop(L, 1); /* the value; the key stays for lua_next */
        }
        return;
    }
    /* the keys, insertion-sorted (strings first, by bytes; a non-string key
    ** is an error raised by fill_entry whatever its place) */
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        lua_Integer i = n++;
        for (; i > 0; i--) {
            lua_rawgeti(L, keys, i);
            int later = lua_type(L, -1) == LUA_TSTRING && lua_type(L, -2) == LUA_TSTRING &&
                        strcmp(lua_tostring(L, -1), lua_tostring(L, -2)) > 0;
            if (!later) {
                lua_pop(L, 1);
                break;
            }
            lua_rawseti(L, keys, i + 1); /* move it up one */
        }
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, i + 1);
    }
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);
        lua_pushvalue(L, -1);
        lua_rawget(L, t);
        fill_entry(L, p, lua_absindex(L, -2), lua_absindex(L, -1), prefix, depth, 1);
        lua_pop(L, 2);
    }
    lua_pop(L, 1); /* keys */
}

/* ======================================================================
** Decisions: lw_decision to a Lua table
*/

/* A list value (JSON array text) as an array of strings; the parsed tree is
** held by the object while Lua may raise. */
static void push_list_value(lua_State *L, lpb *p, const char *json)
{
    cJSON_Delete(p->scratch);
    p->scratch = json ? cJSON_Parse(json) : NULL;
    lua_newtable(L);
    if (!p->scratch || !cJSON_IsArray(p->scratch))
        return;
    lua_Integer i = 0;
    for (const cJSON *it = p->scratch->child; it; it = it->next) {
        if (cJSON_IsString(it))
            lua_pushstring(L, it->valuestring);
        else if (cJSON_IsNumber(it))
            lua_pushnumber(L, it->valuedouble);
        else if (cJSON_IsBool(it))
            lua_pushboolean(L, cJSON_IsTrue(it));
        else
            continue; /* null: keep the array dense */
        lua_rawseti(L, -2, ++i);
    }
    cJSON_Delete(p->scratch);
    p->scratch = NULL;
}

static void push_number(lua_State *L, double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0) /* 2^53 */
        lua_pushinteger(L, (lua_Integer)x);
    else
        lua_pushnumber(L, x);
}

/* An output value; returns 0 (pushing nothing) for null. */
static int push_value(lua_State *L, lpb *p, const lw_value *v)
{
    char buf[128];
    size_t n;
    switch (v->type) {
    case LW_V_NULL:
        return 0;
    case LW_V_BOOL:
        lua_pushboolean(L, v->b);
        return 1;
    case LW_V_NUMBER:
        push_number(L, v->number);
        return 1;
    case LW_V_STRING:
    case LW_V_ENUM:
        lua_pushstring(L, v->text ? v->text : "");
        return 1;
    case LW_V_LIST:
        push_list_value(L, p, v->text);
        return 1;
    case LW_V_MONEY:
    case LW_V_DURATION:
    case LW_V_DATE:
    default:
        n = lw_value_format(v, buf, sizeof buf);
        lua_pushlstring(L, buf, n < sizeof buf ? n : sizeof buf - 1);
        return 1;
    }
}

static int narr(size_t n)
{
    return n > INT32_MAX ? 0 : (int)n;
}

static void push_decision(lua_State *L, lpb *p, const lw_decision *d, int with_trace)
{
    luaL_checkstack(L, 8, NULL);
    lua_createtable(L, 0, 14);
    set_str(L, "playbook", d->playbook);
    set_str(L, "version", d->version);
    set_str(L, "digest", d->digest);
    set_str(L, "as_of", d->as_of);
    set_str(L, "outcome", d->outcome);

    lua_createtable(L, narr(d->n_policies), 0);
    for (size_t i = 0; i < d->n_policies; i++) {
        const lw_policy_result *r = &d->policies[i];
        lua_createtable(L, 0, 9);
        set_str(L, "id", r->id);
        set_str(L, "outcome", r->outcome);
        set_str(L, "exception", r->exception);
        set_bool(L, "discretionary", r->discretionary);
        set_str(L, "needs_role", r->needs_role);
        set_str(L, "escalate_to", r->escalate_to);
        push_strings(L, r->requires, r->n_requires);
        lua_setfield(L, -2, "requires");
        set_str(L, "reason", r->reason);
        set_str(L, "say", r->say);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "policies");

    const lw_goodwill_result *g = &d->goodwill;
    lua_createtable(L, 0, 9);
    set_amount(L, "amount", g->amount);
    set_str(L, "currency", g->amount.currency);
    set_bool(L, "within_authority", g->within_authority);
    set_str(L, "needs_role", g->needs_role);
    if (g->limit.currency) /* no acting role: no limit (null in JSON) */
        set_amount(L, "limit", g->limit);
    set_bool(L, "over_top", g->over_top);
    lua_createtable(L, narr(g->n_steps), 0);
    for (size_t i = 0; i < g->n_steps; i++) {
        const lw_step_result *s = &g->steps[i];
        lua_createtable(L, 0, 4);
        set_str(L, "id", s->id);
        set_amount(L, "amount", s->amount);
        if (s->row)
            set_int(L, "row", s->row);
        set_str(L, "row_id", s->row_id);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "steps");
    lua_createtable(L, narr(g->n_capped), 0);
    for (size_t i = 0; i < g->n_capped; i++) {
        lua_createtable(L, 0, 2);
        set_str(L, "id", g->capped_by[i].id);
        set_amount(L, "by", g->capped_by[i].by);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "capped_by");
    lua_setfield(L, -2, "goodwill");

    lua_createtable(L, narr(d->n_promises), 0);
    for (size_t i = 0; i < d->n_promises; i++) {
        const lw_promise_result *r = &d->promises[i];
        lua_createtable(L, 0, 3);
        set_str(L, "id", r->id);
        set_str(L, "due", r->due);
        set_str(L, "text", r->text);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "promises");

    lua_createtable(L, 0, narr(d->n_outputs));
    for (size_t i = 0; i < d->n_outputs; i++) {
        const lw_output_result *o = &d->outputs[i];
        if (o->name && push_value(L, p, &o->value))
            lua_setfield(L, -2, o->name);
    }
    lua_setfield(L, -2, "outputs");

    push_strings(L, d->missing, d->n_missing);
    lua_setfield(L, -2, "missing");
    push_strings(L, d->problems, d->n_problems);
    lua_setfield(L, -2, "problems");

    lua_createtable(L, narr(d->n_errors), 0);
    for (size_t i = 0; i < d->n_errors; i++) {
        const lw_error_entry *er = &d->errors[i];
        lua_createtable(L, 0, 5);
        set_str(L, "rule", er->rule);
        set_str(L, "file", er->file);
        set_int(L, "line", er->line);
        set_int(L, "column", er->column);
        set_str(L, "message", er->message);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "errors");

    if (with_trace) {
        lua_createtable(L, narr(d->n_trace), 0);
        for (size_t i = 0; i < d->n_trace; i++) {
            const lw_trace_entry *t = &d->trace[i];
            lua_createtable(L, 0, 4);
            set_str(L, "rule", t->rule);
            if (t->result != LW_UNKNOWN) /* unknown: null, the key is absent */
                set_bool(L, "result", t->result == LW_TRUE);
            set_str(L, "file", t->file);
            set_int(L, "line", t->line);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "trace");
    }
}

/* ======================================================================
** Playbook methods
*/

/* { role = "senior", trace = true }; role points into the Lua string, which
** stays on the stack (argument idx) for the whole call. */
static void read_decide_options(lua_State *L, int idx, lw_decide_options *o)
{
    memset(o, 0, sizeof *o);
    if (lua_isnoneornil(L, idx))
        return;
    luaL_argexpected(L, lua_type(L, idx) == LUA_TTABLE, idx, "table of options");
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        if (k && strcmp(k, "role") == 0) {
            if (lua_type(L, -1) != LUA_TSTRING)
                luaL_argerror(L, idx,
                              lua_pushfstring(L, "option 'role' must be a string, got %s",
                                              luaL_typename(L, -1)));
            size_t len;
            o->role = lua_tolstring(L, -1, &len); /* anchored by the options table */
            if (strlen(o->role) != len)
                luaL_argerror(L, idx, "option 'role' contains a NUL byte");
        } else if (k && strcmp(k, "trace") == 0) {
            if (lua_type(L, -1) != LUA_TBOOLEAN)
                luaL_argerror(L, idx,
                              lua_pushfstring(L, "option 'trace' must be a boolean, got %s",
                                              luaL_typename(L, -1)));
            o->trace = lua_toboolean(L, -1);
        } else {
            luaL_argerror(L, idx,
                          lua_pushfstring(L, "unknown option '%s' (known: role, trace)",
                                          luaL_tolstring(L, -2, NULL)));
        }
        lua_pop(L, 1);
    }
}

static int pb_decide(lua_State *L)
{
    lpb *p = check_open(L, 1);
    luaL_argexpected(L, lua_type(L, 2) == LUA_TTABLE, 2, "case table");
    lw_decide_options o;
    read_decide_options(L, 3, &o);
    lw_case_reset(p->c);
    fill_table(L, p, 2, NULL, 0, 0);
    if (lw_case_problem_count(p->c) > 1) {
        /* list the problems in a stable order: again, keys sorted */
        lw_case_reset(p->c);
        fill_table(L, p, 2, NULL, 0, 1);
    }
    const lw_decision *d = NULL;
    int rc = lw_decide(p->e, p->pb, p->c, &o, &d);
    if (rc == LW_ERR_NOMEM)
        return nomem(L);
    if (rc != LW_OK || !d)
        return luaL_error(L, "leeway: decide failed (%s)", lw_errstr(rc));
    push_decision(L, p, d, o.trace);
    return 1;
}

static int pb_check(lua_State *L)
{
    check_open(L, 1);
    lua_getiuservalue(L, 1, 1);
    lua_Integer n = luaL_len(L, -1);
    lua_createtable(L, (int)n, 0); /* a copy: the caller may change it */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, i);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static void on_test(void *ud, const lw_test_result *r)
{
    lpb *p = ud;
    if (r->passed)
        return;
    const char *file = r->file ? r->file : "?";
    const char *name = r->name ? r->name : "?";
    const char *why = r->failure ? r->failure : "failed";
    int n = snprintf(NULL, 0, "%s:%d: %s: %s", file, r->line, name, why);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (s)
        snprintf(s, (size_t)n + 1, "%s:%d: %s: %s", file, r->line, name, why);
    strvec_push(&p->fails, s);
}

static int pb_test(lua_State *L)
{
    lpb *p = check_open(L, 1);
    const char *file = lw_playbook_file(p->pb);
    strvec_clear(&p->fails);
    lw_report_free(p->report);
    p->report = NULL;
    int passed = 0, failed = 0;
    int rc = lw_test_file(p->e, file, &p->opt, on_test, NULL, p, &passed, &failed, &p->report);
    if (rc == LW_ERR_NOMEM || p->fails.oom) {
        strvec_clear(&p->fails);
        return nomem(L);
    }
    if (rc != LW_OK && rc != LW_ERR_NOTFOUND) {
        strvec_clear(&p->fails);
        lua_pushnil(L);
        push_report_text(L, p, file, rc);
        return 2;
    }
    lw_report_free(p->report);
    p->report = NULL;
    /* LW_ERR_NOTFOUND: the file holds no tests: 0 passed, 0 failed */
    lua_pushinteger(L, passed);
    lua_pushinteger(L, failed);
    lua_createtable(L, narr(p->fails.n), 0);
    for (size_t i = 0; i < p->fails.n; i++) {
        lua_pushstring(L, p->fails.v[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    strvec_clear(&p->fails);
    return 3;
}

static int pb_facts(lua_State *L)
{
    lpb *p = check_open(L, 1);
    size_t n = lw_fact_count(p->pb);
    lua_createtable(L, narr(n), 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 4);
        set_str(L, "path", lw_fact_path(p->pb, i));
        set_str(L, "type", lw_fact_type(p->pb, i));
        size_t nv = 0;
        const char *const *values = lw_fact_values(p->pb, i, &nv);
        if (values) {
            push_strings(L, values, nv);
            lua_setfield(L, -2, "values");
        }
        set_str(L, "doc", lw_fact_doc(p->pb, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int pb_roles(lua_State *L)
{
    lpb *p = check_open(L, 1);
    size_t n = lw_role_count(p->pb);
    lua_createtable(L, narr(n), 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, lw_role_id(p->pb, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int pb_close(lua_State *L)
{
    lpb *p = luaL_checkudata(L, 1, PLAYBOOK_MT);
    lpb_release(p);
    return 0;
}

static int pb_tostring(lua_State *L)
{
    lpb *p = luaL_checkudata(L, 1, PLAYBOOK_MT);
    if (!p->pb)
        lua_pushstring(L, "leeway.playbook (closed)");
    else
        lua_pushfstring(L, "leeway.playbook %s %s (%s)", lw_playbook_id(p->pb),
                        lw_playbook_version(p->pb), lw_playbook_file(p->pb));
    return 1;
}

/* pb.id, pb.version, pb.file, pb.digest, then the methods (upvalue 1). */
static int pb_index(lua_State *L)
{
    lpb *p = luaL_checkudata(L, 1, PLAYBOOK_MT);
    if (lua_type(L, 2) == LUA_TSTRING) {
        const char *k = lua_tostring(L, 2);
        const char *(*get)(const lw_playbook *) = NULL;
        if (strcmp(k, "id") == 0)
            get = lw_playbook_id;
        else if (strcmp(k, "version") == 0)
            get = lw_playbook_version;
        else if (strcmp(k, "file") == 0)
            get = lw_playbook_file;
        else if (strcmp(k, "digest") == 0)
            get = lw_playbook_digest;
        if (get) {
            if (!p->pb)
                return luaL_error(L, "leeway: the playbook has been closed");
            const char *s = get(p->pb);
            if (s)
                lua_pushstring(L, s);
            else
                lua_pushnil(L);
            return 1;
        }
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

static const luaL_Reg pb_methods[] = {
    {"decide", pb_decide},
    {"check", pb_check},
    {"test", pb_test},
    {"facts", pb_facts},
    {"roles", pb_roles},
    {"close", pb_close},
    {NULL, NULL},
};

static const luaL_Reg module_functions[] = {
    {"load", l_load},
    {NULL, NULL},
};

/* ======================================================================
** Opening the module
*/

MODULE_EXPORT int luaopen_leeway(lua_State *L);

int luaopen_leeway(lua_State *L)
{
    /* The module must run in the Lua it was compiled for: the API and the
    ** layout of its structures differ between Lua versions. */
    lua_Number running = lua_version(L);
    if (running != (lua_Number)LUA_VERSION_NUM)
        return luaL_error(L,
                          "leeway: this module was built for Lua %d.%d (LUA_VERSION_NUM %d) "
                          "but is running in a Lua whose lua_version() is %f; rebuild it "
                          "against this Lua",
                          LUA_VERSION_NUM / 100, LUA_VERSION_NUM % 100, LUA_VERSION_NUM,
                          (double)running);
    luaL_checkversion(L); /* also the sizes of lua_Integer and lua_Number */

    if (luaL_newmetatable(L, PLAYBOOK_MT)) {
        luaL_newlib(L, pb_methods);
        lua_pushcclosure(L, pb_index, 1);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, pb_gc);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, pb_gc);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, pb_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "leeway.playbook is locked");
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);

    luaL_newlib(L, module_functions);
    lua_pushstring(L, lw_version());
    lua_setfield(L, -2, "version");
    lua_pushinteger(L, lw_version_number());
    lua_setfield(L, -2, "version_num");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
