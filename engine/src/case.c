/*
** case.c -- a case: one value slot per declared fact, filled from JSON (via
** cJSON), YAML, or the C setters, each value checked against its fact's
** declaration. Problems do not stop reading: every one is recorded, and the
** decision for a case with problems is `invalid` and lists them all.
*/
#include "internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ======================================================================
** Raw scalars to typed values
*/
static bool is_number_text(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t d = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        d++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            d++;
        }
    }
    if (d == 0)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t e = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            e++;
        }
        if (e == 0)
            return false;
    }
    return i == n;
}

static void raw_from_text(const char *s, size_t n, bool plain, raw *r)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->len = n;
    r->k = RAW_STR;
    if (!plain)
        return;
    if (n == 0 || (n == 4 && memcmp(s, "null", 4) == 0) || (n == 1 && s[0] == '~')) {
        r->k = RAW_NULL;
    } else if ((n == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0)) ||
               (n == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0))) {
        r->k = RAW_BOOL;
        r->b = s[0] == 't' || s[0] == 'T';
    } else if (is_number_text(s, n)) {
        char tmp[64];
        size_t k = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
        memcpy(tmp, s, k);
        tmp[k] = 0;
        r->k = RAW_NUM;
        r->n = n < sizeof tmp - 1 ? strtod(tmp, NULL) : HUGE_VAL;
    }
}

void raw_from_node(const node *n, raw *r)
{
    if (n->kind != N_SCALAR) {
        memset(r, 0, sizeof *r);
        r->k = RAW_STR;
        r->s = NULL;
        return;
    }
    raw_from_text(n->str, n->len, n->plain, r);
}

const char *raw_number(const raw *r, dec *out)
{
    if (r->s)
        return dec_parse(r->s, r->len, out);
    if (isnan(r->n))
        return "not a number (NaN)";
    if (isinf(r->n))
        return "the number is too large";
    return dec_from_double(r->n, out);
}

static const char *raw_desc(arena *a, const raw *r)
{
    switch (r->k) {
    case RAW_NULL: return "null";
    case RAW_BOOL: return r->b ? "true" : "false";
    case RAW_NUM:
        if (r->s)
            return arena_printf(a, "the number %.*s", (int)(r->len > 40 ? 40 : r->len), r->s);
        return arena_printf(a, "the number %.15g", r->n);
    default:
        if (!r->s)
            return "a list or mapping";
        if (!text_valid_utf8(r->s, r->len, NULL))
            return "text that is not valid UTF-8";
        return arena_printf(a, "\"%.*s\"%s", (int)(r->len > 40 ? 40 : r->len), r->s,
                            r->len > 40 ? "..." : "");
    }
}

static const char *enum_choices(arena *a, const enumset *s)
{
    strbuf b;
    lw_mem m = a->mem;
    buf_init(&b, &m);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            buf_puts(&b, ", ");
        buf_puts(&b, s->words[i]);
    }
    char *out = b.p ? arena_strndup(a, b.p, b.len) : "";
    buf_free(&b);
    return out;
}

/* "12.00 EUR is below the minimum 20.00 EUR", or NULL for an amount (in
** fine units) within the money fact's min: and max:. */
static const char *money_outside(arena *a, const fact *f, int64_t fine)
{
    bool below = f->has_min && fine < f->min_money, above = f->has_max && fine > f->max_money;
    if (!below && !above)
        return NULL;
    char amount[64], bound[64];
    money_format(money_to_minor(fine), f->cur, true, amount, sizeof amount);
    money_format(money_to_minor(below ? f->min_money : f->max_money), f->cur, true, bound,
                 sizeof bound);
    return arena_printf(a, "%s is %s %s", amount, below ? "below the minimum" : "above the maximum",
                        bound);
}

const char *fact_value(arena *a, const lw_playbook *pb, const fact *f, const raw *r, val *out)
{
    memset(out, 0, sizeof *out);
    if (r->k == RAW_NULL)
        return NULL;
    const char *text = r->s;
    size_t n = r->len;
    switch (f->type) {
    case T_BOOL:
        if (r->k != RAW_BOOL)
            return arena_printf(a, "expected true or false, got %s", raw_desc(a, r));
        out->t = V_BOOL;
        out->u.b = r->b;
        return NULL;
    case T_NUM: {
        if (r->k != RAW_NUM)
            return arena_printf(a, "expected a number, got %s", raw_desc(a, r));
        dec d;
        const char *err = raw_number(r, &d);
        if (err)
            return r->s ? arena_printf(a, "%.40s: %s", r->s, err) : err;
        bool below = f->has_min && dec_compare(d, f->min) < 0;
        if (below || (f->has_max && dec_compare(d, f->max) > 0)) {
            char given[64], bound[64];
            dec_format(d, given, sizeof given);
            dec_format(below ? f->min : f->max, bound, sizeof bound);
            return arena_printf(a, "%s is %s %s", given,
                                below ? "below the minimum" : "above the maximum", bound);
        }
        return num_put(a, d, out);
    }
    case T_MONEY: {
        int cur = f->cur;
        const char *err;
        dec d;
        if (r->k == RAW_NUM && !text)
            err = raw_number(r, &d) ? "not a finite number" : money_from_dec(d, cur, &out->u.i);
        else if (r->k == RAW_NUM || r->k == RAW_STR)
            err = text ? money_parse(text, n, f->cur, &out->u.i, &cur) : "expected money";
        else
            err = "expected money";
        if (!err)
            err = money_to_fine(out->u.i, &out->u.i);
        if (err)
            return arena_printf(a, "%s is not valid money (like \"19.95 %s\"): %s",
                                raw_desc(a, r), money_currency_at(f->cur)->code, err);
        if (cur != f->cur)
            return arena_printf(a, "expected money in %s, got %s",
                                money_currency_at(f->cur)->code, money_currency_at(cur)->code);
        err = money_outside(a, f, out->u.i);
        if (err)
            return err;
        out->t = V_MONEY;
        out->cur = (uint8_t)cur;
        return NULL;
    }
    case T_DUR:
        if (r->k == RAW_NUM && !text) {
            if (!isfinite(r->n) || fabs(r->n) > 1e15)
                return "the duration is too large";
            out->u.i = (int64_t)llround(r->n);
        } else if (!text || r->k == RAW_BOOL || !duration_parse(text, n, &out->u.i)) {
            return arena_printf(a, "expected a duration like \"90min\", \"3h\" or \"14d\", "
                                   "got %s",
                                raw_desc(a, r));
        }
        out->t = V_DUR;
        return NULL;
    case T_DATE:
        if (r->k != RAW_STR || !text || !date_parse(text, n, &out->u.i))
            return arena_printf(a, "expected a date like \"2026-11-23\", got %s",
                                raw_desc(a, r));
        out->t = V_DATE;
        return NULL;
    case T_STR: {
        if (!text)
            return arena_printf(a, "expected text, got %s", raw_desc(a, r));
        size_t nl;
        char *s = text_nfc(a, text, n, &nl);
        if (!s)
            return "the text is not valid UTF-8";
        if (f->max_length && text_graphemes(s, nl) > f->max_length)
            return arena_printf(a, "the text is longer than %zu characters", f->max_length);
        out->t = V_STR;
        out->u.s = s;
        out->idx = (int32_t)nl;
        return NULL;
    }
    case T_ENUM: {
        if (!text || r->k == RAW_NULL)
            return arena_printf(a, "expected one of %s, got %s", enum_choices(a, f->set),
                                raw_desc(a, r));
        if (!text_valid_utf8(text, n, NULL))
            return "the text is not valid UTF-8";
        int k = enumset_find_text(a, f->set, text, n);
        if (k < 0) {
            nearest near = nearest_start(arena_strndup(a, text, n), 3);
            for (size_t i = 0; i < f->set->n; i++)
                nearest_offer(&near, f->set->words[i]);
            return arena_printf(a, "%s is not one of: %s%s%s%s", raw_desc(a, r),
                                enum_choices(a, f->set), near.best ? " (did you mean '" : "",
                                near.best ? near.best : "", near.best ? "'?)" : "");
        }
        out->t = V_ENUM;
        out->idx = k;
        out->u.set = f->set;
        return NULL;
    }
    case T_ROLE: {
        if (r->k != RAW_STR || !text)
            return arena_printf(a, "expected a role, got %s", raw_desc(a, r));
        for (size_t i = 0; i < pb->n_roles; i++)
            if (strlen(pb->roles[i].id) == n && strncmp(pb->roles[i].id, text, n) == 0) {
                out->t = V_ROLE;
                out->idx = (int32_t)i;
                return NULL;
            }
        return arena_printf(a, "%s is not a role of this playbook %s", raw_desc(a, r),
                            roles_hint(a, pb, text, n));
    }
    case T_LIST:
        return arena_printf(a, "expected a list like [\"a\", \"b\"], got %s", raw_desc(a, r));
    default:
        return "this fact cannot be set";
    }
}

/* ======================================================================
** Limits (lw_options, per playbook)
*/
void case_limits_from(lw_playbook *pb, const lw_options *opt)
{
    lw_options d;
    lw_options_init(&d);
    if (!opt)
        opt = &d;
    yaml_limits_from(&pb->case_lim, opt);
    pb->max_list = opt->max_list ? opt->max_list : d.max_list;
    pb->max_keys = opt->max_keys ? opt->max_keys : d.max_keys;
    pb->max_problems = opt->max_problems ? opt->max_problems : d.max_problems;
}

/* A size for people: "16 MiB", "64 KiB" or "1000 bytes". */
static const char *size_text(char *buf, size_t size, size_t n)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(buf, size, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(buf, size, "%zu KiB", n >> 10);
    else
        snprintf(buf, size, "%zu bytes", n);
    return buf;
}

/* ======================================================================
** The case object
*/
lw_case *lw_case_new(const lw_playbook *pb)
{
    if (!pb)
        return NULL;
    const lw_mem *m = &pb->mem;
    lw_case *c = lw_mem_alloc(m, sizeof *c);
    if (!c)
        return NULL;
    memset(c, 0, sizeof *c);
    c->pb = pb;
    c->mem = *m;
    arena_init(&c->a, m);
    size_t n = pb->n_facts ? pb->n_facts : 1;
    c->slots = lw_mem_alloc(m, n * sizeof *c->slots);
    c->given = lw_mem_alloc(m, n);
    if (!c->slots || !c->given) {
        lw_case_free(c);
        return NULL;
    }
    memset(c->slots, 0, n * sizeof *c->slots);
    memset(c->given, 0, n);
    buf_init(&c->json, &c->mem);
    c->refused_tail = &c->refused;
    c->today = today_utc();
    return c;
}

void lw_case_free(lw_case *c)
{
    if (!c)
        return;
    size_t n = c->pb->n_facts ? c->pb->n_facts : 1;
    lw_mem_free(&c->mem, c->slots, n * sizeof *c->slots);
    lw_mem_free(&c->mem, c->given, n);
    lw_mem_free(&c->mem, c->problems, c->cap_problems * sizeof *c->problems);
    buf_free(&c->json);
    arena_free(&c->a);
    lw_mem m = c->mem;
    lw_mem_free(&m, c, sizeof *c);
}

void lw_case_reset(lw_case *c)
{
    if (!c)
        return;
    size_t n = c->pb->n_facts ? c->pb->n_facts : 1;
    memset(c->slots, 0, n * sizeof *c->slots);
    memset(c->given, 0, n);
    c->n_problems = 0;
    c->msg = NULL;
    c->nomem = false;
    c->more_problems = 0;
    c->refused = NULL;
    c->refused_tail = &c->refused;
    c->n_refused = 0;
    c->today = today_utc();
    arena_reset(&c->a);
}

int64_t today_utc(void)
{
    int64_t now = (int64_t)time(NULL);
    return now - now % 86400;
}

int lw_case_set_as_of(lw_case *c, const char *date)
{
    int64_t secs;
    if (!c || !date || !date_parse(date, strlen(date), &secs))
        return LW_ERR_ARG;
    c->today = secs - ((secs % 86400) + 86400) % 86400;
    return LW_OK;
}

/* Has an allocation failed since the last reset (so the case may lack a
** value or a problem)? */
static bool case_failed(const lw_case *c)
{
    return c->nomem || c->a.failed;
}

/* Out of memory while reading: the message is static, as there may be no
** memory for another. */
static int case_nomem(lw_case *c, const char **msg)
{
    c->nomem = true;
    c->msg = "out of memory";
    if (msg)
        *msg = c->msg;
    return LW_ERR_NOMEM;
}

/* Are max_problems problems listed already (so more are only counted)? */
static bool problems_full(const lw_case *c)
{
    return c->n_problems >= c->pb->max_problems;
}

int lw_case_add_problem(lw_case *c, const char *problem)
{
    if (!c || !problem)
        return LW_ERR_ARG;
    size_t before = c->n_problems, more = c->more_problems;
    case_problem(c, "%s", problem);
    return c->n_problems > before || c->more_problems > more ? LW_OK : LW_ERR_NOMEM;
}

void case_problem(lw_case *c, const char *fmt, ...)
{
    if (problems_full(c)) {
        /* the last entry counts the rest; it is rewritten, not allocated */
        c->more_problems++;
        snprintf(c->more, sizeof c->more, "and %zu more problem%s", c->more_problems,
                 c->more_problems == 1 ? "" : "s");
        if (c->n_problems == c->pb->max_problems) /* the array has room: see below */
            c->problems[c->n_problems++] = c->more;
        return;
    }
    if (c->n_problems + 1 >= c->cap_problems) { /* room for the "more" entry too */
        size_t cap = c->cap_problems ? c->cap_problems * 2 : 8;
        const char **p = lw_mem_realloc(&c->mem, c->problems,
                                        c->cap_problems * sizeof *p, cap * sizeof *p);
        if (!p) {
            c->nomem = true;
            return;
        }
        c->problems = p;
        c->cap_problems = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    const char *s = arena_vprintf(&c->a, fmt, ap);
    va_end(ap);
    if (s)
        c->problems[c->n_problems++] = s;
}

size_t lw_case_problem_count(const lw_case *c)
{
    return c ? c->n_problems : 0;
}

const char *lw_case_problem(const lw_case *c, size_t i)
{
    return c && i < c->n_problems ? c->problems[i] : NULL;
}

/* A text value longer than max_scalar: record the problem and say so. */
static bool text_too_long(lw_case *c, const fact *fa, size_t item, size_t len)
{
    size_t max = c->pb->case_lim.max_scalar;
    if (len <= max)
        return false;
    char lim[32];
    size_text(lim, sizeof lim, max);
    if (item)
        case_problem(c, "%s: item %zu of the list is %zu bytes long, more than the limit of %s",
                     fa->path, item, len, lim);
    else
        case_problem(c, "%s: the text is %zu bytes long, more than the limit of %s", fa->path,
                     len, lim);
    return true;
}

static int put_raw(lw_case *c, int f, const raw *r)
{
    const fact *fa = &c->pb->facts[f];
    val v;
    if (r->k == RAW_STR && r->s && text_too_long(c, fa, 0, r->len)) {
        c->given[f] = 1;
        c->slots[f].t = V_MISSING;
        return LW_ERR_CASE;
    }
    const char *err = fact_value(&c->a, c->pb, fa, r, &v);
    c->given[f] = 1;
    if (case_failed(c)) {
        c->slots[f].t = V_MISSING;
        return LW_ERR_NOMEM;
    }
    if (err) {
        case_problem(c, "%s: %s", fa->path, err);
        c->slots[f].t = V_MISSING;
        return LW_ERR_CASE;
    }
    c->slots[f] = v;
    return LW_OK;
}

static int unknown_path(lw_case *c, const char *path)
{
    const lw_playbook *pb = c->pb;
    nearest near = nearest_start(path, 4);
    for (size_t i = 0; i < pb->n_facts && !problems_full(c); i++)
        nearest_offer(&near, pb->facts[i].path);
    if (!text_valid_utf8(path, strlen(path), NULL))
        case_problem(c, "a fact name is not valid UTF-8");
    else if (near.best)
        case_problem(c, "%s: not a fact of this playbook (did you mean %s?)", path, near.best);
    else
        case_problem(c, "%s: not a fact of this playbook (declared facts are listed under "
                        "facts:)",
                     path);
    return LW_ERR_NOTFOUND;
}

/* The fact at path; -1 (a problem, and the value r kept as given) when the
** playbook does not declare it, -2 for no case or no path. */
static int lookup(lw_case *c, const char *path, const raw *r)
{
    if (!c || !path)
        return -2;
    int f = fact_lookup(c->pb, path, strlen(path));
    if (f < 0) {
        unknown_path(c, path);
        refused_raw(c, -1, path, r);
    }
    return f;
}

/* A setter's result; a value the case refused is kept as given, as r. */
static int kept(lw_case *c, int f, const raw *r, int rc)
{
    if (rc == LW_ERR_CASE)
        refused_raw(c, f, c->pb->facts[f].path, r);
    return rc;
}

int lw_case_set_number(lw_case *c, const char *path, double v)
{
    raw r = {RAW_NUM, false, v, NULL, 0};
    int f = lookup(c, path, &r);
    if (f < 0)
        return f == -2 ? LW_ERR_ARG : LW_ERR_NOTFOUND;
    return lw_case_set_number_at(c, f, v);
}

int lw_case_set_number_at(lw_case *c, int f, double v)
{
    if (!c || f < 0 || (size_t)f >= c->pb->n_facts)
        return LW_ERR_ARG;
    raw r = {RAW_NUM, false, v, NULL, 0};
    return kept(c, f, &r, put_raw(c, f, &r));
}

int lw_case_set_bool(lw_case *c, const char *path, int v)
{
    raw r = {RAW_BOOL, v != 0, 0, NULL, 0};
    int f = lookup(c, path, &r);
    if (f < 0)
        return f == -2 ? LW_ERR_ARG : LW_ERR_NOTFOUND;
    return lw_case_set_bool_at(c, f, v);
}

int lw_case_set_bool_at(lw_case *c, int f, int v)
{
    if (!c || f < 0 || (size_t)f >= c->pb->n_facts)
        return LW_ERR_ARG;
    raw r = {RAW_BOOL, v != 0, 0, NULL, 0};
    return kept(c, f, &r, put_raw(c, f, &r));
}

int lw_case_set_string(lw_case *c, const char *path, const char *s)
{
    if (!s)
        return LW_ERR_ARG;
    raw r = {RAW_STR, false, 0, s, strlen(s)};
    int f = lookup(c, path, &r);
    if (f < 0)
        return f == -2 ? LW_ERR_ARG : LW_ERR_NOTFOUND;
    return kept(c, f, &r, put_raw(c, f, &r));
}

static int put_money(lw_case *c, int f, int64_t minor, int cur, const char *currency);

int lw_case_set_money(lw_case *c, const char *path, int64_t minor, const char *currency)
{
    if (!c || !path)
        return LW_ERR_ARG;
    int f = fact_lookup(c->pb, path, strlen(path));
    int cur = currency ? money_currency(currency, strlen(currency))
                       : f >= 0 ? c->pb->facts[f].cur : -1;
    int rc = f < 0 ? unknown_path(c, path) : put_money(c, f, minor, cur, currency);
    if (rc == LW_ERR_CASE || rc == LW_ERR_NOTFOUND) {
        /* kept as given: "12.34 EUR", wrapped in an object where the fact
        ** is not money (so that no fact takes it, as none did) */
        char amount[96];
        if (cur >= 0)
            money_format(minor, cur, true, amount, sizeof amount);
        else
            snprintf(amount, sizeof amount, "%lld %.8s", (long long)minor,
                     currency ? currency : "");
        strbuf b;
        buf_init(&b, &c->mem);
        bool money = f >= 0 && c->pb->facts[f].type == T_MONEY;
        buf_puts(&b, money ? "" : "{\"money\":");
        json_str(&b, amount);
        buf_puts(&b, money ? "" : "}");
        if (b.failed)
            c->nomem = true;
        else
            refused_json(c, f, path, b.p);
        buf_free(&b);
    }
    return rc;
}

static int put_money(lw_case *c, int f, int64_t minor, int cur, const char *currency)
{
    const fact *fa = &c->pb->facts[f];
    c->given[f] = 1;
    if (fa->type != T_MONEY) {
        case_problem(c, "%s: expected %s, got money", fa->path, ttype_name(fa->type));
        return LW_ERR_CASE;
    }
    if (cur != fa->cur) {
        case_problem(c, "%s: expected money in %s, got %s", fa->path,
                     money_currency_at(fa->cur)->code, currency);
        return LW_ERR_CASE;
    }
    int64_t fine;
    if (money_to_fine(minor, &fine)) {
        case_problem(c, "%s: the amount is too large", fa->path);
        return LW_ERR_CASE;
    }
    const char *outside = money_outside(&c->a, fa, fine);
    if (outside) {
        case_problem(c, "%s: %s", fa->path, outside);
        c->slots[f].t = V_MISSING;
        return LW_ERR_CASE;
    }
    c->slots[f].t = V_MONEY;
    c->slots[f].cur = (uint8_t)cur;
    c->slots[f].u.i = fine;
    return LW_OK;
}

static int put_list(lw_case *c, int f, size_t n, const char *const *items, const size_t *lens);

/* One pass over a JSON text before cJSON reads it: the offset of the first
** \u0000 escape in a string, or of the key or value over the limits (*what
** says which: "\\u0000", "keys" or "values"); n when all is well. */
static size_t json_scan(const char *s, size_t n, size_t max_keys, size_t max_values,
                        const char **what)
{
    size_t keys = 0, values = 1;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (ch == '"') {
            /* a string: only its escapes matter */
            for (i++; i < n && s[i] != '"'; i++)
                if (s[i] == '\\') {
                    if (n - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0) {
                        *what = "\\u0000";
                        return i;
                    }
                    i++;
                }
        } else if (ch == ':' || ch == ',' || ch == '{' || ch == '[') {
            keys += ch == ':';
            values++;
            if (keys > max_keys || values > max_values) {
                *what = keys > max_keys ? "keys" : "values";
                return i;
            }
        }
    }
    return n;
}

int lw_case_set_text_at(lw_case *c, int f, const char *text)
{
    if (!c || !text || f < 0 || (size_t)f >= c->pb->n_facts)
        return LW_ERR_ARG;
    ttype t = c->pb->facts[f].type;
    if (t == T_LIST && text[0] == '[') {
        /* ["a", "b"]: a JSON array of texts */
        size_t tl = strlen(text);
        const char *what;
        if (json_scan(text, tl, SIZE_MAX, SIZE_MAX, &what) < tl) {
            c->given[f] = 1;
            case_problem(c, "%s: \\u0000 (a NUL character) cannot be part of a text value",
                         c->pb->facts[f].path);
            raw r = {RAW_STR, false, 0, text, tl};
            return kept(c, f, &r, LW_ERR_CASE);
        }
        cJSON *arr = cJSON_Parse(text);
        size_t n = cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
        const char **items = arena_alloc(&c->a, (n + 1) * sizeof *items);
        size_t *lens = arena_alloc(&c->a, (n + 1) * sizeof *lens);
        int rc;
        if (!cJSON_IsArray(arr)) {
            c->given[f] = 1;
            case_problem(c, "%s: expected a list like [\"a\", \"b\"], got %.40s",
                         c->pb->facts[f].path, text);
            rc = LW_ERR_CASE;
        } else if (!items || !lens) {
            rc = LW_ERR_NOMEM;
        } else {
            size_t k = 0;
            for (const cJSON *e = arr->child; e; e = e->next, k++) {
                items[k] = cJSON_IsString(e) ? e->valuestring : NULL;
                lens[k] = items[k] ? strlen(items[k]) : 0;
            }
            rc = put_list(c, f, n, items, lens);
        }
        if (rc == LW_ERR_CASE && arr) {
            refused_cjson(c, f, c->pb->facts[f].path, arr);
        } else if (rc == LW_ERR_CASE) {
            raw r = {RAW_STR, false, 0, text, tl};
            refused_raw(c, f, c->pb->facts[f].path, &r);
        }
        cJSON_Delete(arr);
        return rc;
    }
    raw r;
    raw_from_text(text, strlen(text), true, &r);
    /* a plain word for a text-like fact is text even if it looks like a number */
    if ((t == T_STR || t == T_ENUM || t == T_ROLE || t == T_DATE) && r.k != RAW_NULL)
        r.k = RAW_STR;
    return kept(c, f, &r, put_raw(c, f, &r));
}

int lw_case_set_text(lw_case *c, const char *path, const char *text)
{
    if (!text)
        return LW_ERR_ARG;
    raw r = {RAW_STR, false, 0, text, strlen(text)};
    int f = lookup(c, path, &r);
    if (f < 0)
        return f == -2 ? LW_ERR_ARG : LW_ERR_NOTFOUND;
    return lw_case_set_text_at(c, f, text);
}

int lw_case_unset(lw_case *c, const char *path)
{
    raw r = {RAW_NULL, false, 0, NULL, 0};
    int f = lookup(c, path, &r);
    if (f < 0)
        return f == -2 ? LW_ERR_ARG : LW_ERR_NOTFOUND;
    memset(&c->slots[f], 0, sizeof c->slots[f]);
    c->given[f] = 0;
    return LW_OK;
}

/* ======================================================================
** Lists
*/
static bool list_too_long(lw_case *c, const char *path, size_t n)
{
    if (n <= c->pb->max_list)
        return false;
    case_problem(c, "%s: the list has %zu items, more than the limit of %zu", path, n,
                 c->pb->max_list);
    return true;
}

static int put_list(lw_case *c, int f, size_t n, const char *const *items, const size_t *lens)
{
    const fact *fa = &c->pb->facts[f];
    c->given[f] = 1;
    if (fa->type != T_LIST) {
        case_problem(c, "%s: expected %s, got a list", fa->path, ttype_name(fa->type));
        return LW_ERR_CASE;
    }
    if (list_too_long(c, fa->path, n))
        return LW_ERR_CASE;
    for (size_t i = 0; i < n; i++)
        if (items[i] && text_too_long(c, fa, i + 1, lens[i]))
            return LW_ERR_CASE;
    strlist *l = arena_alloc(&c->a, sizeof *l);
    const char **it = arena_alloc(&c->a, (n ? n : 1) * sizeof *it);
    size_t *ln = arena_alloc(&c->a, (n ? n : 1) * sizeof *ln);
    if (!l || !it || !ln)
        return LW_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!items[i]) {
            case_problem(c, "%s: item %zu of the list is not text", fa->path, i + 1);
            return LW_ERR_CASE;
        }
        it[i] = text_nfc(&c->a, items[i], lens[i], &ln[i]);
        if (!it[i] && c->a.failed)
            return LW_ERR_NOMEM;
        if (!it[i]) {
            case_problem(c, "%s: item %zu of the list is not valid UTF-8", fa->path, i + 1);
            return LW_ERR_CASE;
        }
    }
    l->n = n;
    l->items = it;
    l->lens = ln;
    c->slots[f].t = V_LIST;
    c->slots[f].u.list = l;
    return LW_OK;
}

/* ======================================================================
** Reading JSON
*/

/* Is path the beginning of declared facts ("customer" of customer.age)? */
static bool is_group(const lw_playbook *pb, const char *path, size_t n)
{
    for (size_t i = 0; i < pb->n_facts; i++)
        if (strncmp(pb->facts[i].path, path, n) == 0 && pb->facts[i].path[n] == '.')
            return true;
    return false;
}

static int case_error(lw_case *c, const char **msg, const char *name, const char *text,
                      size_t off, const char *fmt, ...) LW_PRINTF(6, 7);
static void json_walk(lw_case *c, const cJSON *obj, char *path, size_t plen, int depth)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        const char *key = it->string ? it->string : "";
        size_t kl = strlen(key);
        size_t problems = c->n_problems + c->more_problems;
        bool walked = false;
        if (plen + kl + 2 > 512) {
            case_problem(c, "%.60s...: the path is too long", path);
            const char *full = arena_printf(&c->a, "%s%s%s", path, plen ? "." : "", key);
            if (full)
                refused_cjson(c, -1, full, it);
            continue;
        }
        size_t nl = plen;
        if (plen)
            path[nl++] = '.';
        memcpy(path + nl, key, kl + 1);
        nl += kl;
        int f = fact_lookup(c->pb, path, nl);
        if (f < 0 && !cJSON_IsObject(it) && is_group(c->pb, path, nl)) {
            case_problem(c, "%s: expected a mapping of its facts, like {\"%s\": {...}}", path,
                         key);
        } else if (cJSON_IsObject(it) && f < 0) {
            if (depth >= 32)
                case_problem(c, "%s: nested too deeply", path);
            else
                json_walk(c, it, path, nl, depth + 1);
            walked = depth < 32;
        } else if (f < 0) {
            unknown_path(c, path);
        } else if (cJSON_IsArray(it)) {
            size_t n = (size_t)cJSON_GetArraySize(it), k = 0;
            if (c->pb->facts[f].type == T_LIST && list_too_long(c, path, n)) {
                c->given[f] = 1;
                goto next;
            }
            const char **items = arena_alloc(&c->a, (n ? n : 1) * sizeof *items);
            size_t *lens = arena_alloc(&c->a, (n ? n : 1) * sizeof *lens);
            if (!items || !lens)
                return;
            for (const cJSON *e = it->child; e; e = e->next, k++) {
                items[k] = cJSON_IsString(e) ? e->valuestring : NULL;
                lens[k] = items[k] ? strlen(items[k]) : 0;
            }
            put_list(c, f, n, items, lens);
        } else {
            raw r;
            memset(&r, 0, sizeof r);
            if (cJSON_IsNull(it)) {
                r.k = RAW_NULL;
            } else if (cJSON_IsBool(it)) {
                r.k = RAW_BOOL;
                r.b = cJSON_IsTrue(it);
            } else if (cJSON_IsNumber(it)) {
                r.k = RAW_NUM;
                r.n = it->valuedouble;
                if (it->valuestring && c->pb->facts[f].type == T_NUM) { /* exactly */
                    r.s = it->valuestring;
                    r.len = strlen(it->valuestring);
                }
            } else if (cJSON_IsString(it)) {
                r.k = RAW_STR;
                r.s = it->valuestring;
                r.len = strlen(it->valuestring);
            } else {
                r.k = RAW_STR; /* object for a declared fact */
            }
            if (c->given[f] && c->slots[f].t != V_MISSING)
                case_problem(c, "%s: given twice", path);
            else
                put_raw(c, f, &r);
        }
    next:
        if (!walked && c->n_problems + c->more_problems != problems)
            refused_cjson(c, f, path, it); /* the case as given: case_refused.c */
        path[plen] = 0;
    }
}

/* The next number of a JSON text after *p (outside strings); NULL if none.
** *exact: the binary double holds it exactly (at most 15 digits, no
** exponent), so it needs no text. */
static const char *next_json_number(const char **p, const char *end, size_t *len, bool *exact)
{
    for (const char *s = *p; s < end; s++) {
        while (s < end && *s != '"' && *s != '-' && (*s < '0' || *s > '9'))
            s++;
        if (s == end)
            break;
        if (*s == '"') { /* a string: to its closing quote (one not escaped) */
            const char *q = s;
            size_t bs;
            do {
                q = memchr(q + 1, '"', (size_t)(end - q - 1));
                if (!q)
                    return NULL;
                for (bs = 0; q[-1 - (ptrdiff_t)bs] == '\\'; bs++) /* stops at s's quote */
                    ;
            } while (bs % 2);
            s = q;
        } else {
            const char *t = s;
            int digits = 0;
            bool exponent = false;
            for (; t < end; t++) {
                if (*t >= '0' && *t <= '9')
                    digits += !exponent;
                else if (*t == 'e' || *t == 'E')
                    exponent = true;
                else if (*t != '-' && *t != '+' && *t != '.')
                    break;
            }
            *len = (size_t)(t - s);
            *exact = digits <= 15 && !exponent;
            *p = t;
            return s;
        }
    }
    return NULL;
}

/* The numbers of a JSON text and cJSON's number nodes come in the same
** order: the document's. */
static bool number_texts(cJSON *j, const char **p, const char *end)
{
    for (; j; j = j->next) {
        if (cJSON_IsNumber(j) && !j->valuestring) {
            size_t n;
            bool exact;
            const char *s = next_json_number(p, end, &n, &exact);
            if (!s)
                return true; /* not parsed from this text: it keeps its double */
            if (!exact && !(j->valuestring = cJSON_malloc(n + 1)))
                return false;
            if (!exact) {
                memcpy(j->valuestring, s, n);
                j->valuestring[n] = 0;
            }
        }
        if (j->child && !number_texts(j->child, p, end))
            return false;
    }
    return true;
}

bool json_number_texts(cJSON *j, const char *text, size_t len)
{
    const char *p = text;
    return number_texts(j, &p, text + len);
}

static void line_col(const char *text, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            (*col)++;
        }
    }
}

static int case_error(lw_case *c, const char **msg, const char *name, const char *text,
                      size_t off, const char *fmt, ...)
{
    int line, col;
    line_col(text, off, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    const char *what = arena_vprintf(&c->a, fmt, ap);
    va_end(ap);
    c->msg = what ? arena_printf(&c->a, "%s:%d:%d: error: %s", name, line, col, what) : NULL;
    if (!c->msg)
        return case_nomem(c, msg);
    if (msg)
        *msg = c->msg;
    return LW_ERR_CASE;
}

/* Count the keys (a ':') and the values (a '{', '[', ':' or ',') outside
** strings, before cJSON builds a node for each. Returns the offset where
** one count passes its limit (*what says which), or n. */
/* Deepest nesting of [ and { outside strings. */
static int json_depth(const char *s, size_t n)
{
    int d = 0, max = 0;
    bool str = false;
    for (size_t i = 0; i < n; i++) {
        if (str) {
            if (s[i] == '\\')
                i++;
            else if (s[i] == '"')
                str = false;
        } else if (s[i] == '"') {
            str = true;
        } else if (s[i] == '[' || s[i] == '{') {
            if (++d > max)
                max = d;
        } else if (s[i] == ']' || s[i] == '}') {
            d--;
        }
    }
    return max;
}

int case_json_precheck(lw_case *c, const char *name, const char *text, size_t len,
                       const char **msg)
{
    const lw_playbook *pb = c->pb;
    char lim[32];
    if (len > pb->case_lim.max_file)
        return case_error(c, msg, name, text, 0,
                          "the case is larger than %s (the limit); a case holds the facts of "
                          "one situation: leave out what the playbook does not declare",
                          size_text(lim, sizeof lim, pb->case_lim.max_file));
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    if (i == len)
        return case_error(c, msg, name, text, 0,
                          "the case is empty; write a JSON object like {\"customer\": {\"age\": 82}}");
    /* cJSON ends a key or string at a NUL; refuse it rather than cut the text */
    const char *nul = memchr(text, 0, len);
    if (nul)
        return case_error(c, msg, name, text, (size_t)(nul - text),
                          "a NUL byte (0x00): JSON does not allow it, not even inside a text; "
                          "remove it (is this a text file?)");
    /* the scan is needed only when the text could hold more keys or values
    ** than the limits (one byte each at least), or has a \u0000 (or an
    ** escaped backslash before "u0000") */
    bool scan = len > pb->max_keys || len > pb->case_lim.max_nodes;
    for (const char *p = text; !scan && (p = memchr(p, '\\', len - (size_t)(p - text))); p++)
        scan = len - (size_t)(p - text) >= 6 && memcmp(p + 1, "u0000", 5) == 0;
    const char *what = NULL;
    size_t at = scan ? json_scan(text, len, pb->max_keys, pb->case_lim.max_nodes, &what) : len;
    if (at < len && what[0] == '\\')
        return case_error(c, msg, name, text, at,
                          "\\u0000 (a NUL character) cannot be part of a key or a text value; "
                          "remove it");
    if (at < len)
        return case_error(c, msg, name, text, at,
                          "the case has more than %zu %s (the limit); a case holds the facts "
                          "of one situation: leave out what the playbook does not declare",
                          what[0] == 'k' ? pb->max_keys : pb->case_lim.max_nodes, what);
    return LW_OK;
}

int case_parse_json(lw_case *c, const char *name, const char *text, size_t len,
                    const char **msg, struct cJSON **out)
{
    *out = NULL;
    int rc = case_json_precheck(c, name, text, len, msg);
    if (rc != LW_OK)
        return rc;
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        if (json_depth(text, len) > 500)
            return case_error(c, msg, name, text, off,
                              "the case is nested too deeply (more than 500 levels)");
        size_t bad;
        if (!text_valid_utf8(text, len, &bad))
            return case_error(c, msg, name, text, bad,
                              "the case is not valid UTF-8 (byte 0x%02X); save it as UTF-8",
                              (unsigned char)text[bad]);
        /* a trailing comma: cJSON stops one character after the bracket */
        size_t b = off;
        while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '\n' || text[b - 1] == '\t' ||
                         text[b - 1] == '\r'))
            b--;
        if (b > 0 && (text[b - 1] == '}' || text[b - 1] == ']')) {
            size_t p = b - 1;
            while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '\n' || text[p - 1] == '\t' ||
                             text[p - 1] == '\r'))
                p--;
            if (p > 0 && text[p - 1] == ',')
                return case_error(c, msg, name, text, b - 1,
                                  "the case is not valid JSON: a comma before '%c' (remove the "
                                  "trailing comma)",
                                  text[b - 1]);
        }
        if (off >= len)
            return case_error(c, msg, name, text, off,
                              "the case is not valid JSON: it ends too early (an unclosed {, [ "
                              "or string?)");
        /* show up to 20 bytes of the line where parsing stopped */
        size_t k = 0;
        while (off + k < len && k < 20 && (unsigned char)text[off + k] >= 0x20 &&
               (unsigned char)text[off + k] < 0x80)
            k++;
        return case_error(c, msg, name, text, off, "the case is not valid JSON (near '%.*s')",
                          (int)k, text + off);
    }
    size_t rest = end ? (size_t)(end - text) : len;
    while (rest < len && (text[rest] == ' ' || text[rest] == '\n' || text[rest] == '\r' ||
                          text[rest] == '\t'))
        rest++;
    if (rest < len) {
        cJSON_Delete(root);
        return case_error(c, msg, name, text, rest,
                          "more text after the end of the case; a case file holds one JSON "
                          "object");
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return case_error(c, msg, name, text, i,
                          "a case must be a JSON object like {\"customer\": {\"age\": 82}}");
    }
    if (!json_number_texts(root, text, len)) {
        cJSON_Delete(root);
        return case_nomem(c, msg);
    }
    *out = root;
    return LW_OK;
}

int lw_case_read_json(lw_case *c, const char *name, const char *text, size_t len,
                      const char **msg)
{
    if (msg)
        *msg = NULL;
    if (!c || !text)
        return LW_ERR_ARG;
    cJSON *root;
    int rc = case_parse_json(c, name ? name : "<case>", text, len, msg, &root);
    if (rc != LW_OK)
        return rc;
    rc = case_read_tree(c, root);
    cJSON_Delete(root);
    return rc == LW_ERR_NOMEM ? case_nomem(c, msg) : rc;
}

int case_read_tree(lw_case *c, const struct cJSON *obj)
{
    char path[520];
    path[0] = 0;
    json_walk(c, obj, path, 0, 0);
    if (case_failed(c))
        return LW_ERR_NOMEM;
    return c->n_problems ? LW_ERR_CASE : LW_OK;
}

/* ======================================================================
** Reading YAML (case files and the `case:` of playbook tests)
*/
/* Walk a mapping of the case; false once it has more keys than the limit
** (*keys counts them). */
static bool node_walk(lw_case *c, const node *m, char *path, size_t plen, int depth,
                      size_t *keys)
{
    for (size_t i = 0; i < m->n; i++) {
        const node *k = MAP_KEY(m, i), *v = MAP_VAL(m, i);
        if (++*keys > c->pb->max_keys) {
            case_problem(c, "the case has more than %zu keys (the limit); a case holds the "
                            "facts of one situation: leave out what the playbook does not "
                            "declare",
                         c->pb->max_keys);
            return false;
        }
        size_t kl = k->len;
        size_t problems = c->n_problems + c->more_problems;
        bool walked = false;
        if (plen + kl + 2 > 512) {
            case_problem(c, "%.60s...: the path is too long", path);
            const char *full = arena_printf(&c->a, "%s%s%s", path, plen ? "." : "", k->str);
            if (full)
                refused_node(c, -1, full, v);
            continue;
        }
        size_t nl = plen;
        if (plen)
            path[nl++] = '.';
        memcpy(path + nl, k->str, kl + 1);
        nl += kl;
        int f = fact_lookup(c->pb, path, nl);
        if (f < 0 && v->kind != N_MAP && is_group(c->pb, path, nl)) {
            case_problem(c, "%s: expected a mapping of its facts, not a %s", path,
                         node_kind_name(v));
        } else if (v->kind == N_MAP && f < 0) {
            if (depth >= 32)
                case_problem(c, "%s: nested too deeply", path);
            else if (!node_walk(c, v, path, nl, depth + 1, keys))
                return false;
            walked = depth < 32;
        } else if (f < 0) {
            unknown_path(c, path);
        } else {
            case_set_node(c, f, v);
        }
        if (!walked && c->n_problems + c->more_problems != problems)
            refused_node(c, f, path, v); /* the case as given: case_refused.c */
        path[plen] = 0;
    }
    return true;
}

int case_set_node(lw_case *c, int f, const node *v)
{
    if (v->kind == N_SEQ) {
        const char **items = arena_alloc(&c->a, (v->n ? v->n : 1) * sizeof *items);
        size_t *lens = arena_alloc(&c->a, (v->n ? v->n : 1) * sizeof *lens);
        if (!items || !lens)
            return LW_ERR_NOMEM;
        for (size_t i = 0; i < v->n; i++) {
            items[i] = v->items[i]->kind == N_SCALAR ? v->items[i]->str : NULL;
            lens[i] = items[i] ? v->items[i]->len : 0;
        }
        return put_list(c, f, v->n, items, lens);
    }
    raw r;
    raw_from_node(v, &r);
    ttype t = c->pb->facts[f].type;
    if ((t == T_STR || t == T_ENUM || t == T_ROLE) && (r.k == RAW_NUM || r.k == RAW_BOOL))
        r.k = RAW_STR; /* postal code 00100, enum value 3 */
    return put_raw(c, f, &r);
}

int case_read_node(lw_case *c, const node *root)
{
    if (root->kind != N_MAP) {
        case_problem(c, "a case must be a mapping of facts, like customer: { age: 82 }, not a %s",
                     node_kind_name(root));
        return LW_ERR_CASE;
    }
    char path[520];
    path[0] = 0;
    size_t keys = 0;
    node_walk(c, root, path, 0, 0, &keys);
    if (case_failed(c))
        return LW_ERR_NOMEM;
    return c->n_problems ? LW_ERR_CASE : LW_OK;
}

int lw_case_read_file(lw_case *c, const char *path, const char **msg)
{
    if (msg)
        *msg = NULL;
    if (!c || !path)
        return LW_ERR_ARG;
    arena tmp;
    arena_init(&tmp, &c->mem);
    size_t len;
    const char *err = NULL;
    char *text = file_read(&tmp, path, c->pb->case_lim.max_file, &len, &err);
    if (!text) {
        c->msg = err ? arena_strdup(&c->a, err) : NULL;
        arena_free(&tmp);
        if (!c->msg)
            return case_nomem(c, msg);
        if (msg)
            *msg = c->msg;
        return LW_ERR_IO;
    }
    size_t pl = strlen(path);
    int rc;
    if (pl > 5 && strcmp(path + pl - 5, ".json") == 0) {
        rc = lw_case_read_json(c, path, text, len, msg);
    } else {
        lw_report *r = report_new(&c->mem);
        node *root = r ? yaml_load(&tmp, r, path, text, len, &c->pb->case_lim) : NULL;
        if (root && root->kind != N_MAP) {
            c->msg = arena_printf(&c->a, "%s:%d:%d: error: a case must be a mapping of facts, "
                                         "like customer: { age: 82 }, not a %s",
                                  path, root->at.line, root->at.col, node_kind_name(root));
            rc = LW_ERR_CASE;
        } else if (!root && r && r->n) {
            char line[1024];
            lw_diag_format(lw_report_get(r, 0), line, sizeof line);
            c->msg = arena_strdup(&c->a, line);
            rc = LW_ERR_CASE;
        } else if (!root) {
            c->msg = NULL; /* out of memory: no error was recorded */
            rc = LW_ERR_CASE;
        } else {
            rc = case_read_node(c, root);
        }
        if (case_failed(c) || (rc == LW_ERR_CASE && !c->msg && !c->n_problems))
            rc = case_nomem(c, msg);
        else if (c->msg && msg)
            *msg = c->msg;
        lw_report_free(r);
    }
    arena_free(&tmp);
    return rc;
}

/* ======================================================================
** The case as JSON (flat dotted paths, so it reads back as a case)
*/
const char *lw_case_json(lw_case *c)
{
    if (!c)
        return NULL;
    c->json.len = 0;
    c->json.failed = false;
    buf_putc(&c->json, '{');
    bool first = true;
    for (size_t f = 0; f < c->pb->n_facts; f++) {
        if ((int)f == c->pb->f_date && c->slots[f].t == V_MISSING &&
            !c->pb->facts[f].has_default && c->given[f] != 2) {
            /* decided as of the case's day: say which, so it replays alike */
            char day[32];
            date_format(c->today, day, sizeof day);
            if (!first)
                buf_putc(&c->json, ',');
            first = false;
            json_str(&c->json, c->pb->facts[f].path);
            buf_putc(&c->json, ':');
            json_str(&c->json, day);
            continue;
        }
        if (!c->given[f] || c->given[f] == 2) /* 2: refused, written below */
            continue;
        if (!first)
            buf_putc(&c->json, ',');
        first = false;
        json_str(&c->json, c->pb->facts[f].path);
        buf_putc(&c->json, ':');
        const val *v = &c->slots[f];
        char tmp[512];
        switch ((vtype)v->t) {
        case V_MISSING:
        case V_ERROR:
            buf_puts(&c->json, "null");
            break;
        case V_BOOL:
        case V_NUM:
            val_format(c->pb, v, tmp, sizeof tmp);
            buf_puts(&c->json, tmp);
            break;
        case V_STR:
            json_str(&c->json, v->u.s);
            break;
        case V_LIST:
            buf_putc(&c->json, '[');
            for (size_t i = 0; i < v->u.list->n; i++) {
                if (i)
                    buf_putc(&c->json, ',');
                json_str(&c->json, v->u.list->items[i]);
            }
            buf_putc(&c->json, ']');
            break;
        default:
            val_format(c->pb, v, tmp, sizeof tmp);
            json_str(&c->json, tmp);
            break;
        }
    }
    refused_write(c, &c->json, &first);
    buf_putc(&c->json, '}');
    return c->json.failed ? NULL : c->json.p;
}

int lw_case_value(const lw_case *c, size_t i, lw_value *out)
{
    if (!c || !out || i >= c->pb->n_facts)
        return -1;
    val_to_public(c->pb, &c->slots[i], out, (arena *)&c->a);
    return c->given[i] != 0;
}
