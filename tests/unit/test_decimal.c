/*
** test_decimal.c -- exact decimal numbers (decimal.c): exact +, -, * and
** comparison, 34-digit quotients and powers rounded half to even, rounding to
** a step, the range limits as errors, text in and out, numbers in vals, and
** numbers read exactly from a JSON case.
*/
#include "lw_test_util.h"

static dec D(const char *s)
{
    dec d;
    const char *err = dec_parse(s, strlen(s), &d);
    if (err)
        print_message("dec_parse(\"%s\"): %s\n", s, err);
    assert_null(err);
    return d;
}

static void assert_text(dec d, const char *want)
{
    char buf[128];
    dec_format(d, buf, sizeof buf);
    assert_string_equal(buf, want);
}

typedef const char *(*binop)(dec, dec, dec *);

static void op_is(binop f, const char *a, const char *b, const char *want)
{
    dec r;
    const char *err = f(D(a), D(b), &r);
    if (err)
        print_message("%s op %s: %s\n", a, b, err);
    assert_null(err);
    assert_text(r, want);
}

static void op_fails(binop f, const char *a, const char *b, const char *msg_part)
{
    dec r;
    const char *err = f(D(a), D(b), &r);
    assert_non_null(err);
    assert_non_null(strstr(err, msg_part));
}

static void test_point_one_plus_point_two(void **state)
{
    (void)state;
    dec r;
    assert_null(dec_add(D("0.1"), D("0.2"), &r));
    assert_int_equal(dec_compare(r, D("0.3")), 0);
    assert_text(r, "0.3");
    op_is(dec_sub, "0.3", "0.1", "0.2");
    op_is(dec_mul, "1.1", "1.1", "1.21");
    op_is(dec_add, "1.0000000009", "0", "1.0000000009");
    op_is(dec_sub, "1", "1.0000000001", "-1e-10");
}

static void test_exact_beyond_double(void **state)
{
    (void)state;
    /* 2^53 + 1 is not a double; here it is exact */
    op_is(dec_add, "9007199254740992", "1", "9007199254740993");
    op_is(dec_mul, "123456789.123456789", "1000000000", "123456789123456789");
    op_is(dec_add, "0.000000000000000000001", "1", "1.000000000000000000001");
    op_is(dec_mul, "99999999999999999", "99999999999999999", "9999999999999999800000000000000001");
}

static void test_compare(void **state)
{
    (void)state;
    assert_int_equal(dec_compare(D("1.50"), D("1.5")), 0);
    assert_int_equal(dec_compare(D("100"), D("1e2")), 0);
    assert_int_equal(dec_compare(D("1e-30"), D("1e-29")), -1);
    assert_int_equal(dec_compare(D("-1"), D("0.5")), -1);
    assert_int_equal(dec_compare(D("-2"), D("-1.5")), -1);
    assert_int_equal(dec_compare(D("1e6000"), D("9e5999")), 1);
    assert_int_equal(dec_compare(D("1.0000000009"), D("1.000000001")), -1);
    assert_int_equal(dec_compare(D("1234567890123456789012345678901234"),
                                 D("1234567890123456789012345678901233")),
                     1);
}

static void test_division_rounds_to_34_digits_half_even(void **state)
{
    (void)state;
    op_is(dec_div, "1", "3", "0.3333333333333333333333333333333333");
    op_is(dec_div, "2", "3", "0.6666666666666666666666666666666667");
    op_is(dec_div, "1", "7", "0.1428571428571428571428571428571429");
    op_is(dec_div, "1", "8", "0.125");
    op_is(dec_div, "10", "4", "2.5");
    op_is(dec_div, "-1", "3", "-0.3333333333333333333333333333333333");
    op_fails(dec_div, "1", "0", "division by zero");
    /* a tie at the 35th digit goes to the even neighbour */
    op_is(dec_add, "1000000000000000000000000000000002", "0.5",
          "1000000000000000000000000000000002");
    op_is(dec_add, "1000000000000000000000000000000003", "0.5",
          "1000000000000000000000000000000004");
    op_is(dec_add, "9999999999999999999999999999999999", "0.5",
          "10000000000000000000000000000000000");
}

static void test_power(void **state)
{
    (void)state;
    op_is(dec_pow, "2", "10", "1024");
    op_is(dec_pow, "2", "100", "1267650600228229401496703205376");
    op_is(dec_pow, "1.5", "2", "2.25");
    op_is(dec_pow, "2", "-2", "0.25");
    op_is(dec_pow, "3", "-1", "0.3333333333333333333333333333333333");
    op_is(dec_pow, "7", "0", "1");
    op_is(dec_pow, "-2", "3", "-8");
    op_is(dec_pow, "2", "3.0", "8");
    /* correctly rounded to 34 digits (checked with Python's decimal module) */
    op_is(dec_pow, "1.0000001", "64", "1.000006400020160041664063537676245");
    op_is(dec_pow, "1.01", "365", "37.78343433288715887761660479649761");
    op_is(dec_pow, "1.004166666666666666666666666666667", "360", "4.46774431400613221242807011041355");
    op_fails(dec_pow, "2", "0.5", "whole number");
    op_fails(dec_pow, "0", "-1", "division by zero");
    op_fails(dec_pow, "10", "6145", "too large");
    op_fails(dec_pow, "0.1", "6177", "too small");
    /* a negative power goes through its inverse, which may be beyond the
    ** range: 10 ** -6176 is the smallest number, not an error */
    op_is(dec_pow, "10", "-6176", "1e-6176");
    op_fails(dec_pow, "10", "-6177", "too small");
    op_is(dec_pow, "0.1", "-6144", "1e+6144");
    op_fails(dec_pow, "0.1", "-6145", "too large");
    op_fails(dec_pow, "10", "-100000", "too small");
    op_fails(dec_pow, "0.1", "-100000", "too large");
    op_is(dec_pow, "2", "-20000", "2.51238805769874458518013504213361e-6021");
}

static void test_range_errors(void **state)
{
    (void)state;
    op_is(dec_mul, "1e6000", "1e144", "1e+6144");
    op_fails(dec_mul, "1e6000", "1e145", "too large");
    op_fails(dec_mul, "1e-6000", "1e-6000", "too small");
    op_is(dec_mul, "1e-6000", "1e-176", "1e-6176");
    dec d;
    assert_non_null(dec_parse("1e9999", 6, &d));
    assert_non_null(dec_parse("1e-9999", 7, &d));
    /* 35 significant digits cannot be held exactly: refused, not rounded */
    const char *s = "12345678901234567890123456789012345";
    assert_non_null(strstr(dec_parse(s, strlen(s), &d), "34 significant digits"));
    /* trailing zeros are not significant */
    assert_text(D("123456789012345678901234567890123400000"),
                "123456789012345678901234567890123400000");
}

static void test_round_to_step(void **state)
{
    (void)state;
    dec r;
    assert_null(dec_round(D("1.005"), D("0.01"), DEC_HALF_UP, &r)); /* 1.00499999... as a double */
    assert_text(r, "1.01");
    assert_null(dec_round(D("2.5"), D("1"), DEC_HALF_UP, &r));
    assert_text(r, "3");
    assert_null(dec_round(D("-2.5"), D("1"), DEC_HALF_UP, &r));
    assert_text(r, "-3");
    assert_null(dec_round(D("-2.5"), D("1"), DEC_FLOOR, &r));
    assert_text(r, "-3");
    assert_null(dec_round(D("-2.5"), D("1"), DEC_CEIL, &r));
    assert_text(r, "-2");
    assert_null(dec_round(D("7.3"), D("0.25"), DEC_HALF_UP, &r));
    assert_text(r, "7.25");
    assert_null(dec_round(D("123"), D("50"), DEC_FLOOR, &r));
    assert_text(r, "100");
    assert_non_null(dec_round(D("1"), D("0"), DEC_HALF_UP, &r));
    assert_non_null(dec_round(D("1"), D("-1"), DEC_HALF_UP, &r));
    int64_t i;
    assert_null(dec_to_int64(D("41.5"), DEC_HALF_UP, &i));
    assert_int_equal(i, 42);
    assert_non_null(dec_to_int64(D("1e19"), DEC_HALF_UP, &i));
}

static void test_text_round_trip(void **state)
{
    (void)state;
    static const char *const same[] = {
        "0", "1", "-1.5", "0.3", "0.0000001", "123456.789", "1000000",
        "1234567890123456789012345678901234", "0.1234567890123456789012345678901234",
        "1e-9", "-1.25e-20", "1e+100", "9.999999999999999999999999999999999e+6144", "1e-6176",
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        assert_text(D(same[i]), same[i]);
    assert_text(D("1.50"), "1.5");
    assert_text(D("+2"), "2");
    assert_text(D("1E3"), "1000");
    assert_text(D("0.000"), "0");
    dec d;
    assert_non_null(dec_parse("", 0, &d));
    assert_non_null(dec_parse("1.2.3", 5, &d));
    assert_non_null(dec_parse("12abc", 5, &d));
    assert_non_null(dec_parse("1e", 2, &d));
    assert_non_null(dec_parse("-", 1, &d));
    /* shortest text of a double, and back */
    assert_null(dec_from_double(0.1, &d));
    assert_text(d, "0.1");
    assert_null(dec_from_double(0.1 + 0.2, &d));
    assert_text(d, "0.30000000000000004");
    assert_null(dec_from_double(1e300, &d));
    assert_text(d, "1e+300");
    assert_non_null(dec_from_double(NAN, &d));
    assert_true(dec_to_double(D("0.1")) == 0.1);
    assert_true(dec_to_double(D("123456789.123456789")) == 123456789.123456789);
    assert_true(dec_to_double(D("1e-300")) == 1e-300);
}

static void test_negative_zero(void **state)
{
    (void)state;
    dec d = D("-0"), r;
    assert_text(d, "0");
    assert_int_equal(dec_sign(d), 0);
    assert_int_equal(dec_compare(d, D("0")), 0);
    assert_null(dec_mul(D("-0.0"), D("5"), &r));
    assert_text(r, "0");
    assert_null(dec_from_double(-0.0, &d));
    assert_text(d, "0");
    assert_null(dec_sub(D("1.5"), D("1.5"), &r));
    assert_int_equal(dec_compare(r, D("-0")), 0);
}

static void test_numbers_in_vals(void **state)
{
    (void)state;
    arena a;
    lw_mem m;
    lw_mem_init(&m, NULL);
    arena_init(&a, &m);
    val x, y, r;
    /* a coefficient that fits in int64 is held in place, a wider one in the arena */
    assert_null(num_put(&a, D("0.1"), &x));
    assert_int_equal(x.t, V_NUM);
    assert_int_equal(sizeof(val), 16);
    /* decs sit in memory an application's allocator aligns to 8 (palloc) */
    assert_true(_Alignof(dec) <= 8);
    assert_true(_Alignof(fact) <= 8);
    assert_null(num_put(&a, D("1234567890123456789012345678901234"), &y));
    assert_int_equal(dec_compare(num_get(&y), D("1234567890123456789012345678901234")), 0);
    assert_null(num_add(&a, &x, &x, false, &r));
    assert_int_equal(dec_compare(num_get(&r), D("0.2")), 0);
    val one = num_int(1), one_point_zero;
    assert_null(num_add(&a, &y, &one, true, &r));
    assert_int_equal(dec_compare(num_get(&r), D("1234567890123456789012345678901233")), 0);
    /* 35 digits are rounded to 34, half to even: ...233.9 becomes ...234 */
    val nine_tenths;
    assert_null(num_put(&a, D("0.9"), &nine_tenths));
    assert_null(num_add(&a, &r, &nine_tenths, false, &r));
    assert_int_equal(dec_compare(num_get(&r), num_get(&y)), 0);
    /* the result may be one of the operands (a running sum) */
    val acc = x;
    assert_null(num_add(&a, &acc, &x, false, &acc));
    assert_int_equal(dec_compare(num_get(&acc), D("0.2")), 0);
    assert_null(num_mul(&a, &x, &x, &r));
    char buf[64];
    num_format(&r, buf, sizeof buf);
    assert_string_equal(buf, "0.01");
    /* the fast path and the general path agree on overflow of int64 */
    val big = num_int(INT64_MAX);
    assert_null(num_add(&a, &big, &big, false, &r));
    assert_int_equal(dec_compare(num_get(&r), D("18446744073709551614")), 0);
    assert_null(num_mul(&a, &big, &big, &r));
    assert_int_equal(dec_compare(num_get(&r), D("85070591730234615847396907784232500000")), 0);
    /* equal values in different forms compare equal through val_compare */
    assert_null(num_put(&a, D("1.0"), &one_point_zero));
    assert_true(val_equal(&one, &one_point_zero));
    bool ok;
    assert_int_equal(val_compare(&x, &one, &ok), -1);
    assert_true(ok);
    arena_free(&a);
}

/* Numbers in a JSON case are read from their text, not as binary doubles,
** and the decision writes them back exactly. */
static void test_json_case_numbers_exact(void **state)
{
    (void)state;
    tu_open_pb("playbook: json-numbers\n"
               "version: \"1\"\n"
               "currency: EUR\n"
               "facts:\n"
               "  x: { type: number }\n"
               "  y: { type: number }\n"
               "  s: { type: string }\n"
               "outputs:\n"
               "  echo: { value: \"x\" }\n"
               "  sum: { value: \"x + y\" }\n");
    static const char *const cases[][2] = {
        {"{\"x\": 0.1, \"y\": 0.2}", "\"echo\":0.1,\"sum\":0.3}"},
        {"{\"x\": 1e-30, \"y\": 1E-30}", "\"echo\":1e-30,\"sum\":2e-30}"},
        {"{\"x\": 12345678901234567890, \"y\": 1}",
         "\"echo\":12345678901234567890,\"sum\":12345678901234567891}"},
        {"{\"y\": -0.000000000000000000000000000000001, \"x\": 1}",
         "\"echo\":1,\"sum\":0.999999999999999999999999999999999}"},
        {"{\"x\": 1e400, \"y\": 0}", "\"echo\":1e+400,\"sum\":1e+400}"},
        /* numbers inside texts are not numbers: escaped quotes and backslashes */
        {"{\"s\": \"a \\\"12\\\" -3\", \"x\": 12345678901234567890, \"y\": 0}",
         "\"echo\":12345678901234567890,"},
        {"{\"s\": \"ends in \\\\\", \"x\": 1e-30, \"y\": 0.5}", "\"echo\":1e-30,\"sum\":0.500000000000000000000000000001}"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lw_case_reset(tu_F.c);
        const char *msg = NULL;
        assert_int_equal(lw_case_read_json(tu_F.c, "case.json", cases[i][0],
                                           strlen(cases[i][0]), &msg),
                         LW_OK);
        const char *json = lw_decision_json(tu_F.e, tu_decide(&tu_F), 0, NULL);
        assert_non_null(json);
        if (!strstr(json, cases[i][1]))
            print_message("%s\n  gave %s\n", cases[i][0], json);
        assert_non_null(strstr(json, cases[i][1]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_point_one_plus_point_two),
        cmocka_unit_test(test_exact_beyond_double),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_division_rounds_to_34_digits_half_even),
        cmocka_unit_test(test_power),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_round_to_step),
        cmocka_unit_test(test_text_round_trip),
        cmocka_unit_test(test_negative_zero),
        cmocka_unit_test(test_numbers_in_vals),
        cmocka_unit_test(test_json_case_numbers_exact),
    };
    return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
