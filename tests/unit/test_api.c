/*
** test_api.c -- the public API as a contract (engine/include/leeway.h):
** NULL arguments, result codes, defaults, report and case accessors, case
** reading errors, a counting allocator (no allocation per decision once warm)
** and a fault-injecting allocator (every allocation failure is an error code,
** never a crash or a leak).
*/
#define _DEFAULT_SOURCE /* mmap's MAP_ANONYMOUS */
#include "lw_test_util.h"

#include <sys/mman.h>
#include <unistd.h>

static const char *const PB_TEXT =
    "playbook: api-test\n"
    "version: \"2026.11\"\n"
    "currency: EUR\n"
    "locale: fi\n"
    "facts:\n"
    "  request.kind:          { type: enum, values: [terminate, fee_waiver, refund] }\n"
    "  request.by_proxy:      { type: bool, default: false }\n"
    "  customer.age:          { type: number, min: 0, max: 130 }\n"
    "  customer.vulnerable:   { type: bool, default: false }\n"
    "  customer.name:         { type: string, max_length: 40 }\n"
    "  customer.tier:         { type: enum, values: [basic, gold], default: basic }\n"
    "  customer.goodwill_12m: { type: money, default: 0 EUR }\n"
    "  incident.hours:        { type: number, default: 0 }\n"
    "  incident.delay:        { type: duration }\n"
    "  order.value:           { type: money }\n"
    "  channel:               { type: enum, values: [store, phone, chat, web] }\n"
    "  staff.role:            { type: role }\n"
    "  locale:                { type: string, default: fi }\n"
    "  date:                  { type: date }\n"
    "roles:\n"
    "  - id: frontline\n"
    "    goodwill_limit: 20 EUR\n"
    "  - id: senior\n"
    "    goodwill_limit: 50 EUR\n"
    "    may_override: [proxy_termination]\n"
    "  - id: manager\n"
    "    goodwill_limit: 500 EUR\n"
    "    may_override: all\n"
    "policies:\n"
    "  - id: proxy_termination\n"
    "    applies: request.kind == terminate and request.by_proxy\n"
    "    outcome: deny\n"
    "    channels: [store, phone, chat]\n"
    "    reason: { fi: \"Ei valtakirjalla.\", en: \"Not by proxy.\" }\n"
    "    exceptions:\n"
    "      - id: poa_for_elderly\n"
    "        when: customer.age >= 75 or customer.vulnerable\n"
    "        outcome: allow\n"
    "        discretionary: true\n"
    "        requires: [poa_document_checked]\n"
    "        say: { fi: \"Hoidamme sen, {customer.name}.\", en: \"We will, {customer.name}.\" }\n"
    "goodwill:\n"
    "  - id: outage_credit\n"
    "    when: incident.hours >= 4\n"
    "    table:\n"
    "      hit: first\n"
    "      inputs: [incident.hours, customer.tier]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - {id: R1, row: [\">= 48\", \"-\", 30 EUR]}\n"
    "        - [\">= 24\", gold, 20 EUR]\n"
    "        - [\">= 24\", \"-\", 15 EUR]\n"
    "        - [\"-\", \"-\", 5 EUR]\n"
    "  - id: vulnerable_extra\n"
    "    when: customer.vulnerable and amount > 0 EUR\n"
    "    add: 5 EUR\n"
    "  - id: tidy\n"
    "    round: 1 EUR\n"
    "limits:\n"
    "  per_customer_12m: { cap: 100 EUR, used: customer.goodwill_12m }\n"
    "outputs:\n"
    "  band:\n"
    "    values: [A, B]\n"
    "    table:\n"
    "      inputs: [incident.hours]\n"
    "      rows: [[\">= 24\", A], [\"-\", B]]\n"
    "  note: { value: 'if(has(customer.name), lower(customer.name), \"anonymous\")' }\n"
    "  credit: { value: 'goodwill.amount * 2' }\n"
    "promises:\n"
    "  - id: confirm\n"
    "    when: policies.proxy_termination.outcome == allow\n"
    "    due: 24h\n"
    "    text: { fi: \"Vahvistus {customer.name}:lle.\", en: \"Confirmation to {customer.name}.\" }\n";

/* Fill a case with a realistic mix of values. */
static void fill_case(lw_case *c)
{
    assert_int_equal(lw_case_set_text(c, "request.kind", "terminate"), LW_OK);
    assert_int_equal(lw_case_set_bool(c, "request.by_proxy", 1), LW_OK);
    assert_int_equal(lw_case_set_number(c, "customer.age", 82), LW_OK);
    assert_int_equal(lw_case_set_string(c, "customer.name", "Aino \xc3\x84ITI"), LW_OK);
    assert_int_equal(lw_case_set_text(c, "customer.tier", "GOLD"), LW_OK);
    assert_int_equal(lw_case_set_number(c, "incident.hours", 30), LW_OK);
    assert_int_equal(lw_case_set_money(c, "customer.goodwill_12m", 9000, NULL), LW_OK);
    assert_int_equal(lw_case_set_text(c, "channel", "store"), LW_OK);
    assert_int_equal(lw_case_set_text(c, "staff.role", "frontline"), LW_OK);
    assert_int_equal(lw_case_set_text(c, "date", "2026-11-23"), LW_OK);
}

/* ---------------------------------------------------------------------- */
/* versions, result codes, options                                        */

static void test_version(void **state)
{
    (void)state;
    assert_non_null(lw_version());
    assert_string_equal(lw_version(), LW_VERSION);
    assert_int_equal(lw_version_number(), LW_VERSION_NUM);
}

static void test_errstr_every_code(void **state)
{
    (void)state;
    assert_string_equal(lw_errstr(LW_OK), "LW_OK");
    assert_string_equal(lw_errstr(LW_ERR_NOMEM), "LW_ERR_NOMEM");
    assert_string_equal(lw_errstr(LW_ERR_IO), "LW_ERR_IO");
    assert_string_equal(lw_errstr(LW_ERR_PLAYBOOK), "LW_ERR_PLAYBOOK");
    assert_string_equal(lw_errstr(LW_ERR_CASE), "LW_ERR_CASE");
    assert_string_equal(lw_errstr(LW_ERR_ARG), "LW_ERR_ARG");
    assert_string_equal(lw_errstr(LW_ERR_LIMIT), "LW_ERR_LIMIT");
    assert_string_equal(lw_errstr(LW_ERR_NOTFOUND), "LW_ERR_NOTFOUND");
}

static void test_errstr_unknown_codes_never_null(void **state)
{
    (void)state;
    assert_non_null(lw_errstr(-1));
    assert_non_null(lw_errstr(LW_ERR_NOTFOUND + 1));
    assert_non_null(lw_errstr(1000000));
    assert_string_not_equal(lw_errstr(-1), "LW_OK");
    assert_string_not_equal(lw_errstr(LW_ERR_NOTFOUND + 1), "LW_ERR_NOTFOUND");
}

static void test_options_init_defaults(void **state)
{
    (void)state;
    lw_options o;
    memset(&o, 0x5a, sizeof o);
    lw_options_init(&o);
    assert_null(o.alloc);
    assert_null(o.alloc_ud);
    assert_int_equal(o.max_depth, 64);
    assert_int_equal(o.max_scalar, 64 * 1024);
    assert_int_equal(o.max_file, 16 * 1024 * 1024);
    assert_int_equal(o.max_nodes, 1000000);
    assert_int_equal(o.max_list, 1024);
    lw_options_init(NULL); /* no crash */
}

/* ---------------------------------------------------------------------- */
/* NULL arguments                                                         */

static void test_null_reports(void **state)
{
    (void)state;
    char buf[16] = "xxxx";
    assert_int_equal(lw_report_count(NULL), 0);
    assert_null(lw_report_get(NULL, 0));
    assert_int_equal(lw_report_errors(NULL), 0);
    assert_int_equal(lw_diag_format(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(lw_diag_format(NULL, NULL, 0), 0);
    lw_report_free(NULL);
}

static void test_null_playbook_load(void **state)
{
    (void)state;
    lw_playbook *pb = (lw_playbook *)1;
    lw_report *r = (lw_report *)1;
    assert_int_equal(lw_playbook_load(NULL, NULL, &pb, &r), LW_ERR_ARG);
    assert_null(r);
    r = (lw_report *)1;
    assert_int_equal(lw_playbook_load("x.yaml", NULL, NULL, &r), LW_ERR_ARG);
    assert_null(r);
    assert_int_equal(lw_playbook_load(NULL, NULL, NULL, NULL), LW_ERR_ARG);
    r = (lw_report *)1;
    assert_int_equal(lw_playbook_load_string("x", NULL, 0, NULL, &pb, &r), LW_ERR_ARG);
    assert_null(r);
    assert_int_equal(lw_playbook_load_string("x", "a: 1", 4, NULL, NULL, NULL), LW_ERR_ARG);
    lw_playbook_free(NULL);
}

static void test_null_playbook_accessors(void **state)
{
    (void)state;
    assert_null(lw_playbook_id(NULL));
    assert_null(lw_playbook_version(NULL));
    assert_null(lw_playbook_file(NULL));
    assert_null(lw_playbook_digest(NULL));
    assert_int_equal(lw_fact_count(NULL), 0);
    assert_null(lw_fact_path(NULL, 0));
    assert_null(lw_fact_type(NULL, 0));
    assert_int_equal(lw_fact_index(NULL, "x"), -1);
    assert_int_equal(lw_role_count(NULL), 0);
    assert_null(lw_role_id(NULL, 0));
}

static void test_null_engine_and_case(void **state)
{
    (void)state;
    lw_engine_free(NULL);
    lw_engine_coverage(NULL, 1);
    const char *const *names = (const char *const *)1;
    assert_int_equal(lw_coverage_unreached(NULL, NULL, &names), 0);
    assert_null(lw_case_new(NULL));
    lw_case_free(NULL);
    lw_case_reset(NULL);
    assert_int_equal(lw_case_set_number(NULL, "a", 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_bool(NULL, "a", 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_string(NULL, "a", "x"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_money(NULL, "a", 1, NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text(NULL, "a", "x"), LW_ERR_ARG);
    assert_int_equal(lw_case_unset(NULL, "a"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_number_at(NULL, 0, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_bool_at(NULL, 0, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text_at(NULL, 0, "x"), LW_ERR_ARG);
    const char *msg = "junk";
    assert_int_equal(lw_case_read_json(NULL, "c", "{}", 2, &msg), LW_ERR_ARG);
    assert_null(msg);
    msg = "junk";
    assert_int_equal(lw_case_read_file(NULL, "c.json", &msg), LW_ERR_ARG);
    assert_null(msg);
    assert_int_equal(lw_case_problem_count(NULL), 0);
    assert_null(lw_case_problem(NULL, 0));
    assert_null(lw_case_json(NULL));
}

static void test_null_with_real_objects(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(pb);
    assert_non_null(e);
    assert_non_null(c);
    /* NULL paths and texts */
    assert_int_equal(lw_case_set_number(c, NULL, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_bool(c, NULL, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_string(c, NULL, "x"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_string(c, "customer.name", NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_set_money(c, NULL, 1, NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text(c, NULL, "x"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text(c, "customer.name", NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_unset(c, NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text_at(c, 0, NULL), LW_ERR_ARG);
    /* fact indexes out of range */
    assert_int_equal(lw_case_set_number_at(c, -1, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_number_at(c, (int)lw_fact_count(pb), 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_bool_at(c, 9999, 1), LW_ERR_ARG);
    assert_int_equal(lw_case_set_text_at(c, -5, "x"), LW_ERR_ARG);
    assert_int_equal(lw_case_read_json(c, "c.json", NULL, 0, NULL), LW_ERR_ARG);
    assert_int_equal(lw_case_read_file(c, NULL, NULL), LW_ERR_ARG);
    assert_int_equal(lw_fact_index(pb, NULL), -1);
    /* a NULL argument is not a problem of the case */
    assert_int_equal(lw_case_problem_count(c), 0);
    /* decide */
    const lw_decision *d = (const lw_decision *)1;
    assert_int_equal(lw_decide(NULL, pb, c, NULL, &d), LW_ERR_ARG);
    assert_null(d);
    d = (const lw_decision *)1;
    assert_int_equal(lw_decide(e, NULL, c, NULL, &d), LW_ERR_ARG);
    assert_null(d);
    d = (const lw_decision *)1;
    assert_int_equal(lw_decide(e, pb, NULL, NULL, &d), LW_ERR_ARG);
    assert_null(d);
    assert_int_equal(lw_decide(e, pb, c, NULL, NULL), LW_ERR_ARG);
    /* JSON */
    assert_null(lw_decision_json(NULL, NULL, 0, NULL));
    assert_null(lw_decision_json(e, NULL, 0, NULL));
    assert_int_equal(lw_decide(e, pb, c, NULL, &d), LW_OK);
    assert_null(lw_decision_json(NULL, d, 0, NULL));
    assert_non_null(lw_decision_json(e, d, 0, NULL));
    /* coverage */
    assert_int_equal(lw_coverage_unreached(e, pb, NULL), 0);
    assert_int_equal(lw_coverage_unreached(e, NULL, NULL), 0);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
}

static void test_decide_case_of_another_playbook(void **state)
{
    (void)state;
    lw_playbook *a = tu_load(PB_TEXT);
    lw_playbook *b = tu_load(PB_TEXT);
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(a);
    const lw_decision *d = (const lw_decision *)1;
    assert_int_equal(lw_decide(e, b, c, NULL, &d), LW_ERR_ARG);
    assert_null(d);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(a);
    lw_playbook_free(b);
}

static void test_null_formatters(void **state)
{
    (void)state;
    char buf[32];
    assert_int_equal(lw_value_format(NULL, buf, sizeof buf), 4);
    assert_string_equal(buf, "null");
    lw_money m = {1995, "EUR", 2};
    assert_int_equal(lw_money_format(m, 1, NULL, 0), 9);
    lw_value v;
    memset(&v, 0, sizeof v);
    v.type = LW_V_STRING;
    v.text = NULL;
    assert_int_equal(lw_value_format(&v, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

static void test_null_test_file(void **state)
{
    (void)state;
    lw_engine *e = lw_engine_new(NULL);
    int passed = 0, failed = 0;
    lw_report *r = (lw_report *)1;
    assert_int_equal(lw_test_file(NULL, "x.yaml", NULL, NULL, NULL, NULL, &passed, &failed, &r),
                     LW_ERR_ARG);
    assert_null(r);
    assert_int_equal(lw_test_file(e, NULL, NULL, NULL, NULL, NULL, &passed, &failed, NULL),
                     LW_ERR_ARG);
    assert_int_equal(lw_test_file(e, "x.yaml", NULL, NULL, NULL, NULL, NULL, &failed, NULL),
                     LW_ERR_ARG);
    assert_int_equal(lw_test_file(e, "x.yaml", NULL, NULL, NULL, NULL, &passed, NULL, NULL),
                     LW_ERR_ARG);
    r = NULL;
    assert_int_equal(lw_test_file(e, "/nonexistent/dir/x.yaml", NULL, NULL, NULL, NULL, &passed,
                                  &failed, &r),
                     LW_ERR_IO);
    assert_non_null(r);
    assert_int_equal(lw_report_errors(r), 1);
    assert_non_null(strstr(lw_report_get(r, 0)->message, "cannot open"));
    tu_report_free(r);
    assert_int_equal(passed, 0);
    assert_int_equal(failed, 0);
    lw_engine_free(e);
}

/* ---------------------------------------------------------------------- */
/* playbooks and reports                                                  */

static void test_playbook_accessors(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    assert_string_equal(lw_playbook_id(pb), "api-test");
    assert_string_equal(lw_playbook_version(pb), "2026.11");
    assert_string_equal(lw_playbook_file(pb), "test.yaml");
    assert_int_equal(strncmp(lw_playbook_digest(pb), "sha256:", 7), 0);
    assert_int_equal(lw_fact_count(pb), 14);
    assert_string_equal(lw_fact_path(pb, 0), "request.kind");
    assert_string_equal(lw_fact_type(pb, 0), "enum");
    assert_string_equal(lw_fact_type(pb, 1), "bool");
    assert_string_equal(lw_fact_type(pb, 2), "number");
    assert_string_equal(lw_fact_type(pb, 4), "string");
    assert_string_equal(lw_fact_type(pb, 6), "money");
    assert_string_equal(lw_fact_type(pb, 8), "duration");
    assert_string_equal(lw_fact_type(pb, 11), "role");
    assert_string_equal(lw_fact_path(pb, 13), "date");
    assert_string_equal(lw_fact_type(pb, 13), "date");
    assert_null(lw_fact_path(pb, 14));
    assert_null(lw_fact_type(pb, 14));
    assert_null(lw_fact_path(pb, (size_t)-1));
    assert_int_equal(lw_fact_index(pb, "customer.age"), 2);
    assert_int_equal(lw_fact_index(pb, "customer.agee"), -1);
    assert_int_equal(lw_fact_index(pb, "customer"), -1);
    assert_int_equal(lw_role_count(pb), 3);
    assert_string_equal(lw_role_id(pb, 0), "frontline");
    assert_string_equal(lw_role_id(pb, 2), "manager");
    assert_null(lw_role_id(pb, 3));
    lw_playbook_free(pb);
}

static void test_same_text_same_digest(void **state)
{
    (void)state;
    lw_playbook *a = tu_load(PB_TEXT), *b = tu_load(PB_TEXT);
    assert_string_equal(lw_playbook_digest(a), lw_playbook_digest(b));
    lw_playbook_free(b);
    char *t = malloc(strlen(PB_TEXT) + 16);
    strcpy(t, PB_TEXT);
    strcat(t, "# comment\n");
    b = tu_load(t);
    assert_string_not_equal(lw_playbook_digest(a), lw_playbook_digest(b));
    free(t);
    lw_playbook_free(a);
    lw_playbook_free(b);
}

static void test_load_from_file(void **state)
{
    (void)state;
    char path[] = "/tmp/leeway_api_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, PB_TEXT, strlen(PB_TEXT)), (ssize_t)strlen(PB_TEXT));
    close(fd);
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load(path, NULL, &pb, &r), LW_OK);
    assert_non_null(pb);
    assert_string_equal(lw_playbook_file(pb), path);
    assert_int_equal(lw_report_errors(r), 0);
    tu_report_free(r);
    lw_playbook_free(pb);
    /* the same playbook text under the same name has the same digest */
    lw_playbook *s = NULL;
    assert_int_equal(lw_playbook_load_string(path, PB_TEXT, strlen(PB_TEXT), NULL, &s, NULL),
                     LW_OK);
    assert_int_equal(lw_playbook_load(path, NULL, &pb, NULL), LW_OK);
    assert_string_equal(lw_playbook_digest(pb), lw_playbook_digest(s));
    lw_playbook_free(pb);
    lw_playbook_free(s);
    unlink(path);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    lw_playbook *pb = (lw_playbook *)1;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load("/nonexistent/leeway.yaml", NULL, &pb, &r), LW_ERR_IO);
    assert_null(pb);
    assert_non_null(r);
    assert_int_equal(lw_report_count(r), 1);
    const lw_diag *d = lw_report_get(r, 0);
    assert_string_equal(d->file, "/nonexistent/leeway.yaml");
    assert_int_equal(d->severity, LW_ERROR);
    assert_non_null(strstr(d->message, "cannot open"));
    tu_report_free(r);
    /* without a report */
    assert_int_equal(lw_playbook_load("/nonexistent/leeway.yaml", NULL, &pb, NULL), LW_ERR_IO);
    assert_null(pb);
}

static void test_file_limit(void **state)
{
    (void)state;
    char path[] = "/tmp/leeway_api_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, PB_TEXT, strlen(PB_TEXT)), (ssize_t)strlen(PB_TEXT));
    close(fd);
    lw_options o;
    lw_options_init(&o);
    o.max_file = 100;
    lw_playbook *pb = (lw_playbook *)1;
    lw_report *r = NULL;
    int rc = lw_playbook_load(path, &o, &pb, &r);
    assert_int_not_equal(rc, LW_OK);
    assert_null(pb);
    assert_true(lw_report_errors(r) >= 1);
    assert_non_null(strstr(tu_first_error(r)->message, "limit"));
    tu_report_free(r);
    unlink(path);
}

static void test_report_accessors_out_of_range(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: bad\npolcies: []\n");
    size_t n = lw_report_count(r);
    assert_true(n >= 2);
    assert_int_equal(lw_report_errors(r), n);
    assert_non_null(lw_report_get(r, n - 1));
    assert_null(lw_report_get(r, n));
    assert_null(lw_report_get(r, n + 1));
    assert_null(lw_report_get(r, (size_t)-1));
    tu_report_free(r);
}

static void test_diag_format(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: bad\nversion: \"1\"\n"
                                "policies:\n"
                                "  - id: p1\n"
                                "    applies: x > 1\n"
                                "    outcome: deny\n");
    const lw_diag *d = tu_first_error(r);
    assert_string_equal(d->rule, "p1");
    assert_int_equal(d->line, 5);
    assert_int_equal(d->column, 14);
    char buf[512];
    size_t n = lw_diag_format(d, buf, sizeof buf);
    assert_int_equal(n, strlen(buf));
    const char *head = "test.yaml:5:14: error: unknown fact or word 'x'";
    assert_int_equal(strncmp(buf, head, strlen(head)), 0);
    assert_non_null(strstr(buf, " [rule p1]"));
    /* truncation: NUL-terminated, full length returned */
    char small[10];
    assert_int_equal(lw_diag_format(d, small, sizeof small), n);
    assert_string_equal(small, "test.yaml");
    tu_report_free(r);
}

static void test_report_has_warnings_on_success(void **state)
{
    (void)state;
    const char *t = "playbook: w\nversion: \"1\"\n"
                    "facts: { a: { type: bool } }\n"
                    "policies:\n"
                    "  - id: p\n"
                    "    applies: a\n"
                    "    outcome: deny\n"
                    "    exceptions:\n"
                    "      - { id: e1, when: a }\n"
                    "      - { id: e2, when: a }\n";
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string("w.yaml", t, strlen(t), NULL, &pb, &r), LW_OK);
    assert_non_null(pb);
    assert_int_equal(lw_report_errors(r), 0);
    assert_int_equal(lw_report_count(r), 1);
    const lw_diag *d = lw_report_get(r, 0);
    assert_int_equal(d->severity, LW_WARNING);
    assert_string_equal(d->rule, "e2");
    assert_string_equal(d->file, "w.yaml");
    assert_int_equal(d->line, 10);
    char buf[512];
    lw_diag_format(d, buf, sizeof buf);
    assert_int_equal(strncmp(buf, "w.yaml:10:9: warning: ", 22), 0);
    tu_report_free(r);
    lw_playbook_free(pb);
}

static void test_load_string_name_null(void **state)
{
    (void)state;
    const char *t = "playbook: n\nversion: \"1\"\nbogus: 1\n";
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string(NULL, t, strlen(t), NULL, &pb, &r),
                     LW_ERR_PLAYBOOK);
    assert_string_equal(tu_first_error(r)->file, "<string>");
    assert_non_null(strstr(tu_first_error(r)->message, "unknown key 'bogus'"));
    tu_report_free(r);
}

static void test_load_string_respects_len(void **state)
{
    (void)state;
    /* the text after len is not read */
    const char *t = "playbook: n\nversion: \"1\"\nbogus: 1\n";
    lw_playbook *pb = NULL;
    size_t len = strlen("playbook: n\nversion: \"1\"\n");
    assert_int_equal(lw_playbook_load_string("n", t, len, NULL, &pb, NULL), LW_OK);
    assert_string_equal(lw_playbook_id(pb), "n");
    lw_playbook_free(pb);
}

/* ---------------------------------------------------------------------- */
/* guard allocator: freed blocks become unreadable, so a use after free   */
/* crashes the test instead of passing silently                            */

static size_t page_size(void)
{
    return (size_t)sysconf(_SC_PAGESIZE);
}

static void *guard_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    size_t ps = page_size();
    if (nsize == 0) {
        if (ptr)
            mprotect(ptr, (osize + ps - 1) / ps * ps, PROT_NONE); /* leave it mapped */
        return NULL;
    }
    size_t len = (nsize + ps - 1) / ps * ps;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    if (ptr) {
        memcpy(p, ptr, osize < nsize ? osize : nsize);
        mprotect(ptr, (osize + ps - 1) / ps * ps, PROT_NONE);
    }
    return p;
}

/* A failed load without a report must not read the report it freed. */
static void test_load_error_without_report_no_use_after_free(void **state)
{
    (void)state;
    lw_options o;
    lw_options_init(&o);
    o.alloc = guard_alloc;
    const char *t = "playbook: n\nversion: \"1\"\nbogus: 1\n";
    lw_playbook *pb = (lw_playbook *)1;
    assert_int_equal(lw_playbook_load_string("n", t, strlen(t), &o, &pb, NULL),
                     LW_ERR_PLAYBOOK);
    assert_null(pb);
}

/* ---------------------------------------------------------------------- */
/* cases                                                                  */

static void test_case_setters_unknown_path(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    assert_int_equal(lw_case_set_number(c, "customer.agee", 1), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_bool(c, "customer.vulnerabel", 1), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_string(c, "customer.nam", "x"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_money(c, "order.valeu", 1, NULL), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_text(c, "chanel", "store"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_unset(c, "dat"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_text(c, "zzzzzzzzzzzz", "1"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_problem_count(c), 7);
    static const char *const want[] = {
        "customer.agee: not a fact of this playbook (did you mean customer.age?)",
        "customer.vulnerabel: not a fact of this playbook (did you mean customer.vulnerable?)",
        "customer.nam: not a fact of this playbook (did you mean customer.name?)",
        "order.valeu: not a fact of this playbook (did you mean order.value?)",
        "chanel: not a fact of this playbook (did you mean channel?)",
        "dat: not a fact of this playbook (did you mean date?)",
        "zzzzzzzzzzzz: not a fact of this playbook",
    };
    for (size_t i = 0; i < 7; i++) {
        if (!strstr(lw_case_problem(c, i), want[i]))
            print_message("problem %zu: %s\n", i, lw_case_problem(c, i));
        assert_non_null(strstr(lw_case_problem(c, i), want[i]));
    }
    assert_null(strstr(lw_case_problem(c, 6), "did you mean"));
    assert_null(lw_case_problem(c, 7));
    lw_case_free(c);
    lw_playbook_free(pb);
}

static void test_case_setters_values(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, PB_TEXT);
    fill_case(f.c);
    assert_int_equal(lw_case_problem_count(f.c), 0);
    assert_string_equal(lw_case_json(f.c),
                        "{\"request.kind\":\"terminate\",\"request.by_proxy\":true,"
                        "\"customer.age\":82,\"customer.name\":\"Aino \xc3\x84ITI\","
                        "\"customer.tier\":\"gold\",\"customer.goodwill_12m\":\"90.00 EUR\","
                        "\"incident.hours\":30,\"channel\":\"store\",\"staff.role\":\"frontline\","
                        "\"date\":\"2026-11-23\"}");
    /* fast setters by index */
    int age = lw_fact_index(f.pb, "customer.age");
    assert_int_equal(lw_case_set_number_at(f.c, age, 40), LW_OK);
    int kind = lw_fact_index(f.pb, "request.kind");
    assert_int_equal(lw_case_set_text_at(f.c, kind, "refund"), LW_OK);
    int vul = lw_fact_index(f.pb, "customer.vulnerable");
    assert_int_equal(lw_case_set_bool_at(f.c, vul, 1), LW_OK);
    assert_int_equal(lw_case_set_text(f.c, "incident.delay", "90min"), LW_OK);
    assert_int_equal(lw_case_unset(f.c, "date"), LW_OK);
    const char *j = lw_case_json(f.c);
    assert_non_null(strstr(j, "\"customer.age\":40"));
    assert_non_null(strstr(j, "\"request.kind\":\"refund\""));
    assert_non_null(strstr(j, "\"customer.vulnerable\":true"));
    assert_non_null(strstr(j, "\"incident.delay\":\"1h30min\""));
    /* no date: the case is written with the day it is decided as of */
    assert_int_equal(lw_case_set_as_of(f.c, "2025-02-03"), LW_OK);
    assert_non_null(strstr(lw_case_json(f.c), "\"date\":\"2025-02-03\""));
    assert_int_equal(lw_case_set_as_of(f.c, "2025-02-30"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_as_of(f.c, "soon"), LW_ERR_ARG);
    assert_int_equal(lw_case_set_as_of(NULL, "2025-02-03"), LW_ERR_ARG);
    assert_int_equal(lw_case_problem_count(f.c), 0);
    tu_fix_close(&f);
}

/* lw_case_json reads back as the case it wrote: values refused with a problem
** are kept as given, so the case read back is refused alike (a decision-log
** record of an invalid decision replays as invalid). */
static void assert_same_problems(const lw_playbook *pb, const lw_case *c, const char *json)
{
    lw_case *back = lw_case_new(pb);
    assert_non_null(back);
    assert_int_equal(lw_case_read_json(back, "back", json, strlen(json), NULL), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(back), lw_case_problem_count(c));
    for (size_t i = 0; i < lw_case_problem_count(c); i++)
        assert_string_equal(lw_case_problem(back, i), lw_case_problem(c, i));
    lw_case_free(back);
}

static void test_case_json_keeps_refused_values(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    static const char in[] =
        "{\"customer\":{\"age\":\"eighty\",\"agee\":80,\"name\":\"Aino\"},"
        "\"order\":{\"value\":\"5 USD\"},\"channel\":[\"store\"],\"incident\":7,"
        "\"staff\":{\"role\":{\"id\":\"boss\"}},\"request\":{\"kind\":\"refund\"},"
        "\"date\":\"2026-02-30\",\"customer.tier\":\"platinum\"}";
    assert_int_equal(lw_case_read_json(c, "in", in, strlen(in), NULL), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(c), 8);
    const char *j = lw_case_json(c);
    assert_string_equal(j, "{\"request.kind\":\"refund\",\"customer.name\":\"Aino\","
                           "\"customer.age\":\"eighty\",\"customer.agee\":80,"
                           "\"order.value\":\"5 USD\",\"channel\":[\"store\"],\"incident\":7,"
                           "\"staff.role\":{\"id\":\"boss\"},\"date\":\"2026-02-30\","
                           "\"customer.tier\":\"platinum\"}");
    char *copy = strdup(j);
    assert_same_problems(pb, c, copy);
    free(copy);

    /* the setters keep what they refuse too */
    lw_case_reset(c);
    assert_int_equal(lw_case_set_as_of(c, "2026-11-23"), LW_OK);
    assert_int_equal(lw_case_set_number(c, "customer.age", 200), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "channel", "fax"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_money(c, "order.value", 1995, "USD"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_money(c, "customer.name", 100, "EUR"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_string(c, "customer.agee", "x"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_set_bool(c, "incident.hours", 1), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "request.kind", "refund"), LW_OK);
    j = lw_case_json(c);
    assert_string_equal(j, "{\"request.kind\":\"refund\",\"date\":\"2026-11-23\","
                           "\"customer.age\":200,"
                           "\"channel\":\"fax\",\"order.value\":\"19.95 USD\","
                           "\"customer.name\":{\"money\":\"1.00 EUR\"},\"customer.agee\":\"x\","
                           "\"incident.hours\":true}");
    copy = strdup(j);
    lw_case *back = lw_case_new(pb);
    assert_int_equal(lw_case_read_json(back, "back", copy, strlen(copy), NULL), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(back), 6);
    lw_case_free(back);
    free(copy);

    /* a case reset forgets them */
    lw_case_reset(c);
    assert_null(strstr(lw_case_json(c), "customer.age"));
    lw_case_free(c);
    lw_playbook_free(pb);
}

static void test_case_set_money(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    assert_int_equal(lw_case_set_money(c, "order.value", 1995, "EUR"), LW_OK);
    assert_int_equal(lw_case_set_money(c, "order.value", -5, NULL), LW_OK);
    assert_int_equal(lw_case_problem_count(c), 0);
    assert_int_equal(lw_case_set_money(c, "order.value", 1995, "USD"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_money(c, "order.value", 1995, "XYZ"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_money(c, "customer.age", 1995, NULL), LW_ERR_CASE);
    assert_int_equal(lw_case_set_money(c, "order.value", INT64_MAX, NULL), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(c), 4);
    assert_non_null(strstr(lw_case_problem(c, 0), "expected money in EUR, got USD"));
    assert_non_null(strstr(lw_case_problem(c, 2), "customer.age: expected number, got money"));
    assert_non_null(strstr(lw_case_problem(c, 3), "too large"));
    lw_case_free(c);
    lw_playbook_free(pb);
}

static void test_case_type_errors(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    assert_int_equal(lw_case_set_number(c, "customer.name", 5), LW_ERR_CASE);
    assert_int_equal(lw_case_set_bool(c, "customer.age", 1), LW_ERR_CASE);
    assert_int_equal(lw_case_set_number(c, "customer.age", NAN), LW_ERR_CASE);
    assert_int_equal(lw_case_set_number(c, "customer.age", -1), LW_ERR_CASE);
    assert_int_equal(lw_case_set_string(c, "customer.age", "12"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "customer.age", "12"), LW_OK);
    assert_int_equal(lw_case_problem_count(c), 5);
    lw_case_reset(c);
    assert_int_equal(lw_case_problem_count(c), 0);
    assert_null(lw_case_problem(c, 0));
    lw_case_free(c);
    lw_playbook_free(pb);
}

/* 1 if reading text gives LW_ERR_CASE and a message starting with want. */
static int json_err(lw_case *c, const char *text, const char *want)
{
    const char *msg = NULL;
    int rc = lw_case_read_json(c, "c.json", text, strlen(text), &msg);
    if (rc != LW_ERR_CASE || !msg || strncmp(msg, want, strlen(want)) != 0) {
        print_message("for %s: rc %s, msg %s (wanted %s)\n", text, lw_errstr(rc),
                      msg ? msg : "(null)", want);
        return 0;
    }
    return 1;
}

static void test_case_read_json_errors_with_position(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    int ok = 0;
    ok += json_err(c, "{\n  \"customer\": {\"age\": }\n}", "c.json:2:23: ");
    ok += json_err(c, "{\"customer\": {\"age\": 1,}}", "c.json:1:24: "); /* the first } */
    ok += json_err(c, "{\n\n   \"a\" 1}", "c.json:3:8: ");
    ok += json_err(c, "[1, 2]", "c.json:1:1: ");
    ok += json_err(c, "\"text\"", "c.json:1:1: ");
    ok += json_err(c, "{\n  \xff}", "c.json:2:3: ");
    ok += json_err(c, "", "c.json:1:1: ");
    /* invalid UTF-8 inside a text value: a problem of the case, named by its path */
    lw_case_reset(c);
    const char *bad = "{\n  \"customer\": {\"name\": \"\xc3\xa4\xff\"}}";
    const char *msg = NULL;
    int rc = lw_case_read_json(c, "c.json", bad, strlen(bad), &msg);
    int utf8_ok = rc == LW_ERR_CASE && lw_case_problem_count(c) == 1 &&
                  strstr(lw_case_problem(c, 0), "customer.name") &&
                  strstr(lw_case_problem(c, 0), "UTF-8");
    if (!utf8_ok)
        print_message("invalid UTF-8 value: rc %s, %zu problems\n", lw_errstr(rc),
                      lw_case_problem_count(c));
    lw_case_free(c);
    lw_playbook_free(pb);
    assert_true(utf8_ok);
    assert_int_equal(ok, 7);
}

static void test_case_read_json_trailing_garbage(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    int ok = 0;
    ok += json_err(c, "{\"customer\": {\"age\": 1}} x", "c.json:1:26: ");
    ok += json_err(c, "{\"customer\": {\"age\": 1}}{\"customer\": {\"age\": 2}}",
                   "c.json:1:25: ");
    lw_case_free(c);
    lw_playbook_free(pb);
    assert_int_equal(ok, 2);
}

static void test_case_read_json_values(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, PB_TEXT);
    const char *j = "{\"request\": {\"kind\": \"terminate\", \"by_proxy\": true},"
                    " \"customer\": {\"age\": 82, \"name\": \"Aino\"},"
                    " \"channel\": \"store\", \"staff.role\": \"senior\","
                    " \"order\": {\"value\": 12.5}, \"incident\": {\"delay\": 5400}}";
    const char *msg = "junk";
    assert_int_equal(lw_case_read_json(f.c, "c.json", j, strlen(j), &msg), LW_OK);
    assert_null(msg);
    const char *cj = lw_case_json(f.c);
    assert_non_null(strstr(cj, "\"order.value\":\"12.50 EUR\""));
    assert_non_null(strstr(cj, "\"incident.delay\":\"1h30min\""));
    assert_non_null(strstr(cj, "\"staff.role\":\"senior\""));
    const lw_decision *d = tu_decide(&f);
    assert_string_equal(d->outcome, "allow");
    assert_string_equal(d->policies[0].say, "Hoidamme sen, Aino.");
    tu_fix_close(&f);
}

static void test_case_read_json_invalid_values_keep_going(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    const char *j = "{\"customer\": {\"age\": \"old\", \"tier\": \"diamond\"}, \"x\": 1}";
    const char *msg = NULL;
    assert_int_equal(lw_case_read_json(c, "c.json", j, strlen(j), &msg), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(c), 3);
    assert_non_null(strstr(lw_case_problem(c, 0), "customer.age"));
    assert_non_null(strstr(lw_case_problem(c, 1), "customer.tier"));
    assert_non_null(strstr(lw_case_problem(c, 2), "x: not a fact"));
    lw_case_free(c);
    lw_playbook_free(pb);
}

static void test_case_read_file(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(PB_TEXT);
    lw_case *c = lw_case_new(pb);
    const char *msg = NULL;
    assert_int_equal(lw_case_read_file(c, "/nonexistent/case.json", &msg), LW_ERR_IO);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "/nonexistent/case.json"));

    char path[] = "/tmp/leeway_case_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *y = "customer: { age: 82 }\nrequest:\n  kind: terminate\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    assert_int_equal(lw_case_read_file(c, path, &msg), LW_OK);
    assert_non_null(strstr(lw_case_json(c), "\"customer.age\":82"));
    unlink(path);

    char bad[] = "/tmp/leeway_case_XXXXXX";
    fd = mkstemp(bad);
    const char *by = "customer: { age: 82\nrequest: [\n";
    assert_int_equal(write(fd, by, strlen(by)), (ssize_t)strlen(by));
    close(fd);
    lw_case_reset(c);
    assert_int_equal(lw_case_read_file(c, bad, &msg), LW_ERR_CASE);
    assert_non_null(msg);
    assert_int_equal(strncmp(msg, bad, strlen(bad)), 0);
    assert_non_null(strstr(msg, "error"));
    unlink(bad);
    lw_case_free(c);
    lw_playbook_free(pb);
}

/* ---------------------------------------------------------------------- */
/* a counting allocator                                                   */

typedef struct counter {
    size_t allocs, reallocs, frees;
    long live_blocks;
    long long live_bytes;
    long fail_at;     /* fail the fail_at-th allocation (1-based); 0: never */
    long n;           /* allocations and growing reallocations so far */
    bool failed;      /* an allocation was refused */
} counter;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    counter *k = ud;
    if (nsize == 0) {
        if (ptr) {
            k->frees++;
            k->live_blocks--;
            k->live_bytes -= (long long)osize;
            free(ptr);
        }
        return NULL;
    }
    k->n++;
    if (k->fail_at && k->n == k->fail_at) {
        k->failed = true;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    if (ptr) {
        k->reallocs++;
        k->live_bytes += (long long)nsize - (long long)osize;
    } else {
        k->allocs++;
        k->live_blocks++;
        k->live_bytes += (long long)nsize;
    }
    return p;
}

static void counting_options(lw_options *o, counter *k)
{
    memset(k, 0, sizeof *k);
    lw_options_init(o);
    o->alloc = counting_alloc;
    o->alloc_ud = k;
}

static void test_allocator_is_used_and_balanced(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    assert_true(k.allocs > 0);
    lw_engine *e = lw_engine_new(&o);
    lw_case *c = lw_case_new(pb);
    size_t before = k.allocs;
    fill_case(c);
    const lw_decision *d;
    assert_int_equal(lw_decide(e, pb, c, NULL, &d), LW_OK);
    assert_non_null(lw_decision_json(e, d, LW_JSON_TRACE | LW_JSON_PRETTY, NULL));
    assert_true(k.allocs > before);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    /* everything given back, with the sizes it was taken with */
    assert_int_equal(k.live_blocks, 0);
    assert_int_equal(k.live_bytes, 0);
    assert_int_equal(k.allocs, k.frees);
}

static void test_report_uses_allocator(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    const char *t = "playbook: bad\nversion: 1\nfacts: { a: { type: nope } }\n";
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string("b", t, strlen(t), &o, &pb, &r), LW_ERR_PLAYBOOK);
    assert_true(k.live_blocks > 0); /* the report */
    tu_report_free(r);
    assert_int_equal(k.live_blocks, 0);
    assert_int_equal(k.live_bytes, 0);
}

static void decide_n(lw_engine *e, lw_playbook *pb, lw_case *c, int n, int trace)
{
    lw_decide_options opt = {NULL, trace};
    for (int i = 0; i < n; i++) {
        const lw_decision *d = NULL;
        assert_int_equal(lw_decide(e, pb, c, &opt, &d), LW_OK);
        assert_string_equal(d->outcome, "allow");
    }
}

static void test_decide_allocates_nothing_when_warm(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    lw_engine *e = lw_engine_new(&o);
    lw_case *c = lw_case_new(pb);
    fill_case(c);
    assert_int_equal(lw_case_set_text(c, "staff.role", "senior"), LW_OK);
    decide_n(e, pb, c, 3, 0); /* warm up */
    size_t a = k.allocs, r = k.reallocs, f = k.frees;
    decide_n(e, pb, c, 1000, 0);
    if (k.allocs != a || k.reallocs != r)
        print_message("1000 decisions: %zu allocations, %zu reallocations, %zu frees\n",
                      k.allocs - a, k.reallocs - r, k.frees - f);
    assert_int_equal(k.allocs - a, 0);
    assert_int_equal(k.reallocs - r, 0);
    assert_int_equal(k.frees - f, 0);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    assert_int_equal(k.live_blocks, 0);
}

static void test_decide_with_trace_allocates_nothing_when_warm(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    lw_engine *e = lw_engine_new(&o);
    lw_case *c = lw_case_new(pb);
    fill_case(c);
    assert_int_equal(lw_case_set_text(c, "staff.role", "senior"), LW_OK);
    decide_n(e, pb, c, 3, 1);
    size_t a = k.allocs, r = k.reallocs;
    decide_n(e, pb, c, 1000, 1);
    assert_int_equal(k.allocs - a, 0);
    assert_int_equal(k.reallocs - r, 0);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
}

static void test_decision_json_allocates_nothing_when_warm(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    lw_engine *e = lw_engine_new(&o);
    lw_case *c = lw_case_new(pb);
    fill_case(c);
    const lw_decision *d;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(lw_decide(e, pb, c, NULL, &d), LW_OK);
        assert_non_null(lw_decision_json(e, d, LW_JSON_TRACE, NULL));
    }
    size_t a = k.allocs, r = k.reallocs;
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(lw_decide(e, pb, c, NULL, &d), LW_OK);
        assert_non_null(lw_decision_json(e, d, LW_JSON_TRACE, NULL));
    }
    assert_int_equal(k.allocs - a, 0);
    assert_int_equal(k.reallocs - r, 0);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
}

/* Different cases one after the other: still nothing once each was seen. */
static void test_decide_varied_cases_allocates_nothing_when_warm(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    lw_engine *e = lw_engine_new(&o);
    lw_case *c1 = lw_case_new(pb), *c2 = lw_case_new(pb), *c3 = lw_case_new(pb);
    fill_case(c1);
    tu_set(c2, "request.kind", "refund", "incident.hours", "50", NULL);
    assert_int_equal(lw_case_set_text(c3, "customer.age", "500"), LW_ERR_CASE); /* invalid */
    const lw_decision *d;
    lw_case *cs[3] = {c1, c2, c3};
    for (int i = 0; i < 9; i++)
        assert_int_equal(lw_decide(e, pb, cs[i % 3], NULL, &d), LW_OK);
    size_t a = k.allocs, r = k.reallocs;
    for (int i = 0; i < 999; i++)
        assert_int_equal(lw_decide(e, pb, cs[i % 3], NULL, &d), LW_OK);
    assert_int_equal(k.allocs - a, 0);
    assert_int_equal(k.reallocs - r, 0);
    lw_case_free(c1);
    lw_case_free(c2);
    lw_case_free(c3);
    lw_engine_free(e);
    lw_playbook_free(pb);
}

/* ---------------------------------------------------------------------- */
/* fault injection                                                        */

typedef struct scenario_result {
    int load_rc, decide_rc;
    bool engine_null, case_null, json_null;
    char json[8192];
} scenario_result;

/* Load, build a case, decide, write JSON; free everything. Returns false if
** some step failed (with the codes in *res). */
static bool scenario(lw_options *o, scenario_result *res)
{
    memset(res, 0, sizeof *res);
    lw_playbook *pb = (lw_playbook *)1;
    lw_report *r = NULL;
    res->load_rc = lw_playbook_load_string("fi.yaml", PB_TEXT, strlen(PB_TEXT), o, &pb, &r);
    tu_report_free(r);
    if (res->load_rc != LW_OK) {
        assert_null(pb);
        return false;
    }
    assert_non_null(pb);
    bool ok = false;
    lw_engine *e = lw_engine_new(o);
    lw_case *c = lw_case_new(pb);
    res->engine_null = !e;
    res->case_null = !c;
    if (e && c) {
        /* setters may fail for lack of memory: then the case records less */
        lw_case_set_text(c, "request.kind", "terminate");
        lw_case_set_bool(c, "request.by_proxy", 1);
        lw_case_set_number(c, "customer.age", 82);
        lw_case_set_string(c, "customer.name", "Aino \xc3\x84ITI");
        lw_case_set_text(c, "customer.tier", "GOLD");
        lw_case_set_number(c, "incident.hours", 30);
        lw_case_set_text(c, "channel", "store");
        lw_case_set_text(c, "staff.role", "frontline");
        lw_case_set_text(c, "date", "2026-11-23");
        lw_case_set_text(c, "customer.agee", "1"); /* a problem: allocates */
        lw_case_reset(c);
        const char *j = "{\"request\": {\"kind\": \"terminate\", \"by_proxy\": true},"
                        " \"customer\": {\"age\": 82, \"name\": \"Aino \xc3\x84ITI\","
                        " \"tier\": \"GOLD\"}, \"incident\": {\"hours\": 30},"
                        " \"channel\": \"store\", \"staff\": {\"role\": \"frontline\"},"
                        " \"date\": \"2026-11-23\"}";
        const char *msg;
        int jrc = lw_case_read_json(c, "c.json", j, strlen(j), &msg);
        const lw_decision *d = NULL;
        lw_decide_options opt = {NULL, 1};
        res->decide_rc = lw_decide(e, pb, c, &opt, &d);
        if (res->decide_rc == LW_OK) {
            assert_non_null(d);
            const char *json = lw_decision_json(e, d, LW_JSON_TRACE, NULL);
            res->json_null = !json;
            if (json) {
                snprintf(res->json, sizeof res->json, "%s", json);
                ok = jrc == LW_OK;
            }
        } else {
            assert_null(d);
        }
    }
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return ok;
}

static void test_fault_injection_no_crash_no_leak(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    scenario_result ref, res;
    assert_true(scenario(&o, &ref));
    assert_int_equal(k.live_blocks, 0);
    long total = k.n;
    assert_true(total > 10);
    int load_failures = 0, decide_failures = 0, other = 0;
    for (long n = 1;; n++) {
        counting_options(&o, &k);
        k.fail_at = n;
        bool ok = scenario(&o, &res);
        /* never a leak through the allocator */
        if (k.live_blocks != 0)
            print_message("fail_at %ld: %ld blocks leaked\n", n, k.live_blocks);
        assert_int_equal(k.live_blocks, 0);
        assert_int_equal(k.live_bytes, 0);
        if (!k.failed) {
            /* past the last allocation: the run is complete and identical */
            assert_true(ok);
            assert_string_equal(res.json, ref.json);
            assert_true(n > total);
            break;
        }
        if (ok) {
            /* the failure was absorbed: the result must still be right */
            if (strcmp(res.json, ref.json) != 0)
                print_message("fail_at %ld: absorbed failure changed the decision\n", n);
            assert_string_equal(res.json, ref.json);
            continue;
        }
        if (res.load_rc != LW_OK) {
            load_failures++;
            assert_true(res.load_rc == LW_ERR_NOMEM || res.load_rc == LW_ERR_PLAYBOOK);
        } else if (res.decide_rc != LW_OK) {
            decide_failures++;
            assert_int_equal(res.decide_rc, LW_ERR_NOMEM);
        } else {
            other++;
        }
        assert_true(n < 100000);
    }
    print_message("fault injection: %ld allocations; %d load failures, %d decide failures, "
                  "%d other\n",
                  total, load_failures, decide_failures, other);
    assert_true(load_failures > 0);
}

/* "LW_ERR_NOMEM: the allocator refused": a load that fails only because an
** allocation was refused says so, rather than blaming the playbook. */
static void test_fault_injection_load_reports_nomem(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = NULL;
    assert_int_equal(lw_playbook_load_string("fi.yaml", PB_TEXT, strlen(PB_TEXT), &o, &pb, NULL),
                     LW_OK);
    lw_playbook_free(pb);
    long total = k.n;
    int wrong = 0, first_wrong = 0, wrong_rc = 0;
    for (long n = 1; n <= total; n++) {
        for (int with_report = 0; with_report < 2; with_report++) {
            counting_options(&o, &k);
            k.fail_at = n;
            lw_report *r = NULL;
            pb = NULL;
            int rc = lw_playbook_load_string("fi.yaml", PB_TEXT, strlen(PB_TEXT), &o, &pb,
                                             with_report ? &r : NULL);
            tu_report_free(r);
            lw_playbook_free(pb);
            assert_int_equal(k.live_blocks, 0);
            /* LW_OK: the failure was absorbed (checked for correctness above) */
            if (k.failed && rc != LW_ERR_NOMEM && rc != LW_OK) {
                if (!wrong++) {
                    first_wrong = (int)n;
                    wrong_rc = rc;
                }
            }
        }
    }
    if (wrong)
        print_message("%d of %ld failed allocations during load did not give LW_ERR_NOMEM "
                      "(first: allocation %d gave %s)\n",
                      wrong, 2 * total, first_wrong, lw_errstr(wrong_rc));
    assert_int_equal(wrong, 0);
}

/* Imports under fault injection: every allocation failure is an error code
** or absorbed, never a crash, never a leak. */
static void test_fault_injection_with_imports(void **state)
{
    (void)state;
    char dir[] = "/tmp/leeway_imp_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char main_path[512], rules_path[512];
    snprintf(main_path, sizeof main_path, "%s/main.yaml", dir);
    snprintf(rules_path, sizeof rules_path, "%s/roles.yaml", dir);
    FILE *f = fopen(rules_path, "w");
    assert_non_null(f);
    fputs("roles:\n  - { id: agent, goodwill_limit: 10 EUR }\n"
          "  - { id: boss, goodwill_limit: 100 EUR, may_override: all }\n", f);
    fclose(f);
    f = fopen(main_path, "w");
    assert_non_null(f);
    fputs("playbook: imp\nversion: \"1\"\ncurrency: EUR\nimports: [roles.yaml]\n"
          "facts: { staff.role: { type: role }, x: { type: bool } }\n"
          "policies:\n  - { id: p, applies: x, outcome: deny }\n", f);
    fclose(f);

    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = NULL;
    assert_int_equal(lw_playbook_load(main_path, &o, &pb, NULL), LW_OK);
    assert_int_equal(lw_role_count(pb), 2);
    lw_playbook_free(pb);
    long total = k.n;
    for (long n = 1; n <= total + 1; n++) {
        counting_options(&o, &k);
        k.fail_at = n;
        lw_report *r = NULL;
        pb = NULL;
        int rc = lw_playbook_load(main_path, &o, &pb, &r);
        if (rc == LW_OK)
            assert_int_equal(lw_role_count(pb), 2);
        else
            assert_null(pb);
        tu_report_free(r);
        lw_playbook_free(pb);
        assert_int_equal(k.live_blocks, 0);
    }
    unlink(main_path);
    unlink(rules_path);
    rmdir(dir);
}

static void test_fault_injection_engine_new(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    k.fail_at = 1;
    assert_null(lw_engine_new(&o));
    assert_int_equal(k.live_blocks, 0);
}

static void test_fault_injection_case_new(void **state)
{
    (void)state;
    counter k;
    lw_options o;
    counting_options(&o, &k);
    lw_playbook *pb = tu_load_opt(PB_TEXT, &o);
    for (long i = 1; i <= 3; i++) {
        k.fail_at = k.n + i;
        k.failed = false;
        lw_case *c = lw_case_new(pb);
        assert_true(k.failed);
        assert_null(c);
    }
    k.fail_at = 0;
    lw_playbook_free(pb);
    assert_int_equal(k.live_blocks, 0);
}

static int group_teardown(void **state)
{
    (void)state;
    tu_release_pending();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_errstr_every_code),
        cmocka_unit_test(test_errstr_unknown_codes_never_null),
        cmocka_unit_test(test_options_init_defaults),
        cmocka_unit_test(test_null_reports),
        cmocka_unit_test(test_null_playbook_load),
        cmocka_unit_test(test_null_playbook_accessors),
        cmocka_unit_test(test_null_engine_and_case),
        cmocka_unit_test(test_null_with_real_objects),
        cmocka_unit_test(test_decide_case_of_another_playbook),
        cmocka_unit_test(test_null_formatters),
        cmocka_unit_test(test_null_test_file),
        cmocka_unit_test(test_playbook_accessors),
        cmocka_unit_test(test_same_text_same_digest),
        cmocka_unit_test(test_load_from_file),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_file_limit),
        cmocka_unit_test(test_report_accessors_out_of_range),
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_report_has_warnings_on_success),
        cmocka_unit_test(test_load_string_name_null),
        cmocka_unit_test(test_load_string_respects_len),
        cmocka_unit_test(test_load_error_without_report_no_use_after_free),
        cmocka_unit_test(test_case_setters_unknown_path),
        cmocka_unit_test(test_case_setters_values),
        cmocka_unit_test(test_case_json_keeps_refused_values),
        cmocka_unit_test(test_case_set_money),
        cmocka_unit_test(test_case_type_errors),
        cmocka_unit_test(test_case_read_json_errors_with_position),
        cmocka_unit_test(test_case_read_json_trailing_garbage),
        cmocka_unit_test(test_case_read_json_values),
        cmocka_unit_test(test_case_read_json_invalid_values_keep_going),
        cmocka_unit_test(test_case_read_file),
        cmocka_unit_test(test_allocator_is_used_and_balanced),
        cmocka_unit_test(test_report_uses_allocator),
        cmocka_unit_test(test_decide_allocates_nothing_when_warm),
        cmocka_unit_test(test_decide_with_trace_allocates_nothing_when_warm),
        cmocka_unit_test(test_decision_json_allocates_nothing_when_warm),
        cmocka_unit_test(test_decide_varied_cases_allocates_nothing_when_warm),
        cmocka_unit_test(test_fault_injection_no_crash_no_leak),
        cmocka_unit_test(test_fault_injection_load_reports_nomem),
        cmocka_unit_test(test_fault_injection_engine_new),
        cmocka_unit_test(test_fault_injection_case_new),
        /* last: it crashes the engine today, and a sanitizer stops the run */
        cmocka_unit_test(test_fault_injection_with_imports),
    };
    return cmocka_run_group_tests(tests, NULL, group_teardown);
}
