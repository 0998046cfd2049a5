/*
** value.c -- the engine's values: durations, dates, comparison, formatting,
** conversion to the public lw_value, and the hint for a name that is no role.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *ttype_name(ttype t)
{
    static const char *const names[] = {"any",  "bool", "number", "money", "string", "enum",
                                        "duration", "date", "role", "list", "outcome", "null"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

int enumset_find(const enumset *s, const char *folded)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->folded[i], folded) == 0)
            return (int)i;
    return -1;
}

int enumset_find_text(arena *scratch, const enumset *s, const char *text, size_t n)
{
    /* fast path: exact match of the declared word */
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->words[i]) == n && memcmp(s->words[i], text, n) == 0)
            return (int)i;
    char *f = text_fold(scratch, text, n);
    return f ? enumset_find(s, f) : -1;
}

/* ---------------------------------------------------------------------- */
/* Durations: 90min 3h 14d 1d2h 30s 2w 1.5h; a plain number is seconds.   */

bool duration_parse(const char *s, size_t n, int64_t *secs)
{
    size_t i = 0;
    bool neg = false;
    while (i < n && s[i] == ' ')
        i++;
    while (n > i && s[n - 1] == ' ')
        n--;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n)
        return false;
    double total = 0;
    bool any = false;
    while (i < n) {
        double v = 0, scale = 0;
        bool digits = false;
        while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) {
            if (s[i] == '.') {
                if (scale)
                    return false;
                scale = 1;
            } else {
                v = v * 10 + (s[i] - '0');
                if (scale)
                    scale *= 10;
                digits = true;
            }
            i++;
        }
        if (!digits)
            return false;
        if (scale)
            v /= scale;
        size_t u = i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
            i++;
        size_t ul = i - u;
        double mult;
        if (ul == 0 && !any && i == n)
            mult = 1;
        else if (ul == 1 && s[u] == 's')
            mult = 1;
        else if (ul == 3 && memcmp(s + u, "min", 3) == 0)
            mult = 60;
        else if (ul == 1 && s[u] == 'h')
            mult = 3600;
        else if (ul == 1 && s[u] == 'd')
            mult = 86400;
        else if (ul == 1 && s[u] == 'w')
            mult = 7 * 86400;
        else
            return false;
        total += v * mult;
        any = true;
        if (total > 1e15)
            return false;
    }
    double r = nearbyint(total);
    if (fabs(total - r) > 1e-6)
        return false;
    *secs = neg ? -(int64_t)r : (int64_t)r;
    return true;
}

size_t duration_format(int64_t secs, char *buf, size_t size)
{
    char tmp[64];
    size_t k = 0;
    uint64_t v = secs < 0 ? (uint64_t)0 - (uint64_t)secs : (uint64_t)secs;
    if (secs < 0)
        tmp[k++] = '-';
    static const struct { uint64_t s; const char *u; } units[] = {
        {86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
    if (v == 0)
        k += (size_t)snprintf(tmp + k, sizeof tmp - k, "0s");
    for (int i = 0; i < 4 && v; i++) {
        if (v >= units[i].s) {
            k += (size_t)snprintf(tmp + k, sizeof tmp - k, "%llu%s",
                                  (unsigned long long)(v / units[i].s), units[i].u);
            v %= units[i].s;
        }
    }
    int n = snprintf(buf, size, "%s", tmp);
    return n < 0 ? 0 : (size_t)n;
}

/* ---------------------------------------------------------------------- */
/* Dates: 2026-11-23, 2026-11-23T10:30[:00][Z|+02:00], as seconds UTC.     */

int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static bool digits_at(const char *s, size_t n, size_t i, int count, int *out)
{
    if (i + (size_t)count > n)
        return false;
    int v = 0;
    for (int k = 0; k < count; k++) {
        char c = s[i + (size_t)k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

bool date_parse(const char *s, size_t n, int64_t *secs)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    while (n && s[n - 1] == ' ')
        n--;
    if (!digits_at(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || !digits_at(s, n, 5, 2, &mo) ||
        s[7] != '-' || !digits_at(s, n, 8, 2, &d))
        return false;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
        return false;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return false;
    size_t i = 10;
    int64_t offset = 0;
    if (i < n) {
        if (s[i] != 'T' && s[i] != ' ')
            return false;
        i++;
        if (!digits_at(s, n, i, 2, &h) || i + 5 > n || s[i + 2] != ':' ||
            !digits_at(s, n, i + 3, 2, &mi))
            return false;
        i += 5;
        if (i < n && s[i] == ':') {
            if (!digits_at(s, n, i + 1, 2, &se))
                return false;
            i += 3;
            if (i < n && s[i] == '.') { /* fractions of a second are dropped */
                i++;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                    i++;
            }
        }
        if (h > 23 || mi > 59 || se > 60)
            return false;
        if (i < n && s[i] == 'Z')
            i++;
        else if (i < n && (s[i] == '+' || s[i] == '-')) {
            int oh, om;
            if (!digits_at(s, n, i + 1, 2, &oh) || i + 6 > n || s[i + 3] != ':' ||
                !digits_at(s, n, i + 4, 2, &om) || oh > 23 || om > 59)
                return false;
            offset = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
            i += 6;
        }
        if (i != n)
            return false;
    }
    int64_t t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
                se - offset;
    if (!date_in_range(t)) /* year 0, or an offset across the first or last day */
        return false;
    *secs = t;
    return true;
}

bool date_in_range(int64_t secs)
{
    return secs >= days_from_civil(1, 1, 1) * 86400 &&
           secs < days_from_civil(10000, 1, 1) * 86400;
}

size_t date_format(int64_t secs, char *buf, size_t size)
{
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rest = secs - days * 86400;
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int n;
    if (rest == 0)
        n = snprintf(buf, size, "%04d-%02u-%02u", y, m, d);
    else
        n = snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02dZ", y, m, d, (int)(rest / 3600),
                     (int)(rest % 3600 / 60), (int)(rest % 60));
    return n < 0 ? 0 : (size_t)n;
}

/* ---------------------------------------------------------------------- */

size_t val_format(const lw_playbook *pb, const val *v, char *buf, size_t size)
{
    int n = 0;
    switch ((vtype)v->t) {
    case V_MISSING:
    case V_ERROR:
        n = snprintf(buf, size, "null");
        break;
    case V_BOOL:
        n = snprintf(buf, size, "%s", v->u.b ? "true" : "false");
        break;
    case V_NUM:
        if (v->u.n == nearbyint(v->u.n) && fabs(v->u.n) < 1e15)
            n = snprintf(buf, size, "%.0f", v->u.n);
        else
            n = snprintf(buf, size, "%.15g", v->u.n);
        break;
    case V_MONEY:
        return money_format(money_to_minor(v->u.i), v->cur, true, buf, size);
    case V_STR:
        n = snprintf(buf, size, "%.*s", (int)v->idx, v->u.s);
        break;
    case V_ENUM:
        n = snprintf(buf, size, "%s", v->u.set->words[v->idx]);
        break;
    case V_DUR:
        return duration_format(v->u.i, buf, size);
    case V_DATE:
        return date_format(v->u.i, buf, size);
    case V_ROLE:
        n = snprintf(buf, size, "%s", pb->roles[v->idx].id);
        break;
    case V_OUTCOME:
        n = snprintf(buf, size, "%s", pb->outcomes[v->idx].word);
        break;
    case V_LIST: {
        size_t k = 0;
        for (size_t i = 0; i < v->u.list->n; i++) {
            int w = snprintf(k < size ? buf + k : NULL, k < size ? size - k : 0, "%s%s",
                             i ? ", " : "", v->u.list->items[i]);
            k += w > 0 ? (size_t)w : 0;
        }
        if (size && k >= size)
            buf[size - 1] = 0;
        if (v->u.list->n == 0 && size)
            buf[0] = 0;
        return k;
    }
    }
    return n < 0 ? 0 : (size_t)n;
}

bool val_is(const val *v, ttype t)
{
    static const vtype of[] = {[T_BOOL] = V_BOOL,   [T_NUM] = V_NUM,   [T_MONEY] = V_MONEY,
                               [T_STR] = V_STR,     [T_ENUM] = V_ENUM, [T_DUR] = V_DUR,
                               [T_DATE] = V_DATE,   [T_ROLE] = V_ROLE, [T_LIST] = V_LIST,
                               [T_OUTCOME] = V_OUTCOME};
    if (v->t <= V_ERROR || t == T_ANY)
        return true;
    return (size_t)t < sizeof of / sizeof of[0] && of[t] == v->t;
}

bool val_equal(const val *a, const val *b)
{
    bool ok;
    return val_compare(a, b, &ok) == 0 && ok;
}

/* Total order within a type. *ok is false when the two cannot be compared. */
int val_compare(const val *a, const val *b, bool *ok)
{
    *ok = true;
    if (a->t != b->t) {
        *ok = false;
        return 1;
    }
    switch ((vtype)a->t) {
    case V_BOOL:
        return (a->u.b > b->u.b) - (a->u.b < b->u.b);
    case V_NUM:
        return (a->u.n > b->u.n) - (a->u.n < b->u.n);
    case V_MONEY:
        if (a->cur != b->cur) {
            *ok = false;
            return 1;
        }
        /* fallthrough */
    case V_DUR:
    case V_DATE:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    case V_STR: {
        size_t n = (size_t)(a->idx < b->idx ? a->idx : b->idx);
        int c = memcmp(a->u.s, b->u.s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return (a->idx > b->idx) - (a->idx < b->idx);
    }
    case V_ENUM:
    case V_ROLE:
    case V_OUTCOME:
        return (a->idx > b->idx) - (a->idx < b->idx);
    default:
        *ok = false;
        return 1;
    }
}

void val_to_public(const lw_playbook *pb, const val *v, lw_value *out, arena *a)
{
    memset(out, 0, sizeof *out);
    switch ((vtype)v->t) {
    case V_MISSING:
    case V_ERROR:
        out->type = LW_V_NULL;
        break;
    case V_BOOL:
        out->type = LW_V_BOOL;
        out->b = v->u.b;
        break;
    case V_NUM:
        out->type = LW_V_NUMBER;
        out->number = v->u.n;
        break;
    case V_MONEY:
        out->type = LW_V_MONEY;
        out->money.minor = money_to_minor(v->u.i);
        out->money.currency = money_currency_at(v->cur)->code;
        out->money.digits = money_currency_at(v->cur)->digits;
        break;
    case V_STR:
        out->type = LW_V_STRING;
        out->text = v->u.s;
        break;
    case V_ENUM:
        out->type = LW_V_ENUM;
        out->text = v->u.set->words[v->idx];
        break;
    case V_ROLE:
        out->type = LW_V_ENUM;
        out->text = pb->roles[v->idx].id;
        break;
    case V_OUTCOME:
        out->type = LW_V_ENUM;
        out->text = pb->outcomes[v->idx].word;
        break;
    case V_DUR:
        out->type = LW_V_DURATION;
        out->seconds = v->u.i;
        break;
    case V_DATE:
        out->type = LW_V_DATE;
        out->seconds = v->u.i;
        break;
    case V_LIST: {
        out->type = LW_V_LIST;
        strbuf b;
        lw_mem m = a->mem;
        buf_init(&b, &m);
        buf_putc(&b, '[');
        for (size_t i = 0; i < v->u.list->n; i++) {
            if (i)
                buf_putc(&b, ',');
            json_str(&b, v->u.list->items[i]);
        }
        buf_putc(&b, ']');
        out->text = b.p ? arena_strndup(a, b.p, b.len) : "[]";
        buf_free(&b);
        break;
    }
    }
}

const char *roles_hint(arena *a, const lw_playbook *pb, const char *name, size_t n)
{
    if (pb->n_roles == 0)
        return "(no roles are declared under roles:)";
    const char *word = arena_printf(a, "%.*s", (int)n, name);
    nearest near = nearest_start(word, 4);
    strbuf b;
    lw_mem m = a->mem;
    buf_init(&b, &m);
    for (size_t i = 0; i < pb->n_roles; i++) {
        buf_printf(&b, "%s%s", i ? ", " : "(the roles are ", pb->roles[i].id);
        nearest_offer(&near, pb->roles[i].id);
    }
    const char *list = b.p ? b.p : "(the roles are listed under roles:";
    const char *hint = near.best ? arena_printf(a, "%s; did you mean '%s'?)", list, near.best)
                                 : arena_printf(a, "%s)", list);
    buf_free(&b);
    return hint ? hint : "(see roles:)";
}
