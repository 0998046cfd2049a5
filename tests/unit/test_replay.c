/*
** test_replay.c -- the bundle digest, the day a decision is made as of, the
** decision log (write, read back) and replay summaries.
*/
#include "lw_test_util.h"

#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

/* ======================================================================
** A bundle on disk: dir/pb/playbook.yaml imports dir/rules/set.yaml and
** loads dir/rules/lib.lua.
*/
static char dir[64];

static void write_file(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static const char *PLAYBOOK = "playbook: bundle\n"
                              "version: \"1\"\n"
                              "currency: EUR\n"
                              "imports: [ ../rules/set.yaml ]\n"
                              "functions: [ ../rules/lib.lua ]\n"
                              "facts:\n"
                              "  n: { type: number, default: 1 }\n"
                              "outputs:\n"
                              "  twice: { value: \"double(n)\" }\n";

static const char *RULE_SET = "policies:\n"
                              "  - id: base\n"
                              "    applies: n > 100\n"
                              "    outcome: deny\n"
                              "    reason: \"too many\"\n";

static const char *LIB = "return { double = function (x) return x * 2 end }\n";

static int bundle_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/leeway_bundle_XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[128];
    snprintf(p, sizeof p, "%s/pb", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/rules", dir);
    assert_int_equal(mkdir(p, 0755), 0);
    write_file("pb/playbook.yaml", PLAYBOOK);
    write_file("rules/set.yaml", RULE_SET);
    write_file("rules/lib.lua", LIB);
    return 0;
}

static int bundle_teardown(void **state)
{
    (void)state;
    const char *files[] = {"pb/playbook.yaml", "rules/set.yaml", "rules/lib.lua", "pb",
                           "rules", ""};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        remove(p);
    }
    return 0;
}

/* The bundle's digest, copied. */
static char *bundle_digest(void)
{
    char path[256];
    snprintf(path, sizeof path, "%s/pb/playbook.yaml", dir);
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    int rc = lw_playbook_load(path, NULL, &pb, &r);
    if (rc != LW_OK)
        tu_print_report(r);
    lw_report_free(r);
    assert_int_equal(rc, LW_OK);
    char *d = strdup(lw_playbook_digest(pb));
    lw_playbook_free(pb);
    return d;
}

static void test_bundle_sources(void **state)
{
    (void)state;
    char path[256];
    snprintf(path, sizeof path, "%s/pb/playbook.yaml", dir);
    lw_playbook *pb = NULL;
    assert_int_equal(lw_playbook_load(path, NULL, &pb, NULL), LW_OK);
    assert_int_equal(lw_playbook_source_count(pb), 3);
    assert_string_equal(lw_playbook_source_path(pb, 0), "playbook.yaml");
    assert_string_equal(lw_playbook_source_path(pb, 1), "../rules/set.yaml");
    assert_string_equal(lw_playbook_source_path(pb, 2), "../rules/lib.lua");
    assert_null(lw_playbook_source_path(pb, 3));
    assert_null(lw_playbook_source_digest(pb, 3));
    assert_null(lw_playbook_source_path(NULL, 0));
    assert_int_equal(lw_playbook_source_count(NULL), 0);
    /* each source's digest is the SHA-256 of its bytes */
    char hex[65];
    sha256_hex(LIB, strlen(LIB), hex);
    assert_string_equal(lw_playbook_source_digest(pb, 2) + 7, hex);
    /* the bundle's digest is that of the sha256sum lines of its sources */
    char lines[1024];
    size_t n = 0;
    for (size_t i = 0; i < 3; i++)
        n += (size_t)snprintf(lines + n, sizeof lines - n, "%s  %s\n",
                              lw_playbook_source_digest(pb, i) + 7,
                              lw_playbook_source_path(pb, i));
    sha256_hex(lines, n, hex);
    assert_string_equal(lw_playbook_digest(pb) + 7, hex);
    lw_playbook_free(pb);
}

static void test_bundle_digest_follows_every_file(void **state)
{
    (void)state;
    char *d0 = bundle_digest();
    char *again = bundle_digest();
    assert_string_equal(d0, again); /* nothing changed: the same digest */

    /* an imported rule set */
    write_file("rules/set.yaml", "policies:\n"
                                 "  - id: base\n"
                                 "    applies: n > 101\n"
                                 "    outcome: deny\n"
                                 "    reason: \"too many\"\n");
    char *d1 = bundle_digest();
    assert_string_not_equal(d0, d1);
    write_file("rules/set.yaml", RULE_SET);
    char *back = bundle_digest();
    assert_string_equal(d0, back);

    /* a Lua library: one byte of white space */
    write_file("rules/lib.lua", "return { double = function (x) return x * 2 end } \n");
    char *d2 = bundle_digest();
    assert_string_not_equal(d0, d2);
    write_file("rules/lib.lua", LIB);

    /* the playbook itself */
    write_file("pb/playbook.yaml", "# a comment\n");
    FILE *f = fopen(strcat(strcpy((char[256]){0}, dir), "/pb/playbook.yaml"), "a");
    assert_non_null(f);
    fputs(PLAYBOOK, f);
    fclose(f);
    char *d3 = bundle_digest();
    assert_string_not_equal(d0, d3);
    write_file("pb/playbook.yaml", PLAYBOOK);
    free(d0);
    free(again);
    free(d1);
    free(back);
    free(d2);
    free(d3);
}

/* ======================================================================
** as_of
*/
/* A playbook with a date fact: a policy in force since `since`, goodwill of
** `percent`% of the spend. */
#define DATED_PLAYBOOK(version, since, percent)                                               \
    "playbook: dated\n"                                                                        \
    "version: \"" version "\"\n"                                                               \
    "currency: EUR\n"                                                                          \
    "facts:\n"                                                                                 \
    "  date: { type: date }\n"                                                                 \
    "  staff.role: { type: role }\n"                                                           \
    "  spend: { type: money }\n"                                                               \
    "roles:\n"                                                                                 \
    "  - { id: agent, goodwill_limit: 20 EUR }\n"                                              \
    "  - { id: lead, goodwill_limit: 100 EUR }\n"                                              \
    "policies:\n"                                                                              \
    "  - id: new_rules\n"                                                                      \
    "    applies: date >= " since "\n"                                                         \
    "    outcome: deny\n"                                                                      \
    "    reason: \"new rules\"\n"                                                              \
    "goodwill:\n"                                                                              \
    "  - id: base\n"                                                                           \
    "    amount: spend * " percent "\n"

static const char *DATED = DATED_PLAYBOOK("1", "2026-01-01", "10%");

static void test_as_of(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, DATED);
    /* a case without a date: decided as of its day, which can be set */
    assert_int_equal(lw_case_set_as_of(f.c, "2025-06-30"), LW_OK);
    const lw_decision *d = tu_decide(&f);
    assert_string_equal(d->as_of, "2025-06-30");
    assert_string_equal(d->outcome, "allow");
    assert_non_null(strstr(lw_decision_json(f.e, d, 0, NULL), "\"as_of\":\"2025-06-30\""));
    assert_non_null(strstr(lw_case_json(f.c), "\"date\":\"2025-06-30\""));
    /* written back and read again, the case decides the same way on any day */
    char *cj = strdup(lw_case_json(f.c));
    lw_case_reset(f.c);
    assert_int_equal(lw_case_read_json(f.c, "c", cj, strlen(cj), NULL), LW_OK);
    assert_int_equal(lw_case_set_as_of(f.c, "2027-01-01"), LW_OK); /* ignored: a date is given */
    d = tu_decide(&f);
    assert_string_equal(d->as_of, "2025-06-30");
    assert_string_equal(d->outcome, "allow");
    free(cj);
    /* a date-time: as of its day */
    lw_case_reset(f.c);
    assert_int_equal(lw_case_set_text(f.c, "date", "2026-03-04T10:00:00Z"), LW_OK);
    d = tu_decide(&f);
    assert_string_equal(d->as_of, "2026-03-04");
    assert_string_equal(d->outcome, "deny");
    /* by default: today (UTC) */
    lw_case_reset(f.c);
    d = tu_decide(&f);
    char today[32];
    time_t now = time(NULL);
    strftime(today, sizeof today, "%Y-%m-%d", gmtime(&now));
    assert_string_equal(d->as_of, today);
    tu_fix_close(&f);
}

/* ======================================================================
** The decision log
*/
static void test_log_record_and_read_back(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, DATED);
    tu_set(f.c, "spend", "300 EUR", "date", "2025-05-01", NULL);
    const lw_decision *d = tu_decide_opt(&f, "agent", 0);
    assert_string_equal(tu_money(d->goodwill.amount), "30.00 EUR");
    size_t len = 0;
    const char *rec = lw_log_record(f.e, f.c, d, "agent", &len);
    assert_non_null(rec);
    assert_int_equal(strlen(rec), len);
    assert_int_equal(rec[len - 1], '\n');
    assert_null(memchr(rec, '\n', len - 1)); /* one line */
    assert_ptr_equal(strstr(rec, "{\"log\":1,\"decision_id\":\""), rec);
    assert_non_null(strstr(rec, "\"role\":\"agent\""));
    assert_non_null(strstr(rec, "\"case\":{\"date\":\"2025-05-01\",\"spend\":\"300.00 EUR\"}"));
    assert_non_null(strstr(rec, "\"as_of\":\"2025-05-01\""));
    assert_non_null(strstr(rec, "\"within_authority\":false"));
    char *copy = strdup(rec);

    /* read it back: the case, its role, and the logged decision */
    lw_engine *e2 = lw_engine_new(NULL);
    lw_case *c2 = lw_case_new(f.pb);
    const lw_decision *logged = NULL;
    const char *role = NULL, *msg = NULL;
    assert_int_equal(lw_log_read(e2, c2, NULL, "log", copy, len, &logged, &role, &msg), LW_OK);
    assert_null(msg);
    assert_string_equal(role, "agent");
    assert_non_null(logged);
    assert_string_equal(logged->outcome, "allow");
    assert_string_equal(tu_money(logged->goodwill.amount), "30.00 EUR");
    assert_false(logged->goodwill.within_authority);
    assert_string_equal(logged->goodwill.needs_role, "lead");
    /* deciding the read case again gives the logged decision: nothing changed */
    lw_replay *r = lw_replay_new(NULL, 3);
    lw_decide_options o = {role, 0};
    const lw_decision *again = NULL;
    assert_int_equal(lw_decide(f.e, f.pb, c2, &o, &again), LW_OK);
    assert_int_equal(lw_replay_add(r, 1, logged, again, c2), 0);
    assert_int_equal(lw_replay_changed(r), 0);
    assert_int_equal(lw_replay_cases(r), 1);

    /* a bare case is read as a case, with no logged decision */
    lw_case_reset(c2);
    const char *bare = "{\"spend\": \"10 EUR\"}";
    assert_int_equal(lw_log_read(e2, c2, NULL, "bare", bare, strlen(bare), &logged, &role, &msg), LW_OK);
    assert_null(logged);
    assert_null(role);
    /* one parse, two cases: the second (of another version) gets the values too */
    lw_case *c3 = lw_case_new(f.pb);
    lw_case_reset(c2);
    assert_int_equal(lw_log_read(e2, c2, c3, "bare", bare, strlen(bare), NULL, NULL, &msg), LW_OK);
    assert_non_null(strstr(lw_case_json(c3), "\"spend\":\"10.00 EUR\""));
    assert_int_equal(lw_log_read(e2, c2, c2, "bare", bare, strlen(bare), NULL, NULL, &msg),
                     LW_ERR_ARG);
    lw_case_free(c3);
    /* a record of another version, a record without a case: clear errors */
    lw_case_reset(c2);
    const char *v2 = "{\"log\":2,\"case\":{},\"outcome\":\"allow\"}";
    assert_int_equal(lw_log_read(e2, c2, NULL, "v2", v2, strlen(v2), &logged, &role, &msg),
                     LW_ERR_CASE);
    assert_non_null(strstr(msg, "a newer leeway"));
    lw_case_reset(c2);
    const char *nocase = "{\"log\":1,\"outcome\":\"allow\"}";
    assert_int_equal(lw_log_read(e2, c2, NULL, "nc", nocase, strlen(nocase), &logged, &role, &msg),
                     LW_ERR_CASE);
    assert_non_null(strstr(msg, "no \"case\""));
    /* broken JSON: the case reader's message, with its position */
    lw_case_reset(c2);
    const char *broken = "{\"log\":1,";
    assert_int_equal(lw_log_read(e2, c2, NULL, "b", broken, strlen(broken), &logged, &role, &msg),
                     LW_ERR_CASE);
    assert_non_null(strstr(msg, "b:1:"));
    assert_int_equal(lw_log_read(NULL, c2, NULL, "b", broken, 1, NULL, NULL, NULL), LW_ERR_ARG);
    /* a record passes the case reader's checks too: no \u0000 in it */
    lw_case_reset(c2);
    const char *nul = "{\"log\":1,\"case\":{\"spend\":\"1\\u0000 EUR\"},\"outcome\":\"allow\"}";
    assert_int_equal(lw_log_read(e2, c2, NULL, "n", nul, strlen(nul), &logged, &role, &msg),
                     LW_ERR_CASE);
    assert_non_null(strstr(msg, "n:1:28: error: \\u0000"));

    lw_replay_free(r);
    lw_case_free(c2);
    lw_engine_free(e2);
    free(copy);
    tu_fix_close(&f);
}

/* A host that answers with the decision id writes the same id in the
** record (lw_decision_id, lw_log_record_id). */
/* Logged numbers are read back exactly: an output that changed in its 34th
** digit is a change, though both are the same binary double. */
static void test_replay_numbers_exactly(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, "playbook: thirds\n"
                    "version: \"1\"\n"
                    "currency: EUR\n"
                    "facts:\n"
                    "  n: { type: number, default: 1 }\n"
                    "outputs:\n"
                    "  third: { value: \"n / 3\" }\n");
    const lw_decision *d = tu_decide(&f);
    size_t len = 0;
    const char *rec = lw_log_record(f.e, f.c, d, NULL, &len);
    assert_non_null(rec);
    char *copy = strdup(rec);
    lw_engine *e2 = lw_engine_new(NULL);
    lw_case *c2 = lw_case_new(f.pb);
    lw_replay *r = lw_replay_new(NULL, 3);
    for (int changed = 0; changed <= 1; changed++) {
        char *digits = strstr(copy, "\"third\":0.3333333333333333333333333333333333");
        assert_non_null(digits);
        if (changed) /* the 34th digit */
            digits[strlen("\"third\":0.3333333333333333333333333333333333") - 1] = '4';
        const lw_decision *logged = NULL, *again = NULL;
        const char *role = NULL, *msg = NULL;
        lw_case_reset(c2);
        assert_int_equal(lw_log_read(e2, c2, NULL, "log", copy, len, &logged, &role, &msg),
                         LW_OK);
        lw_decide_options o = {NULL, 0};
        assert_int_equal(lw_decide(f.e, f.pb, c2, &o, &again), LW_OK);
        assert_int_equal(lw_replay_add(r, changed + 1, logged, again, c2), changed);
        if (changed) {
            digits[strlen("\"third\":0.3333333333333333333333333333333333") - 1] = '3';
            assert_non_null(strstr(lw_replay_text(r, NULL), "0.3333333333333333333333333333333334"));
        }
    }
    assert_int_equal(lw_replay_changed(r), 1);
    lw_replay_free(r);
    lw_case_free(c2);
    lw_engine_free(e2);
    free(copy);
    tu_fix_close(&f);
}

static void test_log_record_with_given_id(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, DATED);
    tu_set(f.c, "spend", "300 EUR", "date", "2025-05-01", NULL);
    const lw_decision *d = tu_decide_opt(&f, "agent", 0);
    char id[LW_DECISION_ID_SIZE], id2[LW_DECISION_ID_SIZE];
    assert_int_equal(lw_decision_id(f.e, id), LW_OK);
    assert_int_equal(lw_decision_id(f.e, id2), LW_OK);
    assert_int_equal(strlen(id), LW_DECISION_ID_SIZE - 1);
    assert_int_equal(id[14], '7'); /* version 7 */
    assert_string_not_equal(id, id2);
    assert_int_equal(lw_decision_id(NULL, id), LW_ERR_ARG);
    const char *rec = lw_log_record_id(f.e, f.c, d, "agent", id, NULL);
    assert_non_null(rec);
    char want[80];
    snprintf(want, sizeof want, "{\"log\":1,\"decision_id\":\"%s\",\"at\":", id);
    assert_ptr_equal(strstr(rec, want), rec);
    tu_fix_close(&f);
}

static void test_log_append_one_write_per_line(void **state)
{
    (void)state;
    tu_fix f;
    tu_fix_open(&f, DATED);
    char path[] = "/tmp/leeway_log_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    fd = open(path, O_WRONLY | O_APPEND);
    for (int i = 0; i < 3; i++) {
        char spend[32];
        snprintf(spend, sizeof spend, "%d EUR", 10 * (i + 1));
        lw_case_reset(f.c);
        tu_set(f.c, "spend", spend, NULL);
        const lw_decision *d = tu_decide(&f);
        assert_int_equal(lw_log_append(f.e, fd, f.c, d, NULL), LW_OK);
    }
    assert_int_equal(lw_log_append(f.e, -1, f.c, f.d, NULL), LW_ERR_ARG);
    close(fd);
    FILE *in = fopen(path, "r");
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, in)) {
        n++;
        assert_non_null(strstr(line, "\"log\":1"));
        assert_non_null(strstr(line, "\"role\":null"));
    }
    fclose(in);
    unlink(path);
    assert_int_equal(n, 3);
    tu_fix_close(&f);
}

/* ======================================================================
** Replay summaries
*/
static const char *RAISED = DATED_PLAYBOOK("2", "2025-01-01", "15%");

static void test_replay_summary(void **state)
{
    (void)state;
    tu_fix a, b;
    tu_fix_open(&a, DATED);
    tu_fix_open(&b, RAISED);
    lw_replay *r1 = lw_replay_new(NULL, 2), *r2 = lw_replay_new(NULL, 2);
    /* (date, spend): 2024 cases keep their outcome, 2025 ones become deny;
    ** goodwill goes from 10% to 15% of spend */
    const char *rows[][2] = {{"2024-03-01", "100 EUR"}, {"2025-03-01", "200 EUR"},
                             {"2024-06-01", "0 EUR"},   {"2025-07-01", "40 EUR"}};
    for (int i = 0; i < 4; i++) {
        lw_case_reset(a.c);
        lw_case_reset(b.c);
        tu_set(a.c, "date", rows[i][0], "spend", rows[i][1], NULL);
        tu_set(b.c, "date", rows[i][0], "spend", rows[i][1], NULL);
        const lw_decision *da = tu_decide_opt(&a, "agent", 0);
        const lw_decision *db = tu_decide_opt(&b, "agent", 0);
        int ch = lw_replay_add(i % 2 ? r2 : r1, 10 - i, da, db, b.c);
        assert_int_equal(ch, i == 2 ? 0 : 1);
    }
    assert_int_equal(lw_replay_merge(r1, r2), LW_OK);
    assert_int_equal(lw_replay_cases(r1), 4);
    assert_int_equal(lw_replay_changed(r1), 3);
    const char *j = lw_replay_json(r1, NULL);
    assert_non_null(j);
    assert_non_null(strstr(j, "\"cases\":4,\"invalid\":0,\"compared\":4,\"changed\":3,"
                              "\"unchanged\":1,\"oldest\":\"2024-03-01\",\"newest\":\"2025-07-01\""));
    assert_non_null(strstr(j, "\"transitions\":{\"allow->deny\":2}"));
    /* 10% -> 15% of 340 EUR: 34.00 -> 51.00 */
    assert_non_null(strstr(j, "\"goodwill\":{\"EUR\":{\"before\":\"34.00\",\"after\":\"51.00\","
                              "\"delta\":\"17.00\"}}"));
    assert_non_null(strstr(j, "\"by_rule\":{\"base\":3,\"new_rules\":2}"));
    /* the two examples of lowest line numbers: lines 7 and 9 (of 10, 9, 7) */
    const char *ex = strstr(j, "\"examples\":[{\"line\":7,");
    assert_non_null(ex);
    assert_non_null(strstr(ex, "{\"line\":9,"));
    assert_null(strstr(ex, "\"line\":10"));
    assert_non_null(strstr(ex, "\"goodwill: 4.00 EUR -> 6.00 EUR\""));
    assert_non_null(strstr(ex, "\"outcome: allow -> deny\""));
    assert_non_null(strstr(ex, "\"policy new_rules: not in force -> deny\""));
    assert_non_null(strstr(ex, "\"case\":{\"date\":\"2025-07-01\",\"spend\":\"40.00 EUR\"}"));
    const char *t = lw_replay_text(r1, NULL);
    assert_non_null(t);
    assert_non_null(strstr(t, "changed:   3 of 4 (75.00%)"));
    assert_non_null(strstr(t, "+17.00"));
    assert_non_null(strstr(t, "line 7:\n    outcome: allow -> deny\n"));
    assert_int_equal(lw_replay_add(NULL, 1, NULL, a.d, NULL), LW_ERR_ARG);
    assert_int_equal(lw_replay_add(r1, 1, NULL, NULL, NULL), LW_ERR_ARG);
    lw_replay_free(r1);
    lw_replay_free(r2);
    lw_replay_free(NULL);
    tu_fix_close(&a);
    tu_fix_close(&b);
}

static void test_replay_empty(void **state)
{
    (void)state;
    lw_replay *r = lw_replay_new(NULL, 5);
    assert_string_equal(lw_replay_json(r, NULL),
                        "{\"cases\":0,\"invalid\":0,\"compared\":0,\"changed\":0,\"unchanged\":0,"
                        "\"oldest\":null,\"newest\":null,\"outcomes\":{},\"transitions\":{},"
                        "\"goodwill\":{},\"by_rule\":{},\"examples\":[],\"invalid_lines\":[]}");
    assert_string_equal(lw_replay_text(r, NULL), "0 cases\n");
    lw_replay_free(r);
}

int main(void)
{
    const struct CMUnitTest bundle[] = {
        cmocka_unit_test(test_bundle_sources),
        cmocka_unit_test(test_bundle_digest_follows_every_file),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_of),
        cmocka_unit_test(test_log_record_and_read_back),
        cmocka_unit_test(test_replay_numbers_exactly),
        cmocka_unit_test(test_log_record_with_given_id),
        cmocka_unit_test(test_log_append_one_write_per_line),
        cmocka_unit_test(test_replay_summary),
        cmocka_unit_test(test_replay_empty),
    };
    int failed = cmocka_run_group_tests_name("bundle", bundle, bundle_setup, bundle_teardown);
    return failed + cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
