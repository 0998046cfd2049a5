/*
** bench.c -- the benchmark of DESIGN.md "Performance targets" on the goodwill
** decision of shared/bench/spec.md (examples/bench/playbook.yaml).
**
**   leeway_bench CASES.jsonl [--playbook P] [--seconds S]
**       decisions/s on one core with cases already built, heap allocations
**       per decision, compile time of a generated 1,000-rule playbook, peak
**       RSS of engine + playbook, and end-to-end seconds for reading every
**       line, deciding and writing one JSON decision a line.
**   leeway_bench CASES.jsonl --map OUT.jsonl [--playbook P]
**       write each decision in the spec's shape, for shared/bench/check.py.
**   leeway_bench --print-generated
**       write the generated 1,000-policy playbook to standard output, to
**       time `leeway check --strict` on it (issue 10).
** The compile line also gives the time of `leeway check`'s analysis
** (lw_playbook_analyze) of the generated playbook and of P.
**
** Uses only leeway.h. Prints figures; asserts nothing about time.
*/
#include "leeway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct counter {
    size_t allocs;
} counter;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)osize;
    counter *c = ud;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    c->allocs++;
    return realloc(ptr, nsize);
}

static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static lw_playbook *load(const char *path, const lw_options *opt)
{
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    if (lw_playbook_load(path, opt, &pb, &r) != LW_OK) {
        char msg[1024];
        for (size_t i = 0; i < lw_report_count(r); i++) {
            lw_diag_format(lw_report_get(r, i), msg, sizeof msg);
            fprintf(stderr, "%s\n", msg);
        }
    }
    lw_report_free(r);
    return pb;
}

/* The spec's output shape: goodwill_eur, max_without_escalation_eur, escalate, rule_ids. */
static void write_mapped(FILE *out, const lw_decision *d)
{
    char amount[64], limit[64];
    lw_money_format(d->goodwill.amount, 0, amount, sizeof amount);
    lw_money_format(d->goodwill.limit, 0, limit, sizeof limit);
    fprintf(out, "{\"goodwill_eur\":%s,\"max_without_escalation_eur\":%s,\"escalate\":%s,"
                 "\"rule_ids\":[",
            amount, limit, d->goodwill.within_authority ? "false" : "true");
    for (size_t i = 0; i < d->goodwill.n_steps; i++) {
        const lw_step_result *s = &d->goodwill.steps[i];
        fprintf(out, "%s\"%s\"", i ? "," : "", s->row_id ? s->row_id : s->id);
    }
    fputs("]}\n", out);
}

static int map_cases(const char *pb_path, const char *cases, const char *out_path)
{
    lw_playbook *pb = load(pb_path, NULL);
    FILE *in = fopen(cases, "r"), *out = fopen(out_path, "w");
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = pb ? lw_case_new(pb) : NULL;
    int status = 0;
    if (!pb || !in || !out || !e || !c) {
        fprintf(stderr, "leeway_bench: cannot set up (%s, %s)\n", cases, out_path);
        status = 2;
        goto done;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    size_t n = 0;
    while ((len = getline(&line, &cap, in)) > 0) {
        n++;
        lw_case_reset(c);
        const char *msg = NULL;
        lw_case_read_json(c, cases, line, (size_t)len, &msg);
        const lw_decision *d;
        if (msg || lw_decide(e, pb, c, NULL, &d) != LW_OK || d->n_problems) {
            fprintf(stderr, "%s:%zu: %s\n", cases, n,
                    msg ? msg : lw_case_problem_count(c) ? lw_case_problem(c, 0) : "failed");
            status = 1;
            break;
        }
        write_mapped(out, d);
    }
    free(line);
done:
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return status;
}

/* A playbook of n policies, each with an exception, over a few facts. */
static char *generated_playbook(int n, size_t *len)
{
    size_t cap = (size_t)n * 400 + 4096, k = 0;
    char *p = malloc(cap);
    if (!p)
        return NULL;
    k += (size_t)snprintf(p + k, cap - k,
                          "playbook: generated\nversion: \"1\"\ncurrency: EUR\nfacts:\n"
                          "  customer.tier: { type: enum, values: [basic, silver, gold, platinum] }\n"
                          "  customer.age: { type: number }\n"
                          "  order.value: { type: money }\n"
                          "  request.kind: { type: enum, values: [refund, terminate, waiver] }\n"
                          "  staff.role: { type: role }\n"
                          "roles:\n  - { id: frontline, goodwill_limit: 50 EUR }\n"
                          "  - { id: manager, goodwill_limit: 500 EUR, may_override: all }\n"
                          "policies:\n");
    for (int i = 0; i < n && k + 400 < cap; i++)
        k += (size_t)snprintf(
            p + k, cap - k,
            "  - id: p%d\n    applies: request.kind == refund and order.value > %d EUR\n"
            "    outcome: deny\n    reason: \"Rule %d: refunds over %d EUR need a receipt.\"\n"
            "    exceptions:\n      - id: e%d\n        when: customer.tier in [gold, platinum] "
            "or customer.age >= %d\n        outcome: allow\n        discretionary: true\n",
            i, i, i, i, i, 60 + i % 30);
    *len = k;
    return p;
}

/* Seconds lw_playbook_analyze takes on the playbook file path (the fastest
** of 5 loads), or -1 when it does not load. */
static double analysis_time(const char *path)
{
    double best = -1;
    for (int r = 0; r < 5; r++) {
        lw_playbook *p = NULL;
        lw_report *rep = NULL;
        if (lw_playbook_load(path, NULL, &p, &rep) != LW_OK) {
            lw_report_free(rep);
            return -1;
        }
        double a = now();
        lw_playbook_analyze(p, rep);
        double b = now();
        lw_report_free(rep);
        lw_playbook_free(p);
        if (best < 0 || b - a < best)
            best = b - a;
    }
    return best;
}

int main(int argc, char **argv)
{
    const char *pb_path = "examples/bench/playbook.yaml", *cases = NULL, *map_out = NULL;
    double seconds = 2.0;
    if (argc == 2 && strcmp(argv[1], "--print-generated") == 0) {
        size_t glen = 0;
        char *gen = generated_playbook(1000, &glen);
        int ok = gen && fwrite(gen, 1, glen, stdout) == glen && fflush(stdout) == 0;
        free(gen);
        return ok ? 0 : 1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--playbook") == 0 && i + 1 < argc)
            pb_path = argv[++i];
        else if (strcmp(argv[i], "--map") == 0 && i + 1 < argc)
            map_out = argv[++i];
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (argv[i][0] != '-' && !cases)
            cases = argv[i];
        else {
            fprintf(stderr, "usage: leeway_bench CASES.jsonl [--playbook P] [--seconds S] "
                            "[--map OUT.jsonl]\n");
            return 2;
        }
    }
    if (!cases) {
        fprintf(stderr, "usage: leeway_bench CASES.jsonl [--playbook P] [--seconds S] "
                        "[--map OUT.jsonl]\n(make cases with shared/bench/gen_cases.py)\n");
        return 2;
    }
    if (map_out)
        return map_cases(pb_path, cases, map_out);

    /* 1. peak RSS of engine + example playbook + one decision */
    counter cnt = {0};
    lw_options opt;
    lw_options_init(&opt);
    opt.alloc = counting_alloc;
    opt.alloc_ud = &cnt;
    lw_playbook *pb = load(pb_path, &opt);
    lw_engine *e = lw_engine_new(&opt);
    if (!pb || !e)
        return 2;
    lw_case *probe = lw_case_new(pb);
    const lw_decision *d;
    lw_decide(e, pb, probe, NULL, &d);
    lw_case_free(probe);
    long rss_small = peak_rss_kib();

    /* 2. build cases in memory */
    FILE *in = fopen(cases, "r");
    if (!in) {
        fprintf(stderr, "leeway_bench: cannot open %s\n", cases);
        return 2;
    }
    size_t max_cases = 200000, n = 0;
    lw_case **cs = calloc(max_cases, sizeof *cs);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (n < max_cases && (len = getline(&line, &cap, in)) > 0) {
        cs[n] = lw_case_new(pb);
        const char *msg = NULL;
        if (lw_case_read_json(cs[n], cases, line, (size_t)len, &msg) != LW_OK) {
            fprintf(stderr, "%s:%zu: %s\n", cases, n + 1,
                    msg ? msg : lw_case_problem(cs[n], 0));
            return 2;
        }
        n++;
    }
    fclose(in);

    /* 3. decide: warm up, then count allocations and time */
    for (size_t i = 0; i < n && i < 1000; i++)
        lw_decide(e, pb, cs[i], NULL, &d);
    size_t before = cnt.allocs, decisions = 0;
    double t0 = now(), t1;
    do {
        for (size_t i = 0; i < n; i++)
            lw_decide(e, pb, cs[i], NULL, &d);
        decisions += n;
        t1 = now();
    } while (t1 - t0 < seconds);
    size_t allocs = cnt.allocs - before;
    printf("decide:       %.0f decisions/s on one core (%zu cases in memory, %zu decisions, "
           "%.2f s; %.0f ns each)\n",
           (double)decisions / (t1 - t0), n, decisions, t1 - t0,
           (t1 - t0) * 1e9 / (double)decisions);
    printf("allocations:  %.4f per decision (%zu in %zu decisions)\n",
           (double)allocs / (double)decisions, allocs, decisions);
    for (size_t i = 0; i < n; i++)
        lw_case_free(cs[i]);
    free(cs);

    /* 4. compile time of a generated 1,000-rule playbook */
    size_t glen = 0;
    char *gen = generated_playbook(1000, &glen);
    double best = 1e9, best_generated = 1e9;
    for (int r = 0; r < 5 && gen; r++) {
        lw_playbook *g = NULL;
        lw_report *rep = NULL;
        double a = now();
        int rc = lw_playbook_load_string("generated.yaml", gen, glen, NULL, &g, &rep);
        double b = now();
        if (rc != LW_OK) {
            fprintf(stderr, "leeway_bench: the generated playbook did not compile\n");
            return 2;
        }
        lw_playbook_analyze(g, rep);
        double c = now() - b;
        lw_report_free(rep);
        lw_playbook_free(g);
        if (b - a < best)
            best = b - a;
        if (c < best_generated)
            best_generated = c;
    }
    free(gen);
    printf("compile:      %.1f ms for a generated playbook of 1,000 policies with 1,000 "
           "exceptions (%zu KiB of YAML; best of 5); leeway check's analysis of it %.2f ms, "
           "of %s %.2f ms\n",
           best * 1e3, glen / 1024, best_generated * 1e3, pb_path, analysis_time(pb_path) * 1e3);
    printf("memory:       %ld KiB peak RSS with engine + example playbook loaded\n", rss_small);

    /* 5. end to end: read every line, decide, write JSON */
    in = fopen(cases, "r");
    FILE *out = fopen("/dev/null", "w");
    lw_case *c = lw_case_new(pb);
    size_t lines = 0;
    double e0 = now();
    while (in && out && (len = getline(&line, &cap, in)) > 0) {
        lw_case_reset(c);
        lw_case_read_json(c, cases, line, (size_t)len, NULL);
        lw_decide(e, pb, c, NULL, &d);
        size_t jl;
        const char *json = lw_decision_json(e, d, 0, &jl);
        fwrite(json, 1, jl, out);
        fputc('\n', out);
        lines++;
    }
    double e1 = now();
    printf("end to end:   %.2f s for %zu JSONL cases read, decided and written as JSON "
           "(one thread; %.0f ns a line)\n",
           e1 - e0, lines, (e1 - e0) * 1e9 / (double)(lines ? lines : 1));
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    free(line);
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return 0;
}
