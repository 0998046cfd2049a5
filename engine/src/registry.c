/*
** registry.c -- named playbooks that are reloaded while requests use them
** (leeway.h, "The registry").
**
** Each playbook id has a current version. A request acquires it (its count
** of users goes up) and releases it. A reload loads the file, runs the
** tests written in it, and swaps the new version in under the registry's
** mutex; the old one moves to the retired list and is freed by whichever
** release brings its count to zero (or at once when nobody holds it). The
** mutex guards only counts, pointers and status: loading, testing and
** freeing happen outside it, so a reload never stalls requests.
*/
#include "internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct version {
    lw_playbook *pb;
    long users;            /* acquired and not yet released */
    struct version *next;  /* in the retired list */
} version;

typedef struct entry {
    char *id, *path;
    version *cur;
    lw_registry_status st;           /* guarded by the registry's lock */
    pthread_mutex_t reloading;       /* one reload of this playbook at a time */
} entry;

struct lw_registry {
    lw_mem mem;
    lw_options opt;
    pthread_mutex_t lock;
    entry **e;
    size_t n, cap;
    version *retired;      /* replaced versions still in use */
};

/* ======================================================================
** Helpers
*/
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *mem_strdup(const lw_mem *m, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = lw_mem_alloc(m, n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void mem_strfree(const lw_mem *m, char *s)
{
    if (s)
        lw_mem_free(m, s, strlen(s) + 1);
}

/* A message for people, appended line by line into a caller's buffer and
** cut (silently: it is a message) at its size. */
typedef struct msgbuf {
    char *p;
    size_t size, len;
} msgbuf;

static void msg_add(msgbuf *m, const char *fmt, ...) LW_PRINTF(2, 3);
static void msg_add(msgbuf *m, const char *fmt, ...)
{
    if (!m->p || m->size == 0 || m->len + 1 >= m->size)
        return;
    if (m->len > 0)
        m->p[m->len++] = '\n';
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(m->p + m->len, m->size - m->len, fmt, ap);
    va_end(ap);
    if (k > 0)
        m->len += (size_t)k < m->size - m->len ? (size_t)k : m->size - m->len - 1;
    m->p[m->len] = 0;
}

static void msg_report(msgbuf *m, const lw_report *rep)
{
    char line[1024];
    for (size_t i = 0; i < lw_report_count(rep); i++) {
        const lw_diag *d = lw_report_get(rep, i);
        if (d->severity != LW_ERROR)
            continue;
        lw_diag_format(d, line, sizeof line);
        msg_add(m, "%s", line);
    }
}

static void on_test(void *ud, const lw_test_result *t)
{
    if (!t->passed)
        msg_add(ud, "%s:%d: test '%s' failed: %s", t->file, t->line, t->name,
                t->failure ? t->failure : "");
}

/* ======================================================================
** Loading a version: the playbook, then its tests, then a check that the
** file the tests loaded is the one loaded before them.
*/
static int load_once(lw_registry *r, const char *path, lw_playbook **out, msgbuf *m,
                     bool *changed)
{
    lw_playbook *pb = NULL;
    lw_report *rep = NULL;
    *out = NULL;
    *changed = false;
    int rc = lw_playbook_load(path, &r->opt, &pb, &rep);
    if (rc != LW_OK) {
        msg_report(m, rep);
        if (lw_report_count(rep) == 0)
            msg_add(m, "%s: error: cannot load the playbook (%s)", path, lw_errstr(rc));
        lw_report_free(rep);
        return rc;
    }
    lw_report_free(rep);
    rep = NULL;

    lw_engine *e = lw_engine_new(&r->opt);
    if (!e) {
        lw_playbook_free(pb);
        return LW_ERR_NOMEM;
    }
    int passed = 0, failed = 0;
    rc = lw_test_file(e, path, &r->opt, on_test, NULL, m, &passed, &failed, &rep);
    lw_engine_free(e);
    if (rc == LW_ERR_NOTFOUND) {
        rc = LW_OK; /* no tests written: nothing to run */
    } else if (rc != LW_OK) {
        msg_report(m, rep);
        *changed = true; /* it loaded a moment ago: the file is being changed */
    } else if (failed > 0) {
        msg_add(m, "%s: error: %d of %d tests failed; the playbook was not swapped in", path,
                failed, passed + failed);
        rc = LW_ERR_LIMIT;
    }
    lw_report_free(rep);
    if (rc != LW_OK) {
        lw_playbook_free(pb);
        return rc;
    }

    /* the tests loaded the file themselves: the version swapped in must be
    ** the one they passed on */
    lw_playbook *again = NULL;
    if (lw_playbook_load(path, &r->opt, &again, NULL) != LW_OK ||
        strcmp(lw_playbook_digest(again), lw_playbook_digest(pb)) != 0) {
        msg_add(m, "%s: error: the bundle changed while its tests ran", path);
        *changed = true;
        rc = LW_ERR_IO;
    }
    lw_playbook_free(again);
    if (rc != LW_OK) {
        lw_playbook_free(pb);
        return rc;
    }
    *out = pb;
    return LW_OK;
}

/* A few tries while the file is being written; the last error stays. */
static int load_tested(lw_registry *r, const char *path, lw_playbook **out, char *msg,
                       size_t size)
{
    int rc = LW_OK;
    for (int attempt = 0; attempt < 3; attempt++) {
        msgbuf m = {msg, size, 0};
        if (msg && size)
            msg[0] = 0;
        bool changed;
        rc = load_once(r, path, out, &m, &changed);
        if (rc == LW_OK || !changed)
            break;
    }
    return rc;
}

static entry *find(const lw_registry *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->e[i]->id, id) == 0)
            return r->e[i];
    return NULL;
}

static version *new_version(lw_registry *r, lw_playbook *pb)
{
    version *v = lw_mem_alloc(&r->mem, sizeof *v);
    if (v) {
        v->pb = pb;
        v->users = 0;
        v->next = NULL;
    }
    return v;
}

static void free_version(lw_registry *r, version *v)
{
    if (v) {
        lw_playbook_free(v->pb);
        lw_mem_free(&r->mem, v, sizeof *v);
    }
}

/* ======================================================================
** API
*/
lw_registry *lw_registry_new(const lw_options *opt)
{
    lw_mem mem;
    lw_mem_init(&mem, opt);
    lw_registry *r = lw_mem_alloc(&mem, sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->mem = mem;
    if (opt)
        r->opt = *opt;
    else
        lw_options_init(&r->opt);
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        lw_mem_free(&mem, r, sizeof *r);
        return NULL;
    }
    return r;
}

void lw_registry_free(lw_registry *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        entry *en = r->e[i];
        free_version(r, en->cur);
        mem_strfree(&r->mem, en->id);
        mem_strfree(&r->mem, en->path);
        pthread_mutex_destroy(&en->reloading);
        lw_mem_free(&r->mem, en, sizeof *en);
    }
    while (r->retired) {
        version *v = r->retired;
        r->retired = v->next;
        free_version(r, v);
    }
    lw_mem_free(&r->mem, r->e, r->cap * sizeof *r->e);
    pthread_mutex_destroy(&r->lock);
    lw_mem free_with = r->mem;
    lw_mem_free(&free_with, r, sizeof *r);
}

int lw_registry_add(lw_registry *r, const char *path, char *msg, size_t size)
{
    if (msg && size)
        msg[0] = 0;
    if (!r || !path)
        return LW_ERR_ARG;
    lw_playbook *pb;
    int rc = load_tested(r, path, &pb, msg, size);
    if (rc != LW_OK)
        return rc;
    msgbuf m = {msg, size, 0};
    if (find(r, lw_playbook_id(pb))) {
        msg_add(&m, "%s: error: a playbook with the id '%s' is already loaded", path,
                lw_playbook_id(pb));
        lw_playbook_free(pb);
        return LW_ERR_ARG;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        entry **e = lw_mem_realloc(&r->mem, r->e, r->cap * sizeof *e, cap * sizeof *e);
        if (!e) {
            lw_playbook_free(pb);
            return LW_ERR_NOMEM;
        }
        r->e = e;
        r->cap = cap;
    }
    entry *en = lw_mem_alloc(&r->mem, sizeof *en);
    if (en)
        memset(en, 0, sizeof *en);
    if (!en || !(en->id = mem_strdup(&r->mem, lw_playbook_id(pb))) ||
        !(en->path = mem_strdup(&r->mem, path)) || !(en->cur = new_version(r, pb)) ||
        pthread_mutex_init(&en->reloading, NULL) != 0) {
        if (en) {
            mem_strfree(&r->mem, en->id);
            mem_strfree(&r->mem, en->path);
            free_version(r, en->cur);
            lw_mem_free(&r->mem, en, sizeof *en);
        }
        if (!en || !en->cur)
            lw_playbook_free(pb);
        return LW_ERR_NOMEM;
    }
    en->st.path = en->path;
    en->st.loaded_at = wall_ms();
    pthread_mutex_lock(&r->lock);
    r->e[r->n++] = en;
    pthread_mutex_unlock(&r->lock);
    return LW_OK;
}

size_t lw_registry_count(const lw_registry *r)
{
    return r ? r->n : 0;
}

const char *lw_registry_id(const lw_registry *r, size_t i)
{
    return r && i < r->n ? r->e[i]->id : NULL;
}

int lw_registry_reload(lw_registry *r, const char *id, char *msg, size_t size)
{
    if (msg && size)
        msg[0] = 0;
    if (!r || !id)
        return LW_ERR_ARG;
    entry *en = find(r, id);
    if (!en)
        return LW_ERR_NOTFOUND;
    pthread_mutex_lock(&en->reloading);
    char err[sizeof en->st.last_error];
    lw_playbook *pb = NULL;
    int rc = load_tested(r, en->path, &pb, err, sizeof err);
    version *v = NULL;
    if (rc == LW_OK && strcmp(lw_playbook_id(pb), en->id) != 0) {
        snprintf(err, sizeof err,
                 "%s: error: the playbook's id changed from '%s' to '%s'; a running "
                 "service keeps its ids (add the new one as another playbook)",
                 en->path, en->id, lw_playbook_id(pb));
        rc = LW_ERR_ARG;
    }
    if (rc == LW_OK && !(v = new_version(r, pb))) {
        snprintf(err, sizeof err, "%s: error: out of memory", en->path);
        rc = LW_ERR_NOMEM;
    }
    if (rc != LW_OK)
        lw_playbook_free(pb);

    version *drop = NULL;
    pthread_mutex_lock(&r->lock);
    en->st.last_reload_at = wall_ms();
    en->st.last_result = rc;
    if (rc == LW_OK) {
        version *old = en->cur;
        en->cur = v;
        en->st.loaded_at = en->st.last_reload_at;
        en->st.reloads_ok++;
        en->st.last_error[0] = 0;
        if (old->users == 0) {
            drop = old;
        } else {
            old->next = r->retired;
            r->retired = old;
        }
    } else {
        en->st.reloads_failed++;
        memcpy(en->st.last_error, err, sizeof err);
    }
    pthread_mutex_unlock(&r->lock);
    free_version(r, drop);
    pthread_mutex_unlock(&en->reloading);
    if (msg && size)
        snprintf(msg, size, "%s", rc == LW_OK ? "" : err);
    return rc;
}

const lw_playbook *lw_registry_acquire(lw_registry *r, const char *id)
{
    if (!r || !id)
        return NULL;
    const lw_playbook *pb = NULL;
    pthread_mutex_lock(&r->lock);
    entry *en = find(r, id);
    if (en) {
        en->cur->users++;
        pb = en->cur->pb;
    }
    pthread_mutex_unlock(&r->lock);
    return pb;
}

void lw_registry_release(lw_registry *r, const lw_playbook *pb)
{
    if (!r || !pb)
        return;
    version *drop = NULL;
    pthread_mutex_lock(&r->lock);
    bool found = false;
    for (size_t i = 0; i < r->n && !found; i++)
        if (r->e[i]->cur->pb == pb) {
            r->e[i]->cur->users--;
            found = true;
        }
    for (version **pv = &r->retired; *pv && !found; pv = &(*pv)->next)
        if ((*pv)->pb == pb) {
            found = true;
            if (--(*pv)->users == 0) {
                drop = *pv;
                *pv = drop->next;
            }
            break;
        }
    pthread_mutex_unlock(&r->lock);
    free_version(r, drop);
}

int lw_registry_status_get(lw_registry *r, const char *id, lw_registry_status *st)
{
    if (!r || !id || !st)
        return LW_ERR_ARG;
    pthread_mutex_lock(&r->lock);
    entry *en = find(r, id);
    if (en)
        *st = en->st;
    pthread_mutex_unlock(&r->lock);
    return en ? LW_OK : LW_ERR_NOTFOUND;
}
