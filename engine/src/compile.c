/*
** compile.c -- a playbook's node tree to an immutable lw_playbook.
**
** Checks every section of docs/playbook-format.md (§1-§7, §9), resolves fact paths to
** slots, compiles expressions and tables once, and reports each problem with
** file:line:column, the rule id and what to do about it. Compilation goes on
** after an error so that one run shows as many problems as possible.
*/
#define _DEFAULT_SOURCE /* realpath */
#include "internal.h"
#include "lw_paths.h" /* LW_RULES_DIR, written by the build from PREFIX */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Node helpers
*/

/* The owners of the rule ids in compiler.ids, one namespace each (their
** addresses tell them apart). Exception ids are owned by their policy's
** exceptions array. */
static const char K_POLICY[] = "policy", K_ROLE[] = "role", K_STEP[] = "step",
                  K_LIMIT[] = "limit", K_OUTPUT[] = "output", K_PROMISE[] = "promise";
static void cerror(compiler *c, const node *n, const char *rule, const char *fmt, ...)
    LW_PRINTF(4, 5);
static void cerror(compiler *c, const node *n, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pos p = {c->pb->file, 1, 1};
    if (n)
        p = n->at;
    report_vadd(c->r, LW_ERROR, p, rule, fmt, ap);
    va_end(ap);
}

static bool want_kind(compiler *c, const node *n, nkind k, const char *what, const char *rule)
{
    if (n && n->kind == k)
        return true;
    static const char *const names[] = {"a single value", "a list", "a mapping"};
    cerror(c, n, rule, "%s must be %s, not %s", what, names[k], node_kind_name(n));
    return false;
}

/* Every key of m must be in allowed (NULL-terminated). */
static bool known_keys(compiler *c, const node *m, const char *const *allowed, const char *what,
                       const char *rule)
{
    bool ok = true;
    for (size_t i = 0; i < m->n; i++) {
        const node *k = MAP_KEY(m, i);
        bool found = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(k->str, *a) == 0)
                found = true;
        if (found)
            continue;
        strbuf b;
        buf_init(&b, &c->pb->mem);
        nearest near = nearest_start(k->str, 3);
        for (const char *const *a = allowed; *a; a++) {
            buf_puts(&b, a == allowed ? "" : ", ");
            buf_puts(&b, *a);
            nearest_offer(&near, *a);
        }
        if (near.best)
            cerror(c, k, rule, "unknown key '%s' in %s (did you mean '%s'?)", k->str, what,
                   near.best);
        else
            cerror(c, k, rule, "unknown key '%s' in %s; the keys allowed here are: %s", k->str,
                   what, b.p ? b.p : "");
        buf_free(&b);
        ok = false;
    }
    return ok;
}

static const char *scalar_str(compiler *c, const node *n, const char *what, const char *rule)
{
    if (!n)
        return NULL;
    if (!want_kind(c, n, N_SCALAR, what, rule))
        return NULL;
    return n->str;
}

static bool valid_id(const char *s)
{
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static const char *rule_id(compiler *c, const node *m, const char *what)
{
    const node *n = map_get(m, "id");
    if (!n) {
        cerror(c, m, NULL, "this %s has no id: add 'id: some_name' (letters, digits, _ or -)",
               what);
        return NULL;
    }
    const char *id = scalar_str(c, n, "an id", NULL);
    if (id && !valid_id(id)) {
        cerror(c, n, NULL, "'%s' is not a valid id: use only letters, digits, _ and -", id);
        return NULL;
    }
    return id;
}

static bool parse_bool(compiler *c, const node *n, bool *out, const char *what, const char *rule)
{
    if (scalar_is(n, "true") || scalar_is(n, "True") || scalar_is(n, "yes")) {
        *out = true;
        return true;
    }
    if (scalar_is(n, "false") || scalar_is(n, "False") || scalar_is(n, "no")) {
        *out = false;
        return true;
    }
    cerror(c, n, rule, "%s must be true or false", what);
    return false;
}

static bool parse_money_node(compiler *c, const node *n, int64_t *minor, const char *what,
                             const char *rule)
{
    if (!want_kind(c, n, N_SCALAR, what, rule))
        return false;
    int cur;
    const char *err = money_parse(n->str, n->len, c->pb->cur, minor, &cur);
    if (!err)
        err = money_to_fine(*minor, minor);
    if (err) {
        cerror(c, n, rule, "%s: '%s' is not valid money: %s", what, n->str, err);
        return false;
    }
    if (cur != c->pb->cur) {
        cerror(c, n, rule, "%s is in %s but the playbook's currency is %s", what,
               money_currency_at(cur)->code, money_currency_at(c->pb->cur)->code);
        return false;
    }
    return true;
}

/* ======================================================================
** Localised messages with {placeholders}
*/
static bool compile_tmpl(compiler *c, const node *n, const scope *sc, tmpl *out)
{
    const char *s = n->str;
    size_t len = n->len;
    if (!text_valid_utf8(s, len, NULL)) {
        cerror(c, n, sc->rule, "the text is not valid UTF-8");
        return false;
    }
    tmpl_part parts[64];
    size_t np = 0, i = 0, lit = 0;
    while (i <= len) {
        if (i == len || s[i] == '{') {
            if (i > lit) {
                if (np == 64)
                    goto too_many;
                parts[np++] = (tmpl_part){arena_strndup(c->a, s + lit, i - lit), i - lit, NULL};
            }
            if (i == len)
                break;
            size_t end = i + 1;
            while (end < len && s[end] != '}')
                end++;
            if (end >= len) {
                cerror(c, n, sc->rule, "a '{' in the text has no closing '}'; write "
                                       "{customer.name} to insert a value");
                return false;
            }
            pos at = n->at;
            at.col += (int)(i + 1) + (n->plain ? 0 : 1);
            const expr *e = expr_compile_text(c, s + i + 1, end - i - 1, at, sc, T_ANY, NULL);
            if (!e)
                return false;
            if (np == 64)
                goto too_many;
            parts[np++] = (tmpl_part){arena_strndup(c->a, s + i + 1, end - i - 1),
                                      end - i - 1, e};
            i = lit = end + 1;
            continue;
        }
        i++;
    }
    out->n = np;
    out->parts = arena_alloc(c->a, (np ? np : 1) * sizeof *parts);
    if (!out->parts)
        return false;
    memcpy(out->parts, parts, np * sizeof *parts);
    return true;
too_many:
    cerror(c, n, sc->rule, "the text has too many parts (at most 64)");
    return false;
}

static bool compile_msg(compiler *c, const node *n, const scope *sc, ltext *out)
{
    memset(out, 0, sizeof *out);
    if (!n)
        return true;
    if (n->kind == N_SCALAR) {
        out->n = 1;
        out->lang = arena_alloc(c->a, sizeof *out->lang);
        out->text = arena_alloc(c->a, sizeof *out->text);
        if (!out->lang || !out->text)
            return false;
        out->lang[0] = "";
        return compile_tmpl(c, n, sc, &out->text[0]);
    }
    if (n->kind != N_MAP) {
        cerror(c, n, sc->rule, "a text must be a string or a map of languages, like { fi: "
                               "\"...\", en: \"...\" }");
        return false;
    }
    out->n = n->n;
    out->lang = arena_alloc(c->a, (n->n ? n->n : 1) * sizeof *out->lang);
    out->text = arena_alloc(c->a, (n->n ? n->n : 1) * sizeof *out->text);
    if (!out->lang || !out->text)
        return false;
    bool ok = true;
    for (size_t i = 0; i < n->n; i++) {
        out->lang[i] = MAP_KEY(n, i)->str;
        const node *v = MAP_VAL(n, i);
        if (v->kind != N_SCALAR) {
            cerror(c, v, sc->rule, "the text for language '%s' must be a string",
                   out->lang[i]);
            ok = false;
            continue;
        }
        ok = compile_tmpl(c, v, sc, &out->text[i]) && ok;
    }
    return ok;
}

static bool compile_window(compiler *c, const node *n, window *w, const char *rule)
{
    memset(w, 0, sizeof *w);
    if (!n)
        return true;
    if (!want_kind(c, n, N_MAP, "effective", rule))
        return false;
    static const char *const keys[] = {"from", "until", NULL};
    if (!known_keys(c, n, keys, "effective", rule))
        return false;
    const node *f = map_get(n, "from"), *u = map_get(n, "until");
    if (f) {
        if (f->kind != N_SCALAR || !date_parse(f->str, f->len, &w->from)) {
            cerror(c, f, rule, "effective.from: '%s' is not a date; write it like 2026-01-01",
                   f->kind == N_SCALAR ? f->str : "");
            return false;
        }
        w->has_from = true;
    }
    if (u) {
        if (u->kind != N_SCALAR || !date_parse(u->str, u->len, &w->until)) {
            cerror(c, u, rule, "effective.until: '%s' is not a date; write it like 2027-01-01",
                   u->kind == N_SCALAR ? u->str : "");
            return false;
        }
        w->has_until = true;
    }
    if (w->has_from && w->has_until && w->until <= w->from) {
        cerror(c, n, rule, "effective.until must come after effective.from");
        return false;
    }
    if (c->pb->f_date < 0) {
        cerror(c, n, rule, "'effective' compares with the case's date: declare the fact "
                           "'date: { type: date }'");
        return false;
    }
    return true;
}

static const char **compile_strlist(compiler *c, const node *n, size_t *count, const char *what,
                                    const char *rule)
{
    *count = 0;
    if (!n)
        return NULL;
    if (n->kind == N_SCALAR) {
        const char **l = arena_alloc(c->a, sizeof *l);
        if (l) {
            l[0] = n->str;
            *count = 1;
        }
        return l;
    }
    if (!want_kind(c, n, N_SEQ, what, rule))
        return NULL;
    const char **l = arena_alloc(c->a, (n->n ? n->n : 1) * sizeof *l);
    if (!l)
        return NULL;
    for (size_t i = 0; i < n->n; i++) {
        if (!want_kind(c, n->items[i], N_SCALAR, what, rule))
            return NULL;
        l[i] = n->items[i]->str;
    }
    *count = n->n;
    return l;
}

int cov_new(compiler *c, const char *fmt, ...)
{
    lw_playbook *pb = c->pb;
    if ((pb->n_cov & (pb->n_cov - 1)) == 0) {
        size_t cap = pb->n_cov ? pb->n_cov * 2 : 16;
        const char **names = arena_alloc(c->a, cap * sizeof *names);
        if (!names)
            return 0;
        if (pb->n_cov)
            memcpy(names, pb->cov_names, pb->n_cov * sizeof *names);
        pb->cov_names = names;
    }
    va_list ap;
    va_start(ap, fmt);
    pb->cov_names[pb->n_cov] = arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    return (int)pb->n_cov++;
}

policy *policy_by_id(const compiler *c, const char *id, size_t n)
{
    return strtab_get(&c->ids, K_POLICY, id, n);
}

const step_rule *step_by_id(const compiler *c, const char *id, size_t n)
{
    return strtab_get(&c->ids, K_STEP, id, n);
}

const role_def *role_by_id(const compiler *c, const char *id, size_t n)
{
    return strtab_get(&c->ids, K_ROLE, id, n);
}

const output_rule *output_by_name(const compiler *c, const char *name, size_t n)
{
    return strtab_get(&c->ids, K_OUTPUT, name, n);
}

const outcome_word *outcome_by_word(const compiler *c, const char *word, size_t n)
{
    return strtab_get(&c->outcome_ids, NULL, word, n);
}

/* ======================================================================
** Facts (§2)
*/
int fact_lookup(const lw_playbook *pb, const char *path, size_t n)
{
    if (!pb->fidx.cap)
        return -1;
    size_t mask = pb->fidx.cap - 1;
    uint32_t h = strtab_hash(path, n);
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        int32_t f = pb->fidx.slot[i];
        if (f < 0)
            return -1;
        const char *p = pb->facts[f].path;
        if (pb->fidx.hash[i] == h && strncmp(p, path, n) == 0 && p[n] == 0)
            return f;
    }
}

static bool build_fact_index(compiler *c)
{
    lw_playbook *pb = c->pb;
    size_t cap = 16;
    while (cap < pb->n_facts * 2 + 1)
        cap *= 2;
    pb->fidx.cap = cap;
    pb->fidx.slot = arena_alloc(c->a, cap * sizeof *pb->fidx.slot);
    pb->fidx.hash = arena_alloc(c->a, cap * sizeof *pb->fidx.hash);
    if (!pb->fidx.slot || !pb->fidx.hash)
        return false;
    memset(pb->fidx.slot, 0xff, cap * sizeof *pb->fidx.slot);
    for (size_t f = 0; f < pb->n_facts; f++) {
        const char *p = pb->facts[f].path;
        uint32_t h = strtab_hash(p, strlen(p));
        size_t i = h & (cap - 1);
        while (pb->fidx.slot[i] >= 0)
            i = (i + 1) & (cap - 1);
        pb->fidx.slot[i] = (int32_t)f;
        pb->fidx.hash[i] = h;
    }
    return true;
}

static bool valid_path(const char *p)
{
    bool start = true;
    for (; *p; p++) {
        if (*p == '.') {
            if (start)
                return false;
            start = true;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
              (!start && *p >= '0' && *p <= '9')))
            return false;
        start = false;
    }
    return !start;
}

static ttype type_by_name(const char *s)
{
    static const char *const names[] = {"bool", "number", "money", "string", "enum",
                                        "duration", "date", "role", "list"};
    static const ttype types[] = {T_BOOL, T_NUM, T_MONEY, T_STR, T_ENUM, T_DUR, T_DATE,
                                  T_ROLE, T_LIST};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i], s) == 0)
            return types[i];
    return T_ANY;
}

const enumset *compile_values(compiler *c, const node *v, const char *rule)
{
    if (!want_kind(c, v, N_SEQ, "values", rule))
        return NULL;
    if (v->n == 0) {
        cerror(c, v, rule, "values: needs at least one word");
        return NULL;
    }
    if (v->n > 64) {
        cerror(c, v, rule, "an enum may have at most 64 values; use type: string for longer "
                           "lists");
        return NULL;
    }
    enumset *set = arena_alloc(c->a, sizeof *set);
    if (!set)
        return NULL;
    set->n = v->n;
    set->words = arena_alloc(c->a, v->n * sizeof *set->words);
    set->folded = arena_alloc(c->a, v->n * sizeof *set->folded);
    if (!set->words || !set->folded)
        return NULL;
    for (size_t i = 0; i < v->n; i++) {
        const node *w = v->items[i];
        if (!want_kind(c, w, N_SCALAR, "each value", rule))
            return NULL;
        set->words[i] = text_nfc(c->a, w->str, w->len, NULL);
        set->folded[i] = text_fold(c->a, w->str, w->len);
        if (!set->words[i] || !set->folded[i]) {
            cerror(c, w, rule, "the value is not valid UTF-8");
            return NULL;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(set->folded[j], set->folded[i]) == 0) {
                cerror(c, w, rule, "the value '%s' is listed twice (values are compared "
                                   "ignoring case)",
                       w->str);
                return NULL;
            }
    }
    return set;
}

/* One bound (min: or max:) of a money fact, in the fact's currency, into
** fine units. */
static bool money_bound(compiler *c, const fact *f, const node *b, const char *name,
                        int64_t *fine)
{
    const char *code = money_currency_at(f->cur)->code;
    int cur = f->cur;
    int64_t minor = 0;
    const char *err = b->kind == N_SCALAR ? money_parse(b->str, b->len, f->cur, &minor, &cur)
                                          : "it is not a single value";
    if (!err)
        err = money_to_fine(minor, fine);
    if (err) {
        cerror(c, b, NULL, "%s: of the money fact '%s' must be an amount like 0 or 50 %s: %s",
               name, f->path, code, err);
        return false;
    }
    if (cur != f->cur) {
        cerror(c, b, NULL, "%s: of '%s' is in %s but the fact is money in %s; write the "
                           "bound in %s",
               name, f->path, money_currency_at(cur)->code, code, code);
        return false;
    }
    return true;
}

/* min: and max: of number and money facts; a case value outside them is a
** problem of the case. */
static bool compile_fact_bounds(compiler *c, fact *f, const node *v)
{
    const char *bounds[2] = {"min", "max"};
    for (int i = 0; i < 2; i++) {
        const node *b = map_get(v, bounds[i]);
        if (!b)
            continue;
        if (f->type == T_MONEY) {
            if (!money_bound(c, f, b, bounds[i], i == 0 ? &f->min_money : &f->max_money))
                return false;
            *(i == 0 ? &f->has_min : &f->has_max) = true;
            continue;
        }
        if (f->type != T_NUM) {
            cerror(c, b, NULL, "%s: is only for number and money facts", bounds[i]);
            return false;
        }
        raw r;
        raw_from_node(b, &r);
        if (r.k != RAW_NUM) {
            cerror(c, b, NULL, "%s: must be a number", bounds[i]);
            return false;
        }
        const char *err = raw_number(&r, i == 0 ? &f->min : &f->max);
        if (err) {
            cerror(c, b, NULL, "%s: %s: %s", bounds[i], b->str, err);
            return false;
        }
        *(i == 0 ? &f->has_min : &f->has_max) = true;
    }
    bool reversed = f->type == T_MONEY ? f->min_money > f->max_money
                                       : dec_compare(f->min, f->max) > 0;
    if (f->has_min && f->has_max && reversed) {
        cerror(c, map_get(v, "min"), NULL, "min is larger than max; write the smaller bound "
                                           "as min:");
        return false;
    }
    return true;
}

static bool compile_fact(compiler *c, fact *f, const node *k, const node *v)
{
    f->path = k->str;
    f->at = k->at;
    f->cur = c->pb->cur;
    if (!valid_path(f->path)) {
        cerror(c, k, NULL, "'%s' is not a valid fact path: use words of letters, digits and _ "
                           "joined by dots, like customer.tenure_years",
               f->path);
        return false;
    }
    if (v->kind == N_SCALAR) {
        /* short form: `customer.age: number` */
        f->type = type_by_name(v->str);
        if (f->type == T_ANY || f->type == T_ENUM) {
            cerror(c, v, NULL, "'%s' is not a fact type; write { type: number } with one of "
                               "bool, number, money, string, enum (with values:), duration, "
                               "date, role, list",
                   v->str);
            return false;
        }
        return true;
    }
    if (!want_kind(c, v, N_MAP, "a fact declaration", NULL))
        return false;
    static const char *const keys[] = {"type", "values", "default", "min", "max", "doc",
                                       "max_length", "currency", NULL};
    if (!known_keys(c, v, keys, "a fact declaration", NULL))
        return false;
    const node *t = map_get(v, "type");
    if (!t) {
        cerror(c, v, NULL, "the fact '%s' has no type: add type: number (or bool, money, "
                           "string, enum, duration, date, role, list)",
               f->path);
        return false;
    }
    const char *tn = scalar_str(c, t, "type", NULL);
    if (!tn)
        return false;
    f->type = type_by_name(tn);
    if (f->type == T_ANY) {
        cerror(c, t, NULL, "'%s' is not a fact type; use bool, number, money, string, enum, "
                           "duration, date, role or list",
               tn);
        return false;
    }
    const node *cu = map_get(v, "currency");
    if (cu) {
        if (f->type != T_MONEY) {
            cerror(c, cu, NULL, "currency: is only for money facts");
            return false;
        }
        int k3 = cu->kind == N_SCALAR ? money_currency(cu->str, cu->len) : -1;
        if (k3 < 0) {
            cerror(c, cu, NULL, "'%s' is not a known ISO 4217 currency code", cu->str);
            return false;
        }
        f->cur = k3;
    } else if (f->type == T_MONEY && c->pb->cur < 0) {
        cerror(c, t, NULL, "the money fact '%s' has no currency: set the playbook's currency: "
                           "(e.g. currency: EUR) or the fact's own",
               f->path);
        return false;
    }
    const node *vals = map_get(v, "values");
    if (f->type == T_ENUM) {
        if (!vals) {
            cerror(c, v, NULL, "the enum fact '%s' needs values: [a, b, c]", f->path);
            return false;
        }
        f->set = compile_values(c, vals, NULL);
        if (!f->set)
            return false;
    } else if (vals) {
        cerror(c, vals, NULL, "values: is only for type: enum");
        return false;
    }
    if (!compile_fact_bounds(c, f, v))
        return false;
    const node *ml = map_get(v, "max_length");
    if (ml) {
        raw r;
        raw_from_node(ml, &r);
        if (f->type != T_STR || r.k != RAW_NUM || r.n < 1 || r.n > 1e9) {
            cerror(c, ml, NULL, "max_length: is a positive number of characters, for strings");
            return false;
        }
        f->max_length = (size_t)r.n;
    }
    const node *doc = map_get(v, "doc");
    if (doc)
        f->doc = scalar_str(c, doc, "doc", NULL);
    return true;
}

static bool compile_fact_default(compiler *c, fact *f, const node *v)
{
    const node *d = v->kind == N_MAP ? map_get(v, "default") : NULL;
    if (!d)
        return true;
    if (f->type == T_DATE && scalar_is(d, "today"))
        return true; /* the engine's clock: the absence of a default */
    if (f->type == T_LIST && d->kind == N_SEQ) {
        strlist *l = arena_alloc(c->a, sizeof *l);
        const char **items = arena_alloc(c->a, (d->n + 1) * sizeof *items);
        size_t *lens = arena_alloc(c->a, (d->n + 1) * sizeof *lens);
        if (!l || !items || !lens)
            return false;
        for (size_t i = 0; i < d->n; i++) {
            const node *it = d->items[i];
            if (it->kind != N_SCALAR || !(items[i] = text_nfc(c->a, it->str, it->len, &lens[i]))) {
                cerror(c, it, NULL, "the default of '%s' must be a list of texts", f->path);
                return false;
            }
        }
        l->n = d->n;
        l->items = items;
        l->lens = lens;
        f->def.t = V_LIST;
        f->def.u.list = l;
        f->has_default = true;
        return true;
    }
    raw r;
    raw_from_node(d, &r);
    const char *err = fact_value(c->a, c->pb, f, &r, &f->def);
    if (err) {
        cerror(c, d, NULL, "the default of '%s' is not valid: %s", f->path, err);
        return false;
    }
    f->has_default = f->def.t != V_MISSING;
    return true;
}

static void special_fact(compiler *c, const char *path, int *slot, ttype want)
{
    int f = fact_lookup(c->pb, path, strlen(path));
    *slot = f;
    if (f < 0)
        return;
    fact *fa = &c->pb->facts[f];
    bool ok = fa->type == want || (want == T_ENUM && fa->type == T_STR && strcmp(path, "locale") == 0);
    if (strcmp(path, "channel") == 0)
        ok = fa->type == T_ENUM;
    if (!ok) {
        report_add(c->r, LW_ERROR, fa->at, NULL,
                   "the fact '%s' has a meaning to the engine and must be of type %s", path,
                   ttype_name(want));
        *slot = -1;
    }
}

typedef struct fact_pair {
    size_t group, member; /* fact indices: the fact that is also a group, one in it */
} fact_pair;

static int pair_order(const void *a, const void *b)
{
    const fact_pair *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    return (x->member > y->member) - (x->member < y->member);
}

/* A path may not be both a value and a group: customer and customer.age.
** Each prefix of a path (up to a dot) is looked up in paths; the errors come
** ordered by the fact that is a group, then by the fact inside it. */
static bool check_fact_groups(compiler *c, const strtab *paths)
{
    lw_playbook *pb = c->pb;
    size_t dots = 0;
    for (size_t j = 0; j < pb->n_facts; j++)
        for (const char *q = pb->facts[j].path; *q; q++)
            dots += *q == '.';
    fact_pair *pairs = arena_alloc(&c->tmp, (dots ? dots : 1) * sizeof *pairs);
    if (!pairs)
        return false;
    size_t n = 0;
    for (size_t j = 0; j < pb->n_facts; j++) {
        const char *p = pb->facts[j].path;
        for (const char *q = strchr(p, '.'); q; q = strchr(q + 1, '.')) {
            const fact *g = strtab_get(paths, NULL, p, (size_t)(q - p));
            if (g)
                pairs[n++] = (fact_pair){(size_t)(g - pb->facts), j};
        }
    }
    qsort(pairs, n, sizeof *pairs, pair_order);
    for (size_t i = 0; i < n; i++)
        report_add(c->r, LW_ERROR, pb->facts[pairs[i].member].at, NULL,
                   "'%s' cannot be declared because '%s' is itself a fact; rename one",
                   pb->facts[pairs[i].member].path, pb->facts[pairs[i].group].path);
    return n == 0;
}

static bool compile_facts(compiler *c, node **maps, size_t nmaps)
{
    lw_playbook *pb = c->pb;
    size_t total = 0;
    for (size_t m = 0; m < nmaps; m++)
        total += maps[m]->n;
    pb->facts = arena_alloc(c->a, (total ? total : 1) * sizeof *pb->facts);
    if (!pb->facts)
        return false;
    bool ok = true;
    const node **decl = arena_alloc(&c->tmp, (total ? total : 1) * sizeof *decl);
    if (!decl)
        return false;
    strtab paths; /* path -> fact */
    strtab_init(&paths, &c->tmp);
    for (size_t m = 0; m < nmaps; m++) {
        for (size_t i = 0; i < maps[m]->n; i++) {
            const node *k = MAP_KEY(maps[m], i), *v = MAP_VAL(maps[m], i);
            const fact *same = strtab_get(&paths, NULL, k->str, strlen(k->str));
            if (same) {
                cerror(c, k, NULL, "the fact '%s' is declared twice (also at %s:%d)", k->str,
                       same->at.file, same->at.line);
                ok = false;
                continue;
            }
            fact *f = &pb->facts[pb->n_facts];
            memset(f, 0, sizeof *f);
            if (!compile_fact(c, f, k, v)) {
                ok = false;
                continue;
            }
            if (strtab_add(&paths, NULL, f->path, strlen(f->path), f, NULL) < 0)
                return false;
            decl[pb->n_facts++] = v;
        }
    }
    if (!check_fact_groups(c, &paths))
        ok = false;
    if (!build_fact_index(c))
        return false;
    special_fact(c, "channel", &pb->f_channel, T_ENUM);
    special_fact(c, "staff.role", &pb->f_role, T_ROLE);
    special_fact(c, "locale", &pb->f_locale, T_STR);
    special_fact(c, "date", &pb->f_date, T_DATE);
    c->decl_nodes = decl;
    return ok;
}

static bool compile_fact_defaults(compiler *c)
{
    bool ok = true;
    for (size_t i = 0; i < c->pb->n_facts; i++)
        ok = compile_fact_default(c, &c->pb->facts[i], c->decl_nodes[i]) && ok;
    return ok;
}

/* ======================================================================
** Outcome words and roles (§4, §5)
*/
static bool compile_outcomes(compiler *c, const node *n)
{
    lw_playbook *pb = c->pb;
    static const char *const std[] = {"allow", "deny", "escalate"};
    static const int ranks[] = {0, 20, 10};
    size_t extra = n && n->kind == N_SEQ ? n->n : 0;
    pb->outcomes = arena_alloc(c->a, (3 + extra) * sizeof *pb->outcomes);
    if (!pb->outcomes)
        return false;
    for (int i = 0; i < 3; i++)
        pb->outcomes[i] = (outcome_word){std[i], ranks[i]};
    pb->n_outcomes = 3;
    for (int i = 0; i < 3; i++)
        if (strtab_add(&c->outcome_ids, NULL, std[i], strlen(std[i]), &pb->outcomes[i], NULL) < 0)
            return false;
    if (!n)
        return true;
    /* outcomes: [allow, offer_alternative, escalate, refer, deny] -- least to most restrictive;
    ** must contain allow, escalate and deny in that order. */
    if (!want_kind(c, n, N_SEQ, "outcomes", NULL))
        return false;
    int seen[3] = {-1, -1, -1};
    for (size_t i = 0; i < n->n; i++) {
        const node *w = n->items[i];
        if (!want_kind(c, w, N_SCALAR, "each outcome", NULL) || !valid_id(w->str)) {
            cerror(c, w, NULL, "an outcome must be a word of letters, digits, _ and -");
            return false;
        }
        int k = -1;
        for (int s = 0; s < 3; s++)
            if (strcmp(w->str, std[s]) == 0)
                k = s;
        if (k >= 0) {
            seen[k] = (int)i;
            pb->outcomes[k].rank = (int)i * 10;
        } else if (strcmp(w->str, "invalid") == 0) {
            cerror(c, w, NULL, "'invalid' is reserved for invalid cases and always ranks "
                               "highest; remove it from outcomes:");
            return false;
        } else {
            outcome_word *o = &pb->outcomes[pb->n_outcomes];
            int added = strtab_add(&c->outcome_ids, NULL, w->str, strlen(w->str), o, NULL);
            if (added < 0)
                return false;
            if (added == 0) {
                cerror(c, w, NULL, "the outcome '%s' is listed twice", w->str);
                return false;
            }
            *o = (outcome_word){w->str, (int)i * 10};
            pb->n_outcomes++;
        }
    }
    if (seen[0] < 0 || seen[1] < 0 || seen[2] < 0 || !(seen[0] < seen[2] && seen[2] < seen[1])) {
        cerror(c, n, NULL, "outcomes: lists every outcome from least to most restrictive and "
                           "must include allow, escalate and deny in that order");
        return false;
    }
    return true;
}

static int outcome_index(compiler *c, const node *n, const char *rule)
{
    if (!n || n->kind != N_SCALAR) {
        cerror(c, n, rule, "outcome must be one word: allow, deny or escalate");
        return -1;
    }
    const outcome_word *o = outcome_by_word(c, n->str, strlen(n->str));
    if (o)
        return (int)(o - c->pb->outcomes);
    cerror(c, n, rule, "'%s' is not an outcome: use allow, deny or escalate, or declare it "
                       "under outcomes:",
           n->str);
    return -1;
}

static bool compile_roles(compiler *c, node **lists, size_t nl)
{
    lw_playbook *pb = c->pb;
    size_t total = 0;
    for (size_t l = 0; l < nl; l++)
        total += lists[l]->n;
    pb->roles = arena_alloc(c->a, (total ? total : 1) * sizeof *pb->roles);
    if (!pb->roles)
        return false;
    bool ok = true;
    static const char *const keys[] = {"id", "goodwill_limit", "may_override", "title", "doc",
                                       NULL};
    for (size_t l = 0; l < nl; l++) {
        for (size_t i = 0; i < lists[l]->n; i++) {
            const node *m = lists[l]->items[i];
            if (!want_kind(c, m, N_MAP, "a role", NULL)) {
                ok = false;
                continue;
            }
            const char *id = rule_id(c, m, "role");
            if (!id || !known_keys(c, m, keys, "a role", id)) {
                ok = false;
                continue;
            }
            role_def *r = &pb->roles[pb->n_roles];
            int added = strtab_add(&c->ids, K_ROLE, id, strlen(id), r, NULL);
            if (added < 0)
                return false;
            if (added == 0) {
                cerror(c, map_get(m, "id"), id, "the role '%s' is declared twice", id);
                ok = false;
            }
            pb->n_roles++;
            memset(r, 0, sizeof *r);
            r->id = id;
            r->at = m->at;
            const node *lim = map_get(m, "goodwill_limit");
            if (lim) {
                if (pb->cur < 0) {
                    cerror(c, lim, id, "goodwill_limit needs the playbook's currency: add "
                                       "currency: EUR (or another ISO code) at the top");
                    ok = false;
                } else if (parse_money_node(c, lim, &r->limit, "goodwill_limit", id)) {
                    r->has_limit = true;
                    r->limit_at = lim->at;
                    if (r->limit < 0) {
                        cerror(c, lim, id, "goodwill_limit cannot be negative");
                        ok = false;
                    }
                } else {
                    ok = false;
                }
            }
        }
    }
    /* the ladder: limits never decrease */
    int64_t prev = 0;
    const role_def *prev_r = NULL;
    for (size_t i = 0; i < pb->n_roles; i++) {
        role_def *r = &pb->roles[i];
        if (!r->has_limit) {
            r->limit = prev;
            r->has_limit = prev_r != NULL;
            continue;
        }
        if (prev_r && r->limit < prev) {
            char a[64], b[64];
            money_format(money_to_minor(r->limit), pb->cur, true, a, sizeof a);
            money_format(money_to_minor(prev), pb->cur, true, b, sizeof b);
            report_add(c->r, LW_ERROR, r->limit_at, r->id,
                       "the goodwill_limit of '%s' (%s) is lower than that of '%s' (%s) before "
                       "it; roles go from least to most authority, so limits may not decrease",
                       r->id, a, prev_r->id, b);
            ok = false;
        }
        prev = r->limit;
        prev_r = r;
    }
    return ok;
}

/* The advice for a may_override entry that names no policy: the nearest
** policy id, or `all`. */
static const char *policy_hint(compiler *c, const char *name)
{
    nearest near = nearest_start(name, 3);
    nearest_offer(&near, "all");
    for (size_t p = 0; p < c->pb->n_policies; p++)
        nearest_offer(&near, c->pb->policies[p].id);
    if (!near.best)
        return "check the spelling or remove it";
    if (strcmp(near.best, "all") == 0)
        return "did you mean may_override: all (every policy)?";
    return arena_printf(&c->tmp, "did you mean '%s'?", near.best);
}

/* The exception of p nearest to name, for a "did you mean", or NULL when none
** is near; and all of p's exception ids, comma-separated, in *all (on c->tmp). */
static const char *nearest_exception(compiler *c, const policy *p, const char *name,
                                     const char **all)
{
    strbuf b;
    buf_init(&b, &c->pb->mem);
    nearest near = nearest_start(name, 3);
    for (size_t i = 0; i < p->n_exc; i++) {
        buf_puts(&b, i ? ", " : "");
        buf_puts(&b, p->exc[i].id);
        nearest_offer(&near, p->exc[i].id);
    }
    *all = arena_strdup(&c->tmp, b.p ? b.p : "");
    buf_free(&b);
    return near.best;
}

/* The index of the role `what` names at n, or -1 after reporting. */
static int role_ref(compiler *c, const node *n, const char *what, const char *rule)
{
    const char *id = scalar_str(c, n, what, rule);
    if (!id)
        return -1;
    const role_def *r = role_by_id(c, id, strlen(id));
    if (r)
        return (int)(r - c->pb->roles);
    const lw_playbook *pb = c->pb;
    if (pb->n_roles == 0) {
        cerror(c, n, rule, "%s names the role '%s', but the playbook has no roles: declare them "
                           "under roles:",
               what, id);
        return -1;
    }
    cerror(c, n, rule, "%s names '%s', which is not a role of this playbook %s", what, id,
           roles_hint(&c->tmp, pb, id, strlen(id)));
    return -1;
}

/* escalate_to: ROLE on a policy or an exception whose outcome is escalate. */
static bool compile_escalate_to(compiler *c, const node *m, int outcome, const char *rule,
                                int *out)
{
    *out = -1;
    const node *n = map_get(m, "escalate_to");
    if (!n)
        return true;
    if (outcome >= 0 && outcome != OUT_ESCALATE) {
        cerror(c, n, rule, "escalate_to: says who an escalation goes to, but the outcome of "
                           "'%s' is %s; make the outcome escalate or remove escalate_to:",
               rule, c->pb->outcomes[outcome].word);
        return false;
    }
    *out = role_ref(c, n, "escalate_to:", rule);
    return *out >= 0;
}

/* may_override: POLICY.EXCEPTION -- the exception, or NULL after reporting. */
static exception_rule *exception_ref(compiler *c, const node *at, const policy *p,
                                     const char *entry, const char *id, const char *role)
{
    exception_rule *x = p->n_exc ? strtab_get(&c->ids, p->exc, id, strlen(id)) : NULL;
    if (!x) {
        if (!p->n_exc) {
            cerror(c, at, role, "may_override names '%s', but the policy '%s' has no "
                                "exceptions; name the policy alone or remove it",
                   entry, p->id);
            return NULL;
        }
        const char *all;
        const char *best = nearest_exception(c, p, id, &all);
        cerror(c, at, role, "may_override names '%s', but the policy '%s' has no exception "
                            "'%s'%s; its exceptions are: %s",
               entry, p->id, id,
               best ? arena_printf(&c->tmp, " (did you mean '%s'?)", best) : "", all ? all : "");
        return NULL;
    }
    if (!x->discretionary) {
        cerror(c, at, role, "may_override names '%s', but that exception is automatic: it "
                            "applies whoever acts; make it discretionary: true or remove it "
                            "from may_override",
               entry);
        return NULL;
    }
    return x;
}

static policy *next_version(lw_playbook *pb, const policy *p)
{
    return p->next_version >= 0 ? &pb->policies[p->next_version] : NULL;
}

/* may_override: [POLICY.EXCEPTION] for the role r: the exception of that id
** in every version of the policy that has one. */
static bool override_exception(compiler *c, const node *at, policy *p, const char *entry,
                               const char *id, const role_def *r)
{
    bool found = false;
    policy *with_exc = p; /* for the error: a version that has exceptions */
    for (policy *v = p; v; v = next_version(c->pb, v)) {
        if (!with_exc->n_exc)
            with_exc = v;
        if (!v->n_exc || !strtab_get(&c->ids, v->exc, id, strlen(id)))
            continue;
        exception_rule *x = exception_ref(c, at, v, entry, id, r->id);
        if (!x)
            return false;
        if (x->overriders < 0)
            x->overriders = (int)(r - c->pb->roles);
        found = true;
    }
    return found || exception_ref(c, at, with_exc, entry, id, r->id) != NULL;
}

/* Who may apply each discretionary exception: the first role (in ladder
** order) whose may_override names its policy, the exception itself
** (POLICY.EXCEPTION) or says all; every role after it may too. */
static bool compile_may_override(compiler *c, node **lists, size_t nl)
{
    lw_playbook *pb = c->pb;
    for (size_t p = 0; p < pb->n_policies; p++) {
        pb->policies[p].overriders = -1;
        for (size_t k = 0; k < pb->policies[p].n_exc; k++)
            pb->policies[p].exc[k].overriders = -1;
    }
    int all_from = -1; /* the first role that may override every policy */
    bool ok = true;
    size_t ri = 0;
    for (size_t l = 0; l < nl; l++) {
        for (size_t i = 0; i < lists[l]->n && ri < pb->n_roles; i++) {
            const node *m = lists[l]->items[i];
            if (m->kind != N_MAP || !map_get(m, "id"))
                continue;
            role_def *r = &pb->roles[ri++];
            const node *mo = map_get(m, "may_override");
            if (!mo)
                continue;
            if (scalar_is(mo, "all")) {
                r->all = true;
                if (all_from < 0)
                    all_from = (int)(ri - 1);
                continue;
            }
            size_t n;
            const char **ids = compile_strlist(c, mo, &n, "may_override", r->id);
            if (!ids && n) {
                ok = false;
                continue;
            }
            for (size_t k = 0; k < n; k++) {
                const node *at = mo->kind == N_SEQ ? mo->items[k] : mo;
                const char *dot = strchr(ids[k], '.');
                size_t plen = dot ? (size_t)(dot - ids[k]) : strlen(ids[k]);
                policy *p = policy_by_id(c, ids[k], plen);
                if (p && dot) {
                    ok = override_exception(c, at, p, ids[k], dot + 1, r) && ok;
                } else if (p) {
                    for (; p; p = next_version(pb, p))
                        if (p->overriders < 0)
                            p->overriders = (int)(ri - 1);
                } else {
                    report_add(c->r, LW_WARNING, at->at, r->id,
                               "may_override names '%s', which is no policy of this playbook; "
                               "%s",
                               ids[k], policy_hint(c, ids[k]));
                }
            }
        }
    }
    for (size_t i = 0; i < pb->n_policies; i++) {
        policy *p = &pb->policies[i];
        if (all_from >= 0 && (p->overriders < 0 || p->overriders > all_from))
            p->overriders = all_from;
        for (size_t k = 0; k < p->n_exc; k++) {
            exception_rule *x = &p->exc[k];
            if (p->overriders >= 0 && (x->overriders < 0 || x->overriders > p->overriders))
                x->overriders = p->overriders;
        }
    }
    return ok;
}

/* ======================================================================
** Policies and exceptions (§5)
*/
static bool has_window(const window *w)
{
    return w->has_from || w->has_until;
}

/* " [from 2026-01-01 until 2026-07-01]" for a version of a policy (its
** window tells the versions apart in coverage), "" for a policy alone. */
static const char *version_label(compiler *c, const policy *p)
{
    const policy *first = policy_by_id(c, p->id, strlen(p->id));
    if (!first || (first == p && p->next_version < 0))
        return "";
    char from[32] = "", until[32] = "";
    if (p->eff.has_from)
        date_format(p->eff.from, from, sizeof from);
    if (p->eff.has_until)
        date_format(p->eff.until, until, sizeof until);
    return arena_printf(c->a, " [%s%s%s%s%s]", *from ? "from " : "", from,
                        *from && *until ? " " : "", *until ? "until " : "", until);
}

/* The coverage names of a policy and its exceptions, once a second version
** shows that they need its window. */
static void label_version(compiler *c, const policy *p)
{
    const char *label = version_label(c, p);
    c->pb->cov_names[p->cov] = arena_printf(c->a, "policy %s%s", p->id, label);
    for (size_t k = 0; k < p->n_exc; k++)
        c->pb->cov_names[p->exc[k].cov] =
            arena_printf(c->a, "exception %s.%s%s", p->id, p->exc[k].id, label);
}

/* A policy whose id is taken is a new version of that policy: it and every
** earlier version must have an effective window. */
static bool version_allowed(compiler *c, const policy *p, const node *id)
{
    for (const policy *w = policy_by_id(c, p->id, strlen(p->id)); w;
         w = w->next_version >= 0 ? &c->pb->policies[w->next_version] : NULL)
        if (!has_window(&w->eff) || !has_window(&p->eff)) {
            cerror(c, id, p->id,
                   "the policy id '%s' is used twice (also at %s:%d); two policies may share "
                   "an id only as versions of one policy: give each an effective: window "
                   "(from:, until:) for the dates it is in force, or give this one its own id",
                   p->id, w->at.file, w->at.line);
            return false;
        }
    return true;
}

/* Link a compiled version after the last of its id. */
static void link_version(compiler *c, policy *p)
{
    policy *v = policy_by_id(c, p->id, strlen(p->id));
    policy *first = v;
    while (v->next_version >= 0)
        v = &c->pb->policies[v->next_version];
    v->next_version = (int)(p - c->pb->policies);
    if (v == first)
        label_version(c, first); /* its second version: the first needs its window too */
}

static bool compile_exception(compiler *c, policy *p, exception_rule *x, const node *m,
                              const scope *sc)
{
    static const char *const keys[] = {"id", "title", "when", "outcome", "discretionary",
                                       "requires", "escalate_to", "reason", "say", "effective",
                                       "doc", NULL};
    if (!want_kind(c, m, N_MAP, "an exception", p->id))
        return false;
    x->id = rule_id(c, m, "exception");
    if (!x->id || !known_keys(c, m, keys, "an exception", x->id))
        return false;
    x->at = m->at;
    scope s = *sc;
    s.rule = x->id;
    bool ok = true;
    const node *w = map_get(m, "when");
    if (!w) {
        cerror(c, m, x->id, "the exception '%s' has no when: condition", x->id);
        ok = false;
    } else if (!(x->when = expr_compile(c, w, &s, T_BOOL))) {
        ok = false;
    }
    const node *o = map_get(m, "outcome");
    x->outcome = o ? outcome_index(c, o, x->id) : OUT_ALLOW;
    if (x->outcome < 0)
        ok = false;
    ok = compile_escalate_to(c, m, x->outcome, x->id, &x->escalate_to) && ok;
    const node *d = map_get(m, "discretionary");
    if (d && !parse_bool(c, d, &x->discretionary, "discretionary", x->id))
        ok = false;
    size_t nr;
    x->requires = compile_strlist(c, map_get(m, "requires"), &nr, "requires", x->id);
    x->n_requires = nr;
    ok = compile_msg(c, map_get(m, "reason"), &s, &x->reason) && ok;
    ok = compile_msg(c, map_get(m, "say"), &s, &x->say) && ok;
    ok = compile_window(c, map_get(m, "effective"), &x->eff, x->id) && ok;
    x->cov = cov_new(c, "exception %s.%s%s", p->id, x->id, version_label(c, p));
    return ok;
}

static bool compile_policy(compiler *c, policy *p, const node *m)
{
    static const char *const keys[] = {"id", "title", "applies", "outcome", "escalate_to",
                                       "reason", "say", "exceptions", "channels",
                                       "channel_specific", "effective", "doc", NULL};
    if (!want_kind(c, m, N_MAP, "a policy", NULL))
        return false;
    p->id = rule_id(c, m, "policy");
    if (!p->id || !known_keys(c, m, keys, "a policy", p->id))
        return false;
    p->at = m->at;
    p->next_version = -1;
    lw_playbook *pb = c->pb;
    scope s = {.rule = p->id};
    bool ok = true;
    const node *t = map_get(m, "title");
    if (t)
        p->title = scalar_str(c, t, "title", p->id);
    const node *a = map_get(m, "applies");
    if (!a) {
        cerror(c, m, p->id, "the policy '%s' has no applies: condition (write applies: true if "
                            "it always applies)",
               p->id);
        ok = false;
    } else if (!(p->applies = expr_compile(c, a, &s, T_BOOL))) {
        ok = false;
    }
    const node *o = map_get(m, "outcome");
    if (!o) {
        cerror(c, m, p->id, "the policy '%s' has no outcome: (allow, deny or escalate)", p->id);
        ok = false;
    } else if ((p->outcome = outcome_index(c, o, p->id)) < 0) {
        ok = false;
    }
    ok = compile_escalate_to(c, m, o ? p->outcome : -1, p->id, &p->escalate_to) && ok;
    ok = compile_msg(c, map_get(m, "reason"), &s, &p->reason) && ok;
    ok = compile_msg(c, map_get(m, "say"), &s, &p->say) && ok;
    ok = compile_window(c, map_get(m, "effective"), &p->eff, p->id) && ok;
    if (!version_allowed(c, p, map_get(m, "id")))
        return false;
    const node *cs = map_get(m, "channel_specific");
    if (cs) {
        p->channel_specific = true;
        if (cs->kind != N_SCALAR) {
            cerror(c, cs, p->id, "channel_specific: takes the reason why the policy differs by "
                                 "channel, as text");
            ok = false;
        }
    }
    const node *ch = map_get(m, "channels");
    if (ch) {
        if (pb->f_channel < 0) {
            cerror(c, ch, p->id, "channels: needs a fact 'channel: { type: enum, values: "
                                 "[store, phone, chat] }'");
            ok = false;
        } else {
            size_t n;
            const char **words = compile_strlist(c, ch, &n, "channels", p->id);
            const enumset *set = pb->facts[pb->f_channel].set;
            for (size_t i = 0; i < n; i++) {
                int k = enumset_find_text(&c->tmp, set, words[i], strlen(words[i]));
                if (k < 0) {
                    cerror(c, ch->kind == N_SEQ ? ch->items[i] : ch, p->id,
                           "'%s' is not one of the channel values", words[i]);
                    ok = false;
                } else {
                    p->channels |= (uint64_t)1 << k;
                }
            }
            if (n == 0) {
                cerror(c, ch, p->id, "channels: is empty, so the policy would never apply");
                ok = false;
            }
        }
    }
    p->cov = cov_new(c, "policy %s%s", p->id, version_label(c, p));
    const node *ex = map_get(m, "exceptions");
    if (ex) {
        if (!want_kind(c, ex, N_SEQ, "exceptions", p->id))
            return false;
        p->exc = arena_alloc(c->a, (ex->n ? ex->n : 1) * sizeof *p->exc);
        if (!p->exc)
            return false;
        for (size_t i = 0; i < ex->n; i++) {
            exception_rule *x = &p->exc[p->n_exc];
            if (!compile_exception(c, p, x, ex->items[i], &s)) {
                ok = false;
                continue;
            }
            void *first;
            int added = strtab_add(&c->ids, p->exc, x->id, strlen(x->id), x, &first);
            if (added < 0)
                return false;
            if (added == 0) {
                cerror(c, map_get(ex->items[i], "id"), x->id,
                       "the exception id '%s' is used twice in policy '%s' (also at line %d)",
                       x->id, p->id, ((exception_rule *)first)->at.line);
                ok = false;
            }
            p->n_exc++;
        }
    }
    return ok;
}

/* ======================================================================
** Goodwill (§6), limits, outputs, promises (§7)
*/
static bool compile_step(compiler *c, step_rule *st, const node *m)
{
    static const char *const keys[] = {"id", "title", "when", "table", "amount", "add",
                                       "multiply", "cap", "floor", "round", "lua", "effective",
                                       "doc", NULL};
    static const char *const kinds[] = {"table", "amount", "add", "multiply", "cap", "floor",
                                        "round", "lua"};
    if (!want_kind(c, m, N_MAP, "a goodwill step", NULL))
        return false;
    st->id = rule_id(c, m, "goodwill step");
    if (!st->id || !known_keys(c, m, keys, "a goodwill step", st->id))
        return false;
    st->at = m->at;
    scope s = {.amount = true, .policies = true, .rule = st->id};
    int found = -1;
    for (int k = 0; k < 8; k++)
        if (map_get(m, kinds[k])) {
            if (found >= 0) {
                cerror(c, map_get(m, kinds[k]), st->id,
                       "a step does one thing: it has both %s: and %s:; split it into two steps",
                       kinds[found], kinds[k]);
                return false;
            }
            found = k;
        }
    if (found < 0) {
        cerror(c, m, st->id, "the step '%s' does nothing: give it one of table, amount, add, "
                             "multiply, cap, floor, round or lua",
               st->id);
        return false;
    }
    bool ok = true;
    if (found == 7) {
        /* lua: the script receives `amount` and returns the new amount */
        st->kind = STEP_AMOUNT;
        st->cov = cov_new(c, "goodwill %s", st->id);
        const node *w0 = map_get(m, "when");
        if (w0 && !(st->when = expr_compile(c, w0, &s, T_BOOL)))
            ok = false;
        ok = compile_window(c, map_get(m, "effective"), &st->eff, st->id) && ok;
        st->arg = script_compile(c, map_get(m, "lua"), &s, T_MONEY, NULL);
        return st->arg && ok;
    }
    st->kind = (step_kind)found;
    const node *w = map_get(m, "when");
    if (w && !(st->when = expr_compile(c, w, &s, T_BOOL)))
        ok = false;
    ok = compile_window(c, map_get(m, "effective"), &st->eff, st->id) && ok;
    const node *arg = map_get(m, kinds[found]);
    st->cov = cov_new(c, "goodwill %s", st->id);
    switch (st->kind) {
    case STEP_TABLE:
        st->tab = table_compile(c, arg, &s, T_MONEY, NULL, "amount", st->id);
        if (st->tab && st->tab->n_out > 1) {
            st->col = (size_t)table_result_index(st->tab, "amount");
            st->res_slot = c->pb->n_step_results;
            c->pb->n_step_results += st->tab->n_out;
        }
        if (st->tab && ((st->tab->hit == HIT_COLLECT && st->tab->agg == AGG_NONE) ||
                        st->tab->hit == HIT_RULE_ORDER || st->tab->hit == HIT_OUTPUT_ORDER ||
                        st->tab->agg == AGG_COUNT)) {
            cerror(c, arg, st->id, "a goodwill table gives one amount: use hit: first, unique, "
                                   "any or priority, or collect with aggregate: sum, min or max");
            ok = false;
        }
        ok = st->tab && ok;
        break;
    case STEP_MULTIPLY:
        ok = (st->arg = expr_compile(c, arg, &s, T_NUM)) && ok;
        break;
    default:
        ok = (st->arg = expr_compile(c, arg, &s, T_MONEY)) && ok;
        if (st->kind == STEP_ROUND && st->arg && st->arg->op == X_CONST &&
            st->arg->k.u.i <= 0) {
            cerror(c, arg, st->id, "the rounding step must be more than zero, like round: 1 EUR");
            ok = false;
        }
        break;
    }
    return ok;
}

static bool compile_limits(compiler *c, node **maps, size_t nm)
{
    lw_playbook *pb = c->pb;
    size_t total = 0;
    for (size_t i = 0; i < nm; i++)
        total += maps[i]->n;
    pb->limits = arena_alloc(c->a, (total ? total : 1) * sizeof *pb->limits);
    if (!pb->limits)
        return false;
    bool ok = true;
    static const char *const keys[] = {"cap", "used", "doc", NULL};
    for (size_t i = 0; i < nm; i++)
        for (size_t j = 0; j < maps[i]->n; j++) {
            const node *k = MAP_KEY(maps[i], j), *v = MAP_VAL(maps[i], j);
            limit_rule *l = &pb->limits[pb->n_limits];
            l->id = k->str;
            l->at = k->at;
            scope s = {.policies = true, .rule = l->id};
            const limit_rule *same = strtab_get(&c->ids, K_LIMIT, l->id, strlen(l->id));
            if (same) {
                cerror(c, k, l->id, "the limit '%s' is declared twice (also at %s:%d)", l->id,
                       same->at.file, same->at.line);
                ok = false;
                continue;
            }
            if (!want_kind(c, v, N_MAP, "a limit", l->id) ||
                !known_keys(c, v, keys, "a limit", l->id)) {
                ok = false;
                continue;
            }
            const node *cap = map_get(v, "cap"), *used = map_get(v, "used");
            if (!cap) {
                cerror(c, v, l->id, "the limit '%s' needs cap: (the most goodwill allowed)",
                       l->id);
                ok = false;
                continue;
            }
            l->cap = expr_compile(c, cap, &s, T_MONEY);
            l->used = used ? expr_compile(c, used, &s, T_MONEY) : NULL;
            if (!l->cap || (used && !l->used)) {
                ok = false;
                continue;
            }
            if (strtab_add(&c->ids, K_LIMIT, l->id, strlen(l->id), l, NULL) < 0)
                return false;
            pb->n_limits++;
        }
    return ok;
}

/* How many outputs the entry v makes: one, or one per result of its table. */
static size_t output_count(const node *v)
{
    const node *tab = v->kind == N_MAP ? map_get(v, "table") : NULL;
    const node *many = tab && tab->kind == N_MAP ? map_get(tab, "outputs") : NULL;
    return many && many->kind != N_SCALAR && many->n > 1 ? many->n : 1;
}

/* The outputs o[1..] of a table with several results: one per result column,
** named by it; o[0] evaluates the table for all of them. */
static void output_group(output_rule *o)
{
    const table *t = o->tab;
    for (size_t i = t->n_out; i-- > 0;) {
        o[i] = o[0];
        o[i].col = i;
        o[i].name = t->out[i].name;
        o[i].at = t->out[i].at;
        o[i].type = table_gives_list(t) ? T_LIST : t->out[i].type;
        o[i].set = t->out[i].set;
    }
}

/* Compiles the output entry k: v into o (and, for a table with several
** results, the outputs after it); the number of outputs, 0 on error. */
static size_t compile_output(compiler *c, output_rule *o, const node *k, const node *v)
{
    static const char *const keys[] = {"value", "table", "lua", "when", "type", "values", "doc",
                                       NULL};
    o->name = k->str;
    o->at = k->at;
    if (!valid_id(o->name)) {
        cerror(c, k, NULL, "'%s' is not a valid output name (letters, digits, _ and -)",
               o->name);
        return 0;
    }
    if (!want_kind(c, v, N_MAP, "an output", o->name) ||
        !known_keys(c, v, keys, "an output", o->name))
        return 0;
    lw_playbook *pb = c->pb;
    size_t idx = (size_t)(o - pb->outputs);
    scope s = {.n_outputs = idx, .policies = true, .goodwill = true, .rule = o->name};
    bool ok = true;
    const node *vals = map_get(v, "values");
    if (vals) {
        o->set = compile_values(c, vals, o->name);
        if (!o->set)
            return 0;
        o->type = T_ENUM;
        s.words = o->set;
    }
    const node *t = map_get(v, "type");
    if (t) {
        const char *tn = scalar_str(c, t, "type", o->name);
        ttype ty = tn ? type_by_name(tn) : T_ANY;
        if (ty == T_ANY || (ty == T_ENUM && !o->set)) {
            cerror(c, t, o->name, "'%s' is not a type for an output (bool, number, money, "
                                  "string, duration, date, or enum with values:)",
                   tn ? tn : "");
            return 0;
        }
        o->type = ty;
    }
    const node *w = map_get(v, "when");
    if (w && !(o->when = expr_compile(c, w, &s, T_BOOL)))
        ok = false;
    const node *vn = map_get(v, "value"), *tab = map_get(v, "table"), *lua = map_get(v, "lua");
    if ((vn != NULL) + (tab != NULL) + (lua != NULL) != 1) {
        cerror(c, v, o->name, "the output '%s' needs exactly one of value:, table: or lua:",
               o->name);
        return 0;
    }
    o->cov = cov_new(c, "output %s", o->name);
    if (lua) {
        o->value = script_compile(c, lua, &s, o->type, o->set);
        return o->value && ok ? 1 : 0;
    }
    if (vn) {
        if (vn->kind != N_SCALAR) {
            cerror(c, vn, o->name, "value: must be an expression (one line of text)");
            return 0;
        }
        o->value = expr_compile_text(c, vn->str, vn->len,
                                     (pos){vn->at.file, vn->at.line,
                                           vn->at.col + (vn->plain ? 0 : 1)},
                                     &s, T_ANY, o->set);
        if (!o->value)
            return 0;
        if (o->type == T_MONEY && o->value->type == T_NUM && o->value->op == X_CONST) {
            o->value = expr_compile_text(c, vn->str, vn->len, vn->at, &s, T_MONEY, NULL);
            if (!o->value)
                return 0;
        }
        if (o->type != T_ANY && o->value->type != o->type && o->value->type != T_NULL &&
            o->value->type != T_ANY) { /* a library function's result is checked later */
            cerror(c, vn, o->name, "the output '%s' is declared as %s but its value gives %s",
                   o->name, ttype_name(o->type), ttype_name((ttype)o->value->type));
            return 0;
        }
        if (o->type == T_ANY)
            o->type = (ttype)o->value->type;
    } else {
        o->tab = table_compile(c, tab, &s, o->type, o->set, NULL, o->name);
        if (!o->tab)
            return 0;
        if (o->tab->n_out > 1) {
            output_group(o);
            return ok ? o->tab->n_out : 0;
        }
        if (table_gives_list(o->tab)) /* a list of texts, whatever its items */
            o->type = T_LIST;
        else if (o->type == T_ANY)
            o->type = o->tab->out[0].type;
    }
    return ok ? 1 : 0;
}

static bool compile_promise(compiler *c, promise_rule *p, const node *m)
{
    static const char *const keys[] = {"id", "when", "due", "text", "doc", NULL};
    if (!want_kind(c, m, N_MAP, "a promise", NULL))
        return false;
    p->id = rule_id(c, m, "promise");
    if (!p->id || !known_keys(c, m, keys, "a promise", p->id))
        return false;
    p->at = m->at;
    scope s = {.n_outputs = c->pb->n_outputs, .policies = true, .goodwill = true, .rule = p->id};
    bool ok = true;
    const node *w = map_get(m, "when");
    if (w && !(p->when = expr_compile(c, w, &s, T_BOOL)))
        ok = false;
    const node *d = map_get(m, "due");
    if (d) {
        if (d->kind != N_SCALAR || !duration_parse(d->str, d->len, &p->due)) {
            cerror(c, d, p->id, "due: must be a duration like 24h, 3d or 90min");
            ok = false;
        } else {
            p->has_due = true;
            p->due_text = d->str;
        }
    }
    const node *t = map_get(m, "text");
    if (!t) {
        cerror(c, m, p->id, "the promise '%s' needs text: (what the customer is promised)",
               p->id);
        ok = false;
    } else {
        ok = compile_msg(c, t, &s, &p->text) && ok;
    }
    p->cov = cov_new(c, "promise %s", p->id);
    return ok;
}

/* ======================================================================
** Sections gathered over imports (§9)
*/
/* Files a playbook may import in all: each one read and parsed counts, so
** that imports cannot multiply (three files that each import the next one
** three times would read the last one 3^15 times). */
#define MAX_IMPORTS 16

typedef struct sections { /* the main file's and each import's */
    node *facts[MAX_IMPORTS + 1], *roles[MAX_IMPORTS + 1], *policies[MAX_IMPORTS + 1],
        *goodwill[MAX_IMPORTS + 1], *limits[MAX_IMPORTS + 1], *outputs[MAX_IMPORTS + 1],
        *promises[MAX_IMPORTS + 1], *functions[MAX_IMPORTS + 1];
    size_t n_facts, n_roles, n_policies, n_goodwill, n_limits, n_outputs, n_promises,
        n_functions;
} sections;

static void add_section(compiler *c, node **arr, size_t *n, node *v, nkind k, const char *name)
{
    if (!v)
        return;
    if (!want_kind(c, v, k, name, NULL))
        return;
    if (*n < MAX_IMPORTS + 1)
        arr[(*n)++] = v;
}

static void gather(compiler *c, sections *S, node *root)
{
    add_section(c, S->facts, &S->n_facts, map_get(root, "facts"), N_MAP, "facts");
    add_section(c, S->roles, &S->n_roles, map_get(root, "roles"), N_SEQ, "roles");
    add_section(c, S->policies, &S->n_policies, map_get(root, "policies"), N_SEQ, "policies");
    add_section(c, S->goodwill, &S->n_goodwill, map_get(root, "goodwill"), N_SEQ, "goodwill");
    add_section(c, S->limits, &S->n_limits, map_get(root, "limits"), N_MAP, "limits");
    add_section(c, S->outputs, &S->n_outputs, map_get(root, "outputs"), N_MAP, "outputs");
    add_section(c, S->promises, &S->n_promises, map_get(root, "promises"), N_SEQ, "promises");
    add_section(c, S->functions, &S->n_functions, map_get(root, "functions"), N_SEQ,
                "functions");
}

static const char *const top_keys[] = {"playbook", "version", "title", "currency", "locale",
                                       "imports", "functions", "facts", "roles", "policies", "goodwill",
                                       "limits", "outputs", "promises", "tests", "outcomes",
                                       "doc", NULL};
static const char *const import_keys[] = {"playbook", "version", "title", "currency", "locale",
                                          "functions", "facts", "roles", "policies", "goodwill", "limits",
                                          "outputs", "promises", "tests", "doc", "imports",
                                          NULL};

static char *dir_of(arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? arena_strndup(a, path, (size_t)(slash - path)) : arena_strdup(a, ".");
}

static bool path_inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

/* The rule-set folders, as real paths: each folder of LEEWAY_RULES_PATH
** (separated by ':'), then the installed rule sets, LW_RULES_DIR
** (PREFIX/share/leeway/rules). Folders that do not exist are left out.
** Returns the count; the array is in c->tmp (NULL only if out of memory). */
static const char **rule_dirs(compiler *c, size_t *n)
{
    const char *env = getenv("LEEWAY_RULES_PATH");
    if (!env)
        env = "";
    size_t cap = 2;
    for (const char *p = env; *p; p++)
        cap += *p == ':';
    const char **dirs = arena_alloc(&c->tmp, cap * sizeof *dirs);
    *n = 0;
    if (!dirs)
        return NULL;
    const char *start = env;
    for (;;) {
        const char *end = strchr(start, ':');
        if (!end)
            end = start + strlen(start);
        const char *dir = start == end ? NULL : arena_strndup(&c->tmp, start, (size_t)(end - start));
        char *real = dir ? realpath(dir, NULL) : NULL;
        if (real) {
            dirs[*n] = arena_strdup(&c->tmp, real);
            *n += dirs[*n] != NULL;
            free(real);
        }
        if (!*end)
            break;
        start = end + 1;
    }
    char *real = realpath(LW_RULES_DIR, NULL);
    if (real) {
        dirs[*n] = arena_strdup(&c->tmp, real);
        *n += dirs[*n] != NULL;
        free(real);
    }
    return dirs;
}

/* A path written in `file`, relative to it or, if no such file is there, to
** a rule-set folder (rule_dirs). It may not leave the playbook's folder,
** except into the rules/ folder of one of its parent folders or a rule-set
** folder. NULL after reporting; *real gets the real path, and *in_rules the
** path as written when it was found in a rule-set folder (else NULL). */
static const char *resolve_path(compiler *c, const node *at, const char *file, const char *rel,
                                const char *what, const char **real_out, const char **in_rules)
{
    *in_rules = NULL;
    const char *base = dir_of(&c->tmp, file);
    char *joined = rel[0] == '/' ? arena_strdup(&c->tmp, rel)
                                 : arena_printf(&c->tmp, "%s/%s", base, rel);
    char *real = joined ? realpath(joined, NULL) : NULL;
    size_t ndirs;
    const char **dirs = rule_dirs(c, &ndirs);
    for (size_t i = 0; !real && rel[0] != '/' && i < ndirs; i++) {
        joined = arena_printf(&c->tmp, "%s/%s", dirs[i], rel);
        real = joined ? realpath(joined, NULL) : NULL;
        *in_rules = real ? rel : NULL;
    }
    if (!real) {
        cerror(c, at, NULL, "cannot %s '%s': the file does not exist (paths are relative to "
                            "this file, then to the rule-set folders)",
               what, rel);
        return NULL;
    }
    char *real_a = arena_strdup(&c->tmp, real);
    free(real);
    if (!real_a)
        return NULL;
    bool allowed = c->root_dir && path_inside(real_a, c->root_dir);
    for (char *up = c->root_dir ? arena_strdup(&c->tmp, c->root_dir) : NULL; up && !allowed;) {
        const char *rules = arena_printf(&c->tmp, "%s/rules", up);
        allowed = rules && path_inside(real_a, rules);
        char *slash = strrchr(up, '/');
        if (!slash || slash == up)
            break;
        *slash = 0;
    }
    if (!allowed && path_inside(real_a, "/rules"))
        allowed = true;
    for (size_t i = 0; !allowed && i < ndirs; i++)
        allowed = path_inside(real_a, dirs[i]);
    if (!allowed) {
        cerror(c, at, NULL, "cannot %s '%s': it must be inside the playbook's folder or a rules/ "
                            "folder above it (or LEEWAY_RULES_PATH)",
               what, rel);
        return NULL;
    }
    if (real_out)
        *real_out = real_a;
    return joined;
}

const char *resolve_import(compiler *c, const node *at, const char *rel, const char **in_rules)
{
    /* relative to the file that names it (the playbook or an imported file) */
    return resolve_path(c, at, at->at.file ? at->at.file : c->pb->file, rel,
                        "load the functions library", NULL, in_rules);
}

static bool load_imports(compiler *c, sections *S, const node *root, const char *file,
                         const yaml_limits *lim, int depth, const char **chain)
{
    const node *imp = map_get(root, "imports");
    if (!imp)
        return true;
    size_t n;
    const char **paths = compile_strlist(c, imp, &n, "imports", NULL);
    if (!paths)
        return n == 0;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const node *at = imp->kind == N_SEQ ? imp->items[i] : imp;
        const char *real_a = NULL;
        const char *in_rules = NULL;
        const char *joined = resolve_path(c, at, file, paths[i], "import", &real_a, &in_rules);
        if (!joined) {
            ok = false;
            continue;
        }
        for (int d = 0; d < depth; d++)
            if (strcmp(chain[d], real_a) == 0) {
                cerror(c, at, NULL, "importing '%s' makes a cycle: it imports this file back",
                       paths[i]);
                return false;
            }
        if (depth >= 16) {
            cerror(c, at, NULL, "imports are nested more than 15 deep");
            return false;
        }
        if (c->n_imports++ >= MAX_IMPORTS) {
            if (c->n_imports == MAX_IMPORTS + 1) /* said once */
                cerror(c, at, NULL, "the playbook imports more than %d files (a file imported "
                                    "twice counts twice); merge some of them",
                       MAX_IMPORTS);
            return false;
        }
        size_t len;
        const char *err = NULL;
        char *text = file_read(c->a, joined, lim->max_file, &len, &err);
        if (!text) {
            if (err) /* else out of memory: the arena's failed flag says so */
                cerror(c, at, NULL, "cannot import '%s': %s", paths[i], err);
            ok = false;
            continue;
        }
        const char *ifile = arena_strdup(c->a, joined);
        if (!bundle_add(c, joined, in_rules, text, len))
            return false;
        node *r = yaml_load(c->a, c->r, ifile, text, len, lim);
        if (!r) {
            ok = false;
            continue;
        }
        if (r->kind != N_MAP) {
            cerror(c, r, NULL, "an imported file must be a mapping of sections");
            ok = false;
            continue;
        }
        if (!known_keys(c, r, import_keys, "an imported playbook", NULL)) {
            ok = false;
            continue;
        }
        chain[depth] = real_a;
        ok = load_imports(c, S, r, ifile, lim, depth + 1, chain) && ok;
        gather(c, S, r);
    }
    return ok;
}

/* ======================================================================
** Top level
*/
static bool compile_root(compiler *c, node *root, const yaml_limits *lim)
{
    lw_playbook *pb = c->pb;
    if (root->kind != N_MAP) {
        cerror(c, root, NULL, "a playbook must be a mapping with playbook:, version:, facts:, "
                              "policies: ... at the top level, not a %s",
               node_kind_name(root));
        return false;
    }
    bool ok = known_keys(c, root, top_keys, "the playbook (top level)", NULL);
    const node *id = map_get(root, "playbook");
    if (!id) {
        cerror(c, root, NULL, "the playbook has no id: add 'playbook: my-playbook' at the top");
        ok = false;
    } else if (id->kind != N_SCALAR || !valid_id(id->str)) {
        cerror(c, id, NULL, "the playbook id must be a word of a-z, 0-9, _ and -");
        ok = false;
    } else {
        pb->id = id->str;
        for (const char *p = pb->id; *p; p++)
            if (*p >= 'A' && *p <= 'Z') {
                cerror(c, id, NULL, "the playbook id must be lower case: a-z, 0-9, _ and -");
                ok = false;
                break;
            }
    }
    const node *ver = map_get(root, "version");
    if (!ver) {
        cerror(c, root, NULL, "the playbook has no version: add 'version: \"2026.11\"' so every "
                              "decision says which rules made it");
        ok = false;
    } else if (ver->kind != N_SCALAR) {
        cerror(c, ver, NULL, "version must be text, like \"2026.11\"");
        ok = false;
    } else {
        pb->version = ver->str;
    }
    const node *t = map_get(root, "title");
    if (t)
        pb->title = scalar_str(c, t, "title", NULL);
    pb->cur = -1;
    const node *cu = map_get(root, "currency");
    if (cu) {
        int k = cu->kind == N_SCALAR ? money_currency(cu->str, cu->len) : -1;
        if (k < 0) {
            cerror(c, cu, NULL, "'%s' is not a known ISO 4217 currency code (EUR, USD, GBP, "
                                "SEK, NOK, DKK, CHF, JPY, ...)",
                   cu->kind == N_SCALAR ? cu->str : "");
            ok = false;
        } else {
            pb->cur = k;
        }
    }
    const node *lo = map_get(root, "locale");
    pb->locale = lo && lo->kind == N_SCALAR ? lo->str : "en";
    const node *tests = map_get(root, "tests");
    if (tests && tests->kind != N_SEQ) {
        cerror(c, tests, NULL, "tests: must be a list of tests");
        ok = false;
    }
    if (!ok)
        return false;

    sections S;
    memset(&S, 0, sizeof S);
    const char *chain[17];
    char *self = realpath(pb->file, NULL);
    chain[0] = arena_strdup(&c->tmp, self ? self : pb->file);
    free(self);
    if (!load_imports(c, &S, root, pb->file, lim, 1, chain))
        return false;
    gather(c, &S, root);
    if (c->r->errors)
        return false;

    if (!compile_facts(c, S.facts, S.n_facts))
        return false;
    if (!compile_outcomes(c, map_get(root, "outcomes")))
        return false;
    if (!compile_roles(c, S.roles, S.n_roles))
        ok = false;
    if (!compile_fact_defaults(c))
        ok = false;
    if (ok && S.n_functions && !script_load_libs(c, S.functions, S.n_functions))
        ok = false;
    if (!ok)
        return false;

    size_t np = 0;
    for (size_t i = 0; i < S.n_policies; i++)
        np += S.policies[i]->n;
    pb->policies = arena_alloc(c->a, (np ? np : 1) * sizeof *pb->policies);
    if (!pb->policies)
        return false;
    for (size_t i = 0; i < S.n_policies; i++)
        for (size_t j = 0; j < S.policies[i]->n; j++) {
            policy *p = &pb->policies[pb->n_policies];
            memset(p, 0, sizeof *p);
            if (!compile_policy(c, p, S.policies[i]->items[j]))
                ok = false;
            else {
                int added = strtab_add(&c->ids, K_POLICY, p->id, strlen(p->id), p, NULL);
                if (added < 0)
                    return false;
                if (added == 0)
                    link_version(c, p);
                pb->n_policies++;
            }
        }
    /* Stop here if a policy failed: what refers to it (may_override,
    ** policies.ID.outcome) would only repeat the error in other words. */
    if (!ok)
        return false;
    if (!compile_may_override(c, S.roles, S.n_roles))
        ok = false;

    size_t ns = 0;
    for (size_t i = 0; i < S.n_goodwill; i++)
        ns += S.goodwill[i]->n;
    if (ns && pb->cur < 0) {
        cerror(c, S.goodwill[0], NULL, "goodwill needs the playbook's currency: add currency: "
                                       "EUR (or another ISO code) at the top");
        return false;
    }
    pb->steps = arena_alloc(c->a, (ns ? ns : 1) * sizeof *pb->steps);
    if (!pb->steps)
        return false;
    for (size_t i = 0; i < S.n_goodwill; i++)
        for (size_t j = 0; j < S.goodwill[i]->n; j++) {
            step_rule *st = &pb->steps[pb->n_steps];
            memset(st, 0, sizeof *st);
            if (!compile_step(c, st, S.goodwill[i]->items[j])) {
                ok = false;
                continue;
            }
            void *first;
            int added = strtab_add(&c->ids, K_STEP, st->id, strlen(st->id), st, &first);
            if (added < 0)
                return false;
            if (added == 0) {
                const step_rule *same = first;
                report_add(c->r, LW_ERROR, st->at, st->id,
                           "the goodwill step id '%s' is used twice (also at %s:%d)", st->id,
                           same->at.file, same->at.line);
                ok = false;
            }
            pb->n_steps++;
        }
    if (!compile_limits(c, S.limits, S.n_limits))
        ok = false;

    size_t no = 0;
    for (size_t i = 0; i < S.n_outputs; i++)
        for (size_t j = 0; j < S.outputs[i]->n; j++)
            no += output_count(MAP_VAL(S.outputs[i], j));
    pb->outputs = arena_alloc(c->a, (no ? no : 1) * sizeof *pb->outputs);
    if (!pb->outputs)
        return false;
    for (size_t i = 0; i < S.n_outputs; i++)
        for (size_t j = 0; j < S.outputs[i]->n; j++) {
            output_rule *o = &pb->outputs[pb->n_outputs];
            memset(o, 0, sizeof *o);
            const node *k = MAP_KEY(S.outputs[i], j);
            size_t made = compile_output(c, o, k, MAP_VAL(S.outputs[i], j));
            if (!made)
                ok = false;
            for (size_t m = 0; m < made; m++, o++) {
                if (output_by_name(c, o->name, strlen(o->name))) {
                    cerror(c, k, k->str, "the output '%s' is declared twice", o->name);
                    ok = false;
                } else if (strtab_add(&c->ids, K_OUTPUT, o->name, strlen(o->name), o, NULL) <
                           0) {
                    return false;
                }
                pb->n_outputs++;
            }
        }

    size_t npr = 0;
    for (size_t i = 0; i < S.n_promises; i++)
        npr += S.promises[i]->n;
    pb->promises = arena_alloc(c->a, (npr ? npr : 1) * sizeof *pb->promises);
    if (!pb->promises)
        return false;
    for (size_t i = 0; i < S.n_promises; i++)
        for (size_t j = 0; j < S.promises[i]->n; j++) {
            promise_rule *p = &pb->promises[pb->n_promises];
            memset(p, 0, sizeof *p);
            if (!compile_promise(c, p, S.promises[i]->items[j])) {
                ok = false;
                continue;
            }
            int added = strtab_add(&c->ids, K_PROMISE, p->id, strlen(p->id), p, NULL);
            if (added < 0)
                return false;
            if (added == 0) {
                report_add(c->r, LW_ERROR, p->at, p->id, "the promise id '%s' is used twice",
                           p->id);
                ok = false;
            }
            pb->n_promises++;
        }

    size_t nt = pb->n_steps + pb->n_outputs + pb->n_promises + pb->n_limits + 4;
    for (size_t i = 0; i < pb->n_policies; i++)
        nt += 1 + pb->policies[i].n_exc;
    pb->n_trace_max = nt;
    return ok;
}

/* ======================================================================
** Public entry points
*/
void lw_options_init(lw_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->max_depth = 64;
    opt->max_scalar = 64 * 1024;
    opt->max_file = 16 * 1024 * 1024;
    opt->max_nodes = 1000000;
    opt->max_list = 1024;
    opt->max_keys = 10000;
    opt->max_problems = 20;
}

static int load(const char *name, const char *text, size_t len, const lw_options *opt,
                const lw_mem *mem, arena *owner, lw_playbook **out, lw_report **report)
{
    lw_report *r = report_new(mem);
    lw_playbook *pb = lw_mem_alloc(mem, sizeof *pb);
    if (!r || !pb) {
        lw_report_free(r);
        lw_mem_free(mem, pb, sizeof *pb);
        arena_free(owner);
        return LW_ERR_NOMEM;
    }
    memset(pb, 0, sizeof *pb);
    pb->mem = *mem;
    /* while compiling, a refusal anywhere (the Lua that checks scripts too)
    ** makes the load fail with LW_ERR_NOMEM; cases made later must not write
    ** to the shared playbook, so this is undone before returning */
    bool refused = false;
    pb->mem.refused = &refused;
    pb->a = *owner; /* the arena holding the text becomes the playbook's */
    pb->f_channel = pb->f_role = pb->f_locale = pb->f_date = -1;
    case_limits_from(pb, opt);
    pb->file = arena_strdup(&pb->a, name);
    pb->dir = dir_of(&pb->a, name);
    compiler c;
    memset(&c, 0, sizeof c);
    c.pb = pb;
    c.r = r;
    c.a = &pb->a;
    arena_init(&c.tmp, mem);
    strtab_init(&c.ids, &c.tmp);
    strtab_init(&c.outcome_ids, &c.tmp);
    char *rd = realpath(pb->dir, NULL);
    c.root_dir = arena_strdup(&c.tmp, rd ? rd : pb->dir);
    free(rd);
    yaml_limits lim;
    yaml_limits_from(&lim, opt);
    node *root = c.root_dir && bundle_add(&c, pb->file, NULL, text, len)
                     ? yaml_load(&pb->a, r, pb->file, text, len, &lim)
                     : NULL;
    bool ok = c.root_dir && root && compile_root(&c, root, &lim) && r->errors == 0 &&
              !pb->a.failed && bundle_finish(&c);
    bool linted = !ok || lint_playbook(pb, r);
    script_compiler_done(&c);
    bool nomem = pb->a.failed || c.tmp.failed || !c.root_dir || !linted || refused || r->nomem;
    pb->mem.refused = NULL;
    arena_free(&c.tmp);
    if (nomem)
        report_add(r, LW_ERROR, (pos){pb->file, 0, 0}, NULL, "out of memory");
    if (!ok || nomem) {
        lw_playbook_free(pb);
        pb = NULL;
    }
    *out = pb;
    int rc = pb ? LW_OK : (nomem || !r->errors) ? LW_ERR_NOMEM : LW_ERR_PLAYBOOK;
    if (report)
        *report = r;
    else
        lw_report_free(r);
    return rc;
}

int lw_playbook_load_string(const char *name, const char *text, size_t len,
                            const lw_options *opt, lw_playbook **out, lw_report **report)
{
    if (report)
        *report = NULL;
    if (!out || !text)
        return LW_ERR_ARG;
    *out = NULL;
    lw_mem mem;
    lw_mem_init(&mem, opt);
    arena a;
    arena_init(&a, &mem);
    char *copy = arena_strndup(&a, text, len);
    if (!copy) {
        arena_free(&a);
        return LW_ERR_NOMEM;
    }
    return load(name ? name : "<string>", copy, len, opt, &mem, &a, out, report);
}

int lw_playbook_load(const char *path, const lw_options *opt, lw_playbook **out,
                     lw_report **report)
{
    if (report)
        *report = NULL;
    if (!out || !path)
        return LW_ERR_ARG;
    *out = NULL;
    lw_mem mem;
    lw_mem_init(&mem, opt);
    lw_options d;
    lw_options_init(&d);
    size_t max = opt && opt->max_file ? opt->max_file : d.max_file;
    arena a;
    arena_init(&a, &mem);
    size_t len;
    const char *err = NULL;
    char *text = file_read(&a, path, max, &len, &err);
    if (!text) {
        if (report) {
            *report = report_new(&mem);
            report_add(*report, LW_ERROR, (pos){path, 0, 0}, NULL, "%s",
                       err ? err : "out of memory");
        }
        arena_free(&a);
        return err ? LW_ERR_IO : LW_ERR_NOMEM;
    }
    return load(path, text, len, opt, &mem, &a, out, report);
}

void lw_playbook_free(lw_playbook *pb)
{
    if (!pb)
        return;
    lw_mem m = pb->mem;
    arena_free(&pb->a);
    lw_mem_free(&m, pb, sizeof *pb);
}

const char *lw_playbook_id(const lw_playbook *pb) { return pb ? pb->id : NULL; }
const char *lw_playbook_version(const lw_playbook *pb) { return pb ? pb->version : NULL; }
const char *lw_playbook_file(const lw_playbook *pb) { return pb ? pb->file : NULL; }
const char *lw_playbook_digest(const lw_playbook *pb) { return pb ? pb->digest : NULL; }
size_t lw_fact_count(const lw_playbook *pb) { return pb ? pb->n_facts : 0; }

const char *lw_fact_path(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_facts ? pb->facts[i].path : NULL;
}

const char *lw_fact_type(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_facts ? ttype_name(pb->facts[i].type) : NULL;
}

int lw_fact_index(const lw_playbook *pb, const char *path)
{
    return pb && path ? fact_lookup(pb, path, strlen(path)) : -1;
}

size_t lw_role_count(const lw_playbook *pb) { return pb ? pb->n_roles : 0; }

const char *lw_role_id(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_roles ? pb->roles[i].id : NULL;
}

const char *lw_version(void) { return LW_VERSION; }
int lw_version_number(void) { return LW_VERSION_NUM; }

const char *lw_errstr(int code)
{
    static const char *const names[] = {"LW_OK", "LW_ERR_NOMEM", "LW_ERR_IO",
                                        "LW_ERR_PLAYBOOK", "LW_ERR_CASE", "LW_ERR_ARG",
                                        "LW_ERR_LIMIT", "LW_ERR_NOTFOUND"};
    return code >= 0 && (size_t)code < sizeof names / sizeof names[0] ? names[code]
                                                                      : "LW_ERR_UNKNOWN";
}

const char *const *lw_fact_values(const lw_playbook *pb, size_t i, size_t *n)
{
    if (n)
        *n = 0;
    if (!pb || i >= pb->n_facts || !pb->facts[i].set)
        return NULL;
    if (n)
        *n = pb->facts[i].set->n;
    return pb->facts[i].set->words;
}

const char *lw_fact_doc(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_facts ? pb->facts[i].doc : NULL;
}
