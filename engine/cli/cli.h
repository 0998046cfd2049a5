/*
** cli.h -- the leeway command's subcommands. The CLI uses only leeway.h, so
** everything it does an embedding application can do too.
*/
#ifndef LEEWAY_CLI_H
#define LEEWAY_CLI_H

#include "leeway.h"

#include <stdbool.h>
#include <stdio.h>

#if defined(__GNUC__)
#define LW_PRINTF_CLI(f, a) __attribute__((format(printf, f, a)))
#else
#define LW_PRINTF_CLI(f, a)
#endif

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

int cmd_check(int argc, char **argv);
int cmd_decide(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_repl(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_doc(int argc, char **argv);

/* Print every diagnostic of a report to stderr; returns the error count. */
size_t print_report(const lw_report *r);
/* Load a playbook, printing errors; NULL if it cannot be loaded. */
lw_playbook *load_playbook(const char *path);
/* A decision as a readable summary (--format text). */
void print_decision_text(FILE *out, const lw_decision *d, bool color);
/* What differs from decision a to decision b of the same case, one line per
** part ("  outcome: deny -> allow"), or "  nothing changes" (decision_diff.c). */
void print_decision_diff(FILE *out, const lw_decision *a, const lw_decision *b, bool color);
/* --lua-instructions N, --lua-memory BYTES, --lua-millis MS at argv[*i]:
** 1 if it was one (its value consumed), 0 if not, -1 (after a message) if
** its value is bad. */
int parse_budget_flag(int argc, char **argv, int *i, lw_options *opt);
#define BUDGET_USAGE "[--lua-instructions N] [--lua-memory BYTES] [--lua-millis MS]"

/* Colour on a tty unless NO_COLOR is set. */
bool use_color(FILE *f);

#endif
