/*
** run_tests.c -- run a playbook's tests from C with lw_test_file, the way
** `leeway test --coverage` does, e.g. as a step of an application's own
** test suite before it loads a new playbook version.
**
**   ./run_tests docs/examples/returns.yaml docs/examples/returns.test.yaml
*/
#include <leeway.h>

#include <stdio.h>

static void on_test(void *ud, const lw_test_result *r)
{
    (void)ud;
    if (!r->passed)
        printf("FAIL %s:%d: %s\n     %s\n", r->file, r->line, r->name, r->failure);
}

static void on_uncovered(void *ud, const char *file, const char *rule)
{
    (*(int *)ud)++;
    printf("not covered: %s: %s\n", file, rule);
}

int main(int argc, char **argv)
{
    lw_engine *e = lw_engine_new(NULL);
    if (!e)
        return 2;
    int passed = 0, failed = 0, uncovered = 0;
    for (int i = 1; i < argc; i++) {
        lw_report *rep = NULL;
        int rc = lw_test_file(e, argv[i], NULL, on_test, on_uncovered, &uncovered, &passed,
                              &failed, &rep);
        if (rc == LW_ERR_NOTFOUND) {
            printf("%s: no tests\n", argv[i]);
        } else if (rc != LW_OK) {
            /* the playbook did not load: its errors are in the report */
            for (size_t k = 0; k < lw_report_count(rep); k++) {
                char msg[1024];
                lw_diag_format(lw_report_get(rep, k), msg, sizeof msg);
                printf("%s\n", msg);
            }
            failed++;
        }
        lw_report_free(rep);
    }
    lw_engine_free(e);
    printf("%d passed, %d failed, %d not covered\n", passed, failed, uncovered);
    return failed ? 1 : 0;
}
