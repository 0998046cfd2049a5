/*
** serve.c -- `leeway serve [--listen ADDR:PORT] PLAYBOOK...`: decisions over
** HTTP (docs/service.md), on libmicrohttpd.
**
** The playbooks live in a registry (leeway.h): a request acquires the
** current version of its playbook and releases it when answered, so a
** reload -- on SIGHUP, or when inotify sees a file of a bundle change --
** never drops or mixes a request. Each thread of the HTTP pool has its own
** engine. A decision is answered only once its record is in the decision
** log's buffer (serve_log.c); otherwise the answer is 503.
**
** The main thread owns signals (through a signalfd) and inotify, and once a
** second shuts the connections whose request is late (serve_deadline.c):
** SIGHUP reloads every playbook, SIGUSR1 reopens the log, SIGTERM/SIGINT
** stop accepting, let the requests in flight finish, flush the log, exit 0.
*/
#define _XOPEN_SOURCE 700 /* realpath */
#include "serve.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVE_USAGE                                                                            \
    "usage: leeway serve [--listen ADDR:PORT] PLAYBOOK...\n"                                   \
    "         [--log FILE] [--log-buffer BYTES] [--log-wait MS]\n"                             \
    "         [--max-body BYTES] [--max-connections N] [--timeout SECONDS]\n"                  \
    "         [--threads N] [--token-file FILE] [--tls-cert FILE --tls-key FILE]\n"            \
    "         " BUDGET_USAGE "\n"

typedef struct server {
    lw_registry *reg;
    lw_options eopt;          /* engines: the Lua budgets per decision */
    size_t max_body;
    long max_conn;
    char *token;              /* NULL: no token asked for */
    size_t token_len;
    dlog *log;                /* NULL without --log */
    metrics *m;
    deadlines *dl;            /* the whole-request deadline (--timeout) */
    pthread_key_t engine_key; /* one engine per thread of the pool */
    atomic_long connections, inflight;
    atomic_bool stopping;
} server;

enum route { R_NONE, R_HEALTH, R_READY, R_METRICS, R_LIST, R_PLAYBOOK, R_DECIDE, R_BATCH };

typedef struct request {
    enum route route;
    char *id;             /* the playbook id in the path */
    char *body;
    size_t len, cap;
    bool too_large;
} request;

/* ======================================================================
** Answers
*/
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Queue body (malloc'd, taken over) with status. */
static enum MHD_Result answer(server *s, struct MHD_Connection *conn, unsigned status,
                              const char *type, char *body, size_t len, const char *decision_id,
                              const char *allow)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (decision_id)
        MHD_add_response_header(r, "Decision-Id", decision_id);
    if (allow)
        MHD_add_response_header(r, "Allow", allow);
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Retry-After", "1");
    if (atomic_load(&s->stopping) || status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(r, "Connection", "close");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* cJSON printed on one line, with a newline, to answer with (allow: the
** Allow header of a 405, else NULL). */
static enum MHD_Result answer_json(server *s, struct MHD_Connection *conn, unsigned status,
                                   cJSON *root, const char *allow)
{
    char *text = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    size_t len = text ? strlen(text) : 0;
    char *body = text ? realloc(text, len + 2) : NULL;
    if (!body) {
        free(text);
        return MHD_NO;
    }
    body[len++] = '\n';
    body[len] = 0;
    return answer(s, conn, status, "application/json", body, len, NULL, allow);
}

/* {"error":{"code":KIND,"message":...}} with status, counted by kind. */
static enum MHD_Result answer_error(server *s, struct MHD_Connection *conn, unsigned status,
                                    int kind, const char *allow, const char *fmt, ...)
    LW_PRINTF_CLI(6, 7);
static enum MHD_Result answer_error(server *s, struct MHD_Connection *conn, unsigned status,
                                    int kind, const char *allow, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    metrics_error(s->m, kind);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", error_kind[kind]);
    cJSON_AddStringToObject(e, "message", msg);
    return answer_json(s, conn, status, root, allow);
}

static void format_time(int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char day[32];
    strftime(day, sizeof day, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%03dZ", day, (int)(ms % 1000));
}

/* ======================================================================
** Deciding
*/
static lw_engine *thread_engine(server *s)
{
    lw_engine *e = pthread_getspecific(s->engine_key);
    if (!e && (e = lw_engine_new(&s->eopt)) != NULL)
        pthread_setspecific(s->engine_key, e);
    return e;
}

static void engine_free(void *e)
{
    lw_engine_free(e);
}

/* A growable byte buffer for answers and records. */
typedef struct bytes {
    char *p;
    size_t len, cap;
    bool failed;
} bytes;

static void bytes_put(bytes *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void bytes_puts(bytes *b, const char *s)
{
    bytes_put(b, s, strlen(s));
}

typedef struct query {
    const char *role;
    int trace;
    char bad[160];        /* a message when the query is not understood */
} query;

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    query *q = cls;
    if (q->bad[0])
        return MHD_YES;
    if (strcmp(key, "role") == 0 && value && *value) {
        q->role = value;
    } else if (strcmp(key, "trace") == 0 && value &&
               (strcmp(value, "1") == 0 || strcmp(value, "0") == 0)) {
        q->trace = value[0] == '1';
    } else if (strcmp(key, "trace") == 0 || strcmp(key, "role") == 0) {
        snprintf(q->bad, sizeof q->bad, "%s=%.40s: %s", key, value ? value : "",
                 key[0] == 't' ? "trace takes 1 or 0" : "role takes a role of the playbook");
    } else {
        snprintf(q->bad, sizeof q->bad,
                 "unknown query parameter '%.40s' (a decision takes role= and trace=1)", key);
    }
    return MHD_YES;
}

static void list_ids(server *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < lw_registry_count(s->reg) && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "",
                              lw_registry_id(s->reg, i));
}

/* One case (or, for a batch, one case a line) decided on the version of
** the playbook acquired for the request. */
static enum MHD_Result decide(server *s, struct MHD_Connection *conn, request *rq, bool batch)
{
    query q = {NULL, 0, ""};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
    if (q.bad[0])
        return answer_error(s, conn, MHD_HTTP_BAD_REQUEST, ERR_BAD_REQUEST, NULL, "%s", q.bad);
    const lw_playbook *pb = lw_registry_acquire(s->reg, rq->id);
    if (!pb) {
        char ids[512];
        list_ids(s, ids, sizeof ids);
        return answer_error(s, conn, MHD_HTTP_NOT_FOUND, ERR_NOT_FOUND, NULL,
                            "no playbook '%.100s' is loaded (loaded: %s)", rq->id, ids);
    }
    double t0 = now_seconds();
    lw_engine *e = thread_engine(s);
    lw_case *c = lw_case_new(pb);
    bytes out = {0}, recs = {0}, outcomes = {0};
    size_t n = 0, lineno = 0;
    char id[LW_DECISION_ID_SIZE] = "";
    enum MHD_Result ret;
    const char *text = rq->body ? rq->body : "";
    const char *end = text + rq->len;
    lw_decide_options opt = {q.role, q.trace};
    if (!e || !c)
        goto oom;
    for (const char *line = text; line < end || (!batch && n == 0);) {
        const char *stop = batch ? memchr(line, '\n', (size_t)(end - line)) : NULL;
        if (!stop)
            stop = end;
        const char *next = stop < end ? stop + 1 : end;
        size_t len = (size_t)(stop - line);
        lineno++;
        if (batch) {
            size_t k = 0;
            while (k < len && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r'))
                k++;
            if (k == len) { /* an empty line is no case */
                line = next;
                continue;
            }
        }
        char name[48];
        snprintf(name, sizeof name, "request line %zu", lineno);
        lw_case_reset(c);
        const char *msg = NULL;
        lw_case_read_json(c, batch ? name : "request", line, len, &msg);
        if (msg && !batch) {
            ret = answer_error(s, conn, MHD_HTTP_BAD_REQUEST, ERR_BAD_REQUEST, NULL, "%s", msg);
            goto done;
        }
        if (msg && lw_case_add_problem(c, msg) != LW_OK)
            goto oom;
        const lw_decision *d;
        if (lw_decide(e, pb, c, &opt, &d) != LW_OK)
            goto oom;
        size_t dlen;
        const char *dj = lw_decision_json(e, d, q.trace ? LW_JSON_TRACE : 0, &dlen);
        if (!dj || dlen < 2 || lw_decision_id(e, id) != LW_OK)
            goto oom;
        bytes_puts(&out, "{\"decision_id\":\"");
        bytes_puts(&out, id);
        bytes_puts(&out, "\",");
        bytes_put(&out, dj + 1, dlen - 1);
        bytes_put(&out, "\n", 1);
        bytes_put(&outcomes, d->outcome, strlen(d->outcome) + 1);
        if (s->log) {
            size_t rlen;
            const char *rec = lw_log_record_id(e, c, d, q.role, id, &rlen);
            if (!rec)
                goto oom;
            bytes_put(&recs, rec, rlen);
        }
        n++;
        line = next;
    }
    if (out.failed || recs.failed || outcomes.failed)
        goto oom;
    if (s->log && n > 0 && dlog_put(s->log, recs.p, recs.len, n) != 0) {
        ret = answer_error(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, ERR_LOG_REFUSED, NULL,
                           "the decision log cannot keep up, so %s not answered; try again",
                           n == 1 ? "the decision was" : "the decisions were");
        goto done;
    }
    double took = (now_seconds() - t0) / (double)(n ? n : 1);
    for (size_t i = 0, off = 0; i < n; i++) {
        const char *outcome = outcomes.p + off;
        metrics_decision(s->m, rq->id, outcome, took);
        off += strlen(outcome) + 1;
    }
    if (!out.p) { /* a batch of no lines: no decisions */
        out.p = malloc(1);
        if (!out.p)
            goto oom;
    }
    ret = answer(s, conn, MHD_HTTP_OK, batch ? "application/x-ndjson" : "application/json", out.p,
                 out.len, batch ? NULL : id, NULL);
    out.p = NULL;
    goto done;
oom:
    ret = answer_error(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, ERR_INTERNAL, NULL,
                       "out of memory");
done:
    free(out.p);
    free(recs.p);
    free(outcomes.p);
    lw_case_free(c);
    lw_registry_release(s->reg, pb);
    return ret;
}

/* ======================================================================
** What is loaded
*/
static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char t[64];
    format_time(ms, t, sizeof t);
    cJSON_AddStringToObject(o, key, t);
}

static cJSON *playbook_summary(server *s, const char *id)
{
    const lw_playbook *pb = lw_registry_acquire(s->reg, id);
    lw_registry_status st;
    if (!pb || lw_registry_status_get(s->reg, id, &st) != LW_OK) {
        lw_registry_release(s->reg, pb);
        return NULL;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", lw_playbook_id(pb));
    cJSON_AddStringToObject(o, "version", lw_playbook_version(pb));
    cJSON_AddStringToObject(o, "digest", lw_playbook_digest(pb));
    cJSON_AddStringToObject(o, "file", st.path);
    cJSON *src = cJSON_AddArrayToObject(o, "sources");
    for (size_t i = 0; i < lw_playbook_source_count(pb); i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", lw_playbook_source_path(pb, i));
        cJSON_AddStringToObject(f, "digest", lw_playbook_source_digest(pb, i));
        cJSON_AddItemToArray(src, f);
    }
    add_time(o, "loaded_at", st.loaded_at);
    cJSON *rl = cJSON_AddObjectToObject(o, "reloads");
    cJSON_AddNumberToObject(rl, "ok", (double)st.reloads_ok);
    cJSON_AddNumberToObject(rl, "failed", (double)st.reloads_failed);
    if (st.last_reload_at) {
        cJSON *last = cJSON_AddObjectToObject(o, "last_reload");
        add_time(last, "at", st.last_reload_at);
        cJSON_AddStringToObject(last, "result", st.last_result == LW_OK ? "ok" : "failed");
        if (st.last_result == LW_OK)
            cJSON_AddNullToObject(last, "error");
        else
            cJSON_AddStringToObject(last, "error", st.last_error);
    } else {
        cJSON_AddNullToObject(o, "last_reload");
    }
    lw_registry_release(s->reg, pb);
    return o;
}

static enum MHD_Result list_playbooks(server *s, struct MHD_Connection *conn)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "playbooks");
    for (size_t i = 0; i < lw_registry_count(s->reg); i++) {
        cJSON *o = playbook_summary(s, lw_registry_id(s->reg, i));
        if (o)
            cJSON_AddItemToArray(arr, o);
    }
    return answer_json(s, conn, MHD_HTTP_OK, root, NULL);
}

/* What a client needs to build a form: the facts with their types, enum
** values and docs, and the roles. */
static enum MHD_Result show_playbook(server *s, struct MHD_Connection *conn, const char *id)
{
    const lw_playbook *pb = lw_registry_acquire(s->reg, id);
    if (!pb) {
        char ids[512];
        list_ids(s, ids, sizeof ids);
        return answer_error(s, conn, MHD_HTTP_NOT_FOUND, ERR_NOT_FOUND, NULL,
                            "no playbook '%.100s' is loaded (loaded: %s)", id, ids);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", lw_playbook_id(pb));
    cJSON_AddStringToObject(o, "version", lw_playbook_version(pb));
    cJSON_AddStringToObject(o, "digest", lw_playbook_digest(pb));
    cJSON *facts = cJSON_AddArrayToObject(o, "facts");
    for (size_t i = 0; i < lw_fact_count(pb); i++) {
        cJSON *f = cJSON_CreateObject();
        cJSON_AddStringToObject(f, "path", lw_fact_path(pb, i));
        cJSON_AddStringToObject(f, "type", lw_fact_type(pb, i));
        size_t nv;
        const char *const *v = lw_fact_values(pb, i, &nv);
        if (v) {
            cJSON *vals = cJSON_AddArrayToObject(f, "values");
            for (size_t k = 0; k < nv; k++)
                cJSON_AddItemToArray(vals, cJSON_CreateString(v[k]));
        }
        const char *doc = lw_fact_doc(pb, i);
        if (doc)
            cJSON_AddStringToObject(f, "doc", doc);
        cJSON_AddItemToArray(facts, f);
    }
    cJSON *roles = cJSON_AddArrayToObject(o, "roles");
    for (size_t i = 0; i < lw_role_count(pb); i++)
        cJSON_AddItemToArray(roles, cJSON_CreateString(lw_role_id(pb, i)));
    lw_registry_release(s->reg, pb);
    return answer_json(s, conn, MHD_HTTP_OK, o, NULL);
}

/* ======================================================================
** Metrics
*/
static enum MHD_Result show_metrics(server *s, struct MHD_Connection *conn)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return MHD_NO;
    metrics_write(s->m, f);
    fputs("# HELP leeway_requests_in_flight Requests received and not yet answered.\n"
          "# TYPE leeway_requests_in_flight gauge\n",
          f);
    fprintf(f, "leeway_requests_in_flight %ld\n", atomic_load(&s->inflight));
    fputs("# HELP leeway_connections Open client connections.\n"
          "# TYPE leeway_connections gauge\n",
          f);
    fprintf(f, "leeway_connections %ld\n", atomic_load(&s->connections));
    fprintf(f,
            "# HELP leeway_connections_cut_total Connections closed because a request was "
            "not whole within --timeout.\n"
            "# TYPE leeway_connections_cut_total counter\n"
            "leeway_connections_cut_total %lu\n",
            deadlines_ended(s->dl));
    fputs("# HELP leeway_reloads_total Reloads of a playbook, by result.\n"
          "# TYPE leeway_reloads_total counter\n",
          f);
    for (size_t i = 0; i < lw_registry_count(s->reg); i++) {
        lw_registry_status st;
        const char *id = lw_registry_id(s->reg, i);
        if (lw_registry_status_get(s->reg, id, &st) != LW_OK)
            continue;
        for (int ok = 1; ok >= 0; ok--) {
            fputs("leeway_reloads_total{playbook=\"", f);
            prom_label(f, id);
            fprintf(f, "\",result=\"%s\"} %lu\n", ok ? "ok" : "failed",
                    ok ? st.reloads_ok : st.reloads_failed);
        }
    }
    fputs("# HELP leeway_last_reload_successful 0 while the last reload of a playbook failed "
          "(its error is in /v1/playbooks), else 1.\n"
          "# TYPE leeway_last_reload_successful gauge\n",
          f);
    for (size_t i = 0; i < lw_registry_count(s->reg); i++) {
        lw_registry_status st;
        const char *id = lw_registry_id(s->reg, i);
        if (lw_registry_status_get(s->reg, id, &st) != LW_OK)
            continue;
        fputs("leeway_last_reload_successful{playbook=\"", f);
        prom_label(f, id);
        fprintf(f, "\"} %d\n", !st.last_reload_at || st.last_result == LW_OK);
    }
    fputs("# HELP leeway_playbook_info The version serving, by playbook.\n"
          "# TYPE leeway_playbook_info gauge\n",
          f);
    for (size_t i = 0; i < lw_registry_count(s->reg); i++) {
        const lw_playbook *pb = lw_registry_acquire(s->reg, lw_registry_id(s->reg, i));
        if (!pb)
            continue;
        fputs("leeway_playbook_info{playbook=\"", f);
        prom_label(f, lw_playbook_id(pb));
        fputs("\",version=\"", f);
        prom_label(f, lw_playbook_version(pb));
        fputs("\",digest=\"", f);
        prom_label(f, lw_playbook_digest(pb));
        fputs("\"} 1\n", f);
        lw_registry_release(s->reg, pb);
    }
    dlog_stats ls = {0, 0, 0, 0};
    if (s->log)
        dlog_stats_get(s->log, &ls);
    fprintf(f,
            "# HELP leeway_log_records_written_total Decision-log records written to the file.\n"
            "# TYPE leeway_log_records_written_total counter\n"
            "leeway_log_records_written_total %lu\n"
            "# HELP leeway_log_records_refused_total Decisions not answered (503) because the "
            "log had no room for their records.\n"
            "# TYPE leeway_log_records_refused_total counter\n"
            "leeway_log_records_refused_total %lu\n"
            "# HELP leeway_log_write_errors_total Failed writes to the decision log (retried).\n"
            "# TYPE leeway_log_write_errors_total counter\n"
            "leeway_log_write_errors_total %lu\n"
            "# HELP leeway_log_buffered_bytes Records accepted and not yet written.\n"
            "# TYPE leeway_log_buffered_bytes gauge\n"
            "leeway_log_buffered_bytes %zu\n",
            ls.written, ls.refused, ls.write_errors, ls.buffered);
    if (fclose(f) != 0) {
        free(text);
        return MHD_NO;
    }
    return answer(s, conn, MHD_HTTP_OK, "text/plain; version=0.0.4", text, len, NULL, NULL);
}

/* ======================================================================
** Requests
*/
static enum route route_of(const char *url, char **id)
{
    *id = NULL;
    if (strcmp(url, "/healthz") == 0)
        return R_HEALTH;
    if (strcmp(url, "/readyz") == 0)
        return R_READY;
    if (strcmp(url, "/metrics") == 0)
        return R_METRICS;
    if (strcmp(url, "/v1/playbooks") == 0)
        return R_LIST;
    enum route r = R_NONE;
    const char *rest = NULL;
    if (strncmp(url, "/v1/playbooks/", 14) == 0) {
        r = R_PLAYBOOK;
        rest = url + 14;
    } else if (strncmp(url, "/v1/decide/", 11) == 0) {
        r = R_DECIDE;
        rest = url + 11;
    } else {
        return R_NONE;
    }
    size_t n = strcspn(rest, "/");
    if (n == 0)
        return R_NONE;
    if (rest[n] != 0) {
        if (r != R_DECIDE || strcmp(rest + n, "/batch") != 0)
            return R_NONE;
        r = R_BATCH;
    }
    *id = strndup(rest, n);
    return *id ? r : R_NONE;
}

static bool token_ok(server *s, struct MHD_Connection *conn)
{
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return false;
    h += 7;
    /* the time taken depends on the length presented, never on the token */
    size_t n = strlen(h);
    unsigned char diff = n != s->token_len;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)((unsigned char)h[i] ^ (unsigned char)s->token[i % s->token_len]);
    return diff == 0;
}

static enum MHD_Result first_call(server *s, struct MHD_Connection *conn, request *rq,
                                  const char *url, const char *method)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    if (rq->route == R_NONE)
        return answer_error(s, conn, MHD_HTTP_NOT_FOUND, ERR_NOT_FOUND, NULL,
                            "no such path: %.200s (the paths are /v1/decide/{playbook}, "
                            "/v1/decide/{playbook}/batch, /v1/playbooks, /v1/playbooks/{id}, "
                            "/healthz, /readyz, /metrics)",
                            url);
    bool decide = rq->route == R_DECIDE || rq->route == R_BATCH;
    if (decide ? !post : !get)
        return answer_error(s, conn, MHD_HTTP_METHOD_NOT_ALLOWED, ERR_METHOD,
                            decide ? "POST" : "GET, HEAD", "%s takes %s, not %.20s", url,
                            decide ? "POST" : "GET", method);
    if (atomic_load(&s->connections) > s->max_conn)
        return answer_error(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, ERR_OVER_CAPACITY, NULL,
                            "over %ld connections (--max-connections); try again", s->max_conn);
    if (s->token && strncmp(url, "/v1/", 4) == 0 && !token_ok(s, conn))
        return answer_error(s, conn, MHD_HTTP_UNAUTHORIZED, ERR_UNAUTHORIZED, NULL,
                            "this service needs 'Authorization: Bearer TOKEN' with its token");
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > s->max_body)
        return answer_error(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, ERR_TOO_LARGE, NULL,
                            "the body is over %zu bytes (--max-body)", s->max_body);
    return MHD_YES; /* answered once the body (if any) is read: the connection stays open */
}

/* GET and HEAD */
static enum MHD_Result show(server *s, struct MHD_Connection *conn, request *rq)
{
    switch (rq->route) {
    case R_HEALTH: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "ok");
        return answer_json(s, conn, MHD_HTTP_OK, o, NULL);
    }
    case R_READY: {
        if (atomic_load(&s->stopping))
            return answer_error(s, conn, MHD_HTTP_SERVICE_UNAVAILABLE, ERR_STOPPING, NULL,
                                "the service is stopping");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "status", "ready");
        cJSON_AddNumberToObject(o, "playbooks", (double)lw_registry_count(s->reg));
        return answer_json(s, conn, MHD_HTTP_OK, o, NULL);
    }
    case R_METRICS:
        return show_metrics(s, conn);
    case R_LIST:
        return list_playbooks(s, conn);
    default:
        return show_playbook(s, conn, rq->id);
    }
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    server *s = cls;
    request *rq = *con_cls;
    if (!rq) {
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *con_cls = rq;
        atomic_fetch_add(&s->inflight, 1);
        rq->route = route_of(url, &rq->id);
        return first_call(s, conn, rq, url, method);
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (rq->too_large || rq->len + n > s->max_body) {
            rq->too_large = true; /* read and dropped; answered 413 at the end */
            return MHD_YES;
        }
        if (rq->len + n + 1 > rq->cap) {
            size_t cap = rq->cap ? rq->cap : 4096;
            while (cap < rq->len + n + 1)
                cap *= 2;
            char *p = realloc(rq->body, cap);
            if (!p)
                return MHD_NO;
            rq->body = p;
            rq->cap = cap;
        }
        memcpy(rq->body + rq->len, upload, n);
        rq->len += n;
        rq->body[rq->len] = 0;
        return MHD_YES;
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci)
        deadline_answering(ci->socket_context);
    if (rq->too_large)
        return answer_error(s, conn, MHD_HTTP_CONTENT_TOO_LARGE, ERR_TOO_LARGE, NULL,
                            "the body is over %zu bytes (--max-body)", s->max_body);
    if (rq->route == R_DECIDE || rq->route == R_BATCH)
        return decide(s, conn, rq, rq->route == R_BATCH);
    return show(s, conn, rq);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    request *rq = *con_cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (ci && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
        deadline_answered(ci->socket_context);
    if (!rq)
        return;
    free(rq->id);
    free(rq->body);
    free(rq);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

static void connection_event(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                             enum MHD_ConnectionNotificationCode toe)
{
    server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_ctx = ci ? deadline_open(s->dl, ci->connect_fd) : NULL;
        atomic_fetch_add(&s->connections, 1);
    } else {
        deadline_close(s->dl, *socket_ctx);
        *socket_ctx = NULL;
        atomic_fetch_sub(&s->connections, 1);
    }
}

/* ======================================================================
** Reloading: SIGHUP and inotify
*/
static void reload_one(server *s, size_t i, const char *why)
{
    const char *id = lw_registry_id(s->reg, i);
    char msg[2048];
    int rc = lw_registry_reload(s->reg, id, msg, sizeof msg);
    const lw_playbook *pb = lw_registry_acquire(s->reg, id);
    if (rc == LW_OK)
        fprintf(stderr, "leeway serve: %s: reloaded %s %s (%s)\n", why, id,
                lw_playbook_version(pb), lw_playbook_digest(pb));
    else
        fprintf(stderr, "leeway serve: %s: reloading %s failed; version %s keeps serving:\n%s\n",
                why, id, lw_playbook_version(pb), msg);
    lw_registry_release(s->reg, pb);
}

/* A file some playbook was built from: its folder's watch and its name; or
** (name NULL) the folder a symlinked file really lives in, which a
** deployment that swaps a symlink (a Kubernetes ConfigMap) deletes. */
typedef struct watch {
    int wd;
    char *name;
    size_t playbook;
} watch;

typedef struct watches {
    int fd;
    watch *w;
    size_t n;
} watches;

/* Add a watch on folder `dir` (name: the file in it, or NULL for the folder
** itself); a message on stderr when it cannot be. */
static void add_watch(watches *ws, const char *dir, const char *name, size_t playbook)
{
    uint32_t mask = name ? IN_CLOSE_WRITE | IN_MOVED_TO : IN_DELETE_SELF | IN_MOVE_SELF;
    int wd = inotify_add_watch(ws->fd, dir, mask | IN_MASK_ADD);
    watch *w = realloc(ws->w, (ws->n + 1) * sizeof *w);
    if (w)
        ws->w = w;
    char *copy = name ? strdup(name) : NULL;
    if (wd < 0 || !w || (name && !copy)) {
        fprintf(stderr, "leeway serve: cannot watch %s for changes: %s (SIGHUP still reloads)\n",
                dir, wd < 0 ? strerror(errno) : "out of memory");
        free(copy);
        return;
    }
    w[ws->n++] = (watch){wd, copy, playbook};
}

/* Watch the folder of every source of every playbook (editors and deploys
** replace files by renaming, which only the folder sees), and the real
** folder of a source reached through a symlink into another folder. */
static void watch_sources(server *s, watches *ws)
{
    for (size_t k = 0; k < ws->n; k++)
        free(ws->w[k].name);
    ws->n = 0;
    for (size_t i = 0; i < lw_registry_count(s->reg); i++) {
        lw_registry_status st;
        const char *id = lw_registry_id(s->reg, i);
        const lw_playbook *pb = lw_registry_acquire(s->reg, id);
        if (!pb || lw_registry_status_get(s->reg, id, &st) != LW_OK) {
            lw_registry_release(s->reg, pb);
            continue;
        }
        const char *slash = strrchr(st.path, '/');
        int dirlen = slash ? (int)(slash - st.path) : 1;
        const char *dir = slash ? st.path : ".";
        for (size_t j = 0; j < lw_playbook_source_count(pb); j++) {
            char full[4096];
            snprintf(full, sizeof full, "%.*s/%s", dirlen, dir, lw_playbook_source_path(pb, j));
            char *real = realpath(full, NULL);
            char *base = strrchr(full, '/');
            *base++ = 0;
            add_watch(ws, full, base, i);
            char *real_dir = realpath(full, NULL);
            char *real_slash = real ? strrchr(real, '/') : NULL;
            if (real_slash && real_dir) {
                *real_slash = 0;
                if (strcmp(real, real_dir) != 0)
                    add_watch(ws, real, NULL, i);
            }
            free(real);
            free(real_dir);
        }
        lw_registry_release(s->reg, pb);
    }
}

/* Read inotify events until the files have been quiet for 50 ms, then
** reload each playbook one of whose files changed. */
static void files_changed(server *s, watches *ws)
{
    size_t n = lw_registry_count(s->reg);
    bool *hit = calloc(n ? n : 1, 1);
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    struct pollfd p = {ws->fd, POLLIN, 0};
    do {
        ssize_t len = read(ws->fd, buf, sizeof buf);
        for (char *q = buf; len > 0 && q < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)q;
            for (size_t k = 0; hit && k < ws->n; k++)
                if (ws->w[k].wd == ev->wd &&
                    (ws->w[k].name ? ev->len && strcmp(ws->w[k].name, ev->name) == 0
                                   : (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0))
                    hit[ws->w[k].playbook] = true;
            q += sizeof *ev + ev->len;
        }
    } while (poll(&p, 1, 50) > 0);
    bool any = false;
    for (size_t i = 0; hit && i < n; i++)
        if (hit[i]) {
            reload_one(s, i, "a file changed");
            any = true;
        }
    free(hit);
    if (any)
        watch_sources(s, ws);
}

/* ======================================================================
** Start and stop
*/
static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *p = malloc(65537);
    size_t n = p ? fread(p, 1, 65536, f) : 0;
    fclose(f);
    if (p)
        p[n] = 0;
    *len = n;
    return p;
}

static int parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host)
        return -1;
    size_t hl = (size_t)(colon - spec);
    const char *h = spec;
    if (spec[0] == '[' && colon[-1] == ']') {
        h++;
        hl -= 2;
    }
    memcpy(host, h, hl);
    host[hl] = 0;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
        return -1;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *v6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

static bool size_arg(const char *flag, const char *v, unsigned long long min,
                     unsigned long long max, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x < min || x > max || v[0] == '-') {
        fprintf(stderr, "leeway serve: %s takes a whole number from %llu to %llu\n", flag, min,
                max);
        return false;
    }
    *out = x;
    return true;
}

int cmd_serve(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8181", *log_path = NULL, *token_file = NULL;
    const char *tls_cert = NULL, *tls_key = NULL;
    unsigned long long max_body = 1 << 20, max_conn = 1024, timeout = 10, threads = 0;
    unsigned long long log_buffer = 8 << 20, log_wait = 1000;
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t n_paths = 0;
    server s;
    memset(&s, 0, sizeof s);
    lw_options_init(&s.eopt);
    int status = EXIT_USAGE;
    if (!paths)
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int b = parse_budget_flag(argc, argv, &i, &s.eopt);
        if (b < 0)
            goto out;
        if (b > 0)
            continue;
        bool ok = true, takes = true;
        if (strcmp(a, "--listen") == 0 && v)
            listen = v;
        else if (strcmp(a, "--log") == 0 && v)
            log_path = v;
        else if (strcmp(a, "--token-file") == 0 && v)
            token_file = v;
        else if (strcmp(a, "--tls-cert") == 0 && v)
            tls_cert = v;
        else if (strcmp(a, "--tls-key") == 0 && v)
            tls_key = v;
        else if (strcmp(a, "--max-body") == 0)
            ok = size_arg(a, v, 1, (size_t)1 << 30, &max_body);
        else if (strcmp(a, "--max-connections") == 0)
            ok = size_arg(a, v, 1, 100000, &max_conn);
        else if (strcmp(a, "--timeout") == 0)
            ok = size_arg(a, v, 1, 86400, &timeout);
        else if (strcmp(a, "--threads") == 0)
            ok = size_arg(a, v, 1, 256, &threads);
        else if (strcmp(a, "--log-buffer") == 0)
            ok = size_arg(a, v, 65536, (size_t)1 << 32, &log_buffer);
        else if (strcmp(a, "--log-wait") == 0)
            ok = size_arg(a, v, 0, 60000, &log_wait);
        else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "leeway serve: unknown option '%s' (or it needs a value)\n%s", a,
                    SERVE_USAGE);
            goto out;
        } else {
            paths[n_paths++] = a;
            takes = false;
        }
        if (!ok)
            goto out;
        if (takes)
            i++;
    }
    if (n_paths == 0 || (!tls_cert != !tls_key)) {
        if (tls_cert || tls_key)
            fputs("leeway serve: --tls-cert and --tls-key go together\n", stderr);
        fputs(SERVE_USAGE, stderr);
        goto out;
    }
    struct sockaddr_storage addr;
    bool v6 = false;
    if (parse_listen(listen, &addr, &v6) != 0) {
        fprintf(stderr, "leeway serve: --listen takes ADDR:PORT, like 127.0.0.1:8181 or "
                        "[::1]:8181 (got '%s')\n",
                listen);
        goto out;
    }
    s.max_body = (size_t)max_body;
    s.max_conn = (long)max_conn;
    if (token_file) {
        size_t len;
        s.token = read_small_file(token_file, &len);
        while (s.token && len > 0 && (s.token[len - 1] == '\n' || s.token[len - 1] == '\r' ||
                                      s.token[len - 1] == ' '))
            s.token[--len] = 0;
        s.token_len = len;
        if (!s.token || len == 0) {
            fprintf(stderr, "leeway serve: cannot read a token from '%s'%s%s\n", token_file,
                    s.token ? "" : ": ", s.token ? " (it is empty)" : strerror(errno));
            goto out;
        }
    }
    char *cert = NULL, *key = NULL;
    if (tls_cert) {
        size_t l1, l2;
        cert = read_small_file(tls_cert, &l1);
        key = read_small_file(tls_key, &l2);
        if (!cert || !key || MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            fprintf(stderr, "leeway serve: %s\n",
                    !cert || !key ? "cannot read --tls-cert or --tls-key"
                                  : "this libmicrohttpd has no TLS support");
            free(cert);
            free(key);
            goto out;
        }
    }

    /* 1,000 connections need more descriptors than the usual soft limit */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    s.reg = lw_registry_new(&s.eopt);
    s.m = metrics_new();
    s.dl = deadlines_new((unsigned)timeout);
    if (!s.reg || !s.m || !s.dl) {
        fputs("leeway serve: out of memory\n", stderr);
        goto stop_early;
    }
    for (size_t i = 0; i < n_paths; i++) {
        char msg[4096];
        if (lw_registry_add(s.reg, paths[i], msg, sizeof msg) != LW_OK) {
            fprintf(stderr, "%s\nleeway serve: cannot serve %s\n", msg, paths[i]);
            goto stop_early;
        }
    }

    /* signals go to the main thread's signalfd: block them before any
    ** thread starts, so every thread inherits the mask */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
    watches ws = {inotify_init1(IN_CLOEXEC | IN_NONBLOCK), NULL, 0};
    if (ws.fd < 0)
        fprintf(stderr, "leeway serve: no inotify (%s): reload with SIGHUP\n", strerror(errno));
    else
        watch_sources(&s, &ws);

    if (log_path && !(s.log = dlog_open(log_path, (size_t)log_buffer, (long)log_wait)))
        goto stop_watches;
    if (pthread_key_create(&s.engine_key, engine_free) != 0)
        goto stop_watches;

    if (threads == 0) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        threads = ncpu > 0 ? (unsigned long long)ncpu : 2;
    }
    /* poll(), not epoll: libmicrohttpd 0.9.75 in epoll mode reads at most
    ** 128 events at a time and, when exactly 128 come at once, waits for
    ** the next event (or its idle timeout) before answering them: 128
    ** requests arriving together stalled for --timeout seconds
    ** (tests/serve/run, "128 requests at once") */
    unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_ITC;
    if (v6)
        flags |= MHD_USE_IPv6;
    if (cert)
        flags |= MHD_USE_TLS;
    /* connections past --max-connections are answered 503 up to this many
    ** more; past it libmicrohttpd accepts none until one closes (they wait
    ** in the listen queue) */
    unsigned hard = (unsigned)(max_conn + max_conn / 8 + 16);
    struct MHD_OptionItem tls_opts[] = {
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, &s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, hard,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)timeout, MHD_OPTION_NOTIFY_COMPLETED,
        completed, &s, MHD_OPTION_NOTIFY_CONNECTION, connection_event, &s, MHD_OPTION_ARRAY,
        tls_opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "leeway serve: cannot listen on %s: %s\n", listen,
                errno ? strerror(errno) : "libmicrohttpd refused the settings");
        pthread_key_delete(s.engine_key);
        goto stop_watches;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    char where[300];
    snprintf(where, sizeof where, "%.*s:%u", (int)(strrchr(listen, ':') - listen), listen,
             info ? (unsigned)info->port : 0);
    fprintf(stderr, "leeway serve: listening on %s://%s (", cert ? "https" : "http", where);
    for (size_t i = 0; i < lw_registry_count(s.reg); i++) {
        const lw_playbook *pb = lw_registry_acquire(s.reg, lw_registry_id(s.reg, i));
        fprintf(stderr, "%s%s %s", i ? ", " : "", lw_playbook_id(pb), lw_playbook_version(pb));
        lw_registry_release(s.reg, pb);
    }
    fprintf(stderr, ")%s%s\n", log_path ? "; decision log " : "", log_path ? log_path : "");

    for (;;) {
        struct pollfd p[2] = {{sfd, POLLIN, 0}, {ws.fd, POLLIN, 0}};
        if (poll(p, ws.fd >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR)
            break;
        deadlines_sweep(s.dl);
        if (ws.fd >= 0 && (p[1].revents & POLLIN))
            files_changed(&s, &ws);
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si;
        if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
            continue;
        if (si.ssi_signo == SIGHUP) {
            for (size_t i = 0; i < lw_registry_count(s.reg); i++)
                reload_one(&s, i, "SIGHUP");
            if (ws.fd >= 0)
                watch_sources(&s, &ws);
        } else if (si.ssi_signo == SIGUSR1) {
            if (s.log) {
                dlog_reopen(s.log);
                fprintf(stderr, "leeway serve: SIGUSR1: reopening the decision log %s\n",
                        log_path);
            }
        } else {
            fprintf(stderr, "leeway serve: %s: stopping; answering the requests in flight\n",
                    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            break;
        }
    }

    /* stop accepting; requests in flight (and any that keep-alive
    ** connections send meanwhile, answered with Connection: close) finish */
    atomic_store(&s.stopping, true);
    MHD_socket lfd = MHD_quiesce_daemon(d);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    for (long waited = 0; atomic_load(&s.inflight) > 0 && waited < (long)timeout * 1000 + 1000;
         waited += 10) {
        struct timespec ts = {0, 10000000L};
        nanosleep(&ts, NULL);
    }
    MHD_stop_daemon(d);
    pthread_key_delete(s.engine_key);
    status = EXIT_DONE;
    if (s.log) {
        size_t lost = dlog_close(s.log);
        s.log = NULL;
        if (lost)
            status = EXIT_FAILED;
    }
    fprintf(stderr, "leeway serve: stopped\n");
stop_watches:
    if (ws.fd >= 0)
        close(ws.fd);
    for (size_t k = 0; k < ws.n; k++)
        free(ws.w[k].name);
    free(ws.w);
    if (sfd >= 0)
        close(sfd);
    dlog_close(s.log);
stop_early:
    free(cert);
    free(key);
    lw_registry_free(s.reg);
    metrics_free(s.m);
    deadlines_free(s.dl);
out:
    free(s.token);
    free(paths);
    return status;
}
