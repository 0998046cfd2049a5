/*
** test_registry.c -- the registry of named playbooks: acquire and release,
** reload (good, broken, failing tests), the status it records, and a swap
** under use by several threads.
*/
#include "lw_test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <unistd.h>

static char dir[64];
static char path[128];

/* A playbook whose version and output `v` are both n, with a test that
** expects v = `expect` (so expect != n makes its tests fail). */
static void write_playbook(const char *id, int n, int expect)
{
    char tmp[160], text[1024];
    snprintf(text, sizeof text,
             "playbook: %s\n"
             "version: \"%d\"\n"
             "currency: EUR\n"
             "facts:\n"
             "  x: { type: number, default: 1 }\n"
             "outputs:\n"
             "  v: { value: \"x * 0 + %d\" }\n"
             "tests:\n"
             "  - name: v\n"
             "    case: {}\n"
             "    expect: { outputs: { v: %d } }\n",
             id, n, n, expect);
    /* replaced in one rename, as editors and deployments do */
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

static void write_broken(void)
{
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    assert_non_null(f);
    fputs("playbook: p\nversion: \"9\"\nfacts: [ oops\n", f);
    fclose(f);
    assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/leeway_registry_XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/playbook.yaml", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    remove(path);
    rmdir(dir);
    return 0;
}

static void test_add_acquire_release(void **state)
{
    (void)state;
    write_playbook("p", 1, 1);
    lw_registry *r = lw_registry_new(NULL);
    assert_non_null(r);
    char msg[512];
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_OK);
    assert_string_equal(msg, "");
    assert_int_equal(lw_registry_count(r), 1);
    assert_string_equal(lw_registry_id(r, 0), "p");
    assert_null(lw_registry_id(r, 1));

    /* the same id twice */
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_ERR_ARG);
    assert_non_null(strstr(msg, "a playbook with the id 'p' is already loaded"));

    const lw_playbook *pb = lw_registry_acquire(r, "p");
    assert_non_null(pb);
    assert_string_equal(lw_playbook_version(pb), "1");
    assert_null(lw_registry_acquire(r, "q"));
    lw_registry_release(r, pb);
    lw_registry_release(r, NULL);

    lw_registry_status st;
    assert_int_equal(lw_registry_status_get(r, "p", &st), LW_OK);
    assert_string_equal(st.path, path);
    assert_true(st.loaded_at > 0);
    assert_int_equal(st.last_reload_at, 0);
    assert_int_equal(st.reloads_ok + st.reloads_failed, 0);
    assert_int_equal(lw_registry_status_get(r, "q", &st), LW_ERR_NOTFOUND);
    assert_int_equal(lw_registry_status_get(r, NULL, &st), LW_ERR_ARG);
    assert_int_equal(lw_registry_reload(r, "q", msg, sizeof msg), LW_ERR_NOTFOUND);
    lw_registry_free(r);
    lw_registry_free(NULL);
}

static void test_add_refuses_broken_and_failing(void **state)
{
    (void)state;
    lw_registry *r = lw_registry_new(NULL);
    char msg[512];
    write_broken();
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_ERR_PLAYBOOK);
    assert_non_null(strstr(msg, "playbook.yaml:4:1: error: YAML syntax error"));
    write_playbook("p", 1, 2);
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_ERR_LIMIT);
    assert_non_null(strstr(msg, "test 'v' failed"));
    assert_non_null(strstr(msg, "1 of 1 tests failed"));
    assert_int_equal(lw_registry_count(r), 0);
    lw_registry_free(r);
}

/* A version held by a request stays whole through reloads; it is freed by
** the last release (ASan and valgrind see a use after free or a leak). */
static void test_reload_keeps_held_versions(void **state)
{
    (void)state;
    write_playbook("p", 1, 1);
    lw_registry *r = lw_registry_new(NULL);
    char msg[512];
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_OK);
    const lw_playbook *v1 = lw_registry_acquire(r, "p");
    const lw_playbook *v1b = lw_registry_acquire(r, "p");

    write_playbook("p", 2, 2);
    assert_int_equal(lw_registry_reload(r, "p", msg, sizeof msg), LW_OK);
    assert_string_equal(msg, "");
    const lw_playbook *v2 = lw_registry_acquire(r, "p");
    assert_string_equal(lw_playbook_version(v2), "2");
    assert_string_equal(lw_playbook_version(v1), "1");

    /* a broken file and failing tests keep version 2 serving */
    write_broken();
    assert_int_equal(lw_registry_reload(r, "p", msg, sizeof msg), LW_ERR_PLAYBOOK);
    lw_registry_status st;
    assert_int_equal(lw_registry_status_get(r, "p", &st), LW_OK);
    assert_int_equal(st.last_result, LW_ERR_PLAYBOOK);
    assert_string_equal(st.last_error, msg);
    assert_non_null(strstr(st.last_error, "playbook.yaml:4:1: error: YAML syntax error"));
    write_playbook("p", 3, 4);
    assert_int_equal(lw_registry_reload(r, "p", msg, sizeof msg), LW_ERR_LIMIT);
    const lw_playbook *still = lw_registry_acquire(r, "p");
    assert_ptr_equal(still, v2);
    lw_registry_release(r, still);

    /* another id in the file is refused: ids are what clients call */
    write_playbook("other", 5, 5);
    assert_int_equal(lw_registry_reload(r, "p", msg, sizeof msg), LW_ERR_ARG);
    assert_non_null(strstr(msg, "id changed from 'p' to 'other'"));

    write_playbook("p", 6, 6);
    assert_int_equal(lw_registry_reload(r, "p", msg, sizeof msg), LW_OK);
    assert_int_equal(lw_registry_status_get(r, "p", &st), LW_OK);
    assert_int_equal(st.last_result, LW_OK);
    assert_string_equal(st.last_error, "");
    assert_int_equal(st.reloads_ok, 2);
    assert_int_equal(st.reloads_failed, 3);
    assert_true(st.last_reload_at >= st.loaded_at && st.loaded_at > 0);

    /* v1 (twice) and v2 are retired but held */
    lw_registry_release(r, v1);
    assert_string_equal(lw_playbook_version(v1b), "1");
    lw_registry_release(r, v1b);
    assert_string_equal(lw_playbook_version(v2), "2");
    lw_registry_release(r, v2);
    lw_registry_free(r);
}

/* ======================================================================
** Several threads decide while the playbook is replaced, alternately by a
** good and a broken version: every decision comes from one whole version
** (its version and its output agree with the playbook it was acquired as).
*/
typedef struct worker {
    lw_registry *r;
    atomic_int *stop;
    long decisions, mixed, failed;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lw_engine *e = lw_engine_new(NULL);
    while (!atomic_load(w->stop)) {
        const lw_playbook *pb = lw_registry_acquire(w->r, "p");
        if (!pb) {
            w->failed++;
            continue;
        }
        lw_case *c = lw_case_new(pb);
        const lw_decision *d;
        if (!c || lw_decide(e, pb, c, NULL, &d) != LW_OK) {
            w->failed++;
        } else {
            int v = atoi(lw_playbook_version(pb));
            if (strcmp(d->version, lw_playbook_version(pb)) != 0 || d->n_outputs != 1 ||
                d->outputs[0].value.number != v)
                w->mixed++;
            w->decisions++;
        }
        lw_case_free(c);
        lw_registry_release(w->r, pb);
        sched_yield(); /* let the reloading thread run (valgrind: one at a time) */
    }
    lw_engine_free(e);
    return NULL;
}

static void test_swap_under_use(void **state)
{
    (void)state;
    write_playbook("p", 1, 1);
    lw_registry *r = lw_registry_new(NULL);
    char msg[512];
    assert_int_equal(lw_registry_add(r, path, msg, sizeof msg), LW_OK);
    atomic_int stop = 0;
    enum { N = 3 };
    worker w[N];
    pthread_t t[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){r, &stop, 0, 0, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    int ok = 0, failed = 0;
    /* ten reloads: enough to swap under use both ways, and quick under
    ** valgrind, which runs one thread at a time */
    for (int k = 2; k < 12; k++) {
        if (k % 2 == 0)
            write_playbook("p", k, k);
        else
            write_broken();
        if (lw_registry_reload(r, "p", msg, sizeof msg) == LW_OK)
            ok++;
        else
            failed++;
    }
    atomic_store(&stop, 1);
    long decisions = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].mixed, 0);
        assert_int_equal(w[i].failed, 0);
        decisions += w[i].decisions;
    }
    assert_true(decisions > 0);
    assert_int_equal(ok, 5);
    assert_int_equal(failed, 5);
    const lw_playbook *pb = lw_registry_acquire(r, "p");
    assert_string_equal(lw_playbook_version(pb), "10");
    lw_registry_release(r, pb);
    lw_registry_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_acquire_release, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_refuses_broken_and_failing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload_keeps_held_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_swap_under_use, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
