/*
** testrun.c -- playbook tests (docs/playbook-format.md §10): scenarios inside a playbook
** or in *.test.yaml files, `each:` tables, and partial matching of `expect`
** against the decision's JSON, with money and durations compared by value.
*/
#include "internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct trun {
    lw_engine *e;
    const lw_playbook *pb;
    const char *file;
    lw_test_cb cb;
    void *ud;
    int *passed, *failed;
    arena tmp;
    lw_case *c;
} trun;

/* ======================================================================
** Comparing an expected scalar with an actual JSON value
*/

/* "40", "40.00", "40 EUR", "-3.5 SEK" -> the exact decimal and the code. */
static bool parse_decimal(const char *s, dec *v, char code[4])
{
    code[0] = 0;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        n--;
    if (n > 4 && s[n - 4] == ' ' && s[n - 1] >= 'A' && s[n - 1] <= 'Z') {
        memcpy(code, s + n - 3, 3);
        code[3] = 0;
        n -= 4;
    }
    return dec_parse(s, n, v) == NULL;
}

static const char *actual_text(arena *a, const cJSON *j)
{
    if (!j)
        return "nothing";
    if (cJSON_IsString(j) || (cJSON_IsNumber(j) && j->valuestring))
        return j->valuestring;
    char *p = cJSON_PrintUnformatted(j);
    if (!p)
        return "?";
    char *s = arena_strdup(a, p);
    free(p);
    return s;
}

static bool scalar_match(const node *exp, const cJSON *act, const char *sibling_currency)
{
    if (scalar_is_null(exp))
        return !act || cJSON_IsNull(act);
    if (!act)
        return false;
    raw r;
    raw_from_node(exp, &r);
    if (cJSON_IsBool(act))
        return r.k == RAW_BOOL && r.b == cJSON_IsTrue(act);
    if (cJSON_IsNumber(act)) {
        dec a, b;
        return r.k == RAW_NUM && !raw_number(&r, &a) &&
               !(act->valuestring ? dec_parse(act->valuestring, strlen(act->valuestring), &b)
                                  : dec_from_double(act->valuedouble, &b)) &&
               dec_compare(a, b) == 0;
    }
    if (cJSON_IsString(act)) {
        const char *s = act->valuestring;
        if (strcmp(s, exp->str) == 0)
            return true;
        dec a, b;
        char ca[4], cb[4];
        if (parse_decimal(exp->str, &a, ca) && parse_decimal(s, &b, cb)) {
            const char *acode = cb[0] ? cb : sibling_currency;
            if (ca[0] && acode && strcmp(ca, acode) != 0)
                return false;
            return dec_compare(a, b) == 0;
        }
        int64_t d1, d2;
        if (duration_parse(exp->str, exp->len, &d1) && duration_parse(s, strlen(s), &d2))
            return d1 == d2;
        int64_t t1, t2;
        if (date_parse(exp->str, exp->len, &t1) && date_parse(s, strlen(s), &t2))
            return t1 == t2;
        return false;
    }
    return false;
}

/* `{approximately: 3.14159, within: 0.00001}`: a number (or an amount of
** money) at most `within` away from the expected one, both exact decimals. */
static bool match_within(trun *T, const node *exp, const cJSON *act, const char *path,
                         const char **why)
{
    const node *want = map_get(exp, "approximately"), *within = map_get(exp, "within");
    raw rw, rt;
    dec w, tol, a, diff;
    char cw[4] = "", ca[4] = "";
    raw_from_node(want, &rw);
    raw_from_node(within, &rt);
    if (want->kind != N_SCALAR || within->kind != N_SCALAR ||
        !(rw.k == RAW_NUM ? !raw_number(&rw, &w) : parse_decimal(want->str, &w, cw)) ||
        rt.k != RAW_NUM || raw_number(&rt, &tol) || dec_sign(tol) < 0) {
        *why = arena_printf(&T->tmp, "%s: approximately: needs a number or an amount and "
                                     "within: a number zero or more",
                            path);
        return false;
    }
    bool ok = act && (cJSON_IsNumber(act)
                          ? !(act->valuestring
                                  ? dec_parse(act->valuestring, strlen(act->valuestring), &a)
                                  : dec_from_double(act->valuedouble, &a))
                          : cJSON_IsString(act) && parse_decimal(act->valuestring, &a, ca));
    ok = ok && (!cw[0] || !ca[0] || strcmp(cw, ca) == 0) && !dec_sub(a, w, &diff) &&
         dec_compare(dec_sign(diff) < 0 ? dec_neg(diff) : diff, tol) <= 0;
    if (!ok)
        *why = arena_printf(&T->tmp, "%s: expected %s within %s, got %s", path, want->str,
                            within->str, actual_text(&T->tmp, act));
    return ok;
}

static bool match(trun *T, const node *exp, const cJSON *act, const char *path,
                  const char *sibling_currency, const char **why)
{
    if (exp->kind == N_MAP && exp->n == 2 && map_get(exp, "approximately") &&
        map_get(exp, "within"))
        return match_within(T, exp, act, path, why);
    if (exp->kind == N_SCALAR) {
        if (scalar_match(exp, act, sibling_currency))
            return true;
        *why = arena_printf(&T->tmp, "%s: expected %s, got %s", path, exp->str,
                            actual_text(&T->tmp, act));
        return false;
    }
    if (exp->kind == N_SEQ) {
        if (!cJSON_IsArray(act)) {
            *why = arena_printf(&T->tmp, "%s: expected a list, got %s", path,
                                actual_text(&T->tmp, act));
            return false;
        }
        size_t n = (size_t)cJSON_GetArraySize(act);
        if (n != exp->n) {
            *why = arena_printf(&T->tmp, "%s: expected %zu item%s, got %zu: %s", path, exp->n,
                                exp->n == 1 ? "" : "s", n, actual_text(&T->tmp, act));
            return false;
        }
        size_t i = 0;
        for (const cJSON *it = act->child; it; it = it->next, i++) {
            const char *p = arena_printf(&T->tmp, "%s[%zu]", path, i);
            if (!match(T, exp->items[i], it, p, sibling_currency, why))
                return false;
        }
        return true;
    }
    if (!cJSON_IsObject(act)) {
        *why = arena_printf(&T->tmp, "%s: expected a mapping, got %s", path,
                            actual_text(&T->tmp, act));
        return false;
    }
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(act, "currency");
    const char *code = cJSON_IsString(cur) ? cur->valuestring : sibling_currency;
    for (size_t i = 0; i < exp->n; i++) {
        const node *k = MAP_KEY(exp, i);
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(act, k->str);
        const char *p = *path ? arena_printf(&T->tmp, "%s.%s", path, k->str) : k->str;
        if (!match(T, MAP_VAL(exp, i), a, p, code, why))
            return false;
    }
    return true;
}

/* ======================================================================
** Merging `each:` rows into case and expect
*/
static node *merge(arena *a, const node *base, const node *over)
{
    if (!base)
        return (node *)over;
    if (!over)
        return (node *)base;
    if (base->kind != N_MAP || over->kind != N_MAP)
        return (node *)over;
    node *m = arena_alloc(a, sizeof *m);
    if (!m)
        return NULL;
    *m = *base;
    m->items = arena_alloc(a, 2 * (base->n + over->n + 1) * sizeof *m->items);
    if (!m->items)
        return NULL;
    m->n = 0;
    for (size_t i = 0; i < base->n; i++) {
        const node *o = map_get(over, MAP_KEY(base, i)->str);
        m->items[2 * m->n] = MAP_KEY(base, i);
        m->items[2 * m->n + 1] = o ? merge(a, MAP_VAL(base, i), o) : MAP_VAL(base, i);
        m->n++;
    }
    for (size_t i = 0; i < over->n; i++) {
        if (map_get(base, MAP_KEY(over, i)->str))
            continue;
        m->items[2 * m->n] = MAP_KEY(over, i);
        m->items[2 * m->n + 1] = MAP_VAL(over, i);
        m->n++;
    }
    return m;
}

/* ======================================================================
** Running one test
*/
static void report(trun *T, const node *at, const char *name, const char *failure)
{
    lw_test_result r = {T->file, at->at.line, name, failure == NULL, failure};
    if (failure)
        (*T->failed)++;
    else
        (*T->passed)++;
    if (T->cb)
        T->cb(T->ud, &r);
}

static void run_one(trun *T, const node *t, const char *name, const node *cas,
                    const node *expect)
{
    lw_case_reset(T->c);
    if (cas && cas->kind != N_MAP) {
        report(T, t, name, "case: must be a mapping of facts");
        return;
    }
    if (!expect || expect->kind != N_MAP) {
        report(T, t, name, "expect: must be a mapping (outcome:, policies:, goodwill: ...)");
        return;
    }
    if (cas)
        case_read_node(T->c, cas);
    lw_decide_options opt = {NULL, 0};
    const lw_decision *d;
    if (lw_decide(T->e, T->pb, T->c, &opt, &d) != LW_OK) {
        report(T, t, name, "the engine ran out of memory");
        return;
    }
    size_t len;
    const char *json = lw_decision_json(T->e, d, 0, &len);
    cJSON *act = json ? cJSON_ParseWithLength(json, len) : NULL;
    if (act && !json_number_texts(act, json, len)) { /* numbers compare exactly */
        cJSON_Delete(act);
        act = NULL;
    }
    if (!act) {
        report(T, t, name, "the decision could not be written as JSON");
        return;
    }
    const char *why = NULL;
    bool ok = match(T, expect, act, "", NULL, &why);
    if (!ok && d->n_problems)
        why = arena_printf(&T->tmp, "%s (the case is invalid: %s)", why, d->problems[0]);
    else if (!ok && d->n_errors)
        why = arena_printf(&T->tmp, "%s (decision error: %s)", why, d->errors[0].message);
    cJSON_Delete(act);
    report(T, t, name, ok ? NULL : why);
}

static void run_test(trun *T, const node *t, size_t idx)
{
    static const char *const keys[] = {"name", "case", "expect", "each", "doc", NULL};
    const char *name = arena_printf(&T->tmp, "test %zu", idx + 1);
    if (t->kind != N_MAP) {
        report(T, t, name, "a test must be a mapping with name:, case: and expect:");
        return;
    }
    const node *nm = map_get(t, "name");
    if (nm && nm->kind == N_SCALAR)
        name = nm->str;
    for (size_t i = 0; i < t->n; i++) {
        bool found = false;
        for (const char *const *k = keys; *k; k++)
            found |= strcmp(MAP_KEY(t, i)->str, *k) == 0;
        if (!found) {
            report(T, MAP_KEY(t, i), name,
                   arena_printf(&T->tmp, "unknown key '%s' in a test (use name, case, expect, "
                                         "each)",
                                MAP_KEY(t, i)->str));
            return;
        }
    }
    const node *cas = map_get(t, "case"), *exp = map_get(t, "expect"), *each = map_get(t, "each");
    if (!each) {
        run_one(T, t, name, cas, exp);
        return;
    }
    if (each->kind != N_SEQ) {
        report(T, each, name, "each: must be a list of rows, each with case: and/or expect:");
        return;
    }
    for (size_t i = 0; i < each->n; i++) {
        const node *row = each->items[i];
        const char *rn = arena_printf(&T->tmp, "%s [row %zu]", name, i + 1);
        if (row->kind != N_MAP) {
            report(T, row, rn, "each row must be a mapping with case: and/or expect:");
            continue;
        }
        const node *rc = map_get(row, "case"), *re = map_get(row, "expect");
        if (!rc && !re) {
            report(T, row, rn, "each row needs case: and/or expect:");
            continue;
        }
        run_one(T, row, rn, merge(&T->tmp, cas, rc), merge(&T->tmp, exp, re));
    }
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

int lw_test_file(lw_engine *e, const char *path, const lw_options *opt, lw_test_cb cb,
                 lw_uncovered_cb uncovered, void *ud, int *passed, int *failed,
                 lw_report **rep)
{
    if (rep)
        *rep = NULL;
    if (!e || !path || !passed || !failed)
        return LW_ERR_ARG;
    trun T;
    memset(&T, 0, sizeof T);
    T.e = e;
    T.file = path;
    T.cb = cb;
    T.ud = ud;
    T.passed = passed;
    T.failed = failed;
    arena_init(&T.tmp, &e->mem);
    lw_options d;
    lw_options_init(&d);
    yaml_limits lim;
    yaml_limits_from(&lim, opt);
    size_t len;
    const char *err = NULL;
    char *text = file_read(&T.tmp, path, lim.max_file, &len, &err);
    int rc = LW_OK;
    lw_playbook *pb = NULL;
    lw_report *r = report_new(&e->mem);
    if (!r) {
        arena_free(&T.tmp);
        return LW_ERR_NOMEM;
    }
    if (!text) {
        report_add(r, LW_ERROR, (pos){path, 0, 0}, NULL, "%s", err ? err : "out of memory");
        rc = err ? LW_ERR_IO : LW_ERR_NOMEM;
        goto out;
    }
    node *root = yaml_load(&T.tmp, r, path, text, len, &lim);
    if (!root) {
        rc = T.tmp.failed || !r->errors ? LW_ERR_NOMEM : LW_ERR_PLAYBOOK;
        goto out;
    }
    const node *tests = map_get(root, "tests");
    if (!tests || tests->kind != N_SEQ || tests->n == 0) {
        rc = LW_ERR_NOTFOUND;
        goto out;
    }
    const node *pbn = map_get(root, "playbook");
    const char *pb_path = path;
    if (pbn && pbn->kind == N_SCALAR &&
        (ends_with(path, ".test.yaml") || ends_with(pbn->str, ".yaml") ||
         ends_with(pbn->str, ".yml"))) {
        const char *slash = strrchr(path, '/');
        pb_path = pbn->str[0] == '/' || !slash
                      ? pbn->str
                      : arena_printf(&T.tmp, "%.*s/%s", (int)(slash - path), path, pbn->str);
    }
    lw_report_free(r);
    r = NULL;
    rc = lw_playbook_load(pb_path, opt, &pb, &r);
    if (rc != LW_OK)
        goto out;
    T.pb = pb;
    T.c = lw_case_new(pb);
    if (!T.c) {
        rc = LW_ERR_NOMEM;
        goto out;
    }
    if (uncovered)
        lw_engine_coverage(e, 1);
    for (size_t i = 0; i < tests->n; i++)
        run_test(&T, tests->items[i], i);
    if (uncovered) {
        const char *const *names;
        size_t n = lw_coverage_unreached(e, pb, &names);
        for (size_t i = 0; i < n; i++)
            uncovered(ud, pb_path, names[i]);
        lw_engine_coverage(e, 0);
    }
out:
    lw_case_free(T.c);
    lw_playbook_free(pb);
    arena_free(&T.tmp);
    if (rep && r && (r->errors || rc != LW_OK))
        *rep = r;
    else
        lw_report_free(r);
    return rc;
}
