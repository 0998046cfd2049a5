/*
** serve_metrics.c -- the counters of `leeway serve` in Prometheus text
** format (serve.h): decisions by playbook and outcome, the decision latency
** histogram and errors by kind. serve.c adds the gauges it owns (requests
** in flight, connections, reloads, the decision log).
*/
#include "serve.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

const char *const error_kind[ERR_KINDS] = {
    "bad_request",     "unauthorized", "not_found", "method_not_allowed", "payload_too_large",
    "over_capacity",   "log_refused",  "stopping",  "internal",
};

/* upper bounds of the latency buckets, seconds */
static const double bucket[] = {0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                0.0025,  0.005,    0.01,    0.025,  0.1,     1.0};
#define N_BUCKETS (sizeof bucket / sizeof *bucket)

typedef struct count {
    char *playbook, *outcome;
    unsigned long n;
} count;

struct metrics {
    pthread_mutex_t mu;
    count *c;
    size_t n, cap;
    unsigned long hist[N_BUCKETS + 1]; /* the last: over every bound */
    double sum;
    atomic_ulong errors[ERR_KINDS];
};

metrics *metrics_new(void)
{
    metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->mu, NULL);
    return m;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++) {
        free(m->c[i].playbook);
        free(m->c[i].outcome);
    }
    free(m->c);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

void metrics_decision(metrics *m, const char *id, const char *outcome, double seconds)
{
    size_t b = 0;
    while (b < N_BUCKETS && seconds > bucket[b])
        b++;
    pthread_mutex_lock(&m->mu);
    m->hist[b]++;
    m->sum += seconds;
    size_t i = 0;
    while (i < m->n && (strcmp(m->c[i].outcome, outcome) != 0 || strcmp(m->c[i].playbook, id) != 0))
        i++;
    if (i == m->n && m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        count *c = realloc(m->c, cap * sizeof *c);
        if (c) {
            m->c = c;
            m->cap = cap;
        }
    }
    if (i == m->n && m->n < m->cap) {
        m->c[i].playbook = strdup(id);
        m->c[i].outcome = strdup(outcome);
        m->c[i].n = 0;
        if (m->c[i].playbook && m->c[i].outcome) {
            m->n++;
        } else {
            free(m->c[i].playbook);
            free(m->c[i].outcome);
        }
    }
    if (i < m->n)
        m->c[i].n++;
    pthread_mutex_unlock(&m->mu);
}

void prom_label(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\' || *s == '"')
            fputc('\\', f);
        if (*s == '\n')
            fputs("\\n", f);
        else
            fputc(*s, f);
    }
}

void metrics_error(metrics *m, int kind)
{
    atomic_fetch_add(&m->errors[kind], 1);
}

void metrics_write(metrics *m, FILE *f)
{
    pthread_mutex_lock(&m->mu);
    fputs("# HELP leeway_decisions_total Decisions answered, by playbook and outcome.\n"
          "# TYPE leeway_decisions_total counter\n",
          f);
    for (size_t i = 0; i < m->n; i++) {
        fputs("leeway_decisions_total{playbook=\"", f);
        prom_label(f, m->c[i].playbook);
        fputs("\",outcome=\"", f);
        prom_label(f, m->c[i].outcome);
        fprintf(f, "\"} %lu\n", m->c[i].n);
    }
    fputs("# HELP leeway_decision_seconds Time from a decision request's last byte to its "
          "answer.\n"
          "# TYPE leeway_decision_seconds histogram\n",
          f);
    unsigned long cum = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cum += m->hist[b];
        fprintf(f, "leeway_decision_seconds_bucket{le=\"%g\"} %lu\n", bucket[b], cum);
    }
    cum += m->hist[N_BUCKETS];
    fprintf(f, "leeway_decision_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    fprintf(f, "leeway_decision_seconds_sum %.6f\n", m->sum);
    fprintf(f, "leeway_decision_seconds_count %lu\n", cum);
    pthread_mutex_unlock(&m->mu);
    fputs("# HELP leeway_errors_total Requests answered with an error, by kind.\n"
          "# TYPE leeway_errors_total counter\n",
          f);
    for (int k = 0; k < ERR_KINDS; k++)
        fprintf(f, "leeway_errors_total{kind=\"%s\"} %lu\n", error_kind[k],
                atomic_load(&m->errors[k]));
}
