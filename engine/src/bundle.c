/*
** bundle.c -- the files a playbook was built from, and the digest that names
** them all.
**
** A playbook is a bundle: its own file, every rule set it imports (and those
** import), and every functions: library. The loader records each file when it
** reads it; the bundle's digest is then computed once, so a decision's
** `digest` proves which bytes of which files made it.
**
** The digest is SHA-256 over one line per source, in the order the loader
** first read them (the playbook; its imports depth first, in the order
** listed; then the functions: libraries in the order listed):
**
**     <sha256 of the file's bytes, 64 hex digits>  <path>\n
**
** where <path> is relative to the playbook's folder -- or, for a file found
** in a rule-set folder (LEEWAY_RULES_PATH, the installed rule sets),
** "<rules>/" and the path as the playbook wrote it, so the digest does not
** depend on where rule sets are installed. That is what `sha256sum` prints,
** so anyone can check a digest without leeway:
** `cd examples/airline && sha256sum playbook.yaml ../../rules/eu261.yaml | sha256sum`.
*/
#define _DEFAULT_SOURCE /* realpath */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

/* The path of `real` relative to the folder `dir` (both absolute, without
** "." or ".." segments): "../../rules/eu261.yaml". */
static const char *relative_to(arena *a, const char *dir, const char *real)
{
    if (strcmp(dir, "/") == 0)
        return arena_strdup(a, real + 1);
    size_t common = 0; /* length of the shared leading folders */
    for (size_t i = 0;; i++) {
        bool dir_end = dir[i] == 0 || dir[i] == '/';
        bool real_end = real[i] == 0 || real[i] == '/';
        if (dir_end && real_end)
            common = i;
        if (dir[i] == 0 || real[i] == 0 || dir[i] != real[i])
            break;
    }
    if (dir[common] == 0 && real[common] == 0)
        return arena_strdup(a, ".");
    size_t ups = 0;
    for (const char *p = dir + common; *p; p++)
        if (*p == '/')
            ups++;
    const char *rest = real + common + (real[common] == '/');
    strbuf b;
    lw_mem m = a->mem;
    buf_init(&b, &m);
    for (size_t i = 0; i < ups; i++)
        buf_put(&b, "../", 3);
    buf_puts(&b, rest);
    char *out = b.failed || !b.p ? NULL : arena_strndup(a, b.p, b.len);
    buf_free(&b);
    return out;
}

bool bundle_add(compiler *c, const char *path, const char *in_rules, const char *text,
                size_t len)
{
    lw_playbook *pb = c->pb;
    const char *rel;
    if (in_rules) {
        /* named as written, whatever folder the rule sets are installed in */
        rel = arena_printf(c->a, "<rules>/%s", in_rules);
    } else if (pb->n_sources == 0) {
        const char *slash = strrchr(path, '/');
        rel = arena_strdup(c->a, slash ? slash + 1 : path);
    } else {
        char *real = realpath(path, NULL);
        rel = real && c->root_dir ? relative_to(c->a, c->root_dir, real) : arena_strdup(c->a, path);
        free(real);
    }
    if (!rel)
        return false;
    for (size_t i = 0; i < pb->n_sources; i++)
        if (strcmp(pb->sources[i].path, rel) == 0)
            return true; /* imported twice (a diamond): one source */
    if (pb->n_sources == c->cap_sources) {
        size_t cap = c->cap_sources ? c->cap_sources * 2 : 8;
        lw_source *s = arena_alloc(c->a, cap * sizeof *s);
        if (!s)
            return false;
        if (pb->n_sources)
            memcpy(s, pb->sources, pb->n_sources * sizeof *s);
        pb->sources = s;
        c->cap_sources = cap;
    }
    char hex[65];
    sha256_hex(text, len, hex);
    lw_source *s = &pb->sources[pb->n_sources];
    s->path = rel;
    s->digest = arena_printf(c->a, "sha256:%s", hex);
    if (!s->digest)
        return false;
    pb->n_sources++;
    return true;
}

bool bundle_finish(compiler *c)
{
    lw_playbook *pb = c->pb;
    strbuf b;
    buf_init(&b, &pb->mem);
    for (size_t i = 0; i < pb->n_sources; i++) {
        buf_puts(&b, pb->sources[i].digest + 7); /* the hex after "sha256:" */
        buf_put(&b, "  ", 2);
        buf_puts(&b, pb->sources[i].path);
        buf_putc(&b, '\n');
    }
    char hex[65];
    bool ok = !b.failed;
    if (ok) {
        sha256_hex(b.p ? b.p : "", b.len, hex);
        pb->digest = arena_printf(c->a, "sha256:%s", hex);
        ok = pb->digest != NULL;
    }
    buf_free(&b);
    return ok;
}

/* ======================================================================
** Public API
*/
size_t lw_playbook_source_count(const lw_playbook *pb)
{
    return pb ? pb->n_sources : 0;
}

const char *lw_playbook_source_path(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_sources ? pb->sources[i].path : NULL;
}

const char *lw_playbook_source_digest(const lw_playbook *pb, size_t i)
{
    return pb && i < pb->n_sources ? pb->sources[i].digest : NULL;
}
