/*
** yaml_load.c -- YAML text to a node tree that remembers file:line:column.
**
** Built on libyaml's event API. Guards against hostile input: nesting depth,
** scalar size, file size, and the number of nodes after alias expansion (an
** alias is shared, not copied, but counted as if copied, so a "billion laughs"
** file fails at once). Duplicate keys are errors.
*/
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

void yaml_limits_from(yaml_limits *l, const lw_options *opt)
{
    lw_options d;
    lw_options_init(&d);
    if (!opt)
        opt = &d;
    l->max_depth = opt->max_depth > 0 ? opt->max_depth : d.max_depth;
    l->max_scalar = opt->max_scalar ? opt->max_scalar : d.max_scalar;
    l->max_file = opt->max_file ? opt->max_file : d.max_file;
    l->max_nodes = opt->max_nodes ? opt->max_nodes : d.max_nodes;
}

char *file_read(arena *a, const char *path, size_t max, size_t *len, const char **err)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        *err = arena_printf(a, "%s is a directory, not a file", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        *err = arena_printf(a, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *p = NULL;
    for (;;) {
        if (!p || n == cap) {
            if (p)
                cap *= 2;
            char *q = arena_alloc(a, cap + 1);
            if (!q) {
                fclose(f);
                *err = NULL;
                return NULL;
            }
            if (p)
                memcpy(q, p, n);
            p = q;
        }
        size_t k = fread(p + n, 1, cap - n, f);
        n += k;
        if (n > max) {
            fclose(f);
            *err = arena_printf(a, "%s: the file is larger than the limit of %zu bytes", path,
                                max);
            return NULL;
        }
        if (k == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        *err = arena_printf(a, "%s: read error", path);
        return NULL;
    }
    p[n] = 0;
    *len = n;
    return p;
}

typedef struct anchor {
    node *n;
    size_t count;            /* nodes in its subtree, aliases expanded */
} anchor;

typedef struct frame {
    node *n;
    size_t cap;
    size_t count_at_start;
    const char *anchor;
} frame;

typedef struct loader {
    arena *a;
    arena tmp;               /* what only loading needs: the tables below */
    strtab keys;             /* the keys of large mappings (owner: the mapping) */
    strtab anchors;          /* anchor name -> anchor, the latest definition */
    lw_report *r;
    const char *file;
    const char *text;
    size_t len;
    const yaml_limits *lim;
    size_t nodes;
    frame *stack;
    int depth;
} loader;

static pos mark_pos(loader *L, yaml_mark_t m)
{
    pos p = {L->file, (int)m.line + 1, (int)m.column + 1};
    return p;
}

static pos offset_pos(loader *L, size_t off)
{
    pos p = {L->file, 1, 1};
    for (size_t i = 0; i < off && i < L->len; i++) {
        if (L->text[i] == '\n') {
            p.line++;
            p.col = 1;
        } else if (((unsigned char)L->text[i] & 0xC0) != 0x80) {
            p.col++;
        }
    }
    return p;
}

/* Where a quoted scalar spells a NUL character (\0, \x00, \u0000 or
** \U00000000), looking from its first character; its start if not found. */
static pos nul_escape_pos(loader *L, yaml_mark_t start, yaml_mark_t end)
{
    static const char *const spellings[] = {"0", "x00", "u0000", "U00000000"};
    for (size_t i = start.index; i < end.index && i + 1 < L->len; i++) {
        if (L->text[i] != '\\')
            continue;
        for (int k = 0; k < 4; k++) {
            size_t n = strlen(spellings[k]);
            if (i + 1 + n <= L->len && memcmp(L->text + i + 1, spellings[k], n) == 0)
                return offset_pos(L, i);
        }
        i++;
    }
    return mark_pos(L, start);
}

static bool add_child(loader *L, frame *f, node *child)
{
    node *p = f->n;
    size_t have = p->n;
    if (have + 1 > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        node **items = arena_alloc(L->a, cap * sizeof *items);
        if (!items)
            return false;
        if (have)
            memcpy(items, p->items, have * sizeof *items);
        p->items = items;
        f->cap = cap;
    }
    p->items[have] = child;
    p->n++;
    return true;
}

/* A mapping's keys are compared one by one while it has at most MAP_SCAN of
** them, and through L->keys once it has more (so a mapping of n keys costs
** O(n), and the table holds only the keys of large mappings). */
#define MAP_SCAN 8

/* The key of m that is the same as k, or NULL (after adding k to L->keys
** when m is large; L->tmp.failed if that ran out of memory). */
static const node *key_before(loader *L, const node *m, node *k)
{
    if (m->n < MAP_SCAN) {
        for (size_t i = 0; i < m->n; i++) {
            const node *o = MAP_KEY(m, i);
            if (o->len == k->len && memcmp(o->str, k->str, k->len) == 0)
                return o;
        }
        return NULL;
    }
    if (m->n == MAP_SCAN)
        for (size_t i = 0; i < m->n; i++)
            if (strtab_add(&L->keys, m, MAP_KEY(m, i)->str, MAP_KEY(m, i)->len, MAP_KEY(m, i),
                           NULL) < 0)
                return NULL;
    void *first = NULL;
    strtab_add(&L->keys, m, k->str, k->len, k, &first);
    return first;
}

/* Maps store keys and values interleaved; *is_key_slot says which comes next. */
static bool map_add(loader *L, frame *f, node *child, bool *is_key_slot)
{
    node *m = f->n;
    size_t used = 2 * m->n + (*is_key_slot ? 0 : 1);
    if (used + 1 > f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        node **items = arena_alloc(L->a, cap * sizeof *items);
        if (!items)
            return false;
        if (used)
            memcpy(items, m->items, used * sizeof *items);
        m->items = items;
        f->cap = cap;
    }
    m->items[used] = child;
    if (*is_key_slot) {
        if (child->kind != N_SCALAR) {
            report_add(L->r, LW_ERROR, child->at, NULL,
                       "a mapping key must be a plain word, not a %s", node_kind_name(child));
            return false;
        }
        const node *first = key_before(L, m, child);
        if (L->tmp.failed)
            return false;
        if (first) {
            report_add(L->r, LW_ERROR, child->at, NULL,
                       "duplicate key '%s' (first written at line %d): a key may appear "
                       "only once in a mapping; remove or rename one of them",
                       child->str, first->at.line);
            return false;
        }
        *is_key_slot = false;
    } else {
        m->n++;
        *is_key_slot = true;
    }
    return true;
}

/* &name on node n of count nodes; a later definition of a name replaces the
** earlier one for the aliases after it. False if out of memory. */
static bool define_anchor(loader *L, const char *name, node *n, size_t count)
{
    anchor *an = arena_alloc(&L->tmp, sizeof *an);
    void *old;
    int added = name && an ? strtab_add(&L->anchors, NULL, name, strlen(name), an, &old) : -1;
    if (added < 0)
        return false;
    if (added == 0)
        an = old;
    an->n = n;
    an->count = count;
    return true;
}

const char *node_kind_name(const node *n)
{
    if (!n)
        return "nothing";
    return n->kind == N_MAP ? "mapping" : n->kind == N_SEQ ? "list" : "single value";
}

node *yaml_load(arena *a, lw_report *r, const char *file, const char *text, size_t len,
                const yaml_limits *lim)
{
    loader L = {.a = a, .r = r, .file = file, .text = text, .len = len, .lim = lim};
    pos start = {file, 1, 1};
    if (len > lim->max_file) {
        report_add(r, LW_ERROR, start, NULL,
                   "the file is %zu bytes, more than the limit of %zu bytes", len,
                   lim->max_file);
        return NULL;
    }
    size_t bad;
    if (!text_valid_utf8(text, len, &bad)) {
        if (text[bad] == 0)
            report_add(r, LW_ERROR, offset_pos(&L, bad), NULL,
                       "a NUL byte (0x00): YAML does not allow it; remove it (is this a text "
                       "file?)");
        else
            report_add(r, LW_ERROR, offset_pos(&L, bad), NULL,
                       "the file is not valid UTF-8 (byte 0x%02X); save it as UTF-8",
                       (unsigned char)text[bad]);
        return NULL;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        report_add(r, LW_ERROR, start, NULL, "out of memory");
        return NULL;
    }
    arena_init(&L.tmp, &a->mem);
    strtab_init(&L.keys, &L.tmp);
    strtab_init(&L.anchors, &L.tmp);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);

    frame *stack = arena_alloc(a, (size_t)(lim->max_depth + 2) * sizeof *stack);
    bool *keyslot = arena_alloc(a, (size_t)(lim->max_depth + 2) * sizeof *keyslot);
    node *root = NULL;
    bool ok = stack && keyslot, done = false;
    int docs = 0;

    while (ok && !done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            pos p = parser.problem_mark.line || parser.problem_mark.column
                        ? mark_pos(&L, parser.problem_mark)
                        : offset_pos(&L, parser.problem_offset);
            const char *problem = parser.problem ? parser.problem : "unknown problem";
            const char *context = parser.context ? parser.context : "";
            size_t off = parser.problem_mark.index;
            if (strstr(context, "quoted scalar") && strstr(problem, "end of stream")) {
                report_add(r, LW_ERROR, mark_pos(&L, parser.context_mark), NULL,
                           "the quoted text starting here is never closed: add the closing "
                           "quote");
            } else if (off < len && text[off] == '\t') {
                report_add(r, LW_ERROR, p, NULL,
                           "a tab character: YAML does not allow tabs for indentation; indent "
                           "with spaces");
            } else if (strstr(problem, "did not find expected key") ||
                       strstr(problem, "did not find expected '-' indicator") ||
                       strstr(problem, "mapping values are not allowed")) {
                report_add(r, LW_ERROR, p, NULL,
                           "YAML syntax error: %s%s%s; check the indentation here (keys of one "
                           "mapping must line up, and a value with ': ' in it needs quotes)",
                           problem, *context ? " " : "", context);
            } else {
                report_add(r, LW_ERROR, p, NULL, "YAML syntax error: %s%s%s", problem,
                           *context ? " " : "", context);
            }
            ok = false;
            break;
        }
        node *made = NULL;
        pos at = mark_pos(&L, ev.start_mark);
        const char *anchor_name = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1) {
                report_add(r, LW_ERROR, at, NULL,
                           "only one YAML document per file: remove the second '---'");
                ok = false;
            }
            break;
        case YAML_SCALAR_EVENT: {
            if (ev.data.scalar.length > lim->max_scalar) {
                report_add(r, LW_ERROR, at, NULL,
                           "a value of %zu bytes is longer than the limit of %zu bytes",
                           ev.data.scalar.length, lim->max_scalar);
                ok = false;
                break;
            }
            if (memchr(ev.data.scalar.value, 0, ev.data.scalar.length)) {
                report_add(r, LW_ERROR, nul_escape_pos(&L, ev.start_mark, ev.end_mark), NULL,
                           "a NUL character (written \\0, \\x00 or \\u0000) cannot be part of "
                           "a key or a value; remove it");
                ok = false;
                break;
            }
            made = arena_alloc(a, sizeof *made);
            if (!made) {
                ok = false;
                break;
            }
            made->kind = N_SCALAR;
            made->at = at;
            made->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            made->block = ev.data.scalar.style == YAML_LITERAL_SCALAR_STYLE ||
                          ev.data.scalar.style == YAML_FOLDED_SCALAR_STYLE;
            made->str = arena_strndup(a, (const char *)ev.data.scalar.value,
                                      ev.data.scalar.length);
            made->len = ev.data.scalar.length;
            if (!made->str) {
                ok = false; /* out of memory (a->failed is set) */
                break;
            }
            anchor_name = (const char *)ev.data.scalar.anchor;
            if (++L.nodes > lim->max_nodes)
                goto too_many;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            if (L.depth >= lim->max_depth) {
                report_add(r, LW_ERROR, at, NULL,
                           "nesting is deeper than the limit of %d levels; flatten the "
                           "structure",
                           lim->max_depth);
                ok = false;
                break;
            }
            node *n = arena_alloc(a, sizeof *n);
            if (!n) {
                ok = false;
                break;
            }
            n->kind = ev.type == YAML_SEQUENCE_START_EVENT ? N_SEQ : N_MAP;
            n->at = at;
            if (++L.nodes > lim->max_nodes)
                goto too_many;
            frame *f = &stack[L.depth++];
            f->n = n;
            f->cap = 0;
            f->count_at_start = L.nodes;
            f->anchor = ev.type == YAML_SEQUENCE_START_EVENT
                            ? (const char *)ev.data.sequence_start.anchor
                            : (const char *)ev.data.mapping_start.anchor;
            if (f->anchor && !(f->anchor = arena_strdup(&L.tmp, f->anchor)))
                ok = false;
            keyslot[L.depth - 1] = true;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT: {
            frame *f = &stack[--L.depth];
            made = f->n;
            if (f->anchor && !define_anchor(&L, f->anchor, made,
                                            L.nodes - f->count_at_start + 1))
                ok = false;
            break;
        }
        case YAML_ALIAS_EVENT: {
            const char *name = (const char *)ev.data.alias.anchor;
            anchor *an = strtab_get(&L.anchors, NULL, name, strlen(name));
            if (!an) {
                report_add(r, LW_ERROR, at, NULL, "alias '*%s' names no anchor '&%s' before it",
                           name, name);
                ok = false;
                break;
            }
            made = an->n;
            if (L.nodes + an->count > lim->max_nodes)
                goto too_many;
            L.nodes += an->count;
            break;
        }
        default:
            break;
        }
        if (ok && made && ev.type == YAML_SCALAR_EVENT && anchor_name) {
            const char *name = arena_strdup(&L.tmp, anchor_name);
            if (!name || !define_anchor(&L, name, made, 1))
                ok = false;
        }
        if (ok && made) {
            if (L.depth == 0) {
                root = made;
            } else {
                frame *f = &stack[L.depth - 1];
                if (f->n->kind == N_MAP)
                    ok = map_add(&L, f, made, &keyslot[L.depth - 1]);
                else
                    ok = add_child(&L, f, made);
            }
        }
        yaml_event_delete(&ev);
        continue;
    too_many:
        report_add(r, LW_ERROR, at, NULL,
                   "the document expands to more than %zu nodes (through aliases '*' or sheer "
                   "size); this looks like an alias bomb - write the values out instead",
                   lim->max_nodes);
        yaml_event_delete(&ev);
        ok = false;
    }
    yaml_parser_delete(&parser);
    if (L.tmp.failed)
        a->failed = true; /* so the caller sees that memory ran out */
    arena_free(&L.tmp);
    if (!ok)
        return NULL;
    if (!root || (root->kind == N_SCALAR && root->plain && root->len == 0)) {
        root = arena_alloc(a, sizeof *root);
        if (!root)
            return NULL;
        root->kind = N_MAP;
        root->at = start;
    }
    return root;
}

node *map_get(const node *m, const char *key)
{
    if (!m || m->kind != N_MAP)
        return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(MAP_KEY(m, i)->str, key) == 0)
            return MAP_VAL(m, i);
    return NULL;
}

bool scalar_is(const node *n, const char *s)
{
    return n && n->kind == N_SCALAR && strcmp(n->str, s) == 0;
}

bool scalar_is_null(const node *n)
{
    return n && n->kind == N_SCALAR && n->plain &&
           (n->len == 0 || strcmp(n->str, "null") == 0 || strcmp(n->str, "~") == 0);
}
