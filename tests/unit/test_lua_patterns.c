/*
** test_lua_patterns.c -- the sandbox's pattern functions (lua_pattern.c)
** against Lua's own: the same calls of string.find, match, gmatch and gsub
** run in a plain Lua state with the real string library and in a script
** engine (lw_eval_lua), and must give the same results, byte for byte, or
** both fail. Subjects and patterns are a hand-written list plus random
** well-formed patterns from a fixed seed; malformed patterns are checked to
** be errors in the sandbox.
*/
#include "lw_test_util.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

/* The Lua both sides run: q() spells a value (strings in hex), each group
** returns one line of results. Only what the sandbox offers is used, and no
** pattern function. */
static const char PRELUDE[] =
    "local function q(v)\n"
    "  if type(v) ~= 'string' then return type(v) .. ':' .. tostring(v) end\n"
    "  local t = {}\n"
    "  for i = 1, #v do t[i] = string.format('%02x', string.byte(v, i)) end\n"
    "  return 's:' .. table.concat(t)\n"
    "end\n"
    "local function ser(ok, ...)\n"
    "  if not ok then return 'error' end\n"
    "  local t = {tostring(select('#', ...))}\n"
    "  for i = 1, select('#', ...) do t[#t + 1] = q((select(i, ...))) end\n"
    "  return table.concat(t, ',')\n"
    "end\n"
    "local function gm(...)\n"
    "  local args = table.pack(...)\n"
    "  local ok, r = pcall(function()\n"
    "    local out = {}\n"
    "    for a, b, c in string.gmatch(table.unpack(args, 1, args.n)) do\n"
    "      out[#out + 1] = q(a) .. '|' .. q(b) .. '|' .. q(c)\n"
    "      if #out > 40 then break end\n"
    "    end\n"
    "    return table.concat(out, ';')\n"
    "  end)\n"
    "  return ok and r or 'error'\n"
    "end\n"
    "local R = {}\n"
    "local function add(...) R[#R + 1] = ser(...) end\n";

/* The calls made for one subject S and pattern P (%s: S, P literals). */
static const char CALLS[] =
    "local S, P = %s, %s\n"
    "add(pcall(string.find, S, P))\n"
    "add(pcall(string.find, S, P, 2))\n"
    "add(pcall(string.find, S, P, -3))\n"
    "add(pcall(string.find, S, P, 0))\n"
    "add(pcall(string.find, S, P, #S + 1))\n"
    "add(pcall(string.find, S, P, #S + 2))\n"
    "add(pcall(string.find, S, P, -100))\n"
    "add(pcall(string.find, S, P, 1, true))\n"
    "add(pcall(string.find, S, P, 3, true))\n"
    "add(pcall(string.match, S, P))\n"
    "add(pcall(string.match, S, P, 3))\n"
    "add(pcall(string.match, S, P, -2))\n"
    "add(pcall(function() return S:find(P) end))\n"
    "add(pcall(function() return S:match(P, 2) end))\n"
    "R[#R + 1] = gm(S, P)\n"
    "R[#R + 1] = gm(S, P, 3)\n"
    "R[#R + 1] = gm(S, P, -2)\n"
    "add(pcall(string.gsub, S, P, '<%%0>'))\n"
    "add(pcall(string.gsub, S, P, '%%1-%%%%'))\n"
    "add(pcall(string.gsub, S, P, '[%%2]'))\n"
    "add(pcall(string.gsub, S, P, ''))\n"
    "add(pcall(string.gsub, S, P, 7))\n"
    "add(pcall(string.gsub, S, P, '%%1', 1))\n"
    "add(pcall(string.gsub, S, P, 'x', 0))\n"
    "add(pcall(string.gsub, S, P, {a = 'A', b = true, [''] = 'E', [1] = 'one', [2] = 2.5}))\n"
    "add(pcall(string.gsub, S, P, function(a, b) if a == 'b' then return false end "
    "return '(' .. tostring(a) .. tostring(b) .. ')' end))\n"
    "add(pcall(string.gsub, S, P, function(a) return {} end))\n"
    "add(pcall(function() return S:gsub(P, '%%0%%0', 2) end))\n"
    "return table.concat(R, '\\n')\n";

/* A Lua string literal for n bytes (every byte but letters and digits as
** \ddd). */
static char *literal(const char *s, size_t n)
{
    char *out = malloc(n * 4 + 3), *w = out;
    assert_non_null(out);
    *w++ = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            *w++ = (char)c;
        else
            w += sprintf(w, "\\%03d", c);
    }
    *w++ = '"';
    *w = 0;
    return out;
}

typedef struct diff {
    lua_State *R;     /* plain Lua, the real string library */
    tu_fix f;         /* the sandbox */
    size_t pairs, calls, failures;
} diff;

static const char *const PB =
    "playbook: patterns\n"
    "version: \"1\"\n"
    "facts:\n"
    "  n: { type: number, default: 1 }\n";

static void diff_open(diff *d)
{
    memset(d, 0, sizeof *d);
    d->R = luaL_newstate();
    assert_non_null(d->R);
    luaL_openlibs(d->R);
    tu_fix_open(&d->f, PB);
}

static void diff_close(diff *d)
{
    lua_close(d->R);
    tu_fix_close(&d->f);
}

/* Run every call for subject s and pattern p on both sides; compare. */
static void compare(diff *d, const char *s, size_t ns, const char *p, size_t np)
{
    char *ls = literal(s, ns), *lp = literal(p, np);
    size_t len = sizeof PRELUDE + sizeof CALLS + strlen(ls) + strlen(lp);
    char *code = malloc(len);
    assert_non_null(code);
    int n = snprintf(code, len, "%s", PRELUDE);
    snprintf(code + n, len - (size_t)n, CALLS, ls, lp);

    const char *want = "(the real library failed to run the test)";
    if (luaL_loadbufferx(d->R, code, strlen(code), "=diff", "t") == LUA_OK &&
        lua_pcall(d->R, 0, 1, 0) == LUA_OK && lua_type(d->R, -1) == LUA_TSTRING)
        want = lua_tostring(d->R, -1);
    const char *got = NULL;
    int rc = lw_eval_lua(d->f.e, d->f.pb, d->f.c, code, &got);
    d->pairs++;
    d->calls += 28; /* the add() and gm() lines of CALLS */
    if (rc != LW_OK || strlen(want) > 3800 || strcmp(want, got) != 0) {
        if (d->failures++ < 5) {
            print_message("subject %s, pattern %s:\n", ls, lp);
            /* the first line that differs */
            const char *a = want, *b = got ? got : "(null)";
            for (int line = 1;; line++) {
                const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
                size_t la = ea ? (size_t)(ea - a) : strlen(a);
                size_t lb = eb ? (size_t)(eb - b) : strlen(b);
                if (la != lb || memcmp(a, b, la) != 0 || !ea || !eb) {
                    print_message("  call %d: Lua %.*s\n           sandbox %.*s\n", line,
                                  (int)la, a, (int)lb, b);
                    break;
                }
                a = ea + 1;
                b = eb + 1;
            }
        }
    }
    lua_settop(d->R, 0);
    free(code);
    free(ls);
    free(lp);
}

/* ---------------------------------------------------------------------- */

/* Byte strings that may hold NUL bytes. */
typedef struct bytes {
    const char *s;
    size_t n;
} bytes;
#define B(lit) {lit, sizeof lit - 1}

static const bytes SUBJECTS[] = {
    B(""),
    B("a"),
    B("hello world"),
    B("  Hello, World! 123  "),
    B("aaa"),
    B("aaab"),
    B("abcabcabc"),
    B("THE (quick) [brown] {fox}"),
    B("f(a(b)c)d((e)"),
    B("key=value; other = 42"),
    B("2026-11-23T10:00:00Z"),
    B("tab\there\nnew line\r\n"),
    B("x.y%z^$*+?-[]"),
    B("caf\xc3\xa9 \xe2\x82\xac 12,50"),
    B("nul\0byte"),
    B("\xff\x80\x01\x7f"),
    B("THE END"),
};

static const bytes PATTERNS[] = {
    B(""), B("a"), B("b"), B("o"), B("l+"), B("l*"), B("l-"), B("l?"), B("x*"), B("a*a*b"), B("."),
    B(".-"), B(".*"), B(".+"), B("^"), B("^a"), B("^h"), B("$"), B("a$"), B("^$"), B("^.-$"),
    B("^(.-)%s*$"), B("%a+"), B("%A+"), B("%d+"), B("%D"), B("%l+"), B("%L"), B("%s+"), B("%S+"),
    B("%u+"), B("%U"), B("%w+"), B("%W+"), B("%x+"), B("%X"), B("%p+"), B("%P"), B("%c"), B("%C+"),
    B("%g+"), B("%G"), B("%z"), B("%."), B("%%"), B("%$"), B("%^"), B("[aeiou]"), B("[^aeiou]+"),
    B("[a-f]+"), B("[%d%.]+"), B("[%a_][%w_]*"), B("[]]"), B("[^]]+"), B("[a-]"), B("[-a]"),
    B("[%]]"), B("[%-z]"), B("[a%-z]"), B("[^%s]+"), B("[%w%p]+"), B("()"), B("()a()"), B("(a)"),
    B("(a*)"), B("(a)(b)"), B("((a)(b))"), B("(h)(e)(l)"), B("(%w+)=(%w+)"),
    B("(%w+)%s*=%s*(%w+)"), B("%b()"), B("%b[]"), B("%b{}"), B("%bab"), B("%b\"\""),
    B("%f[%w]%w+"), B("%f[%W]"), B("%f[%a]"), B("%f[%z]"), B("%f[^%z]"), B("%f[%s]"), B("(a)%1"),
    B("(l)%1"), B("(%a)%1"), B("(.)%1"), B("(%w+) %1"), B("(.-)%1"), B("()(%a+)()"), B("a?b?c?"),
    B("a-b"), B("[ab]-c"), B("(.)(.)(.)"), B("%s*$"), B("[\xc3\xa9\xe2]+"), B("[\x80-\xff]+"),
    B("\xc3\xa9"), B("%d%d%d%d%-%d%d%-%d%d"), B("(%d+)-(%d+)-(%d+)"), B("T(%d+):(%d+)"),
    B("[+-]?%d+"), B("%-"), B("-"), B("*"), B("+"), B("?"), B("a**"), B("a+-"), B("$a"), B("a$b"),
    B("^^"), B("[%a-]+"), B("[a-c-e]+"), B("[%%]"), B("%]"), B("[^%]]"), B("nul"), B("\0"),
    B("[\0]"), B("%z+"), B(".\0."), B("a\0*"),
};

static void test_hand_written(void **state)
{
    (void)state;
    diff d;
    diff_open(&d);
    for (size_t i = 0; i < sizeof SUBJECTS / sizeof *SUBJECTS; i++)
        for (size_t j = 0; j < sizeof PATTERNS / sizeof *PATTERNS; j++)
            compare(&d, SUBJECTS[i].s, SUBJECTS[i].n, PATTERNS[j].s, PATTERNS[j].n);
    print_message("hand-written: %zu subject/pattern pairs, %zu calls compared, %zu differ\n",
                  d.pairs, d.calls, d.failures);
    size_t failures = d.failures;
    diff_close(&d);
    assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------------- */
/* random well-formed patterns                                            */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static const char *const ATOMS[] = {
    "a", "b", "c", "x", " ", ".", "%a", "%d", "%s", "%w", "%p", "%A", "%S", "%l", "%u",
    "[ab]", "[^a]", "[a-c]", "[%d ]", "[%s%p]", "%.", "%%", "1", "-", "*", "\xc3",
};
static const char *const REPS[] = {"", "", "", "*", "+", "-", "?"};

/* A random pattern that Lua accepts: captures balanced, back-references to
** closed captures only, %b and %f complete. */
static size_t random_pattern(char *out)
{
    char *w = out;
    int stack[8], open = 0, caps = 0; /* the captures open, by index */
    bool closed[8] = {false};
    if (rnd(6) == 0)
        *w++ = '^';
    int items = 1 + (int)rnd(6);
    for (int i = 0; i < items; i++) {
        unsigned k = rnd(20);
        if (k == 0 && caps < 6) {
            *w++ = '(';
            stack[open++] = caps++;
        } else if (k == 1 && open > 0) {
            *w++ = ')';
            closed[stack[--open]] = true;
        } else if (k == 2 && caps < 6) {
            w += sprintf(w, "()");
            closed[caps++] = true;
        } else if (k == 3) {
            w += sprintf(w, "%%b%s", rnd(2) ? "()" : "ab");
        } else if (k == 4) {
            w += sprintf(w, "%%f[%s]", rnd(2) ? "%w" : "^a");
        } else if (k == 5 && caps > 0) {
            unsigned c = rnd((unsigned)caps);
            if (closed[c])
                w += sprintf(w, "%%%u", c + 1);
        } else {
            w += sprintf(w, "%s%s", ATOMS[rnd(sizeof ATOMS / sizeof *ATOMS)],
                         REPS[rnd(sizeof REPS / sizeof *REPS)]);
        }
    }
    while (open-- > 0)
        *w++ = ')';
    if (rnd(6) == 0)
        *w++ = '$';
    *w = 0;
    return (size_t)(w - out);
}

static size_t random_subject(char *out)
{
    static const char alphabet[] = "aaabbcx  1.,%()-\xc3\xa9";
    size_t n = rnd(14);
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rnd(sizeof alphabet - 1)];
    return n;
}

static void test_random(void **state)
{
    (void)state;
    diff d;
    diff_open(&d);
    char p[256], s[32];
    for (int i = 0; i < 5000; i++) {
        size_t np = random_pattern(p);
        size_t ns = random_subject(s);
        compare(&d, s, ns, p, np);
    }
    print_message("random: %zu subject/pattern pairs, %zu calls compared, %zu differ\n", d.pairs,
                  d.calls, d.failures);
    size_t failures = d.failures;
    diff_close(&d);
    assert_int_equal(failures, 0);
}

/* ---------------------------------------------------------------------- */
/* malformed patterns are errors in the sandbox, with a message            */

static void test_malformed(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {"('abc'):find('x[')", "not closed with ']'"},
        {"('abc'):find('a%')", "ends with '%'"},
        {"('abc'):find('(a')", "not closed with ')'"},
        {"('abc'):match('a)')", "closes no capture"},
        {"('abc'):find('%b(')", "%b needs two characters"},
        {"('abc'):find('%fa')", "%f needs a set"},
        {"('abc'):find('(a%1)')", "%1 refers to no capture"},
        {"('abc'):find('%0')", "%0 refers to no capture"},
        {"('abc'):gsub('a', '%2')", "%2 refers to no capture"},
        {"('abc'):gsub('a', '%x')", "must be followed by a digit"},
        {"('abc'):gsub('a', {a = {}})", "must be text or a number, not table"},
        {"('abc'):gsub('a')", "string/function/table expected"},
        {"('abc'):find(('(a)'):rep(33))", "too many captures"},
        {"('a'):rep(300):find(('a?'):rep(300))", "too complex"},
    };
    size_t wrong = 0;
    tu_fix f;
    tu_fix_open(&f, PB);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *got = NULL;
        int rc = lw_eval_lua(f.e, f.pb, f.c, bad[i][0], &got);
        if (rc == LW_OK || !got || !strstr(got, bad[i][1])) {
            print_message("%s: %s (wanted an error saying %s)\n", bad[i][0],
                          got ? got : "(null)", bad[i][1]);
            wrong++;
        }
    }
    tu_fix_close(&f);
    assert_int_equal(wrong, 0);
}

/* A pattern that would backtrack for minutes ends in the budget error: the
** instruction budget, or (on a slow machine, under valgrind) the time. */
static void test_costly_pattern_spends_the_budget(void **state)
{
    (void)state;
    static const char *const costly[] = {
        "('a'):rep(3000):find('a*a*b')",
        "(('a'):rep(60000) .. '1'):find('%a-%a-%a-$')",
        "(function() local n = 0 for w in ('a'):rep(60000):gmatch('.-.-b') do n = n + 1 end "
        "return n end)()",
        "('a'):rep(60000):gsub('a*a*b', '')",
        "pcall(string.find, ('a'):rep(3000), 'a*a*b')",
    };
    size_t wrong = 0;
    tu_fix f;
    tu_fix_open(&f, PB);
    for (size_t i = 0; i < sizeof costly / sizeof *costly; i++) {
        const char *got = NULL;
        int rc = lw_eval_lua(f.e, f.pb, f.c, costly[i], &got);
        if (rc == LW_OK || !got ||
            (!strstr(got, "used more than its budget of 10000000 instructions") &&
             !strstr(got, "ran longer than its budget of 1000 ms"))) {
            print_message("%s: %s\n", costly[i], got ? got : "(null)");
            wrong++;
        }
    }
    tu_fix_close(&f);
    assert_int_equal(wrong, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_written),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_costly_pattern_spends_the_budget),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
