/*
** test.c -- `leeway test PATH...`: run the tests inside playbooks and in
** *.test.yaml files, found by walking directories. Last line: N passed, N failed.
*/
#include "cli.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct run {
    lw_engine *e;
    bool verbose, color;
    int passed, failed, uncovered;
} run;

static void on_result(void *ud, const lw_test_result *r)
{
    run *R = ud;
    if (r->passed) {
        if (R->verbose)
            printf("%sok%s    %s:%d: %s\n", R->color ? "\033[32m" : "", R->color ? "\033[0m" : "",
                   r->file, r->line, r->name);
        return;
    }
    printf("%sFAIL%s  %s:%d: %s\n      %s\n", R->color ? "\033[31m" : "",
           R->color ? "\033[0m" : "", r->file, r->line, r->name, r->failure);
}

static void on_uncovered(void *ud, const char *file, const char *rule)
{
    run *R = ud;
    R->uncovered++;
    printf("not covered  %s: %s\n", file, rule);
}

static bool is_yaml(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
           (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_path(run *R, const char *path, bool explicit_file, bool coverage);

static void test_dir(run *R, const char *dir, bool coverage)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "leeway test: cannot open %s\n", dir);
        R->failed++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL) {
        if (ent->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **q = realloc(names, cap * sizeof *names);
            if (!q)
                break;
            names = q;
        }
        size_t len = strlen(dir) + strlen(ent->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            break;
        snprintf(names[n++], len, "%s/%s", dir, ent->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        test_path(R, names[i], false, coverage);
        free(names[i]);
    }
    free(names);
}

static void test_path(run *R, const char *path, bool explicit_file, bool coverage)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "leeway test: %s: no such file or directory\n", path);
        R->failed++;
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        test_dir(R, path, coverage);
        return;
    }
    if (!explicit_file && !is_yaml(path))
        return;
    lw_report *rep = NULL;
    int rc = lw_test_file(R->e, path, NULL, on_result, coverage ? on_uncovered : NULL, R,
                          &R->passed, &R->failed, &rep);
    if (rc == LW_ERR_NOTFOUND) {
        if (explicit_file)
            fprintf(stderr, "leeway test: %s has no tests:\n", path);
    } else if (rc != LW_OK) {
        print_report(rep);
        fprintf(stderr, "leeway test: %s: the playbook could not be loaded; its tests count as "
                        "one failure\n",
                path);
        R->failed++;
    }
    lw_report_free(rep);
}

int cmd_test(int argc, char **argv)
{
    run R = {0};
    R.color = use_color(stdout);
    bool coverage = false;
    int npaths = 0;
    lw_options eopt;
    lw_options_init(&eopt);
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    if (!paths)
        return EXIT_USAGE;
    for (int i = 0; i < argc; i++) {
        int b = parse_budget_flag(argc, argv, &i, &eopt);
        if (b < 0) {
            free(paths);
            return EXIT_USAGE;
        }
        if (b > 0)
            continue;
        if (strcmp(argv[i], "--coverage") == 0)
            coverage = true;
        else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0)
            R.verbose = true;
        else if (argv[i][0] == '-') {
            fprintf(stderr, "leeway test: unknown option '%s'\n", argv[i]);
            free(paths);
            return EXIT_USAGE;
        } else
            paths[npaths++] = argv[i];
    }
    if (npaths == 0) {
        fputs("usage: leeway test [--coverage] [-v] " BUDGET_USAGE " PATH...\n", stderr);
        free(paths);
        return EXIT_USAGE;
    }
    R.e = lw_engine_new(&eopt);
    if (!R.e) {
        fputs("leeway test: out of memory\n", stderr);
        free(paths);
        return EXIT_USAGE;
    }
    for (int i = 0; i < npaths; i++)
        test_path(&R, paths[i], true, coverage);
    free(paths);
    lw_engine_free(R.e);
    if (coverage)
        printf("%d rule%s or row%s not covered by any test\n", R.uncovered,
               R.uncovered == 1 ? "" : "s", R.uncovered == 1 ? "" : "s");
    printf("%d passed, %d failed\n", R.passed, R.failed);
    return R.failed ? EXIT_FAILED : EXIT_DONE;
}
