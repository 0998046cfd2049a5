/*
** test_limits.c -- the limits a playbook's options put on its cases (case
** size, keys, values, text length, list length, problems listed), applied by
** the library whichever way a case comes in (JSON text, a YAML or JSON file,
** the setters), and NUL characters refused in JSON and YAML with a position.
*/
#include "lw_test_util.h"

#include <unistd.h>

static const char *const PB =
    "playbook: limits\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  customer.name: { type: string }\n"
    "  customer.tags: { type: list }\n"
    "  customer.age:  { type: number }\n"
    "  channel:       { type: enum, values: [store, phone] }\n"
    "policies:\n"
    "  - { id: p, applies: customer.age > 100, outcome: deny }\n";

/* The fixture, with the playbook loaded with opt; its case. */
static lw_case *open_case(const lw_options *opt)
{
    if (tu_F.pb)
        tu_fix_close(&tu_F);
    tu_F.pb = tu_load_opt(PB, opt);
    tu_F.e = lw_engine_new(NULL);
    tu_F.c = lw_case_new(tu_F.pb);
    assert_non_null(tu_F.e);
    assert_non_null(tu_F.c);
    return tu_F.c;
}

static int read_json(lw_case *c, const char *text, const char **msg)
{
    return lw_case_read_json(c, "case.json", text, strlen(text), msg);
}

/* A YAML case file with this text, read into c. */
static int read_yaml(lw_case *c, const char *text, const char **msg)
{
    char path[] = "/tmp/leeway_limits_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = lw_case_read_file(c, path, msg);
    unlink(path);
    return rc;
}

static bool has_problem(const lw_case *c, const char *needle)
{
    for (size_t i = 0; i < lw_case_problem_count(c); i++)
        if (strstr(lw_case_problem(c, i), needle))
            return true;
    return false;
}

static void test_defaults(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    assert_int_equal(o.max_file, 16 << 20);
    assert_int_equal(o.max_scalar, 64 * 1024);
    assert_int_equal(o.max_nodes, 1000000);
    assert_int_equal(o.max_list, 1024);
    assert_int_equal(o.max_keys, 10000);
    assert_int_equal(o.max_problems, 20);
}

static void test_case_size(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.max_file = 512; /* the playbook file too */
    lw_case *c = open_case(&o);
    const char *msg;
    char text[600];
    snprintf(text, sizeof text, "{\"customer\": {\"name\": \"%-500s\"}}", "Aino");
    assert_int_equal(read_json(c, text, &msg), LW_ERR_CASE);
    assert_string_equal(msg, "case.json:1:1: error: the case is larger than 512 bytes (the "
                             "limit); a case holds the facts of one situation: leave out "
                             "what the playbook does not declare");
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"name\": \"Aino\"}}", &msg), LW_OK);
    /* a case file too */
    lw_case_reset(c);
    assert_int_equal(read_yaml(c, text, &msg), LW_ERR_IO);
    assert_non_null(strstr(msg, "larger than the limit of 512 bytes"));
}

static void test_case_keys(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.max_keys = 3;
    lw_case *c = open_case(&o);
    const char *msg;
    const char *four = "{\"customer\": {\"name\": \"A\", \"age\": 3},\n \"x\": 1}";
    assert_int_equal(read_json(c, four, &msg), LW_ERR_CASE);
    assert_string_equal(msg, "case.json:2:5: error: the case has more than 3 keys (the limit); "
                             "a case holds the facts of one situation: leave out what the "
                             "playbook does not declare");
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"name\": \"A\", \"age\": 3}}", &msg), LW_OK);
    lw_case_reset(c);
    assert_int_equal(read_yaml(c, "customer:\n  name: A\n  age: 3\nx: 1\n", &msg), LW_ERR_CASE);
    assert_true(has_problem(c, "the case has more than 3 keys (the limit)"));
    /* a colon inside a text is not a key */
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"name\": \"a:b:c:d\"}}", &msg), LW_OK);
}

static void test_case_values(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.max_nodes = 40; /* the playbook has fewer */
    lw_case *c = open_case(&o);
    const char *msg;
    char text[300] = "{\"customer\": {\"tags\": [\"0\"";
    for (int i = 1; i < 45; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), ",\"%d\"", i % 10);
    strcat(text, "]}}");
    assert_int_equal(read_json(c, text, &msg), LW_ERR_CASE);
    /* 6 values up to the list's first item, 34 more: the 35th comma is one too many */
    assert_string_equal(msg, "case.json:1:163: error: the case has more than 40 values (the "
                             "limit); a case holds the facts of one situation: leave out what "
                             "the playbook does not declare");
}

static void test_text_length(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.max_scalar = 20; /* the playbook's longest scalar has 18 bytes */
    lw_case *c = open_case(&o);
    const char *msg;
    static const char *const t20 = "12345678901234567890", *const t21 = "123456789012345678901";
    assert_int_equal(lw_case_set_string(c, "customer.name", t20), LW_OK);
    assert_int_equal(lw_case_set_string(c, "customer.name", t21), LW_ERR_CASE);
    assert_string_equal(lw_case_problem(c, 0), "customer.name: the text is 21 bytes long, more "
                                               "than the limit of 20 bytes");
    lw_case_reset(c);
    assert_int_equal(lw_case_set_text(c, "customer.name", t21), LW_ERR_CASE);
    char text[200];
    snprintf(text, sizeof text, "{\"customer\": {\"name\": \"%s\"}}", t21);
    lw_case_reset(c);
    assert_int_equal(read_json(c, text, &msg), LW_ERR_CASE);
    assert_true(has_problem(c, "customer.name: the text is 21 bytes long"));
    snprintf(text, sizeof text, "{\"customer\": {\"tags\": [\"a\", \"%s\"]}}", t21);
    lw_case_reset(c);
    assert_int_equal(read_json(c, text, &msg), LW_ERR_CASE);
    assert_true(has_problem(c, "customer.tags: item 2 of the list is 21 bytes long, more than "
                               "the limit of 20 bytes"));
    /* the decision is invalid and lists it */
    const lw_decision *d = tu_decide(&tu_F);
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_problems, 1);
    snprintf(text, sizeof text, "customer: { name: \"%s\" }\n", t20);
    lw_case_reset(c);
    assert_int_equal(read_yaml(c, text, &msg), LW_OK);
    snprintf(text, sizeof text, "customer: { name: \"%s\" }\n", t21);
    lw_case_reset(c);
    assert_int_equal(read_yaml(c, text, &msg), LW_ERR_CASE);
    assert_non_null(strstr(msg, "a value of 21 bytes is longer than the limit of 20 bytes"));
}

static void test_list_length(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.max_list = 2;
    lw_case *c = open_case(&o);
    const char *msg;
    assert_int_equal(read_json(c, "{\"customer\": {\"tags\": [\"a\", \"b\"]}}", &msg), LW_OK);
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"tags\": [\"a\", \"b\", \"c\"]}}", &msg),
                     LW_ERR_CASE);
    assert_string_equal(lw_case_problem(c, 0), "customer.tags: the list has 3 items, more than "
                                               "the limit of 2");
    lw_case_reset(c);
    assert_int_equal(lw_case_set_text(c, "customer.tags", "[\"a\", \"b\", \"c\"]"), LW_ERR_CASE);
    assert_true(has_problem(c, "the list has 3 items"));
    lw_case_reset(c);
    assert_int_equal(read_yaml(c, "customer: { tags: [a, b, c] }\n", &msg), LW_ERR_CASE);
    assert_true(has_problem(c, "the list has 3 items"));
}

/* At most max_problems problems, then one entry counting the rest; the
** decision stays small, however many undeclared keys the case has. */
static void test_problems_bounded(void **state)
{
    (void)state;
    lw_case *c = open_case(NULL);
    enum { KEYS = 5000 };
    size_t cap = KEYS * 16 + 16;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = (size_t)snprintf(text, cap, "{");
    for (int i = 0; i < KEYS; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s\"k%d\": %d", i ? "," : "", i, i);
    snprintf(text + n, cap - n, "}");
    const char *msg;
    assert_int_equal(read_json(c, text, &msg), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(c), 21);
    assert_string_equal(lw_case_problem(c, 0), "k0: not a fact of this playbook (declared facts "
                                               "are listed under facts:)");
    assert_string_equal(lw_case_problem(c, 20), "and 4980 more problems");
    const lw_decision *d = tu_decide(&tu_F);
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_problems, 21);
    size_t len;
    const char *json = lw_decision_json(tu_F.e, d, 0, &len);
    assert_non_null(strstr(json, "\"and 4980 more problems\""));
    assert_true(len < strlen(text) / 10);
    free(text);

    lw_options o;
    lw_options_init(&o);
    o.max_problems = 2;
    c = open_case(&o);
    lw_case_set_number(c, "x1", 1);
    lw_case_set_number(c, "x2", 1);
    assert_int_equal(lw_case_problem_count(c), 2);
    lw_case_set_number(c, "x3", 1);
    assert_int_equal(lw_case_problem_count(c), 3);
    assert_string_equal(lw_case_problem(c, 2), "and 1 more problem");
    lw_case_set_number(c, "x4", 1);
    assert_int_equal(lw_case_problem_count(c), 3);
    assert_string_equal(lw_case_problem(c, 2), "and 2 more problems");
    lw_case_reset(c);
    assert_int_equal(lw_case_problem_count(c), 0);
    lw_case_set_number(c, "x5", 1);
    assert_string_equal(lw_case_problem(c, 0), "x5: not a fact of this playbook (declared facts "
                                               "are listed under facts:)");
}

static void test_nul_in_json(void **state)
{
    (void)state;
    lw_case *c = open_case(NULL);
    const char *msg;
    static const char raw_key[] = "{\"customer\": {\"name\0junk\": \"Aino\"}}";
    assert_int_equal(lw_case_read_json(c, "case.json", raw_key, sizeof raw_key - 1, &msg),
                     LW_ERR_CASE);
    assert_string_equal(msg, "case.json:1:20: error: a NUL byte (0x00): JSON does not allow it, "
                             "not even inside a text; remove it (is this a text file?)");
    static const char raw_text[] = "{\"customer\": {\"name\": \"5\0 junk\"}}";
    lw_case_reset(c);
    assert_int_equal(lw_case_read_json(c, "case.json", raw_text, sizeof raw_text - 1, &msg),
                     LW_ERR_CASE);
    assert_non_null(strstr(msg, "case.json:1:25: error: a NUL byte"));
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"na\\u0000me\": \"Aino\"}}", &msg),
                     LW_ERR_CASE);
    assert_string_equal(msg, "case.json:1:18: error: \\u0000 (a NUL character) cannot be part "
                             "of a key or a text value; remove it");
    /* an escaped backslash before u0000 is the text \u0000, not a NUL */
    lw_case_reset(c);
    assert_int_equal(read_json(c, "{\"customer\": {\"name\": \"a\\\\u0000\"}}", &msg), LW_OK);
    lw_value v;
    assert_int_equal(lw_case_value(c, (size_t)lw_fact_index(tu_F.pb, "customer.name"), &v), 1);
    assert_string_equal(v.text, "a\\u0000");
    lw_case_reset(c);
    assert_int_equal(lw_case_set_text(c, "customer.tags", "[\"a\\u0000b\"]"), LW_ERR_CASE);
    assert_true(has_problem(c, "customer.tags: \\u0000 (a NUL character) cannot be part of a "
                               "text value"));
}

static void test_nul_in_yaml(void **state)
{
    (void)state;
    static const char *const escapes[] = {"\\0", "\\x00", "\\u0000", "\\U00000000"};
    for (int i = 0; i < 4; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "playbook: nul\nversion: \"1\"\nfacts:\n  \"a%sb\": { type: number }\n"
                 "  a: { type: number }\n",
                 escapes[i]);
        lw_report *r = tu_load_fail(text);
        const lw_diag *d = tu_first_error(r);
        assert_int_equal(d->line, 4);
        assert_int_equal(d->column, 5);
        assert_string_equal(d->message, "a NUL character (written \\0, \\x00 or \\u0000) cannot "
                                        "be part of a key or a value; remove it");
        tu_report_free(r);
    }
    static const char raw_nul[] = "playbook: nul\nversion: \"1\"\nfacts:\n  a\0b: { type: number }\n";
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string("nul.yaml", raw_nul, sizeof raw_nul - 1, NULL, &pb, &r),
                     LW_ERR_PLAYBOOK);
    const lw_diag *d = tu_first_error(r);
    assert_int_equal(d->line, 4);
    assert_int_equal(d->column, 4);
    assert_non_null(strstr(d->message, "a NUL byte (0x00)"));
    lw_report_free(r);
    /* and in a YAML case */
    lw_case *c = open_case(NULL);
    const char *msg;
    assert_int_equal(read_yaml(c, "customer:\n  name: \"Ai\\0no\"\n", &msg), LW_ERR_CASE);
    assert_non_null(strstr(msg, ":2:12: error: a NUL character"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_defaults, tu_teardown),
        cmocka_unit_test_teardown(test_case_size, tu_teardown),
        cmocka_unit_test_teardown(test_case_keys, tu_teardown),
        cmocka_unit_test_teardown(test_case_values, tu_teardown),
        cmocka_unit_test_teardown(test_text_length, tu_teardown),
        cmocka_unit_test_teardown(test_list_length, tu_teardown),
        cmocka_unit_test_teardown(test_problems_bounded, tu_teardown),
        cmocka_unit_test_teardown(test_nul_in_json, tu_teardown),
        cmocka_unit_test_teardown(test_nul_in_yaml, tu_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
