/*
** test_expr.c -- the expression language of docs/playbook-format.md §3, through the
** public API: a playbook with one output `value:` expression is compiled from
** a string, decided against a case, and the output is formatted as a
** decision shows it.
*/
#include "lw_test_util.h"

static const char *const HEAD =
    "playbook: expr-test\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  x.n:     { type: number }\n"
    "  x.m:     { type: number }\n"
    "  x.b:     { type: bool }\n"
    "  x.c:     { type: bool }\n"
    "  x.price: { type: money }\n"
    "  x.cost:  { type: money }\n"
    "  x.s:     { type: string }\n"
    "  x.t:     { type: string }\n"
    "  x.tier:  { type: enum, values: [basic, silver, gold, Platinum] }\n"
    "  x.d:     { type: duration }\n"
    "  x.day:   { type: date }\n"
    "  x.tags:  { type: list }\n"
    "  x.age:   { type: number, default: 30 }\n"
    "  x.yen:   { type: money, currency: JPY }\n"
    "outputs:\n"
    "  out:\n"
    "    value: '";

/* The expression starts on this line, at this column (after the quote). */
static int expr_line(void)
{
    int line = 1;
    for (const char *p = HEAD; *p; p++)
        line += *p == '\n';
    return line;
}
#define EXPR_COL 13

static tu_fix F;
static char OUT[512];
static char *TEXT; /* the last playbook text, freed by release() */

static char *playbook_text(const char *ex)
{
    free(TEXT);
    size_t n = strlen(HEAD) + 2 * strlen(ex) + 8;
    char *t = malloc(n);
    assert_non_null(t);
    strcpy(t, HEAD);
    char *p = t + strlen(t);
    for (const char *s = ex; *s; s++) { /* YAML single quotes: ' -> '' */
        if (*s == '\'')
            *p++ = '\'';
        *p++ = *s;
    }
    strcpy(p, "'\n");
    TEXT = t;
    return t;
}

static void release(void)
{
    if (F.pb)
        tu_fix_close(&F);
    free(TEXT);
    TEXT = NULL;
    tu_release_pending();
}

/* Compile `expr` as the output, set the case from (path, text) pairs, decide,
** and return the output formatted ("null" when it has no value). */
static const char *ev(const char *ex, ...)
{
    release();
    tu_fix_open(&F, playbook_text(ex));
    va_list ap;
    va_start(ap, ex);
    for (;;) {
        const char *path = va_arg(ap, const char *);
        if (!path)
            break;
        const char *value = va_arg(ap, const char *);
        int rc = lw_case_set_text(F.c, path, value);
        if (rc != LW_OK)
            print_message("set %s = %s: %s\n", path, value, lw_errstr(rc));
        assert_int_equal(rc, LW_OK);
    }
    va_end(ap);
    const lw_decision *d = tu_decide(&F);
    assert_string_equal(d->outcome, "allow");
    const lw_output_result *o = tu_output(d, "out");
    assert_non_null(o);
    lw_value_format(&o->value, OUT, sizeof OUT);
    return OUT;
}

/* The expression must not compile: check the first error's message (a
** substring), and its line and column (column 0: not checked). */
static void ev_fail(const char *ex, const char *needle, int col)
{
    release();
    lw_report *r = tu_load_fail(playbook_text(ex));
    const lw_diag *d = tu_first_error(r);
    if (!strstr(d->message, needle) || (col && d->column != col) || d->line != expr_line()) {
        print_message("for %s: got %d:%d: %s (wanted %d:%d '%s')\n", ex, d->line, d->column,
                      d->message, expr_line(), col, needle);
    }
    assert_non_null(strstr(d->message, needle));
    assert_string_equal(d->file, "test.yaml");
    assert_int_equal(d->line, expr_line());
    if (col)
        assert_int_equal(d->column, col);
    tu_report_free(r);
}

static int teardown(void **state)
{
    (void)state;
    release();
    return 0;
}

#define EV(expr, ...) ev(expr, ##__VA_ARGS__, NULL)

/* ---------------------------------------------------------------------- */
/* literals and precedence                                                */

static void test_literals(void **state)
{
    (void)state;
    assert_string_equal(EV("42"), "42");
    assert_string_equal(EV("2.5"), "2.5");
    assert_string_equal(EV("\"text\""), "text");
    assert_string_equal(EV("true"), "true");
    assert_string_equal(EV("false"), "false");
    assert_string_equal(EV("50 EUR"), "50.00 EUR");
    assert_string_equal(EV("19.95 EUR"), "19.95 EUR");
    assert_string_equal(EV("90min"), "1h30min");
    assert_string_equal(EV("14d"), "14d");
    assert_string_equal(EV("50%"), "0.5");
    assert_string_equal(EV("2026-11-23"), "2026-11-23");
}

static void test_precedence_arithmetic(void **state)
{
    (void)state;
    assert_string_equal(EV("1 + 2 * 3"), "7");
    assert_string_equal(EV("(1 + 2) * 3"), "9");
    assert_string_equal(EV("2 * 3 + 4 * 5"), "26");
    assert_string_equal(EV("10 - 4 - 3"), "3");
    assert_string_equal(EV("12 / 3 / 2"), "2");
    assert_string_equal(EV("7 / 2"), "3.5");
    assert_string_equal(EV("-2 * 3"), "-6");
    assert_string_equal(EV("- 2 + 5"), "3");
    assert_string_equal(EV("-(2 + 5)"), "-7");
    assert_string_equal(EV("2 - -3"), "5");
}

static void test_precedence_logic(void **state)
{
    (void)state;
    /* and binds tighter than or */
    assert_string_equal(EV("true or false and false"), "true");
    assert_string_equal(EV("(true or false) and false"), "false");
    /* not binds tighter than and/or, looser than comparisons */
    assert_string_equal(EV("not true or true"), "true");
    assert_string_equal(EV("not (true or true)"), "false");
    assert_string_equal(EV("not 1 > 2"), "true");
    assert_string_equal(EV("not not true"), "true");
    /* comparisons bind looser than arithmetic */
    assert_string_equal(EV("2 + 3 > 4 and 1 == 1"), "true");
    assert_string_equal(EV("1 + 1 == 2"), "true");
    assert_string_equal(EV("2 * 3 <= 5"), "false");
}

static void test_comparisons(void **state)
{
    (void)state;
    assert_string_equal(EV("x.n == 3", "x.n", "3"), "true");
    assert_string_equal(EV("x.n != 3", "x.n", "3"), "false");
    assert_string_equal(EV("x.n < 3", "x.n", "2.5"), "true");
    assert_string_equal(EV("x.n <= 3", "x.n", "3"), "true");
    assert_string_equal(EV("x.n > 3", "x.n", "3"), "false");
    assert_string_equal(EV("x.n >= 3", "x.n", "3"), "true");
    assert_string_equal(EV("x.s == \"abc\"", "x.s", "abc"), "true");
    assert_string_equal(EV("x.s < \"abd\"", "x.s", "abc"), "true");
    assert_string_equal(EV("x.d > 2h", "x.d", "150min"), "true");
    assert_string_equal(EV("x.day < 2026-11-23", "x.day", "2026-11-22"), "true");
    assert_string_equal(EV("x.b == true", "x.b", "true"), "true");
}

static void test_string_compare_is_nfc(void **state)
{
    (void)state;
    /* the case value is decomposed, the literal composed: equal after NFC */
    assert_string_equal(EV("x.s == \"caf\xc3\xa9\"", "x.s", "cafe\xcc\x81"), "true");
}

static void test_facts_and_defaults(void **state)
{
    (void)state;
    assert_string_equal(EV("x.n", "x.n", "12"), "12");
    assert_string_equal(EV("x.age"), "30");                 /* the default */
    assert_string_equal(EV("x.age", "x.age", "82"), "82");
    assert_string_equal(EV("x.n"), "null");                 /* missing */
    assert_string_equal(tu_missing(F.d), "x.n");
}

/* ---------------------------------------------------------------------- */
/* three-valued logic and missing facts                                   */

static void test_and_false_unknown_is_false(void **state)
{
    (void)state;
    assert_string_equal(EV("x.b and x.c", "x.b", "false"), "false");
    assert_int_equal(F.d->n_missing, 0);
    /* the unknown side first */
    assert_string_equal(EV("x.c and x.b", "x.b", "false"), "false");
    assert_int_equal(F.d->n_missing, 0);
}

static void test_or_true_unknown_is_true(void **state)
{
    (void)state;
    assert_string_equal(EV("x.b or x.c", "x.b", "true"), "true");
    assert_int_equal(F.d->n_missing, 0);
    assert_string_equal(EV("x.c or x.b", "x.b", "true"), "true");
    assert_int_equal(F.d->n_missing, 0);
}

static void test_and_true_unknown_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(EV("x.b and x.c", "x.b", "true"), "null");
    assert_string_equal(tu_missing(F.d), "x.c");
    assert_string_equal(EV("x.b or x.c", "x.b", "false"), "null");
    assert_string_equal(tu_missing(F.d), "x.c");
}

static void test_unknown_lists_facts_in_order_met(void **state)
{
    (void)state;
    assert_string_equal(EV("x.c and x.b"), "null");
    assert_string_equal(tu_missing(F.d), "x.c,x.b");
    assert_string_equal(EV("x.n > 1 or x.m > 1 or x.n < 0"), "null");
    assert_string_equal(tu_missing(F.d), "x.n,x.m"); /* listed once */
}

static void test_not_unknown_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(EV("not x.b"), "null");
    assert_string_equal(tu_missing(F.d), "x.b");
    assert_string_equal(EV("not x.b", "x.b", "false"), "true");
}

static void test_comparison_with_missing_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(EV("x.n > 3 or x.b", "x.b", "true"), "true");
    assert_int_equal(F.d->n_missing, 0);
    assert_string_equal(EV("x.n > 3 and x.b", "x.b", "true"), "null");
    assert_string_equal(tu_missing(F.d), "x.n");
    assert_string_equal(EV("x.n + 1 > 3 and x.b", "x.b", "false"), "false");
    assert_int_equal(F.d->n_missing, 0);
}

static void test_decided_by_a_known_side_in_nested_logic(void **state)
{
    (void)state;
    /* (unknown and false) or true: true, nothing to ask */
    assert_string_equal(EV("(x.n > 1 and x.b) or x.c", "x.b", "false", "x.c", "true"), "true");
    assert_int_equal(F.d->n_missing, 0);
    /* (unknown or false) and true: unknown, ask for x.n only */
    assert_string_equal(EV("(x.n > 1 or x.b) and x.c", "x.b", "false", "x.c", "true"), "null");
    assert_string_equal(tu_missing(F.d), "x.n");
}

/* Missing facts through policies: only those that left a condition unknown. */
static const char *const POLICY_PB =
    "playbook: missing-test\n"
    "version: \"1\"\n"
    "facts:\n"
    "  a: { type: bool }\n"
    "  b: { type: bool }\n"
    "  age: { type: number }\n"
    "  vulnerable: { type: bool }\n"
    "policies:\n"
    "  - id: p1\n"
    "    applies: a and b\n"
    "    outcome: deny\n"
    "  - id: p2\n"
    "    applies: age >= 75 or vulnerable\n"
    "    outcome: escalate\n";

static void test_missing_only_when_it_mattered(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, POLICY_PB);
    /* a = false decides p1 without b; vulnerable = true decides p2 without age */
    tu_set(f.c, "a", "false", "vulnerable", "true", NULL);
    const lw_decision *d = tu_decide(&f);
    assert_string_equal(d->outcome, "escalate");
    assert_int_equal(d->n_policies, 1);
    assert_string_equal(d->policies[0].id, "p2");
    assert_int_equal(d->n_missing, 0);

    /* a = true: b matters; vulnerable = false: age matters */
    lw_case_reset(f.c);
    tu_set(f.c, "a", "true", "vulnerable", "false", NULL);
    d = tu_decide(&f);
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_policies, 0);
    assert_string_equal(tu_missing(d), "b,age");

    /* nothing known: every fact read, in the order met */
    lw_case_reset(f.c);
    d = tu_decide(&f);
    assert_string_equal(tu_missing(d), "a,b,age,vulnerable");
    tu_fix_close(&f);
}

/* ---------------------------------------------------------------------- */
/* functions                                                              */

static void test_min_max(void **state)
{
    (void)state;
    assert_string_equal(EV("min(3, 1, 2)"), "1");
    assert_string_equal(EV("max(3, 1, 2)"), "3");
    assert_string_equal(EV("max(7)"), "7");
    assert_string_equal(EV("min(x.price, 20 EUR)", "x.price", "12.50 EUR"), "12.50 EUR");
    assert_string_equal(EV("max(x.price, 20 EUR)", "x.price", "12.50 EUR"), "20.00 EUR");
    assert_string_equal(EV("min(x.price * 20%, 100 EUR)", "x.price", "1000 EUR"), "100.00 EUR");
    assert_string_equal(EV("max(2h, x.d)", "x.d", "90min"), "2h");
    assert_string_equal(EV("min(x.n, 5)"), "null");
    assert_string_equal(tu_missing(F.d), "x.n");
}

static void test_round(void **state)
{
    (void)state;
    assert_string_equal(EV("round(2.5)"), "3");
    assert_string_equal(EV("round(-2.5)"), "-3");
    assert_string_equal(EV("round(2.4)"), "2");
    assert_string_equal(EV("round(7, 5)"), "5");
    assert_string_equal(EV("round(7.5, 5)"), "10");
    /* money: to the minor unit by default */
    assert_string_equal(EV("round(x.price * 0.5)", "x.price", "0.25 EUR"), "0.13 EUR");
    assert_string_equal(EV("round(x.price * 0.5)", "x.price", "-0.25 EUR"), "-0.13 EUR");
    assert_string_equal(EV("round(x.price, 0.05)", "x.price", "12.47 EUR"), "12.45 EUR");
    assert_string_equal(EV("round(x.price, 0.05)", "x.price", "12.48 EUR"), "12.50 EUR");
    assert_string_equal(EV("round(x.price, 1 EUR)", "x.price", "12.50 EUR"), "13.00 EUR");
    assert_string_equal(EV("round(x.price, 1 EUR)", "x.price", "-12.50 EUR"), "-13.00 EUR");
}

static void test_floor_ceil(void **state)
{
    (void)state;
    assert_string_equal(EV("floor(7, 2)"), "6");
    assert_string_equal(EV("ceil(7, 2)"), "8");
    assert_string_equal(EV("floor(-7, 2)"), "-8");
    assert_string_equal(EV("ceil(-7, 2)"), "-6");
    assert_string_equal(EV("floor(x.price, 1 EUR)", "x.price", "12.99 EUR"), "12.00 EUR");
    assert_string_equal(EV("ceil(x.price, 1 EUR)", "x.price", "12.01 EUR"), "13.00 EUR");
    assert_string_equal(EV("ceil(x.price, 0.05)", "x.price", "12.41 EUR"), "12.45 EUR");
}

static void test_round_step_zero_is_an_error(void **state)
{
    (void)state;
    assert_string_equal(EV("round(x.n, x.m)", "x.n", "7", "x.m", "0"), "null");
    assert_int_equal(F.d->n_errors, 1);
    assert_non_null(strstr(F.d->errors[0].message, "step"));
    assert_string_equal(F.d->errors[0].rule, "out");
}

static void test_has(void **state)
{
    (void)state;
    assert_string_equal(EV("has(x.n)"), "false");
    assert_int_equal(F.d->n_missing, 0); /* has() asks nothing */
    assert_string_equal(EV("has(x.n)", "x.n", "0"), "true");
    assert_string_equal(EV("has(x.age)"), "true"); /* a default is a value */
}

static void test_lower(void **state)
{
    (void)state;
    assert_string_equal(EV("lower(\"\xc3\x84ITI Hello\")"), "\xc3\xa4iti hello");
    assert_string_equal(EV("lower(x.tier)", "x.tier", "platinum"), "platinum");
    assert_string_equal(EV("lower(x.s) == \"abc\"", "x.s", "AbC"), "true");
}

static void test_contains_starts_with(void **state)
{
    (void)state;
    assert_string_equal(EV("contains(\"hello world\", \"lo w\")"), "true");
    assert_string_equal(EV("contains(\"hello\", \"\")"), "true");
    assert_string_equal(EV("contains(\"hello\", \"x\")"), "false");
    assert_string_equal(EV("contains(x.s, \"ab\")", "x.s", "xxab"), "true");
    assert_string_equal(EV("starts_with(\"hello\", \"he\")"), "true");
    assert_string_equal(EV("starts_with(\"he\", \"hello\")"), "false");
    assert_string_equal(EV("starts_with(x.s, x.t)", "x.s", "FI123", "x.t", "FI"), "true");
}

static void test_contains_on_list(void **state)
{
    (void)state;
    release();
    tu_fix_open(&F, playbook_text("contains(x.tags, \"vip\")"));
    const char *msg = NULL;
    const char *json = "{\"x\": {\"tags\": [\"new\", \"vip\"]}}";
    assert_int_equal(lw_case_read_json(F.c, "c.json", json, strlen(json), &msg), LW_OK);
    const lw_decision *d = tu_decide(&F);
    assert_string_equal(tu_value(&tu_output(d, "out")->value), "true");
}

static void test_len_counts_graphemes(void **state)
{
    (void)state;
    assert_string_equal(EV("len(\"h\xc3\xa9llo\")"), "5");
    assert_string_equal(EV("len(x.s)", "x.s", "e\xcc\x81"), "1");
    /* family emoji with ZWJ: one character */
    assert_string_equal(
        EV("len(x.s)", "x.s",
           "a\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"),
        "2");
    assert_string_equal(EV("len(\"\")"), "0");
    assert_string_equal(EV("len(x.tier)", "x.tier", "gold"), "4");
}

static void test_if(void **state)
{
    (void)state;
    assert_string_equal(EV("if(x.n > 5, \"big\", \"small\")", "x.n", "6"), "big");
    assert_string_equal(EV("if(x.n > 5, \"big\", \"small\")", "x.n", "5"), "small");
    assert_string_equal(EV("if(x.b, 10 EUR, 0)", "x.b", "false"), "0.00 EUR");
    assert_string_equal(EV("if(x.b, 1, 2)"), "null");
    assert_string_equal(tu_missing(F.d), "x.b");
    /* the branch not taken is not evaluated, so its facts are not asked */
    assert_string_equal(EV("if(x.b, x.n, 2)", "x.b", "false"), "2");
    assert_int_equal(F.d->n_missing, 0);
}

static void test_coalesce(void **state)
{
    (void)state;
    assert_string_equal(EV("coalesce(x.n, x.m, 7)"), "7");
    assert_int_equal(F.d->n_missing, 0);
    assert_string_equal(EV("coalesce(x.n, x.m, 7)", "x.m", "3"), "3");
    assert_int_equal(F.d->n_missing, 0);
    assert_string_equal(EV("coalesce(x.n, x.m)"), "null");
    assert_string_equal(tu_missing(F.d), "x.n,x.m");
    assert_string_equal(EV("coalesce(x.price, 5 EUR)"), "5.00 EUR");
}

/* ---------------------------------------------------------------------- */
/* money arithmetic                                                       */

static void test_money_add_sub(void **state)
{
    (void)state;
    assert_string_equal(EV("x.price + 5 EUR", "x.price", "12.50 EUR"), "17.50 EUR");
    assert_string_equal(EV("x.price - 20 EUR", "x.price", "12.50 EUR"), "-7.50 EUR");
    assert_string_equal(EV("x.price + x.cost", "x.price", "0.10", "x.cost", "0.20"), "0.30 EUR");
    /* a plain number next to money is money of the same currency */
    assert_string_equal(EV("x.price + 5", "x.price", "12.50 EUR"), "17.50 EUR");
    assert_string_equal(EV("x.price > 10", "x.price", "12.50 EUR"), "true");
    assert_string_equal(EV("x.yen + 100 JPY", "x.yen", "500 JPY"), "600 JPY");
}

static void test_money_mul_div(void **state)
{
    (void)state;
    assert_string_equal(EV("x.price * 2", "x.price", "12.50 EUR"), "25.00 EUR");
    assert_string_equal(EV("2 * x.price", "x.price", "12.50 EUR"), "25.00 EUR");
    assert_string_equal(EV("x.price * 50%", "x.price", "12.50 EUR"), "6.25 EUR");
    assert_string_equal(EV("1.15 EUR * 10"), "11.50 EUR");
    assert_string_equal(EV("x.price * 1.15", "x.price", "10 EUR"), "11.50 EUR");
    /* half away from zero */
    assert_string_equal(EV("x.price / 4", "x.price", "12.50 EUR"), "3.13 EUR");
    assert_string_equal(EV("x.price / 4", "x.price", "-12.50 EUR"), "-3.13 EUR");
    assert_string_equal(EV("x.price * 0.5", "x.price", "0.25 EUR"), "0.13 EUR");
    assert_string_equal(EV("x.price * 0.5", "x.price", "-0.25 EUR"), "-0.13 EUR");
    /* money / money is a number */
    assert_string_equal(EV("x.price / x.cost", "x.price", "12.50", "x.cost", "5"), "2.5");
}

/* docs/playbook-format.md §3: "money × number and money / number round half away from
** zero to the minor unit": every such operation gives whole cents. */
static void test_money_mul_rounds_each_operation_to_minor_unit(void **state)
{
    (void)state;
    /* 0.01 x 0.5 = 0.005 -> 0.01; then x 2 = 0.02 */
    assert_string_equal(EV("(x.price * 0.5) * 2", "x.price", "0.01 EUR"), "0.02 EUR");
    assert_string_equal(EV("x.price * 0.5 == 0.01 EUR", "x.price", "0.01 EUR"), "true");
    /* 0.01 / 3 = 0.00333 -> 0.00; then x 3 = 0.00 */
    assert_string_equal(EV("x.price / 3 * 3", "x.price", "0.01 EUR"), "0.00 EUR");
}

static void test_money_division_by_zero_is_an_error(void **state)
{
    (void)state;
    assert_string_equal(EV("x.price / x.n", "x.price", "10 EUR", "x.n", "0"), "null");
    assert_int_equal(F.d->n_errors, 1);
    assert_non_null(strstr(F.d->errors[0].message, "zero"));
    assert_string_equal(EV("x.price / x.cost", "x.price", "10 EUR", "x.cost", "0 EUR"), "null");
    assert_int_equal(F.d->n_errors, 1);
}

static void test_money_overflow_is_an_error(void **state)
{
    (void)state;
    assert_string_equal(EV("x.price * 1000000000000", "x.price", "1000000 EUR"), "null");
    assert_int_equal(F.d->n_errors, 1);
    assert_non_null(strstr(F.d->errors[0].message, "overflow"));
    assert_string_equal(F.d->errors[0].rule, "out");
    assert_string_equal(EV("x.price + x.cost", "x.price", "5000000000000 EUR", "x.cost",
                           "5000000000000 EUR"),
                        "null");
    assert_int_equal(F.d->n_errors, 1);
}

static void test_number_division_by_zero_is_an_error(void **state)
{
    (void)state;
    assert_string_equal(EV("x.n / x.m", "x.n", "1", "x.m", "0"), "null");
    assert_int_equal(F.d->n_errors, 1);
}

static void test_duration_date_arithmetic(void **state)
{
    (void)state;
    assert_string_equal(EV("x.d + 30min", "x.d", "1h"), "1h30min");
    assert_string_equal(EV("x.d * 2", "x.d", "90min"), "3h");
    assert_string_equal(EV("x.d / 1h", "x.d", "90min"), "1.5");
    assert_string_equal(EV("x.day + 14d", "x.day", "2026-11-23"), "2026-12-07");
    assert_string_equal(EV("2026-12-01 - x.day", "x.day", "2026-11-23"), "8d");
}

/* ---------------------------------------------------------------------- */
/* in [..] and in a..b                                                    */

static void test_in_list(void **state)
{
    (void)state;
    assert_string_equal(EV("x.tier in [gold, platinum]", "x.tier", "gold"), "true");
    assert_string_equal(EV("x.tier in [gold, platinum]", "x.tier", "basic"), "false");
    assert_string_equal(EV("x.tier in [gold, platinum]"), "null");
    assert_string_equal(tu_missing(F.d), "x.tier");
    assert_string_equal(EV("x.n in [1, 2, 3]", "x.n", "2"), "true");
    assert_string_equal(EV("x.n in [1, 2, 3]", "x.n", "4"), "false");
    assert_string_equal(EV("x.s in [\"a\", \"b\"]", "x.s", "b"), "true");
    assert_string_equal(EV("x.price in [10 EUR, 12.50 EUR]", "x.price", "12.5"), "true");
    assert_string_equal(EV("x.tier not in [gold]", "x.tier", "basic"), "true");
    assert_string_equal(EV("x.tier not in [gold]", "x.tier", "gold"), "false");
}

static void test_in_range(void **state)
{
    (void)state;
    assert_string_equal(EV("x.n in 1..3", "x.n", "1"), "true");
    assert_string_equal(EV("x.n in 1..3", "x.n", "3"), "true");
    assert_string_equal(EV("x.n in 1..3", "x.n", "3.5"), "false");
    assert_string_equal(EV("x.n in 1..3", "x.n", "0.99"), "false");
    assert_string_equal(EV("x.n in 1 .. 3", "x.n", "2"), "true");
    assert_string_equal(EV("x.price in 10 EUR..20 EUR", "x.price", "20"), "true");
    assert_string_equal(EV("x.price in 10 EUR..20 EUR", "x.price", "20.01"), "false");
    assert_string_equal(EV("x.n in 1..3"), "null");
    assert_string_equal(tu_missing(F.d), "x.n");
}

static void test_in_range_durations_and_dates_with_spaces(void **state)
{
    (void)state;
    assert_string_equal(EV("x.d in 1h .. 3h", "x.d", "2h"), "true");
    assert_string_equal(EV("x.day in 2026-01-01 .. 2026-12-31", "x.day", "2026-11-23"), "true");
}

/* `in a..b` is written without spaces in docs/playbook-format.md §3 (`in 1..3`); durations
** and dates are ranges as naturally as numbers. */
static void test_in_range_durations_without_spaces(void **state)
{
    (void)state;
    assert_string_equal(EV("x.d in 1h..3h", "x.d", "2h"), "true");
    assert_string_equal(EV("x.d in 1h..3h", "x.d", "4h"), "false");
}

static void test_in_range_dates_without_spaces(void **state)
{
    (void)state;
    assert_string_equal(EV("x.day in 2026-01-01..2026-12-31", "x.day", "2026-11-23"), "true");
}

/* ---------------------------------------------------------------------- */
/* enums                                                                  */

static void test_enum_bare_words(void **state)
{
    (void)state;
    assert_string_equal(EV("x.tier == gold", "x.tier", "gold"), "true");
    assert_string_equal(EV("x.tier == silver", "x.tier", "gold"), "false");
    assert_string_equal(EV("x.tier != basic", "x.tier", "gold"), "true");
}

/* "where the other side is an enum fact": the fact may be on either side. */
static void test_enum_bare_word_on_the_left(void **state)
{
    (void)state;
    assert_string_equal(EV("gold == x.tier", "x.tier", "gold"), "true");
    assert_string_equal(EV("silver < x.tier", "x.tier", "gold"), "true");
}

/* A quoted word compared with an enum fact is that enum value (compared
** case-insensitively), not a string. */
static void test_enum_quoted_value(void **state)
{
    (void)state;
    assert_string_equal(EV("x.tier == \"gold\"", "x.tier", "gold"), "true");
    assert_string_equal(EV("x.tier == \"GOLD\"", "x.tier", "gold"), "true");
    assert_string_equal(EV("x.tier in [\"gold\", \"platinum\"]", "x.tier", "Platinum"), "true");
}

static void test_enum_case_insensitive(void **state)
{
    (void)state;
    /* the case value in another case */
    assert_string_equal(EV("x.tier == gold", "x.tier", "GOLD"), "true");
    /* the bare word in another case */
    assert_string_equal(EV("x.tier == Gold", "x.tier", "gold"), "true");
    /* declared as Platinum */
    assert_string_equal(EV("x.tier == platinum", "x.tier", "PLATINUM"), "true");
    /* shown as declared */
    assert_string_equal(EV("x.tier", "x.tier", "PLATINUM"), "Platinum");
}

static void test_enum_order(void **state)
{
    (void)state;
    assert_string_equal(EV("x.tier > silver", "x.tier", "gold"), "true");
    assert_string_equal(EV("x.tier >= platinum", "x.tier", "gold"), "false");
    assert_string_equal(EV("x.tier in silver..gold", "x.tier", "silver"), "true");
}

/* ---------------------------------------------------------------------- */
/* compile-time errors, with file:line:column                             */

static void test_error_compare_money_with_string(void **state)
{
    (void)state;
    ev_fail("x.price == \"abc\"", "cannot compare money (EUR) with string", EXPR_COL);
}

static void test_error_enum_value_not_declared(void **state)
{
    (void)state;
    ev_fail("x.tier == diamond", "'diamond' is not one of the declared values", EXPR_COL + 10);
    ev_fail("x.tier == diamond", "basic, silver, gold, Platinum", EXPR_COL + 10);
    ev_fail("x.tier in [gold, diamond]", "'diamond'", EXPR_COL + 17);
}

static void test_error_unknown_fact(void **state)
{
    (void)state;
    ev_fail("x.nn > 1", "unknown fact or word 'x.nn'", EXPR_COL);
    ev_fail("x.nn > 1", "did you mean 'x.n'", EXPR_COL);
    ev_fail("1 + customer.age", "unknown fact or word 'customer.age'", EXPR_COL + 4);
}

static void test_error_bare_word_is_not_text(void **state)
{
    (void)state;
    ev_fail("hello", "unknown fact or word 'hello'", EXPR_COL);
    ev_fail("x.s == hello", "'hello'", EXPR_COL + 7);
}

static void test_error_unknown_function(void **state)
{
    (void)state;
    ev_fail("foo(1)", "unknown function 'foo'", EXPR_COL);
    ev_fail("1 + avg(1, 2)", "unknown function 'avg'", EXPR_COL + 4);
}

static void test_error_function_arity_and_types(void **state)
{
    (void)state;
    ev_fail("floor(1)", "floor() takes 2 arguments, not 1", EXPR_COL);
    ev_fail("if(true, 1)", "if() takes 3 arguments, not 2", EXPR_COL);
    ev_fail("round(x.s)", "round() needs a number or money, not string", EXPR_COL + 6);
    ev_fail("len(5)", "len() needs text, not number", EXPR_COL + 4);
    ev_fail("min(x.s, 1)", "cannot compare string with number", EXPR_COL + 4);
    ev_fail("has(1)", "has() takes a fact path", EXPR_COL + 4);
    ev_fail("if(x.n, 1, 2)", "expected a condition", EXPR_COL + 3);
}

static void test_error_arithmetic_types(void **state)
{
    (void)state;
    ev_fail("x.n + \"a\"", "cannot add number and string", EXPR_COL + 4);
    ev_fail("x.b + 1", "cannot add bool and number", EXPR_COL + 4);
    ev_fail("x.price * x.cost", "cannot multiply money (EUR) and money (EUR)", EXPR_COL + 8);
    ev_fail("x.price + 5 USD", "money in EUR with money in USD", EXPR_COL);
    ev_fail("x.n > 2026-01-01", "cannot compare number with date", EXPR_COL);
    ev_fail("-x.s", "cannot negate string", EXPR_COL);
}

static void test_error_logic_types(void **state)
{
    (void)state;
    ev_fail("x.n and x.b", "expected a condition (true or false) but this is number", EXPR_COL);
    ev_fail("x.b or 1", "expected a condition (true or false) but this is number",
            EXPR_COL + 7);
    ev_fail("not x.s", "expected a condition", EXPR_COL + 4);
    ev_fail("x.b > x.c", "cannot be ordered", EXPR_COL + 4);
}

static void test_error_syntax(void **state)
{
    (void)state;
    ev_fail("x.n >", "expected a value but found the end of the expression", EXPR_COL + 5);
    ev_fail("1 < 2 == true", "unexpected '=='", EXPR_COL + 6);
    ev_fail("(1 + 2", "expected ')'", EXPR_COL + 6);
    ev_fail("x.n = 1", "'='", EXPR_COL + 4);
    ev_fail("\"open", "no closing", EXPR_COL);
    ev_fail("1 2", "unexpected '2'", EXPR_COL + 2);
    ev_fail("and x.b", "'and' needs something before it", EXPR_COL);
    ev_fail("[1, 2]", "a list [...] can only follow 'in'", EXPR_COL);
}

static void test_error_bad_money_literal(void **state)
{
    (void)state;
    ev_fail("0.125 EUR", "more decimals than the currency has", EXPR_COL);
    ev_fail("1.5 JPY", "no minor unit", EXPR_COL);
}

static void test_error_in_list_needs_constants(void **state)
{
    (void)state;
    ev_fail("x.n in [1, x.m]", "fixed values", EXPR_COL + 11);
}

static void test_error_nested_too_deeply(void **state)
{
    (void)state;
    char deep[400];
    size_t k = 0;
    for (int i = 0; i < 100; i++)
        deep[k++] = '(';
    deep[k++] = '1';
    for (int i = 0; i < 100; i++)
        deep[k++] = ')';
    deep[k] = 0;
    ev_fail(deep, "nested too deeply", 0);
}

static void test_error_empty_expression(void **state)
{
    (void)state;
    ev_fail("", "empty", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_precedence_arithmetic),
        cmocka_unit_test(test_precedence_logic),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_string_compare_is_nfc),
        cmocka_unit_test(test_facts_and_defaults),
        cmocka_unit_test(test_and_false_unknown_is_false),
        cmocka_unit_test(test_or_true_unknown_is_true),
        cmocka_unit_test(test_and_true_unknown_is_unknown),
        cmocka_unit_test(test_unknown_lists_facts_in_order_met),
        cmocka_unit_test(test_not_unknown_is_unknown),
        cmocka_unit_test(test_comparison_with_missing_is_unknown),
        cmocka_unit_test(test_decided_by_a_known_side_in_nested_logic),
        cmocka_unit_test(test_missing_only_when_it_mattered),
        cmocka_unit_test(test_min_max),
        cmocka_unit_test(test_round),
        cmocka_unit_test(test_floor_ceil),
        cmocka_unit_test(test_round_step_zero_is_an_error),
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_lower),
        cmocka_unit_test(test_contains_starts_with),
        cmocka_unit_test(test_contains_on_list),
        cmocka_unit_test(test_len_counts_graphemes),
        cmocka_unit_test(test_if),
        cmocka_unit_test(test_coalesce),
        cmocka_unit_test(test_money_add_sub),
        cmocka_unit_test(test_money_mul_div),
        cmocka_unit_test(test_money_mul_rounds_each_operation_to_minor_unit),
        cmocka_unit_test(test_money_division_by_zero_is_an_error),
        cmocka_unit_test(test_money_overflow_is_an_error),
        cmocka_unit_test(test_number_division_by_zero_is_an_error),
        cmocka_unit_test(test_duration_date_arithmetic),
        cmocka_unit_test(test_in_list),
        cmocka_unit_test(test_in_range),
        cmocka_unit_test(test_in_range_durations_and_dates_with_spaces),
        cmocka_unit_test(test_in_range_durations_without_spaces),
        cmocka_unit_test(test_in_range_dates_without_spaces),
        cmocka_unit_test(test_enum_bare_words),
        cmocka_unit_test(test_enum_bare_word_on_the_left),
        cmocka_unit_test(test_enum_quoted_value),
        cmocka_unit_test(test_enum_case_insensitive),
        cmocka_unit_test(test_enum_order),
        cmocka_unit_test(test_error_compare_money_with_string),
        cmocka_unit_test(test_error_enum_value_not_declared),
        cmocka_unit_test(test_error_unknown_fact),
        cmocka_unit_test(test_error_bare_word_is_not_text),
        cmocka_unit_test(test_error_unknown_function),
        cmocka_unit_test(test_error_function_arity_and_types),
        cmocka_unit_test(test_error_arithmetic_types),
        cmocka_unit_test(test_error_logic_types),
        cmocka_unit_test(test_error_syntax),
        cmocka_unit_test(test_error_bad_money_literal),
        cmocka_unit_test(test_error_in_list_needs_constants),
        cmocka_unit_test(test_error_nested_too_deeply),
        cmocka_unit_test(test_error_empty_expression),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
