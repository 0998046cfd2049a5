/*
** check.c -- `leeway check PLAYBOOK...`: compile errors and lint warnings.
*/
#include "cli.h"

#include <string.h>

int cmd_check(int argc, char **argv)
{
    if (argc < 1) {
        fputs("usage: leeway check PLAYBOOK...\n", stderr);
        return EXIT_USAGE;
    }
    int status = EXIT_DONE;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-') {
            fprintf(stderr, "leeway check: unknown option '%s'\n", argv[i]);
            return EXIT_USAGE;
        }
        lw_playbook *pb = NULL;
        lw_report *r = NULL;
        int rc = lw_playbook_load(argv[i], NULL, &pb, &r);
        size_t errors = print_report(r);
        size_t warnings = lw_report_count(r) - errors;
        if (rc == LW_ERR_IO) {
            status = EXIT_USAGE;
        } else if (rc != LW_OK) {
            if (status == EXIT_DONE)
                status = EXIT_FAILED;
            fprintf(stderr, "%s: %zu error%s, %zu warning%s\n", argv[i], errors,
                    errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
        } else {
            printf("%s: ok (%s %s, %zu fact%s, %zu role%s)", argv[i], lw_playbook_id(pb),
                   lw_playbook_version(pb), lw_fact_count(pb), lw_fact_count(pb) == 1 ? "" : "s",
                   lw_role_count(pb), lw_role_count(pb) == 1 ? "" : "s");
            if (warnings)
                printf(", %zu warning%s", warnings, warnings == 1 ? "" : "s");
            putchar('\n');
        }
        lw_report_free(r);
        lw_playbook_free(pb);
    }
    return status;
}
