/*
** fast.c -- the fast path: one playbook shared by several threads, an engine
** and a case per thread, facts set by index, and an allocator that counts
** calls to show that deciding allocates nothing once warmed up.
**
**   cc -std=c11 -O2 -pthread -I engine/include docs/examples/embed/fast.c \
**      build/release/libleeway.a \
**      $(pkg-config --cflags --libs lua5.4 yaml-0.1 libutf8proc libcjson) -lm -o fast
**   ./fast docs/examples/returns.yaml 4            (playbook, threads[, decisions per thread])
*/
#define _POSIX_C_SOURCE 200809L
#include <leeway.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A realloc-shaped allocator that counts the blocks it hands out. The
** playbook's allocator is also used by every case made for it, in whatever
** thread makes them, so an allocator shared by threads must be thread-safe:
** this one counts with an atomic. */
static atomic_size_t allocs;

static void *counting_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    atomic_fetch_add(&allocs, 1);
    return realloc(ptr, nsize);
}

typedef struct job {
    const lw_playbook *pb;
    const lw_options *opt;
    int fact_kind, fact_value, fact_days, fact_tier, fact_role, fact_incident;
    long n;
    long escalations;
} job;

static pthread_barrier_t warm; /* every thread has warmed up */
static pthread_barrier_t measured; /* the allocation count is taken */

static void *worker(void *arg)
{
    job *j = arg;
    lw_engine *e = lw_engine_new(j->opt); /* the engine's memory comes from opt */
    lw_case *c = lw_case_new(j->pb);      /* a case uses the playbook's allocator */
    if (!e || !c) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    static const char *const tiers[] = {"basic", "member", "vip"};
    static const char *const incidents[] = {"none", "late", "damaged", "lost"};
    long escalations = 0; /* a local: writing to *j in the loop would share a cache line */
    for (long i = 0; i < j->n; i++) {
        if (i == 1000) {
            pthread_barrier_wait(&warm);
            pthread_barrier_wait(&measured);
        }
        lw_case_reset(c);
        lw_case_set_text_at(c, j->fact_kind, i % 3 ? "return" : "complaint");
        lw_case_set_number_at(c, j->fact_value, 10 + (double)(i % 200));
        lw_case_set_number_at(c, j->fact_days, (double)(i % 60));
        lw_case_set_text_at(c, j->fact_tier, tiers[i % 3]);
        lw_case_set_text_at(c, j->fact_role, "agent");
        lw_case_set_text_at(c, j->fact_incident, incidents[i % 4]);
        const lw_decision *d;
        if (lw_decide(e, j->pb, c, NULL, &d) != LW_OK) {
            fprintf(stderr, "out of memory\n");
            exit(2);
        }
        escalations += d->outcome[0] == 'e';
    }
    j->escalations = escalations;
    lw_case_free(c);
    lw_engine_free(e);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "docs/examples/returns.yaml";
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    long per_thread = argc > 3 ? atol(argv[3]) : 1000000;
    if (threads < 1 || threads > 64)
        threads = 2;
    lw_options opt;
    lw_options_init(&opt);
    opt.alloc = counting_alloc;
    lw_playbook *pb = NULL;
    if (lw_playbook_load(path, &opt, &pb, NULL) != LW_OK) {
        fprintf(stderr, "cannot load %s (run leeway check on it)\n", path);
        return 2;
    }
    /* Look the fact paths up once; the _at setters skip the lookup. */
    job proto = {pb, &opt,
                 lw_fact_index(pb, "request.kind"),
                 lw_fact_index(pb, "order.value"),
                 lw_fact_index(pb, "order.days_since_delivery"),
                 lw_fact_index(pb, "customer.tier"),
                 lw_fact_index(pb, "staff.role"),
                 lw_fact_index(pb, "incident.kind"),
                 per_thread < 2000 ? 2000 : per_thread, 0};
    if (proto.fact_kind < 0 || proto.fact_value < 0 || proto.fact_days < 0 ||
        proto.fact_tier < 0 || proto.fact_role < 0 || proto.fact_incident < 0) {
        fprintf(stderr, "%s does not declare the facts this program sets\n", path);
        return 2;
    }
    pthread_t tid[64];
    job jobs[64];
    pthread_barrier_init(&warm, NULL, (unsigned)threads + 1);
    pthread_barrier_init(&measured, NULL, (unsigned)threads + 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) {
        jobs[i] = proto;
        pthread_create(&tid[i], NULL, worker, &jobs[i]);
    }
    pthread_barrier_wait(&warm);
    size_t warm_allocs = atomic_load(&allocs);
    pthread_barrier_wait(&measured);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        total += jobs[i].n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* the frees at the end of each thread do not count; only allocations do */
    size_t steady = atomic_load(&allocs) - warm_allocs;
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%d threads, %ld decisions in %.2f s: %.0f decisions/s\n", threads, total, s,
           (double)total / s);
    printf("allocations after warm-up: %zu\n", steady);
    pthread_barrier_destroy(&warm);
    pthread_barrier_destroy(&measured);
    lw_playbook_free(pb);
    return 0;
}
