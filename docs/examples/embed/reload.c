/*
** reload.c -- a host that reloads its playbook while threads decide: the
** registry (leeway.h) gives each decision one whole version and frees a
** replaced version when its last user lets go.
**
**   cc -std=c11 -pthread -I engine/include docs/examples/embed/reload.c \
**      build/debug/libleeway.a \
**      $(pkg-config --cflags --libs lua5.4 yaml-0.1 libutf8proc libcjson) -lm \
**      -o reload
**   ./reload docs/examples/returns.yaml
*/
#include <leeway.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

static lw_registry *registry;
static const char *id;
static atomic_int stop;
static atomic_long decisions, mixed;

/* A request: acquire the current version, decide on it, release it. */
static void *serve(void *arg)
{
    (void)arg;
    lw_engine *e = lw_engine_new(NULL); /* one engine per thread */
    while (!atomic_load(&stop)) {
        const lw_playbook *pb = lw_registry_acquire(registry, id);
        lw_case *c = lw_case_new(pb);
        const lw_decision *d;
        if (c && lw_decide(e, pb, c, NULL, &d) == LW_OK) {
            if (strcmp(d->digest, lw_playbook_digest(pb)) != 0)
                atomic_fetch_add(&mixed, 1);
            atomic_fetch_add(&decisions, 1);
        }
        lw_case_free(c);
        lw_registry_release(registry, pb); /* a replaced version is freed here */
    }
    lw_engine_free(e);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: reload PLAYBOOK\n");
        return 2;
    }
    char msg[2048];
    registry = lw_registry_new(NULL);
    /* loads the file, runs the tests written in it, adds it under its id */
    if (!registry || lw_registry_add(registry, argv[1], msg, sizeof msg) != LW_OK) {
        fprintf(stderr, "%s\n", registry ? msg : "out of memory");
        lw_registry_free(registry);
        return 2;
    }
    id = lw_registry_id(registry, 0);

    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, serve, NULL);
    /* reload while they decide: on SIGHUP, or when the file changes */
    int failed = 0;
    for (int i = 0; i < 3; i++) {
        long before = atomic_load(&decisions);
        while (atomic_load(&decisions) < before + 100)
            ; /* let the threads decide on this version a while */
        if (lw_registry_reload(registry, id, msg, sizeof msg) != LW_OK) {
            fprintf(stderr, "%s\n", msg); /* the old version keeps serving */
            failed++;
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);

    lw_registry_status st;
    lw_registry_status_get(registry, id, &st);
    printf("%s: %lu reloads, %lu failed; %s\n", id, st.reloads_ok, st.reloads_failed,
           atomic_load(&decisions) > 0 && atomic_load(&mixed) == 0
               ? "every decision from one whole version"
               : "a decision from a mixed version");
    lw_registry_free(registry); /* after every release */
    return failed ? 1 : 0;
}
