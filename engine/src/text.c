/*
** text.c -- Unicode text: validation, NFC normalisation, case folding for
** enum words, grapheme counting for len(), display width for aligned output,
** the nearest word for "did you mean" hints. All of it through utf8proc;
** ASCII takes a fast path that needs no copy.
*/
#include "internal.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

static bool is_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80)
            return false;
    return true;
}

bool text_valid_utf8(const char *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        if ((unsigned char)s[i] < 0x80) {
            if (s[i] == 0)
                goto bad;
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            goto bad;
        i += (size_t)k;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

static char *map_into_arena(arena *a, const char *s, size_t n, int options, size_t *out_len)
{
    utf8proc_uint8_t *res = NULL;
    utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &res,
                                      (utf8proc_option_t)options);
    if (r < 0)
        return NULL;
    char *p = arena_strndup(a, (const char *)res, (size_t)r);
    free(res);
    if (out_len)
        *out_len = (size_t)r;
    return p;
}

char *text_nfc(arena *a, const char *s, size_t n, size_t *out_len)
{
    if (!text_valid_utf8(s, n, NULL))
        return NULL;
    if (is_ascii(s, n)) {
        if (out_len)
            *out_len = n;
        return arena_strndup(a, s, n);
    }
    return map_into_arena(a, s, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE, out_len);
}

char *text_fold(arena *a, const char *s, size_t n)
{
    if (!text_valid_utf8(s, n, NULL))
        return NULL;
    if (is_ascii(s, n)) {
        char *p = arena_strndup(a, s, n);
        for (size_t i = 0; p && i < n; i++)
            if (p[i] >= 'A' && p[i] <= 'Z')
                p[i] = (char)(p[i] - 'A' + 'a');
        return p;
    }
    return map_into_arena(a, s, n, UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD,
                          NULL);
}

char *text_lower(arena *a, const char *s, size_t n, size_t *out_len)
{
    char *out = arena_alloc(a, n * 4 + 1), *p = out;
    if (!out)
        return NULL;
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            break;
        p += utf8proc_encode_char(utf8proc_tolower(cp), (utf8proc_uint8_t *)p);
        i += (size_t)k;
    }
    *p = 0;
    *out_len = (size_t)(p - out);
    return out;
}

size_t text_graphemes(const char *s, size_t n)
{
    size_t count = 0, i = 0;
    utf8proc_int32_t prev = -1, state = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            break;
        if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state))
            count++;
        prev = cp;
        i += (size_t)k;
    }
    return count;
}

size_t lw_display_width(const char *s)
{
    if (!s)
        return 0;
    size_t w = 0, n = strlen(s), i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0) {
            i++;
            w++;
            continue;
        }
        w += (size_t)utf8proc_charwidth(cp);
        i += (size_t)k;
    }
    return w;
}

int lw_edit_distance(const char *a, const char *b)
{
    if (!a || !b)
        return 99;
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

nearest nearest_start(const char *name, int max_edits)
{
    return (nearest){.name = name, .best = NULL, .dist = max_edits};
}

void nearest_offer(nearest *n, const char *candidate)
{
    int d = lw_edit_distance(n->name, candidate);
    if (d < n->dist) {
        n->dist = d;
        n->best = candidate;
    }
}

char *text_clean(arena *a, const char *s, size_t max)
{
    size_t n = strlen(s);
    char *out = arena_alloc(a, (n < max ? n : max) + 4);
    if (!out)
        return NULL;
    size_t i = 0, k = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t len = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                                (utf8proc_ssize_t)(n - i), &cp);
        size_t step = len > 0 ? (size_t)len : 1;
        if (k + (len > 0 ? step : 1) > max) {
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        if (len > 0 && cp != 0) {
            memcpy(out + k, s + i, step);
            k += step;
        } else {
            out[k++] = '?'; /* not UTF-8 */
        }
        i += step;
    }
    out[k] = 0;
    return out;
}
