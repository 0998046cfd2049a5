/*
** decimal.c -- exact decimal numbers: a coefficient times a power of ten.
**
** A number is c x 10^e with |c| < 10^34 (34 significant digits, the precision
** of DMN FEEL's decimal128). Adding, subtracting, multiplying, comparing and
** rounding to a step are exact whenever the exact result fits in 34 digits;
** a result with more digits, and every quotient and power, is rounded to 34
** significant digits, half to even, as FEEL does. A result beyond the exponent
** range (about 10^-6176 to 10^6144) is an error, never a wrong number.
**
** Inside a val a number takes no more room than other values: the common case
** (a coefficient that fits in int64) is held in place, u.i the coefficient and
** idx the exponent; a wider one lives in an arena and u.s points to it (cur is
** then DEC_WIDE). Nothing here allocates except num_put for a wide result.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define DEC_EMIN (-6176) /* smallest exponent */
#define DEC_EMAX 6144    /* largest exponent of the leading digit */
#define DEC_WIDE 1       /* val.cur of a number held in an arena */

static const char *const TOO_LARGE = "the number is too large (more than 10^6144)";
static const char *const TOO_SMALL = "the number is too small to hold exactly (less than 10^-6176)";

static u128 pow10_128(int k)
{
    u128 p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

static int digits_of(u128 m)
{
    int n = 1;
    while (m >= 10) {
        m /= 10;
        n++;
    }
    return n;
}

static u128 magnitude(__int128 c)
{
    return c < 0 ? (u128)0 - (u128)c : (u128)c;
}

/* ---------------------------------------------------------------------- */
/* Rounding a magnitude of up to 256 bits to 34 digits (half to even) */

typedef struct u256 {
    uint64_t w[4]; /* little-endian limbs */
} u256;

static u256 u256_of(u128 v)
{
    u256 r = {{(uint64_t)v, (uint64_t)(v >> 64), 0, 0}};
    return r;
}

static bool u256_fits(const u256 *a, u128 limit) /* a < limit */
{
    if (a->w[2] || a->w[3])
        return false;
    return (((u128)a->w[1] << 64) | a->w[0]) < limit;
}

static unsigned u256_div10(u256 *a)
{
    u128 rem = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = (rem << 64) | a->w[i];
        a->w[i] = (uint64_t)(cur / 10);
        rem = cur % 10;
    }
    return (unsigned)rem;
}

static u256 u256_mul(u128 a, u128 b)
{
    uint64_t x[2] = {(uint64_t)a, (uint64_t)(a >> 64)};
    uint64_t y[2] = {(uint64_t)b, (uint64_t)(b >> 64)};
    u256 r = {{0, 0, 0, 0}};
    for (int i = 0; i < 2; i++) {
        u128 carry = 0;
        for (int j = 0; j < 2; j++) {
            u128 t = (u128)x[i] * y[j] + r.w[i + j] + carry;
            r.w[i + j] = (uint64_t)t;
            carry = t >> 64;
        }
        r.w[i + 2] = (uint64_t)carry;
    }
    return r;
}

/* The exponent range of a power's intermediate products: 10 ** -6176 goes
** through 10^6176, beyond the range, before it is inverted. */
#define POW_EMIN (2 * DEC_EMIN - 80)
#define POW_EMAX (2 * DEC_EMAX + 80)

/* The number (-1)^neg x m x 10^e, where `sticky` says nonzero digits were
** already dropped below m's last digit, rounded half to even to a coefficient
** below limit (10^34; powers work with 10^38, four guard digits), within the
** exponents emin to emax (of the leading digit). */
static const char *finish_to(bool neg, u256 m, int64_t e, bool sticky, u128 limit, int emin,
                             int emax, dec *out)
{
    unsigned guard = 0;
    while (!u256_fits(&m, limit)) {
        sticky |= guard != 0;
        guard = u256_div10(&m);
        e++;
    }
    u128 c = ((u128)m.w[1] << 64) | m.w[0];
    if (guard > 5 || (guard == 5 && (sticky || (c & 1)))) {
        c++;
        if (c == limit) {
            c /= 10;
            e++;
        }
    }
    if (c == 0)
        e = 0;
    else if (LW_UNLIKELY(e < emin))
        return TOO_SMALL;
    else if (LW_UNLIKELY(e > emax - 38) && e + digits_of(c) - 1 > emax)
        return TOO_LARGE;
    out->c = neg ? -(__int128)c : (__int128)c;
    out->e = (int32_t)e;
    return NULL;
}

static const u128 LIMIT34 = (u128)10000000000000000ULL * 10000000000000000ULL * 100;
static const u128 LIMIT38 = (u128)10000000000000000ULL * 10000000000000000ULL * 1000000;

static const char *finish(bool neg, u256 m, int64_t e, bool sticky, dec *out)
{
    return finish_to(neg, m, e, sticky, LIMIT34, DEC_EMIN, DEC_EMAX, out);
}

static const char *finish128(bool neg, u128 m, int64_t e, bool sticky, dec *out)
{
    return finish(neg, u256_of(m), e, sticky, out);
}

/* ---------------------------------------------------------------------- */
/* Arithmetic */

dec dec_int(int64_t i)
{
    dec d = {i, 0};
    return d;
}

int dec_sign(dec a)
{
    return (a.c > 0) - (a.c < 0);
}

dec dec_neg(dec a)
{
    a.c = -a.c;
    return a;
}

const char *dec_add(dec a, dec b, dec *out)
{
    if (a.c == 0 || b.c == 0) {
        dec r = a.c == 0 ? b : a;
        return finish128(r.c < 0, magnitude(r.c), r.e, false, out);
    }
    if (a.e < b.e) {
        dec t = a;
        a = b;
        b = t;
    }
    /* a has the larger exponent: bring it down towards b's, keeping at least
    ** three guard digits above b's leading digit when b must be cut. */
    u128 ma = magnitude(a.c), mb = magnitude(b.c);
    int64_t shift = (int64_t)a.e - b.e;
    int up = 37 - digits_of(ma);
    if (up > shift)
        up = (int)shift;
    ma *= pow10_128(up);
    int64_t down = shift - up; /* digits of b below the kept range */
    bool sticky = false;
    if (down > 0) {
        if (down > 40) {
            sticky = true;
            mb = 0;
        } else {
            u128 p = pow10_128((int)down);
            sticky = mb % p != 0;
            mb /= p;
        }
    }
    int64_t e = (int64_t)a.e - up;
    bool neg_a = a.c < 0, neg_b = b.c < 0;
    if (neg_a == neg_b)
        return finish128(neg_a, ma + mb, e, sticky, out);
    /* different signs: |a| > |b| after alignment unless b was not cut */
    if (ma >= mb) {
        u128 m = ma - mb;
        if (sticky) /* the cut part of b makes the result a little smaller */
            m -= 1;
        return finish128(neg_a, m, e, sticky, out);
    }
    return finish128(neg_b, mb - ma, e, false, out);
}

const char *dec_sub(dec a, dec b, dec *out)
{
    return dec_add(a, dec_neg(b), out);
}

const char *dec_mul(dec a, dec b, dec *out)
{
    bool neg = (a.c < 0) != (b.c < 0);
    return finish(neg, u256_mul(magnitude(a.c), magnitude(b.c)), (int64_t)a.e + b.e, false, out);
}

const char *dec_div(dec a, dec b, dec *out)
{
    if (b.c == 0)
        return "division by zero";
    bool neg = (a.c < 0) != (b.c < 0);
    u128 ma = magnitude(a.c), mb = magnitude(b.c);
    int64_t e = (int64_t)a.e - b.e;
    u128 q = ma / mb, r = ma % mb;
    /* long division, one digit at a time, until 35 digits or exact; the
    ** remainder stays below mb < 10^34, so r * 10 fits */
    while (r != 0 && (q == 0 || digits_of(q) < 35)) {
        r *= 10;
        q = q * 10 + r / mb;
        r %= mb;
        e--;
    }
    return finish128(neg, q, e, r != 0, out);
}

static const char *mul38(dec a, dec b, dec *out)
{
    bool neg = (a.c < 0) != (b.c < 0);
    return finish_to(neg, u256_mul(magnitude(a.c), magnitude(b.c)), (int64_t)a.e + b.e, false,
                     LIMIT38, POW_EMIN, POW_EMAX, out);
}

/* a ** n for a whole n, by squaring with 38 digits, then rounded to 34: within
** one unit of the 34th digit for any power up to a billion. */
const char *dec_pow(dec a, dec n, dec *out)
{
    dec k;
    const char *err = dec_round(n, dec_int(1), DEC_DOWN, &k);
    if (err || dec_compare(k, n) != 0)
        return "the power must be a whole number (like 2 or -1)";
    if (k.e > 0 || magnitude(k.c) > 999999999)
        return "the power is too large";
    int64_t p = (int64_t)k.c;
    if (p < 0 && a.c == 0)
        return "division by zero";
    u128 left = (u128)(p < 0 ? -p : p);
    dec result = dec_int(1), base = a;
    while (left) {
        if ((left & 1 && (err = mul38(result, base, &result))) ||
            (left > 1 && (err = mul38(base, base, &base))))
            break;
        left >>= 1;
    }
    if (!err)
        err = finish_to(result.c < 0, u256_of(magnitude(result.c)), result.e, false, LIMIT34,
                        POW_EMIN, POW_EMAX, &result);
    if (err && p < 0) /* beyond even the wide range: its inverse is beyond the range too */
        return err == TOO_LARGE ? TOO_SMALL : TOO_LARGE;
    if (err)
        return err;
    if (p < 0)
        return dec_div(dec_int(1), result, out);
    return finish128(result.c < 0, magnitude(result.c), result.e, false, out);
}

int dec_compare(dec a, dec b)
{
    int sa = dec_sign(a), sb = dec_sign(b);
    if (sa != sb || sa == 0)
        return (sa > sb) - (sa < sb);
    if (a.e == b.e)
        return (a.c > b.c) - (a.c < b.c);
    u128 ma = magnitude(a.c), mb = magnitude(b.c);
    static const u128 small = (u128)1 << 63;
    int64_t gap = (int64_t)a.e - b.e;
    if (ma < small && mb < small && gap >= -18 && gap <= 18) { /* align in 128 bits */
        if (gap > 0)
            ma *= pow10_128((int)gap);
        else
            mb *= pow10_128((int)-gap);
        int c = (ma > mb) - (ma < mb);
        return sa > 0 ? c : -c;
    }
    int64_t la = (int64_t)a.e + digits_of(ma), lb = (int64_t)b.e + digits_of(mb);
    int c;
    if (la != lb)
        c = la > lb ? 1 : -1;
    else { /* same leading position: scale the one with the larger exponent */
        if (a.e > b.e)
            ma *= pow10_128(a.e - b.e);
        else
            mb *= pow10_128(b.e - a.e);
        c = (ma > mb) - (ma < mb);
    }
    return sa > 0 ? c : -c;
}

/* a rounded to a multiple of step (> 0), exactly. */
const char *dec_round(dec a, dec step, dec_rounding mode, dec *out)
{
    if (step.c <= 0)
        return "the rounding step must be more than zero";
    int32_t e = a.e < step.e ? a.e : step.e;
    u128 ma = magnitude(a.c), ms = magnitude(step.c);
    if (a.c == 0) {
        *out = dec_int(0);
        return NULL;
    }
    if (a.e - e > 38 || step.e - e > 38)
        return "the rounding step is too far from the number's size";
    u128 pa = pow10_128(a.e - e), ps = pow10_128(step.e - e);
    if (ma > ~(u128)0 / pa / 2 || ms > ~(u128)0 / ps / 2)
        return "the rounding step is too far from the number's size";
    ma *= pa;
    ms *= ps;
    u128 q = ma / ms, r = ma % ms;
    bool neg = a.c < 0, up;
    switch (mode) {
    case DEC_HALF_UP: up = r * 2 >= ms; break;
    case DEC_FLOOR: up = neg && r != 0; break;
    case DEC_CEIL: up = !neg && r != 0; break;
    default: up = false; break;
    }
    if (up)
        q++;
    if (q == 0) {
        *out = dec_int(0);
        return NULL;
    }
    return finish(neg, u256_mul(q, magnitude(step.c)), step.e, false, out);
}

const char *dec_to_int64(dec a, dec_rounding mode, int64_t *out)
{
    if (a.e == 0 && a.c >= -INT64_MAX && a.c <= INT64_MAX) {
        *out = (int64_t)a.c;
        return NULL;
    }
    dec r;
    const char *err = dec_round(a, dec_int(1), mode, &r);
    if (err)
        return err;
    if (r.e > 18)
        return "the number is too large";
    __int128 v = r.c * (__int128)pow10_128(r.e);
    if (v > INT64_MAX || v < -INT64_MAX)
        return "the number is too large";
    *out = (int64_t)v;
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Text */

const char *dec_parse(const char *s, size_t n, dec *out)
{
    size_t i = 0;
    bool neg = false, any = false, sticky_digit = false;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    u128 m = 0;
    int64_t e = 0;
    int kept = 0;
    bool point = false;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch == '.' && !point) {
            point = true;
            continue;
        }
        if (ch < '0' || ch > '9')
            break;
        any = true;
        if (kept < 36) {
            if (m || ch != '0')
                kept++;
            m = m * 10 + (u128)(ch - '0');
            if (point)
                e--;
        } else {
            sticky_digit |= ch != '0';
            if (!point)
                e++;
        }
    }
    if (!any)
        return "not a number";
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        int64_t x = 0;
        bool xany = false;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            xany = true;
            if (x < 100000)
                x = x * 10 + (s[i] - '0');
        }
        if (!xany)
            return "not a number";
        e += eneg ? -x : x;
    }
    if (i != n)
        return "not a number";
    /* more than 34 significant digits would be rounded: refuse them instead */
    dec r;
    const char *err = finish128(neg, m, e, sticky_digit, &r);
    if (err)
        return err;
    if (sticky_digit || (kept > 34 && m % pow10_128(kept - 34) != 0))
        return "the number has more than 34 significant digits";
    *out = r;
    return NULL;
}

size_t dec_format(dec a, char *buf, size_t size)
{
    char digits[48];
    u128 m = magnitude(a.c);
    int64_t e = a.e;
    if (m == 0)
        e = 0;
    while (m != 0 && m % 10 == 0) {
        m /= 10;
        e++;
    }
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    char out[128];
    size_t k = 0;
    if (a.c < 0)
        out[k++] = '-';
    int64_t point = nd + e; /* digits before the decimal point */
    if (e >= 0 && point <= 40) { /* a whole number */
        for (int i = nd - 1; i >= 0; i--)
            out[k++] = digits[i];
        for (int64_t i = 0; i < e; i++)
            out[k++] = '0';
    } else if (e < 0 && point > -8) { /* 0.000123, 12.5 */
        if (point <= 0) {
            out[k++] = '0';
            out[k++] = '.';
            for (int64_t i = point; i < 0; i++)
                out[k++] = '0';
            point = 0;
        }
        for (int i = nd - 1; i >= 0; i--) {
            if (nd - 1 - i == point && point > 0)
                out[k++] = '.';
            out[k++] = digits[i];
        }
    } else { /* 1.5e-40, 1e+100 */
        out[k++] = digits[nd - 1];
        if (nd > 1)
            out[k++] = '.';
        for (int i = nd - 2; i >= 0; i--)
            out[k++] = digits[i];
        k += (size_t)snprintf(out + k, sizeof out - k, "e%s%lld", point - 1 >= 0 ? "+" : "",
                              (long long)(point - 1));
    }
    out[k] = 0;
    int w = snprintf(buf, size, "%s", out);
    return w < 0 ? 0 : (size_t)w;
}

double dec_to_double(dec a)
{
    static const double exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    u128 m = magnitude(a.c);
    if (m < ((u128)1 << 53) && a.e >= -22 && a.e <= 22) { /* one correctly rounded step */
        double d = (double)(int64_t)a.c;
        return a.e >= 0 ? d * exact[a.e] : d / exact[-a.e];
    }
    char buf[64];
    dec_format(a, buf, sizeof buf);
    return strtod(buf, NULL);
}

/* The shortest decimal that reads back as d: 0.1, not 0.1000000000000000055... */
const char *dec_from_double(double d, dec *out)
{
    if (!isfinite(d))
        return "not a finite number";
    if (d == (double)(int64_t)d && fabs(d) < 9007199254740992.0) {
        *out = dec_int((int64_t)d);
        return NULL;
    }
    /* fast path: m / 10^k with m below 10^15 (so at most one such decimal
    ** reads back as d); the division is correctly rounded, as strtod is */
    static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8,
                                 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    for (int k = 1; k <= 15 && fabs(d) * p10[k] < 1e15; k++) {
        double m = nearbyint(d * p10[k]);
        if (m / p10[k] == d) {
            out->c = (int64_t)m;
            out->e = -k;
            return NULL;
        }
    }
    char buf[40];
    /* a decimal of 15 digits or fewer that reads back as d is what %.15g prints */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return dec_parse(buf, strlen(buf), out);
}

/* ---------------------------------------------------------------------- */
/* Numbers inside values */

dec num_get(const val *v)
{
    if (LW_UNLIKELY(v->cur == DEC_WIDE))
        return *(const dec *)(const void *)v->u.s;
    dec d = {v->u.i, v->idx};
    return d;
}

const char *num_put(arena *a, dec d, val *out)
{
    memset(out, 0, sizeof *out);
    out->t = V_NUM;
    if (LW_LIKELY(d.c >= -INT64_MAX && d.c <= INT64_MAX)) {
        out->u.i = (int64_t)d.c;
        out->idx = d.e;
        return NULL;
    }
    dec *wide = a ? arena_alloc(a, sizeof *wide) : NULL;
    if (!wide)
        return "out of memory";
    *wide = d;
    out->cur = DEC_WIDE;
    out->u.s = (const char *)(const void *)wide;
    return NULL;
}

val num_int(int64_t i)
{
    val v;
    memset(&v, 0, sizeof v);
    v.t = V_NUM;
    v.u.i = i;
    return v;
}

int num_compare_aligned(const val *a, const val *b)
{
    static const int64_t p10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                  100000000, 1000000000, 10000000000, 100000000000,
                                  1000000000000, 10000000000000, 100000000000000,
                                  1000000000000000, 10000000000000000, 100000000000000000,
                                  1000000000000000000};
    if (a->cur != DEC_WIDE && b->cur != DEC_WIDE) {
        int32_t gap = a->idx - b->idx; /* 1.5 against 2: 15 tenths against 20 */
        int64_t x = a->u.i, y = b->u.i;
        if (gap > 0 && gap <= 18 ? !__builtin_mul_overflow(x, p10[gap], &x)
                                 : gap < 0 && gap >= -18 && !__builtin_mul_overflow(y, p10[-gap], &y))
            return (x > y) - (x < y);
    }
    return dec_compare(num_get(a), num_get(b));
}

const char *num_add(arena *a, const val *x, const val *y, bool subtract, val *out)
{
    int64_t r;
    if (LW_LIKELY(x->cur != DEC_WIDE && y->cur != DEC_WIDE && x->idx == y->idx &&
                  !(subtract ? __builtin_sub_overflow(x->u.i, y->u.i, &r)
                             : __builtin_add_overflow(x->u.i, y->u.i, &r)) &&
                  r != INT64_MIN)) {
        int32_t e = x->idx; /* out may be x */
        *out = num_int(r);
        out->idx = e;
        return NULL;
    }
    dec d;
    const char *err = dec_add(num_get(x), subtract ? dec_neg(num_get(y)) : num_get(y), &d);
    return err ? err : num_put(a, d, out);
}

const char *num_mul(arena *a, const val *x, const val *y, val *out)
{
    int64_t r;
    int64_t e = (int64_t)x->idx + y->idx;
    if (LW_LIKELY(x->cur != DEC_WIDE && y->cur != DEC_WIDE && e >= DEC_EMIN && e <= DEC_EMAX - 40 &&
                  !__builtin_mul_overflow(x->u.i, y->u.i, &r) && r != INT64_MIN)) {
        *out = num_int(r);
        out->idx = r ? (int32_t)e : 0;
        return NULL;
    }
    dec d;
    const char *err = dec_mul(num_get(x), num_get(y), &d);
    return err ? err : num_put(a, d, out);
}

size_t num_format(const val *v, char *buf, size_t size)
{
    return dec_format(num_get(v), buf, size);
}
