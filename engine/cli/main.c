/*
** main.c -- `leeway`: check, decide, test, replay, serve, repl, doc and version (DESIGN.md "Command
** line"). Exit status: 0 done, 1 tests failed or check found errors, 2 usage
** error, a playbook that cannot be loaded or output that cannot be written.
*/
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fputs("usage: leeway COMMAND ...\n"
          "\n"
          "  leeway check [-v] [--strict] PLAYBOOK...  compile, lint and analyse (overlapping,\n"
          "         dead and missing table rows, exceptions that never fire, with a case\n"
          "         to paste); FILE:LINE:COL: messages; the digest (-v: of every source\n"
          "         file too); --strict: warnings fail the check\n"
          "  leeway decide PLAYBOOK [CASE|-]     decide one case (.json or .yaml; - = stdin)\n"
          "         [--role ROLE] [--trace] [--format json|text] [--compact]\n"
          "         [--set path=value ...] [--log FILE] " BUDGET_USAGE "\n"
          "  leeway test [--coverage] [-v] PATH...  run playbook tests; last line: N passed, N failed\n"
          "  (decide, test, replay, serve and repl take " BUDGET_USAGE ",\n"
          "   the budgets of Lua scripts per decision)\n"
          "  leeway replay PLAYBOOK INPUT.jsonl|-  decide every line (cases or decision-log\n"
          "         records) and summarise what changed\n"
          "         [--against OLD_PLAYBOOK] [-j THREADS] [-o DECISIONS.jsonl]\n"
          "         [--format text|json] [--fail-on-change] [--max-line BYTES]\n"
          "  leeway serve [--listen ADDR:PORT] PLAYBOOK...  decisions over HTTP (docs/service.md)\n"
          "         [--log FILE] [--log-buffer BYTES] [--log-wait MS] [--max-body BYTES]\n"
          "         [--max-connections N] [--timeout S] [--token-file FILE]\n"
          "         [--tls-cert FILE --tls-key FILE] [--threads N]\n"
          "  leeway repl [PLAYBOOK]              the trainer's REPL (reads stdin when not a tty)\n"
          "  leeway doc PLAYBOOK [--format html|md] [--lang LANGUAGE]  the staff handbook\n"
          "  leeway version\n"
          "\n"
          "Exit status: 0 done, 1 tests failed, check found errors (--strict: or\n"
          "warnings) or replay --fail-on-change saw a change, 2 usage error, a\n"
          "playbook that cannot be loaded or output that cannot be written, 130 replay\n"
          "stopped by Ctrl-C. More: man leeway.\n",
          f);
}

int parse_budget_flag(int argc, char **argv, int *i, lw_options *opt)
{
    static const char *const flags[] = {"--lua-instructions", "--lua-memory", "--lua-millis"};
    int k = -1;
    for (int f = 0; f < 3; f++)
        if (strcmp(argv[*i], flags[f]) == 0)
            k = f;
    if (k < 0)
        return 0;
    char *end = NULL;
    long long v = *i + 1 < argc ? strtoll(argv[*i + 1], &end, 10) : 0;
    if (!end || *end || v <= 0) {
        fprintf(stderr, "leeway: %s takes a positive whole number\n", flags[k]);
        return -1;
    }
    if (k == 0)
        opt->lua_instructions = (long)v;
    else if (k == 1)
        opt->lua_memory = (size_t)v;
    else
        opt->lua_millis = (long)v;
    (*i)++;
    return 1;
}

bool use_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(fileno(f)) && !(nc && *nc);
}

size_t print_report(const lw_report *r)
{
    bool color = use_color(stderr);
    for (size_t i = 0; i < lw_report_count(r); i++) {
        const lw_diag *d = lw_report_get(r, i);
        char line[4096];
        lw_diag_format(d, line, sizeof line);
        if (color)
            fprintf(stderr, "%s%s\033[0m\n", d->severity == LW_ERROR ? "\033[31m" : "\033[33m",
                    line);
        else
            fprintf(stderr, "%s\n", line);
    }
    return lw_report_errors(r);
}

lw_playbook *load_playbook(const char *path)
{
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    int rc = lw_playbook_load(path, NULL, &pb, &r);
    if (rc != LW_OK)
        print_report(r);
    lw_report_free(r);
    return pb;
}

/* What a command printed must have reached standard output: a full disk or
** a closed output is exit 2, as leeway(1) says of a file that cannot be
** written, never a silent success. (replay clears the error of a reader that
** stopped reading, which is no failure.) */
static int output_written(int status)
{
    errno = 0;
    if (fflush(stdout) == 0 && !ferror(stdout))
        return status;
    if (errno)
        fprintf(stderr, "leeway: cannot write the output: %s\n", strerror(errno));
    else
        fputs("leeway: cannot write the output (a full disk, or a closed file?): "
              "it is incomplete\n", stderr);
    return EXIT_USAGE;
}

static int run(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "check") == 0)
        return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "decide") == 0)
        return cmd_decide(argc - 2, argv + 2);
    if (strcmp(cmd, "test") == 0)
        return cmd_test(argc - 2, argv + 2);
    if (strcmp(cmd, "replay") == 0)
        return cmd_replay(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "repl") == 0)
        return cmd_repl(argc - 2, argv + 2);
    if (strcmp(cmd, "doc") == 0)
        return cmd_doc(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("leeway %s\n", lw_version());
        return EXIT_DONE;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_DONE;
    }
    fprintf(stderr, "leeway: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    return output_written(run(argc, argv));
}
