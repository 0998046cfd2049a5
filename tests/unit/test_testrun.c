/*
** test_testrun.c -- how `leeway test` compares numbers (testrun.c): exactly,
** digit for digit, and within a tolerance only where a test asks for one
** (`{approximately: X, within: T}`), the same way above and below.
*/
#include "lw_test_util.h"

#include <unistd.h>

static const char PLAYBOOK[] =
    "playbook: compare\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  x: { type: number }\n"
    "  price: { type: money }\n"
    "outputs:\n"
    "  same: { value: \"x\" }\n"
    "  third: { value: \"x / 3\" }\n"
    "  twice: { value: \"price * 2\" }\n"
    "policies: []\n"
    "tests:\n"
    /* exact: the expected text is the number, digit for digit */
    "  - { name: exact tenth decimal, case: { x: 1.0000000009 }, expect: { outputs: { same: 1.0000000009 } } }\n"
    "  - { name: differs after the ninth decimal, case: { x: 1.0000000009 }, expect: { outputs: { same: 1.000000001 } } }\n"
    "  - { name: differs in the tenth decimal, case: { x: 1.0000000001 }, expect: { outputs: { same: 1.0000000002 } } }\n"
    "  - { name: trailing zeros do not matter, case: { x: 2.50 }, expect: { outputs: { same: 2.5000 } } }\n"
    "  - { name: 34 digits, case: { x: 1 }, expect: { outputs: { third: 0.3333333333333333333333333333333333 } } }\n"
    "  - { name: a shorter third is not equal, case: { x: 1 }, expect: { outputs: { third: 0.3333333333 } } }\n"
    /* a tolerance, asked for */
    "  - { name: within, case: { x: 1 }, expect: { outputs: { third: { approximately: 0.3333, within: 0.0001 } } } }\n"
    "  - { name: not within, case: { x: 1 }, expect: { outputs: { third: { approximately: 0.3333, within: 0.00001 } } } }\n"
    "  - { name: edge above, case: { x: 1.5 }, expect: { outputs: { same: { approximately: 1, within: 0.5 } } } }\n"
    "  - { name: edge below, case: { x: 0.5 }, expect: { outputs: { same: { approximately: 1, within: 0.5 } } } }\n"
    "  - { name: past the edge, case: { x: 1.5000001 }, expect: { outputs: { same: { approximately: 1, within: 0.5 } } } }\n"
    "  - { name: money within, case: { price: 1.01 EUR }, expect: { outputs: { twice: { approximately: 2 EUR, within: 0.02 } } } }\n"
    "  - { name: money exact, case: { price: 1.01 EUR }, expect: { outputs: { twice: 2.02 EUR } } }\n"
    "  - { name: negative tolerance, case: { x: 1 }, expect: { outputs: { same: { approximately: 1, within: -1 } } } }\n";

/* Which tests pass, by name; and the failure message of the last failed one asked. */
typedef struct outcome {
    char names[32][64];
    int passed[32];
    char failures[32][256];
    int n;
} outcome;

static void collect(void *ud, const lw_test_result *r)
{
    outcome *o = ud;
    if (o->n >= 32)
        return;
    snprintf(o->names[o->n], sizeof o->names[0], "%s", r->name);
    o->passed[o->n] = r->passed;
    snprintf(o->failures[o->n], sizeof o->failures[0], "%s", r->failure ? r->failure : "");
    o->n++;
}

static int find(const outcome *o, const char *name)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->names[i], name) == 0)
            return i;
    print_message("no test named %s\n", name);
    fail();
    return -1;
}

static outcome run(void)
{
    char dir[] = "/tmp/lw_testrunXXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/compare.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(PLAYBOOK, f);
    fclose(f);
    outcome o;
    memset(&o, 0, sizeof o);
    lw_engine *e = lw_engine_new(NULL);
    int passed = 0, failed = 0;
    lw_report *r = NULL;
    int rc = lw_test_file(e, path, NULL, collect, NULL, &o, &passed, &failed, &r);
    if (rc != LW_OK)
        tu_print_report(r);
    assert_int_equal(rc, LW_OK);
    assert_int_equal(passed + failed, o.n);
    lw_report_free(r);
    lw_engine_free(e);
    remove(path);
    rmdir(dir);
    return o;
}

static void expect_pass(const outcome *o, const char *name, int pass)
{
    int i = find(o, name);
    if (o->passed[i] != pass)
        print_message("%s: %s (%s)\n", name, pass ? "should pass" : "should fail", o->failures[i]);
    assert_int_equal(o->passed[i], pass);
}

static void test_exact_comparison(void **state)
{
    (void)state;
    outcome o = run();
    expect_pass(&o, "exact tenth decimal", 1);
    expect_pass(&o, "differs after the ninth decimal", 0);
    expect_pass(&o, "differs in the tenth decimal", 0);
    expect_pass(&o, "trailing zeros do not matter", 1);
    expect_pass(&o, "34 digits", 1);
    expect_pass(&o, "a shorter third is not equal", 0);
    expect_pass(&o, "money exact", 1);
    /* the failure shows the actual number exactly */
    assert_non_null(strstr(o.failures[find(&o, "differs in the tenth decimal")],
                           "expected 1.0000000002, got 1.0000000001"));
}

static void test_tolerance_only_when_asked(void **state)
{
    (void)state;
    outcome o = run();
    expect_pass(&o, "within", 1);
    expect_pass(&o, "not within", 0);
    expect_pass(&o, "edge above", 1);
    expect_pass(&o, "edge below", 1);
    expect_pass(&o, "past the edge", 0);
    expect_pass(&o, "money within", 1);
    expect_pass(&o, "negative tolerance", 0);
    assert_non_null(strstr(o.failures[find(&o, "not within")], "expected 0.3333 within 0.00001"));
    assert_non_null(strstr(o.failures[find(&o, "negative tolerance")], "zero or more"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_comparison),
        cmocka_unit_test(test_tolerance_only_when_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
