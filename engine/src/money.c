/*
** money.c -- money as integer minor units with an ISO 4217 currency.
**
** No floating point ever holds an amount. Multiplying or dividing by a number
** (an exact decimal, decimal.c) rounds once, half away from zero. Every operation checks
** for overflow and reports it instead of wrapping.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const currency_def currencies[] = {
    {"EUR", 2}, {"USD", 2}, {"GBP", 2}, {"SEK", 2}, {"NOK", 2}, {"DKK", 2},
    {"CHF", 2}, {"JPY", 0}, {"ISK", 0}, {"KRW", 0}, {"CLP", 0}, {"VND", 0},
    {"PLN", 2}, {"CZK", 2}, {"HUF", 2}, {"RON", 2}, {"BGN", 2}, {"CAD", 2},
    {"AUD", 2}, {"NZD", 2}, {"CNY", 2}, {"HKD", 2}, {"SGD", 2}, {"INR", 2},
    {"BRL", 2}, {"MXN", 2}, {"ZAR", 2}, {"TRY", 2}, {"ILS", 2}, {"AED", 2},
    {"SAR", 2}, {"THB", 2}, {"KWD", 3}, {"BHD", 3}, {"JOD", 3}, {"OMR", 3},
    {"TND", 3},
};
#define N_CURRENCIES (sizeof currencies / sizeof currencies[0])

static const int64_t pow10s[] = {1, 10, 100, 1000, 10000, 100000, 1000000,
                                 10000000, 100000000, 1000000000};

/* The largest amount in minor units. */
#define MONEY_MAX 9000000000000000

int money_currency(const char *code, size_t n)
{
    if (n != 3)
        return -1;
    for (size_t i = 0; i < N_CURRENCIES; i++)
        if (memcmp(currencies[i].code, code, 3) == 0)
            return (int)i;
    return -1;
}

const currency_def *money_currency_at(int idx)
{
    return (idx >= 0 && (size_t)idx < N_CURRENCIES) ? &currencies[idx] : &currencies[0];
}

int64_t money_scale(int cur)
{
    return pow10s[money_currency_at(cur)->digits];
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

const char *money_parse(const char *s, size_t n, int cur_default, int64_t *minor, int *cur)
{
    size_t i = 0;
    while (i < n && is_space(s[i]))
        i++;
    while (n > i && is_space(s[n - 1]))
        n--;
    int c = cur_default;
    /* currency code after the number */
    if (n - i >= 4 && s[n - 4] == ' ') {
        int k = money_currency(s + n - 3, 3);
        if (k < 0)
            return "unknown currency code (use an ISO 4217 code such as EUR, USD, SEK)";
        c = k;
        n -= 4;
        while (n > i && is_space(s[n - 1]))
            n--;
    } else if (n - i >= 3 && s[n - 1] >= 'A' && s[n - 1] <= 'Z') {
        return "write the currency code after a space, like \"19.95 EUR\"";
    }
    if (c < 0)
        return "no currency: add a code such as \"19.95 EUR\" or set the playbook's currency";
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    if (i >= n)
        return "not an amount of money (expected something like \"19.95 EUR\")";
    int digits = money_currency_at(c)->digits;
    int64_t v = 0;
    int frac = -1;
    bool any = false;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch == '.' && frac < 0) {
            frac = 0;
            continue;
        }
        if (ch < '0' || ch > '9')
            return "not an amount of money (expected something like \"19.95 EUR\")";
        any = true;
        if (frac >= 0 && ++frac > digits) {
            if (ch != '0')
                return digits == 0 ? "this currency has no minor unit: write a whole amount"
                                   : "more decimals than the currency has";
            continue;
        }
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, ch - '0', &v))
            return "amount too large";
    }
    if (!any)
        return "not an amount of money (expected something like \"19.95 EUR\")";
    for (int f = frac < 0 ? 0 : frac; f < digits; f++)
        if (__builtin_mul_overflow(v, 10, &v))
            return "amount too large";
    *minor = neg ? -v : v;
    *cur = c;
    return NULL;
}

const char *money_from_dec(dec d, int cur, int64_t *minor)
{
    int digits = money_currency_at(cur)->digits;
    /* 19.95 for EUR (no more decimals than the currency has): exact at once */
    if (d.e <= 0 && -d.e <= digits && d.c >= -MONEY_MAX && d.c <= MONEY_MAX) {
        __int128 v = d.c * pow10s[digits + d.e];
        if (v >= -MONEY_MAX && v <= MONEY_MAX) {
            *minor = (int64_t)v;
            return NULL;
        }
    }
    dec scaled;
    int64_t v;
    if (dec_mul(d, dec_int(money_scale(cur)), &scaled) || dec_to_int64(scaled, DEC_DOWN, &v))
        return "amount too large";
    if (dec_compare(scaled, dec_int(v)) != 0)
        return digits == 0 ? "this currency has no minor unit: write a whole amount"
                           : "more decimals than the currency has";
    if (v > MONEY_MAX || v < -MONEY_MAX)
        return "amount too large";
    *minor = v;
    return NULL;
}

/* a (fine units) times or divided by f, rounded half away from zero to the
** fine unit. */
static const char *fine_result(const char *err, dec r, int64_t *out)
{
    if (!err && dec_to_int64(r, DEC_HALF_UP, out))
        err = "money overflow: the amount is too large";
    return err;
}

/* n / d rounded half away from zero, d > 0. */
static __int128 div_round(__int128 n, __int128 d)
{
    __int128 q, r;
    if (n >= INT64_MIN && n <= INT64_MAX && d <= INT64_MAX) { /* 64-bit division: faster */
        q = (int64_t)n / (int64_t)d;
        r = (int64_t)n % (int64_t)d;
    } else {
        q = n / d;
        r = n % d;
    }
    if (r < 0)
        r = -r;
    if (2 * r >= d)
        q += n < 0 ? -1 : 1;
    return q;
}

/* 10^k for the fast paths below: a factor with at most 18 decimals */
static __int128 pow10_small(int k)
{
    __int128 p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

static bool fits_fine(__int128 v, int64_t *out)
{
    if (v > INT64_MAX || v < -INT64_MAX)
        return false;
    *out = (int64_t)v;
    return true;
}

const char *money_mul(int64_t a, dec f, int64_t *out)
{
    if (f.e <= 0 && f.e >= -18 && f.c >= -INT64_MAX && f.c <= INT64_MAX) /* 1.5, 0.25, 3 */
        return fits_fine(div_round((__int128)a * (int64_t)f.c, pow10_small(-f.e)), out)
                   ? NULL
                   : "money overflow: the amount is too large";
    dec r;
    const char *err = dec_mul(dec_int(a), f, &r);
    return fine_result(err ? "money overflow: the amount is too large" : NULL, r, out);
}

const char *money_div(int64_t a, dec f, int64_t *out)
{
    dec r;
    if (dec_sign(f) == 0)
        return "money divided by zero";
    if (f.e <= 0 && f.e >= -18 && f.c >= -INT64_MAX && f.c <= INT64_MAX) {
        __int128 n = (__int128)a * pow10_small(-f.e), d = (int64_t)f.c;
        if (d < 0) {
            n = -n;
            d = -d;
        }
        return fits_fine(div_round(n, d), out) ? NULL : "money overflow: the amount is too large";
    }
    const char *err = dec_div(dec_int(a), f, &r);
    return fine_result(err ? "money overflow: the amount is too large" : NULL, r, out);
}

int64_t money_round_step(int64_t a, int64_t step)
{
    if (step <= 0)
        return a;
    return (int64_t)(div_round(a, step) * step);
}

int64_t money_floor_step(int64_t a, int64_t step)
{
    if (step <= 0)
        return a;
    int64_t q = a / step;
    if (a % step != 0 && a < 0)
        q--;
    return q * step;
}

int64_t money_ceil_step(int64_t a, int64_t step)
{
    if (step <= 0)
        return a;
    int64_t q = a / step;
    if (a % step != 0 && a > 0)
        q++;
    return q * step;
}

const char *money_to_fine(int64_t minor, int64_t *fine)
{
    if (__builtin_mul_overflow(minor, (int64_t)MONEY_FINE, fine))
        return "amount too large";
    return NULL;
}

int64_t money_to_minor(int64_t fine)
{
    return (int64_t)div_round(fine, MONEY_FINE);
}

size_t money_format(int64_t minor, int cur, bool with_code, char *buf, size_t size)
{
    const currency_def *c = money_currency_at(cur);
    return money_format_digits(minor, c->digits, with_code ? c->code : NULL, buf, size);
}

size_t money_format_digits(int64_t minor, int digits, const char *code, char *buf, size_t size)
{
    /* written backwards without printf: "-123.45 EUR" */
    char tmp[48], *p = tmp + sizeof tmp;
    uint64_t v = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    if (code) {
        p -= 4;
        p[0] = ' ';
        memcpy(p + 1, code, 3);
    }
    for (int d = 0; d < digits && d < 18; d++) {
        *--p = (char)('0' + v % 10);
        v /= 10;
    }
    if (digits > 0)
        *--p = '.';
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (minor < 0)
        *--p = '-';
    size_t n = (size_t)(tmp + sizeof tmp - p);
    if (size) {
        size_t k = n < size - 1 ? n : size - 1;
        memcpy(buf, p, k);
        buf[k] = 0;
    }
    return n;
}
