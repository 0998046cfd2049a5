/*
** test_handbook.c -- lw_handbook, the staff handbook (handbook.c): its
** arguments and error codes, and every allocation it makes refused in turn
** (test_faults.c's method, on the engine's allocator): each refusal ends in
** LW_ERR_NOMEM and "out of memory", never a partial handbook, and the next
** call on the same engine gives the whole handbook again.
*/
#include "lw_test_util.h"

static const char *const playbook =
    "playbook: hb\n"
    "version: \"3\"\n"
    "title: \"A & B\"\n"
    "currency: EUR\n"
    "locale: en\n"
    "facts:\n"
    "  request.kind: { type: enum, values: [refund, repair] }\n"
    "  order.days: { type: number, min: 0 }\n"
    "  customer.name: { type: string }\n"
    "  order.value: { type: money, min: 0, max: 500 EUR }\n"
    "roles:\n"
    "  - { id: clerk, goodwill_limit: 10 EUR }\n"
    "  - { id: lead, goodwill_limit: 50 EUR, may_override: [late] }\n"
    "policies:\n"
    "  - id: late\n"
    "    applies: request.kind == refund and order.days > 30\n"
    "    outcome: deny\n"
    "    reason: { en: \"Too late, {customer.name}.\", fi: \"Liian myöhään.\" }\n"
    "    exceptions:\n"
    "      - { id: kind, when: order.days < 40, outcome: allow, discretionary: true }\n"
    "goodwill:\n"
    "  - id: base\n"
    "    table:\n"
    "      hit: first\n"
    "      inputs: [request.kind, order.days]\n"
    "      output: amount\n"
    "      rows:\n"
    "        - { id: quick, row: [refund, \"< 10\", 5 EUR] }\n"
    "        - [\"-\", \"-\", 0 EUR]\n";

static void test_handbook_arguments(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(playbook);
    lw_engine *e = lw_engine_new(NULL);
    const char *text = "untouched";
    size_t len = 0;
    assert_int_equal(lw_handbook(NULL, pb, "html", NULL, &text, &len), LW_ERR_ARG);
    assert_int_equal(lw_handbook(e, NULL, "html", NULL, &text, &len), LW_ERR_ARG);
    assert_int_equal(lw_handbook(e, pb, "html", NULL, NULL, &len), LW_ERR_ARG);
    assert_string_equal(text, "untouched");
    assert_int_equal(lw_handbook(e, pb, "pdf", NULL, &text, &len), LW_ERR_ARG);
    assert_string_equal(text, "unknown format 'pdf'; use html or md");
    assert_int_equal(lw_handbook(e, pb, "md", "sv", &text, &len), LW_ERR_NOTFOUND);
    assert_string_equal(text, "the playbook has no texts in 'sv'; it has texts in en and fi");
    /* NULL format is html; NULL lang the locale; len is the text's length */
    assert_int_equal(lw_handbook(e, pb, NULL, NULL, &text, &len), LW_OK);
    assert_int_equal(len, strlen(text));
    char *html = strdup(text);
    assert_int_equal(lw_handbook(e, pb, "html", "en", &text, NULL), LW_OK);
    assert_string_equal(text, html);
    assert_non_null(strstr(html, "<h1>A &amp; B: staff handbook</h1>"));
    assert_non_null(strstr(html, "Too late, <var class=\"ph\" title=\"filled in from the case\">"
                                 "{customer.name}</var>."));
    assert_non_null(strstr(html, "<code>quick</code>"));
    free(html);
    assert_int_equal(lw_handbook(e, pb, "md", "fi", &text, &len), LW_OK);
    assert_non_null(strstr(text, "Liian myöhään."));
    assert_non_null(strstr(text, "0.00 EUR to 500.00 EUR")); /* a money fact's min/max */
    assert_null(strstr(text, "Too late"));
    lw_engine_free(e);
    lw_playbook_free(pb);
}

/* An allocator that refuses the fail_at-th growth (1-based; 0: never). */
typedef struct refuser {
    long n, fail_at;
} refuser;

static void *refusing_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    refuser *r = ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    if (nsize > osize && ++r->n == r->fail_at)
        return NULL;
    return realloc(ptr, nsize);
}

static void test_handbook_out_of_memory(void **state)
{
    (void)state;
    lw_playbook *pb = tu_load(playbook);
    static const char *const formats[] = {"html", "md"};
    for (int f = 0; f < 2; f++) {
        refuser r = {0, 0};
        lw_options opt;
        lw_options_init(&opt);
        opt.alloc = refusing_alloc;
        opt.alloc_ud = &r;
        lw_engine *e = lw_engine_new(&opt);
        assert_non_null(e);
        long at_start = r.n;
        const char *text;
        size_t len;
        assert_int_equal(lw_handbook(e, pb, formats[f], NULL, &text, &len), LW_OK);
        char *whole = strdup(text);
        long points = r.n - at_start;
        lw_engine_free(e);
        assert_true(points > 0);
        for (long k = 1; k <= points; k++) {
            refuser q = {0, 0};
            opt.alloc_ud = &q;
            e = lw_engine_new(&opt);
            assert_non_null(e);
            long before = q.n;
            q.fail_at = before + k;
            assert_int_equal(lw_handbook(e, pb, formats[f], NULL, &text, &len), LW_ERR_NOMEM);
            assert_string_equal(text, "out of memory");
            assert_int_equal(lw_handbook(e, pb, formats[f], NULL, &text, &len), LW_OK);
            assert_string_equal(text, whole);
            lw_engine_free(e);
        }
        print_message("    %s: %ld allocation points refused in turn\n", formats[f], points);
        free(whole);
    }
    lw_playbook_free(pb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handbook_arguments),
        cmocka_unit_test(test_handbook_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
