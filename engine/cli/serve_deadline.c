/*
** serve_deadline.c -- the whole-request deadline of `leeway serve`
** (serve.h): a client that sends a byte now and then (a slowloris) is never
** idle, so libmicrohttpd's idle timeout never ends it; this does.
**
** Each connection has a clock, set when it opens and after each answer,
** and stopped while a request whole in hand is being answered (a long
** batch is not a slow client). The main thread sweeps the clocks about
** once a second and shuts down the socket of every connection whose clock
** is older than --timeout: libmicrohttpd then sees the connection end and
** closes it as usual. The list's mutex is held while sweeping and while a
** closing connection leaves the list (libmicrohttpd says so before it
** closes the socket), so a socket is never shut down after it was closed.
*/
#include "serve.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

typedef struct conn_clock {
    int fd;
    atomic_llong since_ms; /* opened or last answered; LLONG_MAX: answering */
    struct conn_clock *prev, *next;
} conn_clock;

struct deadlines {
    pthread_mutex_t mu;
    long long timeout_ms;
    conn_clock *first;
    atomic_ulong ended;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

deadlines *deadlines_new(unsigned timeout_seconds)
{
    deadlines *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    pthread_mutex_init(&d->mu, NULL);
    d->timeout_ms = (long long)timeout_seconds * 1000;
    return d;
}

void deadlines_free(deadlines *d)
{
    if (!d)
        return;
    while (d->first) {
        conn_clock *c = d->first;
        d->first = c->next;
        free(c);
    }
    pthread_mutex_destroy(&d->mu);
    free(d);
}

void *deadline_open(deadlines *d, int fd)
{
    conn_clock *c = calloc(1, sizeof *c);
    if (!c)
        return NULL; /* this connection has only the idle timeout */
    c->fd = fd;
    atomic_store(&c->since_ms, now_ms());
    pthread_mutex_lock(&d->mu);
    c->next = d->first;
    if (d->first)
        d->first->prev = c;
    d->first = c;
    pthread_mutex_unlock(&d->mu);
    return c;
}

void deadline_answering(void *clock)
{
    if (clock)
        atomic_store(&((conn_clock *)clock)->since_ms, LLONG_MAX);
}

void deadline_answered(void *clock)
{
    if (clock)
        atomic_store(&((conn_clock *)clock)->since_ms, now_ms());
}

void deadline_close(deadlines *d, void *clock)
{
    conn_clock *c = clock;
    if (!c)
        return;
    pthread_mutex_lock(&d->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        d->first = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&d->mu);
    free(c);
}

void deadlines_sweep(deadlines *d)
{
    long long late = now_ms() - d->timeout_ms;
    pthread_mutex_lock(&d->mu);
    for (conn_clock *c = d->first; c; c = c->next)
        if (c->fd >= 0 && atomic_load(&c->since_ms) < late) {
            shutdown(c->fd, SHUT_RDWR);
            c->fd = -1; /* once */
            atomic_fetch_add(&d->ended, 1);
        }
    pthread_mutex_unlock(&d->mu);
}

unsigned long deadlines_ended(deadlines *d)
{
    return atomic_load(&d->ended);
}
