/*
** batch.c -- decide a stream of JSON cases, one per line, and write one JSON
** decision per line. Shows lw_case_read_json, lw_case_reset and the handling
** of bad input lines.
**
**   ./batch docs/examples/returns.yaml < cases.jsonl > decisions.jsonl
*/
#define _POSIX_C_SOURCE 200809L
#include <leeway.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: batch PLAYBOOK < cases.jsonl\n");
        return 2;
    }
    lw_playbook *pb = NULL;
    lw_report *rep = NULL;
    if (lw_playbook_load(argv[1], NULL, &pb, &rep) != LW_OK) {
        for (size_t i = 0; i < lw_report_count(rep); i++) {
            char msg[1024];
            lw_diag_format(lw_report_get(rep, i), msg, sizeof msg);
            fprintf(stderr, "%s\n", msg);
        }
        lw_report_free(rep);
        return 2;
    }
    lw_report_free(rep);

    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(pb);
    if (!e || !c)
        return 2;

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long lineno = 0;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        lineno++;
        lw_case_reset(c); /* forget the previous case, keep its memory */
        const char *msg = NULL;
        char name[32];
        snprintf(name, sizeof name, "line %ld", lineno);
        int rc = lw_case_read_json(c, name, line, (size_t)len, &msg);
        if (msg) {
            /* not JSON at all: there is no case to decide */
            fprintf(stderr, "%s\n", msg);
            continue;
        }
        /* rc == LW_ERR_CASE: a value is wrong or undeclared. Deciding anyway
        ** gives an `invalid` decision that lists every problem. */
        (void)rc;
        const lw_decision *d;
        if (lw_decide(e, pb, c, NULL, &d) != LW_OK) {
            fprintf(stderr, "out of memory\n");
            return 2;
        }
        const char *json = lw_decision_json(e, d, 0, NULL);
        if (!json)
            return 2;
        puts(json);
    }
    free(line);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return 0;
}
