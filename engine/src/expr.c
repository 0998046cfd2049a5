/*
** expr.c -- the expression language of docs/playbook-format.md §3: lexer, parser, type
** checker and evaluator.
**
** An expression is parsed and type-checked once, when the playbook is
** compiled, into a tree of typed nodes whose fact references are slot numbers
** and whose enum words are indices; evaluating it never parses, hashes or
** compares names. Unknown (missing) values follow three-valued logic; the
** facts that left a condition unknown are collected on a stack so the
** decision can list exactly the questions that matter.
*/
#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ======================================================================
** Lexer
*/
typedef enum {
    TK_EOF, TK_NUM, TK_PCT, TK_DUR, TK_DATE, TK_STR, TK_IDENT,
    TK_LP, TK_RP, TK_LB, TK_RB, TK_COMMA, TK_DOTDOT,
    TK_EQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_PLUS, TK_MINUS, TK_STAR, TK_POW, TK_SLASH,
    TK_BAD, TK_HUGE, TK_BADDUR, TK_OPENSTR
} tkind;

typedef struct token {
    tkind k;
    const char *s;   /* start in the source */
    size_t n;
    dec num;         /* numbers and percentages, exactly */
    int64_t i;       /* duration seconds, date seconds */
    size_t off;      /* offset in the source */
} token;

typedef struct parser {
    compiler *c;
    const char *src;
    size_t len, p;
    pos at;          /* position of the source's first character */
    size_t cur_off;  /* pos_at's cursor: the last offset asked for ... */
    pos cur;         /* ... and its position */
    token t;         /* current token */
    const scope *sc;
    bool failed;
    int depth;
} parser;

static bool ident_start(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch >= 0x80;
}

static bool ident_char(unsigned char ch)
{
    return ident_start(ch) || (ch >= '0' && ch <= '9');
}

static bool char_start(char ch)
{
    return ((unsigned char)ch & 0xC0) != 0x80;
}

/* The line and column of a byte offset: columns count characters, and a
** newline starts the next line at column 1. Nodes are made in nearly source
** order, so the position moves on from the last one asked for instead of
** counting from the start each time (which made long expressions quadratic).
** Moving back within a line subtracts; moving back over a newline counts the
** target's line from its start. */
static pos pos_at(parser *P, size_t off)
{
    const char *s = P->src;
    if (off > P->len)
        off = P->len;
    size_t i = P->cur_off;
    pos p = P->cur;
    if (off < i) {
        bool newline = false;
        for (size_t k = off; k < i; k++) {
            if (s[k] == '\n') {
                p.line--;
                newline = true;
            } else if (char_start(s[k])) {
                p.col--;
            }
        }
        if (newline) {
            size_t k = off;
            while (k > 0 && s[k - 1] != '\n')
                k--;
            p.col = k > 0 ? 1 : P->at.col;
            for (; k < off; k++)
                p.col += char_start(s[k]);
        }
    } else {
        for (; i < off; i++) {
            if (s[i] == '\n') {
                p.line++;
                p.col = 1;
            } else if (char_start(s[i])) {
                p.col++;
            }
        }
    }
    P->cur_off = off;
    P->cur = p;
    return p;
}

static void perr(parser *P, size_t off, const char *fmt, ...) LW_PRINTF(3, 4);
static void perr(parser *P, size_t off, const char *fmt, ...)
{
    if (P->failed)
        return;
    P->failed = true;
    va_list ap;
    va_start(ap, fmt);
    report_vadd(P->c->r, LW_ERROR, pos_at(P, off), P->sc ? P->sc->rule : NULL, fmt, ap);
    va_end(ap);
}

static void next(parser *P)
{
    const char *s = P->src;
    size_t n = P->len, i = P->p;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
        i++;
    token t = {TK_EOF, s + i, 0, {0, 0}, 0, i};
    if (i >= n) {
        P->t = t;
        P->p = i;
        return;
    }
    unsigned char ch = (unsigned char)s[i];
    size_t st = i;
    if (ch >= '0' && ch <= '9') {
        /* date? */
        if (n - i >= 10 && s[i + 4] == '-' && s[i + 7] == '-') {
            size_t e = i;
            while (e < n && (ident_char((unsigned char)s[e]) || s[e] == '-' || s[e] == ':' ||
                             s[e] == '+' || (s[e] == '.' && (e + 1 >= n || s[e + 1] != '.'))))
                e++;
            int64_t secs;
            if (date_parse(s + i, e - i, &secs)) {
                t.k = TK_DATE;
                t.i = secs;
                t.n = e - i;
                P->t = t;
                P->p = e;
                return;
            }
        }
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i + 1 < n && s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9') {
            i++;
            while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        }
        /* an exponent: 1e6, 2.5E-3 */
        if (i + 1 < n && (s[i] == 'e' || s[i] == 'E')) {
            size_t k = i + 1;
            if (k < n && (s[k] == '+' || s[k] == '-'))
                k++;
            if (k < n && s[k] >= '0' && s[k] <= '9') {
                while (k < n && s[k] >= '0' && s[k] <= '9')
                    k++;
                i = k;
            }
        }
        if (dec_parse(s + st, i - st, &t.num)) {
            while (i < n && (ident_char((unsigned char)s[i]) || s[i] == '.'))
                i++;
            t.k = TK_HUGE;
        } else if (i < n && s[i] == '%') {
            t.k = TK_PCT;
            t.num.e -= 2; /* exact: 15% is 0.15 */
            i++;
        } else if (i < n && (s[i] >= 'a' && s[i] <= 'z')) {
            size_t e = i;
            while (e < n && (ident_char((unsigned char)s[e]) ||
                             (s[e] == '.' && (e + 1 >= n || s[e + 1] != '.'))))
                e++;
            int64_t secs;
            if (duration_parse(s + st, e - st, &secs)) {
                t.k = TK_DUR;
                t.i = secs;
                i = e;
            } else {
                /* 99999999999999999999d: a number too large for any duration */
                t.k = dec_compare(t.num, dec_int(1000000000000000)) > 0 ? TK_HUGE : TK_BADDUR;
                i = e;
            }
        } else {
            t.k = TK_NUM;
        }
    } else if (ident_start(ch)) {
        while (i < n) {
            if (ident_char((unsigned char)s[i]))
                i++;
            else if (s[i] == '.' && i + 1 < n && ident_start((unsigned char)s[i + 1]))
                i++;
            else
                break;
        }
        t.k = TK_IDENT;
    } else if (ch == '"' || ch == '\'') {
        i++;
        while (i < n && s[i] != (char)ch) {
            if (s[i] == '\\' && i + 1 < n)
                i++;
            i++;
        }
        if (i >= n) {
            t.k = TK_OPENSTR;
        } else {
            t.k = TK_STR;
            i++;
        }
    } else {
        i++;
        char c2 = i < n ? s[i] : 0;
        switch (ch) {
        case '(': t.k = TK_LP; break;
        case ')': t.k = TK_RP; break;
        case '[': t.k = TK_LB; break;
        case ']': t.k = TK_RB; break;
        case ',': t.k = TK_COMMA; break;
        case '+': t.k = TK_PLUS; break;
        case '-': t.k = TK_MINUS; break;
        case '*':
            if (c2 == '*') { t.k = TK_POW; i++; } else t.k = TK_STAR;
            break;
        case '/': t.k = TK_SLASH; break;
        case '.':
            if (c2 == '.') { t.k = TK_DOTDOT; i++; } else t.k = TK_BAD;
            break;
        case '=':
            if (c2 == '=') { t.k = TK_EQ; i++; } else t.k = TK_BAD;
            break;
        case '!':
            if (c2 == '=') { t.k = TK_NE; i++; } else t.k = TK_BAD;
            break;
        case '<':
            if (c2 == '=') { t.k = TK_LE; i++; } else t.k = TK_LT;
            break;
        case '>':
            if (c2 == '=') { t.k = TK_GE; i++; } else t.k = TK_GT;
            break;
        default: t.k = TK_BAD;
        }
    }
    t.n = i - st;
    P->t = t;
    P->p = i;
}

static bool tok_is(const token *t, const char *word)
{
    size_t n = strlen(word);
    return t->k == TK_IDENT && t->n == n && memcmp(t->s, word, n) == 0;
}

/* ======================================================================
** Parse tree: expr nodes whose names are not yet resolved (op X_NAME etc.)
*/
enum { X_NAME = 100, X_LIST_LIT, X_CALL, X_STRLIT, X_NUMLIT,
       X_INPUT /* a table cell's input (CELL_INPUT): typed, never evaluated */ };

static expr *mk(parser *P, int op, size_t off, size_t nargs)
{
    expr *e = arena_alloc(P->c->a, sizeof *e);
    if (!e) {
        perr(P, off, "out of memory");
        return NULL;
    }
    e->op = (uint8_t)op;
    e->n = (uint16_t)nargs;
    e->at = pos_at(P, off);
    e->slot = -1;
    if (nargs) {
        e->args = arena_alloc(P->c->a, nargs * sizeof *e->args);
        if (!e->args) {
            perr(P, off, "out of memory");
            return NULL;
        }
    }
    return e;
}

/* The node `l OP r` (NULL when either side failed: the error is reported). */
static expr *mk_binary(parser *P, int op, size_t off, expr *l, expr *r)
{
    if (!l || !r)
        return NULL;
    expr *e = mk(P, op, off, 2);
    if (!e)
        return NULL;
    e->args[0] = l;
    e->args[1] = r;
    return e;
}

/* Names keep their text in k.u.s / k.idx until resolved. */
static expr *mk_name(parser *P, const token *t)
{
    expr *e = mk(P, X_NAME, t->off, 0);
    if (!e)
        return NULL;
    e->k.t = V_STR;
    e->k.u.s = arena_strndup(P->c->a, t->s, t->n);
    e->k.idx = (int32_t)t->n;
    return e;
}

static expr *parse_or(parser *P);
static expr *parse_power(parser *P);

static const char *tok_desc(parser *P, const token *t)
{
    if (t->k == TK_EOF)
        return "the end of the expression";
    if (t->k == TK_BAD && t->n == 1 && t->s[0] == '=')
        return "'=' (to compare values, write '==')";
    return arena_printf(&P->c->tmp, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->s);
}

static bool expect(parser *P, tkind k, const char *what)
{
    if (P->t.k != k) {
        perr(P, P->t.off, "expected %s but found %s", what, tok_desc(P, &P->t));
        return false;
    }
    next(P);
    return true;
}

static expr *parse_list_literal(parser *P)
{
    size_t off = P->t.off;
    next(P); /* [ */
    expr *items[256];
    size_t n = 0;
    if (P->t.k != TK_RB) {
        for (;;) {
            if (n == 256) {
                perr(P, P->t.off, "a list may have at most 256 items");
                return NULL;
            }
            expr *it = parse_or(P);
            if (!it)
                return NULL;
            items[n++] = it;
            if (P->t.k == TK_COMMA) {
                next(P);
                continue;
            }
            break;
        }
    }
    if (!expect(P, TK_RB, "',' or ']' in the list"))
        return NULL;
    expr *e = mk(P, X_LIST_LIT, off, n);
    if (e && n)
        memcpy(e->args, items, n * sizeof *items);
    return e;
}

static expr *parse_primary(parser *P)
{
    token t = P->t;
    if (++P->depth > 64) {
        perr(P, t.off, "the expression is nested too deeply (more than 64 levels)");
        return NULL;
    }
    expr *e = NULL;
    switch (t.k) {
    case TK_NUM:
    case TK_PCT: {
        next(P);
        /* money: a number followed by a currency code */
        if (t.k == TK_NUM && P->t.k == TK_IDENT && P->t.n == 3 && P->t.s[0] >= 'A' &&
            P->t.s[0] <= 'Z' && P->t.s[1] >= 'A' && P->t.s[1] <= 'Z' && P->t.s[2] >= 'A' &&
            P->t.s[2] <= 'Z' && money_currency(P->t.s, 3) < 0) {
            perr(P, P->t.off, "'%.3s' is not a known ISO 4217 currency code (EUR, USD, GBP, SEK, "
                              "NOK, DKK, CHF, JPY, ...)",
                 P->t.s);
            return NULL;
        }
        if (t.k == TK_NUM && P->t.k == TK_IDENT && P->t.n == 3) {
            int cur = money_currency(P->t.s, 3);
            if (cur >= 0) {
                int64_t minor;
                const char *err = money_parse(t.s, t.n, cur, &minor, &cur);
                if (!err)
                    err = money_to_fine(minor, &minor);
                if (err) {
                    perr(P, t.off, "bad money amount '%.*s %.3s': %s", (int)t.n, t.s, P->t.s,
                         err);
                    return NULL;
                }
                e = mk(P, X_CONST, t.off, 0);
                if (e) {
                    e->type = T_MONEY;
                    e->cur = cur;
                    e->k.t = V_MONEY;
                    e->k.cur = (uint8_t)cur;
                    e->k.u.i = minor;
                }
                next(P);
                break;
            }
        }
        e = mk(P, X_NUMLIT, t.off, 0);
        if (e) {
            e->type = T_NUM;
            if (num_put(P->c->a, t.num, &e->k))
                return NULL; /* out of memory */
            /* keep the literal text for exact money conversion */
            e->set = (const enumset *)(const void *)arena_strndup(P->c->a, t.s, t.n);
            if (t.k == TK_PCT)
                e->set = NULL;
        }
        break;
    }
    case TK_DUR:
        next(P);
        e = mk(P, X_CONST, t.off, 0);
        if (e) {
            e->type = T_DUR;
            e->k.t = V_DUR;
            e->k.u.i = t.i;
        }
        break;
    case TK_DATE:
        next(P);
        e = mk(P, X_CONST, t.off, 0);
        if (e) {
            e->type = T_DATE;
            e->k.t = V_DATE;
            e->k.u.i = t.i;
        }
        break;
    case TK_STR: {
        next(P);
        /* unescape \" \\ \n */
        char *s = arena_alloc(P->c->a, t.n);
        size_t k = 0;
        if (!s)
            return NULL;
        for (size_t i = 1; i + 1 < t.n; i++) {
            char ch = t.s[i];
            if (ch == '\\' && i + 2 < t.n) {
                ch = t.s[++i];
                if (ch == 'n')
                    ch = '\n';
                else if (ch == 't')
                    ch = '\t';
            }
            s[k++] = ch;
        }
        size_t nl;
        char *nfc = text_nfc(P->c->a, s, k, &nl);
        if (!nfc) {
            perr(P, t.off, "the text is not valid UTF-8");
            return NULL;
        }
        e = mk(P, X_STRLIT, t.off, 0);
        if (e) {
            e->type = T_STR;
            e->k.t = V_STR;
            e->k.u.s = nfc;
            e->k.idx = (int32_t)nl;
        }
        break;
    }
    case TK_IDENT:
        if (tok_is(&t, "true") || tok_is(&t, "false")) {
            next(P);
            e = mk(P, X_CONST, t.off, 0);
            if (e) {
                e->type = T_BOOL;
                e->k.t = V_BOOL;
                e->k.u.b = t.s[0] == 't';
            }
            break;
        }
        if (tok_is(&t, "null")) {
            next(P);
            e = mk(P, X_CONST, t.off, 0);
            if (e)
                e->type = T_NULL;
            break;
        }
        if (tok_is(&t, "and") || tok_is(&t, "or") || tok_is(&t, "in")) {
            perr(P, t.off, "'%.*s' needs something before it", (int)t.n, t.s);
            return NULL;
        }
        next(P);
        if (P->t.k == TK_LP) {
            /* function call */
            next(P);
            expr *args[32];
            size_t n = 0;
            if (P->t.k != TK_RP) {
                for (;;) {
                    if (n == 32) {
                        perr(P, P->t.off, "too many arguments (at most 32)");
                        return NULL;
                    }
                    expr *a = parse_or(P);
                    if (!a)
                        return NULL;
                    args[n++] = a;
                    if (P->t.k == TK_COMMA) {
                        next(P);
                        continue;
                    }
                    break;
                }
            }
            if (!expect(P, TK_RP, "',' or ')' after the arguments"))
                return NULL;
            e = mk(P, X_CALL, t.off, n);
            if (e) {
                if (n)
                    memcpy(e->args, args, n * sizeof *args);
                e->k.t = V_STR;
                e->k.u.s = arena_strndup(P->c->a, t.s, t.n);
                e->k.idx = (int32_t)t.n;
            }
            break;
        }
        e = mk_name(P, &t);
        break;
    case TK_LP:
        next(P);
        e = parse_or(P);
        if (e && !expect(P, TK_RP, "')'"))
            return NULL;
        break;
    case TK_LB:
        e = parse_list_literal(P);
        break;
    case TK_MINUS: {
        next(P);
        expr *a = parse_power(P); /* -2 ** 2 is -(2 ** 2), as in mathematics */
        if (!a)
            return NULL;
        e = mk(P, X_NEG, t.off, 1);
        if (e)
            e->args[0] = a;
        break;
    }
    case TK_HUGE: {
        dec d;
        bool unit = t.n && t.s[t.n - 1] >= 'a' && t.s[t.n - 1] <= 'z'; /* 99999999999999999999d */
        const char *why = unit ? "the number is too large for a duration" : dec_parse(t.s, t.n, &d);
        perr(P, t.off, "'%.*s': %s", (int)(t.n > 40 ? 40 : t.n), t.s, why);
        return NULL;
    }
    case TK_BADDUR:
        perr(P, t.off, "'%.*s' is not a duration: write a number and a unit, like 90min, 3h, 14d "
                       "or 1d2h (units: s, min, h, d, w; at most about 30 million years)",
             (int)(t.n > 40 ? 40 : t.n), t.s);
        return NULL;
    case TK_OPENSTR:
        perr(P, t.off, "the text starting here has no closing %c", t.s[0]);
        return NULL;
    case TK_BAD:
        perr(P, t.off, "'%.*s' is not something an expression understands (a number, money "
                       "like 50 EUR, a duration like 90min, a date like 2026-11-23, \"text\", "
                       "a fact path or a function call)",
             (int)(t.n > 40 ? 40 : t.n), t.s);
        return NULL;
    default:
        perr(P, t.off, "expected a value but found %s", tok_desc(P, &t));
        return NULL;
    }
    P->depth--;
    return e;
}

/* a ** b binds tighter than unary minus and groups from the right:
** 2 ** 3 ** 2 is 2 ** 9. */
static expr *parse_power(parser *P)
{
    expr *l = parse_primary(P);
    if (!l || P->t.k != TK_POW)
        return l;
    token t = P->t;
    next(P);
    return mk_binary(P, X_POW, t.off, l, parse_power(P));
}

static expr *parse_mul(parser *P)
{
    expr *l = parse_power(P);
    while (l && (P->t.k == TK_STAR || P->t.k == TK_SLASH)) {
        token t = P->t;
        next(P);
        l = mk_binary(P, t.k == TK_STAR ? X_MUL : X_DIV, t.off, l, parse_power(P));
    }
    return l;
}

static expr *parse_add(parser *P)
{
    expr *l = parse_mul(P);
    while (l && (P->t.k == TK_PLUS || P->t.k == TK_MINUS)) {
        token t = P->t;
        next(P);
        l = mk_binary(P, t.k == TK_PLUS ? X_ADD : X_SUB, t.off, l, parse_mul(P));
    }
    return l;
}

static expr *parse_cmp(parser *P)
{
    expr *l = parse_add(P);
    if (!l)
        return NULL;
    token t = P->t;
    int op = -1;
    switch (t.k) {
    case TK_EQ: op = X_EQ; break;
    case TK_NE: op = X_NE; break;
    case TK_LT: op = X_LT; break;
    case TK_LE: op = X_LE; break;
    case TK_GT: op = X_GT; break;
    case TK_GE: op = X_GE; break;
    default: break;
    }
    if (op >= 0) {
        next(P);
        return mk_binary(P, op, t.off, l, parse_add(P));
    }
    bool negate = false;
    if (tok_is(&t, "not")) {
        /* "x not in [...]" */
        size_t save = P->p;
        token st = P->t;
        next(P);
        if (!tok_is(&P->t, "in")) {
            P->p = save;
            P->t = st;
            return l;
        }
        negate = true;
        t = P->t;
    }
    if (tok_is(&t, "in")) {
        next(P);
        expr *e;
        if (P->t.k == TK_LB) {
            expr *list = parse_list_literal(P);
            if (!list)
                return NULL;
            e = mk(P, X_IN_SET, t.off, list->n + 1);
            if (!e)
                return NULL;
            e->args[0] = l;
            if (list->n)
                memcpy(e->args + 1, list->args, list->n * sizeof *list->args);
        } else {
            expr *lo = parse_add(P);
            if (!lo)
                return NULL;
            if (P->t.k == TK_DOTDOT) {
                next(P);
                expr *hi = parse_add(P);
                if (!hi)
                    return NULL;
                e = mk(P, X_IN_RANGE, t.off, 3);
                if (!e)
                    return NULL;
                e->args[0] = l;
                e->args[1] = lo;
                e->args[2] = hi;
            } else {
                e = mk(P, X_IN_LIST, t.off, 2);
                if (!e)
                    return NULL;
                e->args[0] = l;
                e->args[1] = lo;
            }
        }
        if (negate) {
            expr *n = mk(P, X_NOT, t.off, 1);
            if (!n)
                return NULL;
            n->args[0] = e;
            e = n;
        }
        return e;
    }
    return l;
}

static expr *parse_not(parser *P)
{
    if (tok_is(&P->t, "not")) {
        token t = P->t;
        next(P);
        if (++P->depth > 64) {
            perr(P, t.off, "the expression is nested too deeply (more than 64 levels)");
            return NULL;
        }
        expr *a = parse_not(P);
        P->depth--;
        if (!a)
            return NULL;
        expr *e = mk(P, X_NOT, t.off, 1);
        if (e)
            e->args[0] = a;
        return e;
    }
    return parse_cmp(P);
}

static expr *parse_and(parser *P)
{
    expr *l = parse_not(P);
    while (l && tok_is(&P->t, "and")) {
        token t = P->t;
        next(P);
        l = mk_binary(P, X_AND, t.off, l, parse_not(P));
    }
    return l;
}

static expr *parse_or(parser *P)
{
    if (++P->depth > 64) {
        perr(P, P->t.off, "the expression is nested too deeply (more than 64 levels)");
        return NULL;
    }
    expr *l = parse_and(P);
    while (l && tok_is(&P->t, "or")) {
        token t = P->t;
        next(P);
        l = mk_binary(P, X_OR, t.off, l, parse_and(P));
    }
    P->depth--;
    return l;
}

/* ======================================================================
** Type checking and name resolution
*/
typedef struct checker {
    compiler *c;
    const scope *sc;
    bool failed;
} checker;

static void cerr(checker *K, const expr *e, const char *fmt, ...) LW_PRINTF(3, 4);
static void cerr(checker *K, const expr *e, const char *fmt, ...)
{
    if (K->failed)
        return;
    K->failed = true;
    va_list ap;
    va_start(ap, fmt);
    report_vadd(K->c->r, LW_ERROR, e->at, K->sc ? K->sc->rule : NULL, fmt, ap);
    va_end(ap);
}

static const char *type_desc(checker *K, const expr *e)
{
    if (e->type == T_MONEY)
        return arena_printf(&K->c->tmp, "money (%s)", money_currency_at(e->cur)->code);
    return ttype_name((ttype)e->type);
}

/* What a value of e's type is, in words: "a number", "money in EUR", "one
** of basic, gold". */
static const char *type_phrase(checker *K, const expr *e)
{
    arena *tmp = &K->c->tmp;
    switch (e->type) {
    case T_MONEY: return arena_printf(tmp, "money in %s", money_currency_at(e->cur)->code);
    case T_BOOL: return "a true/false value";
    case T_STR: return "text";
    case T_ENUM: {
        strbuf b;
        buf_init(&b, &K->c->pb->mem);
        for (size_t i = 0; e->set && i < e->set->n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "one of ", e->set->words[i]);
        const char *words = arena_printf(tmp, "%s", b.p ? b.p : "an enum value");
        buf_free(&b);
        return words;
    }
    case T_OUTCOME: return "an outcome";
    default: {
        const char *name = ttype_name((ttype)e->type);
        return arena_printf(tmp, "a %s", name);
    }
    }
}

/* A table cell that does not fit its column: "column 1 (incident.hours)
** takes a number, but this cell is money in EUR". */
static void cell_mismatch(checker *K, const expr *at, const char *cell_is)
{
    cerr(K, at, "%s takes %s, but this cell is %s", K->sc->cell_column,
         type_phrase(K, K->sc->cell_input), cell_is);
}

/* " (did you mean 'FACT'?)" or "". Each suggestion compares the name with
** every fact, so after 100 errors (a playbook that is mostly wrong) there
** are none: that would cost facts x errors. */
static const char *suggest(checker *K, const char *name)
{
    const lw_playbook *pb = K->c->pb;
    if (K->c->r->errors >= 100)
        return "";
    nearest near = nearest_start(name, 4);
    for (size_t i = 0; i < pb->n_facts; i++)
        nearest_offer(&near, pb->facts[i].path);
    if (!near.best)
        return "";
    return arena_printf(&K->c->tmp, " (did you mean '%s'?)", near.best);
}

/* A name that is probably a misspelt fact rather than a word: a dotted
** path, or close to a declared fact. */
static bool fact_like(checker *K, const expr *e)
{
    return strchr(e->k.u.s, '.') != NULL || *suggest(K, e->k.u.s) != 0;
}

static void set_enum_const(expr *e, const enumset *set, int idx)
{
    e->op = X_CONST;
    e->type = T_ENUM;
    e->set = set;
    e->k.t = V_ENUM;
    e->k.idx = idx;
    e->k.u.set = set;
}

/* STEP.RESULT: a result of the goodwill step STEP's table with several
** results (docs/playbook-format.md §6): 1 and e set; -1 if STEP is such a step
** but RESULT is not one of its results; 0 if STEP is not such a step. */
static int step_result(const compiler *c, expr *e, const char *ref, size_t n)
{
    const char *dot = memchr(ref, '.', n);
    const step_rule *st = dot ? step_by_id(c, ref, (size_t)(dot - ref)) : NULL;
    if (!st || !st->tab || st->tab->n_out < 2)
        return 0;
    for (size_t i = 0; i < st->tab->n_out; i++) {
        const table_result *res = &st->tab->out[i];
        if (strlen(res->name) == n - (size_t)(dot + 1 - ref) &&
            memcmp(res->name, dot + 1, n - (size_t)(dot + 1 - ref)) == 0) {
            e->op = X_STEP_RESULT;
            e->slot = (int32_t)(st->res_slot + i);
            e->type = (uint8_t)res->type;
            e->set = res->set;
            e->cur = c->pb->cur;
            return 1;
        }
    }
    return -1;
}

/* The error for the word e (bare or quoted) that is not one of set's words:
** it lists them, with the nearest. whose: where they are declared ("the
** fact's"), or NULL when it is not known. */
static void undeclared_word(checker *K, const expr *e, const enumset *set, const char *whose)
{
    strbuf b;
    buf_init(&b, &K->c->pb->mem);
    nearest near = nearest_start(e->k.u.s, 4);
    for (size_t i = 0; i < set->n; i++) {
        if (i)
            buf_puts(&b, ", ");
        buf_puts(&b, set->words[i]);
        nearest_offer(&near, set->words[i]);
    }
    const char *q = e->op == X_STRLIT ? "\"" : "'";
    cerr(K, e, "%s%s%s is not one of the declared values (%s%s%s%s); use one of them%s%s%s", q,
         e->k.u.s, q, b.p ? b.p : "", near.best ? "; did you mean '" : "",
         near.best ? near.best : "", near.best ? "'?" : "", whose ? " or add it to " : "",
         whose ? whose : "", whose ? " values:" : "");
    buf_free(&b);
}

/* Resolve a bare name. hint: an enum set the word may belong to. */
static bool resolve_name(checker *K, expr *e, const enumset *hint, bool quiet)
{
    compiler *c = K->c;
    lw_playbook *pb = c->pb;
    const char *name = e->k.u.s;
    size_t n = (size_t)e->k.idx;
    if (K->sc && K->sc->cell_input && n == strlen(CELL_INPUT) &&
        memcmp(name, CELL_INPUT, n) == 0) {
        /* only the input's type matters: the cell keeps the constants */
        e->op = X_INPUT;
        e->type = K->sc->cell_input->type;
        e->set = K->sc->cell_input->set;
        e->cur = K->sc->cell_input->cur;
        memset(&e->k, 0, sizeof e->k);
        return true;
    }
    int f = fact_lookup(pb, name, n);
    if (f >= 0) {
        const fact *fa = &pb->facts[f];
        e->op = X_FACT;
        e->slot = f;
        e->type = (uint8_t)fa->type;
        e->set = fa->set;
        e->cur = fa->cur;
        memset(&e->k, 0, sizeof e->k);
        return true;
    }
    if (K->sc && K->sc->amount && strcmp(name, "amount") == 0) {
        e->op = X_AMOUNT;
        e->type = T_MONEY;
        e->cur = pb->cur;
        return true;
    }
    if (strncmp(name, "outputs.", 8) == 0) {
        const output_rule *o = output_by_name(c, name + 8, n - 8);
        size_t i = o ? (size_t)(o - pb->outputs) : 0;
        if (o && K->sc && i < K->sc->n_outputs) {
            e->op = X_OUTPUT;
            e->slot = (int32_t)i;
            e->type = (uint8_t)o->type;
            e->set = o->set;
            e->cur = pb->cur;
            if (o->value && o->value->type == T_MONEY)
                e->cur = o->value->cur;
            return true;
        }
        if (!quiet)
            cerr(K, e, "'%s' is not an output written before this one; outputs may read only "
                       "the outputs above them",
                 name);
        return false;
    }
    if (strncmp(name, "policies.", 9) == 0 && K->sc && K->sc->policies) {
        const char *id = name + 9;
        const char *dot = strrchr(id, '.');
        const policy *p = dot && strcmp(dot, ".outcome") == 0
                              ? policy_by_id(c, id, (size_t)(dot - id))
                              : NULL;
        if (p) {
            e->op = X_POLICY;
            e->slot = (int32_t)(p - pb->policies);
            e->type = T_OUTCOME;
            return true;
        }
        if (!quiet)
            cerr(K, e, "'%s' does not name a policy's outcome; write policies.ID.outcome with "
                       "the id of a policy",
                 name);
        return false;
    }
    if (strncmp(name, "goodwill.", 9) == 0) {
        /* the goodwill result and the authority it needs (§6.2) */
        static const char *const parts[] = {"amount", "within_authority", "needs_role"};
        static const uint8_t types[] = {T_MONEY, T_BOOL, T_ROLE};
        for (int i = 0; i < 3; i++)
            if (strcmp(name + 9, parts[i]) == 0) {
                if (!K->sc || !K->sc->goodwill) {
                    if (!quiet)
                        cerr(K, e, "'%s' is known only after the goodwill pipeline and the "
                                   "limits, so only outputs and promises may read it (in a "
                                   "goodwill step, the amount so far is amount)",
                             name);
                    return false;
                }
                e->op = X_GOODWILL;
                e->slot = (int32_t)i;
                e->type = types[i];
                e->cur = pb->cur;
                return true;
            }
        if (K->sc && K->sc->goodwill && !memchr(name + 9, '.', n - 9)) {
            int best = 0;
            for (int i = 1; i < 3; i++)
                if (lw_edit_distance(name + 9, parts[i]) < lw_edit_distance(name + 9, parts[best]))
                    best = i;
            if (!quiet)
                cerr(K, e, "'%s' is not part of the goodwill result%s; read goodwill.amount, "
                           "goodwill.within_authority or goodwill.needs_role",
                     name,
                     lw_edit_distance(name + 9, parts[best]) < 4
                         ? arena_printf(&c->tmp, " (did you mean 'goodwill.%s'?)", parts[best])
                         : "");
            return false;
        }
    }
    int res = strncmp(name, "goodwill.", 9) == 0 && K->sc && K->sc->goodwill
                  ? step_result(c, e, name + 9, n - 9)
                  : 0;
    if (res > 0)
        return true;
    if (res < 0) {
        if (!quiet)
            cerr(K, e, "'%s' is not a result of that goodwill step's table; write "
                       "goodwill.STEP.RESULT with one of the names under its outputs:",
                 name);
        return false;
    }
    arena *tmp = &c->tmp;
    char *folded = text_fold(tmp, name, n);
    if (hint && folded) {
        int idx = enumset_find(hint, folded);
        if (idx >= 0) {
            set_enum_const(e, hint, idx);
            return true;
        }
    }
    if (K->sc && K->sc->words && folded) {
        int idx = enumset_find(K->sc->words, folded);
        if (idx >= 0) {
            set_enum_const(e, K->sc->words, idx);
            return true;
        }
    }
    if (quiet)
        return false;
    if (hint) {
        undeclared_word(K, e, hint, "the fact's");
        return false;
    }
    if (K->sc && K->sc->cell_column) {
        cell_mismatch(K, e, arena_printf(tmp, "'%s'", name));
        return false;
    }
    cerr(K, e, "unknown fact or word '%s'%s; declare it under facts: or quote it as \"%s\" if "
               "you meant text",
         name, suggest(K, name), name);
    return false;
}

static bool check(checker *K, expr *e, const enumset *hint);

/* Make a constant number usable where money is expected (`order.value > 0`). */
static bool coerce_to(checker *K, expr *e, const expr *like)
{
    if (like->type == T_MONEY && e->type == T_NUM && (e->op == X_NUMLIT || e->op == X_CONST)) {
        int64_t minor;
        const char *err = money_from_dec(num_get(&e->k), like->cur, &minor);
        if (!err)
            err = money_to_fine(minor, &minor);
        if (err) {
            cerr(K, e, "%s", err);
            return false;
        }
        e->op = X_CONST;
        e->type = T_MONEY;
        e->cur = like->cur;
        e->k.t = V_MONEY;
        e->k.cur = (uint8_t)like->cur;
        e->k.u.i = minor;
        return true;
    }
    if (like->type == T_ENUM && e->type == T_STR &&
        (e->op == X_STRLIT || (e->op == X_CONST && e->k.t == V_STR))) {
        arena *tmp = &K->c->tmp;
        int idx = enumset_find_text(tmp, like->set, e->k.u.s, (size_t)e->k.idx);
        if (idx < 0) {
            undeclared_word(K, e, like->set, NULL);
            return false;
        }
        set_enum_const(e, like->set, idx);
        return true;
    }
    return true;
}

static bool same_type(checker *K, expr *a, expr *b, const char *what)
{
    if (a->type == T_NULL || b->type == T_NULL || a->type == T_ANY || b->type == T_ANY)
        return true;
    if (!coerce_to(K, b, a) || !coerce_to(K, a, b))
        return false;
    bool differ = a->type != b->type || (a->type == T_MONEY && a->cur != b->cur);
    if (differ && K->sc && K->sc->cell_column && (a->op == X_INPUT || b->op == X_INPUT)) {
        const expr *item = a->op == X_INPUT ? b : a;
        cell_mismatch(K, item, type_phrase(K, item));
        return false;
    }
    if (a->type != b->type) {
        cerr(K, a, "cannot %s %s with %s", what, type_desc(K, a), type_desc(K, b));
        return false;
    }
    if (a->type == T_MONEY && a->cur != b->cur) {
        cerr(K, a, "cannot %s money in %s with money in %s; convert one of them first", what,
             money_currency_at(a->cur)->code, money_currency_at(b->cur)->code);
        return false;
    }
    return true;
}

static bool want_bool(checker *K, expr *e)
{
    if (e->type != T_BOOL && e->type != T_NULL && e->type != T_ANY) {
        cerr(K, e, "expected a condition (true or false) but this is %s", type_desc(K, e));
        return false;
    }
    return true;
}

static bool ordered(ttype t)
{
    return t == T_ANY || t == T_NUM || t == T_MONEY || t == T_DUR || t == T_DATE || t == T_STR ||
           t == T_ENUM || t == T_ROLE;
}

/* Check a pair where a bare word on one side may be a value of the other. */
static bool check_pair(checker *K, expr *a, expr *b)
{
    bool a_name = a->op == X_NAME, b_name = b->op == X_NAME;
    if (a_name && b_name && !resolve_name(K, a, NULL, true)) {
        /* `gold == customer.tier`: the fact on the right tells what the word
        ** is. When neither side is known (`guest.teir == gold`), the one that
        ** looks like a fact is the culprit, not the word the fact would have
        ** explained. */
        if (!resolve_name(K, b, NULL, true) && (!fact_like(K, b) || fact_like(K, a)))
            return check(K, a, NULL);
        if (!check(K, b, NULL))
            return false;
        return check(K, a, b->type == T_ENUM ? b->set : NULL);
    }
    if (a_name && !b_name) {
        if (!check(K, b, NULL))
            return false;
        if (!resolve_name(K, a, b->type == T_ENUM ? b->set : NULL, true)) {
            return check(K, a, b->type == T_ENUM ? b->set : NULL);
        }
        return true;
    }
    if (!check(K, a, NULL))
        return false;
    if (a->type == T_ROLE && (b->op == X_NAME || b->op == X_STRLIT)) {
        const role_def *r = role_by_id(K->c, b->k.u.s, strlen(b->k.u.s));
        if (r) {
            b->op = X_CONST;
            b->type = T_ROLE;
            b->k.t = V_ROLE;
            b->k.idx = (int32_t)(r - K->c->pb->roles);
            return true;
        }
        if (b->op == X_NAME && resolve_name(K, b, NULL, true))
            return true;
        cerr(K, b, "'%s' is not a role of this playbook %s", b->k.u.s,
             roles_hint(&K->c->tmp, K->c->pb, b->k.u.s, strlen(b->k.u.s)));
        return false;
    }
    if (a->type == T_OUTCOME && (b->op == X_NAME || b->op == X_STRLIT)) {
        if (b->op == X_NAME && resolve_name(K, b, NULL, true))
            return true;
        const outcome_word *o = outcome_by_word(K->c, b->k.u.s, strlen(b->k.u.s));
        if (o) {
            b->op = X_CONST;
            b->type = T_OUTCOME;
            b->k.t = V_OUTCOME;
            b->k.idx = (int32_t)(o - K->c->pb->outcomes);
            return true;
        }
        cerr(K, b, "'%s' is not an outcome (allow, deny, escalate or one declared under "
                   "outcomes:)",
             b->k.u.s);
        return false;
    }
    return check(K, b, a->type == T_ENUM ? a->set : NULL);
}

/* ITEM in LIST, contains(LIST, ITEM), LIST checked: a word, bare or quoted,
** is one of the words the table result that gives the list declares under
** values: (like a word compared with an enum fact). A list without them
** (a list fact, a result without values:) takes only quoted words. */
static bool check_list_item(checker *K, expr *item, const expr *list)
{
    const enumset *set = list->type == T_LIST ? list->set : NULL;
    if (item->op != X_NAME)
        return check(K, item, set);
    if (resolve_name(K, item, set, true))
        return true;
    if (set && !fact_like(K, item)) {
        undeclared_word(K, item, set, "the result's");
        return false;
    }
    if (list->type != T_LIST || list->op != X_OUTPUT || fact_like(K, item))
        return check(K, item, NULL);
    cerr(K, item, "unknown fact or word '%s'; to look a word up in outputs.%s, quote it as "
                  "\"%s\", or declare the words its table gives under values: to write them bare",
         item->k.u.s, K->c->pb->outputs[list->slot].name, item->k.u.s);
    return false;
}

static int fn_id(const char *name)
{
    static const char *const fns[] = {"min", "max", "round", "floor", "ceil", "has", "lower",
                                      "contains", "starts_with", "len", "if", "coalesce"};
    static const int ops[] = {X_MIN, X_MAX, X_ROUND, X_FLOOR, X_CEIL, X_HAS, X_LOWER,
                              X_CONTAINS, X_STARTS, X_LEN, X_IF, X_COALESCE};
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
        if (strcmp(fns[i], name) == 0)
            return ops[i];
    return -1;
}

bool builtin_function(const char *name)
{
    return fn_id(name) >= 0;
}

static bool check_call(checker *K, expr *e, const enumset *hint)
{
    const char *name = e->k.u.s;
    int op = fn_id(name);
    int lf = op < 0 ? script_fn_lookup(K->c->pb, name) : -1;
    if (lf >= 0) {
        /* a function of a functions: library: arity checked now, types at run time */
        const lua_fn *fn = &K->c->pb->fns[lf];
        if (!fn->vararg && (int)e->n != fn->nparams) {
            cerr(K, e, "%s() takes %d argument%s (see %s), not %u", name, fn->nparams,
                 fn->nparams == 1 ? "" : "s", K->c->pb->libs[fn->lib].path, (unsigned)e->n);
            return false;
        }
        for (size_t i = 0; i < e->n; i++)
            if (!check(K, (expr *)e->args[i], NULL))
                return false;
        memset(&e->k, 0, sizeof e->k);
        e->op = X_LUAFN;
        e->slot = lf;
        e->type = T_ANY;
        return true;
    }
    if (op < 0) {
        strbuf libs;
        buf_init(&libs, &K->c->pb->mem);
        for (size_t i = 0; i < K->c->pb->n_fns; i++)
            buf_printf(&libs, "%s%s", i ? ", " : "; from functions: libraries: ",
                       K->c->pb->fns[i].name);
        cerr(K, e, "unknown function '%s'; the functions are min, max, round, floor, ceil, has, "
                   "lower, contains, starts_with, len, if and coalesce%s",
             name, libs.p ? libs.p : "");
        buf_free(&libs);
        return false;
    }
    size_t n = e->n;
    expr **a = (expr **)e->args;
    size_t lo = 1, hi = 1;
    switch (op) {
    case X_MIN: case X_MAX: case X_COALESCE: lo = 1; hi = 32; break;
    case X_ROUND: lo = 1; hi = 2; break;
    case X_FLOOR: case X_CEIL: lo = 2; hi = 2; break;
    case X_CONTAINS: case X_STARTS: lo = 2; hi = 2; break;
    case X_IF: lo = 3; hi = 3; break;
    default: break;
    }
    if (n < lo || n > hi) {
        if (lo == hi)
            cerr(K, e, "%s() takes %zu argument%s, not %zu", name, lo, lo == 1 ? "" : "s", n);
        else
            cerr(K, e, "%s() takes %zu to %zu arguments, not %zu", name, lo, hi, n);
        return false;
    }
    memset(&e->k, 0, sizeof e->k);
    e->op = (uint8_t)op;
    switch (op) {
    case X_HAS:
        if (a[0]->op != X_NAME) {
            cerr(K, a[0], "has() takes a fact path, like has(customer.age)");
            return false;
        }
        if (!check(K, a[0], NULL))
            return false;
        e->type = T_BOOL;
        return true;
    case X_IF:
        if (!check(K, a[0], NULL) || !want_bool(K, a[0]))
            return false;
        if (!check_pair(K, a[1], a[2]) || !same_type(K, a[1], a[2], "choose between"))
            return false;
        e->type = a[1]->type == T_NULL ? a[2]->type : a[1]->type;
        e->set = a[1]->set ? a[1]->set : a[2]->set;
        e->cur = a[1]->type == T_MONEY ? a[1]->cur : a[2]->cur;
        return true;
    case X_MIN: case X_MAX: case X_COALESCE:
        for (size_t i = 0; i < n; i++) {
            if (!(i == 0 ? check(K, a[0], hint) : check_pair(K, a[0], a[i])))
                return false;
            if (i && !same_type(K, a[0], a[i], "compare"))
                return false;
        }
        if (op != X_COALESCE && !ordered((ttype)a[0]->type)) {
            cerr(K, e, "%s() needs numbers, money, durations or dates, not %s", name,
                 type_desc(K, a[0]));
            return false;
        }
        e->type = a[0]->type;
        e->set = a[0]->set;
        e->cur = a[0]->cur;
        return true;
    case X_ROUND: case X_FLOOR: case X_CEIL:
        if (!check(K, a[0], NULL))
            return false;
        if (a[0]->type != T_NUM && a[0]->type != T_MONEY) {
            cerr(K, a[0], "%s() needs a number or money, not %s", name, type_desc(K, a[0]));
            return false;
        }
        if (n == 2) {
            if (!check(K, a[1], NULL) || !coerce_to(K, a[1], a[0]))
                return false;
            if (a[1]->type != a[0]->type || (a[0]->type == T_MONEY && a[0]->cur != a[1]->cur)) {
                cerr(K, a[1], "the step of %s() must be of the same type as the value (%s)", name,
                     type_desc(K, a[0]));
                return false;
            }
            if (a[1]->op == X_CONST && (a[1]->type == T_MONEY ? a[1]->k.u.i <= 0
                                                              : dec_sign(num_get(&a[1]->k)) <= 0)) {
                cerr(K, a[1], "the rounding step must be more than zero");
                return false;
            }
        }
        e->type = a[0]->type;
        e->cur = a[0]->cur;
        return true;
    case X_LOWER: case X_LEN:
        if (!check(K, a[0], NULL))
            return false;
        if (a[0]->type != T_STR && a[0]->type != T_ENUM) {
            cerr(K, a[0], "%s() needs text, not %s", name, type_desc(K, a[0]));
            return false;
        }
        e->type = op == X_LEN ? T_NUM : T_STR;
        return true;
    case X_CONTAINS: case X_STARTS:
        for (size_t i = 0; i < 2; i++) {
            if (i == 1 && op == X_CONTAINS ? !check_list_item(K, a[1], a[0])
                                           : !check(K, a[i], NULL))
                return false;
            if (a[i]->type != T_STR && a[i]->type != T_ENUM &&
                !(op == X_CONTAINS && i == 0 && a[i]->type == T_LIST)) {
                cerr(K, a[i], "%s() needs text, not %s", name, type_desc(K, a[i]));
                return false;
            }
        }
        e->type = T_BOOL;
        return true;
    default:
        return false;
    }
}

static bool check_arith(checker *K, expr *e)
{
    expr *a = (expr *)e->args[0], *b = (expr *)e->args[1];
    if (!check(K, a, NULL) || !check(K, b, NULL))
        return false;
    ttype ta = (ttype)a->type, tb = (ttype)b->type;
    int op = e->op;
    if (ta == T_ANY || tb == T_ANY) {
        /* a library function's result: checked when it is known */
        ttype other = ta == T_ANY ? tb : ta;
        e->type = (uint8_t)((op == X_DIV && other == T_MONEY && ta == tb) ? T_NUM : other);
        e->cur = ta == T_ANY ? b->cur : a->cur;
        return true;
    }
    if (op == X_ADD || op == X_SUB) {
        if ((ta == T_MONEY && tb == T_NUM) || (ta == T_NUM && tb == T_MONEY)) {
            if (!coerce_to(K, a, b) || !coerce_to(K, b, a))
                return false;
            ta = (ttype)a->type;
            tb = (ttype)b->type;
        }
        if (ta == T_NUM && tb == T_NUM) { e->type = T_NUM; return true; }
        if (ta == T_MONEY && tb == T_MONEY) {
            if (!same_type(K, a, b, op == X_ADD ? "add" : "subtract"))
                return false;
            e->type = T_MONEY;
            e->cur = a->cur;
            return true;
        }
        if (ta == T_DUR && tb == T_DUR) { e->type = T_DUR; return true; }
        if (ta == T_DATE && tb == T_DUR) { e->type = T_DATE; return true; }
        if (op == X_ADD && ta == T_DUR && tb == T_DATE) { e->type = T_DATE; return true; }
        if (op == X_SUB && ta == T_DATE && tb == T_DATE) { e->type = T_DUR; return true; }
    } else if (op == X_MUL) {
        if (ta == T_NUM && tb == T_NUM) { e->type = T_NUM; return true; }
        if ((ta == T_MONEY && tb == T_NUM) || (ta == T_NUM && tb == T_MONEY)) {
            e->type = T_MONEY;
            e->cur = ta == T_MONEY ? a->cur : b->cur;
            return true;
        }
        if ((ta == T_DUR && tb == T_NUM) || (ta == T_NUM && tb == T_DUR)) {
            e->type = T_DUR;
            return true;
        }
    } else if (op == X_POW) {
        if (ta == T_NUM && tb == T_NUM) { e->type = T_NUM; return true; }
    } else if (op == X_DIV) {
        if (ta == T_NUM && tb == T_NUM) { e->type = T_NUM; return true; }
        if (ta == T_MONEY && tb == T_NUM) { e->type = T_MONEY; e->cur = a->cur; return true; }
        if (ta == T_MONEY && tb == T_MONEY) {
            if (!same_type(K, a, b, "divide"))
                return false;
            e->type = T_NUM;
            return true;
        }
        if (ta == T_DUR && tb == T_NUM) { e->type = T_DUR; return true; }
        if (ta == T_DUR && tb == T_DUR) { e->type = T_NUM; return true; }
    }
    if (op == X_POW) {
        cerr(K, e, "** needs two numbers, not %s and %s", type_desc(K, a), type_desc(K, b));
        return false;
    }
    static const char *const verbs[] = {"add", "subtract", "multiply", "divide"};
    cerr(K, e, "cannot %s %s and %s", verbs[op - X_ADD], type_desc(K, a), type_desc(K, b));
    return false;
}

static bool check(checker *K, expr *e, const enumset *hint)
{
    if (K->failed)
        return false;
    switch (e->op) {
    case X_NAME:
        return resolve_name(K, e, hint, false);
    case X_NUMLIT:
        e->op = X_CONST;
        e->set = NULL;
        return true;
    case X_STRLIT:
        if (hint)
            return coerce_to(K, e, &(expr){.type = T_ENUM, .set = hint});
        e->op = X_CONST;
        return true;
    case X_CONST:
    case X_INPUT:
        return true;
    case X_CALL:
        return check_call(K, e, hint);
    case X_LIST_LIT:
        cerr(K, e, "a list [...] can only follow 'in', as in: customer.tier in [gold, "
                   "platinum]");
        return false;
    case X_AND:
    case X_OR:
        if (!check(K, (expr *)e->args[0], NULL) || !want_bool(K, (expr *)e->args[0]) ||
            !check(K, (expr *)e->args[1], NULL) || !want_bool(K, (expr *)e->args[1]))
            return false;
        e->type = T_BOOL;
        return true;
    case X_NOT:
        if (!check(K, (expr *)e->args[0], NULL) || !want_bool(K, (expr *)e->args[0]))
            return false;
        e->type = T_BOOL;
        return true;
    case X_NEG: {
        expr *a = (expr *)e->args[0];
        if (!check(K, a, NULL))
            return false;
        if (a->type != T_NUM && a->type != T_MONEY && a->type != T_DUR) {
            cerr(K, e, "cannot negate %s", type_desc(K, a));
            return false;
        }
        e->type = a->type;
        e->cur = a->cur;
        return true;
    }
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE: {
        expr *a = (expr *)e->args[0], *b = (expr *)e->args[1];
        if (!check_pair(K, a, b) || !same_type(K, a, b, "compare"))
            return false;
        if (a->type == T_NULL || b->type == T_NULL) {
            /* `x == null`: x has no value (is missing) */
            if (e->op != X_EQ && e->op != X_NE) {
                cerr(K, e, "null can only be compared with == or !=");
                return false;
            }
            e->k.u.b = e->op == X_NE;
            e->args[0] = a->type == T_NULL ? b : a;
            e->n = 1;
            e->op = X_ISNULL;
            e->type = T_BOOL;
            return true;
        }
        if (e->op != X_EQ && e->op != X_NE && !ordered((ttype)a->type) &&
            a->type != T_NULL) {
            cerr(K, e, "%s values cannot be ordered with < or >; use == or !=",
                 type_desc(K, a));
            return false;
        }
        e->type = T_BOOL;
        return true;
    }
    case X_IN_SET: {
        expr *x = (expr *)e->args[0];
        for (size_t i = 1; i < e->n; i++) {
            expr *it = (expr *)e->args[i];
            if (!check_pair(K, x, it) || !same_type(K, x, it, "compare"))
                return false;
            if (it->op != X_CONST) {
                cerr(K, it, "the list after 'in' must hold fixed values, not expressions");
                return false;
            }
        }
        e->type = T_BOOL;
        if (x->type == T_ENUM) {
            uint64_t mask = 0;
            for (size_t i = 1; i < e->n; i++)
                mask |= (uint64_t)1 << e->args[i]->k.idx;
            e->k.t = V_NUM;
            e->k.u.i = (int64_t)mask;
            e->set = x->set;
        }
        return true;
    }
    case X_IN_RANGE: {
        expr *x = (expr *)e->args[0], *lo = (expr *)e->args[1], *hi = (expr *)e->args[2];
        if (!check_pair(K, x, lo) || !check_pair(K, x, hi) || !same_type(K, x, lo, "compare") ||
            !same_type(K, x, hi, "compare"))
            return false;
        if (!ordered((ttype)x->type)) {
            cerr(K, e, "a range needs ordered values, not %s", type_desc(K, x));
            return false;
        }
        if (lo->op == X_CONST && hi->op == X_CONST) {
            bool ok;
            if (val_compare(&lo->k, &hi->k, &ok) > 0 && ok) {
                char a[64], b[64];
                val_format(K->c->pb, &lo->k, a, sizeof a);
                val_format(K->c->pb, &hi->k, b, sizeof b);
                cerr(K, lo, "the range %s..%s is empty: write the smaller value first (%s..%s)", a,
                     b, b, a);
                return false;
            }
        }
        e->type = T_BOOL;
        return true;
    }
    case X_IN_LIST: {
        expr *x = (expr *)e->args[0], *l = (expr *)e->args[1];
        if (!check(K, l, NULL) || !check_list_item(K, x, l))
            return false;
        if (l->type != T_LIST) {
            cerr(K, l, "'in' needs a list [a, b], a range a..b or a list fact after it, not %s",
                 type_desc(K, l));
            return false;
        }
        if (x->type != T_STR && x->type != T_ENUM) {
            cerr(K, x, "only text can be looked up in a list, not %s", type_desc(K, x));
            return false;
        }
        e->type = T_BOOL;
        return true;
    }
    case X_ADD: case X_SUB: case X_MUL: case X_DIV: case X_POW:
        return check_arith(K, e);
    default:
        return true;
    }
}

/* Checking, evaluating and comparing expressions recurse over the tree, so
** its depth is bounded: parentheses nest at most 64 deep, but a chain like
** a + b + c + ... is one level deeper for each operator. */
#define EXPR_MAX_DEPTH 1000

/* Is the tree deeper than EXPR_MAX_DEPTH? Walked with an explicit stack, not
** by recursion, since a tree that is too deep is what it looks for. */
static bool too_deep(parser *P, const expr *root)
{
    typedef struct item {
        const expr *e;
        int depth;
    } item;
    item local[64], *st = local; /* most trees fit; larger ones use the scratch arena */
    size_t cap = 64, n = 0;
    st[n++] = (item){root, 0}; /* depth: the operations above a node */
    while (n) {
        item it = st[--n];
        if (it.depth > EXPR_MAX_DEPTH) {
            report_add(P->c->r, LW_ERROR, P->at, P->sc ? P->sc->rule : NULL,
                       "the expression is too deep: more than %d operations inside one another "
                       "(each + - * / and or in a row counts as one); split it into outputs, "
                       "or group it with parentheses",
                       EXPR_MAX_DEPTH);
            return true;
        }
        if (n + it.e->n > cap) {
            size_t ncap = (n + it.e->n) * 2;
            item *bigger = arena_alloc(&P->c->tmp, ncap * sizeof *bigger);
            if (!bigger)
                return true;
            memcpy(bigger, st, n * sizeof *st);
            st = bigger;
            cap = ncap;
        }
        for (size_t i = 0; i < it.e->n; i++)
            if (it.e->args[i])
                st[n++] = (item){it.e->args[i], it.depth + 1};
    }
    return false;
}

const expr *expr_compile_text(compiler *c, const char *text, size_t len, pos at,
                              const scope *sc, ttype want, const enumset *hint)
{
    parser P = {.c = c, .src = text, .len = len, .at = at, .cur = at, .sc = sc};
    next(&P);
    if (P.t.k == TK_EOF) {
        perr(&P, 0, "the expression is empty");
        return NULL;
    }
    expr *e = parse_or(&P);
    bool single_eq = e && !P.failed && P.t.k == TK_BAD && P.t.n == 1 && P.t.s[0] == '=';
    char after = single_eq && P.t.off + 1 < len ? text[P.t.off + 1] : 0;
    if (after == '<' || after == '>')
        perr(&P, P.t.off, "'=%c' is not an operator: write '%c='", after, after);
    else if (single_eq && len <= 80 && !(sc && sc->cell_input)) /* the condition, corrected */
        perr(&P, P.t.off, "'=' does not compare values: write '==' instead: %.*s==%.*s",
             (int)P.t.off, text, (int)(len - P.t.off - 1), text + P.t.off + 1);
    else if (single_eq)
        perr(&P, P.t.off, "'=' does not compare values: write '==' instead, as in "
                          "customer.tier == gold");
    else if (e && !P.failed && P.t.k != TK_EOF)
        perr(&P, P.t.off, "unexpected %s after a complete expression (missing 'and', 'or' or "
                          "an operator?)",
             tok_desc(&P, &P.t));
    if (!e || P.failed || too_deep(&P, e))
        return NULL;
    checker K = {c, sc, false};
    if (!check(&K, e, hint))
        return NULL;
    if (want == T_MONEY && e->type == T_NUM && e->op == X_CONST) {
        expr like = {.type = T_MONEY, .cur = c->pb->cur};
        if (!coerce_to(&K, e, &like))
            return NULL;
    }
    if (want != T_ANY && e->type != want && e->type != T_NULL && e->type != T_ANY) {
        cerr(&K, e, "expected %s here but this expression gives %s", ttype_name(want),
             type_desc(&K, e));
        return NULL;
    }
    if (want == T_MONEY && e->type == T_MONEY && e->cur != c->pb->cur) {
        cerr(&K, e, "expected money in %s (the playbook's currency) but this is %s",
             money_currency_at(c->pb->cur)->code, money_currency_at(e->cur)->code);
        return NULL;
    }
    return e;
}

const expr *expr_compile(compiler *c, const node *n, const scope *sc, ttype want)
{
    if (!n)
        return NULL;
    if (n->kind == N_MAP && n->n == 1 && strcmp(MAP_KEY(n, 0)->str, "lua") == 0)
        return script_compile(c, MAP_VAL(n, 0), sc, want, NULL);
    if (n->kind != N_SCALAR) {
        report_add(c->r, LW_ERROR, n->at, sc ? sc->rule : NULL,
                   "expected an expression (one line of text) but found a %s",
                   node_kind_name(n));
        return NULL;
    }
    pos at = n->at;
    if (!n->plain && n->str && n->at.line) {
        /* quoted: the text starts one column later */
        at.col++;
    }
    return expr_compile_text(c, n->str, n->len, at, sc, want, NULL);
}

/* ======================================================================
** Evaluation
*/
static inline val vmissing(void)
{
    val v;
    memset(&v, 0, sizeof v);
    return v;
}

static inline val vbool(bool b)
{
    val v;
    memset(&v, 0, sizeof v);
    v.t = V_BOOL;
    v.u.b = b;
    return v;
}

static inline bool unknown(const val *v)
{
    return v->t <= V_ERROR;
}

/* What an unknown condition may still become once its missing facts are
** known, as a set of REACH_ bits. A condition that read missing facts may
** become anything; one that read only settled unknowns (a policy not in
** force, an output without a value) stays unknown. and, or and not combine
** their sides' sets (three-valued logic) and keep the result in the missing
** value's idx. */
enum { REACH_TRUE = 1, REACH_FALSE = 2, REACH_UNKNOWN = 4, REACH_ANY = 7 };

static unsigned reach(const expr *e, val v, size_t pending_from, size_t pending_to,
                      size_t settled_from, size_t settled_to)
{
    if (v.t == V_BOOL)
        return v.u.b ? REACH_TRUE : REACH_FALSE;
    if (v.t != V_MISSING)
        return REACH_UNKNOWN;
    if (e->op == X_AND || e->op == X_OR || e->op == X_NOT)
        return v.idx ? (unsigned)v.idx : REACH_ANY;
    if (pending_to > pending_from || settled_to == settled_from)
        return REACH_ANY;
    return REACH_UNKNOWN;
}

static unsigned reach_not(unsigned r)
{
    return (r & REACH_UNKNOWN) | (r & REACH_TRUE ? REACH_FALSE : 0) |
           (r & REACH_FALSE ? REACH_TRUE : 0);
}

static unsigned reach_and(unsigned a, unsigned b)
{
    unsigned r = 0;
    if ((a & REACH_TRUE) && (b & REACH_TRUE))
        r |= REACH_TRUE;
    if ((a & REACH_FALSE) || (b & REACH_FALSE))
        r |= REACH_FALSE;
    if (((a & REACH_UNKNOWN) && (b & (REACH_TRUE | REACH_UNKNOWN))) ||
        ((b & REACH_UNKNOWN) && (a & REACH_TRUE)))
        r |= REACH_UNKNOWN;
    return r;
}

bool eval_may_hold(const eval_ctx *x, const expr *e, val v, size_t pending_mark,
                   size_t settled_mark)
{
    return reach(e, v, pending_mark, x->n_pending, settled_mark, x->n_settled) & REACH_TRUE;
}

static void push_pending(eval_ctx *x, int32_t slot)
{
    if (x->n_pending == x->cap_pending) {
        size_t cap = x->cap_pending ? x->cap_pending * 2 : 32;
        int32_t *p = arena_alloc(x->a, cap * sizeof *p);
        if (!p)
            return;
        if (x->n_pending)
            memcpy(p, x->pending, x->n_pending * sizeof *p);
        x->pending = p;
        x->cap_pending = cap;
    }
    x->pending[x->n_pending++] = slot;
}


static val money(int64_t i, int cur)
{
    val v;
    memset(&v, 0, sizeof v);
    v.t = V_MONEY;
    v.cur = (uint8_t)cur;
    v.u.i = i;
    return v;
}

static val with_i(vtype t, int64_t i)
{
    val v;
    memset(&v, 0, sizeof v);
    v.t = (uint8_t)t;
    v.u.i = i;
    return v;
}

static val err_val(void)
{
    val v = vmissing();
    v.t = V_ERROR;
    return v;
}

/* A number computed with decimal.c: err NULL, or the reason it failed. */
static val num_result(eval_ctx *x, const expr *e, const char *err, dec d)
{
    val v;
    if (!err)
        err = num_put(x->a, d, &v);
    if (err) {
        eval_error(x, e->at, "%s", err);
        return err_val();
    }
    return v;
}

static val num_checked(eval_ctx *x, const expr *e, const char *err, val v)
{
    if (err) {
        eval_error(x, e->at, "%s", err);
        return err_val();
    }
    return v;
}

/* The ratio of two integers (money to money, duration to duration). */
static val ratio(eval_ctx *x, const expr *e, int64_t a, int64_t b)
{
    dec d;
    const char *err = dec_div(dec_int(a), dec_int(b), &d);
    return num_result(x, e, err, d);
}

/* Values from library functions are typed only at run time. */
static bool arith_types_ok(int op, int ta, int tb)
{
    if (op == X_ADD || op == X_SUB)
        return ta == tb ? (ta == V_NUM || ta == V_MONEY || ta == V_DUR ||
                           (op == X_SUB && ta == V_DATE))
                        : (ta == V_DATE && tb == V_DUR) || (op == X_ADD && ta == V_DUR && tb == V_DATE);
    if (op == X_POW)
        return ta == V_NUM && tb == V_NUM;
    if (op == X_MUL)
        return (ta == V_NUM && (tb == V_NUM || tb == V_MONEY || tb == V_DUR)) ||
               (tb == V_NUM && (ta == V_MONEY || ta == V_DUR));
    return (tb == V_NUM && (ta == V_NUM || ta == V_MONEY || ta == V_DUR)) ||
           (ta == tb && (ta == V_MONEY || ta == V_DUR));
}

#define DATE_RANGE_ERROR                                                                   \
    "the date calculation gives a date outside the years 1 to 9999; check the duration "   \
    "added to or taken from the date"

static val arith(eval_ctx *x, const expr *e, val a, val b)
{
    int64_t r;
    const char *err = NULL;
    val v;
    dec d;
    if (LW_UNLIKELY(!arith_types_ok(e->op, a.t, b.t) ||
                    (a.t == V_MONEY && b.t == V_MONEY && a.cur != b.cur))) {
        eval_error(x, e->at, "cannot compute with these values (a function returned a value of "
                             "another kind than the expression needs)");
        return err_val();
    }
    switch (e->op) {
    case X_ADD:
        if (a.t == V_NUM)
            return num_checked(x, e, num_add(x->a, &a, &b, false, &v), v);
        if (__builtin_add_overflow(a.u.i, b.u.i, &r))
            err = a.t == V_MONEY ? "money overflow: the amount is too large"
                                 : "the result is too large";
        else if ((a.t == V_DATE || b.t == V_DATE) && !date_in_range(r))
            err = DATE_RANGE_ERROR;
        else
            return with_i(a.t == V_DUR && b.t == V_DATE ? V_DATE : (vtype)a.t, r)
                       .t == V_MONEY
                       ? money(r, a.cur)
                       : with_i(a.t == V_DUR && b.t == V_DATE ? V_DATE : (vtype)a.t, r);
        break;
    case X_SUB:
        if (a.t == V_NUM)
            return num_checked(x, e, num_add(x->a, &a, &b, true, &v), v);
        if (__builtin_sub_overflow(a.u.i, b.u.i, &r))
            err = "the result is too large";
        else if (a.t == V_DATE && b.t == V_DUR && !date_in_range(r))
            err = DATE_RANGE_ERROR;
        else if (a.t == V_MONEY)
            return money(r, a.cur);
        else if (a.t == V_DATE && b.t == V_DATE)
            return with_i(V_DUR, r);
        else
            return with_i((vtype)a.t, r);
        break;
    case X_MUL:
        if (a.t == V_NUM && b.t == V_NUM)
            return num_checked(x, e, num_mul(x->a, &a, &b, &v), v);
        if (a.t == V_NUM) {
            val t = a;
            a = b;
            b = t;
        }
        if (a.t == V_MONEY) {
            /* §3: the product is rounded half away from zero to the minor unit */
            err = money_mul(a.u.i, num_get(&b), &r);
            if (!err)
                return money(money_round_step(r, MONEY_FINE), a.cur);
        } else { /* duration */
            if (dec_mul(dec_int(a.u.i), num_get(&b), &d) ||
                dec_to_int64(d, DEC_HALF_UP, &r) || r > 900000000000000 || r < -900000000000000)
                err = "the duration is too large";
            else
                return with_i(V_DUR, r);
        }
        break;
    case X_DIV:
        if (a.t == V_NUM)
            return num_result(x, e, dec_div(num_get(&a), num_get(&b), &d), d);
        if (a.t == V_MONEY && b.t == V_MONEY) {
            if (b.u.i == 0)
                err = "money divided by zero";
            else
                return ratio(x, e, a.u.i, b.u.i);
        } else if (a.t == V_MONEY) {
            err = money_div(a.u.i, num_get(&b), &r);
            if (!err)
                return money(money_round_step(r, MONEY_FINE), a.cur);
        } else if (b.t == V_DUR) {
            if (b.u.i == 0)
                err = "duration divided by zero";
            else
                return ratio(x, e, a.u.i, b.u.i);
        } else {
            if (dec_sign(num_get(&b)) == 0)
                err = "duration divided by zero";
            else if (dec_div(dec_int(a.u.i), num_get(&b), &d) ||
                     dec_to_int64(d, DEC_HALF_UP, &r) || r > 900000000000000 ||
                     r < -900000000000000)
                err = "the duration is too large";
            else
                return with_i(V_DUR, r);
        }
        break;
    case X_POW:
        return num_result(x, e, dec_pow(num_get(&a), num_get(&b), &d), d);
    }
    eval_error(x, e->at, "%s", err ? err : "arithmetic error");
    return err_val();
}

static int64_t step_of(const val *v)
{
    return v->t == V_MONEY ? v->u.i : 0;
}

static val round_fn(eval_ctx *x, const expr *e, val a, const val *step)
{
    if (a.t == V_MONEY) {
        int64_t s = step ? step_of(step) : MONEY_FINE; /* default: the minor unit */
        if (s <= 0) {
            eval_error(x, e->at, "the rounding step must be more than zero");
            return err_val();
        }
        if (e->op == X_ROUND)
            a.u.i = money_round_step(a.u.i, s);
        else if (e->op == X_FLOOR)
            a.u.i = money_floor_step(a.u.i, s);
        else
            a.u.i = money_ceil_step(a.u.i, s);
        return a;
    }
    dec r;
    const char *err = dec_round(num_get(&a), step ? num_get(step) : dec_int(1),
                                e->op == X_ROUND ? DEC_HALF_UP : e->op == X_FLOOR ? DEC_FLOOR
                                                                                  : DEC_CEIL,
                                &r);
    return num_result(x, e, err, r);
}

static bool cmp_ok(eval_ctx *x, const expr *e, val a, val b, int *out)
{
    bool ok;
    if (a.t == V_ENUM && b.t == V_ENUM && a.u.set != b.u.set) {
        int c = strcmp(a.u.set->folded[a.idx], b.u.set->folded[b.idx]);
        *out = (c > 0) - (c < 0);
        return true;
    }
    *out = val_compare(&a, &b, &ok);
    if (!ok) {
        eval_error(x, e->at, "cannot compare these values");
        return false;
    }
    return true;
}

val expr_eval(eval_ctx *x, const expr *e)
{
    switch (e->op) {
    case X_CONST:
        return e->k;
    case X_FACT: {
        val v = x->slots[e->slot];
        if (LW_LIKELY(v.t != V_MISSING))
            return v;
        const fact *f = &x->pb->facts[e->slot];
        if (f->has_default)
            return f->def;
        push_pending(x, e->slot);
        return v;
    }
    case X_AMOUNT:
        return x->amount;
    case X_OUTPUT: {
        val v = x->outputs ? x->outputs[e->slot] : vmissing();
        if (v.t == V_MISSING && v.idx == SETTLED) {
            x->n_settled++;
            v.idx = 0;
        }
        return v;
    }
    case X_POLICY: {
        /* every version of the id: the most restrictive outcome of those in
        ** force; unknown while one may still be; none when none is */
        val v = vmissing();
        bool unknown = !x->policy_out;
        for (int i = e->slot; i >= 0 && x->policy_out; i = x->pb->policies[i].next_version) {
            int o = x->policy_out[i];
            if (o >= 0 && (v.t != V_OUTCOME ||
                           x->pb->outcomes[o].rank > x->pb->outcomes[v.idx].rank)) {
                v.t = V_OUTCOME;
                v.idx = o;
            }
            unknown |= o == POLICY_OUT_UNKNOWN;
        }
        if (unknown)
            return vmissing();
        if (v.t != V_OUTCOME)
            x->n_settled++;
        return v;
    }
    case X_GOODWILL: {
        if (!x->goodwill_done)
            return vmissing();
        if (e->slot == 0)
            return x->goodwill_amount;
        if (e->slot == 1)
            return vbool(x->d->goodwill.within_authority != 0);
        val v = vmissing(); /* needs_role: null when no (other) role is needed */
        if (x->goodwill_needs_role >= 0) {
            v.t = V_ROLE;
            v.idx = x->goodwill_needs_role;
        }
        return v;
    }
    case X_STEP_RESULT:
        return x->step_results ? x->step_results[e->slot] : vmissing();
    case X_AND:
    case X_OR: {
        size_t mark = x->n_pending, settled = x->n_settled;
        bool is_and = e->op == X_AND;
        val a = expr_eval(x, e->args[0]);
        if (a.t == V_BOOL && a.u.b != is_and) {
            x->n_pending = mark;
            return a;
        }
        size_t mark_b = x->n_pending, settled_b = x->n_settled;
        val b = expr_eval(x, e->args[1]);
        if (b.t == V_BOOL && b.u.b != is_and) {
            x->n_pending = mark;
            return b;
        }
        if (a.t == V_BOOL && b.t == V_BOOL) {
            x->n_pending = mark;
            return a;
        }
        if (a.t == V_ERROR || b.t == V_ERROR)
            return err_val();
        unsigned ra = reach(e->args[0], a, mark, mark_b, settled, settled_b);
        unsigned rb = reach(e->args[1], b, mark_b, x->n_pending, settled_b, x->n_settled);
        val v = vmissing();
        v.idx = (int32_t)(is_and ? reach_and(ra, rb) : reach_not(reach_and(reach_not(ra),
                                                                           reach_not(rb))));
        return v;
    }
    case X_NOT: {
        size_t mark = x->n_pending, settled = x->n_settled;
        val a = expr_eval(x, e->args[0]);
        if (a.t == V_BOOL)
            a.u.b = !a.u.b;
        else if (a.t == V_MISSING)
            a.idx = (int32_t)reach_not(
                reach(e->args[0], a, mark, x->n_pending, settled, x->n_settled));
        return a;
    }
    case X_NEG: {
        val a = expr_eval(x, e->args[0]);
        if (a.t == V_NUM)
            return num_result(x, e, NULL, dec_neg(num_get(&a)));
        if (a.t == V_MONEY || a.t == V_DUR)
            a.u.i = -a.u.i;
        return a;
    }
    case X_EQ: case X_NE: case X_LT: case X_LE: case X_GT: case X_GE: {
        val a = expr_eval(x, e->args[0]);
        val b = expr_eval(x, e->args[1]);
        if (unknown(&a) || unknown(&b))
            return a.t == V_ERROR || b.t == V_ERROR ? err_val() : vmissing();
        int c;
        if (LW_LIKELY(a.t == V_NUM && b.t == V_NUM))
            c = num_compare(&a, &b);
        else if (!cmp_ok(x, e, a, b, &c))
            return err_val();
        switch (e->op) {
        case X_EQ: return vbool(c == 0);
        case X_NE: return vbool(c != 0);
        case X_LT: return vbool(c < 0);
        case X_LE: return vbool(c <= 0);
        case X_GT: return vbool(c > 0);
        default: return vbool(c >= 0);
        }
    }
    case X_IN_SET: {
        val a = expr_eval(x, e->args[0]);
        if (unknown(&a))
            return a;
        if (a.t == V_ENUM && e->set == a.u.set)
            return vbool(((uint64_t)e->k.u.i >> a.idx) & 1);
        for (size_t i = 1; i < e->n; i++) {
            int c;
            if (!cmp_ok(x, e, a, e->args[i]->k, &c))
                return err_val();
            if (c == 0)
                return vbool(true);
        }
        return vbool(false);
    }
    case X_IN_RANGE: {
        val a = expr_eval(x, e->args[0]);
        val lo = expr_eval(x, e->args[1]);
        val hi = expr_eval(x, e->args[2]);
        if (unknown(&a) || unknown(&lo) || unknown(&hi))
            return vmissing();
        int c1, c2;
        if (!cmp_ok(x, e, a, lo, &c1) || !cmp_ok(x, e, a, hi, &c2))
            return err_val();
        return vbool(c1 >= 0 && c2 <= 0);
    }
    case X_IN_LIST: {
        val a = expr_eval(x, e->args[0]);
        val l = expr_eval(x, e->args[1]);
        if (unknown(&a) || unknown(&l))
            return vmissing();
        const char *s = a.t == V_ENUM ? a.u.set->words[a.idx] : a.u.s;
        size_t n = a.t == V_ENUM ? strlen(s) : (size_t)a.idx;
        for (size_t i = 0; i < l.u.list->n; i++)
            if (l.u.list->lens[i] == n && memcmp(l.u.list->items[i], s, n) == 0)
                return vbool(true);
        return vbool(false);
    }
    case X_ADD: case X_SUB: case X_MUL: case X_DIV: case X_POW: {
        val a = expr_eval(x, e->args[0]);
        val b = expr_eval(x, e->args[1]);
        if (unknown(&a) || unknown(&b))
            return a.t == V_ERROR || b.t == V_ERROR ? err_val() : vmissing();
        return arith(x, e, a, b);
    }
    case X_MIN: case X_MAX: {
        val best = expr_eval(x, e->args[0]);
        if (unknown(&best))
            return best;
        for (size_t i = 1; i < e->n; i++) {
            val v = expr_eval(x, e->args[i]);
            if (unknown(&v))
                return v;
            int c;
            if (!cmp_ok(x, e, v, best, &c))
                return err_val();
            if (e->op == X_MIN ? c < 0 : c > 0)
                best = v;
        }
        return best;
    }
    case X_ROUND: case X_FLOOR: case X_CEIL: {
        val a = expr_eval(x, e->args[0]);
        if (unknown(&a))
            return a;
        if (e->n == 1)
            return round_fn(x, e, a, NULL);
        val s = expr_eval(x, e->args[1]);
        if (unknown(&s))
            return s;
        return round_fn(x, e, a, &s);
    }
    case X_HAS: {
        size_t mark = x->n_pending;
        val a = expr_eval(x, e->args[0]);
        x->n_pending = mark;
        return vbool(!unknown(&a));
    }
    case X_LUA:
    case X_LUAFN:
        return script_eval(x, e);
    case X_ISNULL: {
        size_t mark = x->n_pending;
        val a = expr_eval(x, e->args[0]);
        x->n_pending = mark;
        return vbool(unknown(&a) != e->k.u.b);
    }
    case X_COALESCE: {
        size_t mark = x->n_pending;
        for (size_t i = 0; i < e->n; i++) {
            val a = expr_eval(x, e->args[i]);
            if (!unknown(&a)) {
                x->n_pending = mark;
                return a;
            }
        }
        return vmissing();
    }
    case X_IF: {
        val c = expr_eval(x, e->args[0]);
        if (unknown(&c))
            return c;
        return expr_eval(x, e->args[c.u.b ? 1 : 2]);
    }
    case X_LOWER: {
        val a = expr_eval(x, e->args[0]);
        if (unknown(&a))
            return a;
        const char *s = a.t == V_ENUM ? a.u.set->words[a.idx] : a.u.s;
        size_t n = a.t == V_ENUM ? strlen(s) : (size_t)a.idx, nl = 0;
        char *l = text_lower(x->a, s, n, &nl);
        if (!l)
            return err_val();
        val v = vmissing();
        v.t = V_STR;
        v.u.s = l;
        v.idx = (int32_t)nl;
        return v;
    }
    case X_LEN: {
        val a = expr_eval(x, e->args[0]);
        if (unknown(&a))
            return a;
        const char *s = a.t == V_ENUM ? a.u.set->words[a.idx] : a.u.s;
        size_t n = a.t == V_ENUM ? strlen(s) : (size_t)a.idx;
        return num_int((int64_t)text_graphemes(s, n));
    }
    case X_CONTAINS: case X_STARTS: {
        val a = expr_eval(x, e->args[0]);
        val b = expr_eval(x, e->args[1]);
        if (unknown(&a) || unknown(&b))
            return vmissing();
        const char *t = b.t == V_ENUM ? b.u.set->words[b.idx] : b.u.s;
        size_t tn = b.t == V_ENUM ? strlen(t) : (size_t)b.idx;
        if (a.t == V_LIST) {
            for (size_t i = 0; i < a.u.list->n; i++)
                if (a.u.list->lens[i] == tn && memcmp(a.u.list->items[i], t, tn) == 0)
                    return vbool(true);
            return vbool(false);
        }
        const char *s = a.t == V_ENUM ? a.u.set->words[a.idx] : a.u.s;
        size_t sn = a.t == V_ENUM ? strlen(s) : (size_t)a.idx;
        if (e->op == X_STARTS)
            return vbool(tn <= sn && memcmp(s, t, tn) == 0);
        if (tn == 0)
            return vbool(true);
        for (size_t i = 0; i + tn <= sn; i++)
            if (memcmp(s + i, t, tn) == 0)
                return vbool(true);
        return vbool(false);
    }
    default:
        return vmissing();
    }
}

int xop_negate(int op)
{
    switch (op) {
    case X_EQ: return X_NE;
    case X_NE: return X_EQ;
    case X_LT: return X_GE;
    case X_LE: return X_GT;
    case X_GT: return X_LE;
    default: return X_LT; /* X_GE */
    }
}

int xop_mirror(int op)
{
    switch (op) {
    case X_LT: return X_GT;
    case X_LE: return X_GE;
    case X_GT: return X_LT;
    case X_GE: return X_LE;
    default: return op;
    }
}
