/*
** decide.c -- `leeway decide PLAYBOOK [CASE|-]`: one decision as JSON or as a
** readable summary.
*/
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Standard input, up to one byte more than max: a case over the limit is
** refused by the library, with a message naming the limit. NULL when out of
** memory or on a read error. */
static char *read_stdin(size_t max, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *p = malloc(cap + 1);
    if (!p)
        return NULL;
    size_t k;
    while (n <= max && (k = fread(p + n, 1, cap - n, stdin)) > 0) {
        n += k;
        if (n == cap && n <= max) {
            cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *q = realloc(p, cap + 1);
            if (!q) {
                free(p);
                return NULL;
            }
            p = q;
        }
    }
    if (ferror(stdin)) {
        free(p);
        return NULL;
    }
    p[n] = 0;
    *len = n;
    return p;
}

static int read_case(lw_case *c, const char *path)
{
    const char *msg = NULL;
    int rc;
    if (strcmp(path, "-") == 0) {
        size_t len;
        lw_options d;
        lw_options_init(&d); /* the playbook is loaded with the default limits */
        char *text = read_stdin(d.max_file, &len);
        if (!text) {
            fputs("leeway decide: cannot read the case from stdin\n", stderr);
            return EXIT_USAGE;
        }
        size_t i = 0;
        while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t'))
            i++;
        if (i < len && text[i] != '{') {
            free(text);
            fputs("leeway decide: a case on stdin must be JSON (an object {...}); give YAML "
                  "cases as a file\n",
                  stderr);
            return EXIT_USAGE;
        }
        rc = lw_case_read_json(c, "<stdin>", text, len, &msg);
        free(text);
    } else {
        rc = lw_case_read_file(c, path, &msg);
    }
    if (msg) {
        fprintf(stderr, "%s\n", msg);
        return EXIT_USAGE;
    }
    (void)rc; /* problems with values make the decision `invalid`: not an error here */
    return EXIT_DONE;
}

int cmd_decide(int argc, char **argv)
{
    const char *pb_path = NULL, *case_path = NULL, *role = NULL, *format = "json";
    const char *log_path = NULL;
    int trace = 0, compact = 0;
    const char **sets = calloc((size_t)argc + 1, sizeof *sets);
    size_t n_sets = 0;
    if (!sets)
        return EXIT_USAGE;
    lw_options eopt;
    lw_options_init(&eopt);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int b = parse_budget_flag(argc, argv, &i, &eopt);
        if (b < 0) {
            free(sets);
            return EXIT_USAGE;
        }
        if (b > 0)
            continue;
        if (strcmp(a, "--role") == 0 && i + 1 < argc) {
            role = argv[++i];
        } else if (strcmp(a, "--trace") == 0) {
            trace = 1;
        } else if (strcmp(a, "--compact") == 0) {
            compact = 1;
        } else if (strcmp(a, "--format") == 0 && i + 1 < argc) {
            format = argv[++i];
        } else if (strcmp(a, "--log") == 0 && i + 1 < argc) {
            log_path = argv[++i];
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            sets[n_sets++] = argv[++i];
        } else if (a[0] == '-' && a[1] != 0) {
            fprintf(stderr, "leeway decide: unknown option '%s' (or it needs a value)\n", a);
            free(sets);
            return EXIT_USAGE;
        } else if (!pb_path) {
            pb_path = a;
        } else if (!case_path) {
            case_path = a;
        } else {
            fprintf(stderr, "leeway decide: too many arguments ('%s')\n", a);
            free(sets);
            return EXIT_USAGE;
        }
    }
    if (!pb_path || (strcmp(format, "json") != 0 && strcmp(format, "text") != 0)) {
        fputs("usage: leeway decide PLAYBOOK [CASE|-] [--role ROLE] [--trace] "
              "[--format json|text] [--compact] [--set path=value ...] [--log FILE]\n",
              stderr);
        free(sets);
        return EXIT_USAGE;
    }
    lw_playbook *pb = load_playbook(pb_path);
    if (!pb) {
        free(sets);
        return EXIT_USAGE;
    }
    int status = EXIT_DONE;
    lw_engine *e = lw_engine_new(&eopt);
    lw_case *c = lw_case_new(pb);
    if (!e || !c) {
        fputs("leeway decide: out of memory\n", stderr);
        status = EXIT_USAGE;
        goto out;
    }
    if (case_path && (status = read_case(c, case_path)) != EXIT_DONE)
        goto out;
    for (size_t i = 0; i < n_sets; i++) {
        char *eq = strchr(sets[i], '=');
        if (!eq) {
            fprintf(stderr, "leeway decide: --set takes path=value, like --set customer.age=82 "
                            "(got '%s')\n",
                    sets[i]);
            status = EXIT_USAGE;
            goto out;
        }
        *eq = 0;
        lw_case_set_text(c, sets[i], eq + 1);
        *eq = '=';
    }
    lw_decide_options opt = {role, trace};
    const lw_decision *d;
    if (lw_decide(e, pb, c, &opt, &d) != LW_OK) {
        fputs("leeway decide: out of memory\n", stderr);
        status = EXIT_USAGE;
        goto out;
    }
    if (log_path) {
        /* O_APPEND and one write per record: concurrent writers never mix lines */
        int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        int rc = fd < 0 ? LW_ERR_IO : lw_log_append(e, fd, c, d, role);
        if (rc != LW_OK) {
            fprintf(stderr, "leeway decide: cannot append to the decision log '%s': %s\n",
                    log_path, rc == LW_ERR_NOMEM ? "out of memory" : strerror(errno));
            status = EXIT_USAGE;
        }
        if (fd >= 0 && close(fd) != 0 && rc == LW_OK) {
            fprintf(stderr, "leeway decide: cannot write the decision log '%s': %s\n", log_path,
                    strerror(errno));
            status = EXIT_USAGE;
        }
        if (status != EXIT_DONE)
            goto out;
    }
    if (strcmp(format, "text") == 0) {
        print_decision_text(stdout, d, use_color(stdout));
    } else {
        int flags = (trace ? LW_JSON_TRACE : 0) | (compact ? 0 : LW_JSON_PRETTY);
        const char *json = lw_decision_json(e, d, flags, NULL);
        if (!json) {
            fputs("leeway decide: out of memory\n", stderr);
            status = EXIT_USAGE;
            goto out;
        }
        puts(json);
    }
out:
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    free(sets);
    return status;
}
