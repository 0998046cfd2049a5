/*
** replay.c -- `leeway replay PLAYBOOK INPUT.jsonl`: decide every line (a bare
** case or a decision-log record) and summarise what changed.
**
** The pipeline: the main thread reads the input into batches of lines, N
** workers decide batches (each with its own engines and cases on the shared
** playbooks), and a writer thread writes the decisions of each batch in input
** order. Batches live in a ring of fixed size, so memory stays flat whatever
** the input's size: the reader waits for the writer to free a slot. Each
** worker counts into its own summary (lw_replay); they are merged at the end.
*/
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { BATCH_LINES = 1024, BATCH_BYTES = 512 * 1024, MAX_EXAMPLES = 5 };
enum { SLOT_FREE, SLOT_FILLED, SLOT_CLAIMED, SLOT_DONE };

typedef struct line_ref {
    size_t off, len;
    size_t too_long; /* the line's length when over --max-line (its text dropped) */
} line_ref;

typedef struct batch {
    int state;
    long first; /* input line number of the first line */
    char *in;
    size_t in_len, in_cap;
    line_ref *lines;
    size_t n;
    char *out;
    size_t out_len, out_cap;
    size_t changed;
} batch;

typedef struct replay_run {
    /* settings */
    const lw_playbook *pb, *old;
    const char *input_name;
    lw_options eopt;
    size_t max_line;
    int threads;
    /* the pipeline */
    pthread_mutex_t mu;
    pthread_cond_t to_work, to_write, to_read; /* a slot filled, done, free */
    batch *ring;
    size_t slots;
    long next_fill, next_claim, next_write; /* batch sequence numbers */
    bool eof;
    int out_fd;
    bool out_broken; /* the output was closed (EPIPE): stop quietly */
    bool failed;     /* out of memory or a write error */
    const char *fail_msg;
    /* progress */
    size_t done_lines;
    off_t in_size, in_read;
    bool progress;
} replay_run;

static atomic_int interrupted; /* lock-free: written by the signal handler */

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* ======================================================================
** cJSON's memory: the program may set its hooks (the library must not).
** Each worker parses its lines into a thread-local block that is emptied per
** line, so reading a case does not call malloc and free once per JSON node.
*/
typedef struct bump {
    char *base;
    size_t used, cap;
} bump;

static _Thread_local bump tl_bump;

static void *bump_alloc(size_t n)
{
    bump *b = &tl_bump;
    n = (n + 15) & ~(size_t)15;
    if (b->base && b->cap - b->used >= n) {
        void *p = b->base + b->used;
        b->used += n;
        return p;
    }
    return malloc(n);
}

static void bump_free(void *p)
{
    bump *b = &tl_bump;
    if (b->base && (char *)p >= b->base && (char *)p < b->base + b->cap)
        return; /* freed with the block */
    free(p);
}

/* Stop every thread of the run (called with R->mu held). */
static void fail_run(replay_run *R, const char *why)
{
    R->failed = true;
    R->fail_msg = why;
    pthread_cond_broadcast(&R->to_work);
    pthread_cond_broadcast(&R->to_write);
    pthread_cond_broadcast(&R->to_read);
}

/* ======================================================================
** Workers
*/

/* A problem message from the reader, placed at the input line: the reader
** names the text "" and positions it at line 1 of that one line. */
static void line_problem(replay_run *R, lw_case *c, long line, const char *msg)
{
    char buf[1024];
    if (strncmp(msg, ":1:", 3) == 0)
        snprintf(buf, sizeof buf, "%s:%ld%s", R->input_name, line, msg + 2);
    else
        snprintf(buf, sizeof buf, "%s:%ld: %s", R->input_name, line,
                 msg[0] == ':' ? msg + 2 : msg);
    lw_case_reset(c);
    lw_case_add_problem(c, buf);
}

static bool out_put(batch *b, const char *s, size_t n)
{
    if (b->out_len + n + 1 > b->out_cap) {
        size_t cap = b->out_cap ? b->out_cap : 65536;
        while (b->out_len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->out, cap);
        if (!p)
            return false;
        b->out = p;
        b->out_cap = cap;
    }
    memcpy(b->out + b->out_len, s, n);
    b->out_len += n;
    return true;
}

/* Read one line into c (and, with --against, into co): the case, the
** record's role, and the logged decision when there is no old playbook. */
static void read_line(replay_run *R, lw_engine *eo, lw_case *c, lw_case *co, long line,
                      const char *text, const line_ref *l, const lw_decision **logged,
                      const char **role)
{
    *logged = NULL;
    *role = NULL;
    lw_case_reset(c);
    if (co)
        lw_case_reset(co);
    char msg[160];
    if (l->too_long) {
        snprintf(msg, sizeof msg,
                 "the line is %zu bytes long, over the limit of %zu (raise it with --max-line)",
                 l->too_long, R->max_line);
        line_problem(R, c, line, msg);
        if (co)
            line_problem(R, co, line, msg);
        return;
    }
    tl_bump.used = 0;
    const char *err = NULL;
    lw_log_read(eo, c, co, "", text, l->len, co ? NULL : logged, role, &err);
    if (err) {
        line_problem(R, c, line, err);
        if (co)
            line_problem(R, co, line, err);
        *logged = NULL;
        *role = NULL;
    }
}

typedef struct worker {
    replay_run *R;
    lw_replay *sum;
    pthread_t tid;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    replay_run *R = w->R;
    lw_engine *en = lw_engine_new(&R->eopt), *eo = lw_engine_new(&R->eopt);
    lw_case *c = lw_case_new(R->pb), *co = R->old ? lw_case_new(R->old) : NULL;
    tl_bump.cap = 64 * 1024;
    tl_bump.base = malloc(tl_bump.cap);
    bool ok = en && eo && c && (co || !R->old) && tl_bump.base;
    for (;;) {
        pthread_mutex_lock(&R->mu);
        batch *b = NULL;
        while (ok && !R->failed) {
            b = &R->ring[R->next_claim % (long)R->slots];
            if (b->state == SLOT_FILLED)
                break;
            b = NULL;
            if (R->eof && R->next_claim == R->next_fill)
                break;
            pthread_cond_wait(&R->to_work, &R->mu);
        }
        if (!ok && !R->failed)
            fail_run(R, "out of memory");
        if (!b) {
            pthread_mutex_unlock(&R->mu);
            break;
        }
        b->state = SLOT_CLAIMED;
        R->next_claim++;
        pthread_mutex_unlock(&R->mu);

        b->out_len = 0;
        b->changed = 0;
        for (size_t i = 0; i < b->n && ok; i++) {
            const line_ref *l = &b->lines[i];
            long line = b->first + (long)i;
            const lw_decision *logged, *before = NULL, *after;
            const char *role;
            read_line(R, eo, c, co, line, b->in + l->off, l, &logged, &role);
            lw_decide_options opt = {role, 0};
            if (co) {
                ok = lw_decide(eo, R->old, co, &opt, &before) == LW_OK;
            } else {
                before = logged;
            }
            ok = ok && lw_decide(en, R->pb, c, &opt, &after) == LW_OK;
            size_t jl = 0;
            const char *json = ok ? lw_decision_json(en, after, 0, &jl) : NULL;
            ok = json && out_put(b, json, jl) && out_put(b, "\n", 1);
            int ch = ok ? lw_replay_add(w->sum, line, before, after, c) : -1;
            ok = ch >= 0;
            b->changed += ch == 1;
        }
        pthread_mutex_lock(&R->mu);
        b->state = SLOT_DONE;
        if (!ok && !R->failed)
            fail_run(R, "out of memory");
        pthread_cond_signal(&R->to_write);
        pthread_mutex_unlock(&R->mu);
    }
    free(tl_bump.base);
    tl_bump.base = NULL;
    lw_case_free(c);
    lw_case_free(co);
    lw_engine_free(en);
    lw_engine_free(eo);
    return NULL;
}

/* ======================================================================
** The writer: batches in input order
*/
static void show_progress(size_t done, off_t in_read, off_t in_size, double started, bool last)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double t = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - started;
    double rate = t > 0 ? (double)done / t : 0;
    char left[64] = "";
    double eta = in_size > 0 && in_read > 0 && in_read < in_size
                     ? t * (double)(in_size - in_read) / (double)in_read
                     : 0;
    if (t > 0.5 && eta >= 1)
        snprintf(left, sizeof left, ", about %.0f s left", eta);
    fprintf(stderr, "\r\033[K%zu cases, %.0f cases/s%s", done, rate, left);
    if (last)
        fputs("\r\033[K", stderr);
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void *write_batches(void *arg)
{
    replay_run *R = arg;
    double started = mono_now(), shown = started;
    for (;;) {
        pthread_mutex_lock(&R->mu);
        batch *b = NULL;
        while (!R->failed) {
            b = &R->ring[R->next_write % (long)R->slots];
            if (b->state == SLOT_DONE)
                break;
            b = NULL;
            if (R->eof && R->next_write == R->next_fill)
                break;
            pthread_cond_wait(&R->to_write, &R->mu);
        }
        pthread_mutex_unlock(&R->mu);
        if (!b)
            break;
        if (R->out_fd >= 0 && !R->out_broken && !write_all(R->out_fd, b->out, b->out_len)) {
            int err = errno;
            pthread_mutex_lock(&R->mu);
            if (err == EPIPE)
                R->out_broken = true; /* the reader stops at its next batch */
            else if (!R->failed)
                fail_run(R, strerror(err));
            pthread_mutex_unlock(&R->mu);
        }
        pthread_mutex_lock(&R->mu);
        R->done_lines += b->n;
        size_t done = R->done_lines;
        off_t in_read = R->in_read;
        b->state = SLOT_FREE;
        R->next_write++;
        pthread_cond_signal(&R->to_read);
        pthread_mutex_unlock(&R->mu);
        if (R->progress && mono_now() - shown > 0.25) {
            shown = mono_now();
            show_progress(done, in_read, R->in_size, started, false);
        }
    }
    if (R->progress)
        show_progress(R->done_lines, R->in_read, R->in_size, started, true);
    return NULL;
}

/* ======================================================================
** The reader (main thread)
*/
typedef struct reader {
    int fd;
    char *buf;
    size_t cap, start, end;
    bool eof;
} reader;

/* The next line: 1 with *p and *n (without its '\n'), or with *too_long set to
** its length when it is over max (its text skipped); 0 at the end; -1 on a
** read error. */
static int next_line(reader *rd, size_t max, const char **p, size_t *n, size_t *too_long)
{
    size_t skipped = 0;
    *too_long = 0;
    for (;;) {
        char *nl = memchr(rd->buf + rd->start, '\n', rd->end - rd->start);
        if (nl) {
            size_t len = (size_t)(nl - (rd->buf + rd->start));
            *p = rd->buf + rd->start;
            *n = len;
            rd->start += len + 1;
            if (skipped || len > max) {
                *too_long = skipped + len;
                *n = 0;
            }
            return 1;
        }
        if (rd->eof) {
            if (rd->start == rd->end && !skipped)
                return 0;
            size_t len = rd->end - rd->start;
            *p = rd->buf + rd->start;
            *n = len;
            rd->start = rd->end;
            if (skipped || len > max) {
                *too_long = skipped + len;
                *n = 0;
            }
            return 1;
        }
        /* make room: move the partial line to the front, or drop it when it
        ** is already over the limit */
        if (rd->end - rd->start > max) {
            skipped += rd->end - rd->start;
            rd->start = rd->end = 0;
        } else if (rd->start > 0) {
            memmove(rd->buf, rd->buf + rd->start, rd->end - rd->start);
            rd->end -= rd->start;
            rd->start = 0;
        }
        ssize_t k = read(rd->fd, rd->buf + rd->end, rd->cap - rd->end);
        if (k < 0 && errno == EINTR) {
            if (interrupted)
                return 0;
            continue;
        }
        if (k < 0)
            return -1;
        if (k == 0)
            rd->eof = true;
        rd->end += (size_t)k;
    }
}

/* Copy a line into the batch. */
static bool batch_add(batch *b, const char *p, size_t n, size_t too_long)
{
    if (b->in_len + n + 1 > b->in_cap) {
        size_t cap = b->in_cap ? b->in_cap : BATCH_BYTES + 4096;
        while (b->in_len + n + 1 > cap)
            cap *= 2;
        char *q = realloc(b->in, cap);
        if (!q)
            return false;
        b->in = q;
        b->in_cap = cap;
    }
    memcpy(b->in + b->in_len, p, n);
    b->in[b->in_len + n] = 0;
    b->lines[b->n] = (line_ref){b->in_len, n, too_long};
    b->in_len += n + 1;
    b->n++;
    return true;
}

/* Read the input into batches; returns false on a read error. */
static bool read_input(replay_run *R, reader *rd)
{
    long line = 1;
    bool more = true, ok = true;
    while (more) {
        pthread_mutex_lock(&R->mu);
        batch *b = &R->ring[R->next_fill % (long)R->slots];
        while (b->state != SLOT_FREE && !R->failed && !R->out_broken)
            pthread_cond_wait(&R->to_read, &R->mu);
        bool stop = R->failed || R->out_broken;
        pthread_mutex_unlock(&R->mu);
        if (stop)
            break;
        b->n = 0;
        b->in_len = 0;
        b->first = line;
        while (b->n < BATCH_LINES && b->in_len < BATCH_BYTES) {
            const char *p;
            size_t n, too_long;
            int r = interrupted ? 0 : next_line(rd, R->max_line, &p, &n, &too_long);
            if (r <= 0) {
                more = false;
                ok = r == 0;
                break;
            }
            if (!batch_add(b, p, n, too_long)) {
                more = false;
                ok = false;
                break;
            }
            line++;
        }
        pthread_mutex_lock(&R->mu);
        R->in_read = (off_t)(R->in_read + (off_t)b->in_len);
        if (b->n) {
            b->state = SLOT_FILLED;
            R->next_fill++;
            pthread_cond_signal(&R->to_work);
        }
        pthread_mutex_unlock(&R->mu);
    }
    pthread_mutex_lock(&R->mu);
    R->eof = true;
    pthread_cond_broadcast(&R->to_work);
    pthread_cond_signal(&R->to_write);
    pthread_mutex_unlock(&R->mu);
    return ok;
}

/* ======================================================================
** The command
*/
static int usage(void)
{
    fputs("usage: leeway replay PLAYBOOK INPUT.jsonl|- [--against OLD_PLAYBOOK] [-j THREADS]\n"
          "         [-o DECISIONS.jsonl] [--format text|json] [--fail-on-change]\n"
          "         [--max-line BYTES] " BUDGET_USAGE "\n",
          stderr);
    return EXIT_USAGE;
}

static bool parse_size(const char *s, long long lo, long long hi, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!end || *end || errno || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int cmd_replay(int argc, char **argv)
{
    const char *pb_path = NULL, *in_path = NULL, *old_path = NULL, *out_path = NULL;
    const char *format = "text";
    int fail_on_change = 0;
    long long threads = sysconf(_SC_NPROCESSORS_ONLN), max_line = 1 << 20;
    replay_run R;
    memset(&R, 0, sizeof R);
    lw_options_init(&R.eopt);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int b = parse_budget_flag(argc, argv, &i, &R.eopt);
        if (b < 0)
            return EXIT_USAGE;
        if (b > 0)
            continue;
        if (strcmp(a, "--against") == 0 && i + 1 < argc) {
            old_path = argv[++i];
        } else if (strcmp(a, "-o") == 0 && i + 1 < argc) {
            out_path = argv[++i];
        } else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strcmp(a, "-j") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], 1, 256, &threads)) {
                fprintf(stderr, "leeway replay: -j takes a number of threads from 1 to 256 "
                                "(got '%s')\n",
                        argv[i]);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--max-line") == 0 && i + 1 < argc) {
            if (!parse_size(argv[++i], 2, 16 << 20, &max_line)) {
                fprintf(stderr, "leeway replay: --max-line takes a number of bytes from 2 to "
                                "16777216 (got '%s')\n",
                        argv[i]);
                return EXIT_USAGE;
            }
        } else if (strcmp(a, "--fail-on-change") == 0) {
            fail_on_change = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "leeway replay: unknown option '%s' (or it needs a value)\n", a);
            return usage();
        } else if (!pb_path) {
            pb_path = a;
        } else if (!in_path) {
            in_path = a;
        } else {
            fprintf(stderr, "leeway replay: too many arguments ('%s')\n", a);
            return usage();
        }
    }
    if (!pb_path || !in_path)
        return usage();
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "leeway replay: --format is text or json (got '%s')\n", format);
        return EXIT_USAGE;
    }
    if (threads < 1)
        threads = 1;

    int in_fd = strcmp(in_path, "-") == 0 ? 0 : open(in_path, O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) {
        fprintf(stderr, "leeway replay: cannot read '%s': %s\n", in_path, strerror(errno));
        return EXIT_USAGE;
    }
    struct stat st;
    if (fstat(in_fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "leeway replay: '%s' is a folder; give a file of JSON lines\n", in_path);
        close(in_fd);
        return EXIT_USAGE;
    }
    R.in_size = S_ISREG(st.st_mode) ? st.st_size : 0;
    bool out_is_stdout = out_path && strcmp(out_path, "-") == 0;
    R.out_fd = !out_path ? -1
               : out_is_stdout
                   ? 1
                   : open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out_path && R.out_fd < 0) {
        fprintf(stderr, "leeway replay: cannot write '%s': %s\n", out_path, strerror(errno));
        if (in_fd)
            close(in_fd);
        return EXIT_USAGE;
    }

    int status = EXIT_USAGE;
    lw_playbook *pb = load_playbook(pb_path);
    lw_playbook *old = pb && old_path ? load_playbook(old_path) : NULL;
    lw_replay *total = lw_replay_new(NULL, MAX_EXAMPLES);
    worker *ws = calloc((size_t)threads, sizeof *ws);
    /* room for every worker's batch, one being read, one being written, and
    ** a few decided ahead of the writer: about 1 MiB each */
    R.slots = (size_t)threads + 2 + (threads < 4 ? (size_t)threads : 4);
    R.ring = calloc(R.slots, sizeof *R.ring);
    for (size_t i = 0; R.ring && i < R.slots; i++)
        if (!(R.ring[i].lines = malloc(BATCH_LINES * sizeof *R.ring[i].lines)))
            R.failed = true;
    reader rd = {in_fd, malloc((size_t)max_line + 65536), (size_t)max_line + 65536, 0, 0, false};
    if (!pb || (old_path && !old))
        goto out;
    if (!total || !ws || !R.ring || R.failed || !rd.buf) {
        fputs("leeway replay: out of memory\n", stderr);
        goto out;
    }
    R.pb = pb;
    R.old = old;
    R.input_name = strcmp(in_path, "-") == 0 ? "<stdin>" : in_path;
    R.max_line = (size_t)max_line;
    R.threads = (int)threads;
    R.progress = isatty(2);
    pthread_mutex_init(&R.mu, NULL);
    pthread_cond_init(&R.to_work, NULL);
    pthread_cond_init(&R.to_write, NULL);
    pthread_cond_init(&R.to_read, NULL);

    cJSON_Hooks hooks = {bump_alloc, bump_free};
    cJSON_InitHooks(&hooks);
    struct sigaction sa, old_int, old_pipe;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint; /* no SA_RESTART: a blocked read returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);

    size_t started = 0;
    for (long long t = 0; t < threads; t++) {
        ws[t].R = &R;
        ws[t].sum = lw_replay_new(NULL, MAX_EXAMPLES);
        if (!ws[t].sum || pthread_create(&ws[t].tid, NULL, work, &ws[t]) != 0) {
            lw_replay_free(ws[t].sum);
            ws[t].sum = NULL;
            break;
        }
        started++;
    }
    pthread_t writer;
    bool writer_ok = started > 0 && pthread_create(&writer, NULL, write_batches, &R) == 0;
    bool read_ok = true;
    if (writer_ok) {
        read_ok = read_input(&R, &rd);
    } else {
        pthread_mutex_lock(&R.mu);
        fail_run(&R, "cannot start threads");
        R.eof = true;
        pthread_mutex_unlock(&R.mu);
    }
    for (size_t t = 0; t < started; t++)
        pthread_join(ws[t].tid, NULL);
    if (writer_ok)
        pthread_join(writer, NULL);
    for (size_t t = 0; t < started; t++)
        if (lw_replay_merge(total, ws[t].sum) != LW_OK)
            R.failed = true;
    sigaction(SIGINT, &old_int, NULL);
    cJSON_InitHooks(NULL);

    if (R.out_broken) {
        status = EXIT_DONE; /* `| head`: the reader has seen enough */
        sigaction(SIGPIPE, &old_pipe, NULL);
        goto out;
    }
    if (!read_ok) {
        fprintf(stderr, "leeway replay: cannot read '%s': %s\n", R.input_name, strerror(errno));
        goto out;
    }
    if (R.failed) {
        fprintf(stderr, "leeway replay: %s\n", R.fail_msg ? R.fail_msg : "out of memory");
        goto out;
    }
    if (R.out_fd > 2 && close(R.out_fd) != 0) {
        R.out_fd = -1;
        fprintf(stderr, "leeway replay: cannot write '%s': %s\n", out_path, strerror(errno));
        goto out;
    }
    R.out_fd = -1;
    size_t len = 0;
    const char *summary = strcmp(format, "json") == 0 ? lw_replay_json(total, &len)
                                                      : lw_replay_text(total, &len);
    if (!summary) {
        fputs("leeway replay: out of memory\n", stderr);
        goto out;
    }
    FILE *sf = out_is_stdout ? stderr : stdout;
    if (interrupted)
        fprintf(sf, "%s", strcmp(format, "json") == 0 ? "" : "interrupted: a partial summary\n");
    fwrite(summary, 1, len, sf);
    if (strcmp(format, "json") == 0)
        fputc('\n', sf);
    if ((fflush(sf) != 0 || ferror(sf)) && errno == EPIPE) {
        clearerr(sf); /* a reader that stopped reading is no failure */
        status = EXIT_DONE;
    } else if (interrupted)
        status = 130;
    else
        status = fail_on_change && lw_replay_changed(total) ? EXIT_FAILED : EXIT_DONE;
    sigaction(SIGPIPE, &old_pipe, NULL);
out:
    if (R.out_fd > 2)
        close(R.out_fd);
    if (in_fd > 0)
        close(in_fd);
    free(rd.buf);
    for (size_t i = 0; R.ring && i < R.slots; i++) {
        free(R.ring[i].in);
        free(R.ring[i].out);
        free(R.ring[i].lines);
    }
    free(R.ring);
    for (long long t = 0; ws && t < threads; t++)
        lw_replay_free(ws[t].sum);
    free(ws);
    lw_replay_free(total);
    lw_playbook_free(old);
    lw_playbook_free(pb);
    return status;
}
