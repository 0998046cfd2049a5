/*
** check.c -- `leeway check [-v] [--strict] PLAYBOOK...`: compile errors, lint
** warnings and the analysis's warnings (lw_playbook_analyze), and the bundle
** digest (with -v, every source file's digest). --strict: warnings fail it.
*/
#include "cli.h"

#include <string.h>

int cmd_check(int argc, char **argv)
{
    int verbose = 0, strict = 0, n_files = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            verbose = 1;
        } else if (strcmp(argv[i], "--strict") == 0) {
            strict = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "leeway check: unknown option '%s'\n", argv[i]);
            return EXIT_USAGE;
        } else {
            n_files++;
        }
    }
    if (n_files < 1) {
        fputs("usage: leeway check [-v] [--strict] PLAYBOOK...\n", stderr);
        return EXIT_USAGE;
    }
    int status = EXIT_DONE;
    for (int i = 0; i < argc; i++) {
        if (argv[i][0] == '-')
            continue;
        lw_playbook *pb = NULL;
        lw_report *r = NULL;
        int rc = lw_playbook_load(argv[i], NULL, &pb, &r);
        if (rc == LW_OK && lw_playbook_analyze(pb, r) == LW_ERR_NOMEM)
            fprintf(stderr, "%s: out of memory while analysing: some warnings may be missing\n",
                    argv[i]);
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
                printf(", %zu warning%s%s", warnings, warnings == 1 ? "" : "s",
                       strict ? ", which --strict counts as errors" : "");
            printf("\n  digest %s\n", lw_playbook_digest(pb));
            if (strict && warnings && status == EXIT_DONE)
                status = EXIT_FAILED; /* --strict: a warning fails the check */
            for (size_t k = 0; verbose && k < lw_playbook_source_count(pb); k++)
                printf("  source %s  %s\n", lw_playbook_source_digest(pb, k),
                       lw_playbook_source_path(pb, k));
        }
        lw_report_free(r);
        lw_playbook_free(pb);
    }
    return status;
}
