/*
** test_values.c -- durations and dates (value.c) and Unicode text (text.c):
** validation, NFC, case folding, graphemes, display width.
*/
#include "lw_test_util.h"

/* ---------------------------------------------------------------------- */
/* durations                                                              */

static int64_t dur(const char *s)
{
    int64_t secs = -424242;
    bool ok = duration_parse(s, strlen(s), &secs);
    if (!ok)
        print_message("duration_parse(\"%s\") failed\n", s);
    assert_true(ok);
    return secs;
}

static void dur_bad(const char *s)
{
    int64_t secs = -424242;
    bool ok = duration_parse(s, strlen(s), &secs);
    if (ok)
        print_message("duration_parse(\"%s\") unexpectedly gave %lld\n", s, (long long)secs);
    assert_false(ok);
    assert_int_equal(secs, -424242); /* untouched on failure */
}

static const char *dfmt(int64_t secs)
{
    static char buf[64];
    size_t n = duration_format(secs, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_duration_units(void **state)
{
    (void)state;
    assert_int_equal(dur("90min"), 5400);
    assert_int_equal(dur("3h"), 10800);
    assert_int_equal(dur("14d"), 14 * 86400);
    assert_int_equal(dur("30s"), 30);
    assert_int_equal(dur("2w"), 14 * 86400);
    assert_int_equal(dur("0s"), 0);
}

static void test_duration_compound(void **state)
{
    (void)state;
    assert_int_equal(dur("1d2h"), 86400 + 7200);
    assert_int_equal(dur("1h30min"), 5400);
    assert_int_equal(dur("2d3h4min5s"), 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
}

static void test_duration_fractions(void **state)
{
    (void)state;
    assert_int_equal(dur("1.5h"), 5400);
    assert_int_equal(dur("0.5d"), 43200);
    assert_int_equal(dur("1.25min"), 75);
}

static void test_duration_plain_number_is_seconds(void **state)
{
    (void)state;
    assert_int_equal(dur("3600"), 3600);
    assert_int_equal(dur("  45  "), 45);
}

static void test_duration_negative(void **state)
{
    (void)state;
    assert_int_equal(dur("-2h"), -7200);
    assert_int_equal(dur("-90min"), -5400);
}

static void test_duration_bad_input(void **state)
{
    (void)state;
    dur_bad("");
    dur_bad("h");
    dur_bad("3x");
    dur_bad("3 h");
    dur_bad("3H");
    dur_bad("1.2.3h");
    dur_bad("1h30");      /* a bare number only on its own */
    dur_bad("0.5s");      /* not a whole number of seconds */
    dur_bad("-");
    dur_bad("min");
    dur_bad("3hours");
    dur_bad("1e9d");
}

static void test_duration_too_large(void **state)
{
    (void)state;
    dur_bad("99999999999999999d");
}

static void test_duration_format(void **state)
{
    (void)state;
    assert_string_equal(dfmt(5400), "1h30min");
    assert_string_equal(dfmt(10800), "3h");
    assert_string_equal(dfmt(14 * 86400), "14d");
    assert_string_equal(dfmt(86400 + 7200), "1d2h");
    assert_string_equal(dfmt(90), "1min30s");
    assert_string_equal(dfmt(0), "0s");
    assert_string_equal(dfmt(1), "1s");
    assert_string_equal(dfmt(-7200), "-2h");
    assert_string_equal(dfmt(86400 + 1), "1d1s");
}

static void test_duration_roundtrip(void **state)
{
    (void)state;
    static const int64_t v[] = {1, 59, 60, 61, 3599, 3600, 86399, 86400, 93784, 1209600};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        char buf[64];
        duration_format(v[i], buf, sizeof buf);
        assert_int_equal(dur(buf), v[i]);
        duration_format(-v[i], buf, sizeof buf);
        assert_int_equal(dur(buf), -v[i]);
    }
}

static void test_duration_format_truncates(void **state)
{
    (void)state;
    char buf[4];
    size_t n = duration_format(5400, buf, sizeof buf);
    assert_int_equal(n, 7);
    assert_string_equal(buf, "1h3");
}

/* ---------------------------------------------------------------------- */
/* dates                                                                  */

static int64_t date(const char *s)
{
    int64_t secs = -424242;
    bool ok = date_parse(s, strlen(s), &secs);
    if (!ok)
        print_message("date_parse(\"%s\") failed\n", s);
    assert_true(ok);
    return secs;
}

static void date_bad(const char *s)
{
    int64_t secs = -424242;
    bool ok = date_parse(s, strlen(s), &secs);
    if (ok)
        print_message("date_parse(\"%s\") unexpectedly gave %lld\n", s, (long long)secs);
    assert_false(ok);
}

static const char *datefmt(int64_t secs)
{
    static char buf[64];
    size_t n = date_format(secs, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    return buf;
}

static void test_date_basic(void **state)
{
    (void)state;
    assert_int_equal(date("1970-01-01"), 0);
    assert_int_equal(date("2026-11-23"), 1795392000);
    assert_int_equal(date("2026-01-01"), 1767225600);
    assert_int_equal(date("1969-12-31"), -86400);
}

static void test_date_leap_years(void **state)
{
    (void)state;
    assert_int_equal(date("2024-02-29"), 1709164800);
    assert_int_equal(date("2000-02-29"), 951782400);   /* divisible by 400 */
    date_bad("2023-02-29");
    date_bad("1900-02-29");                             /* divisible by 100 */
    date_bad("2100-02-29");
    assert_int_equal(date("2024-03-01") - date("2024-02-28"), 2 * 86400);
    assert_int_equal(date("2023-03-01") - date("2023-02-28"), 86400);
}

static void test_date_invalid_days(void **state)
{
    (void)state;
    date_bad("2026-02-30");
    date_bad("2026-04-31");
    date_bad("2026-06-31");
    date_bad("2026-09-31");
    date_bad("2026-11-31");
    date_bad("2026-01-32");
    date_bad("2026-01-00");
    date_bad("2026-13-01");
    date_bad("2026-00-10");
}

static void test_date_bad_syntax(void **state)
{
    (void)state;
    date_bad("");
    date_bad("2026/11/23");
    date_bad("26-11-23");
    date_bad("2026-1-23");
    date_bad("2026-11-23X");
    date_bad("2026-11-23T");
    date_bad("2026-11-23T25:00");
    date_bad("2026-11-23T10:60");
    date_bad("2026-11-23T10:30+2:00");
    date_bad("2026-11-23T10:30+02");
    date_bad("2026-11-23T10:30Zjunk");
    date_bad("today");
}

static void test_date_time_utc(void **state)
{
    (void)state;
    int64_t day = date("2026-11-23");
    assert_int_equal(date("2026-11-23T10:30Z"), day + 10 * 3600 + 30 * 60);
    assert_int_equal(date("2026-11-23T10:30:15Z"), day + 10 * 3600 + 30 * 60 + 15);
    assert_int_equal(date("2026-11-23T10:30:15.250Z"), day + 10 * 3600 + 30 * 60 + 15);
    /* no zone: read as UTC */
    assert_int_equal(date("2026-11-23T10:30"), day + 10 * 3600 + 30 * 60);
    assert_int_equal(date("2026-11-23 10:30"), day + 10 * 3600 + 30 * 60);
}

static void test_date_time_offsets(void **state)
{
    (void)state;
    int64_t day = date("2026-11-23");
    /* 10:30:15+02:00 is 08:30:15Z */
    assert_int_equal(date("2026-11-23T10:30:15+02:00"), day + 8 * 3600 + 30 * 60 + 15);
    /* 00:30-01:00 is 01:30Z */
    assert_int_equal(date("2026-11-23T00:30-01:00"), day + 3600 + 30 * 60);
    /* 01:00+05:30 is the previous day 19:30Z */
    assert_int_equal(date("2026-11-23T01:00+05:30"), day - 4 * 3600 - 30 * 60);
}

/* Dates are the years 1 to 9999, in UTC: year 0 is no date, and neither is
** a time whose offset takes it outside. */
static void test_date_years_1_to_9999(void **state)
{
    (void)state;
    assert_string_equal(datefmt(date("0001-01-01")), "0001-01-01");
    assert_string_equal(datefmt(date("9999-12-31T23:59:59Z")), "9999-12-31T23:59:59Z");
    date_bad("0000-06-01");
    date_bad("0001-01-01T00:30+01:00");
    date_bad("9999-12-31T23:30-01:00");
    assert_true(date_in_range(date("0001-01-01")));
    assert_false(date_in_range(date("0001-01-01") - 1));
    assert_false(date_in_range(date("9999-12-31") + 86400));
}

static void test_date_format(void **state)
{
    (void)state;
    assert_string_equal(datefmt(1795392000), "2026-11-23");
    assert_string_equal(datefmt(0), "1970-01-01");
    assert_string_equal(datefmt(-86400), "1969-12-31");
    assert_string_equal(datefmt(1709164800), "2024-02-29");
    assert_string_equal(datefmt(1795392000 + 8 * 3600 + 30 * 60 + 15), "2026-11-23T08:30:15Z");
    assert_string_equal(datefmt(-1), "1969-12-31T23:59:59Z");
}

static void test_date_roundtrip(void **state)
{
    (void)state;
    static const char *const d[] = {"2026-11-23", "2024-02-29", "2000-01-01", "1999-12-31",
                                    "2026-11-23T08:30:15Z", "1969-07-20T20:17:40Z"};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++)
        assert_string_equal(datefmt(date(d[i])), d[i]);
}

static void test_days_from_civil(void **state)
{
    (void)state;
    assert_int_equal(days_from_civil(1970, 1, 1), 0);
    assert_int_equal(days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(days_from_civil(1969, 12, 31), -1);
}

/* ---------------------------------------------------------------------- */
/* text                                                                   */

static arena A;
static lw_mem M;

static int text_setup(void **state)
{
    (void)state;
    lw_mem_init(&M, NULL);
    arena_init(&A, &M);
    return 0;
}

static int text_teardown(void **state)
{
    (void)state;
    arena_free(&A);
    return 0;
}

static void test_utf8_valid(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_true(text_valid_utf8("abc", 3, &bad));
    assert_int_equal(bad, 99); /* untouched */
    assert_true(text_valid_utf8("", 0, NULL));
    assert_true(text_valid_utf8("\xc3\xa9t\xc3\xa9", 5, NULL));          /* été */
    assert_true(text_valid_utf8("\xe2\x82\xac", 3, NULL));              /* € */
    assert_true(text_valid_utf8("\xf0\x9f\x98\x80", 4, NULL));          /* 😀 */
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_false(text_valid_utf8("ab\xff", 3, &bad));
    assert_int_equal(bad, 2);
    assert_false(text_valid_utf8("\xc0\xaf", 2, &bad));   /* overlong '/' */
    assert_int_equal(bad, 0);
    assert_false(text_valid_utf8("a\xed\xa0\x80", 4, &bad)); /* surrogate */
    assert_int_equal(bad, 1);
    assert_false(text_valid_utf8("xy\xe2\x82", 4, &bad)); /* truncated € */
    assert_int_equal(bad, 2);
    assert_false(text_valid_utf8("\x80", 1, NULL));       /* lone continuation */
    assert_false(text_valid_utf8("\xf4\x90\x80\x80", 4, NULL)); /* > U+10FFFF */
}

static void test_utf8_nul_is_invalid(void **state)
{
    (void)state;
    size_t bad = 99;
    assert_false(text_valid_utf8("ab\0c", 4, &bad));
    assert_int_equal(bad, 2);
}

static void test_nfc_composes(void **state)
{
    (void)state;
    size_t n = 0;
    char *s = text_nfc(&A, "e\xcc\x81", 3, &n); /* e + COMBINING ACUTE */
    assert_non_null(s);
    assert_string_equal(s, "\xc3\xa9");         /* é */
    assert_int_equal(n, 2);
    const char *ang = "A\xcc\x8angstr\xc3\xb6m"; /* Å decomposed */
    s = text_nfc(&A, ang, strlen(ang), &n);
    assert_non_null(s);
    assert_string_equal(s, "\xc3\x85ngstr\xc3\xb6m");
    assert_int_equal(n, 10);
}

static void test_nfc_already_normal(void **state)
{
    (void)state;
    size_t n = 0;
    char *s = text_nfc(&A, "caf\xc3\xa9", 5, &n);
    assert_string_equal(s, "caf\xc3\xa9");
    assert_int_equal(n, 5);
    s = text_nfc(&A, "plain ascii", 11, &n);
    assert_string_equal(s, "plain ascii");
    assert_int_equal(n, 11);
    s = text_nfc(&A, "", 0, &n);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
}

static void test_nfc_respects_length(void **state)
{
    (void)state;
    size_t n = 0;
    char *s = text_nfc(&A, "abcdef", 3, &n);
    assert_string_equal(s, "abc");
    assert_int_equal(n, 3);
}

static void test_nfc_invalid(void **state)
{
    (void)state;
    size_t n = 77;
    assert_null(text_nfc(&A, "a\xff", 2, &n));
    assert_null(text_nfc(&A, "e\xcc", 2, &n));
}

static void test_fold(void **state)
{
    (void)state;
    assert_string_equal(text_fold(&A, "GOLD", 4), "gold");
    assert_string_equal(text_fold(&A, "Gold", 4), "gold");
    assert_string_equal(text_fold(&A, "gold", 4), "gold");
    assert_string_equal(text_fold(&A, "\xc3\x89""COLE", 6), "\xc3\xa9""cole"); /* ÉCOLE */
    assert_string_equal(text_fold(&A, "Stra\xc3\x9f""e", 7), "strasse");       /* Straße */
    /* folding also composes: E + combining acute == É */
    assert_string_equal(text_fold(&A, "E\xcc\x81", 3), "\xc3\xa9");
    assert_null(text_fold(&A, "\xff", 1));
}

static void test_fold_equal_words(void **state)
{
    (void)state;
    /* ΣΟΦΙΑ and σοφια fold to the same word */
    const char *upper = "\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91";
    const char *lower = "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1";
    assert_string_equal(text_fold(&A, upper, strlen(upper)), text_fold(&A, lower, strlen(lower)));
}

static void test_lower(void **state)
{
    (void)state;
    size_t n = 0;
    char *s = text_lower(&A, "Hello \xc3\x84ITI", 11, &n); /* Hello ÄITI */
    assert_string_equal(s, "hello \xc3\xa4iti");
    assert_int_equal(n, 11);
}

static size_t g(const char *s)
{
    return text_graphemes(s, strlen(s));
}

static void test_graphemes_ascii(void **state)
{
    (void)state;
    assert_int_equal(g(""), 0);
    assert_int_equal(g("a"), 1);
    assert_int_equal(g("hello"), 5);
    assert_int_equal(g("\r\n"), 1);
}

static void test_graphemes_combining(void **state)
{
    (void)state;
    assert_int_equal(g("e\xcc\x81"), 1);                 /* e + acute */
    assert_int_equal(g("e\xcc\x81\xcc\xa3"), 1);         /* e + acute + dot below */
    assert_int_equal(g("cafe\xcc\x81"), 4);
    assert_int_equal(g("\xc3\xa9t\xc3\xa9"), 3);         /* été */
}

static void test_graphemes_emoji(void **state)
{
    (void)state;
    /* 👨‍👩‍👧 man ZWJ woman ZWJ girl: one grapheme */
    assert_int_equal(g("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"), 1);
    /* 👍🏽 thumbs up + skin tone */
    assert_int_equal(g("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"), 1);
    /* 🇫🇮 flag = two regional indicators */
    assert_int_equal(g("\xf0\x9f\x87\xab\xf0\x9f\x87\xae"), 1);
    /* 🇫🇮🇸🇪 two flags */
    assert_int_equal(g("\xf0\x9f\x87\xab\xf0\x9f\x87\xae\xf0\x9f\x87\xb8\xf0\x9f\x87\xaa"), 2);
    /* a😀b */
    assert_int_equal(g("a\xf0\x9f\x98\x80" "b"), 3);
}

static void test_graphemes_respects_length(void **state)
{
    (void)state;
    assert_int_equal(text_graphemes("abcdef", 2), 2);
}

static void test_display_width(void **state)
{
    (void)state;
    assert_int_equal(lw_display_width(""), 0);
    assert_int_equal(lw_display_width("abc"), 3);
    assert_int_equal(lw_display_width("\xe6\xbc\xa2\xe5\xad\x97"), 4);   /* 漢字 */
    assert_int_equal(lw_display_width("e\xcc\x81"), 1);                  /* é decomposed */
    assert_int_equal(lw_display_width("\xf0\x9f\x98\x80"), 2);           /* 😀 */
    assert_int_equal(lw_display_width("\xc3\xa4iti"), 4);
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(lw_edit_distance("abc", "abc"), 0);
    assert_int_equal(lw_edit_distance("customer.age", "customer.ag"), 1);
    assert_int_equal(lw_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(lw_edit_distance("", "abc"), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_units),
        cmocka_unit_test(test_duration_compound),
        cmocka_unit_test(test_duration_fractions),
        cmocka_unit_test(test_duration_plain_number_is_seconds),
        cmocka_unit_test(test_duration_negative),
        cmocka_unit_test(test_duration_bad_input),
        cmocka_unit_test(test_duration_too_large),
        cmocka_unit_test(test_duration_format),
        cmocka_unit_test(test_duration_roundtrip),
        cmocka_unit_test(test_duration_format_truncates),
        cmocka_unit_test(test_date_basic),
        cmocka_unit_test(test_date_leap_years),
        cmocka_unit_test(test_date_invalid_days),
        cmocka_unit_test(test_date_bad_syntax),
        cmocka_unit_test(test_date_time_utc),
        cmocka_unit_test(test_date_time_offsets),
        cmocka_unit_test(test_date_years_1_to_9999),
        cmocka_unit_test(test_date_format),
        cmocka_unit_test(test_date_roundtrip),
        cmocka_unit_test(test_days_from_civil),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_utf8_nul_is_invalid),
        cmocka_unit_test(test_nfc_composes),
        cmocka_unit_test(test_nfc_already_normal),
        cmocka_unit_test(test_nfc_respects_length),
        cmocka_unit_test(test_nfc_invalid),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_fold_equal_words),
        cmocka_unit_test(test_lower),
        cmocka_unit_test(test_graphemes_ascii),
        cmocka_unit_test(test_graphemes_combining),
        cmocka_unit_test(test_graphemes_emoji),
        cmocka_unit_test(test_graphemes_respects_length),
        cmocka_unit_test(test_display_width),
        cmocka_unit_test(test_distance),
    };
    return cmocka_run_group_tests(tests, text_setup, text_teardown);
}
