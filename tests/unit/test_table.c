/*
** test_table.c -- decision tables (docs/playbook-format.md §6): hit policies
** first, unique, any, priority, collect (sum/min/max/count), rule_order and
** output_order; tables with several results; defaults; the unary-test
** cells; row ids in the goodwill step results.
*/
#include "lw_test_util.h"

#define HEAD                                                                        \
    "playbook: table-test\n"                                                        \
    "version: \"1\"\n"                                                              \
    "currency: EUR\n"                                                               \
    "facts:\n"                                                                      \
    "  incident.category: { type: enum, values: [delay, damaged, lost] }\n"         \
    "  incident.severity: { type: number }\n"                                       \
    "  incident.delay:    { type: duration }\n"                                     \
    "  customer.tier:     { type: enum, values: [basic, silver, gold, platinum], "  \
    "default: basic }\n"                                                            \
    "  customer.name:     { type: string }\n"                                       \
    "  order.value:       { type: money }\n"                                        \
    "  order.date:        { type: date }\n"                                         \
    "  flight.intra_eu:   { type: bool }\n"


/* Reset the case, set pairs, decide. */
static const lw_decision *run(const char *first, ...)
{
    lw_case_reset(tu_F.c);
    va_list ap;
    va_start(ap, first);
    for (const char *path = first; path; path = va_arg(ap, const char *)) {
        const char *text = va_arg(ap, const char *);
        int rc = lw_case_set_text(tu_F.c, path, text);
        if (rc != LW_OK)
            print_message("set %s = %s: %s\n", path, text, lw_errstr(rc));
        assert_int_equal(rc, LW_OK);
    }
    va_end(ap);
    return tu_decide(&tu_F);
}
#define RUN(...) run(__VA_ARGS__, NULL)

static const char *amount(const lw_decision *d)
{
    return tu_money(d->goodwill.amount);
}

static const char *out(const lw_decision *d, const char *name)
{
    const lw_output_result *o = tu_output(d, name);
    assert_non_null(o);
    return tu_value(&o->value);
}

/* ---------------------------------------------------------------------- */
/* hit: first -- the example of docs/playbook-format.md §6                */

static const char *const FIRST_PB = HEAD
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      hit: first\n"
    "      inputs:  [incident.category, incident.severity, customer.tier]\n"
    "      output:  amount\n"
    "      rows:\n"
    "        - [delay,   \">= 4\",  \"-\",                 40 EUR]\n"
    "        - [delay,   \"1..3\",  \"gold, platinum\",    25 EUR]\n"
    "        - [delay,   \"1..3\",  \"-\",                 15 EUR]\n"
    "        - [damaged, \"-\",     \"-\",                 \"min(order.value * 20%, 100 EUR)\"]\n";

static void test_first_picks_first_matching_row(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    const lw_decision *d = RUN("incident.category", "delay", "incident.severity", "5");
    assert_string_equal(amount(d), "40.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 1);
    assert_string_equal(d->goodwill.steps[0].id, "base");
    assert_int_equal(d->goodwill.steps[0].row, 1);
    assert_string_equal(tu_money(d->goodwill.steps[0].amount), "40.00 EUR");
    assert_null(d->goodwill.steps[0].row_id);
}

static void test_first_list_cell_and_range(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    const lw_decision *d = RUN("incident.category", "delay", "incident.severity", "2",
                               "customer.tier", "platinum");
    assert_string_equal(amount(d), "25.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 2);
    /* the same with the default tier (basic): row 3 */
    d = RUN("incident.category", "delay", "incident.severity", "2");
    assert_string_equal(amount(d), "15.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 3);
    /* range ends are inclusive */
    d = RUN("incident.category", "delay", "incident.severity", "1");
    assert_int_equal(d->goodwill.steps[0].row, 3);
    d = RUN("incident.category", "delay", "incident.severity", "3", "customer.tier", "gold");
    assert_int_equal(d->goodwill.steps[0].row, 2);
}

static void test_first_expression_output(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    /* 129.99 x 20% = 25.998 -> 26.00 */
    const lw_decision *d = RUN("incident.category", "damaged", "order.value", "129.99");
    assert_string_equal(amount(d), "26.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 4);
    d = RUN("incident.category", "damaged", "order.value", "1000 EUR");
    assert_string_equal(amount(d), "100.00 EUR");
}

static void test_first_no_match(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    const lw_decision *d = RUN("incident.category", "delay", "incident.severity", "0");
    assert_string_equal(amount(d), "0.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 0);
    assert_int_equal(d->n_missing, 0);
    assert_int_equal(d->n_errors, 0);
    d = RUN("incident.category", "lost");
    assert_string_equal(amount(d), "0.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 0);
}

static void test_first_missing_input_that_matters(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    /* delay with unknown severity: rows 1-3 are unknown, row 4 false */
    const lw_decision *d = RUN("incident.category", "delay");
    assert_string_equal(amount(d), "0.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 0);
    assert_string_equal(tu_missing(d), "incident.severity");
}

static void test_first_missing_input_that_does_not_matter(void **state)
{
    (void)state;
    tu_open_pb(FIRST_PB);
    /* damaged: severity is "-" in row 4 and rows 1-3 fail on the category */
    const lw_decision *d = RUN("incident.category", "damaged", "order.value", "50");
    assert_string_equal(amount(d), "10.00 EUR");
    assert_int_equal(d->n_missing, 0);
    /* lost: no row can match, whatever the severity */
    d = RUN("incident.category", "lost");
    assert_int_equal(d->n_missing, 0);
}

/* ---------------------------------------------------------------------- */
/* hit: unique                                                            */

static const char *const UNIQUE_PB = HEAD
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      hit: unique\n"
    "      inputs: [incident.severity]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - [\"<= 3\", 10 EUR]\n"
    "        - [\">= 3\", 20 EUR]\n";

static void test_unique_single_match(void **state)
{
    (void)state;
    tu_open_pb(UNIQUE_PB);
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(amount(d), "10.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 1);
    assert_int_equal(d->n_errors, 0);
    d = RUN("incident.severity", "5");
    assert_string_equal(amount(d), "20.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 2);
    assert_int_equal(d->n_errors, 0);
}

static void test_unique_overlap_is_an_error_entry(void **state)
{
    (void)state;
    tu_open_pb(UNIQUE_PB);
    const lw_decision *d = RUN("incident.severity", "3");
    assert_int_equal(d->n_errors, 1);
    assert_string_equal(d->errors[0].rule, "base");
    assert_string_equal(d->errors[0].file, "test.yaml");
    assert_true(d->errors[0].line > 0);
    assert_non_null(strstr(d->errors[0].message, "rows 1 and 2 both match"));
    assert_non_null(strstr(d->errors[0].message, "unique"));
    /* the step gives no amount */
    assert_string_equal(amount(d), "0.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 0);
    /* the decision itself is still made */
    assert_string_equal(d->outcome, "allow");
}

/* ---------------------------------------------------------------------- */
/* hit: any                                                               */

static const char *const ANY_PB = HEAD
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      hit: any\n"
    "      inputs: [incident.severity]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - [\"<= 3\", 10 EUR]\n"
    "        - [\">= 3\", 10 EUR]\n"
    "        - [\">= 5\", 30 EUR]\n";

static void test_any_agreeing_matches(void **state)
{
    (void)state;
    tu_open_pb(ANY_PB);
    const lw_decision *d = RUN("incident.severity", "3");
    assert_string_equal(amount(d), "10.00 EUR");
    assert_int_equal(d->n_errors, 0);
    assert_int_equal(d->goodwill.n_steps, 1);
}

static void test_any_disagreeing_matches_is_an_error(void **state)
{
    (void)state;
    tu_open_pb(ANY_PB);
    const lw_decision *d = RUN("incident.severity", "6");
    assert_int_equal(d->n_errors, 1);
    assert_string_equal(d->errors[0].rule, "base");
    assert_non_null(strstr(d->errors[0].message, "rows 2 and 3"));
    assert_non_null(strstr(d->errors[0].message, "different results"));
    assert_string_equal(amount(d), "0.00 EUR");
}

/* ---------------------------------------------------------------------- */
/* hit: priority                                                          */

static const char *const PRIORITY_PB = HEAD
    "outputs:\n"
    "  band:\n"
    "    values: [high, medium, low]\n"
    "    table:\n"
    "      hit: priority\n"
    "      inputs: [incident.severity]\n"
    "      output: band\n"
    "      rows:\n"
    "        - [\">= 1\", low]\n"
    "        - [\">= 5\", high]\n"
    "        - [\">= 3\", medium]\n";

static void test_priority_by_declared_values_order(void **state)
{
    (void)state;
    tu_open_pb(PRIORITY_PB);
    assert_string_equal(out(RUN("incident.severity", "6"), "band"), "high");
    assert_string_equal(out(RUN("incident.severity", "4"), "band"), "medium");
    assert_string_equal(out(RUN("incident.severity", "1"), "band"), "low");
    const lw_decision *d = RUN("incident.severity", "0");
    assert_string_equal(out(d, "band"), "null");
    assert_int_equal(tu_output(d, "band")->value.type, LW_V_NULL);
    d = RUN("incident.severity", "6");
    assert_int_equal(tu_output(d, "band")->value.type, LW_V_ENUM);
}

static void test_priority_needs_values(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  band:\n"
        "    table:\n"
        "      hit: priority\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\">= 1\", '\"low\"']\n");
    assert_non_null(strstr(tu_first_error(r)->message, "values:"));
    assert_string_equal(tu_first_error(r)->rule, "band");
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* hit: collect with aggregates                                           */

static const char *const COLLECT_PB = HEAD
    "goodwill:\n"
    "  - id: extras\n"
    "    table:\n"
    "      hit: collect\n"
    "      aggregate: sum\n"
    "      inputs: [incident.severity, customer.tier]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - [\">= 1\", \"-\",              5 EUR]\n"
    "        - [\">= 3\", \"-\",              10 EUR]\n"
    "        - [\"-\",    \"gold, platinum\", 7.50 EUR]\n"
    "outputs:\n"
    "  n_sum:\n"
    "    table: { hit: collect, aggregate: sum, inputs: [incident.severity],\n"
    "             rows: [[\">= 1\", 3], [\">= 2\", 1], [\">= 3\", 2]] }\n"
    "  n_min:\n"
    "    table: { hit: collect, aggregate: min, inputs: [incident.severity],\n"
    "             rows: [[\">= 1\", 3], [\">= 2\", 1], [\">= 3\", 2]] }\n"
    "  n_max:\n"
    "    table: { hit: collect, aggregate: max, inputs: [incident.severity],\n"
    "             rows: [[\">= 1\", 3], [\">= 2\", 1], [\">= 3\", 5]] }\n"
    "  n_count:\n"
    "    table: { hit: collect, aggregate: count, inputs: [incident.severity],\n"
    "             rows: [[\">= 1\", 3], [\">= 2\", 1], [\">= 3\", 2]] }\n"
    "  d_max:\n"
    "    table: { hit: collect, aggregate: max, inputs: [incident.severity],\n"
    "             rows: [[\">= 1\", 90min], [\">= 2\", 2h], [\">= 3\", 30min]] }\n";

static void test_collect_sum_money(void **state)
{
    (void)state;
    tu_open_pb(COLLECT_PB);
    const lw_decision *d = RUN("incident.severity", "3", "customer.tier", "gold");
    assert_string_equal(amount(d), "22.50 EUR");
    assert_int_equal(d->goodwill.n_steps, 1);
    assert_string_equal(d->goodwill.steps[0].id, "extras");
    d = RUN("incident.severity", "1");
    assert_string_equal(amount(d), "5.00 EUR");
    d = RUN("incident.severity", "0", "customer.tier", "platinum");
    assert_string_equal(amount(d), "7.50 EUR");
}

static void test_collect_sum_min_max_count_numbers(void **state)
{
    (void)state;
    tu_open_pb(COLLECT_PB);
    const lw_decision *d = RUN("incident.severity", "3");
    assert_string_equal(out(d, "n_sum"), "6");
    assert_string_equal(out(d, "n_min"), "1");
    assert_string_equal(out(d, "n_max"), "5");
    assert_string_equal(out(d, "n_count"), "3");
    assert_string_equal(out(d, "d_max"), "2h");
    d = RUN("incident.severity", "1");
    assert_string_equal(out(d, "n_sum"), "3");
    assert_string_equal(out(d, "n_min"), "3");
    assert_string_equal(out(d, "n_max"), "3");
    assert_string_equal(out(d, "n_count"), "1");
    assert_string_equal(out(d, "d_max"), "1h30min");
    d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "n_count"), "2");
    assert_string_equal(out(d, "n_min"), "1");
}

/* A goodwill table gives money; collect without aggregate and rule_order give
** a list, which can never be an amount: that is a playbook error, not a
** step that silently grants nothing. */
static void test_goodwill_table_must_not_give_a_list(void **state)
{
    (void)state;
    static const char *const hits[] = {"collect", "rule_order"};
    for (int i = 0; i < 2; i++) {
        char text[2048];
        snprintf(text, sizeof text,
                 HEAD "goodwill:\n"
                      "  - id: base\n"
                      "    table:\n"
                      "      hit: %s\n"
                      "      inputs: [incident.severity]\n"
                      "      output: amount\n"
                      "      rows:\n"
                      "        - [\">= 1\", 5 EUR]\n"
                      "        - [\">= 2\", 7 EUR]\n",
                 hits[i]);
        lw_report *r = tu_load_fail(text);
        assert_string_equal(tu_first_error(r)->rule, "base");
        tu_report_free(r);
    }
}

static void test_collect_aggregate_needs_numbers(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  s:\n"
        "    table: { hit: collect, aggregate: sum, inputs: [incident.severity],\n"
        "             rows: [[\">= 1\", '\"a\"'], [\">= 2\", '\"b\"']] }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "aggregate: sum needs numbers"));
    tu_report_free(r);
}

static void test_aggregate_only_for_collect(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  s:\n"
        "    table: { hit: first, aggregate: sum, inputs: [incident.severity],\n"
        "             rows: [[\">= 1\", 1]] }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "only for hit: collect"));
    tu_report_free(r);
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  s:\n"
        "    table: { hit: collect, aggregate: average, inputs: [incident.severity],\n"
        "             rows: [[\">= 1\", 1]] }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "sum, min, max or count"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* hit: collect (no aggregate) and rule_order: lists in row order         */

static const char *const LIST_PB = HEAD
    "outputs:\n"
    "  flags:\n"
    "    table:\n"
    "      hit: collect\n"
    "      inputs: [incident.severity]\n"
    "      rows:\n"
    "        - [\">= 5\", '\"critical\"']\n"
    "        - [\">= 1\", '\"minor\"']\n"
    "        - [\">= 3\", '\"major\"']\n"
    "  ordered:\n"
    "    table:\n"
    "      hit: rule_order\n"
    "      inputs: [incident.severity]\n"
    "      rows:\n"
    "        - [\">= 3\", '\"major\"']\n"
    "        - [\">= 1\", '\"minor\"']\n";

static void test_collect_list_in_row_order(void **state)
{
    (void)state;
    tu_open_pb(LIST_PB);
    const lw_decision *d = RUN("incident.severity", "6");
    const lw_output_result *o = tu_output(d, "flags");
    assert_int_equal(o->value.type, LW_V_LIST);
    assert_string_equal(o->value.text, "[\"critical\",\"minor\",\"major\"]");
    d = RUN("incident.severity", "4");
    assert_string_equal(tu_output(d, "flags")->value.text, "[\"minor\",\"major\"]");
}

static void test_rule_order_list(void **state)
{
    (void)state;
    tu_open_pb(LIST_PB);
    const lw_decision *d = RUN("incident.severity", "4");
    const lw_output_result *o = tu_output(d, "ordered");
    assert_int_equal(o->value.type, LW_V_LIST);
    assert_string_equal(o->value.text, "[\"major\",\"minor\"]");
    d = RUN("incident.severity", "2");
    assert_string_equal(tu_output(d, "ordered")->value.text, "[\"minor\"]");
}

static void test_collect_list_no_match_is_empty(void **state)
{
    (void)state;
    tu_open_pb(LIST_PB);
    const lw_decision *d = RUN("incident.severity", "0");
    const lw_output_result *o = tu_output(d, "flags");
    assert_int_equal(o->value.type, LW_V_LIST);
    assert_string_equal(o->value.text, "[]");
}

/* ---------------------------------------------------------------------- */
/* cells                                                                  */

static const char *const CELLS_PB = HEAD
    "outputs:\n"
    "  tier_cell:\n"
    "    table:\n"
    "      inputs: [customer.tier]\n"
    "      rows:\n"
    "        - [\"not(basic, silver)\", '\"top\"']\n"
    "        - [\"not(basic)\",         '\"mid\"']\n"
    "        - [\"-\",                  '\"low\"']\n"
    "  cmp:\n"
    "    table:\n"
    "      inputs: [incident.severity]\n"
    "      rows:\n"
    "        - [\"> 10\",   '\"gt10\"']\n"
    "        - [\"== 10\",  '\"eq10\"']\n"
    "        - [\"< 0\",    '\"neg\"']\n"
    "        - [\"!= 5\",   '\"not5\"']\n"
    "        - [\"5\",      '\"five\"']\n"
    "  multi:\n"
    "    table:\n"
    "      inputs: [incident.severity]\n"
    "      rows:\n"
    "        - [\"1, 3, 7..9\", '\"listed\"']\n"
    "        - [\"not(0..100)\", '\"outside\"']\n"
    "        - [\"-\", '\"other\"']\n"
    "  money_cell:\n"
    "    table:\n"
    "      inputs: [order.value]\n"
    "      rows:\n"
    "        - [\">= 100 EUR\", '\"big\"']\n"
    "        - [\"10..99.99\",  '\"medium\"']\n"
    "        - [\"-\",          '\"small\"']\n"
    "  bool_cell:\n"
    "    table:\n"
    "      inputs: [flight.intra_eu]\n"
    "      rows:\n"
    "        - [true, '\"eu\"']\n"
    "        - [false, '\"non-eu\"']\n"
    "  text_cell:\n"
    "    table:\n"
    "      inputs: [customer.name]\n"
    "      rows:\n"
    "        - ['\"Anna\", \"Bo\"', '\"listed\"']\n"
    "        - [\"-\", '\"other\"']\n"
    "  dur_cell:\n"
    "    table:\n"
    "      inputs: [incident.delay]\n"
    "      rows:\n"
    "        - [\">= 3h\", '\"long\"']\n"
    "        - [\"> 0s\",  '\"short\"']\n"
    "  date_cell:\n"
    "    table:\n"
    "      inputs: [order.date]\n"
    "      rows:\n"
    "        - [\"< 2026-01-01\", '\"old\"']\n"
    "        - [\"-\", '\"new\"']\n"
    "  two_inputs:\n"
    "    table:\n"
    "      inputs: [incident.category, customer.tier]\n"
    "      rows:\n"
    "        - [\"delay, lost\", \"gold\", '\"a\"']\n"
    "        - [\"delay\",       \"-\",    '\"b\"']\n"
    "        - [\"-\",           \"-\",    '\"c\"']\n";

static void test_cell_not(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("customer.tier", "gold"), "tier_cell"), "top");
    assert_string_equal(out(RUN("customer.tier", "platinum"), "tier_cell"), "top");
    assert_string_equal(out(RUN("customer.tier", "silver"), "tier_cell"), "mid");
    assert_string_equal(out(RUN("customer.tier", "basic"), "tier_cell"), "low");
}

static void test_cell_comparisons(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("incident.severity", "11"), "cmp"), "gt10");
    assert_string_equal(out(RUN("incident.severity", "10"), "cmp"), "eq10");
    assert_string_equal(out(RUN("incident.severity", "-1"), "cmp"), "neg");
    assert_string_equal(out(RUN("incident.severity", "4"), "cmp"), "not5");
    assert_string_equal(out(RUN("incident.severity", "5"), "cmp"), "five");
}

static void test_cell_lists_and_ranges(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("incident.severity", "1"), "multi"), "listed");
    assert_string_equal(out(RUN("incident.severity", "3"), "multi"), "listed");
    assert_string_equal(out(RUN("incident.severity", "8.5"), "multi"), "listed");
    assert_string_equal(out(RUN("incident.severity", "9"), "multi"), "listed");
    assert_string_equal(out(RUN("incident.severity", "2"), "multi"), "other");
    assert_string_equal(out(RUN("incident.severity", "101"), "multi"), "outside");
    assert_string_equal(out(RUN("incident.severity", "-0.5"), "multi"), "outside");
}

static void test_cell_money(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("order.value", "100"), "money_cell"), "big");
    assert_string_equal(out(RUN("order.value", "99.99"), "money_cell"), "medium");
    assert_string_equal(out(RUN("order.value", "10 EUR"), "money_cell"), "medium");
    assert_string_equal(out(RUN("order.value", "9.99"), "money_cell"), "small");
}

static void test_cell_bool_text_duration_date(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("flight.intra_eu", "true"), "bool_cell"), "eu");
    assert_string_equal(out(RUN("flight.intra_eu", "false"), "bool_cell"), "non-eu");
    assert_string_equal(out(RUN("customer.name", "Bo"), "text_cell"), "listed");
    assert_string_equal(out(RUN("customer.name", "Anna"), "text_cell"), "listed");
    assert_string_equal(out(RUN("customer.name", "anna"), "text_cell"), "other");
    assert_string_equal(out(RUN("incident.delay", "3h"), "dur_cell"), "long");
    assert_string_equal(out(RUN("incident.delay", "90min"), "dur_cell"), "short");
    assert_string_equal(out(RUN("order.date", "2025-12-31"), "date_cell"), "old");
    assert_string_equal(out(RUN("order.date", "2026-01-01"), "date_cell"), "new");
}

static void test_cell_several_inputs(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    assert_string_equal(out(RUN("incident.category", "lost", "customer.tier", "gold"),
                            "two_inputs"), "a");
    assert_string_equal(out(RUN("incident.category", "delay", "customer.tier", "gold"),
                            "two_inputs"), "a");
    assert_string_equal(out(RUN("incident.category", "delay"), "two_inputs"), "b");
    assert_string_equal(out(RUN("incident.category", "lost"), "two_inputs"), "c");
    assert_string_equal(out(RUN("incident.category", "damaged", "customer.tier", "gold"),
                            "two_inputs"), "c");
}

static void test_cell_missing_input_is_unknown(void **state)
{
    (void)state;
    tu_open_pb(CELLS_PB);
    const lw_decision *d = RUN("customer.tier", "gold");
    /* every row of bool_cell reads the missing fact */
    assert_string_equal(out(d, "bool_cell"), "null");
    assert_non_null(strstr(tu_missing(d), "flight.intra_eu"));
}

/* Duration ranges in a cell, written like the `1..3` of docs/playbook-format.md §6. */
static void test_cell_duration_range(void **state)
{
    (void)state;
    tu_open_pb(HEAD
        "outputs:\n"
        "  band:\n"
        "    table:\n"
        "      inputs: [incident.delay]\n"
        "      rows:\n"
        "        - [\"2h..4h\", '\"mid\"']\n"
        "        - [\"-\",      '\"other\"']\n");
    assert_string_equal(out(RUN("incident.delay", "3h"), "band"), "mid");
    assert_string_equal(out(RUN("incident.delay", "5h"), "band"), "other");
}

static void test_cell_errors(void **state)
{
    (void)state;
    /* an enum word that is not declared */
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [customer.tier]\n"
        "      rows:\n"
        "        - [diamond, 1]\n");
    const lw_diag *e = tu_first_error(r);
    assert_non_null(strstr(e->message, "'diamond' is not one of the declared values"));
    assert_int_equal(e->line, 18);
    assert_int_equal(e->column, 12);
    assert_string_equal(e->rule, "o");
    tu_report_free(r);
    /* an expression in a cell */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\">= incident.severity\", 1]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "fixed values"));
    tu_report_free(r);
    /* wrong number of cells */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity, customer.tier]\n"
        "      rows:\n"
        "        - [\"-\", \"-\", 1]\n"
        "        - [\"-\", 2]\n");
    e = tu_first_error(r);
    assert_non_null(strstr(e->message, "row 2 has 2 cells but the table has 2 inputs"));
    assert_int_equal(e->line, 19);
    tu_report_free(r);
    /* unknown hit policy */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      hit: random\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\"-\", 1]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "'random' is not a hit policy"));
    tu_report_free(r);
    /* rows giving different types */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\">= 1\", 1]\n"
        "        - [\"-\", '\"text\"']\n");
    assert_non_null(strstr(tu_first_error(r)->message, "all rows must give the same type"));
    tu_report_free(r);
    /* a bare word result that is neither fact, value nor function */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\">= 1\", high]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "unknown fact or word 'high'"));
    tu_report_free(r);
}

/* A type error in a cell points into the cell (line 18; the cell's quote is
** at column 12), never before the start of the line. */
static void test_cell_type_error_position(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - [\">= 10 EUR\", 1]\n");
    const lw_diag *e = tu_first_error(r);
    assert_string_equal(e->message,
                        "column 1 (incident.severity) takes a number, but this cell is money in EUR");
    assert_int_equal(e->line, 18);
    if (e->column < 12 || e->column > 12 + 10)
        print_message("column %d is outside the cell (12..22)\n", e->column);
    assert_true(e->column >= 12 && e->column <= 12 + 10);
    tu_report_free(r);
}

static void test_table_structure_errors(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows: []\n");
    assert_non_null(strstr(tu_first_error(r)->message, "a table needs rows"));
    tu_report_free(r);
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      rows: [[1]]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "a table needs inputs"));
    tu_report_free(r);
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      input: [incident.severity]\n"
        "      rows: [[\"-\", 1]]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "unknown key 'input'"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* row ids                                                                */

static const char *const ROWID_PB = HEAD
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      inputs: [incident.category, incident.severity]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - {id: B01, row: [delay, \">= 4\", 40 EUR]}\n"
    "        - {id: B02, row: [delay, \"-\", 15 EUR]}\n"
    "        - [damaged, \"-\", 10 EUR]\n"
    "  - id: extra\n"
    "    table:\n"
    "      hit: first\n"
    "      inputs: [customer.tier]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - {id: GOLD-BONUS, row: [gold, \"amount + 5 EUR\"]}\n";

static void test_row_ids_in_step_results(void **state)
{
    (void)state;
    tu_open_pb(ROWID_PB);
    const lw_decision *d = RUN("incident.category", "delay", "incident.severity", "5",
                               "customer.tier", "gold");
    assert_int_equal(d->goodwill.n_steps, 2);
    assert_string_equal(d->goodwill.steps[0].id, "base");
    assert_int_equal(d->goodwill.steps[0].row, 1);
    assert_string_equal(d->goodwill.steps[0].row_id, "B01");
    assert_string_equal(tu_money(d->goodwill.steps[0].amount), "40.00 EUR");
    assert_string_equal(d->goodwill.steps[1].id, "extra");
    assert_int_equal(d->goodwill.steps[1].row, 1);
    assert_string_equal(d->goodwill.steps[1].row_id, "GOLD-BONUS");
    assert_string_equal(tu_money(d->goodwill.steps[1].amount), "45.00 EUR");
    assert_string_equal(amount(d), "45.00 EUR");

    d = RUN("incident.category", "delay", "incident.severity", "1");
    assert_int_equal(d->goodwill.n_steps, 1);
    assert_int_equal(d->goodwill.steps[0].row, 2);
    assert_string_equal(d->goodwill.steps[0].row_id, "B02");

    d = RUN("incident.category", "damaged");
    assert_int_equal(d->goodwill.steps[0].row, 3);
    assert_null(d->goodwill.steps[0].row_id);
}

static void test_row_ids_in_json(void **state)
{
    (void)state;
    tu_open_pb(ROWID_PB);
    const lw_decision *d = RUN("incident.category", "delay", "incident.severity", "5");
    const char *json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_non_null(json);
    assert_non_null(strstr(json, "{\"id\":\"base\",\"amount\":\"40.00\",\"row\":1,\"row_id\":\"B01\"}"));
}

static void test_row_mapping_needs_id_and_row(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  o:\n"
        "    table:\n"
        "      inputs: [incident.severity]\n"
        "      rows:\n"
        "        - {id: R1, cells: [\"-\", 1]}\n");
    assert_non_null(strstr(tu_first_error(r)->message, "exactly id: and row:"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* several results, output_order, defaults                                */

static const char *const MULTI_PB = HEAD
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      hit: priority\n"
    "      inputs: [incident.severity]\n"
    "      outputs:\n"
    "        reason: { values: [severe, minor] }\n"
    "        amount: { default: 1 EUR }\n"
    "      rows:\n"
    "        - [\">= 1\", minor,  10 EUR]\n"
    "        - [\">= 3\", severe, 30 EUR]\n"
    "        - [\">= 2\", minor,  20 EUR]\n"
    "outputs:\n"
    "  before: { value: '\"first\"' }\n"
    "  handling:\n"
    "    table:\n"
    "      hit: output_order\n"
    "      inputs: [incident.severity]\n"
    "      outputs:\n"
    "        team:  { values: [claims, dispatch] }\n"
    "        hours:\n"
    "      rows:\n"
    "        - [\">= 1\", dispatch, 48]\n"
    "        - [\">= 2\", claims,   24]\n"
    "  routing:\n"
    "    table:\n"
    "      hit: first\n"
    "      inputs: [customer.tier]\n"
    "      outputs:\n"
    "        desk: { default: '\"front\"' }\n"
    "        callback: { default: false }\n"
    "      rows:\n"
    "        - [gold, '\"vip desk\"', true]\n"
    "  after: { value: 'outputs.desk' }\n";

static void test_multi_outputs_in_place(void **state)
{
    (void)state;
    tu_open_pb(MULTI_PB);
    const lw_decision *d = RUN("incident.severity", "2", "customer.tier", "gold");
    /* each result is an output, in the table's place, named by its column */
    static const char *const names[] = {"before", "team", "hours", "desk", "callback", "after"};
    assert_int_equal(d->n_outputs, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(d->outputs[i].name, names[i]);
    assert_string_equal(out(d, "desk"), "vip desk");
    assert_string_equal(out(d, "callback"), "true");
    assert_string_equal(out(d, "after"), "vip desk");
}

static void test_multi_defaults_per_result(void **state)
{
    (void)state;
    tu_open_pb(MULTI_PB);
    const lw_decision *d = RUN("incident.severity", "0", "customer.tier", "basic");
    assert_string_equal(out(d, "desk"), "front");
    assert_string_equal(out(d, "callback"), "false");
    assert_string_equal(out(d, "after"), "front");
    /* the goodwill step's amount is its result called amount, here the default */
    assert_string_equal(amount(d), "1.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 0);
    /* a list policy gives empty lists, not the default */
    assert_string_equal(out(d, "team"), "[]");
    assert_string_equal(out(d, "hours"), "[]");
}

static void test_multi_priority_ranks_whole_rows(void **state)
{
    (void)state;
    tu_open_pb(MULTI_PB);
    const lw_decision *d = RUN("incident.severity", "3");
    assert_string_equal(amount(d), "30.00 EUR");
    assert_int_equal(d->goodwill.steps[0].row, 2);
    d = RUN("incident.severity", "2");
    assert_string_equal(amount(d), "10.00 EUR"); /* a tie on reason: the first row */
    assert_int_equal(d->goodwill.steps[0].row, 1);
}

static void test_output_order_sorts_rows(void **state)
{
    (void)state;
    tu_open_pb(MULTI_PB);
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "team"), "[\"claims\",\"dispatch\"]");
    assert_string_equal(out(d, "hours"), "[\"24\",\"48\"]");
}

static void test_multi_when_applies_to_every_result(void **state)
{
    (void)state;
    tu_open_pb(HEAD
        "outputs:\n"
        "  routing:\n"
        "    when: \"incident.severity > 1\"\n"
        "    table:\n"
        "      inputs: [customer.tier]\n"
        "      outputs: [desk, callback]\n"
        "      rows:\n"
        "        - [\"-\", '\"front\"', true]\n");
    const lw_decision *d = RUN("incident.severity", "1");
    assert_string_equal(out(d, "desk"), "null");
    assert_string_equal(out(d, "callback"), "null");
    d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "desk"), "front");
    assert_string_equal(out(d, "callback"), "true");
}

/* Every hit policy on a table with several results, as DMN 1.3 applies it
** to whole rows; collect's aggregates work column by column. */
static const char *const MULTI_HIT_PB = HEAD
    "outputs:\n"
    "  u:\n"
    "    table:\n"
    "      hit: unique\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [u_desk, u_hours]\n"
    "      rows:\n"
    "        - [\"1..4\", '\"front\"', 48]\n"
    "        - [\"4..9\", '\"back\"',  24]\n"
    "  a:\n"
    "    table:\n"
    "      hit: any\n"
    "      inputs: [incident.severity, customer.tier]\n"
    "      outputs: [a_desk, a_hours]\n"
    "      rows:\n"
    "        - [\">= 1\", \"-\",  '\"front\"', 48]\n"
    "        - [\">= 5\", \"-\",  '\"front\"', 48]\n"
    "        - [\">= 5\", gold, '\"front\"', 24]\n"
    "  p:\n"
    "    table:\n"
    "      hit: priority\n"
    "      inputs: [incident.severity]\n"
    "      outputs:\n"
    "        p_team: { values: [claims, dispatch] }\n"
    "        p_speed: { values: [today, week] }\n"
    "        p_note:\n"
    "      rows:\n"
    "        - [\">= 1\", dispatch, today, '\"d\"']\n"
    "        - [\">= 2\", claims,   week,  '\"c week\"']\n"
    "        - [\">= 3\", claims,   today, '\"c today\"']\n"
    "  r:\n"
    "    table:\n"
    "      hit: rule_order\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [r_note, r_hours]\n"
    "      rows:\n"
    "        - [\">= 1\", '\"late\"', 1]\n"
    "        - [\">= 5\", '\"very late\"', 2]\n"
    "  c:\n"
    "    table:\n"
    "      hit: collect\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [c_note, c_hours]\n"
    "      rows:\n"
    "        - [\">= 5\", '\"very late\"', 2]\n"
    "        - [\">= 1\", '\"late\"', 1]\n"
    "  sums:\n"
    "    table:\n"
    "      hit: collect\n"
    "      aggregate: sum\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [sum_money, sum_number]\n"
    "      rows:\n"
    "        - [\">= 1\", 10 EUR, 0.1]\n"
    "        - [\">= 2\", 5.50 EUR, 0.2]\n"
    "  mins:\n"
    "    table:\n"
    "      hit: collect\n"
    "      aggregate: min\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [min_number, min_flag, min_date]\n"
    "      rows:\n"
    "        - [\">= 1\", 98.83, true, 2026-03-01]\n"
    "        - [\">= 2\", 150.21, false, 2026-01-15]\n"
    "  maxes:\n"
    "    table:\n"
    "      hit: collect\n"
    "      aggregate: max\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [max_number, max_flag]\n"
    "      rows:\n"
    "        - [\">= 1\", 98.83, false]\n"
    "        - [\">= 2\", 150.21, true]\n"
    "  counts:\n"
    "    table:\n"
    "      hit: collect\n"
    "      aggregate: count\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [count_a, count_b]\n"
    "      rows:\n"
    "        - [\">= 1\", '\"x\"', 10 EUR]\n"
    "        - [\">= 2\", '\"y\"', 20 EUR]\n"
    "  count_plus_one: { value: \"outputs.count_a + 1\" }\n";

static void test_multi_unique(void **state)
{
    (void)state;
    tu_open_pb(MULTI_HIT_PB);
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "u_desk"), "front");
    assert_string_equal(out(d, "u_hours"), "48");
    d = RUN("incident.severity", "4"); /* rows 1 and 2 both match */
    assert_string_equal(out(d, "u_desk"), "null");
    assert_string_equal(out(d, "u_hours"), "null");
    assert_int_equal(d->n_errors, 1);
    assert_non_null(strstr(d->errors[0].message, "rows 1 and 2 both match"));
}

static void test_multi_any(void **state)
{
    (void)state;
    tu_open_pb(MULTI_HIT_PB);
    const lw_decision *d = RUN("incident.severity", "6"); /* rows 1 and 2 agree */
    assert_string_equal(out(d, "a_desk"), "front");
    assert_string_equal(out(d, "a_hours"), "48");
    assert_int_equal(d->n_errors, 0);
    d = RUN("incident.severity", "6", "customer.tier", "gold"); /* row 3 differs in a_hours */
    assert_string_equal(out(d, "a_desk"), "null");
    assert_string_equal(out(d, "a_hours"), "null");
    assert_int_equal(d->n_errors, 1);
    assert_non_null(strstr(d->errors[0].message, "different results"));
}

/* priority ranks by the first result with values:, then by the next. */
static void test_multi_priority_next_column_breaks_tie(void **state)
{
    (void)state;
    tu_open_pb(MULTI_HIT_PB);
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "p_team"), "claims");
    assert_string_equal(out(d, "p_speed"), "week");
    assert_string_equal(out(d, "p_note"), "c week");
    d = RUN("incident.severity", "3"); /* claims twice: today ranks before week */
    assert_string_equal(out(d, "p_team"), "claims");
    assert_string_equal(out(d, "p_speed"), "today");
    assert_string_equal(out(d, "p_note"), "c today");
}

static void test_multi_rule_order_and_collect_lists(void **state)
{
    (void)state;
    tu_open_pb(MULTI_HIT_PB);
    const lw_decision *d = RUN("incident.severity", "6");
    assert_string_equal(out(d, "r_note"), "[\"late\",\"very late\"]");
    assert_string_equal(out(d, "r_hours"), "[\"1\",\"2\"]");
    assert_string_equal(out(d, "c_note"), "[\"very late\",\"late\"]");
    assert_string_equal(out(d, "c_hours"), "[\"2\",\"1\"]");
    d = RUN("incident.severity", "0");
    assert_string_equal(out(d, "r_note"), "[]");
    assert_string_equal(out(d, "c_hours"), "[]");
}

static void test_multi_collect_aggregates_column_by_column(void **state)
{
    (void)state;
    tu_open_pb(MULTI_HIT_PB);
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "sum_money"), "15.50 EUR");
    assert_string_equal(out(d, "sum_number"), "0.3");
    assert_string_equal(out(d, "min_number"), "98.83");
    assert_string_equal(out(d, "min_flag"), "false");
    assert_string_equal(out(d, "min_date"), "2026-01-15");
    assert_string_equal(out(d, "max_number"), "150.21");
    assert_string_equal(out(d, "max_flag"), "true");
    assert_string_equal(out(d, "count_a"), "2");
    assert_string_equal(out(d, "count_b"), "2");
    assert_string_equal(out(d, "count_plus_one"), "3"); /* a count is a number */
    d = RUN("incident.severity", "1");
    assert_string_equal(out(d, "sum_number"), "0.1");
    assert_string_equal(out(d, "min_flag"), "true");
    assert_string_equal(out(d, "max_flag"), "false");
    assert_string_equal(out(d, "count_b"), "1");
    /* no row matches: sum, min and max give null, count gives 0 (DMN) */
    d = RUN("incident.severity", "0");
    assert_string_equal(out(d, "sum_money"), "null");
    assert_string_equal(out(d, "sum_number"), "null");
    assert_string_equal(out(d, "min_number"), "null");
    assert_string_equal(out(d, "max_flag"), "null");
    assert_string_equal(out(d, "count_a"), "0");
    assert_string_equal(out(d, "count_b"), "0");
    assert_int_equal(d->n_errors, 0);
}

static void test_multi_aggregate_checks_each_result(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  s:\n"
        "    table:\n"
        "      hit: collect\n"
        "      aggregate: sum\n"
        "      inputs: [incident.severity]\n"
        "      outputs: [fee, note]\n"
        "      rows:\n"
        "        - [\">= 1\", 1, '\"a\"']\n");
    const lw_diag *e = tu_first_error(r);
    assert_string_equal(e->message, "aggregate: sum works on each result, but 'note' gives "
                                    "string; it needs numbers, money or durations");
    assert_int_equal(e->line, 19);
    tu_report_free(r);
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  s:\n"
        "    table:\n"
        "      hit: collect\n"
        "      aggregate: max\n"
        "      inputs: [incident.severity]\n"
        "      outputs: [fee, note]\n"
        "      rows:\n"
        "        - [\">= 1\", 1, '\"a\"']\n");
    assert_non_null(strstr(tu_first_error(r)->message, "dates or true/false"));
    tu_report_free(r);
}

/* A table that gives lists takes defaults too (DMN's default output entries):
** with no matching row, each result is a list of one item, its default. */
static void test_list_defaults(void **state)
{
    (void)state;
    tu_open_pb(HEAD
        "outputs:\n"
        "  routing:\n"
        "    table:\n"
        "      hit: rule_order\n"
        "      inputs: [incident.severity]\n"
        "      outputs:\n"
        "        desk:  { default: '\"front\"' }\n"
        "        hours: { default: 72 }\n"
        "      rows:\n"
        "        - [\">= 1\", '\"back\"', 48]\n"
        "        - [\">= 2\", '\"claims\"', 24]\n");
    const lw_decision *d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "desk"), "[\"back\",\"claims\"]");
    assert_string_equal(out(d, "hours"), "[\"48\",\"24\"]");
    d = RUN("incident.severity", "0");
    assert_string_equal(out(d, "desk"), "[\"front\"]");
    assert_string_equal(out(d, "hours"), "[\"72\"]");
    /* every result has a default, or none */
    lw_report *r = tu_load_fail(HEAD
        "outputs:\n"
        "  routing:\n"
        "    table:\n"
        "      hit: collect\n"
        "      inputs: [incident.severity]\n"
        "      outputs:\n"
        "        desk:  { default: '\"front\"' }\n"
        "        hours:\n"
        "      rows:\n"
        "        - [\">= 1\", '\"back\"', 48]\n");
    const lw_diag *e = tu_first_error(r);
    assert_non_null(strstr(e->message, "the result 'hours' needs a default: too"));
    assert_int_equal(e->line, 20);
    tu_report_free(r);
    /* a count is 0 when no row matches: it takes no default */
    r = tu_load_fail(HEAD
        "outputs:\n"
        "  n:\n"
        "    table:\n"
        "      hit: collect\n"
        "      aggregate: count\n"
        "      inputs: [incident.severity]\n"
        "      output: n\n"
        "      default: 1\n"
        "      rows:\n"
        "        - [\">= 1\", 1]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "the count is 0"));
    tu_report_free(r);
}

/* Two tables that give lists: note and hours without values:, line with. */
static const char *const LIST_TABLES =
    "outputs:\n"
    "  notes:\n"
    "    table:\n"
    "      hit: rule_order\n"
    "      inputs: [incident.severity]\n"
    "      outputs: [note, hours]\n"
    "      rows:\n"
    "        - [\">= 1\", '\"late\"', 1]\n"
    "        - [\">= 5\", '\"very late\"', 2]\n"
    "  line:\n"
    "    values: [urgent, normal]\n"
    "    table:\n"
    "      hit: output_order\n"
    "      inputs: [incident.severity]\n"
    "      output: line\n"
    "      rows:\n"
    "        - [\">= 1\", normal]\n"
    "        - [\">= 5\", urgent]\n";

/* The result of a table that gives lists is a list of texts to the outputs
** that read it: `in` looks into it, and comparing it with one text is an
** error when the playbook loads, not a null when deciding. */
static void test_list_result_is_a_list(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s", HEAD, LIST_TABLES,
             "  very_late: { value: '\"very late\" in outputs.note' }\n"
             "  urgent: { value: '\"urgent\" in outputs.line' }\n");
    tu_open_pb(text);
    const lw_decision *d = RUN("incident.severity", "6");
    assert_string_equal(out(d, "very_late"), "true");
    assert_string_equal(out(d, "urgent"), "true");
    d = RUN("incident.severity", "2");
    assert_string_equal(out(d, "very_late"), "false");
    assert_string_equal(out(d, "urgent"), "false");
    snprintf(text, sizeof text, "%s%s%s", HEAD, LIST_TABLES,
             "  wrong: { value: 'outputs.hours + 1' }\n");
    lw_report *r = tu_load_fail(text);
    assert_non_null(strstr(tu_first_error(r)->message, "cannot add list and number"));
    tu_report_free(r);
}

/* Loading LIST_TABLES and then the output line fails with an error at
** line 31 (the added output), column col, whose message has want. */
static void list_output_fails(const char *output, int col, const char *want)
{
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s", HEAD, LIST_TABLES, output);
    lw_report *r = tu_load_fail(text);
    const lw_diag *e = tu_first_error(r);
    if (!strstr(e->message, want))
        print_message("message: %s\n", e->message);
    assert_non_null(strstr(e->message, want));
    assert_int_equal(e->line, 31);
    assert_int_equal(e->column, col);
    assert_string_equal(e->rule, "bad");
    tu_report_free(r);
}

/* A bare word in or contains() a list whose result declares values: is one
** of those words, as a word compared with an enum fact is one of the fact's;
** one that is not is an error when loading, with the nearest word. */
static void test_list_result_takes_bare_words(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%s%s%s", HEAD, LIST_TABLES,
             "  urgent: { value: 'urgent in outputs.line' }\n"
             "  calm: { value: 'Normal in outputs.line and urgent not in outputs.line' }\n"
             "  has_urgent: { value: 'contains(outputs.line, URGENT)' }\n"
             "  quoted: { value: '\"Urgent\" in outputs.line' }\n");
    tu_open_pb(text);
    /* severity 6: line is [urgent, normal]; severity 2: [normal] */
    static const char *const names[] = {"urgent", "calm", "has_urgent", "quoted"};
    static const char *const severity_6[] = {"true", "false", "true", "true"};
    static const char *const severity_2[] = {"false", "true", "false", "false"};
    const lw_decision *d = RUN("incident.severity", "6");
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(out(d, names[i]), severity_6[i]);
    d = RUN("incident.severity", "2");
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(out(d, names[i]), severity_2[i]);

    list_output_fails("  bad: { value: 'urgnt in outputs.line' }\n", 18,
                      "'urgnt' is not one of the declared values (urgent, normal; did you mean "
                      "'urgent'?); use one of them or add it to the result's values:");
    list_output_fails("  bad: { value: 'contains(outputs.line, soon)' }\n", 41,
                      "'soon' is not one of the declared values (urgent, normal); use one of "
                      "them or add it to the result's values:");
    list_output_fails("  bad: { value: '\"urgnt\" in outputs.line' }\n", 18,
                      "\"urgnt\" is not one of the declared values (urgent, normal; did you "
                      "mean 'urgent'?)");
    /* without values:, a word must be quoted */
    list_output_fails("  bad: { value: 'late in outputs.note' }\n", 18,
                      "unknown fact or word 'late'; to look a word up in outputs.note, quote it "
                      "as \"late\", or declare the words its table gives under values:");
    /* a misspelt fact stays a misspelt fact */
    list_output_fails("  bad: { value: 'customer.teir in outputs.line' }\n", 18,
                      "unknown fact or word 'customer.teir' (did you mean 'customer.tier'?)");
}

static void test_results_compare(void **state)
{
    (void)state;
    tu_open_pb(MULTI_PB);
    const table *t = tu_F.pb->steps[0].tab;
    assert_int_equal(t->n_out, 2);
    val a[2], b[2];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    a[0].t = b[0].t = V_ENUM;
    a[0].idx = 0; /* severe */
    b[0].idx = 1; /* minor */
    a[1].t = b[1].t = V_MONEY;
    a[1].u.i = b[1].u.i = 5;
    bool same;
    assert_true(table_results_compare(t, a, b, &same) < 0);
    assert_false(same);
    assert_true(table_results_compare(t, b, a, &same) > 0);
    b[0].idx = 0;
    assert_int_equal(table_results_compare(t, a, b, &same), 0);
    assert_true(same);
    b[1].u.i = 6; /* amount has no values: it does not rank, but it differs */
    assert_int_equal(table_results_compare(t, a, b, &same), 0);
    assert_false(same);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_picks_first_matching_row),
        cmocka_unit_test(test_first_list_cell_and_range),
        cmocka_unit_test(test_first_expression_output),
        cmocka_unit_test(test_first_no_match),
        cmocka_unit_test(test_first_missing_input_that_matters),
        cmocka_unit_test(test_first_missing_input_that_does_not_matter),
        cmocka_unit_test(test_unique_single_match),
        cmocka_unit_test(test_unique_overlap_is_an_error_entry),
        cmocka_unit_test(test_any_agreeing_matches),
        cmocka_unit_test(test_any_disagreeing_matches_is_an_error),
        cmocka_unit_test(test_priority_by_declared_values_order),
        cmocka_unit_test(test_priority_needs_values),
        cmocka_unit_test(test_collect_sum_money),
        cmocka_unit_test(test_collect_sum_min_max_count_numbers),
        cmocka_unit_test(test_goodwill_table_must_not_give_a_list),
        cmocka_unit_test(test_collect_aggregate_needs_numbers),
        cmocka_unit_test(test_aggregate_only_for_collect),
        cmocka_unit_test(test_collect_list_in_row_order),
        cmocka_unit_test(test_rule_order_list),
        cmocka_unit_test(test_collect_list_no_match_is_empty),
        cmocka_unit_test(test_cell_not),
        cmocka_unit_test(test_cell_comparisons),
        cmocka_unit_test(test_cell_lists_and_ranges),
        cmocka_unit_test(test_cell_money),
        cmocka_unit_test(test_cell_bool_text_duration_date),
        cmocka_unit_test(test_cell_several_inputs),
        cmocka_unit_test(test_cell_missing_input_is_unknown),
        cmocka_unit_test(test_cell_duration_range),
        cmocka_unit_test(test_cell_errors),
        cmocka_unit_test(test_cell_type_error_position),
        cmocka_unit_test(test_table_structure_errors),
        cmocka_unit_test(test_row_ids_in_step_results),
        cmocka_unit_test(test_row_ids_in_json),
        cmocka_unit_test(test_row_mapping_needs_id_and_row),
        cmocka_unit_test(test_multi_outputs_in_place),
        cmocka_unit_test(test_multi_defaults_per_result),
        cmocka_unit_test(test_multi_priority_ranks_whole_rows),
        cmocka_unit_test(test_output_order_sorts_rows),
        cmocka_unit_test(test_multi_when_applies_to_every_result),
        cmocka_unit_test(test_multi_unique),
        cmocka_unit_test(test_multi_any),
        cmocka_unit_test(test_multi_priority_next_column_breaks_tie),
        cmocka_unit_test(test_multi_rule_order_and_collect_lists),
        cmocka_unit_test(test_multi_collect_aggregates_column_by_column),
        cmocka_unit_test(test_multi_aggregate_checks_each_result),
        cmocka_unit_test(test_list_defaults),
        cmocka_unit_test(test_list_result_is_a_list),
        cmocka_unit_test(test_list_result_takes_bare_words),
        cmocka_unit_test(test_results_compare),
    };
    return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
