/*
** test_domain.c -- the value sets and boxes of `leeway check`'s analysis
** (domain.c): open and closed interval ends, the grid of money, masks for
** enums and texts, box difference and cover, picked values, and the limit.
*/
#include "lw_test_util.h"

#include "domain.h"

static const char *PLAYBOOK =
    "playbook: domain\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  age: { type: number, min: 0, max: 130 }\n"
    "  tier: { type: enum, values: [basic, silver, gold] }\n"
    "  value: { type: money }\n"
    "  delay: { type: duration }\n"
    "  note: { type: string }\n"
    "  vip: { type: bool }\n"
    "  refund: { type: money, min: 0 EUR, max: 1000 EUR }\n";

typedef struct fixture {
    lw_playbook *pb;
    arena work, keep;
    space sp;
    size_t age, tier, value, delay, note, vip, refund;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->pb = tu_load(PLAYBOOK);
    arena_init(&f->work, &f->pb->mem);
    arena_init(&f->keep, &f->pb->mem);
    assert_true(space_init(&f->sp, f->pb, &f->work, &f->keep));
    f->age = (size_t)fact_lookup(f->pb, "age", 3);
    f->tier = (size_t)fact_lookup(f->pb, "tier", 4);
    f->value = (size_t)fact_lookup(f->pb, "value", 5);
    f->delay = (size_t)fact_lookup(f->pb, "delay", 5);
    f->note = (size_t)fact_lookup(f->pb, "note", 4);
    f->vip = (size_t)fact_lookup(f->pb, "vip", 3);
    f->refund = (size_t)fact_lookup(f->pb, "refund", 6);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    arena_free(&f->work);
    arena_free(&f->keep);
    lw_playbook_free(f->pb);
    free(f);
    return 0;
}

/* A number as written ("10.5"), exactly (decimal.c). */
static val num(double n)
{
    dec d;
    val v = num_int(0);
    assert_null(dec_from_double(n, &d));
    assert_null(num_put(NULL, d, &v));
    return v;
}

static val eur(fixture *f, int64_t cents)
{
    val v = {.t = V_MONEY, .cur = (uint8_t)f->pb->cur};
    v.u.i = cents * MONEY_FINE;
    return v;
}

static dset cmp(fixture *f, size_t dim, int op, val v)
{
    dset s;
    assert_true(dset_compare(&f->sp, dim, op, &v, &s));
    return s;
}

static bool empty(fixture *f, size_t dim, const dset *s)
{
    return dset_empty(space_dim(&f->sp, dim), s);
}

/* Do a and b hold the same values? */
static bool same(fixture *f, size_t dim, const dset *a, const dset *b)
{
    dset x, y;
    assert_true(dset_minus(&f->sp, dim, a, b, &x));
    assert_true(dset_minus(&f->sp, dim, b, a, &y));
    return empty(f, dim, &x) && empty(f, dim, &y);
}

static void assert_pick(fixture *f, size_t dim, const dset *s, const char *want)
{
    char buf[128];
    assert_true(dset_pick(&f->sp, dim, s, buf, sizeof buf));
    assert_string_equal(buf, want);
}

/* ---------------------------------------------------------------------- */

static void numbers_open_and_closed_ends(void **state)
{
    fixture *f = *state;
    dset lt = cmp(f, f->age, X_LT, num(30)), ge = cmp(f, f->age, X_GE, num(30)), both, all;
    assert_true(dset_meet(&f->sp, f->age, &lt, &ge, &both));
    assert_true(empty(f, f->age, &both));
    assert_true(dset_join(&f->sp, f->age, &lt, &ge, &all));
    assert_true(same(f, f->age, &all, &space_dim(&f->sp, f->age)->all));
    /* [30, 40] minus (30, 40) leaves the two ends */
    dset closed, open, ends, gt30 = cmp(f, f->age, X_GT, num(30)), lt40 = cmp(f, f->age, X_LT, num(40));
    val lo = num(30), hi = num(40);
    assert_true(dset_range(&f->sp, f->age, &lo, &hi, &closed));
    assert_true(dset_meet(&f->sp, f->age, &gt30, &lt40, &open));
    assert_true(dset_minus(&f->sp, f->age, &closed, &open, &ends));
    assert_int_equal(ends.n, 2);
    assert_pick(f, f->age, &ends, "30");
    assert_true(dset_minus(&f->sp, f->age, &open, &closed, &ends));
    assert_true(empty(f, f->age, &ends));
    /* numbers are dense: 10 < x < 10.5 holds for 10.25 */
    dset a = cmp(f, f->age, X_GT, num(10)), b = cmp(f, f->age, X_LT, num(10.5)), m;
    assert_true(dset_meet(&f->sp, f->age, &a, &b, &m));
    assert_false(empty(f, f->age, &m));
    assert_pick(f, f->age, &m, "10.25");
    /* the next whole number when there is one */
    assert_pick(f, f->age, &gt30, "31");
}

static void numbers_within_min_and_max(void **state)
{
    fixture *f = *state;
    dset over = cmp(f, f->age, X_GT, num(150));
    assert_true(empty(f, f->age, &over));
    dset neg = cmp(f, f->age, X_LT, num(0));
    assert_true(empty(f, f->age, &neg));
    dset ne = cmp(f, f->age, X_NE, num(0));
    assert_pick(f, f->age, &ne, "1");
}

/* A money fact's min: and max: bound it as a number's do; the unbounded
** copy of the space drops them (where the warnings find a case outside). */
static void money_within_min_and_max_and_unbounded(void **state)
{
    fixture *f = *state;
    dset over = cmp(f, f->refund, X_GT, eur(f, 100000));
    assert_true(empty(f, f->refund, &over));
    dset under = cmp(f, f->refund, X_LT, eur(f, 0));
    assert_true(empty(f, f->refund, &under));
    dset any = space_dim(&f->sp, f->refund)->all;
    assert_pick(f, f->refund, &any, "0.00 EUR");
    space within = f->sp, wide;
    assert_true(space_unbounded(&within, &wide));
    f->sp = wide;
    over = cmp(f, f->refund, X_GT, eur(f, 100000));
    assert_pick(f, f->refund, &over, "1000.01 EUR");
    dset old = cmp(f, f->age, X_GT, num(150)); /* a dim not worked out before the copy */
    assert_pick(f, f->age, &old, "151");
    f->sp = within;
    over = cmp(f, f->refund, X_GT, eur(f, 100000));
    assert_true(empty(f, f->refund, &over));
    old = cmp(f, f->age, X_GT, num(150));
    assert_true(empty(f, f->age, &old));
}

static void money_takes_whole_cents(void **state)
{
    fixture *f = *state;
    /* nothing lies strictly between 10.00 and 10.01 EUR */
    dset gt = cmp(f, f->value, X_GT, eur(f, 1000)), lt = cmp(f, f->value, X_LT, eur(f, 1001)), m;
    assert_true(dset_meet(&f->sp, f->value, &gt, &lt, &m));
    assert_true(empty(f, f->value, &m));
    assert_pick(f, f->value, &gt, "10.01 EUR");
    dset le = cmp(f, f->value, X_LE, eur(f, 1000)), rest;
    assert_true(dset_minus(&f->sp, f->value, &space_dim(&f->sp, f->value)->all, &le, &rest));
    assert_true(same(f, f->value, &rest, &gt));
}

static void durations_are_picked_as_written(void **state)
{
    fixture *f = *state;
    val two_hours = {.t = V_DUR};
    two_hours.u.i = 7200;
    dset ge = cmp(f, f->delay, X_GE, two_hours);
    assert_pick(f, f->delay, &ge, "2h");
}

static void enums_and_bools_are_masks(void **state)
{
    fixture *f = *state;
    const enumset *set = f->pb->facts[f->tier].set;
    val gold = {.t = V_ENUM, .idx = 2};
    gold.u.set = set;
    dset not_gold = cmp(f, f->tier, X_NE, gold), is_gold = cmp(f, f->tier, X_EQ, gold), m;
    assert_int_equal(not_gold.mask, 3);
    assert_pick(f, f->tier, &not_gold, "basic");
    assert_true(dset_meet(&f->sp, f->tier, &not_gold, &is_gold, &m));
    assert_true(empty(f, f->tier, &m));
    val yes = {.t = V_BOOL};
    yes.u.b = true;
    dset t = cmp(f, f->vip, X_EQ, yes), no;
    assert_true(dset_minus(&f->sp, f->vip, &space_dim(&f->sp, f->vip)->all, &t, &no));
    assert_pick(f, f->vip, &no, "false");
    /* enums are not ordered */
    dset s;
    assert_false(dset_compare(&f->sp, f->tier, X_LT, &gold, &s));
}

static void texts_are_named_words_and_anything_else(void **state)
{
    fixture *f = *state;
    space_add_word(&f->sp, f->note, "asap", 4);
    val asap = {.t = V_STR, .idx = 4};
    asap.u.s = "asap";
    dset is = cmp(f, f->note, X_EQ, asap), other = cmp(f, f->note, X_NE, asap);
    assert_pick(f, f->note, &is, "asap");
    assert_pick(f, f->note, &other, "something else");
    /* a word nobody named cannot be told apart */
    val later = {.t = V_STR, .idx = 5};
    later.u.s = "later";
    dset s;
    assert_false(dset_compare(&f->sp, f->note, X_EQ, &later, &s));
}

static box one(fixture *f, size_t dim, dset s)
{
    box b;
    assert_true(box_single(&f->sp, dim, &s, &b));
    return b;
}

static void boxes_cover_and_leave_a_rest(void **state)
{
    fixture *f = *state;
    const enumset *set = f->pb->facts[f->tier].set;
    val gold = {.t = V_ENUM, .idx = 2};
    gold.u.set = set;
    /* gold customers, and anyone under 30: not everything */
    boxes u = {0, 0, NULL}, rest;
    box g = one(f, f->tier, cmp(f, f->tier, X_EQ, gold));
    box young = one(f, f->age, cmp(f, f->age, X_LT, num(30)));
    assert_true(boxes_add(&f->sp, &u, &g));
    assert_true(boxes_add(&f->sp, &u, &young));
    box all = box_all();
    assert_false(boxes_cover(&f->sp, &all, &u, &rest));
    assert_false(f->sp.gave_up);
    assert_true(rest.n > 0);
    /* the rest: not gold and 30 or older */
    const dset *t = box_get(&f->sp, &rest.b[0], f->tier), *a = box_get(&f->sp, &rest.b[0], f->age);
    assert_int_equal(t->mask & 4, 0);
    assert_pick(f, f->age, a, "30");
    /* add the rest and it is covered */
    for (size_t i = 0; i < rest.n; i++)
        assert_true(boxes_add(&f->sp, &u, &rest.b[i]));
    assert_true(boxes_cover(&f->sp, &all, &u, NULL));
    /* a box within one of them is covered by it alone */
    box gold_young;
    assert_true(box_meet(&f->sp, &g, &young, &gold_young));
    boxes just_g = {0, 0, NULL};
    assert_true(boxes_add(&f->sp, &just_g, &g));
    assert_true(boxes_cover(&f->sp, &gold_young, &just_g, NULL));
    /* disjoint boxes do not meet */
    box old = one(f, f->age, cmp(f, f->age, X_GE, num(30))), none;
    assert_false(box_meet(&f->sp, &young, &old, &none));
    assert_false(f->sp.gave_up);
}

static void past_the_limit_it_gives_up(void **state)
{
    fixture *f = *state;
    boxes u = {0, 0, NULL};
    box all = box_all();
    bool ok = true;
    for (size_t i = 0; ok && i <= BOXES_MAX; i++)
        ok = boxes_add(&f->sp, &u, &all);
    assert_false(ok);
    assert_true(f->sp.gave_up);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(numbers_open_and_closed_ends, setup, teardown),
        cmocka_unit_test_setup_teardown(numbers_within_min_and_max, setup, teardown),
        cmocka_unit_test_setup_teardown(money_takes_whole_cents, setup, teardown),
        cmocka_unit_test_setup_teardown(money_within_min_and_max_and_unbounded, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(durations_are_picked_as_written, setup, teardown),
        cmocka_unit_test_setup_teardown(enums_and_bools_are_masks, setup, teardown),
        cmocka_unit_test_setup_teardown(texts_are_named_words_and_anything_else, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(boxes_cover_and_leave_a_rest, setup, teardown),
        cmocka_unit_test_setup_teardown(past_the_limit_it_gives_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
