/*
** serve.h -- the parts of `leeway serve` (serve.c): the decision-log writer
** (serve_log.c) and the metrics (serve_metrics.c).
*/
#ifndef LEEWAY_SERVE_H
#define LEEWAY_SERVE_H

#include "cli.h"

#include <stdatomic.h>

/* ======================================================================
** The decision log: records are copied into a buffer in memory and written
** by one thread, in order, at least once a second. A record is never
** dropped: when the buffer is full (the disk is slow or full) a request
** waits up to `wait_ms` for room and is then refused, and the caller answers
** 503 instead of the decision. Records already accepted are retried until
** written; what cannot be written by shutdown is counted on stderr.
*/
typedef struct dlog dlog;

/* Open (append, create) path and start the writer. NULL, after a message
** on stderr, when the file cannot be opened. */
dlog *dlog_open(const char *path, size_t buffer, long wait_ms);
/* Append `n` records, `len` bytes in all (each a line), all or none.
** 0 when accepted; -1 when refused (no room in time, or larger than the
** buffer). */
int dlog_put(dlog *l, const char *records, size_t len, size_t n);
/* Write what is buffered and open the file again by its name (logrotate). */
void dlog_reopen(dlog *l);
/* Write everything, stop the writer, close. Returns the number of records
** that could not be written (0 normally; each was reported on stderr). */
size_t dlog_close(dlog *l);

typedef struct dlog_stats {
    unsigned long written, refused, write_errors;
    size_t buffered; /* bytes waiting to be written */
} dlog_stats;
void dlog_stats_get(dlog *l, dlog_stats *st);

/* ======================================================================
** The whole-request deadline (--timeout): a connection that has not sent
** its whole request within the timeout of opening or of its last answer
** is shut down, however often its client sends a byte (serve_deadline.c).
*/
typedef struct deadlines deadlines;
deadlines *deadlines_new(unsigned timeout_seconds);
/* After the HTTP daemon has stopped. */
void deadlines_free(deadlines *d);
/* A new connection on socket fd: its clock (NULL when out of memory: the
** connection then has only the idle timeout). */
void *deadline_open(deadlines *d, int fd);
/* The request of the clock's connection is whole: the clock stops while
** it is answered. */
void deadline_answering(void *clock);
/* A request of the clock's connection was answered: the clock restarts. */
void deadline_answered(void *clock);
/* The connection closes: before its socket does. */
void deadline_close(deadlines *d, void *clock);
/* Shut down the connections past their deadline; call about once a second. */
void deadlines_sweep(deadlines *d);
/* How many connections deadlines_sweep has shut down. */
unsigned long deadlines_ended(deadlines *d);

/* ======================================================================
** Metrics (Prometheus text format)
*/
enum {
    ERR_BAD_REQUEST, ERR_UNAUTHORIZED, ERR_NOT_FOUND, ERR_METHOD, ERR_TOO_LARGE,
    ERR_OVER_CAPACITY, ERR_LOG_REFUSED, ERR_STOPPING, ERR_INTERNAL, ERR_KINDS
};
/* The code in error bodies and the `kind` label of the metrics. */
extern const char *const error_kind[ERR_KINDS];

typedef struct metrics metrics;
metrics *metrics_new(void);
void metrics_free(metrics *m);
/* One decision of playbook `id` with `outcome`, that took `seconds`. */
void metrics_decision(metrics *m, const char *id, const char *outcome, double seconds);
void metrics_error(metrics *m, int kind);
/* A label value, escaped as the text format wants. */
void prom_label(FILE *f, const char *s);
/* The metrics so far, as text, written to f. */
void metrics_write(metrics *m, FILE *f);

#endif
