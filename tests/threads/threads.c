/*
** threads.c -- several threads deciding on one shared playbook, each with
** its own engine and case (the thread model of leeway.h), with Lua scripts
** too. Every thread must produce the same JSON as a single-threaded run.
** Built with ThreadSanitizer by tests/threads/run.
**
**   threads PLAYBOOK CASES.jsonl THREADS
*/
#include "leeway.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct job {
    const lw_playbook *pb;
    char **lines;
    size_t n;
    char **expected;   /* NULL: fill it (the reference run) */
    int mismatches;
} job;

static void *run(void *arg)
{
    job *j = arg;
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(j->pb);
    for (size_t i = 0; e && c && i < j->n; i++) {
        lw_case_reset(c);
        lw_case_read_json(c, "case", j->lines[i], strlen(j->lines[i]), NULL);
        const lw_decision *d;
        if (lw_decide(e, j->pb, c, NULL, &d) != LW_OK) {
            j->mismatches++;
            continue;
        }
        const char *json = lw_decision_json(e, d, 0, NULL);
        if (!j->expected[i])
            j->expected[i] = strdup(json);
        else if (strcmp(j->expected[i], json) != 0)
            j->mismatches++;
    }
    lw_case_free(c);
    lw_engine_free(e);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: threads PLAYBOOK CASES.jsonl THREADS\n");
        return 2;
    }
    lw_playbook *pb = NULL;
    if (lw_playbook_load(argv[1], NULL, &pb, NULL) != LW_OK) {
        fprintf(stderr, "threads: %s does not load\n", argv[1]);
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    size_t n = 0, cap = 0;
    char **lines = NULL, *line = NULL;
    size_t lcap = 0;
    while (f && getline(&line, &lcap, f) > 0) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            lines = realloc(lines, cap * sizeof *lines);
        }
        lines[n++] = strdup(line);
    }
    free(line);
    if (f)
        fclose(f);
    char **expected = calloc(n + 1, sizeof *expected);
    job ref = {pb, lines, n, expected, 0};
    run(&ref); /* the single-threaded reference */
    int threads = atoi(argv[3]);
    pthread_t tid[16];
    job jobs[16];
    if (threads < 1 || threads > 16)
        threads = 4;
    for (int t = 0; t < threads; t++) {
        jobs[t] = (job){pb, lines, n, expected, 0};
        pthread_create(&tid[t], NULL, run, &jobs[t]);
    }
    int bad = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(tid[t], NULL);
        bad += jobs[t].mismatches;
    }
    for (size_t i = 0; i < n; i++) {
        free(lines[i]);
        free(expected[i]);
    }
    free(lines);
    free(expected);
    lw_playbook_free(pb);
    printf("%s: %d threads x %zu decisions, %d differ from the single-threaded run\n", argv[1],
           threads, n, bad);
    return bad ? 1 : 0;
}
