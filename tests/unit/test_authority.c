/*
** test_authority.c -- who may do what (docs/playbook-format.md §4, §5,
** §6.2): authority per exception (may_override: POLICY.EXCEPTION beside
** POLICY and all), the role an escalation goes to (escalate_to), and goodwill
** authority seen by outputs and promises (goodwill.within_authority,
** goodwill.needs_role).
*/
#include "lw_test_util.h"

/* Decide the case of (path, text) pairs, NULL-terminated, as `role` (NULL:
** no acting role). */
static const lw_decision *decide_as(const char *role, ...)
{
    lw_case_reset(tu_F.c);
    va_list ap;
    va_start(ap, role);
    for (const char *path; (path = va_arg(ap, const char *));) {
        const char *text = va_arg(ap, const char *);
        assert_int_equal(lw_case_set_text(tu_F.c, path, text), LW_OK);
    }
    va_end(ap);
    return tu_decide_opt(&tu_F, role, 0);
}

/* Roles: agent may apply stay.move_dates only; lead every exception of stay;
** boss everything. */
static const char *const LADDER_PB =
    "playbook: ladder\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  kind: { type: enum, values: [move, refund, claim, other] }\n"
    "  wait: { type: number, default: 0 }\n"
    "  staff.role: { type: role }\n"
    "roles:\n"
    "  - { id: agent, goodwill_limit: 30 EUR, may_override: [stay.move_dates] }\n"
    "  - { id: lead, goodwill_limit: 100 EUR, may_override: stay }\n"
    "  - { id: boss, goodwill_limit: 500 EUR, may_override: all }\n"
    "policies:\n"
    "  - id: stay\n"
    "    applies: kind in [move, refund, claim]\n"
    "    outcome: deny\n"
    "    exceptions:\n"
    "      - { id: move_dates, when: kind == move, discretionary: true }\n"
    "      - { id: refund_on_trust, when: kind == refund, discretionary: true }\n"
    "      - { id: claim, when: kind == claim, outcome: escalate, escalate_to: boss }\n"
    "  - id: other\n"
    "    applies: kind == other\n"
    "    outcome: escalate\n"
    "    escalate_to: lead\n"
    "    exceptions:\n"
    "      - { id: long_wait, when: wait > 5, outcome: escalate }\n"
    "      - { id: short_wait, when: wait < 1, outcome: allow }\n"
    "goodwill:\n"
    "  - { id: voucher, amount: 'wait * 20 EUR' }\n"
    "outputs:\n"
    "  approver: { when: 'not goodwill.within_authority', value: goodwill.needs_role }\n"
    "  within: { value: goodwill.within_authority }\n"
    "  over_agent: { value: 'goodwill.needs_role > agent' }\n"
    "promises:\n"
    "  - { id: voucher_now, when: 'goodwill.amount > 0 EUR and goodwill.within_authority',\n"
    "      text: 'You get a voucher of {goodwill.amount}.' }\n"
    "  - { id: voucher_later, when: 'goodwill.needs_role != null',\n"
    "      text: 'The {goodwill.needs_role} will confirm {goodwill.amount}.' }\n"
    "  - { id: refunded, when: 'policies.stay.outcome == allow', text: 'Refunded.' }\n";

static void test_authority_per_exception(void **state)
{
    (void)state;
    tu_open_pb(LADDER_PB);
    /* the agent may move dates (named exception) ... */
    const lw_policy_result *p = tu_policy(decide_as("agent", "kind", "move", NULL), "stay");
    assert_string_equal(p->outcome, "allow");
    assert_null(p->needs_role);
    assert_null(p->escalate_to);
    /* ... but not refund on trust, another exception of the same policy */
    p = tu_policy(decide_as("agent", "kind", "refund", NULL), "stay");
    assert_string_equal(p->outcome, "escalate");
    assert_string_equal(p->exception, "refund_on_trust");
    assert_string_equal(p->needs_role, "lead");
    assert_string_equal(p->escalate_to, "lead");
    /* a role naming the policy may apply every discretionary exception */
    assert_string_equal(tu_policy(decide_as("lead", "kind", "refund", NULL), "stay")->outcome,
                        "allow");
    assert_string_equal(tu_policy(decide_as("lead", "kind", "move", NULL), "stay")->outcome,
                        "allow");
    /* without an acting role: the lowest role that may, and the role is asked */
    const lw_decision *d = decide_as(NULL, "kind", "move", NULL);
    assert_string_equal(tu_policy(d, "stay")->needs_role, "agent");
    assert_string_equal(tu_missing(d), "staff.role");
    /* a refused refund goes nowhere: deny has no escalation */
    assert_null(tu_policy(decide_as("boss", "kind", "other", "wait", "3", NULL), "stay"));
}

static void test_escalate_to(void **state)
{
    (void)state;
    tu_open_pb(LADDER_PB);
    /* an automatic escalate exception names its role, whoever acts */
    for (int i = 0; i < 3; i++) {
        static const char *const roles[] = {"agent", "lead", "boss"};
        const lw_policy_result *p = tu_policy(decide_as(roles[i], "kind", "claim", NULL),
                                              "stay");
        assert_string_equal(p->outcome, "escalate");
        assert_int_equal(p->discretionary, 0);
        assert_null(p->needs_role);
        assert_string_equal(p->escalate_to, "boss");
    }
    /* the policy's own escalation, and an exception that escalates without
    ** naming a role: the policy's escalate_to */
    const lw_policy_result *p = tu_policy(decide_as("agent", "kind", "other", "wait", "3", NULL),
                                          "other");
    assert_null(p->exception);
    assert_string_equal(p->escalate_to, "lead");
    p = tu_policy(decide_as("agent", "kind", "other", "wait", "6", NULL), "other");
    assert_string_equal(p->exception, "long_wait");
    assert_string_equal(p->escalate_to, "lead");
    /* an exception that allows: no escalation */
    p = tu_policy(decide_as("agent", "kind", "other", "wait", "0.5", NULL), "other");
    assert_string_equal(p->outcome, "allow");
    assert_null(p->escalate_to);
}

static void test_escalate_to_in_json(void **state)
{
    (void)state;
    tu_open_pb(LADDER_PB);
    const lw_decision *d = decide_as("agent", "kind", "refund", NULL);
    const char *json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"discretionary\":true,\"needs_role\":\"lead\","
                                 "\"escalate_to\":\"lead\",\"requires\":[]"));
    d = decide_as("agent", "kind", "move", NULL);
    json = lw_decision_json(tu_F.e, d, 0, NULL);
    assert_non_null(strstr(json, "\"needs_role\":null,\"escalate_to\":null,"));
}

static void test_goodwill_authority_in_outputs_and_promises(void **state)
{
    (void)state;
    tu_open_pb(LADDER_PB);
    /* 60 EUR: beyond the agent's 30, within the lead's 100 */
    const lw_decision *d = decide_as("agent", "kind", "other", "wait", "3", NULL);
    assert_string_equal(tu_money(d->goodwill.amount), "60.00 EUR");
    assert_int_equal(d->goodwill.within_authority, 0);
    const lw_output_result *o = tu_output(d, "approver");
    assert_int_equal(o->value.type, LW_V_ENUM);
    assert_string_equal(o->value.text, "lead");
    assert_int_equal(tu_output(d, "within")->value.type, LW_V_BOOL);
    assert_int_equal(tu_output(d, "within")->value.b, 0);
    assert_int_equal(tu_output(d, "over_agent")->value.b, 1); /* roles are ordered */
    assert_int_equal(d->n_promises, 1);
    assert_string_equal(d->promises[0].id, "voucher_later");
    assert_string_equal(d->promises[0].text, "The lead will confirm 60.00 EUR.");

    /* the lead may grant it: the voucher is promised, nobody else is needed */
    d = decide_as("lead", "kind", "other", "wait", "3", NULL);
    assert_int_equal(tu_output(d, "within")->value.b, 1);
    assert_int_equal(tu_output(d, "approver")->value.type, LW_V_NULL);
    assert_int_equal(tu_output(d, "over_agent")->value.type, LW_V_NULL); /* null: unknown */
    assert_int_equal(d->n_promises, 1);
    assert_string_equal(d->promises[0].text, "You get a voucher of 60.00 EUR.");

    /* policy outcomes too */
    d = decide_as("boss", "kind", "refund", NULL);
    assert_non_null(tu_promise(d, "refunded"));
    assert_null(tu_promise(decide_as("agent", "kind", "refund", NULL), "refunded"));
}

/* The first error's message of a playbook that must not compile. */
static const char *first_error(const char *text, int *line, int *col)
{
    const lw_diag *e = tu_first_error(tu_load_fail(text));
    *line = e->line;
    *col = e->column;
    return e->message;
}

static void test_compile_errors(void **state)
{
    (void)state;
    static const char *const head =
        "playbook: e\nversion: \"1\"\n"
        "facts: { kind: { type: enum, values: [move, refund] }, staff.role: { type: role } }\n";
    static const char *const pol =
        "policies:\n"
        "  - id: stay\n"
        "    applies: true\n"
        "    outcome: deny\n"
        "    exceptions:\n"
        "      - { id: move_dates, when: kind == move, discretionary: true }\n"
        "      - { id: refund, when: kind == refund }\n";
    char text[2048];
    int line, col;

    snprintf(text, sizeof text, "%sroles:\n  - { id: agent, may_override: [stay.move_date] }\n%s",
             head, pol);
    assert_string_equal(first_error(text, &line, &col),
                        "may_override names 'stay.move_date', but the policy 'stay' has no "
                        "exception 'move_date' (did you mean 'move_dates'?); its exceptions "
                        "are: move_dates, refund");
    assert_int_equal(line, 5);
    assert_int_equal(col, 33);

    snprintf(text, sizeof text, "%sroles:\n  - { id: agent, may_override: [stay.refund] }\n%s",
             head, pol);
    assert_non_null(strstr(first_error(text, &line, &col), "that exception is automatic"));

    snprintf(text, sizeof text,
             "%sroles:\n  - { id: agent }\n  - { id: lead }\n"
             "policies:\n  - { id: p, applies: true, outcome: escalate, escalate_to: laed }\n",
             head);
    assert_string_equal(first_error(text, &line, &col),
                        "escalate_to: names 'laed', which is not a role of this playbook (the "
                        "roles are agent, lead; did you mean 'lead'?)");
    assert_int_equal(line, 8);

    snprintf(text, sizeof text,
             "%sroles:\n  - { id: agent }\n"
             "policies:\n  - { id: p, applies: true, outcome: allow, escalate_to: agent }\n",
             head);
    assert_non_null(strstr(first_error(text, &line, &col), "the outcome of 'p' is allow"));

    snprintf(text, sizeof text,
             "%scurrency: EUR\nroles:\n  - { id: agent, goodwill_limit: 5 EUR }\n"
             "goodwill:\n  - { id: g, amount: 'if(goodwill.within_authority, 1 EUR, 2 EUR)' }\n",
             head);
    assert_non_null(strstr(first_error(text, &line, &col), "'goodwill.within_authority' is "
                                                          "known only after the goodwill "
                                                          "pipeline"));
}

/* A discretionary exception no role may apply is a lint warning; one named
** by POLICY.EXCEPTION is not. */
static void test_lint_counts_exception_authority(void **state)
{
    (void)state;
    static const char *const text =
        "playbook: l\nversion: \"1\"\n"
        "facts: { kind: { type: enum, values: [move, refund] }, staff.role: { type: role } }\n"
        "roles:\n  - { id: agent, may_override: [stay.move_dates] }\n"
        "policies:\n"
        "  - id: stay\n"
        "    applies: true\n"
        "    outcome: deny\n"
        "    exceptions:\n"
        "      - { id: move_dates, when: kind == move, discretionary: true }\n"
        "      - { id: refund, when: kind == refund, discretionary: true }\n";
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    assert_int_equal(lw_playbook_load_string("l.yaml", text, strlen(text), NULL, &pb, &r), LW_OK);
    assert_true(tu_report_has(r, LW_WARNING, "the exception 'refund' is discretionary but no "
                                             "role may override"));
    assert_false(tu_report_has(r, LW_WARNING, "the exception 'move_dates'"));
    lw_report_free(r);
    lw_playbook_free(pb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_authority_per_exception),
        cmocka_unit_test(test_escalate_to),
        cmocka_unit_test(test_escalate_to_in_json),
        cmocka_unit_test(test_goodwill_authority_in_outputs_and_promises),
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_lint_counts_exception_authority),
    };
    return cmocka_run_group_tests(tests, NULL, tu_teardown);
}
