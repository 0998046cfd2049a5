/*
** test_flip.c -- lw_flip, "what would have to change": every condition that
** must change together for a rule to fire (window, channels, its own
** condition), the answers only a different role changes, and the rules it
** leaves out (those that fired, or whose condition holds).
*/
#include "lw_test_util.h"

static const char *const PB_TEXT =
    "playbook: flip-test\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "locale: en\n"
    "facts:\n"
    "  request.kind:       { type: enum, values: [late_checkout, upgrade, voucher] }\n"
    "  stay.checkout_hour: { type: number, min: 0, max: 23 }\n"
    "  guest.tier:         { type: enum, values: [standard, gold], default: standard }\n"
    "  incident.hours:     { type: number, default: 0 }\n"
    "  channel:            { type: enum, values: [front_desk, phone, web] }\n"
    "  staff.role:         { type: role }\n"
    "  date:               { type: date }\n"
    "roles:\n"
    "  - id: receptionist\n"
    "    goodwill_limit: 20 EUR\n"
    "  - id: duty_manager\n"
    "    goodwill_limit: 100 EUR\n"
    "    may_override: [late_checkout]\n"
    "policies:\n"
    "  - id: late_checkout\n"
    "    applies: request.kind == late_checkout and stay.checkout_hour <= 14\n"
    "    channels: [front_desk, phone]\n"
    "    outcome: allow\n"
    "    reason: \"Free until 14:00.\"\n"
    "    exceptions:\n"
    "      - id: gold_guest\n"
    "        when: guest.tier == gold\n"
    "        outcome: allow\n"
    "        discretionary: true\n"
    "        reason: \"Gold guests: the duty manager decides.\"\n"
    "  - id: room_upgrade\n"
    "    applies: request.kind == upgrade and staff.role == duty_manager\n"
    "    outcome: allow\n"
    "    reason: \"Only the duty manager upgrades.\"\n"
    "  - id: winter_offer\n"
    "    applies: request.kind == upgrade\n"
    "    effective: { from: 2026-12-01 }\n"
    "    outcome: allow\n"
    "    reason: \"Winter upgrades.\"\n"
    "goodwill:\n"
    "  - id: room_not_ready\n"
    "    when: request.kind == voucher\n"
    "    amount: incident.hours * 10 EUR\n";

typedef struct fixture {
    lw_playbook *pb;
    lw_engine *e;
    lw_case *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->pb = tu_load(PB_TEXT);
    f->e = lw_engine_new(NULL);
    f->c = lw_case_new(f->pb);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    lw_case_free(f->c);
    lw_engine_free(f->e);
    lw_playbook_free(f->pb);
    free(f);
    return 0;
}

/* The change lw_flip gives for one rule, or NULL when the rule is not listed. */
static const char *change_of(fixture *f, const lw_decide_options *opt, const char *kind,
                             const char *rule)
{
    const lw_flip_item *items;
    size_t n;
    assert_int_equal(lw_flip(f->e, f->pb, f->c, opt, &items, &n), LW_OK);
    for (size_t i = 0; i < n; i++)
        if (strcmp(items[i].kind, kind) == 0 && strcmp(items[i].rule, rule) == 0)
            return items[i].change;
    return NULL;
}

static void test_channel_and_condition_are_named_together(void **state)
{
    fixture *f = *state;
    tu_set(f->c, "request.kind", "late_checkout", "stay.checkout_hour", "16", "channel", "web",
           "staff.role", "receptionist", "date", "2026-11-20", NULL);
    assert_string_equal(change_of(f, NULL, "policy", "late_checkout"),
                        "channel in [front_desk, phone] (now web) and "
                        "stay.checkout_hour <= 14 (now 16)");
    /* the channel alone, once the hour is fine */
    tu_set(f->c, "stay.checkout_hour", "12", NULL);
    assert_string_equal(change_of(f, NULL, "policy", "late_checkout"),
                        "channel in [front_desk, phone] (now web)");
    /* on the phone it applies: not listed */
    tu_set(f->c, "channel", "phone", NULL);
    assert_null(change_of(f, NULL, "policy", "late_checkout"));
}

static void test_window_and_condition_are_named_together(void **state)
{
    fixture *f = *state;
    tu_set(f->c, "request.kind", "voucher", "channel", "web", "staff.role", "receptionist",
           "date", "2026-11-20", NULL);
    assert_string_equal(change_of(f, NULL, "policy", "winter_offer"),
                        "date >= 2026-12-01 (now 2026-11-20) and "
                        "request.kind == upgrade (now voucher)");
}

static void test_only_a_different_role(void **state)
{
    fixture *f = *state;
    tu_set(f->c, "request.kind", "upgrade", "channel", "web", "staff.role", "receptionist",
           "date", "2026-12-20", NULL);
    assert_string_equal(change_of(f, NULL, "policy", "room_upgrade"),
                        "staff.role == duty_manager (now receptionist) -- only a different "
                        "role would change this");
    /* with another fact to change too, it is not only the role */
    tu_set(f->c, "request.kind", "voucher", NULL);
    assert_string_equal(change_of(f, NULL, "policy", "room_upgrade"),
                        "request.kind == upgrade (now voucher) and staff.role == duty_manager "
                        "(now receptionist)");
}

static void test_authority_items(void **state)
{
    fixture *f = *state;
    tu_set(f->c, "request.kind", "voucher", "incident.hours", "3", "channel", "web",
           "staff.role", "receptionist", NULL);
    assert_string_equal(change_of(f, NULL, "authority", "goodwill"),
                        "only a different role would change this: 30.00 EUR of goodwill needs "
                        "duty_manager or above (now acting as receptionist, who may grant up "
                        "to 20.00 EUR)");
    lw_decide_options as_manager = {"duty_manager", 0};
    assert_null(change_of(f, &as_manager, "authority", "goodwill"));

    tu_set(f->c, "request.kind", "late_checkout", "stay.checkout_hour", "12", "channel", "phone",
           "guest.tier", "gold", NULL);
    assert_string_equal(change_of(f, NULL, "authority", "late_checkout"),
                        "only a different role would change this: the exception gold_guest "
                        "needs duty_manager or above to apply it (now acting as receptionist)");
    assert_null(change_of(f, &as_manager, "authority", "late_checkout"));
    /* the exception fired: it is not listed as a rule to make fire */
    assert_null(change_of(f, NULL, "exception", "gold_guest"));
}

static void test_bad_arguments(void **state)
{
    fixture *f = *state;
    const lw_flip_item *items = (const lw_flip_item *)1;
    size_t n = 7;
    assert_int_equal(lw_flip(NULL, f->pb, f->c, NULL, &items, &n), LW_ERR_ARG);
    assert_null(items);
    assert_int_equal(n, 0);
    assert_int_equal(lw_flip(f->e, f->pb, f->c, NULL, NULL, &n), LW_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_channel_and_condition_are_named_together, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_window_and_condition_are_named_together, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_only_a_different_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_authority_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
