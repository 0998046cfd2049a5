/*
** serve_log.c -- the decision log of `leeway serve`: one buffer in memory,
** one writer thread, no record dropped (serve.h).
**
** Requests append whole records under a mutex. The writer takes the buffer
** when it is a quarter full or a second has passed, and writes it with the
** mutex released; meanwhile requests fill the other buffer. When a write
** fails (a full disk), the writer keeps what it took and tries again each
** second; requests wait for room, then are refused -- the server answers
** 503, never a decision without its record.
*/
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dlog {
    char *path;
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t room, work;
    char *buf;            /* accepted, not yet taken by the writer */
    char *spare;          /* the other buffer: the writer's */
    size_t len, n, cap;   /* bytes, records, capacity */
    long wait_ms;
    bool stop, reopen;
    unsigned long written, refused, write_errors;
    size_t pending_len;   /* taken by the writer, not yet written */
    size_t lost;          /* records given up at shutdown */
    pthread_t writer;
};

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int open_log(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

/* Write all of p; 0, or -1 with errno. *done gets the bytes written. */
static int write_all(int fd, const char *p, size_t len, size_t *done)
{
    *done = 0;
    while (*done < len) {
        ssize_t w = write(fd, p + *done, len - *done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        *done += (size_t)w;
    }
    return 0;
}

static size_t count_lines(const char *p, size_t len)
{
    size_t n = 0;
    for (const char *q = p; (q = memchr(q, '\n', (size_t)(p + len - q))) != NULL; q++)
        n++;
    return n;
}

static void *writer(void *arg)
{
    dlog *l = arg;
    char *pending = l->spare;
    size_t off = 0; /* written from pending */
    unsigned failures = 0;
    for (;;) {
        pthread_mutex_lock(&l->mu);
        if (l->pending_len == 0) {
            struct timespec ts;
            deadline_in(&ts, 1000);
            while (!l->stop && !l->reopen && l->len < l->cap / 4)
                if (pthread_cond_timedwait(&l->work, &l->mu, &ts) == ETIMEDOUT)
                    break;
            /* take the buffer; requests go on filling the other one */
            char *t = l->buf;
            l->buf = pending;
            pending = t;
            l->pending_len = l->len;
            l->len = l->n = 0;
            off = 0;
            pthread_cond_broadcast(&l->room);
        }
        bool reopen = l->reopen, stop = l->stop;
        l->reopen = false;
        size_t todo = l->pending_len;
        pthread_mutex_unlock(&l->mu);

        size_t done = 0;
        int rc = todo > off ? write_all(l->fd, pending + off, todo - off, &done) : 0;
        int err = errno;
        size_t lines = count_lines(pending + off, done);
        off += done;
        pthread_mutex_lock(&l->mu);
        l->written += lines;
        if (rc == 0)
            l->pending_len = 0;
        else
            l->write_errors++;
        pthread_mutex_unlock(&l->mu);

        if (rc != 0) {
            if (failures++ % 60 == 0)
                fprintf(stderr,
                        "leeway serve: cannot write the decision log '%s': %s; %zu bytes of "
                        "records wait, requests get 503 when the buffer is full\n",
                        l->path, strerror(err), todo - off);
            if (stop && failures > 10) {
                pthread_mutex_lock(&l->mu);
                l->lost = count_lines(pending + off, todo - off) + l->n;
                pthread_mutex_unlock(&l->mu);
                break; /* dlog_close reports what is left */
            }
            struct timespec ts = {stop ? 0 : 1, stop ? 100000000L : 0};
            nanosleep(&ts, NULL);
            continue;
        }
        if (failures) {
            fprintf(stderr, "leeway serve: the decision log '%s' is written again\n", l->path);
            failures = 0;
        }
        if (reopen) {
            int fd = open_log(l->path);
            if (fd < 0) {
                fprintf(stderr, "leeway serve: cannot reopen the decision log '%s': %s; still "
                                "writing to the file open before\n",
                        l->path, strerror(errno));
            } else {
                close(l->fd);
                l->fd = fd;
            }
        }
        pthread_mutex_lock(&l->mu);
        bool done_all = l->stop && l->len == 0 && l->pending_len == 0;
        pthread_mutex_unlock(&l->mu);
        if (done_all)
            break;
    }
    l->spare = pending;
    return NULL;
}

dlog *dlog_open(const char *path, size_t buffer, long wait_ms)
{
    dlog *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->fd = open_log(path);
    if (l->fd < 0) {
        fprintf(stderr, "leeway serve: cannot open the decision log '%s': %s\n", path,
                strerror(errno));
        free(l);
        return NULL;
    }
    l->path = strdup(path);
    l->cap = buffer;
    l->wait_ms = wait_ms;
    l->buf = malloc(buffer);
    l->spare = malloc(buffer);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->room, NULL);
    pthread_cond_init(&l->work, NULL);
    if (!l->path || !l->buf || !l->spare || pthread_create(&l->writer, NULL, writer, l) != 0) {
        fprintf(stderr, "leeway serve: out of memory for the decision log\n");
        close(l->fd);
        free(l->buf);
        free(l->spare);
        free(l->path);
        free(l);
        return NULL;
    }
    return l;
}

int dlog_put(dlog *l, const char *records, size_t len, size_t n)
{
    pthread_mutex_lock(&l->mu);
    if (len <= l->cap && l->len + len > l->cap) {
        struct timespec ts;
        deadline_in(&ts, l->wait_ms);
        while (!l->stop && l->len + len > l->cap)
            if (pthread_cond_timedwait(&l->room, &l->mu, &ts) == ETIMEDOUT)
                break;
    }
    if (l->stop || l->len + len > l->cap) {
        l->refused += n;
        pthread_mutex_unlock(&l->mu);
        return -1;
    }
    memcpy(l->buf + l->len, records, len);
    l->len += len;
    l->n += n;
    if (l->len >= l->cap / 4)
        pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
    return 0;
}

void dlog_reopen(dlog *l)
{
    pthread_mutex_lock(&l->mu);
    l->reopen = true;
    pthread_cond_signal(&l->work);
    pthread_mutex_unlock(&l->mu);
}

void dlog_stats_get(dlog *l, dlog_stats *st)
{
    pthread_mutex_lock(&l->mu);
    st->written = l->written;
    st->refused = l->refused;
    st->write_errors = l->write_errors;
    st->buffered = l->len + l->pending_len;
    pthread_mutex_unlock(&l->mu);
}

size_t dlog_close(dlog *l)
{
    if (!l)
        return 0;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_signal(&l->work);
    pthread_cond_broadcast(&l->room);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->writer, NULL);
    size_t lost = l->lost;
    if (lost)
        fprintf(stderr,
                "leeway serve: %zu records of answered decisions could not be written to the "
                "decision log '%s' (see the errors above)\n",
                lost, l->path);
    if (close(l->fd) != 0)
        fprintf(stderr, "leeway serve: closing the decision log '%s': %s\n", l->path,
                strerror(errno));
    pthread_cond_destroy(&l->room);
    pthread_cond_destroy(&l->work);
    pthread_mutex_destroy(&l->mu);
    free(l->buf);
    free(l->spare);
    free(l->path);
    free(l);
    return lost;
}
