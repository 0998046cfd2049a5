/*
** test_money.c -- money as integer minor units (money.c): parsing, exact
** conversion from decimal numbers, multiplication and division rounding half away
** from zero, rounding to steps, formatting.
*/
#include "lw_test_util.h"

static int EUR, JPY, KWD, USD;

static int setup(void **state)
{
    (void)state;
    EUR = money_currency("EUR", 3);
    JPY = money_currency("JPY", 3);
    KWD = money_currency("KWD", 3);
    USD = money_currency("USD", 3);
    return 0;
}

/* Parse s with default currency def; expect success with minor and cur. */
static void parse_ok(const char *s, int def, int64_t want_minor, int want_cur)
{
    int64_t minor = -12345;
    int cur = -7;
    const char *err = money_parse(s, strlen(s), def, &minor, &cur);
    if (err)
        print_message("money_parse(\"%s\") failed: %s\n", s, err);
    assert_null(err);
    assert_int_equal(minor, want_minor);
    assert_int_equal(cur, want_cur);
}

/* Expect an error message containing `needle`. */
static void parse_err(const char *s, int def, const char *needle)
{
    int64_t minor = 0;
    int cur = 0;
    const char *err = money_parse(s, strlen(s), def, &minor, &cur);
    if (!err)
        print_message("money_parse(\"%s\") unexpectedly gave %lld\n", s, (long long)minor);
    assert_non_null(err);
    if (needle && !strstr(err, needle))
        print_message("error for \"%s\": %s (wanted '%s')\n", s, err, needle);
    if (needle)
        assert_non_null(strstr(err, needle));
}

/* ---------------------------------------------------------------------- */
/* currencies                                                             */

static void test_currency_lookup(void **state)
{
    (void)state;
    assert_true(EUR >= 0);
    assert_true(JPY >= 0);
    assert_true(KWD >= 0);
    assert_int_equal(money_currency_at(EUR)->digits, 2);
    assert_int_equal(money_currency_at(JPY)->digits, 0);
    assert_int_equal(money_currency_at(KWD)->digits, 3);
    assert_string_equal(money_currency_at(EUR)->code, "EUR");
    assert_int_equal(money_scale(EUR), 100);
    assert_int_equal(money_scale(JPY), 1);
    assert_int_equal(money_scale(KWD), 1000);
}

static void test_currency_unknown(void **state)
{
    (void)state;
    assert_int_equal(money_currency("XYZ", 3), -1);
    assert_int_equal(money_currency("EU", 2), -1);
    assert_int_equal(money_currency("EURO", 4), -1);
    assert_int_equal(money_currency("eur", 3), -1);
}

/* ---------------------------------------------------------------------- */
/* money_parse                                                            */

static void test_parse_decimals(void **state)
{
    (void)state;
    parse_ok("19.95", EUR, 1995, EUR);
    parse_ok("19.9", EUR, 1990, EUR);
    parse_ok("19", EUR, 1900, EUR);
    parse_ok("0.05", EUR, 5, EUR);
    parse_ok("0", EUR, 0, EUR);
    parse_ok(".5", EUR, 50, EUR);
    parse_ok("19.", EUR, 1900, EUR);
}

static void test_parse_with_code(void **state)
{
    (void)state;
    parse_ok("19.95 EUR", -1, 1995, EUR);
    parse_ok("19.95 USD", EUR, 1995, USD);
    parse_ok("  19.95 EUR  ", EUR, 1995, EUR);
    parse_ok("19.95   EUR", EUR, 1995, EUR);
}

static void test_parse_trailing_zero_decimals_allowed(void **state)
{
    (void)state;
    parse_ok("19.950 EUR", EUR, 1995, EUR);
    parse_ok("19.9500000 EUR", EUR, 1995, EUR);
    parse_ok("500.00 JPY", EUR, 500, JPY);
}

static void test_parse_jpy_no_minor_unit(void **state)
{
    (void)state;
    parse_ok("500 JPY", EUR, 500, JPY);
    parse_ok("1500", JPY, 1500, JPY);
    parse_err("1.5 JPY", EUR, "no minor unit");
}

static void test_parse_kwd_three_digits(void **state)
{
    (void)state;
    parse_ok("1.234 KWD", EUR, 1234, KWD);
    parse_ok("1.2 KWD", EUR, 1200, KWD);
    parse_ok("7 KWD", EUR, 7000, KWD);
    parse_err("1.2345 KWD", EUR, "more decimals");
}

static void test_parse_negative_and_plus(void **state)
{
    (void)state;
    parse_ok("-3 EUR", EUR, -300, EUR);
    parse_ok("-0.01 EUR", EUR, -1, EUR);
    parse_ok("+3 EUR", EUR, 300, EUR);
    parse_ok("-19.95", EUR, -1995, EUR);
}

static void test_parse_too_many_decimals(void **state)
{
    (void)state;
    parse_err("19.955 EUR", EUR, "more decimals");
    parse_err("0.001", EUR, "more decimals");
}

static void test_parse_unknown_code(void **state)
{
    (void)state;
    parse_err("19.95 XYZ", EUR, "unknown currency");
    parse_err("19.95 eur", EUR, "unknown currency");
}

static void test_parse_code_without_space(void **state)
{
    (void)state;
    parse_err("19.95EUR", EUR, "after a space");
}

static void test_parse_no_currency(void **state)
{
    (void)state;
    parse_err("19.95", -1, "no currency");
}

static void test_parse_garbage(void **state)
{
    (void)state;
    parse_err("", EUR, NULL);
    parse_err("abc", EUR, NULL);
    parse_err("-", EUR, NULL);
    parse_err(".", EUR, NULL);
    parse_err("1.2.3", EUR, NULL);
    parse_err("1,50", EUR, NULL);
    parse_err("1e3", EUR, NULL);
    parse_err("- 3", EUR, NULL);
}

static void test_parse_overflow(void **state)
{
    (void)state;
    /* INT64_MAX minor units is the largest amount */
    parse_ok("92233720368547758.07 EUR", EUR, INT64_MAX, EUR);
    parse_err("92233720368547758.08 EUR", EUR, "too large");
    parse_err("99999999999999999999 EUR", EUR, "too large");
    /* the scaling to minor units can overflow too */
    parse_err("922337203685477581 EUR", EUR, "too large");
    parse_ok("9223372036854775807 JPY", EUR, INT64_MAX, JPY);
}

static void test_parse_respects_length(void **state)
{
    (void)state;
    int64_t minor = 0;
    int cur = -1;
    /* only the first 5 bytes: "19.95" */
    assert_null(money_parse("19.95 GBP", 5, EUR, &minor, &cur));
    assert_int_equal(minor, 1995);
    assert_int_equal(cur, EUR);
}


/* The tests write factors as C doubles; the engine takes exact decimals:
** each double stands for its decimal value to 15 significant digits, as a
** Lua number does (script.c). */
static const char *to_dec(double d, dec *x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", d);
    return dec_parse(buf, strlen(buf), x);
}

static const char *from_double_d(double d, int cur, int64_t *minor)
{
    dec x;
    const char *err = to_dec(d, &x);
    return err ? err : money_from_dec(x, cur, minor);
}

static const char *mul_d(int64_t a, double f, int64_t *out)
{
    dec x;
    const char *err = to_dec(f, &x);
    return err ? err : money_mul(a, x, out);
}

static const char *div_d(int64_t a, double f, int64_t *out)
{
    dec x;
    const char *err = to_dec(f, &x);
    return err ? err : money_div(a, x, out);
}

/* ---------------------------------------------------------------------- */
/* money_from_dec (numbers written as doubles, see to_dec)              */

static void from_double_ok(double d, int cur, int64_t want)
{
    int64_t minor = -1;
    const char *err = from_double_d(d, cur, &minor);
    if (err)
        print_message("money_from_dec(%.17g) failed: %s\n", d, err);
    assert_null(err);
    assert_int_equal(minor, want);
}

static void test_from_double_exact(void **state)
{
    (void)state;
    from_double_ok(19.95, EUR, 1995);
    from_double_ok(0.1 + 0.2, EUR, 30);
    from_double_ok(1.15, EUR, 115);
    from_double_ok(-3.5, EUR, -350);
    from_double_ok(0, EUR, 0);
    from_double_ok(1500, JPY, 1500);
    from_double_ok(1.234, KWD, 1234);
    from_double_ok(1234567.89, EUR, 123456789);
}

/* Large amounts keep their cents: the tolerance used to recognise the decimal
** a double was written as must not swallow a whole cent. */
static void test_from_double_large_amount_keeps_cents(void **state)
{
    (void)state;
    from_double_ok(123456789.01, EUR, 12345678901);
    from_double_ok(50000000.03, EUR, 5000000003);
    from_double_ok(-50000000.03, EUR, -5000000003);
}

static void test_from_double_too_many_decimals(void **state)
{
    (void)state;
    int64_t m;
    assert_non_null(from_double_d(1.234, EUR, &m));
    assert_non_null(from_double_d(0.001, EUR, &m));
    const char *err = from_double_d(1.5, JPY, &m);
    assert_non_null(err);
    assert_non_null(strstr(err, "no minor unit"));
    assert_non_null(from_double_d(1.0 / 3.0, EUR, &m));
}

static void test_from_double_not_finite_or_huge(void **state)
{
    (void)state;
    int64_t m;
    assert_non_null(from_double_d(NAN, EUR, &m));
    assert_non_null(from_double_d(INFINITY, EUR, &m));
    assert_non_null(from_double_d(-INFINITY, EUR, &m));
    const char *err = from_double_d(1e20, EUR, &m);
    assert_non_null(err);
    assert_non_null(strstr(err, "too large"));
}

/* ---------------------------------------------------------------------- */
/* money_mul / money_div                                                  */

static int64_t mul(int64_t a, double f)
{
    int64_t out = -999;
    const char *err = mul_d(a, f, &out);
    if (err)
        print_message("money_mul(%lld, %g): %s\n", (long long)a, f, err);
    assert_null(err);
    return out;
}

static int64_t divide(int64_t a, double f)
{
    int64_t out = -999;
    const char *err = div_d(a, f, &out);
    if (err)
        print_message("money_div(%lld, %g): %s\n", (long long)a, f, err);
    assert_null(err);
    return out;
}

static void test_mul_half_away_from_zero(void **state)
{
    (void)state;
    /* 0.25 x 0.5 = 0.125 -> 0.13 ; -0.125 -> -0.13 */
    assert_int_equal(mul(25, 0.5), 13);
    assert_int_equal(mul(-25, 0.5), -13);
    /* 0.124 and 0.126 round to nearest */
    assert_int_equal(mul(124, 0.1), 12);
    assert_int_equal(mul(126, 0.1), 13);
    assert_int_equal(mul(-126, 0.1), -13);
    /* 1.25 x 0.1 = 0.125 */
    assert_int_equal(mul(125, 0.1), 13);
    assert_int_equal(mul(-125, 0.1), -13);
}

static void test_mul_exact_decimals(void **state)
{
    (void)state;
    /* 1.15 is not exact in binary; treated as the decimal it was written as */
    assert_int_equal(mul(115, 10), 1150);
    assert_int_equal(mul(1000, 1.15), 1150);
    assert_int_equal(mul(100, 1.15), 115);
    assert_int_equal(mul(3500, 1.5), 5250);
    assert_int_equal(mul(12999, 0.5), 6500);   /* 64.995 -> 65.00 */
    assert_int_equal(mul(1995, 0.2), 399);
    assert_int_equal(mul(1000, 0), 0);
    assert_int_equal(mul(1000, -1), -1000);
    assert_int_equal(mul(1, 1.875), 2);        /* 0.01875 -> 0.02 */
}

/* A factor just above 1 is not 1: 100,000,000.00 x 1.0000000001 =
** 100,000,000.01 exactly. */
static void test_mul_factor_close_to_integer(void **state)
{
    (void)state;
    assert_int_equal(mul(10000000000, 1.0000000001), 10000000001);
    assert_int_equal(mul(10000000000, 0.9999999999), 9999999999);
}

static void test_mul_overflow(void **state)
{
    (void)state;
    int64_t out = 42;
    const char *err = mul_d(INT64_MAX / 2, 3, &out);
    assert_non_null(err);
    assert_non_null(strstr(err, "overflow"));
    assert_int_equal(out, 42); /* untouched */
    assert_non_null(mul_d(INT64_MAX, 1.5, &out));
    assert_non_null(mul_d(-(INT64_MAX / 2), 3, &out));
    /* exactly at the limit is fine */
    assert_null(mul_d(INT64_MAX, 1, &out));
    assert_int_equal(out, INT64_MAX);
}

static void test_mul_not_finite(void **state)
{
    (void)state;
    int64_t out;
    assert_non_null(mul_d(100, NAN, &out));
    assert_non_null(mul_d(100, INFINITY, &out));
}

static void test_div_half_away_from_zero(void **state)
{
    (void)state;
    assert_int_equal(divide(25, 2), 13);
    assert_int_equal(divide(-25, 2), -13);
    assert_int_equal(divide(25, -2), -13);
    assert_int_equal(divide(-25, -2), 13);
    assert_int_equal(divide(100, 3), 33);
    assert_int_equal(divide(200, 3), 67);
    assert_int_equal(divide(-200, 3), -67);
    assert_int_equal(divide(1000, 8), 125);
    assert_int_equal(divide(1, 8), 0);   /* 0.00125 cents */
}

static void test_div_by_decimal(void **state)
{
    (void)state;
    /* 1.00 / 0.1 = 10.00 exactly; 1.00 / 1.15 = 0.8695... -> 0.87 */
    assert_int_equal(divide(100, 0.1), 1000);
    assert_int_equal(divide(100, 1.15), 87);
    assert_int_equal(divide(115, 1.15), 100);
}

static void test_div_errors(void **state)
{
    (void)state;
    int64_t out = 7;
    const char *err = div_d(100, 0, &out);
    assert_non_null(err);
    assert_non_null(strstr(err, "zero"));
    assert_int_equal(out, 7);
    assert_non_null(div_d(100, NAN, &out));
    assert_non_null(div_d(INT64_MAX, 0.5, &out)); /* doubling overflows */
}

/* ---------------------------------------------------------------------- */
/* steps                                                                  */

static void test_round_step(void **state)
{
    (void)state;
    assert_int_equal(money_round_step(12345, 100), 12300);
    assert_int_equal(money_round_step(12350, 100), 12400);
    assert_int_equal(money_round_step(12349, 100), 12300);
    assert_int_equal(money_round_step(-12350, 100), -12400);
    assert_int_equal(money_round_step(-12349, 100), -12300);
    assert_int_equal(money_round_step(12, 5), 10);
    assert_int_equal(money_round_step(13, 5), 15);  /* 2.5 steps -> 3 */
    assert_int_equal(money_round_step(-13, 5), -15);
    assert_int_equal(money_round_step(12300, 100), 12300);
    assert_int_equal(money_round_step(0, 100), 0);
    /* a step <= 0 leaves the amount alone */
    assert_int_equal(money_round_step(12345, 0), 12345);
    assert_int_equal(money_round_step(12345, -5), 12345);
}

static void test_floor_step(void **state)
{
    (void)state;
    assert_int_equal(money_floor_step(12399, 100), 12300);
    assert_int_equal(money_floor_step(12300, 100), 12300);
    assert_int_equal(money_floor_step(-12301, 100), -12400);
    assert_int_equal(money_floor_step(-12300, 100), -12300);
    assert_int_equal(money_floor_step(4, 5), 0);
    assert_int_equal(money_floor_step(-1, 5), -5);
    assert_int_equal(money_floor_step(777, 0), 777);
}

static void test_ceil_step(void **state)
{
    (void)state;
    assert_int_equal(money_ceil_step(12301, 100), 12400);
    assert_int_equal(money_ceil_step(12300, 100), 12300);
    assert_int_equal(money_ceil_step(-12399, 100), -12300);
    assert_int_equal(money_ceil_step(-12300, 100), -12300);
    assert_int_equal(money_ceil_step(1, 5), 5);
    assert_int_equal(money_ceil_step(-4, 5), 0);
    assert_int_equal(money_ceil_step(777, -1), 777);
}

static void test_fine_units(void **state)
{
    (void)state;
    int64_t fine = 0;
    assert_null(money_to_fine(1995, &fine));
    assert_int_equal(fine, 1995 * (int64_t)MONEY_FINE);
    assert_int_equal(money_to_minor(fine), 1995);
    /* half a minor unit rounds away from zero */
    assert_int_equal(money_to_minor(MONEY_FINE / 2), 1);
    assert_int_equal(money_to_minor(-MONEY_FINE / 2), -1);
    assert_int_equal(money_to_minor(MONEY_FINE / 2 - 1), 0);
    assert_non_null(money_to_fine(INT64_MAX / 2, &fine));
}

/* ---------------------------------------------------------------------- */
/* money_format                                                           */

static void fmt_eq(int64_t minor, int cur, bool code, const char *want)
{
    char buf[64];
    memset(buf, 'x', sizeof buf);
    size_t n = money_format(minor, cur, code, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void test_format(void **state)
{
    (void)state;
    fmt_eq(1995, EUR, true, "19.95 EUR");
    fmt_eq(1995, EUR, false, "19.95");
    fmt_eq(5, EUR, true, "0.05 EUR");
    fmt_eq(0, EUR, true, "0.00 EUR");
    fmt_eq(-5, EUR, true, "-0.05 EUR");
    fmt_eq(-1995, EUR, false, "-19.95");
    fmt_eq(4000, EUR, true, "40.00 EUR");
    fmt_eq(500, JPY, true, "500 JPY");
    fmt_eq(-500, JPY, false, "-500");
    fmt_eq(1234, KWD, true, "1.234 KWD");
    fmt_eq(5, KWD, true, "0.005 KWD");
}

static void test_format_extremes(void **state)
{
    (void)state;
    fmt_eq(INT64_MAX, EUR, true, "92233720368547758.07 EUR");
    fmt_eq(INT64_MIN, EUR, true, "-92233720368547758.08 EUR");
}

static void test_format_truncates_like_snprintf(void **state)
{
    (void)state;
    char buf[6];
    size_t n = money_format(1995, EUR, true, buf, sizeof buf);
    assert_int_equal(n, 9);           /* full length of "19.95 EUR" */
    assert_string_equal(buf, "19.95");
    assert_int_equal(money_format(1995, EUR, true, NULL, 0), 9);
}

static void test_format_parse_roundtrip(void **state)
{
    (void)state;
    static const int64_t amounts[] = {0, 1, -1, 99, 100, 12345, -98765, 100000000};
    for (size_t i = 0; i < sizeof amounts / sizeof amounts[0]; i++) {
        int curs[] = {EUR, JPY, KWD};
        for (int k = 0; k < 3; k++) {
            char buf[64];
            money_format(amounts[i], curs[k], true, buf, sizeof buf);
            parse_ok(buf, -1, amounts[i], curs[k]);
        }
    }
}

static void test_public_money_format(void **state)
{
    (void)state;
    char buf[64];
    lw_money m = {1995, "EUR", 2};
    assert_int_equal(lw_money_format(m, 1, buf, sizeof buf), 9);
    assert_string_equal(buf, "19.95 EUR");
    lw_money_format(m, 0, buf, sizeof buf);
    assert_string_equal(buf, "19.95");
    lw_money j = {500, "JPY", 0};
    lw_money_format(j, 1, buf, sizeof buf);
    assert_string_equal(buf, "500 JPY");
    /* an unknown or missing currency prints the minor units */
    lw_money u = {1995, NULL, 2};
    lw_money_format(u, 1, buf, sizeof buf);
    assert_string_equal(buf, "1995");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_currency_lookup),
        cmocka_unit_test(test_currency_unknown),
        cmocka_unit_test(test_parse_decimals),
        cmocka_unit_test(test_parse_with_code),
        cmocka_unit_test(test_parse_trailing_zero_decimals_allowed),
        cmocka_unit_test(test_parse_jpy_no_minor_unit),
        cmocka_unit_test(test_parse_kwd_three_digits),
        cmocka_unit_test(test_parse_negative_and_plus),
        cmocka_unit_test(test_parse_too_many_decimals),
        cmocka_unit_test(test_parse_unknown_code),
        cmocka_unit_test(test_parse_code_without_space),
        cmocka_unit_test(test_parse_no_currency),
        cmocka_unit_test(test_parse_garbage),
        cmocka_unit_test(test_parse_overflow),
        cmocka_unit_test(test_parse_respects_length),
        cmocka_unit_test(test_from_double_exact),
        cmocka_unit_test(test_from_double_large_amount_keeps_cents),
        cmocka_unit_test(test_from_double_too_many_decimals),
        cmocka_unit_test(test_from_double_not_finite_or_huge),
        cmocka_unit_test(test_mul_half_away_from_zero),
        cmocka_unit_test(test_mul_exact_decimals),
        cmocka_unit_test(test_mul_factor_close_to_integer),
        cmocka_unit_test(test_mul_overflow),
        cmocka_unit_test(test_mul_not_finite),
        cmocka_unit_test(test_div_half_away_from_zero),
        cmocka_unit_test(test_div_by_decimal),
        cmocka_unit_test(test_div_errors),
        cmocka_unit_test(test_round_step),
        cmocka_unit_test(test_floor_step),
        cmocka_unit_test(test_ceil_step),
        cmocka_unit_test(test_fine_units),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_extremes),
        cmocka_unit_test(test_format_truncates_like_snprintf),
        cmocka_unit_test(test_format_parse_roundtrip),
        cmocka_unit_test(test_public_money_format),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
