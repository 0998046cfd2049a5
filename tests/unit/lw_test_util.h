/*
** lw_test_util.h -- small helpers shared by the cmocka unit tests.
**
** Everything here is static inline so a test file that uses only part of it
** compiles without unused-function warnings. The helpers fail the running
** test (with the engine's own messages printed) rather than return errors.
*/
#ifndef LW_TEST_UTIL_H
#define LW_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leeway.h"
#include "internal.h"

/* Print every diagnostic of a report (to help when a test fails). */
static inline void tu_print_report(const lw_report *r)
{
    char line[1024];
    for (size_t i = 0; i < lw_report_count(r); i++) {
        lw_diag_format(lw_report_get(r, i), line, sizeof line);
        print_message("    %s\n", line);
    }
}

/* Load a playbook from text; the test fails (printing the diagnostics) if it
** does not compile. */
static inline lw_playbook *tu_load_opt(const char *text, const lw_options *opt)
{
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    int rc = lw_playbook_load_string("test.yaml", text, strlen(text), opt, &pb, &r);
    if (rc != LW_OK) {
        print_message("playbook did not compile (%s):\n", lw_errstr(rc));
        tu_print_report(r);
    }
    lw_report_free(r);
    assert_int_equal(rc, LW_OK);
    assert_non_null(pb);
    return pb;
}

static inline lw_playbook *tu_load(const char *text)
{
    return tu_load_opt(text, NULL);
}

/* The first error of a report (NULL if none). */
static inline const lw_diag *tu_first_error(const lw_report *r)
{
    for (size_t i = 0; i < lw_report_count(r); i++) {
        const lw_diag *d = lw_report_get(r, i);
        if (d->severity == LW_ERROR)
            return d;
    }
    return NULL;
}

/* The report of the last tu_load_fail, until tu_report_free: freed by the
** next tu_load_fail or tu_release_pending (call it from the group teardown),
** so a failing assertion does not leak it. */
static lw_report *tu_pending;

static inline void tu_release_pending(void)
{
    lw_report_free(tu_pending);
    tu_pending = NULL;
}

static inline void tu_report_free(lw_report *r)
{
    if (r == tu_pending)
        tu_pending = NULL;
    lw_report_free(r);
}

/* Load text that must NOT compile; returns the report (free it with
** tu_report_free). */
static inline lw_report *tu_load_fail(const char *text)
{
    lw_playbook *pb = (lw_playbook *)1;
    lw_report *r = NULL;
    tu_release_pending();
    int rc = lw_playbook_load_string("test.yaml", text, strlen(text), NULL, &pb, &r);
    if (rc == LW_OK) {
        lw_playbook_free(pb);
        lw_report_free(r);
        print_message("the playbook compiled, but it should not have\n");
        fail();
    }
    tu_pending = r;
    assert_int_equal(rc, LW_ERR_PLAYBOOK);
    assert_null(pb);
    assert_non_null(r);
    assert_true(lw_report_errors(r) >= 1);
    assert_non_null(tu_first_error(r));
    return r;
}

/* Does any warning of the report contain `needle`? */
static inline int tu_report_has(const lw_report *r, lw_severity sev, const char *needle)
{
    for (size_t i = 0; i < lw_report_count(r); i++) {
        const lw_diag *d = lw_report_get(r, i);
        if (d->severity == sev && strstr(d->message, needle))
            return 1;
    }
    return 0;
}

/* Set case values from "path", "text" pairs, NULL-terminated; each must be
** accepted. */
static inline void tu_set(lw_case *c, ...)
{
    va_list ap;
    va_start(ap, c);
    for (;;) {
        const char *path = va_arg(ap, const char *);
        if (!path)
            break;
        const char *text = va_arg(ap, const char *);
        int rc = lw_case_set_text(c, path, text);
        if (rc != LW_OK) {
            print_message("lw_case_set_text(%s, %s) = %s; problems:\n", path, text,
                          lw_errstr(rc));
            for (size_t i = 0; i < lw_case_problem_count(c); i++)
                print_message("    %s\n", lw_case_problem(c, i));
        }
        assert_int_equal(rc, LW_OK);
    }
    va_end(ap);
}

static inline const lw_policy_result *tu_policy(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_policies; i++)
        if (strcmp(d->policies[i].id, id) == 0)
            return &d->policies[i];
    return NULL;
}

static inline const lw_output_result *tu_output(const lw_decision *d, const char *name)
{
    for (size_t i = 0; i < d->n_outputs; i++)
        if (strcmp(d->outputs[i].name, name) == 0)
            return &d->outputs[i];
    return NULL;
}

static inline const lw_promise_result *tu_promise(const lw_decision *d, const char *id)
{
    for (size_t i = 0; i < d->n_promises; i++)
        if (strcmp(d->promises[i].id, id) == 0)
            return &d->promises[i];
    return NULL;
}

/* The missing list joined with commas, in a static buffer ("" when empty). */
static inline const char *tu_missing(const lw_decision *d)
{
    static char buf[1024];
    buf[0] = 0;
    for (size_t i = 0; i < d->n_missing; i++) {
        if (i)
            strcat(buf, ",");
        strcat(buf, d->missing[i]);
    }
    return buf;
}

/* Errors of a decision, joined with " | ". */
static inline const char *tu_errors(const lw_decision *d)
{
    static char buf[4096];
    buf[0] = 0;
    for (size_t i = 0; i < d->n_errors; i++) {
        if (i)
            strcat(buf, " | ");
        strncat(buf, d->errors[i].message, sizeof buf - strlen(buf) - 1);
    }
    return buf;
}

/* A money result as "12.34 EUR" in a rotating static buffer. */
static inline const char *tu_money(lw_money m)
{
    static char bufs[8][64];
    static int k;
    char *b = bufs[k++ & 7];
    lw_money_format(m, 1, b, 64);
    return b;
}

static inline const char *tu_value(const lw_value *v)
{
    static char bufs[8][512];
    static int k;
    char *b = bufs[k++ & 7];
    lw_value_format(v, b, 512);
    return b;
}

/* A test fixture: one playbook, engine and case. */
typedef struct tu_fix {
    lw_playbook *pb;
    lw_engine *e;
    lw_case *c;
    const lw_decision *d;
} tu_fix;

static inline void tu_fix_open(tu_fix *f, const char *text)
{
    f->pb = tu_load(text);
    f->e = lw_engine_new(NULL);
    assert_non_null(f->e);
    f->c = lw_case_new(f->pb);
    assert_non_null(f->c);
    f->d = NULL;
}

static inline void tu_fix_close(tu_fix *f)
{
    lw_case_free(f->c);
    lw_engine_free(f->e);
    lw_playbook_free(f->pb);
    memset(f, 0, sizeof *f);
}

/* Decide the fixture's case (optionally as role, with trace). */
static inline const lw_decision *tu_decide_opt(tu_fix *f, const char *role, int trace)
{
    lw_decide_options o = {role, trace};
    const lw_decision *d = NULL;
    int rc = lw_decide(f->e, f->pb, f->c, &o, &d);
    assert_int_equal(rc, LW_OK);
    assert_non_null(d);
    f->d = d;
    return d;
}

static inline const lw_decision *tu_decide(tu_fix *f)
{
    return tu_decide_opt(f, NULL, 0);
}

/* One fixture per test file: tu_open_pb() loads a playbook into it (closing
** the one before), tu_teardown() closes it after each test. */
static tu_fix tu_F;

static inline int tu_teardown(void **state)
{
    (void)state;
    if (tu_F.pb)
        tu_fix_close(&tu_F);
    tu_release_pending();
    return 0;
}

static inline void tu_open_pb(const char *text)
{
    if (tu_F.pb)
        tu_fix_close(&tu_F);
    tu_fix_open(&tu_F, text);
}

#endif
