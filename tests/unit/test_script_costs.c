/*
** test_script_costs.c -- library calls that do much work in one C call,
** where the budget hook cannot stop them, are bounded before the call or
** charged to the instruction budget (script.c): string.rep, table.move,
** table.sort, and every other function whose work grows with its input or
** its result. (The pattern functions: test_lua_patterns.c.)
*/
#include "lw_test_util.h"

static const char *const PB =
    "playbook: costs\n"
    "version: \"1\"\n"
    "facts:\n"
    "  n: { type: number, default: 1 }\n";

/* Evaluate code in a sandbox with the given instruction budget (0: the
** default); returns the result or the error, in a static buffer. */
static const char *eval(long instructions, const char *code, int *rc)
{
    static char out[512];
    lw_options opt;
    lw_options_init(&opt);
    opt.lua_instructions = instructions;
    lw_playbook *pb = tu_load(PB);
    lw_engine *e = lw_engine_new(&opt);
    assert_non_null(e);
    lw_case *c = lw_case_new(pb);
    assert_non_null(c);
    const char *result = NULL;
    *rc = lw_eval_lua(e, pb, c, code, &result);
    snprintf(out, sizeof out, "%s", result ? result : "(null)");
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return out;
}

static void expect_result(long instructions, const char *code, const char *want)
{
    int rc;
    const char *got = eval(instructions, code, &rc);
    if (rc != LW_OK || strcmp(got, want) != 0)
        print_message("%s: %s (wanted %s)\n", code, got, want);
    assert_int_equal(rc, LW_OK);
    assert_string_equal(got, want);
}

static void expect_error(long instructions, const char *code, const char *want)
{
    int rc;
    const char *got = eval(instructions, code, &rc);
    if (rc == LW_OK || !strstr(got, want))
        print_message("%s: %s (wanted an error saying %s)\n", code, got, want);
    assert_int_not_equal(rc, LW_OK);
    assert_non_null(strstr(got, want));
}

/* Lua's own rep loops n times even when each copy is empty. */
static void test_rep_of_nothing_is_nothing_at_once(void **state)
{
    (void)state;
    expect_result(0, "#('').rep('', 1e15) + #string.rep('', 1e15, '')", "0");
    expect_result(0, "('ab'):rep(3, ',')", "ab,ab,ab");
    expect_error(0, "('x'):rep(1e10)", "string.rep would make more than 1048576 bytes");
}

static void test_table_move_is_charged(void **state)
{
    (void)state;
    expect_result(0, "table.concat(table.move({1, 2, 3}, 1, 3, 2), ',')", "1,1,2,3");
    expect_error(0, "table.move({}, 1, 1e12, 1)",
                 "used more than its budget of 10000000 instructions");
    expect_error(0, "table.move({}, math.mininteger, -2, 1)",
                 "used more than its budget of 10000000 instructions");
}

static void test_table_sort_is_charged(void **state)
{
    (void)state;
    /* the table is made in one C call, so only the sort can spend the budget */
    static const char *const sort_n =
        "(function (n) local t = table.pack(string.byte(('za'):rep(n // 2), 1, -1)) "
        "t.n = nil table.sort(t) return t[1] .. t[n] end)(%d)";
    char code[256];
    snprintf(code, sizeof code, sort_n, 100);
    expect_result(100000, code, "97122");
    /* 50,000 elements: about 800,000 comparisons */
    snprintf(code, sizeof code, sort_n, 50000);
    expect_error(100000, code, "used more than its budget of 100000 instructions");
    expect_result(0, code, "97122");
}

/* Twenty calls, each reading or making 1 MiB of text or 100,000 values: far
** fewer than 1,000,000 instructions of Lua, but about 2,000,000 charged, so
** the budget runs out where uncharged calls (each one instruction) would
** have finished. */
static void test_costly_calls_are_charged(void **state)
{
    (void)state;
    static const char *const calls[] = {
        "utf8.len(s)", "s:upper()", "s:lower()", "s:reverse()", "s:sub(2)",
        "string.format('%s', s)", "s:rep(1)", "s:byte(1, 100000)", "len(s)", "lower(s)",
        "tonumber(s)", "table.concat(t)", "table.unpack(t)", "table.pack(s:byte(1, 100000))",
        "table.insert(t, 1, 0)", "table.remove(t, 1)", "select(1, table.unpack(t))",
        "utf8.codepoint(s, 1, 100000)", "string.char(s:byte(1, 100000))", NULL};
    for (const char *const *call = calls; *call; call++) {
        char code[512];
        snprintf(code, sizeof code,
                 "(function () local s = ('1'):rep(1 << 20) "
                 "local t = table.pack(s:byte(1, 100000)) t.n = nil "
                 "for i = 1, 20 do local _ = %s end return 'done' end)()",
                 *call);
        expect_error(1000000, code, "used more than its budget of 1000000 instructions");
    }
    /* what one call costs is what it reads or makes, not what it could */
    expect_result(1000000,
                  "(function () local s = ('1'):rep(1 << 20) local n = 0 "
                  "for i = 1, 20000 do n = n + s:byte(i) + #s:sub(i, i + 10) end "
                  "return n end)()",
                  "1200000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rep_of_nothing_is_nothing_at_once),
        cmocka_unit_test(test_table_move_is_charged),
        cmocka_unit_test(test_table_sort_is_charged),
        cmocka_unit_test(test_costly_calls_are_charged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
