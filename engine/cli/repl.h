/*
** repl.h -- what the files of `leeway repl` share: the session, its output
** helpers, and the functions each file offers the others. repl.c runs the
** session and its commands; repl_input.c reads commands (from a terminal
** or a file, with a length limit and continuation lines); repl_scenario.c
** checks decisions (`expect`) and plays scenario files.
*/
#ifndef LEEWAY_REPL_H
#define LEEWAY_REPL_H

#include "cli.h"

#include <signal.h>

typedef struct session {
    char *pb_path;
    lw_playbook *pb;
    lw_case *c;
    lw_engine *e, *e2;        /* e2: the other side of `whatif` */
    char *role;               /* acting role set with `as`, or NULL */
    bool interactive, color;
    int expect_pass, expect_fail;
    int depth;                /* scenario nesting */
} session;

#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define OFF "\033[0m"

/* Set by Ctrl-C (repl_on_sigint) and by `quit`. */
extern volatile sig_atomic_t repl_interrupted;
extern bool repl_quit_requested;

/* repl.c */
/* code when the session uses colour, else "" */
const char *repl_color(session *S, const char *code);
/* "error: ..." */
void repl_error(session *S, const char *fmt, ...) LW_PRINTF_CLI(2, 3);
/* true when a playbook is loaded, else says how to load one */
bool repl_has_playbook(session *S);
/* the next word of *args (NUL-terminated in place); *args moves past it */
char *repl_next_word(char **args);
/* the decision of the session's case, decided on e (NULL after a message) */
const lw_decision *repl_decision(session *S, lw_engine *e, int trace);
/* the item closest to word (a prefix counts as closest), or NULL */
const char *repl_nearest(const char *word, size_t (*count)(void), const char *(*item)(size_t));
/* run one command line */
void repl_run_line(session *S, char *line);

/* repl_input.c */
#define REPL_MAX_LINE (64 * 1024)
/* the message for a command of len bytes, over REPL_MAX_LINE */
const char *repl_too_long(size_t len);
/* echo "> " and the first 40 bytes of a line that was too long */
void repl_echo_start(session *S, const char *s);
/* one line of f into *buf, at most REPL_MAX_LINE bytes kept; *len is its
** full length; false at the end of the input */
bool repl_read_line(FILE *f, char **buf, size_t *cap, size_t *len);
/* the next command, continued over lines (NULL at the end of the input);
** *skipped is the length of a command over the limit, else 0 */
char *repl_read_command(session *S, size_t *skipped);
/* libedit's reader on a terminal, and the SIGINT handler */
int repl_tty_getc(FILE *f);
void repl_on_sigint(int sig);

/* repl_scenario.c: the `scenario` and `expect` commands */
void repl_scenario(session *S, char *args);
void repl_expect(session *S, char *args);

#endif
