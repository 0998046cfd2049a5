/*
** test_faults.c -- fault injection over every example playbook (SQLite's
** faultsim is the model).
**
** For each playbook under examples/ (its own folder: examples/NAME/ *.yaml)
** and one case (the first file of its cases/ folder, or else the case of its
** first test), the whole run -- load the playbook, make a case, read the
** case, make an engine, decide, write the decision's JSON -- is done once to
** count the allocations, then once for every N from 1 to that count with an
** allocator that refuses the Nth allocation (only that one; later ones
** succeed, so code that ignores a failure and carries on is caught).
**
** Every run must end with the first step that fails saying so: LW_ERR_NOMEM
** from a function that returns a code, NULL from a constructor (lw_case_new,
** lw_engine_new, lw_decision_json). A refusal is never absorbed silently,
** not even one the embedded Lua recovers from by collecting garbage. After
** each run every block is freed. The allocator checks that it is
** always given the true size of the block it frees or resizes (osize), and
** never frees a block it did not hand out. Under the sanitize build ASan,
** UBSan and LeakSanitizer watch the rest (libyaml and cJSON allocate with
** malloc, outside the hook: docs/embedding.md).
**
** The count of allocation points tried is printed per example. Shrinking
** reallocations are not failed (Lua relies on them succeeding), and so are
** not counted as points.
*/
#include "lw_test_util.h"

#include <dirent.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------------- */
/* The test allocator                                                     */

/* Each block carries a header with its size, so a free or resize can be
** checked against the osize the engine passes. */
typedef union blk_head {
    struct {
        size_t size;
        uint64_t magic;
    } h;
    max_align_t align;
} blk_head;

#define BLK_MAGIC 0x6c6565776179ULL /* "leeway" */

typedef struct fsim {
    long n;             /* allocation points so far (new blocks and growth) */
    long fail_at;       /* refuse the fail_at-th (1-based); 0: never */
    bool failed;        /* the refusal happened */
    long live;          /* blocks handed out and not freed */
    long bad_osize;     /* frees/resizes with a wrong osize */
    size_t first_bad_osize, first_bad_size;
} fsim;

/* A wrong osize fails the test; the first one is kept for the message. */
static void note_bad(fsim *s, size_t osize, size_t size)
{
    if (!s->bad_osize++) {
        s->first_bad_osize = osize;
        s->first_bad_size = size;
    }
}

static void *fsim_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    fsim *s = ud;
    blk_head *h = ptr ? (blk_head *)ptr - 1 : NULL;
    if (h) {
        assert_true(h->h.magic == BLK_MAGIC);
        if (h->h.size != osize)
            note_bad(s, osize, h->h.size);
    }
    if (nsize == 0) {
        if (h) {
            h->h.magic = 0;
            s->live--;
            free(h);
        }
        return NULL;
    }
    if (!h || nsize > h->h.size) {
        s->n++;
        if (s->n == s->fail_at) {
            s->failed = true;
            return NULL;
        }
    }
    blk_head *q = realloc(h, sizeof *q + nsize);
    if (!q)
        return NULL;
    if (!h)
        s->live++;
    q->h.size = nsize;
    q->h.magic = BLK_MAGIC;
    return q + 1;
}

/* ---------------------------------------------------------------------- */
/* One run                                                                */

typedef struct example {
    char name[64];
    char playbook[512];
    char case_file[512];  /* a case file, or "" */
    char *case_json;      /* else the case of the first test, as JSON */
} example;

/* Print where a run went wrong before the assertion stops the test. */
static void say(const example *ex, const fsim *s, const char *what)
{
    print_message("%s, allocation %ld refused: %s\n", ex->name, s->fail_at, what);
}

/* A step that returns a code: LW_OK, or LW_ERR_NOMEM when this run refused
** an allocation. */
static bool step_rc(const example *ex, const fsim *s, const char *step, int rc, const char *msg)
{
    if (rc == LW_OK)
        return true;
    if (rc != LW_ERR_NOMEM || !s->failed) {
        char why[600];
        snprintf(why, sizeof why, "%s returned %s%s%s", step, lw_errstr(rc), msg ? ": " : "",
                 msg ? msg : "");
        say(ex, s, why);
        fail();
    }
    return false;
}

/* A constructor: non-NULL, or NULL when this run refused an allocation. */
static bool step_ptr(const example *ex, const fsim *s, const char *step, const void *p)
{
    if (p)
        return true;
    if (!s->failed) {
        char why[200];
        snprintf(why, sizeof why, "%s returned NULL, but no allocation was refused", step);
        say(ex, s, why);
        fail();
    }
    return false;
}

/* Run every step; true if each succeeded. */
static bool run_once(const example *ex, fsim *s)
{
    lw_options o;
    lw_options_init(&o);
    o.alloc = fsim_alloc;
    o.alloc_ud = s;
    bool complete = false;

    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    lw_case *c = NULL;
    lw_engine *e = NULL;
    const char *msg = NULL;
    int rc = lw_playbook_load(ex->playbook, &o, &pb, &r);
    if (rc != LW_OK && r && rc != LW_ERR_NOMEM)
        tu_print_report(r);
    lw_report_free(r);
    if (!step_rc(ex, s, "lw_playbook_load", rc, NULL)) {
        assert_null(pb);
        goto done;
    }
    c = lw_case_new(pb);
    if (!step_ptr(ex, s, "lw_case_new", c))
        goto done;
    if (ex->case_file[0])
        rc = lw_case_read_file(c, ex->case_file, &msg);
    else
        rc = lw_case_read_json(c, "case.json", ex->case_json, strlen(ex->case_json), &msg);
    if (rc == LW_ERR_NOMEM)
        assert_non_null(msg); /* a message for people, even then */
    if (!step_rc(ex, s, "reading the case", rc, msg))
        goto done;
    e = lw_engine_new(&o);
    if (!step_ptr(ex, s, "lw_engine_new", e))
        goto done;
    const lw_decision *d = NULL;
    lw_decide_options dopt = {NULL, 1};
    rc = lw_decide(e, pb, c, &dopt, &d);
    if (!step_rc(ex, s, "lw_decide", rc, NULL)) {
        assert_null(d);
        goto done;
    }
    size_t len = 0;
    const char *json = lw_decision_json(e, d, LW_JSON_TRACE, &len);
    complete = step_ptr(ex, s, "lw_decision_json", json) && len == strlen(json);
done:
    lw_engine_free(e);
    lw_case_free(c);
    lw_playbook_free(pb);
    return complete;
}

/* ---------------------------------------------------------------------- */
/* The examples                                                           */

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in dir ending in suffix, sorted; the caller frees each and the array. */
static char **list_dir(const char *dir, const char *suffix, size_t *n)
{
    *n = 0;
    char **names = NULL;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t sl = strlen(suffix);
    for (struct dirent *de; (de = readdir(d));) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l <= sl || strcmp(de->d_name + l - sl, suffix) != 0)
            continue;
        names = realloc(names, (*n + 1) * sizeof *names);
        assert_non_null(names);
        names[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(names, *n, sizeof *names, cmp_str);
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The case of a playbook's first test, as JSON: read with the default
** allocator through the case reader the tests use, written out by
** lw_case_json (flat dotted paths, which read back as the same case). */
static char *first_test_case(const char *path)
{
    lw_playbook *pb = NULL;
    assert_int_equal(lw_playbook_load(path, NULL, &pb, NULL), LW_OK);
    lw_mem m;
    lw_mem_init(&m, NULL);
    arena a;
    arena_init(&a, &m);
    size_t len;
    const char *err = NULL;
    char *text = file_read(&a, path, (size_t)16 << 20, &len, &err);
    assert_non_null(text);
    lw_report *r = report_new(&m);
    yaml_limits lim;
    yaml_limits_from(&lim, NULL);
    node *root = yaml_load(&a, r, path, text, len, &lim);
    assert_non_null(root);
    const node *tests = map_get(root, "tests");
    assert_true(tests && tests->kind == N_SEQ && tests->n > 0);
    const node *cn = map_get(tests->items[0], "case");
    assert_non_null(cn);
    lw_case *c = lw_case_new(pb);
    assert_int_equal(case_read_node(c, cn), LW_OK);
    char *json = strdup(lw_case_json(c));
    lw_case_free(c);
    lw_report_free(r);
    arena_free(&a);
    lw_playbook_free(pb);
    return json;
}

/* Every playbook examples/NAME/ *.yaml, with its case. */
static example *find_examples(size_t *n)
{
    *n = 0;
    example *exs = NULL;
    size_t nd;
    char **dirs = list_dir("examples", "", &nd);
    assert_true(nd > 0);
    for (size_t i = 0; i < nd; i++) {
        char dir[300];
        snprintf(dir, sizeof dir, "examples/%s", dirs[i]);
        size_t npb, ncases;
        char **pbs = list_dir(dir, ".yaml", &npb);
        char cdir[400];
        snprintf(cdir, sizeof cdir, "%s/cases", dir);
        char **cases = list_dir(cdir, ".json", &ncases);
        for (size_t j = 0; j < npb; j++) {
            example ex;
            memset(&ex, 0, sizeof ex);
            snprintf(ex.playbook, sizeof ex.playbook, "%s/%s", dir, pbs[j]);
            if (!is_file(ex.playbook))
                continue;
            if (npb == 1)
                snprintf(ex.name, sizeof ex.name, "%s", dirs[i]);
            else
                snprintf(ex.name, sizeof ex.name, "%s/%.*s", dirs[i],
                         (int)(strlen(pbs[j]) - 5), pbs[j]);
            if (ncases)
                snprintf(ex.case_file, sizeof ex.case_file, "%s/%s", cdir, cases[0]);
            else
                ex.case_json = first_test_case(ex.playbook);
            exs = realloc(exs, (*n + 1) * sizeof *exs);
            assert_non_null(exs);
            exs[(*n)++] = ex;
        }
        free_list(pbs, npb);
        free_list(cases, ncases);
    }
    free_list(dirs, nd);
    return exs;
}

/* ---------------------------------------------------------------------- */
/* The test                                                               */

static void fault_every_allocation(const example *ex)
{
    fsim s;
    memset(&s, 0, sizeof s);
    bool complete = run_once(ex, &s);
    if (!complete)
        print_message("%s: the run without faults did not complete\n", ex->name);
    assert_true(complete);
    assert_int_equal(s.live, 0);
    assert_int_equal(s.bad_osize, 0);
    long total = s.n;
    for (long n = 1; n <= total; n++) {
        memset(&s, 0, sizeof s);
        s.fail_at = n;
        complete = run_once(ex, &s);
        if (s.live != 0) {
            say(ex, &s, "blocks were not freed");
            print_message("    %ld blocks leaked\n", s.live);
        }
        assert_int_equal(s.live, 0);
        if (s.bad_osize) {
            say(ex, &s, "a block was freed or resized with the wrong osize");
            print_message("    %ld times; first: osize %zu for a block of %zu bytes\n",
                          s.bad_osize, s.first_bad_osize, s.first_bad_size);
        }
        assert_int_equal(s.bad_osize, 0);
        assert_true(s.failed);
        if (complete) {
            say(ex, &s, "every step succeeded: the refusal was not reported");
            fail();
        }
    }
    print_message("%-20s %6ld allocations tried\n", ex->name, total);
}

static void test_fault_injection_every_example(void **state)
{
    (void)state;
    size_t n;
    example *exs = find_examples(&n);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        fault_every_allocation(&exs[i]);
        free(exs[i].case_json);
    }
    free(exs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_injection_every_example),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
