/*
** test_decide.c -- the decision procedure (docs/playbook-format.md §4-§7, §11): policies
** and exceptions, outcome ranking, discretionary exceptions and the acting
** role, the goodwill pipeline, authority, cumulative limits, channels,
** effective windows, promises, invalid cases, the trace.
*/
#include "lw_test_util.h"

#include <time.h>


/* Reset the case, set (path, text) pairs, decide as `role` (NULL: the case's
** staff.role). */
static const lw_decision *run_as(const char *role, const char *first, ...)
{
    lw_case_reset(tu_F.c);
    va_list ap;
    va_start(ap, first);
    for (const char *path = first; path; path = va_arg(ap, const char *)) {
        const char *text = va_arg(ap, const char *);
        int rc = lw_case_set_text(tu_F.c, path, text);
        if (rc != LW_OK) {
            print_message("set %s = %s: %s\n", path, text, lw_errstr(rc));
            for (size_t i = 0; i < lw_case_problem_count(tu_F.c); i++)
                print_message("    %s\n", lw_case_problem(tu_F.c, i));
        }
        assert_int_equal(rc, LW_OK);
    }
    va_end(ap);
    return tu_decide_opt(&tu_F, role, 0);
}
#define RUN(...) run_as(NULL, __VA_ARGS__, NULL)
#define RUN_AS(role, ...) run_as(role, __VA_ARGS__, NULL)

/* ---------------------------------------------------------------------- */
/* outcome ranking                                                        */

static const char *const RANK_PB =
    "playbook: rank\n"
    "version: \"1\"\n"
    "facts:\n"
    "  a: { type: bool, default: false }\n"
    "  e: { type: bool, default: false }\n"
    "  d: { type: bool, default: false }\n"
    "  n: { type: number, max: 10 }\n"
    "policies:\n"
    "  - { id: pa, applies: a, outcome: allow }\n"
    "  - { id: pe, applies: e, outcome: escalate }\n"
    "  - { id: pd, applies: d, outcome: deny }\n";

static void test_no_policy_in_force_is_allow(void **state)
{
    (void)state;
    tu_open_pb(RANK_PB);
    const lw_decision *d = RUN("n", "1");
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_policies, 0);
    assert_string_equal(d->playbook, "rank");
    assert_string_equal(d->version, "1");
    assert_non_null(d->digest);
    assert_int_equal(strncmp(d->digest, "sha256:", 7), 0);
    assert_int_equal(strlen(d->digest), 7 + 64);
}

static void test_outcome_most_restrictive(void **state)
{
    (void)state;
    tu_open_pb(RANK_PB);
    assert_string_equal(RUN("a", "true")->outcome, "allow");
    assert_string_equal(RUN("a", "true", "e", "true")->outcome, "escalate");
    assert_string_equal(RUN("e", "true", "d", "true")->outcome, "deny");
    assert_string_equal(RUN("a", "true", "d", "true")->outcome, "deny");
    const lw_decision *d = RUN("a", "true", "e", "true", "d", "true");
    assert_string_equal(d->outcome, "deny");
    /* one entry per policy in force, in playbook order */
    assert_int_equal(d->n_policies, 3);
    assert_string_equal(d->policies[0].id, "pa");
    assert_string_equal(d->policies[0].outcome, "allow");
    assert_string_equal(d->policies[1].id, "pe");
    assert_string_equal(d->policies[1].outcome, "escalate");
    assert_string_equal(d->policies[2].id, "pd");
    assert_string_equal(d->policies[2].outcome, "deny");
}

static void test_invalid_beats_everything(void **state)
{
    (void)state;
    tu_open_pb(RANK_PB);
    lw_case_reset(tu_F.c);
    tu_set(tu_F.c, "d", "true", NULL);
    assert_int_equal(lw_case_set_text(tu_F.c, "n", "11"), LW_ERR_CASE);
    const lw_decision *d = tu_decide(&tu_F);
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_policies, 0);
    assert_int_equal(d->n_problems, 1);
    assert_non_null(strstr(d->problems[0], "n: "));
    assert_non_null(strstr(d->problems[0], "above the maximum 10"));
}

static const char *const CUSTOM_OUTCOMES_PB =
    "playbook: custom\n"
    "version: \"1\"\n"
    "outcomes: [allow, offer_alternative, escalate, refer, deny]\n"
    "facts:\n"
    "  o: { type: bool, default: false }\n"
    "  e: { type: bool, default: false }\n"
    "  r: { type: bool, default: false }\n"
    "  d: { type: bool, default: false }\n"
    "policies:\n"
    "  - { id: po, applies: o, outcome: offer_alternative }\n"
    "  - { id: pe, applies: e, outcome: escalate }\n"
    "  - { id: pr, applies: r, outcome: refer }\n"
    "  - { id: pd, applies: d, outcome: deny }\n";

static void test_custom_outcomes_rank_by_declared_order(void **state)
{
    (void)state;
    tu_open_pb(CUSTOM_OUTCOMES_PB);
    assert_string_equal(RUN("o", "true")->outcome, "offer_alternative");
    assert_string_equal(RUN("o", "true", "e", "true")->outcome, "escalate");
    assert_string_equal(RUN("e", "true", "r", "true")->outcome, "refer");
    assert_string_equal(RUN("r", "true", "d", "true")->outcome, "deny");
    assert_string_equal(RUN("o", "true", "r", "true")->outcome, "refer");
}

static void test_custom_outcomes_must_keep_standard_order(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: bad\nversion: \"1\"\n"
                                "outcomes: [allow, deny, escalate]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "allow, escalate and deny in that order"));
    tu_report_free(r);
    r = tu_load_fail("playbook: bad\nversion: \"1\"\noutcomes: [allow, escalate, invalid, deny]\n");
    assert_non_null(strstr(tu_first_error(r)->message, "reserved"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* exceptions and the acting role                                         */

static const char *const PROXY_PB =
    "playbook: proxy\n"
    "version: \"2026.11\"\n"
    "currency: EUR\n"
    "locale: fi\n"
    "facts:\n"
    "  request.kind:          { type: enum, values: [terminate, fee_waiver, refund] }\n"
    "  request.by_proxy:      { type: bool, default: false }\n"
    "  customer.age:          { type: number, min: 0, max: 130 }\n"
    "  customer.vulnerable:   { type: bool, default: false }\n"
    "  customer.tenure_years: { type: number, min: 0, default: 0 }\n"
    "  staff.role:            { type: role }\n"
    "  locale:                { type: string, default: fi }\n"
    "roles:\n"
    "  - id: frontline\n"
    "    goodwill_limit: 50 EUR\n"
    "    may_override: [annual_fee]\n"
    "  - id: senior\n"
    "    goodwill_limit: 100 EUR\n"
    "    may_override: [proxy_termination]\n"
    "  - id: team_lead\n"
    "    goodwill_limit: 250 EUR\n"
    "  - id: manager\n"
    "    goodwill_limit: 1000 EUR\n"
    "    may_override: all\n"
    "policies:\n"
    "  - id: proxy_termination\n"
    "    applies: request.kind == terminate and request.by_proxy\n"
    "    outcome: deny\n"
    "    reason: { fi: \"Ei valtakirjalla.\", en: \"Not by power of attorney.\" }\n"
    "    say: { fi: \"Vain omistaja voi irtisanoa.\", en: \"Only the holder can end it.\" }\n"
    "    exceptions:\n"
    "      - id: poa_for_elderly\n"
    "        when: customer.age >= 75 or customer.vulnerable\n"
    "        outcome: allow\n"
    "        discretionary: true\n"
    "        requires: [poa_document_checked, id_checked]\n"
    "        reason: { en: \"Accepted: 75+ or vulnerable.\" }\n"
    "        say: { fi: \"Hoidamme irtisanomisen.\", en: \"We can end it.\" }\n"
    "  - id: annual_fee\n"
    "    applies: request.kind == fee_waiver\n"
    "    outcome: deny\n"
    "    reason: \"The annual fee is due.\"\n"
    "    exceptions:\n"
    "      - id: loyal\n"
    "        when: customer.tenure_years >= 5\n"
    "        outcome: allow\n"
    "        discretionary: true\n"
    "      - id: auto_vulnerable\n"
    "        when: customer.vulnerable\n"
    "        outcome: allow\n"
    "        reason: \"Waived for vulnerable customers.\"\n"
    "  - id: refund_check\n"
    "    applies: request.kind == refund\n"
    "    outcome: escalate\n"
    "    exceptions:\n"
    "      - id: small_refund\n"
    "        when: customer.tenure_years >= 1\n"
    "        outcome: deny\n";

static void test_discretionary_needs_the_lowest_role_that_may(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "terminate", "request.by_proxy", "true",
                               "customer.age", "82", "staff.role", "frontline");
    assert_string_equal(d->outcome, "escalate");
    assert_int_equal(d->n_policies, 1);
    const lw_policy_result *p = &d->policies[0];
    assert_string_equal(p->id, "proxy_termination");
    assert_string_equal(p->outcome, "escalate");
    assert_string_equal(p->exception, "poa_for_elderly");
    assert_true(p->discretionary);
    assert_string_equal(p->needs_role, "senior");
    assert_int_equal(p->n_requires, 2);
    assert_string_equal(p->requires[0], "poa_document_checked");
    assert_string_equal(p->requires[1], "id_checked");
    /* the exception's reason (only in en: fallback past fi), its say in fi */
    assert_string_equal(p->reason, "Accepted: 75+ or vulnerable.");
    assert_string_equal(p->say, "Hoidamme irtisanomisen.");
    assert_int_equal(d->n_missing, 0);
}

static void test_discretionary_applied_by_a_role_that_may(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    static const char *const roles[] = {"senior", "team_lead", "manager"};
    for (int i = 0; i < 3; i++) {
        const lw_decision *d = RUN("request.kind", "terminate", "request.by_proxy", "true",
                                   "customer.age", "82", "staff.role", roles[i]);
        assert_string_equal(d->outcome, "allow");
        const lw_policy_result *p = &d->policies[0];
        assert_string_equal(p->outcome, "allow");
        assert_string_equal(p->exception, "poa_for_elderly");
        assert_true(p->discretionary);
        assert_null(p->needs_role);
        assert_int_equal(p->n_requires, 2);
    }
}

static void test_role_inherits_may_override_of_roles_below(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    /* frontline may override annual_fee, so senior and team_lead may too */
    static const char *const roles[] = {"frontline", "senior", "team_lead"};
    for (int i = 0; i < 3; i++) {
        const lw_decision *d = RUN("request.kind", "fee_waiver", "customer.tenure_years", "6",
                                   "staff.role", roles[i]);
        assert_string_equal(d->outcome, "allow");
        assert_string_equal(d->policies[0].exception, "loyal");
        assert_null(d->policies[0].needs_role);
    }
}

static void test_no_exception_the_policy_stands(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "terminate", "request.by_proxy", "true",
                               "customer.age", "40", "staff.role", "manager");
    assert_string_equal(d->outcome, "deny");
    const lw_policy_result *p = &d->policies[0];
    assert_string_equal(p->outcome, "deny");
    assert_null(p->exception);
    assert_false(p->discretionary);
    assert_null(p->needs_role);
    assert_int_equal(p->n_requires, 0);
    assert_string_equal(p->reason, "Ei valtakirjalla.");
    assert_string_equal(p->say, "Vain omistaja voi irtisanoa.");
}

static void test_policy_not_in_force(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    /* by_proxy defaults to false */
    const lw_decision *d = RUN("request.kind", "terminate", "customer.age", "82");
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_policies, 0);
    assert_int_equal(d->n_missing, 0);
}

static void test_unknown_exception_condition_asks(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "terminate", "request.by_proxy", "true",
                               "staff.role", "frontline");
    assert_string_equal(d->outcome, "deny");
    assert_null(d->policies[0].exception);
    assert_string_equal(tu_missing(d), "customer.age");
    /* vulnerable decides it: the age does not matter */
    d = RUN("request.kind", "terminate", "request.by_proxy", "true", "customer.vulnerable",
            "true", "staff.role", "senior");
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_missing, 0);
}

static void test_first_exception_wins(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    /* both fire: loyal (discretionary) comes first */
    const lw_decision *d = RUN("request.kind", "fee_waiver", "customer.tenure_years", "6",
                               "customer.vulnerable", "true", "staff.role", "manager");
    assert_string_equal(d->policies[0].exception, "loyal");
    assert_true(d->policies[0].discretionary);
    /* only the automatic one fires */
    d = RUN("request.kind", "fee_waiver", "customer.vulnerable", "true");
    assert_string_equal(d->outcome, "allow");
    assert_string_equal(d->policies[0].exception, "auto_vulnerable");
    assert_false(d->policies[0].discretionary);
    assert_null(d->policies[0].needs_role);
    assert_string_equal(d->policies[0].reason, "Waived for vulnerable customers.");
}

static void test_automatic_exception_can_restrict(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "refund", "customer.tenure_years", "2");
    assert_string_equal(d->outcome, "deny");
    assert_string_equal(d->policies[0].exception, "small_refund");
    d = RUN("request.kind", "refund");
    assert_string_equal(d->outcome, "escalate");
    assert_null(d->policies[0].exception);
}

static void test_discretionary_without_role_asks_for_it(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "fee_waiver", "customer.tenure_years", "6");
    assert_string_equal(d->outcome, "escalate");
    assert_string_equal(d->policies[0].needs_role, "frontline");
    assert_string_equal(tu_missing(d), "staff.role");
}

static void test_decide_options_role_overrides_staff_role(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN_AS("senior", "request.kind", "terminate", "request.by_proxy",
                                  "true", "customer.age", "82", "staff.role", "frontline");
    assert_string_equal(d->outcome, "allow");
    assert_null(d->policies[0].needs_role);
    d = RUN_AS("frontline", "request.kind", "terminate", "request.by_proxy", "true",
               "customer.age", "82", "staff.role", "manager");
    assert_string_equal(d->outcome, "escalate");
    assert_string_equal(d->policies[0].needs_role, "senior");
    /* without a staff.role in the case */
    d = RUN_AS("manager", "request.kind", "terminate", "request.by_proxy", "true",
               "customer.age", "82");
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_missing, 0);
}

static void test_decide_options_unknown_role_is_invalid(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN_AS("intern", "request.kind", "terminate");
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_problems, 1);
    assert_string_equal(d->problems[0], "role: 'intern' is not a role of this playbook (the "
                                        "roles are frontline, senior, team_lead, manager)");
    /* a near miss gets its did-you-mean */
    d = RUN_AS("senoir", "request.kind", "terminate");
    assert_string_equal(d->problems[0], "role: 'senoir' is not a role of this playbook (the "
                                        "roles are frontline, senior, team_lead, manager; did "
                                        "you mean 'senior'?)");
}

static void test_case_role_must_be_declared(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_text(tu_F.c, "staff.role", "intern"), LW_ERR_CASE);
    assert_int_equal(lw_case_problem_count(tu_F.c), 1);
    assert_non_null(strstr(lw_case_problem(tu_F.c, 0), "staff.role"));
    assert_non_null(strstr(lw_case_problem(tu_F.c, 0), "frontline, senior, team_lead, manager"));
    assert_string_equal(tu_decide(&tu_F)->outcome, "invalid");
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_text(tu_F.c, "staff.role", "team_laed"), LW_ERR_CASE);
    assert_non_null(strstr(lw_case_problem(tu_F.c, 0), "did you mean 'team_lead'?"));
}

/* Money facts take min: and max: in their currency; an amount outside them,
** from a case text or lw_case_set_money, is a problem of the case. */
static void test_money_fact_bounds(void **state)
{
    (void)state;
    tu_open_pb("playbook: mb\nversion: \"1\"\ncurrency: EUR\n"
               "facts:\n"
               "  deposit: { type: money, min: 0, max: 500 EUR }\n");
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_text(tu_F.c, "deposit", "500 EUR"), LW_OK);
    assert_int_equal(lw_case_set_text(tu_F.c, "deposit", "0"), LW_OK);
    assert_int_equal(lw_case_set_text(tu_F.c, "deposit", "500.01"), LW_ERR_CASE);
    assert_string_equal(lw_case_problem(tu_F.c, 0),
                        "deposit: 500.01 EUR is above the maximum 500.00 EUR");
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_money(tu_F.c, "deposit", -1, "EUR"), LW_ERR_CASE);
    assert_string_equal(lw_case_problem(tu_F.c, 0),
                        "deposit: -0.01 EUR is below the minimum 0.00 EUR");
    assert_string_equal(tu_decide(&tu_F)->outcome, "invalid");
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_money(tu_F.c, "deposit", 50000, "EUR"), LW_OK);
    assert_string_equal(tu_decide(&tu_F)->outcome, "allow");
    /* the bounds are checked when the playbook compiles */
    lw_report *r = tu_load_fail("playbook: mb\nversion: \"1\"\ncurrency: EUR\n"
                                "facts:\n"
                                "  deposit: { type: money, min: 10 USD }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "is in USD but the fact is money in EUR"));
    tu_report_free(r);
    r = tu_load_fail("playbook: mb\nversion: \"1\"\ncurrency: EUR\n"
                     "facts:\n"
                     "  deposit: { type: money, min: 5 EUR, max: 4.99 }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "min is larger than max"));
    tu_report_free(r);
}

static void test_reason_in_case_locale(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    const lw_decision *d = RUN("request.kind", "terminate", "request.by_proxy", "true",
                               "customer.age", "40", "locale", "en");
    assert_string_equal(d->policies[0].reason, "Not by power of attorney.");
    assert_string_equal(d->policies[0].say, "Only the holder can end it.");
    /* a language the playbook does not have: the playbook's locale (fi) */
    d = RUN("request.kind", "terminate", "request.by_proxy", "true", "customer.age", "40",
            "locale", "sv");
    assert_string_equal(d->policies[0].reason, "Ei valtakirjalla.");
    /* a plain string is the same in every language */
    d = RUN("request.kind", "fee_waiver", "locale", "en");
    assert_string_equal(d->policies[0].reason, "The annual fee is due.");
    assert_null(d->policies[0].say);
}

/* A staff.role default is the acting role when the case gives none. */
static void test_staff_role_default(void **state)
{
    (void)state;
    tu_open_pb("playbook: rd\n"
            "version: \"1\"\n"
            "currency: EUR\n"
            "facts:\n"
            "  waive: { type: bool }\n"
            "  order.value: { type: money, default: 30 EUR }\n"
            "  staff.role: { type: role, default: senior }\n"
            "roles:\n"
            "  - { id: frontline, goodwill_limit: 20 EUR }\n"
            "  - { id: senior, goodwill_limit: 50 EUR, may_override: [fee] }\n"
            "policies:\n"
            "  - id: fee\n"
            "    applies: true\n"
            "    outcome: deny\n"
            "    exceptions: [{ id: w, when: waive, discretionary: true }]\n"
            "goodwill:\n"
            "  - { id: base, amount: order.value }\n");
    const lw_decision *d = RUN("waive", "true");
    assert_string_equal(d->outcome, "allow");
    assert_null(d->policies[0].needs_role);
    assert_true(d->goodwill.within_authority);
    assert_string_equal(tu_money(d->goodwill.limit), "50.00 EUR");
    assert_int_equal(d->n_missing, 0);
    /* the case's own role still wins */
    d = RUN("waive", "true", "staff.role", "frontline");
    assert_string_equal(d->outcome, "escalate");
    assert_string_equal(d->policies[0].needs_role, "senior");
}

static const char *const NOBODY_PB =
    "playbook: nobody\n"
    "version: \"1\"\n"
    "facts:\n"
    "  x: { type: bool }\n"
    "  staff.role: { type: role }\n"
    "roles:\n"
    "  - id: agent\n"
    "  - id: boss\n"
    "policies:\n"
    "  - id: locked\n"
    "    applies: true\n"
    "    outcome: deny\n"
    "    exceptions:\n"
    "      - id: maybe\n"
    "        when: x\n"
    "        discretionary: true\n";

static void test_discretionary_nobody_may_override(void **state)
{
    (void)state;
    tu_open_pb(NOBODY_PB);
    const lw_decision *d = RUN("x", "true", "staff.role", "boss");
    assert_string_equal(d->outcome, "escalate");
    assert_string_equal(d->policies[0].exception, "maybe");
    assert_null(d->policies[0].needs_role);
}

static void test_lint_discretionary_nobody_may_override(void **state)
{
    (void)state;
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string("nobody.yaml", NOBODY_PB, strlen(NOBODY_PB), NULL,
                                             &pb, &r),
                     LW_OK);
    assert_int_equal(lw_report_errors(r), 0);
    assert_true(tu_report_has(r, LW_WARNING, "no role may override"));
    tu_report_free(r);
    lw_playbook_free(pb);
}

static void test_role_errors(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: r\nversion: \"1\"\ncurrency: EUR\n"
                                "roles:\n"
                                "  - { id: a, goodwill_limit: 100 EUR }\n"
                                "  - { id: b, goodwill_limit: 50 EUR }\n");
    const lw_diag *e = tu_first_error(r);
    assert_non_null(strstr(e->message, "lower than that of 'a'"));
    assert_string_equal(e->rule, "b");
    assert_int_equal(e->line, 6);
    tu_report_free(r);
    /* may_override naming no policy: a warning */
    lw_playbook *pb = NULL;
    const char *t = "playbook: r\nversion: \"1\"\n"
                    "roles:\n"
                    "  - { id: a, may_override: [no_such_policy] }\n";
    assert_int_equal(lw_playbook_load_string("r.yaml", t, strlen(t), NULL, &pb, &r), LW_OK);
    assert_true(tu_report_has(r, LW_WARNING, "'no_such_policy'"));
    tu_report_free(r);
    lw_playbook_free(pb);
}

/* ---------------------------------------------------------------------- */
/* goodwill pipeline                                                      */

static const char *const GOODWILL_PB =
    "playbook: gw\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  customer.tenure_years: { type: number, default: 0 }\n"
    "  customer.vulnerable:   { type: bool, default: false }\n"
    "  order.value:           { type: money }\n"
    "  staff.role:            { type: role }\n"
    "roles:\n"
    "  - { id: frontline, goodwill_limit: 100 EUR }\n"
    "goodwill:\n"
    "  - id: base\n"
    "    amount: 35 EUR\n"
    "  - id: loyalty\n"
    "    when: customer.tenure_years >= 10\n"
    "    multiply: 1.5\n"
    "  - id: extra\n"
    "    when: customer.vulnerable\n"
    "    add: 10 EUR\n"
    "  - id: half_order_cap\n"
    "    when: order.value > 0 EUR\n"
    "    cap: order.value * 50%\n"
    "  - id: at_least\n"
    "    floor: 5 EUR\n"
    "  - id: tidy\n"
    "    round: 1 EUR\n";

static void expect_step(const lw_decision *d, size_t i, const char *id, const char *amount)
{
    assert_true(i < d->goodwill.n_steps);
    assert_string_equal(d->goodwill.steps[i].id, id);
    assert_string_equal(tu_money(d->goodwill.steps[i].amount), amount);
    assert_int_equal(d->goodwill.steps[i].row, 0);
}

static void test_pipeline_amount_multiply_add_round(void **state)
{
    (void)state;
    tu_open_pb(GOODWILL_PB);
    /* 35 x 1.5 = 52.50 + 10 = 62.50 -> round to 1 EUR, half away: 63 */
    const lw_decision *d = RUN("customer.tenure_years", "10", "customer.vulnerable", "true",
                               "order.value", "0", "staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "63.00 EUR");
    assert_string_equal(d->goodwill.amount.currency, "EUR");
    assert_int_equal(d->goodwill.amount.digits, 2);
    assert_int_equal(d->goodwill.amount.minor, 6300);
    assert_int_equal(d->goodwill.n_steps, 4);
    expect_step(d, 0, "base", "35.00 EUR");
    expect_step(d, 1, "loyalty", "52.50 EUR");
    expect_step(d, 2, "extra", "62.50 EUR");
    expect_step(d, 3, "tidy", "63.00 EUR");
}

static void test_pipeline_cap(void **state)
{
    (void)state;
    tu_open_pb(GOODWILL_PB);
    const lw_decision *d = RUN("customer.tenure_years", "10", "customer.vulnerable", "true",
                               "order.value", "100 EUR", "staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "50.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 5);
    expect_step(d, 3, "half_order_cap", "50.00 EUR");
    expect_step(d, 4, "tidy", "50.00 EUR");
    /* 129.99 x 50% = 64.995: the cap is exact, the result rounded once */
    d = RUN("customer.tenure_years", "20", "order.value", "129.99", "staff.role", "frontline");
    expect_step(d, 1, "loyalty", "52.50 EUR");
    assert_int_equal(d->goodwill.n_steps, 3); /* cap does not bite: 52.50 < 64.995 */
}

static void test_pipeline_floor(void **state)
{
    (void)state;
    tu_open_pb(GOODWILL_PB);
    /* 35 capped to 2.00, lifted to 5.00 */
    const lw_decision *d = RUN("order.value", "4 EUR", "staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "5.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 4);
    expect_step(d, 0, "base", "35.00 EUR");
    expect_step(d, 1, "half_order_cap", "2.00 EUR");
    expect_step(d, 2, "at_least", "5.00 EUR");
    expect_step(d, 3, "tidy", "5.00 EUR");
}

static void test_pipeline_unknown_when_skips_and_asks(void **state)
{
    (void)state;
    tu_open_pb(GOODWILL_PB);
    const lw_decision *d = RUN("staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "35.00 EUR");
    assert_string_equal(tu_missing(d), "order.value");
}

static const char *const ROUNDING_PB =
    "playbook: gw2\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  base: { type: money }\n"
    "  factor: { type: number, default: 1 }\n"
    "goodwill:\n"
    "  - id: base\n"
    "    amount: base\n"
    "  - id: scale\n"
    "    multiply: factor\n"
    "  - id: nickel\n"
    "    round: 0.05\n";

static void test_pipeline_round_to_step_half_away_from_zero(void **state)
{
    (void)state;
    tu_open_pb(ROUNDING_PB);
    assert_string_equal(tu_money(RUN("base", "12.47")->goodwill.amount), "12.45 EUR");
    assert_string_equal(tu_money(RUN("base", "12.48")->goodwill.amount), "12.50 EUR");
    /* 24.95 x 0.5 = 12.475 = 249.5 nickels -> 250 */
    assert_string_equal(tu_money(RUN("base", "24.95", "factor", "0.5")->goodwill.amount),
                        "12.50 EUR");
    /* below zero, the step rounds half away from zero too; the pipeline's
    ** result is then an error entry, not negative goodwill */
    const lw_decision *d = RUN("base", "-24.95", "factor", "0.5");
    assert_int_equal(d->goodwill.n_steps, 3);
    assert_string_equal(tu_money(d->goodwill.steps[2].amount), "-12.50 EUR");
    assert_string_equal(tu_money(d->goodwill.amount), "0.00 EUR");
    assert_int_equal(d->n_errors, 1);
    assert_string_equal(d->errors[0].rule, "base");
}

static void test_pipeline_multiply_exact(void **state)
{
    (void)state;
    tu_open_pb(ROUNDING_PB);
    /* 35 x 1.875 = 65.625 -> 65.65 at the nickel step (65.625 is 13.125 nickels) */
    const lw_decision *d = RUN("base", "35", "factor", "1.875");
    assert_string_equal(tu_money(d->goodwill.steps[1].amount), "65.63 EUR");
    assert_string_equal(tu_money(d->goodwill.amount), "65.65 EUR");
}

static void test_pipeline_overflow_is_an_error_entry(void **state)
{
    (void)state;
    tu_open_pb(ROUNDING_PB);
    const lw_decision *d = RUN("base", "1000000000 EUR", "factor", "1000000000");
    assert_int_equal(d->n_errors, 1);
    assert_string_equal(d->errors[0].rule, "scale");
    assert_non_null(strstr(d->errors[0].message, "overflow"));
    assert_string_equal(d->outcome, "allow");
}

/* Goodwill never ends below zero: the decision gets an error entry naming
** the step that took the amount below zero, and grants nothing. */
static const char *const BELOW_ZERO_PB =
    "playbook: below-zero\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  stay.checkin_hour: { type: number }\n"
    "  stay.checkout_hour: { type: number }\n"
    "  refund: { type: money, default: 0 }\n"
    "roles:\n"
    "  - { id: frontline, goodwill_limit: 50 EUR }\n"
    "goodwill:\n"
    "  - id: base\n"
    "    amount: 30 EUR\n"
    "  - id: late_checkout\n"
    "    add: (stay.checkout_hour - stay.checkin_hour) * -30 EUR\n"
    "  - id: double\n"
    "    multiply: 2\n"
    "  - id: refund_back\n"
    "    add: refund\n";

static void test_pipeline_below_zero_is_an_error_entry(void **state)
{
    (void)state;
    tu_open_pb(BELOW_ZERO_PB);
    /* one hour: 30 - 30 = 0, then doubled: zero is no error */
    const lw_decision *d =
        RUN_AS("frontline", "stay.checkin_hour", "12", "stay.checkout_hour", "13");
    assert_int_equal(d->n_errors, 0);
    assert_string_equal(tu_money(d->goodwill.amount), "0.00 EUR");
    /* four hours: -90, doubled -180; late_checkout took it below zero */
    d = RUN_AS("frontline", "stay.checkin_hour", "12", "stay.checkout_hour", "16");
    assert_int_equal(d->n_errors, 1);
    assert_string_equal(d->errors[0].rule, "late_checkout");
    assert_int_equal(d->errors[0].line, 13);
    assert_non_null(strstr(d->errors[0].message, "below zero (-180.00 EUR)"));
    assert_non_null(strstr(d->errors[0].message, "step 'late_checkout'"));
    assert_string_equal(tu_money(d->goodwill.amount), "0.00 EUR");
    assert_string_equal(tu_money(d->goodwill.steps[2].amount), "-180.00 EUR");
    assert_true(d->goodwill.within_authority);
    assert_string_equal(d->outcome, "allow");
    /* a later step that brings it back above zero: no error */
    d = RUN_AS("frontline", "stay.checkin_hour", "12", "stay.checkout_hour", "16", "refund",
               "200 EUR");
    assert_int_equal(d->n_errors, 0);
    assert_string_equal(tu_money(d->goodwill.amount), "20.00 EUR");
}

/* Date arithmetic stays in the years 1 to 9999: a result outside them is an
** error entry of the output that computed it, not a date like -273790-01-01. */
static const char *const DATES_PB =
    "playbook: dates\n"
    "version: \"1\"\n"
    "facts:\n"
    "  opened: { type: date }\n"
    "  wait: { type: duration }\n"
    "outputs:\n"
    "  due: { value: opened + wait }\n"
    "  back: { value: opened - wait }\n";

static const lw_error_entry *error_of(const lw_decision *d, const char *rule)
{
    for (size_t i = 0; i < d->n_errors; i++)
        if (strcmp(d->errors[i].rule, rule) == 0)
            return &d->errors[i];
    return NULL;
}

static void test_date_arithmetic_stays_in_years_1_to_9999(void **state)
{
    (void)state;
    tu_open_pb(DATES_PB);
    const lw_decision *d = RUN("opened", "9999-12-30", "wait", "1d");
    assert_null(error_of(d, "due"));
    assert_null(error_of(d, "back"));
    d = RUN("opened", "9999-12-30", "wait", "2d");
    const lw_error_entry *e = error_of(d, "due");
    assert_non_null(e);
    assert_non_null(strstr(e->message, "outside the years 1 to 9999"));
    d = RUN("opened", "0001-01-02", "wait", "1d");
    assert_null(error_of(d, "back"));
    assert_null(error_of(d, "due"));
    d = RUN("opened", "0001-01-02", "wait", "2d");
    e = error_of(d, "back");
    assert_non_null(e);
    assert_non_null(strstr(e->message, "outside the years 1 to 9999"));
    d = RUN("opened", "2026-01-01", "wait", "14000000w"); /* once year 270,000 or so */
    assert_non_null(error_of(d, "due"));
    assert_non_null(error_of(d, "back"));
}

static void test_step_errors(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: s\nversion: \"1\"\ncurrency: EUR\n"
                                "goodwill:\n"
                                "  - { id: both, add: 1 EUR, cap: 2 EUR }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "a step does one thing"));
    tu_report_free(r);
    r = tu_load_fail("playbook: s\nversion: \"1\"\ncurrency: EUR\n"
                     "goodwill:\n"
                     "  - { id: nothing }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "does nothing"));
    tu_report_free(r);
    r = tu_load_fail("playbook: s\nversion: \"1\"\n"
                     "goodwill:\n"
                     "  - { id: g, add: 1 }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "currency"));
    tu_report_free(r);
    r = tu_load_fail("playbook: s\nversion: \"1\"\ncurrency: EUR\n"
                     "goodwill:\n"
                     "  - { id: g, add: 1 USD }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "EUR"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* authority and limits                                                   */

static const char *const AUTHORITY_PB =
    "playbook: auth\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  order.value:           { type: money }\n"
    "  customer.goodwill_12m: { type: money, default: 0 EUR }\n"
    "  staff.role:            { type: role }\n"
    "roles:\n"
    "  - { id: frontline, goodwill_limit: 50 EUR }\n"
    "  - { id: senior,    goodwill_limit: 100 EUR }\n"
    "  - { id: team_lead, goodwill_limit: 250 EUR }\n"
    "  - { id: manager,   goodwill_limit: 1000 EUR }\n"
    "goodwill:\n"
    "  - { id: base, amount: order.value }\n"
    "limits:\n"
    "  per_customer_12m: { cap: 300 EUR, used: customer.goodwill_12m }\n";

static void test_authority_within(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "40", "staff.role", "frontline");
    assert_true(d->goodwill.within_authority);
    assert_null(d->goodwill.needs_role);
    assert_string_equal(tu_money(d->goodwill.limit), "50.00 EUR");
    assert_false(d->goodwill.over_top);
    /* exactly at the limit is within it */
    d = RUN("order.value", "50", "staff.role", "frontline");
    assert_true(d->goodwill.within_authority);
}

static void test_authority_needs_lowest_covering_role(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "50.01", "staff.role", "frontline");
    assert_false(d->goodwill.within_authority);
    assert_string_equal(d->goodwill.needs_role, "senior");
    d = RUN("order.value", "200", "staff.role", "frontline");
    assert_string_equal(d->goodwill.needs_role, "team_lead");
    d = RUN("order.value", "200", "staff.role", "senior");
    assert_false(d->goodwill.within_authority);
    assert_string_equal(d->goodwill.needs_role, "team_lead");
    assert_string_equal(tu_money(d->goodwill.limit), "100.00 EUR");
    d = RUN("order.value", "200", "staff.role", "team_lead");
    assert_true(d->goodwill.within_authority);
    assert_null(d->goodwill.needs_role);
}

static void test_authority_nobody_covers_top_limit(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "280", "staff.role", "frontline");
    assert_string_equal(d->goodwill.needs_role, "manager");
    assert_false(d->goodwill.over_top);
    tu_open_pb("playbook: auth2\nversion: \"1\"\ncurrency: EUR\n"
            "facts:\n"
            "  order.value: { type: money }\n"
            "  staff.role:  { type: role }\n"
            "roles:\n"
            "  - { id: frontline, goodwill_limit: 50 EUR }\n"
            "  - { id: manager,   goodwill_limit: 1000 EUR }\n"
            "goodwill:\n"
            "  - { id: base, amount: order.value }\n");
    d = RUN("order.value", "1500", "staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "1000.00 EUR");
    assert_true(d->goodwill.over_top);
    assert_null(d->goodwill.needs_role);
    assert_false(d->goodwill.within_authority);
    assert_int_equal(d->goodwill.n_capped, 1);
    assert_string_equal(d->goodwill.capped_by[0].id, "top_role_limit");
    assert_string_equal(tu_money(d->goodwill.capped_by[0].by), "500.00 EUR");
    d = RUN("order.value", "1500", "staff.role", "manager");
    assert_string_equal(tu_money(d->goodwill.amount), "1000.00 EUR");
    assert_true(d->goodwill.within_authority);
    assert_true(d->goodwill.over_top);
}

static void test_authority_without_role(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "0");
    assert_true(d->goodwill.within_authority);
    assert_int_equal(d->n_missing, 0);
    /* within the lowest role's limit: whoever acts may grant it */
    d = RUN("order.value", "10");
    assert_true(d->goodwill.within_authority);
    assert_int_equal(d->n_missing, 0);
    /* beyond it: who acts matters */
    d = RUN("order.value", "60");
    assert_false(d->goodwill.within_authority);
    assert_string_equal(d->goodwill.needs_role, "senior");
    assert_string_equal(tu_missing(d), "staff.role");
    assert_null(d->goodwill.limit.currency);
}

static void test_limit_per_customer_12m(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "100", "customer.goodwill_12m", "250",
                               "staff.role", "manager");
    assert_string_equal(tu_money(d->goodwill.amount), "50.00 EUR");
    assert_int_equal(d->goodwill.n_capped, 1);
    assert_string_equal(d->goodwill.capped_by[0].id, "per_customer_12m");
    assert_string_equal(tu_money(d->goodwill.capped_by[0].by), "50.00 EUR");
    /* nothing left */
    d = RUN("order.value", "100", "customer.goodwill_12m", "350", "staff.role", "manager");
    assert_string_equal(tu_money(d->goodwill.amount), "0.00 EUR");
    assert_string_equal(tu_money(d->goodwill.capped_by[0].by), "100.00 EUR");
    /* the cap does not bite */
    d = RUN("order.value", "100", "staff.role", "manager");
    assert_string_equal(tu_money(d->goodwill.amount), "100.00 EUR");
    assert_int_equal(d->goodwill.n_capped, 0);
}

static void test_limit_applies_before_authority(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    /* 200 is beyond frontline, but only 40 remain under the cap */
    const lw_decision *d = RUN("order.value", "200", "customer.goodwill_12m", "260",
                               "staff.role", "frontline");
    assert_string_equal(tu_money(d->goodwill.amount), "40.00 EUR");
    assert_true(d->goodwill.within_authority);
    assert_null(d->goodwill.needs_role);
}

/* ---------------------------------------------------------------------- */
/* channels and effective windows                                         */

static const char *const CHANNEL_PB =
    "playbook: ch\n"
    "version: \"1\"\n"
    "facts:\n"
    "  request.kind: { type: enum, values: [refund, other] }\n"
    "  channel:      { type: enum, values: [store, phone, chat, web] }\n"
    "  date:         { type: date }\n"
    "policies:\n"
    "  - id: refund_review\n"
    "    applies: request.kind == refund\n"
    "    outcome: escalate\n"
    "    channels: [store, phone]\n"
    "  - id: web_refund\n"
    "    applies: request.kind == refund\n"
    "    outcome: deny\n"
    "    channels: [web]\n"
    "  - id: old_rule\n"
    "    applies: request.kind == other\n"
    "    outcome: deny\n"
    "    effective: { until: 2026-01-01 }\n"
    "  - id: new_rule\n"
    "    applies: request.kind == other\n"
    "    outcome: escalate\n"
    "    effective: { from: 2026-01-01 }\n"
    "    exceptions:\n"
    "      - id: launch_grace\n"
    "        when: true\n"
    "        outcome: allow\n"
    "        effective: { from: 2026-01-01, until: 2026-02-01 }\n";

static void test_channels(void **state)
{
    (void)state;
    tu_open_pb(CHANNEL_PB);
    const lw_decision *d = RUN("request.kind", "refund", "channel", "store");
    assert_string_equal(d->outcome, "escalate");
    assert_int_equal(d->n_policies, 1);
    assert_string_equal(d->policies[0].id, "refund_review");
    d = RUN("request.kind", "refund", "channel", "PHONE");
    assert_string_equal(d->policies[0].id, "refund_review");
    d = RUN("request.kind", "refund", "channel", "web");
    assert_string_equal(d->outcome, "deny");
    assert_string_equal(d->policies[0].id, "web_refund");
    d = RUN("request.kind", "refund", "channel", "chat");
    assert_string_equal(d->outcome, "allow");
    assert_int_equal(d->n_policies, 0);
}

static void test_channel_missing_is_asked(void **state)
{
    (void)state;
    tu_open_pb(CHANNEL_PB);
    const lw_decision *d = RUN("request.kind", "refund");
    assert_int_equal(d->n_policies, 0);
    assert_string_equal(tu_missing(d), "channel");
}

/* The channel is asked only when it matters: a policy whose applies: is false
** anyway does not need it. */
static void test_channel_not_asked_when_policy_does_not_apply(void **state)
{
    (void)state;
    tu_open_pb(CHANNEL_PB);
    const lw_decision *d = RUN("request.kind", "other", "date", "2026-03-01");
    assert_string_equal(d->outcome, "escalate");
    assert_int_equal(d->n_missing, 0);
}

/* A fact is asked for only if knowing it could make a condition hold: a
** promise on the channel that also needs a policy not in force, or an output
** whose when: is false, can never be made, so the channel is not asked. When
** the policy is not known yet, or under not, the channel can matter. */
static const char *const REACH_PB =
    "playbook: reach\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  channel: { type: enum, values: [store, phone] }\n"
    "  stay.hours_late: { type: number }\n"
    "  guest.vip: { type: bool, default: false }\n"
    "policies:\n"
    "  - { id: late, applies: stay.hours_late > 2, outcome: allow }\n"
    "outputs:\n"
    "  voucher: { when: guest.vip, value: 10 EUR }\n"
    "promises:\n"
    "  - id: call_back\n"
    "    when: channel == store and policies.late.outcome == allow\n"
    "    text: We will call you.\n"
    "  - id: voucher_mail\n"
    "    when: outputs.voucher > 5 EUR and (channel == store or channel == phone)\n"
    "    text: The voucher comes by mail.\n";

static bool is_missing(const lw_decision *d, const char *path)
{
    for (size_t i = 0; i < d->n_missing; i++)
        if (strcmp(d->missing[i], path) == 0)
            return true;
    return false;
}

static void test_missing_only_if_it_could_make_a_condition_hold(void **state)
{
    (void)state;
    tu_open_pb(REACH_PB);
    /* late not in force, no voucher: neither promise can be made */
    const lw_decision *d = RUN("stay.hours_late", "1");
    assert_int_equal(d->n_missing, 0);
    assert_int_equal(d->n_promises, 0);
    /* late not known yet: the channel could make call_back hold */
    d = RUN("guest.vip", "false");
    assert_int_equal(d->n_missing, 2);
    assert_true(is_missing(d, "stay.hours_late"));
    assert_true(is_missing(d, "channel"));
    /* a VIP's voucher: the channel can make voucher_mail hold */
    d = RUN("stay.hours_late", "1", "guest.vip", "true");
    assert_int_equal(d->n_missing, 1);
    assert_true(is_missing(d, "channel"));
    /* under not, an and that cannot hold can still be false: the channel
    ** matters (phone makes the promise) */
    tu_open_pb("playbook: reach_not\nversion: \"1\"\n"
               "facts:\n"
               "  channel: { type: enum, values: [store, phone] }\n"
               "  stay.hours_late: { type: number }\n"
               "policies:\n"
               "  - { id: late, applies: stay.hours_late > 2, outcome: allow }\n"
               "promises:\n"
               "  - id: not_both\n"
               "    when: not (channel == store and policies.late.outcome == allow)\n"
               "    text: We will write.\n");
    d = RUN("stay.hours_late", "1");
    assert_int_equal(d->n_missing, 1);
    assert_true(is_missing(d, "channel"));
    assert_int_equal(d->n_promises, 0);
}

static void test_effective_windows(void **state)
{
    (void)state;
    tu_open_pb(CHANNEL_PB);
    const lw_decision *d = RUN("request.kind", "other", "date", "2025-12-31");
    assert_string_equal(d->outcome, "deny");
    assert_string_equal(d->policies[0].id, "old_rule");
    assert_int_equal(d->n_policies, 1);
    d = RUN("request.kind", "other", "date", "2025-12-31T23:59:59Z");
    assert_string_equal(d->policies[0].id, "old_rule");
    /* from is inclusive, until exclusive */
    d = RUN("request.kind", "other", "date", "2026-01-01");
    assert_int_equal(d->n_policies, 1);
    assert_string_equal(d->policies[0].id, "new_rule");
    assert_string_equal(d->policies[0].exception, "launch_grace");
    assert_string_equal(d->outcome, "allow");
    d = RUN("request.kind", "other", "date", "2026-02-01");
    assert_string_equal(d->policies[0].id, "new_rule");
    assert_null(d->policies[0].exception);
    assert_string_equal(d->outcome, "escalate");
}

static void test_effective_default_date_is_today(void **state)
{
    (void)state;
    tu_open_pb(CHANNEL_PB);
    const lw_decision *d = RUN("request.kind", "other");
    int64_t new_from = 1767225600; /* 2026-01-01 */
    const char *want = (int64_t)time(NULL) >= new_from ? "new_rule" : "old_rule";
    assert_int_equal(d->n_policies, 1);
    assert_string_equal(d->policies[0].id, want);
}

static void test_effective_needs_date_fact(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: e\nversion: \"1\"\n"
                                "policies:\n"
                                "  - id: p\n"
                                "    applies: true\n"
                                "    outcome: deny\n"
                                "    effective: { from: 2026-01-01 }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "date"));
    tu_report_free(r);
    r = tu_load_fail("playbook: e\nversion: \"1\"\nfacts: { date: { type: date } }\n"
                     "policies:\n"
                     "  - id: p\n"
                     "    applies: true\n"
                     "    outcome: deny\n"
                     "    effective: { from: 2026-02-01, until: 2026-01-01 }\n");
    assert_non_null(strstr(tu_first_error(r)->message, "until must come after"));
    tu_report_free(r);
}

static const char *const STEP_WINDOW_PB =
    "playbook: sw\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  date: { type: date }\n"
    "goodwill:\n"
    "  - { id: old, amount: 10 EUR, effective: { until: 2026-06-01 } }\n"
    "  - { id: new, amount: 20 EUR, effective: { from: 2026-06-01 } }\n";

static void test_effective_goodwill_steps(void **state)
{
    (void)state;
    tu_open_pb(STEP_WINDOW_PB);
    const lw_decision *d = RUN("date", "2026-05-31");
    assert_string_equal(tu_money(d->goodwill.amount), "10.00 EUR");
    assert_int_equal(d->goodwill.n_steps, 1);
    assert_string_equal(d->goodwill.steps[0].id, "old");
    d = RUN("date", "2026-06-01");
    assert_string_equal(tu_money(d->goodwill.amount), "20.00 EUR");
    assert_string_equal(d->goodwill.steps[0].id, "new");
}

/* ---------------------------------------------------------------------- */
/* promises                                                               */

static const char *const PROMISE_PB =
    "playbook: pr\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "locale: fi\n"
    "facts:\n"
    "  request.kind:  { type: enum, values: [refund, other] }\n"
    "  customer.name: { type: string }\n"
    "  order.value:   { type: money }\n"
    "  locale:        { type: string, default: fi }\n"
    "promises:\n"
    "  - id: refund_24h\n"
    "    when: request.kind == refund\n"
    "    due: 24h\n"
    "    text:\n"
    "      fi: \"Hoidamme palautuksen {order.value}, {customer.name}.\"\n"
    "      en: \"We will refund {order.value} within a day, {customer.name}.\"\n"
    "  - id: thanks\n"
    "    text: \"Kiitos!\"\n";

static void test_promises_filled_in_case_locale(void **state)
{
    (void)state;
    tu_open_pb(PROMISE_PB);
    const lw_decision *d = RUN("request.kind", "refund", "customer.name", "Aino",
                               "order.value", "12.5", "locale", "en");
    assert_int_equal(d->n_promises, 2);
    const lw_promise_result *p = &d->promises[0];
    assert_string_equal(p->id, "refund_24h");
    assert_string_equal(p->due, "24h");
    assert_string_equal(p->text, "We will refund 12.50 EUR within a day, Aino.");
    assert_string_equal(d->promises[1].id, "thanks");
    assert_null(d->promises[1].due);
    assert_string_equal(d->promises[1].text, "Kiitos!");
}

static void test_promises_fallback_to_playbook_locale(void **state)
{
    (void)state;
    tu_open_pb(PROMISE_PB);
    const lw_decision *d = RUN("request.kind", "refund", "customer.name", "Aino",
                               "order.value", "12.5", "locale", "de");
    assert_string_equal(d->promises[0].text, "Hoidamme palautuksen 12.50 EUR, Aino.");
    /* the locale fact's default */
    d = RUN("request.kind", "refund", "customer.name", "Aino", "order.value", "1");
    assert_string_equal(d->promises[0].text, "Hoidamme palautuksen 1.00 EUR, Aino.");
}

static void test_promises_only_when_true(void **state)
{
    (void)state;
    tu_open_pb(PROMISE_PB);
    const lw_decision *d = RUN("request.kind", "other");
    assert_int_equal(d->n_promises, 1);
    assert_string_equal(d->promises[0].id, "thanks");
    /* unknown when: not promised, the fact asked */
    d = RUN("customer.name", "Aino");
    assert_int_equal(d->n_promises, 1);
    assert_string_equal(tu_missing(d), "request.kind");
}

static void test_promise_placeholder_errors(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: p\nversion: \"1\"\n"
                                "promises:\n"
                                "  - id: x\n"
                                "    text: \"Hello {customer.nme}\"\n");
    const lw_diag *e = tu_first_error(r);
    assert_non_null(strstr(e->message, "customer.nme"));
    assert_int_equal(e->line, 5);
    assert_int_equal(e->column, 19);
    tu_report_free(r);
    r = tu_load_fail("playbook: p\nversion: \"1\"\n"
                     "promises:\n"
                     "  - id: x\n"
                     "    text: \"Hello {oops\"\n");
    assert_non_null(strstr(tu_first_error(r)->message, "no closing '}'"));
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* invalid cases                                                          */

static const char *const INVALID_PB =
    "playbook: inv\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  request.kind:  { type: enum, values: [terminate, refund] }\n"
    "  customer.age:  { type: number, min: 0, max: 130 }\n"
    "  customer.name: { type: string, max_length: 5 }\n"
    "  customer.vip:  { type: bool }\n"
    "  order.value:   { type: money }\n"
    "  incident.delay: { type: duration }\n"
    "  date:          { type: date }\n"
    "policies:\n"
    "  - { id: p, applies: true, outcome: deny }\n";

static void test_invalid_case_lists_every_problem(void **state)
{
    (void)state;
    tu_open_pb(INVALID_PB);
    lw_case *c = tu_F.c;
    lw_case_reset(c);
    assert_int_equal(lw_case_set_text(c, "customer.age", "old"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "request.kind", "cancel"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_number(c, "customer.age", 200), LW_ERR_CASE);
    assert_int_equal(lw_case_set_string(c, "customer.name", "Annabella"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "customer.vip", "maybe"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "order.value", "12.50 USD"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "incident.delay", "soon"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "date", "2026-02-30"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_string(c, "customer.name", "a\xff"), LW_ERR_CASE);
    assert_int_equal(lw_case_set_text(c, "customer.agee", "5"), LW_ERR_NOTFOUND);
    assert_int_equal(lw_case_problem_count(c), 10);

    const lw_decision *d = tu_decide(&tu_F);
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_problems, 10);
    assert_int_equal(d->n_policies, 0);
    static const char *const want[] = {
        "customer.age: expected a number",
        "request.kind: \"cancel\" is not one of: terminate, refund",
        "customer.age: 200 is above the maximum 130",
        "customer.name: the text is longer than 5 characters",
        "customer.vip: expected true or false",
        "order.value: expected money in EUR, got USD",
        "incident.delay: expected a duration",
        "date: expected a date",
        "customer.name: the text is not valid UTF-8",
        "customer.agee: not a fact of this playbook (did you mean customer.age?)",
    };
    for (size_t i = 0; i < 10; i++) {
        if (!strstr(d->problems[i], want[i]))
            print_message("problem %zu: %s (wanted %s)\n", i, d->problems[i], want[i]);
        assert_non_null(strstr(d->problems[i], want[i]));
    }
    const char *json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_non_null(strstr(json, "\"outcome\":\"invalid\""));
    assert_non_null(strstr(json, "\"problems\":[\"customer.age: expected a number"));
}

static void test_invalid_case_from_json(void **state)
{
    (void)state;
    tu_open_pb(INVALID_PB);
    lw_case_reset(tu_F.c);
    const char *j = "{\"customer\": {\"age\": -1, \"name\": \"Bo\", \"shoe\": 42},"
                    " \"order\": {\"value\": \"1.234\"}}";
    const char *msg = NULL;
    assert_int_equal(lw_case_read_json(tu_F.c, "c.json", j, strlen(j), &msg), LW_ERR_CASE);
    assert_null(msg); /* the JSON itself was fine */
    const lw_decision *d = tu_decide(&tu_F);
    assert_string_equal(d->outcome, "invalid");
    assert_int_equal(d->n_problems, 3);
    assert_non_null(strstr(d->problems[0], "customer.age: -1 is below the minimum 0"));
    assert_non_null(strstr(d->problems[1], "customer.shoe: not a fact"));
    assert_non_null(strstr(d->problems[2], "order.value"));
    assert_non_null(strstr(d->problems[2], "more decimals"));
}

static void test_reset_clears_problems(void **state)
{
    (void)state;
    tu_open_pb(INVALID_PB);
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_set_text(tu_F.c, "customer.age", "old"), LW_ERR_CASE);
    assert_string_equal(tu_decide(&tu_F)->outcome, "invalid");
    lw_case_reset(tu_F.c);
    assert_int_equal(lw_case_problem_count(tu_F.c), 0);
    assert_string_equal(tu_decide(&tu_F)->outcome, "deny");
}

/* ---------------------------------------------------------------------- */
/* trace                                                                  */

static void test_trace_entries(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    lw_case_reset(tu_F.c);
    tu_set(tu_F.c, "request.kind", "terminate", "request.by_proxy", "true", "customer.age", "82",
           "staff.role", "senior", NULL);
    const lw_decision *d = tu_decide_opt(&tu_F, NULL, 1);
    assert_true(d->n_trace >= 4);
    /* policies in order, with their exceptions */
    assert_string_equal(d->trace[0].rule, "proxy_termination");
    assert_int_equal(d->trace[0].result, LW_TRUE);
    assert_string_equal(d->trace[0].file, "test.yaml");
    assert_int_equal(d->trace[0].line, 26);
    assert_string_equal(d->trace[1].rule, "poa_for_elderly");
    assert_int_equal(d->trace[1].result, LW_TRUE);
    assert_int_equal(d->trace[1].line, 32);
    assert_string_equal(d->trace[2].rule, "annual_fee");
    assert_int_equal(d->trace[2].result, LW_FALSE);
    assert_string_equal(d->trace[3].rule, "refund_check");
    assert_int_equal(d->trace[3].result, LW_FALSE);
    const char *json = lw_decision_json(tu_F.e, d, LW_JSON_TRACE, NULL);
    assert_non_null(strstr(json, "\"trace\":[{\"kind\":\"policy\",\"rule\":\"proxy_termination\",\"result\":true,"
                                 "\"file\":\"test.yaml\",\"line\":26}"));
    /* without the trace flag: none */
    d = tu_decide_opt(&tu_F, NULL, 0);
    assert_int_equal(d->n_trace, 0);
    json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_null(strstr(json, "\"trace\""));
}

static void test_trace_unknown(void **state)
{
    (void)state;
    tu_open_pb(PROXY_PB);
    lw_case_reset(tu_F.c);
    tu_set(tu_F.c, "request.by_proxy", "true", NULL);
    const lw_decision *d = tu_decide_opt(&tu_F, NULL, 1);
    assert_string_equal(d->trace[0].rule, "proxy_termination");
    assert_int_equal(d->trace[0].result, LW_UNKNOWN);
    assert_string_equal(tu_missing(d), "request.kind");
}

/* ---------------------------------------------------------------------- */
/* outputs (§6.4)                                                         */

static const char *const OUTPUTS_PB =
    "playbook: out\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  order.value:   { type: money }\n"
    "  flight.km:     { type: number }\n"
    "  flight.delay:  { type: duration }\n"
    "  stock:         { type: number, default: 5 }\n"
    "  deny_it:       { type: bool, default: false }\n"
    "policies:\n"
    "  - { id: p, applies: deny_it, outcome: deny }\n"
    "goodwill:\n"
    "  - { id: base, amount: order.value * 10% }\n"
    "outputs:\n"
    "  band:\n"
    "    values: [A, B, C]\n"
    "    table:\n"
    "      inputs: [flight.km]\n"
    "      rows: [[\"<= 1500\", A], [\"<= 3500\", B], [\"-\", C]]\n"
    "  long_haul: { value: 'outputs.band == C' }\n"
    "  care: { value: 'outputs.long_haul and flight.delay >= 2h' }\n"
    "  substitute: { when: 'stock == 0', value: '\"4 x 3 kg at the 12 kg price\"' }\n"
    "  denied: { value: 'policies.p.outcome == deny' }\n"
    "  voucher: { type: money, value: 'goodwill.amount * 2' }\n"
    "  fixed: { type: money, value: '15' }\n";

static void test_outputs_read_earlier_outputs_policies_goodwill(void **state)
{
    (void)state;
    tu_open_pb(OUTPUTS_PB);
    const lw_decision *d = RUN("order.value", "129.90", "flight.km", "4000", "flight.delay",
                               "3h", "deny_it", "true");
    assert_int_equal(d->n_outputs, 7);
    assert_string_equal(d->outputs[0].name, "band");
    assert_string_equal(tu_value(&d->outputs[0].value), "C");
    assert_int_equal(d->outputs[0].value.type, LW_V_ENUM);
    assert_string_equal(tu_value(&tu_output(d, "long_haul")->value), "true");
    assert_string_equal(tu_value(&tu_output(d, "care")->value), "true");
    assert_int_equal(tu_output(d, "substitute")->value.type, LW_V_NULL); /* when: false */
    assert_string_equal(tu_value(&tu_output(d, "denied")->value), "true");
    /* 129.90 x 10% = 12.99; x 2 = 25.98 */
    assert_string_equal(tu_value(&tu_output(d, "voucher")->value), "25.98 EUR");
    assert_int_equal(tu_output(d, "voucher")->value.type, LW_V_MONEY);
    assert_int_equal(tu_output(d, "voucher")->value.money.minor, 2598);
    assert_string_equal(tu_value(&tu_output(d, "fixed")->value), "15.00 EUR");

    d = RUN("order.value", "10", "flight.km", "1000", "stock", "0");
    assert_string_equal(tu_value(&tu_output(d, "band")->value), "A");
    assert_string_equal(tu_value(&tu_output(d, "long_haul")->value), "false");
    assert_string_equal(tu_value(&tu_output(d, "care")->value), "false");
    assert_string_equal(tu_value(&tu_output(d, "substitute")->value),
                        "4 x 3 kg at the 12 kg price");
    assert_int_equal(tu_output(d, "substitute")->value.type, LW_V_STRING);
    assert_string_equal(tu_value(&tu_output(d, "denied")->value), "null"); /* not in force */
    const char *json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_non_null(strstr(json, "\"outputs\":{\"band\":\"A\",\"long_haul\":false,"
                                 "\"care\":false,\"substitute\":\"4 x 3 kg at the 12 kg price\","
                                 "\"denied\":null,\"voucher\":\"2.00 EUR\",\"fixed\":\"15.00 EUR\"}"));
}

static void test_outputs_may_not_read_later_outputs(void **state)
{
    (void)state;
    lw_report *r = tu_load_fail("playbook: o\nversion: \"1\"\n"
                                "outputs:\n"
                                "  a: { value: 'outputs.b' }\n"
                                "  b: { value: '1' }\n");
    const lw_diag *e = tu_first_error(r);
    assert_non_null(strstr(e->message, "'outputs.b' is not an output written before this one"));
    assert_int_equal(e->line, 4);
    assert_int_equal(e->column, 16);
    tu_report_free(r);
}

/* ---------------------------------------------------------------------- */
/* the decision as JSON                                                   */

static void test_decision_json_shape(void **state)
{
    (void)state;
    tu_open_pb(AUTHORITY_PB);
    const lw_decision *d = RUN("order.value", "75", "staff.role", "frontline");
    size_t len = 0;
    const char *json = lw_decision_json(tu_F.e, d, 0, &len);
    assert_non_null(json);
    assert_int_equal(len, strlen(json));
    assert_non_null(strstr(json, "\"playbook\":\"auth\",\"version\":\"1\",\"digest\":\"sha256:"));
    assert_non_null(strstr(json, "\"outcome\":\"allow\",\"policies\":[]"));
    assert_non_null(strstr(json, "\"goodwill\":{\"amount\":\"75.00\",\"currency\":\"EUR\","
                                 "\"within_authority\":false,\"needs_role\":\"senior\","
                                 "\"limit\":\"50.00\",\"steps\":[{\"id\":\"base\","
                                 "\"amount\":\"75.00\"}],\"capped_by\":[]}"));
    assert_non_null(strstr(json, "\"promises\":[]"));
    assert_non_null(strstr(json, "\"outputs\":{}"));
    assert_non_null(strstr(json, "\"missing\":[]"));
    assert_non_null(strstr(json, "\"errors\":[]"));
    assert_null(strchr(json, '\n'));
    const char *pretty = lw_decision_json(tu_F.e, d, LW_JSON_PRETTY, NULL);
    assert_non_null(strchr(pretty, '\n'));
    assert_non_null(strstr(pretty, "\"outcome\": \"allow\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_policy_in_force_is_allow),
        cmocka_unit_test(test_outcome_most_restrictive),
        cmocka_unit_test(test_invalid_beats_everything),
        cmocka_unit_test(test_custom_outcomes_rank_by_declared_order),
        cmocka_unit_test(test_custom_outcomes_must_keep_standard_order),
        cmocka_unit_test(test_discretionary_needs_the_lowest_role_that_may),
        cmocka_unit_test(test_discretionary_applied_by_a_role_that_may),
        cmocka_unit_test(test_role_inherits_may_override_of_roles_below),
        cmocka_unit_test(test_no_exception_the_policy_stands),
        cmocka_unit_test(test_policy_not_in_force),
        cmocka_unit_test(test_unknown_exception_condition_asks),
        cmocka_unit_test(test_first_exception_wins),
        cmocka_unit_test(test_automatic_exception_can_restrict),
        cmocka_unit_test(test_discretionary_without_role_asks_for_it),
        cmocka_unit_test(test_decide_options_role_overrides_staff_role),
        cmocka_unit_test(test_decide_options_unknown_role_is_invalid),
        cmocka_unit_test(test_case_role_must_be_declared),
        cmocka_unit_test(test_money_fact_bounds),
        cmocka_unit_test(test_reason_in_case_locale),
        cmocka_unit_test(test_staff_role_default),
        cmocka_unit_test(test_discretionary_nobody_may_override),
        cmocka_unit_test(test_lint_discretionary_nobody_may_override),
        cmocka_unit_test(test_role_errors),
        cmocka_unit_test(test_pipeline_amount_multiply_add_round),
        cmocka_unit_test(test_pipeline_cap),
        cmocka_unit_test(test_pipeline_floor),
        cmocka_unit_test(test_pipeline_unknown_when_skips_and_asks),
        cmocka_unit_test(test_pipeline_round_to_step_half_away_from_zero),
        cmocka_unit_test(test_pipeline_multiply_exact),
        cmocka_unit_test(test_pipeline_overflow_is_an_error_entry),
        cmocka_unit_test(test_pipeline_below_zero_is_an_error_entry),
        cmocka_unit_test(test_date_arithmetic_stays_in_years_1_to_9999),
        cmocka_unit_test(test_step_errors),
        cmocka_unit_test(test_authority_within),
        cmocka_unit_test(test_authority_needs_lowest_covering_role),
        cmocka_unit_test(test_authority_nobody_covers_top_limit),
        cmocka_unit_test(test_authority_without_role),
        cmocka_unit_test(test_limit_per_customer_12m),
        cmocka_unit_test(test_limit_applies_before_authority),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_channel_missing_is_asked),
        cmocka_unit_test(test_channel_not_asked_when_policy_does_not_apply),
        cmocka_unit_test(test_missing_only_if_it_could_make_a_condition_hold),
        cmocka_unit_test(test_effective_windows),
        cmocka_unit_test(test_effective_default_date_is_today),
        cmocka_unit_test(test_effective_needs_date_fact),
        cmocka_unit_test(test_effective_goodwill_steps),
        cmocka_unit_test(test_promises_filled_in_case_locale),
        cmocka_unit_test(test_promises_fallback_to_playbook_locale),
        cmocka_unit_test(test_promises_only_when_true),
        cmocka_unit_test(test_promise_placeholder_errors),
        cmocka_unit_test(test_invalid_case_lists_every_problem),
        cmocka_unit_test(test_invalid_case_from_json),
        cmocka_unit_test(test_reset_clears_problems),
        cmocka_unit_test(test_trace_entries),
        cmocka_unit_test(test_trace_unknown),
        cmocka_unit_test(test_outputs_read_earlier_outputs_policies_goodwill),
        cmocka_unit_test(test_outputs_may_not_read_later_outputs),
        cmocka_unit_test(test_decision_json_shape),
    };
    return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
