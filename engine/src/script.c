/*
** script.c -- Lua scripts in playbooks (docs/playbook-format.md §8): `{ lua: ... }`
** wherever an expression is allowed, `lua:` goodwill steps and outputs, and
** `functions:` libraries callable from expressions.
**
** Compile once: scripts are checked (text chunks only, never binary) when the
** playbook is loaded; each engine loads them into its own lua_State the first
** time it decides for that playbook and keeps them in the registry, so
** several threads can decide on one playbook at once.
**
** Sandbox: scripts run with an _ENV that is a read-only view over a frozen
** base of allowed functions: no io, os (but clock, and date/time on the
** case's clock), require, package, load, dofile/loadfile, debug,
** string.dump, collectgarbage, raw*, get/setmetatable, coroutines, xpcall;
** no global writes; pcall cannot catch a spent budget. Library functions
** that can do much work in one C call are bounded or charged to the budget:
** the pattern functions are our own (lua_pattern.c) and count their steps;
** string.rep is capped; table.move and table.sort are charged up front; the
** others whose work grows with their input are charged by the size of what
** they read or make (one instruction per 16 bytes, or per value).
**
** Budgets, per decision: memory through a counting lua_Alloc fed by the
** engine's allocator; time and instructions through a watchdog thread that
** arms a count hook only once a script has run for 1 ms (as lua.c arms its
** hook on Ctrl-C), so short scripts run at full speed; work done inside a
** C call is charged as instructions with script_charge. A script that fails --
** an error, a budget, a wrong result type -- becomes an error entry with the
** playbook file, line and rule id; the rule does not fire and the decision
** completes.
*/
#define _DEFAULT_SOURCE /* realpath, nanosleep */
#include "internal.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_prelude.h"

/* ======================================================================
** Per-engine Lua state
*/
struct lua_engine {
    lua_State *L;
    lw_mem mem;
    lw_options opt;
    int cur;                      /* playbook currency, for money(number) */
    const lw_playbook *pb;        /* scripts loaded for */
    char digest[80];
    int *script_refs, *fn_refs, *lib_refs;
    size_t n_script_refs, n_fn_refs, n_lib_refs;
    eval_ctx *x;                  /* the decision in progress */
    /* memory budget */
    size_t used, limit;
    /* per-decision budget */
    unsigned long serial;
    unsigned long checked;        /* decision in which pb was last confirmed */
    bool exhausted;               /* a budget ran out in this call */
    long instructions;
    size_t uncounted;             /* steps charged since the clock was read */
    int64_t spent_ns;
    /* watchdog */
    pthread_mutex_t wd_lock;
    pthread_t wd;
    bool wd_exists;
    atomic_bool wd_running, wd_stop, armed;
    atomic_bool late;              /* the hook runs after every instruction */
    atomic_int_fast64_t run_start; /* ns, 0 when no script runs */
    atomic_int_fast64_t deadline;  /* ns: when the running call's time is up */
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static lua_engine *LE(lua_State *L)
{
    return *(lua_engine **)lua_getextraspace(L);
}

static long budget_instructions(const lua_engine *le)
{
    return le->opt.lua_instructions > 0 ? le->opt.lua_instructions : 10000000;
}

static size_t budget_memory(const lua_engine *le)
{
    return le->opt.lua_memory ? le->opt.lua_memory : (size_t)16 << 20;
}

static int64_t budget_ns(const lua_engine *le)
{
    return (int64_t)(le->opt.lua_millis > 0 ? le->opt.lua_millis : 1000) * 1000000;
}

/* The allocator counts what Lua holds; past the limit it refuses, and Lua
** raises a memory error in the script. */
static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lua_engine *le = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        lw_mem_free(&le->mem, ptr, old);
        le->used -= old;
        return NULL;
    }
    if (nsize > old && le->used + (nsize - old) > le->limit)
        return NULL;
    void *p = lw_mem_realloc(&le->mem, ptr, old, nsize);
    if (p)
        le->used = le->used - old + nsize;
    return p;
}

/* ----------------------------------------------------------------------
** The watchdog: checks every millisecond whether a script has been running
** for a millisecond or more, and if so arms the budget hook (every 1000
** instructions). Once the time budget is spent it sets the hook to run after
** every instruction, so the script stops at the next instruction whatever
** one instruction costs (a library call on a long text takes up to about
** 0.1 s; 1000 of them, between two runs of the hook, would take minutes). It
** ends after 200 ms without scripts and is started again when needed.
*/
/* Raise the budget error if the instructions counted so far, or the time
** spent, are over budget; a spent budget is final (pcall may not catch it). */
static void budget_check(lua_State *L, lua_engine *le)
{
    int64_t start = atomic_load(&le->run_start);
    bool over_count = le->instructions > budget_instructions(le);
    bool over_time = start && le->spent_ns + (now_ns() - start) > budget_ns(le);
    if (over_count || over_time)
        le->exhausted = true;
    if (over_count)
        luaL_error(L, "the script used more than its budget of %I instructions",
                   (lua_Integer)budget_instructions(le));
    if (over_time)
        luaL_error(L, "the script ran longer than its budget of %I ms",
                   (lua_Integer)(budget_ns(le) / 1000000));
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_engine *le = LE(L);
    le->instructions += lua_gethookcount(L);
    budget_check(L, le);
}

/* The clock is read once per 1000 steps charged, as the hook does. */
void script_charge(lua_State *L, size_t steps)
{
    lua_engine *le = LE(L);
    long room = LONG_MAX - le->instructions;
    le->instructions += steps < (size_t)room ? (long)steps : room;
    le->uncounted += steps;
    if (le->uncounted >= 1000 || le->instructions > budget_instructions(le)) {
        le->uncounted = 0;
        budget_check(L, le);
    }
}

/* What reading or making n bytes of text costs, in instructions. */
static size_t text_cost(size_t n)
{
    return n / 16;
}

static void *watchdog(void *arg)
{
    lua_engine *le = arg;
    int idle = 0;
    while (!atomic_load(&le->wd_stop)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        int64_t start = atomic_load(&le->run_start);
        if (!start) {
            if (++idle < 200)
                continue;
            pthread_mutex_lock(&le->wd_lock);
            bool quit = !atomic_load(&le->run_start);
            if (quit)
                atomic_store(&le->wd_running, false);
            pthread_mutex_unlock(&le->wd_lock);
            if (quit)
                return NULL;
            continue;
        }
        idle = 0;
        int64_t now = now_ns();
        if (now >= atomic_load(&le->deadline) && !atomic_load(&le->late)) {
            atomic_store(&le->late, true);
            atomic_store(&le->armed, true);
            lua_sethook(le->L, budget_hook, LUA_MASKCOUNT, 1);
        } else if (now - start >= 1000000 && !atomic_load(&le->armed)) {
            atomic_store(&le->armed, true);
            lua_sethook(le->L, budget_hook, LUA_MASKCOUNT, 1000);
        }
    }
    atomic_store(&le->wd_running, false);
    return NULL;
}

static void watchdog_ensure(lua_engine *le)
{
    if (atomic_load(&le->wd_running))
        return;
    pthread_mutex_lock(&le->wd_lock);
    if (!atomic_load(&le->wd_running)) {
        if (le->wd_exists)
            pthread_join(le->wd, NULL);
        le->wd_exists = pthread_create(&le->wd, NULL, watchdog, le) == 0;
        atomic_store(&le->wd_running, le->wd_exists);
    }
    pthread_mutex_unlock(&le->wd_lock);
}

/* ======================================================================
** Values: money, durations and dates as one userdata type
*/
enum { Q_MONEY, Q_DUR, Q_DATE };
static const char QTY[] = "leeway.value";

typedef struct qty {
    int kind;
    int cur;
    int64_t v;               /* money: fine units; durations, dates: seconds */
} qty;

static void push_qty(lua_State *L, int kind, int cur, int64_t v)
{
    qty *q = lua_newuserdatauv(L, sizeof *q, 0);
    q->kind = kind;
    q->cur = cur;
    q->v = v;
    luaL_setmetatable(L, QTY);
}

static qty *to_qty(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, QTY);
}

static const char *kind_name(int k)
{
    return k == Q_MONEY ? "money" : k == Q_DUR ? "a duration" : "a date";
}

static const char *lua_kind(lua_State *L, int idx)
{
    qty *q = to_qty(L, idx);
    return q ? kind_name(q->kind) : luaL_typename(L, idx);
}

static int q_tostring(lua_State *L)
{
    qty *q = luaL_checkudata(L, 1, QTY);
    char buf[64];
    if (q->kind == Q_MONEY)
        money_format(money_to_minor(q->v), q->cur, true, buf, sizeof buf);
    else if (q->kind == Q_DUR)
        duration_format(q->v, buf, sizeof buf);
    else
        date_format(q->v, buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int q_concat(lua_State *L)
{
    for (int i = 1; i <= 2; i++)
        if (to_qty(L, i)) {
            lua_pushcfunction(L, q_tostring);
            lua_pushvalue(L, i);
            lua_call(L, 1, 1);
            lua_replace(L, i);
        }
    luaL_checkstring(L, 1);
    luaL_checkstring(L, 2);
    lua_concat(L, 2);
    return 1;
}

static int arith_error(lua_State *L, const char *verb)
{
    return luaL_error(L, "cannot %s %s and %s", verb, lua_kind(L, 1), lua_kind(L, 2));
}

static int q_add_sub(lua_State *L, bool add)
{
    qty *a = to_qty(L, 1), *b = to_qty(L, 2);
    const char *verb = add ? "add" : "subtract";
    if (!a || !b)
        return arith_error(L, verb);
    int64_t r;
    bool ovf = add ? __builtin_add_overflow(a->v, b->v, &r) : __builtin_sub_overflow(a->v, b->v, &r);
    if (ovf)
        return luaL_error(L, "money overflow: the amount is too large");
    if (a->kind == Q_MONEY && b->kind == Q_MONEY) {
        if (a->cur != b->cur)
            return luaL_error(L, "cannot %s money in %s and money in %s", verb,
                              money_currency_at(a->cur)->code, money_currency_at(b->cur)->code);
        push_qty(L, Q_MONEY, a->cur, r);
    } else if (a->kind == Q_DUR && b->kind == Q_DUR) {
        push_qty(L, Q_DUR, 0, r);
    } else if ((a->kind == Q_DATE && b->kind == Q_DUR) ||
               (add && a->kind == Q_DUR && b->kind == Q_DATE)) {
        if (!date_in_range(r))
            return luaL_error(L, "the date calculation gives a date outside the years 1 to 9999; "
                                 "check the duration added to or taken from the date");
        push_qty(L, Q_DATE, 0, r);
    } else if (!add && a->kind == Q_DATE && b->kind == Q_DATE) {
        push_qty(L, Q_DUR, 0, r);
    } else {
        return arith_error(L, verb);
    }
    return 1;
}

static int q_add(lua_State *L) { return q_add_sub(L, true); }
static int q_sub(lua_State *L) { return q_add_sub(L, false); }

/* A Lua number as an exact decimal: an integer as it is, a float as its
** decimal value to 15 significant digits, all a binary float holds reliably
** (0.1 + 0.2 in Lua is 0.3, not 0.30000000000000004). */
static const char *lua_dec(lua_State *L, int idx, dec *out)
{
    if (lua_isinteger(L, idx)) {
        *out = dec_int((int64_t)lua_tointeger(L, idx));
        return NULL;
    }
    double d = (double)lua_tonumber(L, idx);
    if (!isfinite(d))
        return "the number is not finite";
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", d);
    return dec_parse(buf, strlen(buf), out);
}

/* money x number rounds to the minor unit, exactly like expressions (§3) */
static int q_mul(lua_State *L)
{
    int qi = to_qty(L, 1) ? 1 : 2, ni = 3 - qi;
    qty *q = to_qty(L, qi);
    if (!q || !lua_isnumber(L, ni) || to_qty(L, ni))
        return arith_error(L, "multiply");
    double f = lua_tonumber(L, ni);
    if (q->kind == Q_MONEY) {
        int64_t r;
        dec fd;
        const char *err = lua_dec(L, ni, &fd);
        if (!err)
            err = money_mul(q->v, fd, &r);
        if (err)
            return luaL_error(L, "%s", err);
        push_qty(L, Q_MONEY, q->cur, money_round_step(r, MONEY_FINE));
    } else if (q->kind == Q_DUR) {
        double d = (double)q->v * f;
        if (!(fabs(d) < 9e15))
            return luaL_error(L, "the duration is too large");
        push_qty(L, Q_DUR, 0, (int64_t)llround(d));
    } else {
        return arith_error(L, "multiply");
    }
    return 1;
}

static int q_div(lua_State *L)
{
    qty *a = to_qty(L, 1), *b = to_qty(L, 2);
    if (a && b && a->kind == b->kind && a->kind != Q_DATE) {
        if (a->kind == Q_MONEY && a->cur != b->cur)
            return luaL_error(L, "cannot divide money in %s by money in %s",
                              money_currency_at(a->cur)->code, money_currency_at(b->cur)->code);
        if (b->v == 0)
            return luaL_error(L, "division by zero");
        lua_pushnumber(L, (double)a->v / (double)b->v);
        return 1;
    }
    if (!a || b || !lua_isnumber(L, 2) || a->kind == Q_DATE)
        return arith_error(L, "divide");
    double f = lua_tonumber(L, 2);
    if (a->kind == Q_MONEY) {
        int64_t r;
        dec fd;
        const char *err = lua_dec(L, 2, &fd);
        if (!err)
            err = money_div(a->v, fd, &r);
        if (err)
            return luaL_error(L, "%s", err);
        push_qty(L, Q_MONEY, a->cur, money_round_step(r, MONEY_FINE));
    } else {
        if (f == 0 || !isfinite(f))
            return luaL_error(L, "division by zero");
        push_qty(L, Q_DUR, 0, (int64_t)llround((double)a->v / f));
    }
    return 1;
}

static int q_unm(lua_State *L)
{
    qty *a = luaL_checkudata(L, 1, QTY);
    if (a->kind == Q_DATE)
        return luaL_error(L, "cannot negate a date");
    push_qty(L, a->kind, a->cur, -a->v);
    return 1;
}

static int q_compare(lua_State *L, const char *how)
{
    qty *a = to_qty(L, 1), *b = to_qty(L, 2);
    if (!a || !b || a->kind != b->kind || (a->kind == Q_MONEY && a->cur != b->cur))
        return luaL_error(L, "cannot compare %s with %s", lua_kind(L, 1), lua_kind(L, 2));
    int c = (a->v > b->v) - (a->v < b->v);
    lua_pushboolean(L, how[0] == 'e' ? c == 0 : how[1] == 't' ? c < 0 : c <= 0);
    return 1;
}

static int q_eq(lua_State *L)
{
    qty *a = to_qty(L, 1), *b = to_qty(L, 2);
    lua_pushboolean(L, a && b && a->kind == b->kind && a->cur == b->cur && a->v == b->v);
    return 1;
}

static int q_lt(lua_State *L) { return q_compare(L, "lt"); }
static int q_le(lua_State *L) { return q_compare(L, "le"); }

static int q_round_with(lua_State *L, int64_t (*fn)(int64_t, int64_t))
{
    qty *a = luaL_checkudata(L, 1, QTY);
    int64_t step = a->kind == Q_MONEY ? MONEY_FINE : 1;
    if (!lua_isnoneornil(L, 2)) {
        qty *s = to_qty(L, 2);
        if (!s || s->kind != a->kind || s->cur != a->cur || s->v <= 0)
            return luaL_error(L, "the rounding step must be %s more than zero", kind_name(a->kind));
        step = s->v;
    }
    push_qty(L, a->kind, a->cur, fn(a->v, step));
    return 1;
}

static int q_round(lua_State *L) { return q_round_with(L, money_round_step); }
static int q_floor(lua_State *L) { return q_round_with(L, money_floor_step); }
static int q_ceil(lua_State *L) { return q_round_with(L, money_ceil_step); }

/* m.currency, m.minor, m.value; d.seconds; t.year, t.month, t.day,
** t.hour, t.minute, t.weekday (1 = Monday); and the methods above */
static int q_index(lua_State *L)
{
    qty *q = luaL_checkudata(L, 1, QTY);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "round") == 0) {
        lua_pushcfunction(L, q_round);
        return 1;
    }
    if (strcmp(k, "floor") == 0) {
        lua_pushcfunction(L, q_floor);
        return 1;
    }
    if (strcmp(k, "ceil") == 0) {
        lua_pushcfunction(L, q_ceil);
        return 1;
    }
    if (q->kind == Q_MONEY) {
        if (strcmp(k, "currency") == 0)
            lua_pushstring(L, money_currency_at(q->cur)->code);
        else if (strcmp(k, "minor") == 0)
            lua_pushinteger(L, money_to_minor(q->v));
        else if (strcmp(k, "value") == 0)
            lua_pushnumber(L, (double)money_to_minor(q->v) / (double)money_scale(q->cur));
        else
            return luaL_error(L, "money has no field '%s' (currency, minor, value)", k);
        return 1;
    }
    if (q->kind == Q_DUR) {
        if (strcmp(k, "seconds") != 0)
            return luaL_error(L, "a duration has no field '%s' (seconds)", k);
        lua_pushinteger(L, q->v);
        return 1;
    }
    int64_t days = q->v >= 0 ? q->v / 86400 : -((-q->v + 86399) / 86400);
    int64_t rest = q->v - days * 86400;
    char buf[32];
    date_format(days * 86400, buf, sizeof buf);
    int y = atoi(buf), m = atoi(buf + 5), d = atoi(buf + 8);
    if (strcmp(k, "year") == 0)
        lua_pushinteger(L, y);
    else if (strcmp(k, "month") == 0)
        lua_pushinteger(L, m);
    else if (strcmp(k, "day") == 0)
        lua_pushinteger(L, d);
    else if (strcmp(k, "hour") == 0)
        lua_pushinteger(L, rest / 3600);
    else if (strcmp(k, "minute") == 0)
        lua_pushinteger(L, rest % 3600 / 60);
    else if (strcmp(k, "weekday") == 0)
        lua_pushinteger(L, ((days % 7) + 7 + 3) % 7 + 1); /* 1970-01-01 was a Thursday */
    else
        return luaL_error(L, "a date has no field '%s' (year, month, day, hour, minute, weekday)",
                          k);
    return 1;
}

/* money("19.95 EUR"), money(19.95 [, "EUR"]), money(m) */
static int l_money(lua_State *L)
{
    lua_engine *le = LE(L);
    int cur = le->cur;
    int64_t minor;
    const char *err = NULL;
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t n;
        const char *code = lua_tolstring(L, 2, &n);
        cur = money_currency(code, n);
        if (cur < 0)
            return luaL_error(L, "'%s' is not a known ISO 4217 currency code", code);
    }
    if (to_qty(L, 1) && to_qty(L, 1)->kind == Q_MONEY) {
        lua_settop(L, 1);
        return 1;
    }
    if (lua_type(L, 1) == LUA_TNUMBER) {
        if (cur < 0)
            return luaL_error(L, "money(number) needs a currency: money(19.95, \"EUR\")");
        dec d;
        err = lua_dec(L, 1, &d);
        if (!err)
            err = money_from_dec(d, cur, &minor);
    } else if (lua_type(L, 1) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, 1, &n);
        err = money_parse(s, n, cur, &minor, &cur);
    } else {
        return luaL_error(L, "money() takes text like \"19.95 EUR\" or a number, not %s",
                          lua_kind(L, 1));
    }
    int64_t fine = 0;
    if (!err)
        err = money_to_fine(minor, &fine);
    if (err)
        return luaL_error(L, "money(): %s", err);
    push_qty(L, Q_MONEY, cur, fine);
    return 1;
}

static int l_duration(lua_State *L)
{
    int64_t s;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        double d = lua_tonumber(L, 1);
        if (!(fabs(d) < 9e15))
            return luaL_error(L, "duration(): too large");
        s = (int64_t)llround(d);
    } else {
        size_t n;
        const char *t = luaL_checklstring(L, 1, &n);
        if (!duration_parse(t, n, &s))
            return luaL_error(L, "duration(): '%s' is not a duration like \"90min\", \"3h\", \"14d\"",
                              t);
    }
    push_qty(L, Q_DUR, 0, s);
    return 1;
}

/* date("2026-11-23"), date("2026-11-23T10:00:00Z"), date(y, m, d [, h, min]) */
static int l_date(lua_State *L)
{
    int64_t s;
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Integer y = luaL_checkinteger(L, 1), m = luaL_checkinteger(L, 2),
                    d = luaL_checkinteger(L, 3), h = luaL_optinteger(L, 4, 0),
                    mi = luaL_optinteger(L, 5, 0);
        if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
            mi < 0 || mi > 59)
            return luaL_error(L, "date(): not a valid date");
        s = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600 + mi * 60;
    } else {
        size_t n;
        const char *t = luaL_checklstring(L, 1, &n);
        if (!date_parse(t, n, &s))
            return luaL_error(L, "date(): '%s' is not a date like \"2026-11-23\"", t);
    }
    push_qty(L, Q_DATE, 0, s);
    return 1;
}

static int l_lower(lua_State *L)
{
    size_t n, out;
    const char *s = luaL_checklstring(L, 1, &n);
    script_charge(L, text_cost(n));
    char *buf = lua_newuserdatauv(L, n * 4 + 1, 0);
    char *p = buf, *lowered;
    arena a;
    arena_init(&a, &LE(L)->mem);
    lowered = text_lower(&a, s, n, &out);
    if (lowered)
        memcpy(p, lowered, out);
    arena_free(&a);
    if (!lowered)
        return luaL_error(L, "lower(): out of memory");
    lua_pushlstring(L, buf, out);
    return 1;
}

static int l_len(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    script_charge(L, text_cost(n));
    lua_pushinteger(L, (lua_Integer)text_graphemes(s, n));
    return 1;
}

/* os.time() / os.date(fmt [, t]) on the case's clock; os.clock() */
static int l_os_time(lua_State *L)
{
    lua_engine *le = LE(L);
    if (lua_istable(L, 1)) {
        /* os.time{year=, month=, day=, hour=, min=, sec=}, in UTC */
        static const char *const keys[] = {"year", "month", "day", "hour", "min", "sec"};
        static const lua_Integer dflt[] = {-1, -1, -1, 12, 0, 0};
        lua_Integer v[6];
        for (int i = 0; i < 6; i++) {
            lua_getfield(L, 1, keys[i]);
            int ok;
            v[i] = lua_isnil(L, -1) ? dflt[i] : lua_tointegerx(L, -1, &ok);
            if ((!lua_isnil(L, -1) && !ok) || v[i] < 0)
                return luaL_error(L, "os.time(): field '%s' is missing or not a whole number",
                                  keys[i]);
            lua_pop(L, 1);
        }
        if (v[0] < 1 || v[0] > 9999 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 ||
            v[3] > 23 || v[4] > 59 || v[5] > 60)
            return luaL_error(L, "os.time(): not a valid date and time");
        lua_pushinteger(L, days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * 86400 +
                               v[3] * 3600 + v[4] * 60 + v[5]);
        return 1;
    }
    lua_pushinteger(L, le->x ? le->x->now : 0);
    return 1;
}

static int l_os_date(lua_State *L)
{
    lua_engine *le = LE(L);
    const char *fmt = luaL_optstring(L, 1, "%Y-%m-%d");
    time_t t = (time_t)luaL_optinteger(L, 2, le->x ? le->x->now : 0);
    if (fmt[0] == '!')
        fmt++;
    if (strlen(fmt) > 64 || strchr(fmt, '*'))
        return luaL_error(L, "os.date(): give a strftime format like \"%%Y-%%m-%%d\"");
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year < 1 - 1900 || tm.tm_year > 9999 - 1900)
        return luaL_error(L, "os.date(): the time is out of range (years 1 to 9999)");
    luaL_Buffer b;
    char *buf = luaL_buffinitsize(L, &b, 4096);
    size_t n = strftime(buf, 4096, fmt, &tm);
    if (n == 0 && *fmt)
        return luaL_error(L, "os.date(): the result is too long (at most 4095 bytes)");
    luaL_pushresultsize(&b, n);
    return 1;
}

/* pcall(f, ...), except that a spent budget (or memory) is not caught:
** otherwise `while true do pcall(...) end` would never stop. */
static int l_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int rc = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    if (rc != LUA_OK && LE(L)->exhausted)
        return lua_error(L);
    lua_pushboolean(L, rc == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* ======================================================================
** Library calls that do much work in one C call, where no hook can stop
** them: bounded before the call, charged to the budget, or (the pattern
** functions, lua_pattern.c) charged while they run. The real tables are
** patched, since string methods are reachable from any string.
*/
#define STR_MAX_RESULT ((size_t)1 << 20) /* string.rep: 1 MiB */

/* Run the original function (upvalue 1, a C function of Lua's libraries,
** which use no upvalues) in this call's frame, so that its errors name the
** script's line and the function as the script called it. */
static int call_original(lua_State *L)
{
    return lua_tocfunction(L, lua_upvalueindex(1))(L);
}

/* Functions that make text or values from small arguments (string.sub,
** upper, format, byte, table.concat, unpack ...): charged after the call,
** one instruction per value returned and per 16 bytes of text returned, so
** a loop of them reads the clock after each large one. */
static int charged_by_output(lua_State *L)
{
    int n = call_original(L), top = lua_gettop(L);
    size_t cost = (size_t)n;
    for (int i = top - n + 1; i <= top; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            cost += text_cost(lua_rawlen(L, i));
    script_charge(L, cost);
    return n;
}

/* Functions that read all of their arguments (utf8.len, tonumber,
** table.pack): charged before the call, one instruction per argument and
** per 16 bytes of text. */
static int charged_by_input(lua_State *L)
{
    int n = lua_gettop(L);
    size_t cost = (size_t)n;
    for (int i = 1; i <= n; i++)
        if (lua_type(L, i) == LUA_TSTRING)
            cost += text_cost(lua_rawlen(L, i));
    script_charge(L, cost);
    return call_original(L);
}

/* string.rep(s, n [, sep]): at most 1 MiB; copies of nothing are nothing
** (Lua would loop n times making them). */
static int guarded_rep(lua_State *L)
{
    size_t n, ns = 0;
    luaL_checklstring(L, 1, &n);
    lua_Integer k = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checklstring(L, 3, &ns);
    if (k > 0 && (double)(n + ns) * (double)k > (double)STR_MAX_RESULT)
        return luaL_error(L, "string.rep would make more than %I bytes, the most a script may "
                             "make",
                          (lua_Integer)STR_MAX_RESULT);
    if (n + ns == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    return charged_by_output(L);
}

/* The number of indexes from f to e, as steps (at most SIZE_MAX). */
static size_t range_steps(lua_Integer f, lua_Integer e)
{
    if (e < f)
        return 0;
    lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)f + 1;
    return n && n < SIZE_MAX ? (size_t)n : SIZE_MAX;
}

/* table.move(a1, f, e, t [, a2]) moves e - f + 1 elements, however many the
** table holds: one instruction each, charged before the call. */
static int charged_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    script_charge(L, range_steps(f, e));
    return call_original(L);
}

/* table.concat(t [, sep [, i [, j]]]) reads the elements from i to j: one
** instruction each before the call, and the text it makes after. */
static int charged_concat(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    lua_Integer j = lua_isnoneornil(L, 4) ? (lua_Integer)lua_rawlen(L, 1)
                                          : luaL_checkinteger(L, 4);
    script_charge(L, range_steps(i, j));
    return charged_by_output(L);
}

/* table.sort(t [, comp]): n log2 n instructions for its comparisons,
** charged before the call (a Lua comparator's own work is counted too). */
static int charged_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 1), cost = n;
    for (size_t k = n; k > 1; k >>= 1)
        cost += n;
    script_charge(L, cost);
    return call_original(L);
}

/* table.insert(t, pos, v) and table.remove(t, pos) shift the elements from
** pos to the end: one instruction each, charged before the call. Upvalue 2:
** the number of arguments with which the function is given a position. */
static int charged_shift(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer len = (lua_Integer)lua_rawlen(L, 1), at = len;
    if (lua_gettop(L) >= lua_tointeger(L, lua_upvalueindex(2)))
        at = lua_tointeger(L, 2);
    script_charge(L, at >= 1 && at <= len ? (size_t)(len - at + 1) : 1);
    return call_original(L);
}

/* Replace field name of the table on top by fn, with the original as upvalue
** 1 (and, if extra is not 0, extra as upvalue 2). */
static void wrap_with(lua_State *L, const char *name, lua_CFunction fn, lua_Integer extra)
{
    lua_getfield(L, -1, name);
    if (extra)
        lua_pushinteger(L, extra);
    lua_pushcclosure(L, fn, extra ? 2 : 1);
    lua_setfield(L, -2, name);
}

static void wrap(lua_State *L, const char *name, lua_CFunction fn)
{
    wrap_with(L, name, fn, 0);
}

static void wrap_all(lua_State *L, const char *const *names, lua_CFunction fn)
{
    for (; *names; names++)
        wrap(L, *names, fn);
}

static void guard_libraries(lua_State *L)
{
    static const char *const string_made[] = {"byte", "char", "format", "lower", "reverse",
                                              "sub", "upper", NULL};
    static const char *const utf8_made[] = {"char", "codepoint", NULL};
    lua_getglobal(L, "string");
    wrap(L, "rep", guarded_rep);
    wrap_all(L, string_made, charged_by_output);
    lua_pattern_install(L);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_getglobal(L, "table");
    wrap(L, "move", charged_move);
    wrap(L, "sort", charged_sort);
    wrap(L, "concat", charged_concat);
    wrap(L, "unpack", charged_by_output);
    wrap(L, "pack", charged_by_input);
    wrap_with(L, "insert", charged_shift, 3);
    wrap_with(L, "remove", charged_shift, 2);
    lua_pop(L, 1);
    lua_getglobal(L, "utf8");
    wrap_all(L, utf8_made, charged_by_output);
    wrap(L, "len", charged_by_input);
    lua_pop(L, 1);
    lua_pushglobaltable(L);
    wrap(L, "select", charged_by_output);
    wrap(L, "tonumber", charged_by_input);
    lua_pop(L, 1);
}

/* ======================================================================
** The sandbox
*/
static int readonly(lua_State *L)
{
    return luaL_error(L, "'%s' cannot be changed: scripts may not set globals or change the "
                         "case (use local variables)",
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

/* Replace the value on top (a table or an __index function) by a new empty
** table that reads through it and refuses writes. */
static void push_guarded(lua_State *L)
{
    lua_newtable(L);
    lua_newtable(L);
    lua_rotate(L, -3, -1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

/* A read-only view of table at idx. */
static void push_readonly_view(lua_State *L, int idx)
{
    lua_pushvalue(L, idx);
    push_guarded(L);
}

static void copy_fields(lua_State *L, int from, int to, const char *const *names)
{
    from = lua_absindex(L, from);
    to = lua_absindex(L, to);
    for (; *names; names++) {
        lua_getfield(L, from, *names);
        lua_setfield(L, to, *names);
    }
}

static void build_envs(lua_State *L);

/* registry["leeway.base"]: the frozen table every script's _ENV falls back to */
static bool build_base(lua_State *L)
{
    static const char *const base_fns[] = {"assert", "error", "ipairs", "next", "pairs",
                                           "select", "tonumber", "tostring", "type", NULL};
    static const char *const math_fns[] = {"abs", "ceil", "floor", "fmod", "huge", "max",
                                           "maxinteger", "min", "mininteger", "modf", "pi",
                                           "sqrt", "tointeger", "type", "ult", "exp", "log",
                                           NULL};
    static const char *const string_fns[] = {"byte", "char", "find", "format", "gmatch", "gsub",
                                             "len", "lower", "match", "rep", "reverse", "sub",
                                             "upper", NULL};
    static const char *const table_fns[] = {"concat", "insert", "move", "pack", "remove",
                                            "sort", "unpack", NULL};
    static const char *const utf8_fns[] = {"char", "charpattern", "codepoint", "codes", "len",
                                           "offset", NULL};
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
    lua_settop(L, 0);
    guard_libraries(L);

    luaL_newmetatable(L, QTY);
    static const luaL_Reg qty_meta[] = {
        {"__add", q_add}, {"__sub", q_sub}, {"__mul", q_mul}, {"__div", q_div},
        {"__unm", q_unm}, {"__eq", q_eq}, {"__lt", q_lt}, {"__le", q_le},
        {"__tostring", q_tostring}, {"__concat", q_concat}, {"__index", q_index},
        {NULL, NULL}};
    luaL_setfuncs(L, qty_meta, 0);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    lua_newtable(L); /* base */
    int base = lua_gettop(L);
    lua_pushglobaltable(L);
    copy_fields(L, -1, base, base_fns);
    static const struct { const char *name; const char *const *fns; } libs[] = {
        {"math", math_fns}, {"string", string_fns}, {"table", table_fns}, {"utf8", utf8_fns}};
    for (size_t i = 0; i < 4; i++) {
        lua_getfield(L, -1, libs[i].name);
        lua_newtable(L);
        copy_fields(L, -2, -1, libs[i].fns);
        push_readonly_view(L, -1);
        lua_setfield(L, base, libs[i].name);
        lua_pop(L, 2);
    }
    lua_getfield(L, -1, "os");
    lua_newtable(L);
    lua_getfield(L, -2, "clock");
    lua_setfield(L, -2, "clock");
    lua_pushcfunction(L, l_os_time);
    lua_setfield(L, -2, "time");
    lua_pushcfunction(L, l_os_date);
    lua_setfield(L, -2, "date");
    push_readonly_view(L, -1);
    lua_setfield(L, base, "os");
    lua_pop(L, 3); /* os lib, os table, globals */
    static const luaL_Reg own[] = {{"money", l_money}, {"duration", l_duration},
                                   {"date", l_date}, {"lower", l_lower}, {"len", l_len},
                                   {"pcall", l_pcall}, {NULL, NULL}};
    luaL_setfuncs(L, own, 0);
    /* the prelude defines its functions into the base, then the base freezes */
    if (luaL_loadbufferx(L, lua_prelude, sizeof lua_prelude - 1, "=prelude", "t") != LUA_OK)
        return false;
    lua_pushvalue(L, base);
    lua_setupvalue(L, -2, 1);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK)
        return false;
    /* Scripts reach the base only through their _ENV's __index (they have no
    ** getmetatable), so _ENV may point at it directly: one lookup, not two. */
    lua_setfield(L, LUA_REGISTRYINDEX, "leeway.base");
    /* scripts get no globals table of their own making: clear the real one */
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, -4);
    }
    lua_pop(L, 1);
    build_envs(L); /* libraries run at load time, before any case proxy */
    return true;
}

/* The _ENV of scripts (registry "leeway.env": reads `case`, `outputs`, then
** the base) and of libraries ("leeway.libenv": the base only). Both are empty
** read-only views, so nothing a script does to them outlives the call. */
static void build_envs(lua_State *L)
{
    lua_newtable(L); /* what scripts see besides the base */
    lua_getfield(L, LUA_REGISTRYINDEX, "leeway.case");
    lua_setfield(L, -2, "case");
    lua_getfield(L, LUA_REGISTRYINDEX, "leeway.outputs");
    lua_setfield(L, -2, "outputs");
    lua_newtable(L);
    lua_getfield(L, LUA_REGISTRYINDEX, "leeway.base");
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
    push_guarded(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "leeway.env");
    lua_getfield(L, LUA_REGISTRYINDEX, "leeway.base");
    push_guarded(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "leeway.libenv");
}

/* Set the _ENV of the function on top (its first upvalue). */
static void set_env(lua_State *L, bool for_script)
{
    lua_getfield(L, LUA_REGISTRYINDEX, for_script ? "leeway.env" : "leeway.libenv");
    lua_setupvalue(L, -2, 1);
}

/* The registry references of a playbook's scripts, functions and libraries:
** arrays of n + 1 ints (never of size zero), freed with that same size. */
static size_t refs_size(size_t n)
{
    return (n + 1) * sizeof(int);
}

static void free_refs(lua_engine *le)
{
    lw_mem_free(&le->mem, le->script_refs, refs_size(le->n_script_refs));
    lw_mem_free(&le->mem, le->fn_refs, refs_size(le->n_fn_refs));
    lw_mem_free(&le->mem, le->lib_refs, refs_size(le->n_lib_refs));
    le->script_refs = le->fn_refs = le->lib_refs = NULL;
    le->n_script_refs = le->n_fn_refs = le->n_lib_refs = 0;
}

static lua_engine *lua_engine_new(const lw_mem *mem, const lw_options *opt, int cur)
{
    lua_engine *le = lw_mem_alloc(mem, sizeof *le);
    if (!le)
        return NULL;
    memset(le, 0, sizeof *le);
    le->mem = *mem;
    lw_options_init(&le->opt);
    if (opt) {
        le->opt.lua_instructions = opt->lua_instructions;
        le->opt.lua_memory = opt->lua_memory;
        le->opt.lua_millis = opt->lua_millis;
    }
    le->cur = cur;
    le->limit = SIZE_MAX;
    pthread_mutex_init(&le->wd_lock, NULL);
    le->L = lua_newstate(lua_alloc, le);
    if (!le->L) {
        pthread_mutex_destroy(&le->wd_lock);
        lw_mem_free(mem, le, sizeof *le);
        return NULL;
    }
    *(lua_engine **)lua_getextraspace(le->L) = le;
    lua_gc(le->L, LUA_GCGEN, 0, 0);
    if (!build_base(le->L)) {
        lua_close(le->L);
        pthread_mutex_destroy(&le->wd_lock);
        lw_mem_free(mem, le, sizeof *le);
        return NULL;
    }
    return le;
}

static void lua_engine_close(lua_engine *le)
{
    if (!le)
        return;
    atomic_store(&le->wd_stop, true);
    if (le->wd_exists)
        pthread_join(le->wd, NULL);
    pthread_mutex_destroy(&le->wd_lock);
    lua_close(le->L);
    free_refs(le);
    lw_mem m = le->mem;
    lw_mem_free(&m, le, sizeof *le);
}

void lua_engine_free(lw_engine *e)
{
    lua_engine_close(e->lua);
    e->lua = NULL;
}

/* ======================================================================
** Calling into Lua
*/

/* Error objects that are not text (a table, nil) still get a message, and
** every message is cut to a readable length. */
static int msgh(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TSTRING) {
        size_t n;
        const char *s = lua_tolstring(L, 1, &n);
        if (n > 400)
            lua_pushfstring(L, "%s... (message cut)", lua_pushlstring(L, s, 400));
        return 1;
    }
    luaL_where(L, 2);
    if (lua_type(L, 1) == LUA_TNUMBER)
        lua_pushfstring(L, "%s%s", lua_tostring(L, -1), lua_tostring(L, 1));
    else
        lua_pushfstring(L, "%sthe script raised an error that is not a message (%s)",
                        lua_tostring(L, -1), luaL_typename(L, 1));
    return 1;
}

/* Run what is on the stack (msgh, function, args) under the budgets. */
static int budgeted_call(lua_engine *le, int nargs)
{
    lua_State *L = le->L;
    watchdog_ensure(le);
    le->exhausted = false;
    int64_t t0 = now_ns();
    atomic_store(&le->deadline, t0 + budget_ns(le) - le->spent_ns);
    atomic_store(&le->run_start, t0);
    int rc = lua_pcall(L, nargs, 1, -(nargs + 2));
    atomic_store(&le->run_start, 0);
    le->spent_ns += now_ns() - t0;
    atomic_store(&le->late, false);
    if (atomic_exchange(&le->armed, false))
        lua_sethook(L, NULL, 0, 0);
    return rc;
}

/* "lua:3: attempt to ..." -> playbook line; *rest -> the message after it */
static int map_line(const char *msg, const char *chunk, int line0, const char **rest)
{
    size_t n = strlen(chunk);
    *rest = msg;
    if (strncmp(msg, chunk, n) != 0 || msg[n] != ':')
        return 0;
    char *end;
    long l = strtol(msg + n + 1, &end, 10);
    if (end == msg + n + 1 || *end != ':')
        return 0;
    *rest = end + 1;
    while (**rest == ' ')
        (*rest)++;
    return line0 + (int)l - 1;
}

static void report_script_error(eval_ctx *x, lua_engine *le, int rc, const char *file,
                                int line0, const char *chunk)
{
    lua_State *L = le->L;
    const char *msg = lua_tostring(L, -1);
    if (rc == LUA_ERRMEM)
        msg = arena_printf(x->a, "the script used more than its memory budget of %zu bytes",
                           budget_memory(le));
    const char *rest = msg ? msg : "the script failed";
    int line = msg ? map_line(msg, chunk, line0, &rest) : 0;
    pos at = {file, line ? line : line0, 1};
    eval_error(x, at, "Lua: %s", rest);
}

static void push_val(lua_State *L, const lw_playbook *pb, const val *v)
{
    switch ((vtype)v->t) {
    case V_MISSING:
    case V_ERROR:
        lua_pushnil(L);
        break;
    case V_BOOL:
        lua_pushboolean(L, v->u.b);
        break;
    case V_NUM: { /* a whole number as an integer (82, not 82.0), else the nearest float */
        dec d = num_get(v), whole;
        int64_t i;
        if (!dec_round(d, dec_int(1), DEC_DOWN, &whole) && dec_compare(whole, d) == 0 &&
            !dec_to_int64(d, DEC_DOWN, &i))
            lua_pushinteger(L, (lua_Integer)i);
        else
            lua_pushnumber(L, dec_to_double(d));
        break;
    }
    case V_STR:
        lua_pushlstring(L, v->u.s, (size_t)v->idx);
        break;
    case V_ENUM:
        lua_pushstring(L, v->u.set->words[v->idx]);
        break;
    case V_ROLE:
        lua_pushstring(L, pb->roles[v->idx].id);
        break;
    case V_OUTCOME:
        lua_pushstring(L, pb->outcomes[v->idx].word);
        break;
    case V_MONEY:
        push_qty(L, Q_MONEY, v->cur, v->u.i);
        break;
    case V_DUR:
        push_qty(L, Q_DUR, 0, v->u.i);
        break;
    case V_DATE:
        push_qty(L, Q_DATE, 0, v->u.i);
        break;
    case V_LIST:
        lua_createtable(L, (int)v->u.list->n, 0);
        for (size_t i = 0; i < v->u.list->n; i++) {
            lua_pushlstring(L, v->u.list->items[i], v->u.list->lens[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
}

/* The script's result as the value the rule needs; NULL or why not. */
static const char *to_val(lua_engine *le, eval_ctx *x, int idx, ttype want,
                          const enumset *set, val *out)
{
    lua_State *L = le->L;
    memset(out, 0, sizeof *out);
    int t = lua_type(L, idx);
    qty *q = to_qty(L, idx);
    if (t == LUA_TNIL)
        return want == T_ANY ? NULL : arena_printf(x->a, "returned nothing, but %s is needed",
                                                   want == T_BOOL ? "true or false"
                                                                  : ttype_name(want));
    if (want == T_BOOL || (want == T_ANY && t == LUA_TBOOLEAN)) {
        if (t != LUA_TBOOLEAN)
            return arena_printf(x->a, "returned %s, but a condition must return true or false",
                                lua_kind(L, idx));
        out->t = V_BOOL;
        out->u.b = lua_toboolean(L, idx);
        return NULL;
    }
    if (q) {
        static const ttype kinds[] = {T_MONEY, T_DUR, T_DATE};
        if (want != T_ANY && want != kinds[q->kind])
            return arena_printf(x->a, "returned %s, but %s is needed", kind_name(q->kind),
                                ttype_name(want));
        if (q->kind == Q_MONEY && want == T_MONEY && q->cur != x->pb->cur)
            return arena_printf(x->a, "returned money in %s, but the playbook's currency is %s",
                                money_currency_at(q->cur)->code,
                                money_currency_at(x->pb->cur)->code);
        out->t = q->kind == Q_MONEY ? V_MONEY : q->kind == Q_DUR ? V_DUR : V_DATE;
        out->cur = (uint8_t)q->cur;
        out->u.i = q->v;
        return NULL;
    }
    if (t == LUA_TNUMBER && (want == T_NUM || want == T_ANY)) {
        dec d;
        if (!isfinite(lua_tonumber(L, idx)))
            return "returned a number that is not finite";
        const char *err = lua_dec(L, idx, &d);
        if (!err)
            err = num_put(x->a, d, out);
        return err ? arena_printf(x->a, "returned a number that cannot be held exactly: %s", err)
                   : NULL;
    }
    if (t == LUA_TSTRING && (want == T_STR || want == T_ANY || want == T_ENUM)) {
        size_t n, nl;
        const char *s = lua_tolstring(L, idx, &n);
        if (want == T_ENUM && set) {
            int k = enumset_find_text(x->a, set, s, n);
            if (k < 0)
                return arena_printf(x->a, "returned \"%.40s\", which is not one of the declared "
                                          "values",
                                    s);
            out->t = V_ENUM;
            out->idx = k;
            out->u.set = set;
            return NULL;
        }
        char *c = text_nfc(x->a, s, n, &nl);
        if (!c)
            return "returned text that is not valid UTF-8";
        out->t = V_STR;
        out->u.s = c;
        out->idx = (int32_t)nl;
        return NULL;
    }
    if (want == T_MONEY && t == LUA_TNUMBER)
        return "returned a number, but money is needed: return money(...) or amount * factor";
    return arena_printf(x->a, "returned %s, but %s is needed", lua_kind(L, idx),
                        ttype_name(want));
}

/* ======================================================================
** The case and earlier outputs, read-only, seen from Lua
*/
static int case_index(lua_State *L)
{
    lua_engine *le = LE(L);
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (lua_isinteger(L, -1) && le->x) {
        int f = (int)lua_tointeger(L, -1);
        val v = le->x->slots[f];
        if (v.t == V_MISSING && le->pb->facts[f].has_default)
            v = le->pb->facts[f].def;
        push_val(L, le->pb, &v);
        return 1;
    }
    if (!lua_isnil(L, -1))
        return 1;
    return luaL_error(L, "%s%s%s is not a fact of this playbook", lua_tostring(L, lua_upvalueindex(2)),
                      *lua_tostring(L, lua_upvalueindex(2)) ? "." : "",
                      lua_tostring(L, 2) ? lua_tostring(L, 2) : "?");
}

/* A read-only proxy for the facts under prefix; map: key -> fact | proxy */
static void push_proxy(lua_State *L, int map, const char *prefix)
{
    lua_pushvalue(L, map);
    lua_pushstring(L, prefix);
    lua_pushcclosure(L, case_index, 2);
    push_guarded(L);
}

/* Build registry["leeway.case"] for pb: nested proxies over the fact paths.
** maps[prefix] is the map of the group `prefix` ("" for the root). */
static void build_case(lua_State *L, const lw_playbook *pb)
{
    lua_newtable(L);
    int maps = lua_gettop(L);
    lua_newtable(L);
    lua_setfield(L, maps, "");
    char prefix[520];
    for (size_t f = 0; f < pb->n_facts; f++) {
        const char *path = pb->facts[f].path;
        const char *seg = path;
        size_t plen = 0;
        prefix[0] = 0;
        for (const char *dot; (dot = strchr(seg, '.')) != NULL; seg = dot + 1) {
            size_t group = (size_t)(dot - path);
            if (group >= sizeof prefix)
                break;
            memcpy(prefix, path, group);
            prefix[group] = 0;
            if (lua_getfield(L, maps, prefix) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_newtable(L);
                lua_pushvalue(L, -1);
                lua_setfield(L, maps, prefix);
                push_proxy(L, -1, prefix);   /* the group's proxy */
                char parent[520];
                memcpy(parent, path, plen);
                parent[plen] = 0;
                lua_getfield(L, maps, parent);
                lua_pushlstring(L, seg, (size_t)(dot - seg));
                lua_pushvalue(L, -3);
                lua_rawset(L, -3);           /* parent map[seg] = proxy */
                lua_pop(L, 2);
            }
            lua_pop(L, 1);
            plen = group;
        }
        lua_getfield(L, maps, prefix);
        lua_pushstring(L, seg);
        lua_pushinteger(L, (lua_Integer)f);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    }
    lua_getfield(L, maps, "");
    push_proxy(L, -1, "case");
    lua_setfield(L, LUA_REGISTRYINDEX, "leeway.case");
    lua_pop(L, 2);
}

static int outputs_index(lua_State *L)
{
    lua_engine *le = LE(L);
    const char *name = luaL_checkstring(L, 2);
    for (size_t i = 0; le->x && i < le->pb->n_outputs; i++)
        if (strcmp(le->pb->outputs[i].name, name) == 0) {
            if (i >= le->x->outputs_done)
                return luaL_error(L, "outputs.%s is not computed yet: scripts may read only "
                                     "the outputs above them",
                                  name);
            push_val(L, le->pb, &le->x->outputs[i]);
            return 1;
        }
    return luaL_error(L, "outputs.%s: no such output", name);
}

static void build_outputs(lua_State *L)
{
    lua_pushcfunction(L, outputs_index);
    push_guarded(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "leeway.outputs");
}

/* ======================================================================
** Loading a playbook's scripts into an engine's state
*/
static const char PREFIX[] = "local amount = ...; ";

static int load_chunk(lua_State *L, const char *src, size_t len, const char *chunk, arena *a)
{
    char *text = arena_alloc(a, sizeof PREFIX + len);
    if (!text) {
        lua_pushstring(L, "out of memory");
        return LUA_ERRMEM;
    }
    memcpy(text, PREFIX, sizeof PREFIX - 1);
    memcpy(text + sizeof PREFIX - 1, src, len);
    return luaL_loadbufferx(L, text, sizeof PREFIX - 1 + len, chunk, "t");
}

/* Run library lib: leaves its table on the stack, or an error message. */
static int run_library(lua_engine *le, const lua_lib *lib, arena *a, int *chunk_ref)
{
    lua_State *L = le->L;
    lua_pushcfunction(L, msgh);
    const char *chunk = arena_printf(a, "=%s", lib->path);
    int rc = chunk ? luaL_loadbufferx(L, lib->src, lib->len, chunk, "t") : LUA_ERRMEM;
    if (rc != LUA_OK) {
        lua_remove(L, -2);
        return rc;
    }
    set_env(L, false); /* a library sees its arguments, not the case */
    if (chunk_ref) {
        lua_pushvalue(L, -1);
        *chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    rc = budgeted_call(le, 0);
    lua_remove(L, -2);
    if (rc == LUA_OK && !lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_pushstring(L, "a functions: library must return a table of functions, like "
                          "return { name = function (...) ... end }");
        return LUA_ERRRUN;
    }
    return rc;
}

static lua_engine *prepare(eval_ctx *x)
{
    lw_engine *e = x->e;
    const lw_playbook *pb = x->pb;
    if (!e->lua) {
        e->lua = lua_engine_new(&e->mem, &e->opt, pb->cur);
        if (!e->lua) {
            eval_error(x, (pos){pb->file, 0, 0}, "could not start Lua (out of memory)");
            return NULL;
        }
    }
    lua_engine *le = e->lua;
    le->x = x;
    if (le->pb == pb && (le->checked == e->serial || strcmp(le->digest, pb->digest) == 0)) {
        le->checked = e->serial; /* compared once per decision */
        return le;
    }
    lua_State *L = le->L;
    le->pb = NULL;
    le->cur = pb->cur;
    le->limit = SIZE_MAX;
    for (size_t i = 0; i < le->n_script_refs; i++)
        luaL_unref(L, LUA_REGISTRYINDEX, le->script_refs[i]);
    for (size_t i = 0; i < le->n_fn_refs; i++)
        luaL_unref(L, LUA_REGISTRYINDEX, le->fn_refs[i]);
    for (size_t i = 0; i < le->n_lib_refs; i++)
        luaL_unref(L, LUA_REGISTRYINDEX, le->lib_refs[i]);
    free_refs(le);
    le->n_script_refs = pb->n_scripts;
    le->n_fn_refs = pb->n_fns;
    le->n_lib_refs = pb->n_libs;
    le->lib_refs = lw_mem_alloc(&le->mem, refs_size(le->n_lib_refs));
    le->script_refs = lw_mem_alloc(&le->mem, refs_size(le->n_script_refs));
    le->fn_refs = lw_mem_alloc(&le->mem, refs_size(le->n_fn_refs));
    if (!le->script_refs || !le->fn_refs || !le->lib_refs) {
        free_refs(le);
        eval_error(x, (pos){pb->file, 0, 0}, "could not load the scripts (out of memory)");
        return NULL;
    }
    for (size_t i = 0; i < pb->n_scripts; i++)
        le->script_refs[i] = LUA_NOREF;
    for (size_t i = 0; i < pb->n_fns; i++)
        le->fn_refs[i] = LUA_NOREF;
    for (size_t i = 0; i < pb->n_libs; i++)
        le->lib_refs[i] = LUA_NOREF;
    build_case(L, pb);
    build_outputs(L);
    build_envs(L);
    for (size_t i = 0; i < pb->n_scripts; i++) {
        const script *sc = &pb->scripts[i];
        if (load_chunk(L, sc->src, sc->len, "=lua", x->a) != LUA_OK) {
            lua_pop(L, 1);
            continue; /* checked at load time: only out of memory gets here */
        }
        le->script_refs[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    le->instructions = 0;
    le->spent_ns = 0;
    for (size_t l = 0; l < pb->n_libs; l++) {
        int rc = run_library(le, &pb->libs[l], x->a, &le->lib_refs[l]);
        if (rc != LUA_OK) {
            report_script_error(x, le, rc, pb->libs[l].path, 1, pb->libs[l].path);
            lua_pop(L, 1);
            continue;
        }
        for (size_t f = 0; f < pb->n_fns; f++) {
            if (pb->fns[f].lib != (int)l)
                continue;
            lua_getfield(L, -1, pb->fns[f].name);
            le->fn_refs[f] = luaL_ref(L, LUA_REGISTRYINDEX);
        }
        lua_pop(L, 1);
    }
    le->pb = pb;
    le->checked = e->serial;
    le->serial = 0; /* the first script call of this decision sets the budgets */
    snprintf(le->digest, sizeof le->digest, "%s", pb->digest);
    return le;
}

val script_eval(eval_ctx *x, const expr *e)
{
    val none;
    memset(&none, 0, sizeof none);
    none.t = V_ERROR;
    lua_engine *le = prepare(x);
    if (!le)
        return none;
    lua_State *L = le->L;
    if (le->serial != x->e->serial) {
        le->serial = x->e->serial;
        le->instructions = 0;
        le->spent_ns = 0;
        lua_gc(L, LUA_GCSTEP, 0);
        le->limit = le->used + budget_memory(le);
    }
    le->x = x;
    int base = lua_gettop(L);
    lua_pushcfunction(L, msgh);
    int rc, nargs;
    const char *file, *chunk;
    int line0;
    ttype want;
    const enumset *set = NULL;
    if (e->op == X_LUA) {
        const script *sc = &x->pb->scripts[e->slot];
        lua_rawgeti(L, LUA_REGISTRYINDEX, le->script_refs[e->slot]);
        set_env(L, true);
        push_val(L, x->pb, &x->amount);
        nargs = 1;
        file = sc->file;
        chunk = "lua";
        line0 = sc->line0;
        want = sc->want;
        set = sc->set;
    } else {
        const lua_fn *fn = &x->pb->fns[e->slot];
        /* the library's chunk holds the _ENV its functions share */
        lua_rawgeti(L, LUA_REGISTRYINDEX, le->lib_refs[fn->lib]);
        set_env(L, false);
        lua_pop(L, 1);
        lua_rawgeti(L, LUA_REGISTRYINDEX, le->fn_refs[e->slot]);
        for (size_t i = 0; i < e->n; i++) {
            size_t mark = x->n_pending;
            val a = expr_eval(x, e->args[i]);
            if (a.t <= V_ERROR) {
                lua_settop(L, base);
                if (a.t == V_MISSING)
                    return a; /* an unknown argument makes the call unknown */
                x->n_pending = mark;
                return none;
            }
            push_val(L, x->pb, &a);
        }
        nargs = (int)e->n;
        file = x->pb->libs[fn->lib].path;
        chunk = file;
        line0 = 1;
        want = T_ANY;
    }
    rc = budgeted_call(le, nargs);
    val out;
    if (rc != LUA_OK && e->op == X_LUAFN) {
        /* where the playbook calls it; the library's own line is in the message */
        const char *msg = rc == LUA_ERRMEM ? "it used more than its memory budget"
                                           : lua_tostring(L, -1);
        const char *rest = msg;
        int line = msg ? map_line(msg, file, 1, &rest) : 0;
        if (line)
            eval_error(x, e->at, "Lua: %s (at %s:%d)", rest, file, line);
        else
            eval_error(x, e->at, "Lua: %s() failed: %s", x->pb->fns[e->slot].name,
                       msg ? msg : "?");
        lua_settop(L, base);
        return none;
    }
    if (rc != LUA_OK) {
        report_script_error(x, le, rc, file, line0, chunk);
        lua_settop(L, base);
        return none;
    }
    const char *why = to_val(le, x, -1, want, set, &out);
    if (why) {
        pos at = {file, line0, 1};
        if (e->op == X_LUAFN)
            eval_error(x, e->at, "%s() %s", x->pb->fns[e->slot].name, why);
        else
            eval_error(x, at, "the Lua script %s", why);
        out = none;
    }
    lua_settop(L, base);
    return out;
}

/* ======================================================================
** Compile time: checking scripts and loading libraries
*/
static lua_State *scratch(compiler *c)
{
    if (!c->L) {
        lua_engine *le = lua_engine_new(&c->pb->mem, NULL, c->pb->cur);
        c->L = le;
    }
    return c->L ? ((lua_engine *)c->L)->L : NULL;
}

void script_compiler_done(compiler *c)
{
    lua_engine_close(c->L);
    c->L = NULL;
}

const expr *script_compile(compiler *c, const node *n, const scope *sc, ttype want,
                           const enumset *set)
{
    lw_playbook *pb = c->pb;
    const char *rule = sc ? sc->rule : NULL;
    if (n->kind != N_SCALAR || n->len == 0) {
        report_add(c->r, LW_ERROR, n->at, rule,
                   "lua: takes the script as text, usually a block: lua: |");
        return NULL;
    }
    if (!text_valid_utf8(n->str, n->len, NULL)) {
        report_add(c->r, LW_ERROR, n->at, rule, "the script is not valid UTF-8");
        return NULL;
    }
    int line0 = n->at.line + (n->block ? 1 : 0);
    lua_State *L = scratch(c);
    if (!L) {
        report_add(c->r, LW_ERROR, n->at, rule, "could not start Lua (out of memory)");
        return NULL;
    }
    if (load_chunk(L, n->str, n->len, "=lua", &c->tmp) != LUA_OK) {
        const char *msg = lua_tostring(L, -1), *rest;
        int line = msg ? map_line(msg, "lua", line0, &rest) : 0;
        int last = line0; /* "near <eof>": the script's last line, not the one after it */
        for (size_t i = 0; i + 1 < n->len; i++)
            last += n->str[i] == '\n';
        if (line > last)
            line = last;
        report_add(c->r, LW_ERROR, (pos){n->at.file, line ? line : line0, line ? 1 : n->at.col},
                   rule, "Lua syntax error: %s", msg ? rest : "?");
        lua_pop(L, 1);
        return NULL;
    }
    lua_pop(L, 1);
    if ((pb->n_scripts & (pb->n_scripts + 1)) == 0 || pb->n_scripts == 0) {
        size_t cap = pb->n_scripts ? (pb->n_scripts + 1) * 2 : 4;
        script *s = arena_alloc(c->a, cap * sizeof *s);
        if (!s)
            return NULL;
        if (pb->n_scripts)
            memcpy(s, pb->scripts, pb->n_scripts * sizeof *s);
        pb->scripts = s;
    }
    script *s = &pb->scripts[pb->n_scripts];
    s->src = n->str;
    s->len = n->len;
    s->rule = rule;
    s->file = n->at.file;
    s->line0 = line0;
    s->want = want;
    s->set = set;
    expr *e = arena_alloc(c->a, sizeof *e);
    if (!e)
        return NULL;
    e->op = X_LUA;
    e->type = (uint8_t)want;
    e->slot = (int32_t)pb->n_scripts++;
    e->set = set;
    e->cur = pb->cur;
    e->at = n->at;
    return e;
}

int script_fn_lookup(const lw_playbook *pb, const char *name)
{
    for (size_t i = 0; i < pb->n_fns; i++)
        if (strcmp(pb->fns[i].name, name) == 0)
            return (int)i;
    return -1;
}

static bool valid_fn_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_' ||
              (*s >= '0' && *s <= '9')))
            return false;
    return true;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const lua_fn *)a)->name, ((const lua_fn *)b)->name);
}

/* "docs/broken/../../rules/calendar.lua" -> "rules/calendar.lua" */
static char *normalize_path(arena *a, const char *path)
{
    size_t n = strlen(path);
    char *out = arena_alloc(a, n + 1);
    const char **seg = arena_alloc(a, (n / 2 + 2) * sizeof *seg);
    size_t *len = arena_alloc(a, (n / 2 + 2) * sizeof *len);
    if (!out || !seg || !len)
        return arena_strdup(a, path);
    size_t k = 0, lead = 0; /* lead: ".." that cannot be folded */
    for (const char *p = path; *p;) {
        const char *e = strchr(p, '/');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == 2 && p[0] == '.' && p[1] == '.' && k > lead) {
            k--;
        } else if (!(l == 1 && p[0] == '.') && l > 0) {
            if (l == 2 && p[0] == '.' && p[1] == '.')
                lead++;
            seg[k] = p;
            len[k++] = l;
        }
        p += l + (e ? 1 : 0);
        if (!e)
            break;
    }
    char *w = out;
    if (path[0] == '/')
        *w++ = '/';
    for (size_t i = 0; i < k; i++) {
        if (i)
            *w++ = '/';
        memcpy(w, seg[i], len[i]);
        w += len[i];
    }
    *w = 0;
    return out;
}

static bool load_libs(compiler *c, const node *list)
{
    lw_playbook *pb = c->pb;
    if (list->kind != N_SEQ) {
        report_add(c->r, LW_ERROR, list->at, NULL,
                   "functions: is a list of Lua files, like functions: [ ../../rules/calendar.lua ]");
        return false;
    }
    if (!scratch(c))
        return false;
    lua_engine *le = c->L;
    lua_State *L = le->L;
    bool ok = true;
    for (size_t i = 0; i < list->n; i++) {
        const node *f = list->items[i];
        const char *in_rules = NULL;
        const char *path = f->kind == N_SCALAR ? resolve_import(c, f, f->str, &in_rules) : NULL;
        if (!path) {
            ok = false;
            continue;
        }
        size_t len;
        const char *err = NULL;
        char *text = file_read(c->a, path, 1 << 20, &len, &err);
        if (!text) {
            report_add(c->r, LW_ERROR, f->at, NULL, "cannot read the functions library '%s': %s",
                       f->str, err);
            ok = false;
            continue;
        }
        if (!bundle_add(c, path, in_rules, text, len))
            return false;
        lua_lib *lib = &pb->libs[pb->n_libs];
        lib->path = normalize_path(c->a, path);
        lib->src = text;
        lib->len = len;
        /* run it once, sandboxed and budgeted, to learn its functions */
        eval_ctx x;
        memset(&x, 0, sizeof x);
        x.pb = pb;
        x.a = &c->tmp;
        le->x = NULL;
        le->instructions = 0;
        le->spent_ns = 0;
        le->limit = le->used + budget_memory(le);
        int rc = run_library(le, lib, &c->tmp, NULL);
        le->limit = SIZE_MAX;
        if (rc != LUA_OK) {
            const char *msg = lua_tostring(L, -1), *rest = msg;
            int line = msg ? map_line(msg, lib->path, 1, &rest) : 0;
            if (rc == LUA_ERRMEM)
                rest = "it used more than its memory budget";
            report_add(c->r, LW_ERROR, (pos){lib->path, line ? line : 1, 1}, NULL,
                       "the functions library failed to load: %s", rest ? rest : "?");
            lua_pop(L, 1);
            ok = false;
            continue;
        }
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TFUNCTION) {
                lua_pop(L, 1);
                continue;
            }
            const char *name = lua_tostring(L, -2);
            if (!valid_fn_name(name)) {
                lua_pop(L, 1);
                continue;
            }
            if (script_fn_lookup(pb, name) >= 0 || builtin_function(name)) {
                report_add(c->r, LW_ERROR, f->at, NULL,
                           "the function '%s' of %s has the name of another function; rename it",
                           name, f->str);
                ok = false;
                lua_pop(L, 1);
                continue;
            }
            /* capacity 16, then doubling: full when n_fns is 0 or a power of two >= 16 */
            if (pb->n_fns == 0 || (pb->n_fns >= 16 && (pb->n_fns & (pb->n_fns - 1)) == 0)) {
                size_t cap_fns = pb->n_fns ? pb->n_fns * 2 : 16;
                lua_fn *fns = arena_alloc(c->a, cap_fns * sizeof *fns);
                if (!fns) {
                    lua_pop(L, 2);
                    return false;
                }
                if (pb->n_fns)
                    memcpy(fns, pb->fns, pb->n_fns * sizeof *fns);
                pb->fns = fns;
            }
            lua_Debug ar;
            lua_pushvalue(L, -1);
            lua_getinfo(L, ">u", &ar);
            lua_fn *fn = &pb->fns[pb->n_fns++];
            fn->name = arena_strdup(c->a, name);
            fn->lib = (int)pb->n_libs;
            fn->nparams = ar.nparams;
            fn->vararg = ar.isvararg;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
        /* Lua's table order changes from run to run: sort, for stable messages */
        size_t first = 0;
        while (first < pb->n_fns && pb->fns[first].lib != (int)pb->n_libs)
            first++;
        qsort(pb->fns + first, pb->n_fns - first, sizeof *pb->fns, by_name);
        pb->n_libs++;
    }
    return ok;
}

bool script_load_libs(compiler *c, node *const *lists, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += lists[i]->n;
    c->pb->libs = arena_alloc(c->a, (total + 1) * sizeof *c->pb->libs);
    if (!c->pb->libs)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok = load_libs(c, lists[i]) && ok;
    return ok;
}

/* ======================================================================
** Evaluating a piece of Lua for a person (the REPL's `lua` command)
*/
int lw_eval_lua(lw_engine *e, const lw_playbook *pb, const lw_case *c, const char *code,
                const char **result)
{
    if (result)
        *result = NULL;
    if (!e || !pb || !c || !code || !result || c->pb != pb)
        return LW_ERR_ARG;
    arena_reset(&e->a);
    e->serial++;
    lw_decision d;
    memset(&d, 0, sizeof d);
    eval_ctx x;
    memset(&x, 0, sizeof x);
    x.e = e;
    x.pb = pb;
    x.c = c;
    x.d = &d;
    x.a = &e->a;
    x.slots = c->slots;
    x.amount.t = V_MONEY;
    x.amount.cur = (uint8_t)(pb->cur >= 0 ? pb->cur : 0);
    if (pb->f_date >= 0 && c->slots[pb->f_date].t == V_DATE) {
        x.now = c->slots[pb->f_date].u.i;
    } else {
        time_t now = time(NULL);
        x.now = (int64_t)now - (int64_t)now % 86400;
    }
    lua_engine *le = prepare(&x);
    if (!le) {
        *result = d.n_errors ? d.errors[0].message : "could not start Lua";
        return LW_ERR_NOMEM;
    }
    lua_State *L = le->L;
    le->x = &x;
    le->instructions = 0;
    le->spent_ns = 0;
    le->limit = le->used + budget_memory(le);
    int base = lua_gettop(L);
    lua_pushcfunction(L, msgh);
    const char *as_expr = arena_printf(&e->a, "return %s", code);
    int rc = as_expr ? luaL_loadbufferx(L, as_expr, strlen(as_expr), "=lua", "t") : LUA_ERRMEM;
    if (rc != LUA_OK) {
        lua_pop(L, 1);
        rc = luaL_loadbufferx(L, code, strlen(code), "=lua", "t");
    }
    if (rc == LUA_OK) {
        set_env(L, true);
        rc = budgeted_call(le, 0);
    }
    le->x = NULL;
    le->limit = SIZE_MAX;
    if (rc == LUA_ERRMEM)
        *result = "the code used more than its memory budget";
    else if (rc == LUA_OK)
        *result = text_clean(&e->a, luaL_tolstring(L, -1, NULL), 4000);
    else
        *result = text_clean(&e->a, lua_tostring(L, -1) ? lua_tostring(L, -1) : "error", 4000);
    lua_settop(L, base);
    if (!*result)
        *result = "out of memory";
    return rc == LUA_OK ? LW_OK : LW_ERR_ARG;
}
