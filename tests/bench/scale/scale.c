/*
** scale.c -- how loading a playbook grows with its size (issue 9, finding 2).
**
**   leeway_scale [--max K] [SHAPE...]
**       generate playbooks of each shape at 1x, 10x and 100x (only sizes up to
**       K x with --max) and print the load time and the time per MB of each,
**       so that growth is visible: near-linear loading keeps s/MB flat; and
**       the time of `leeway check`'s analysis (lw_playbook_analyze) on top.
**   leeway_scale --print SHAPE [K]
**       write the SHAPE playbook at K x (default 1) to standard output, to
**       time `leeway check` on it (titles at 1x: 1,000 policies).
**   leeway_scale --analyse PLAYBOOK...
**       load each playbook file and run the analysis 20 times; print the
**       fastest load and the fastest analysis, in milliseconds.
**   leeway_scale --check
**       load the two playbooks that used to take minutes (200,000 facts; one
**       1.2 MB expression), check they load and that an error at the end of
**       the long expression is still reported at its line and column; ends
**       with "N passed, N failed". tests/bench/scale-run runs it under a
**       timeout, so a loader that is quadratic again fails the test suite.
**
** Shapes (1x / 100x): facts (2,000 / 200,000 fact declarations), policies
** (600 / 60,000 policies with a reason each; 100x is about 16 MiB, the file
** limit), expr (one sum of 12 KB / 1.2 MB, in parentheses), rows (one table
** of 500 / 50,000 rows), exceptions (one policy with 500 / 50,000
** exceptions), titles (1,000 / 100,000 policies with one title on two
** channels). Uses only leeway.h. Prints figures; asserts nothing about
** time.
*/
#include "leeway.h"

#include <stdarg.h>
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

/* A growable text. */
typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            abort();
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap ? t->cap * 2 : 1 << 16;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *q = realloc(t->p, cap);
        if (!q)
            abort();
        t->p = q;
        t->cap = cap;
    }
}

static void header(text *t)
{
    put(t, "playbook: scale\nversion: \"1\"\ncurrency: EUR\nfacts:\n"
           "  order.value: { type: money }\n  customer.age: { type: number }\n");
}

/* n fact declarations (and one policy reading the last one). */
static void gen_facts(text *t, long n)
{
    header(t);
    for (long i = 0; i < n; i++)
        put(t, "  group%ld.fact%ld: number\n", i % 97, i);
    put(t, "policies:\n  - { id: p, applies: group%ld.fact%ld > 1, outcome: deny }\n",
        (n - 1) % 97, n - 1);
}

/* n policies with a reason of about 200 characters each. */
static void gen_policies(text *t, long n)
{
    header(t);
    put(t, "policies:\n");
    for (long i = 0; i < n; i++)
        put(t,
            "  - id: p%ld\n    applies: order.value > %ld EUR and customer.age >= %ld\n"
            "    outcome: deny\n    reason: \"Rule %ld: refunds over %ld EUR need the receipt "
            "and the original packaging; customers of %ld and over may ask a manager, who "
            "decides on the day and writes down why.\"\n",
            i, i % 5000, i % 90, i, i % 5000, i % 90);
}

/* The terms lo..hi-1 summed as a balanced tree in parentheses, so that the
** expression is long but only about log2(n) levels deep (a flat chain of n
** terms is n levels deep, more than an expression may be). */
static void sum(text *t, long lo, long hi)
{
    if (hi - lo == 1) {
        put(t, "%ld", lo % 1000);
        return;
    }
    long mid = lo + (hi - lo) / 2;
    put(t, "(");
    sum(t, lo, mid);
    put(t, " + ");
    sum(t, mid, hi);
    put(t, ")");
}

/* One output whose value is a sum of n terms (about 6 bytes each); with an
** error at its very end when bad is set. */
static void gen_expr(text *t, long n, int bad)
{
    header(t);
    put(t, "policies:\n  - { id: p, applies: customer.age > 1, outcome: deny }\n"
           "outputs:\n  total:\n    value: customer.age + ");
    sum(t, 0, n);
    put(t, bad ? " + )\n" : "\n");
}

/* One goodwill table of n rows. */
static void gen_rows(text *t, long n)
{
    header(t);
    put(t, "policies:\n  - { id: p, applies: customer.age > 1, outcome: deny }\n"
           "goodwill:\n  - id: base\n    table:\n      hit: first\n"
           "      inputs: [customer.age]\n      output: amount\n      rows:\n");
    for (long i = 0; i < n; i++)
        put(t, "        - [\"%ld..%ld\", %ld EUR]\n", i * 10, i * 10 + 9, i % 500);
}

/* One policy with n exceptions (their ids and conditions are compared with
** the earlier ones: duplicate ids, exceptions that can never fire). */
static void gen_exceptions(text *t, long n)
{
    header(t);
    put(t, "policies:\n  - id: p\n    applies: order.value > 10 EUR\n    outcome: deny\n"
           "    exceptions:\n");
    for (long i = 0; i < n; i++)
        put(t, "      - { id: e%ld, when: customer.age > %ld and order.value < %ld EUR }\n", i,
            i % 100, i);
}

/* n policies with one title on alternating channels (each is compared with
** the earlier ones of its title). */
static void gen_titles(text *t, long n)
{
    header(t);
    put(t, "  channel: { type: enum, values: [store, phone] }\npolicies:\n");
    for (long i = 0; i < n; i++)
        put(t, "  - { id: p%ld, title: Refunds, channels: [%s], applies: customer.age > %ld, "
               "outcome: deny }\n",
            i, i % 2 ? "store" : "phone", i);
}

typedef struct shape {
    const char *name;
    long base;           /* count at 1x */
    void (*gen)(text *, long);
} shape;

static void gen_expr_ok(text *t, long n) { gen_expr(t, n, 0); }

static const shape shapes[] = {
    {"facts", 2000, gen_facts},
    {"policies", 600, gen_policies},
    {"expr", 2000, gen_expr_ok},
    {"rows", 500, gen_rows},
    {"exceptions", 500, gen_exceptions},
    {"titles", 1000, gen_titles},
};

/* Large enough for every generated playbook: a 1.2 MB expression is longer
** than the default scalar limit, and 100x of some shapes has more than a
** million YAML nodes. */
static void big_options(lw_options *opt)
{
    lw_options_init(opt);
    opt->max_scalar = 4u << 20;
    opt->max_nodes = 4000000;
}

/* Load t; returns the seconds taken, or -1 after printing the errors. With
** analysed, *analysed gets the seconds lw_playbook_analyze took after it. */
static double load(const char *name, const text *t, const lw_options *opt, lw_report **rep,
                   double *analysed)
{
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    double a = now();
    int rc = lw_playbook_load_string(name, t->p, t->len, opt, &pb, &r);
    double b = now();
    if (analysed && rc == LW_OK) {
        lw_playbook_analyze(pb, r);
        *analysed = now() - b;
    }
    lw_playbook_free(pb);
    if (rep) {
        *rep = r;
        return b - a;
    }
    if (rc != LW_OK) {
        char msg[512];
        for (size_t i = 0; i < lw_report_count(r) && i < 5; i++) {
            lw_diag_format(lw_report_get(r, i), msg, sizeof msg);
            fprintf(stderr, "%s\n", msg);
        }
        lw_report_free(r);
        return -1;
    }
    lw_report_free(r);
    return b - a;
}

static int bench(int argc, char **argv, long max)
{
    lw_options opt;
    big_options(&opt);
    printf("%-10s %5s %10s %8s %9s %8s %10s\n", "shape", "size", "count", "MB", "load s", "s/MB",
           "analyse s");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int want = argc == 0;
        for (int i = 0; i < argc; i++)
            want |= strcmp(argv[i], shapes[s].name) == 0;
        if (!want)
            continue;
        for (long k = 1; k <= max; k *= 10) {
            text t = {0};
            long n = shapes[s].base * k;
            shapes[s].gen(&t, n);
            double an = 0, mb = (double)t.len / 1e6;
            double sec = load(shapes[s].name, &t, &opt, NULL, &an);
            free(t.p);
            if (sec < 0) {
                fprintf(stderr, "leeway_scale: the %s playbook (%ldx) did not load\n",
                        shapes[s].name, k);
                return 1;
            }
            printf("%-10s %4ldx %10ld %8.2f %9.3f %8.3f %10.3f\n", shapes[s].name, k, n, mb,
                   sec, sec / mb, an);
            fflush(stdout);
        }
    }
    return 0;
}

static int pass, fail;

static void verdict(int ok, const char *what)
{
    if (ok) {
        pass++;
    } else {
        fail++;
        printf("FAIL %s\n", what);
    }
}

static int check(void)
{
    lw_options opt;
    big_options(&opt);
    text t = {0};
    gen_facts(&t, 200000);
    verdict(load("facts.yaml", &t, &opt, NULL, NULL) >= 0, "200,000 facts load");
    free(t.p);

    t = (text){0};
    gen_expr(&t, 200000, 0);
    verdict(t.len > 1200000 && load("expr.yaml", &t, &opt, NULL, NULL) >= 0,
            "a 1.2 MB expression loads");
    free(t.p);

    /* the same expression with a ')' where a term should be: the error
    ** points at that ')' (the last line of the file, byte column = character
    ** column: the text is ASCII) */
    t = (text){0};
    gen_expr(&t, 200000, 1);
    lw_report *r = NULL;
    load("expr.yaml", &t, &opt, &r, NULL);
    const lw_diag *d = lw_report_get(r, 0);
    const char *paren = strrchr(t.p, ')'), *bol = paren;
    while (bol > t.p && bol[-1] != '\n')
        bol--;
    int line = 1, col = (int)(paren - bol) + 1;
    for (const char *q = t.p; q < bol; q++)
        line += *q == '\n';
    char msg[512] = "";
    if (d)
        lw_diag_format(d, msg, sizeof msg);
    verdict(d && d->line == line && d->column == col && strstr(msg, "found ')'"),
            "an error at the end of a 1.2 MB expression has its line and column");
    if (!(d && d->line == line && d->column == col))
        printf("    expected line %d column %d; got %s\n", line, col, msg);
    lw_report_free(r);
    free(t.p);
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}

static int print_shape(const char *name, long k)
{
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        if (strcmp(shapes[s].name, name) != 0 || k < 1)
            continue;
        text t = {0};
        shapes[s].gen(&t, shapes[s].base * k);
        fwrite(t.p, 1, t.len, stdout);
        free(t.p);
        return 0;
    }
    fprintf(stderr, "leeway_scale: no shape '%s' (or K is not a whole number above 0)\n", name);
    return 2;
}

/* The fastest of 20 loads and analyses of each file. */
static int analyse_files(int n, char **files)
{
    printf("%-50s %9s %11s %8s\n", "playbook", "load ms", "analyse ms", "findings");
    for (int i = 0; i < n; i++) {
        double best_load = 1e9, best_an = 1e9;
        size_t findings = 0;
        for (int run = 0; run < 20; run++) {
            lw_playbook *pb = NULL;
            lw_report *r = NULL;
            double a = now();
            int rc = lw_playbook_load(files[i], NULL, &pb, &r);
            double b = now();
            if (rc != LW_OK) {
                fprintf(stderr, "leeway_scale: %s did not load\n", files[i]);
                lw_report_free(r);
                return 1;
            }
            size_t before = lw_report_count(r);
            lw_playbook_analyze(pb, r);
            double c = now();
            findings = lw_report_count(r) - before;
            best_load = b - a < best_load ? b - a : best_load;
            best_an = c - b < best_an ? c - b : best_an;
            lw_report_free(r);
            lw_playbook_free(pb);
        }
        printf("%-50s %9.3f %11.3f %8zu\n", files[i], best_load * 1e3, best_an * 1e3, findings);
    }
    return 0;
}

int main(int argc, char **argv)
{
    long max = 100;
    if (argc > 1 && strcmp(argv[1], "--check") == 0)
        return check();
    if (argc > 2 && strcmp(argv[1], "--analyse") == 0)
        return analyse_files(argc - 2, argv + 2);
    if (argc > 2 && strcmp(argv[1], "--print") == 0)
        return print_shape(argv[2], argc > 3 ? atol(argv[3]) : 1);
    if (argc > 2 && strcmp(argv[1], "--max") == 0) {
        max = atol(argv[2]);
        argc -= 2;
        argv += 2;
    }
    if (argc > 1 && argv[1][0] == '-') {
        fprintf(stderr, "usage: leeway_scale [--max K] [facts|policies|expr|rows|exceptions|titles...] | "
                        "leeway_scale --print SHAPE [K] | leeway_scale --analyse PLAYBOOK... | "
                        "leeway_scale --check\n");
        return 2;
    }
    return bench(argc - 1, argv + 1, max);
}
