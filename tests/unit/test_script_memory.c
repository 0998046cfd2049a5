/*
** test_script_memory.c -- the Lua engine hands the allocator the true size:
** every block a playbook with scripts takes (the engine's own arrays and
** what Lua takes through it) is freed or resized with the size it was
** allocated with, as allocators that rely on osize need (lw_alloc_fn).
*/
#include "lw_test_util.h"

/* A checking allocator: remembers the size of each live block and counts
** calls whose osize is not that size. */
typedef struct sized {
    void **ptr;
    size_t *size;
    size_t n, cap;
    size_t wrong;    /* frees and resizes with a wrong osize */
    char first[160]; /* the first of them */
} sized;

static size_t find_block(const sized *z, const void *p)
{
    for (size_t i = z->n; i-- > 0;)
        if (z->ptr[i] == p)
            return i;
    return SIZE_MAX;
}

static void *checking_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sized *z = ud;
    size_t i = ptr ? find_block(z, ptr) : SIZE_MAX;
    if (ptr && (i == SIZE_MAX || z->size[i] != osize)) {
        if (z->wrong++ == 0)
            snprintf(z->first, sizeof z->first, "a block of %zu bytes %s with osize %zu",
                     i == SIZE_MAX ? (size_t)0 : z->size[i], nsize ? "resized" : "freed", osize);
    }
    if (nsize == 0) {
        free(ptr);
        if (i != SIZE_MAX) {
            z->ptr[i] = z->ptr[z->n - 1];
            z->size[i] = z->size[z->n - 1];
            z->n--;
        }
        return NULL;
    }
    void *q = realloc(ptr, nsize);
    if (!q)
        return NULL;
    if (i == SIZE_MAX) {
        if (z->n == z->cap) {
            z->cap = z->cap ? z->cap * 2 : 1024;
            z->ptr = realloc(z->ptr, z->cap * sizeof *z->ptr);
            z->size = realloc(z->size, z->cap * sizeof *z->size);
            assert_non_null(z->ptr);
            assert_non_null(z->size);
        }
        i = z->n++;
    }
    z->ptr[i] = q;
    z->size[i] = nsize;
    return q;
}

static const char *const SCRIPTS_PB =
    "playbook: sized\n"
    "version: \"1\"\n"
    "currency: EUR\n"
    "facts:\n"
    "  n: { type: number, default: 2 }\n"
    "policies:\n"
    "  - id: big\n"
    "    applies: { lua: 'return case.n > 1' }\n"
    "    outcome: deny\n"
    "outputs:\n"
    "  word: { type: string, lua: 'return (\"ab\"):rep(3):gsub(\"b\", \"c\")' }\n";

/* Load, decide twice (the second reuses the loaded scripts), load a second
** playbook into the same engine (the engine's arrays are replaced), free. */
static void test_every_block_freed_with_its_size(void **state)
{
    (void)state;
    sized z;
    memset(&z, 0, sizeof z);
    lw_options opt;
    lw_options_init(&opt);
    opt.alloc = checking_alloc;
    opt.alloc_ud = &z;
    lw_playbook *pb = tu_load_opt(SCRIPTS_PB, &opt);
    lw_playbook *pb2 = tu_load_opt(SCRIPTS_PB, &opt);
    lw_engine *e = lw_engine_new(&opt);
    assert_non_null(e);
    for (int round = 0; round < 3; round++) {
        lw_playbook *p = round == 1 ? pb2 : pb;
        lw_case *c = lw_case_new(p);
        assert_non_null(c);
        const lw_decision *d = NULL;
        assert_int_equal(lw_decide(e, p, c, NULL, &d), LW_OK);
        assert_string_equal(d->outcome, "deny");
        lw_case_free(c);
    }
    lw_engine_free(e);
    lw_playbook_free(pb2);
    lw_playbook_free(pb);
    free(z.ptr);
    free(z.size);
    if (z.wrong)
        print_message("%zu wrong osize(s); the first: %s\n", z.wrong, z.first);
    assert_int_equal(z.wrong, 0);
    assert_int_equal(z.n, 0); /* nothing left */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_block_freed_with_its_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
