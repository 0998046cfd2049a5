/*
** repl_input.c -- how `leeway repl` reads its commands: on a terminal
** through libedit, a byte at a time (so a line over the limit is skipped as
** it is typed), otherwise a line at a time from standard input or a
** scenario file. A command continues over lines while a quote or bracket is
** open or a line ends in a backslash. Ctrl-C drops the command being typed.
*/
#include "repl.h"

#include <editline/readline.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t repl_interrupted;

/* ======================================================================
** Reading lines: at most REPL_MAX_LINE bytes each
**
** A longer line is read to its end without being kept, so nothing huge is
** held, echoed or added to the history; it is refused with a message naming
** the limit and the REPL carries on with the next line. A command continued
** over several lines has the same limit in all.
*/
const char *repl_too_long(size_t len)
{
    static char msg[200];
    snprintf(msg, sizeof msg,
             "the command is %zu bytes long, more than the limit of %d bytes (64 KiB); it "
             "was skipped. Put long values in a case file and load it with `case FILE`",
             len, REPL_MAX_LINE);
    return msg;
}

/* Echo the start of a line that was too long: at most 40 bytes, cut at a
** character boundary. */
void repl_echo_start(session *S, const char *s)
{
    size_t n = 0;
    while (s[n] && n < 40)
        n++;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    printf("%s> %.*s...%s\n", repl_color(S, DIM), (int)n, s, repl_color(S, OFF));
}

/* Read one line of f into *buf (grown as needed, never past REPL_MAX_LINE
** bytes and the NUL), without the newline; *len is the line's full length,
** of which only the first REPL_MAX_LINE bytes are kept. False at the end of
** the input. */
bool repl_read_line(FILE *f, char **buf, size_t *cap, size_t *len)
{
    size_t n = 0, total = 0;
    int ch;
    bool any = false;
    while ((ch = getc_unlocked(f)) != EOF) {
        any = true;
        if (ch == '\n')
            break;
        total++;
        if (n == REPL_MAX_LINE)
            continue;
        if (n + 1 >= *cap) {
            size_t c = *cap ? *cap * 2 : 256;
            if (c > REPL_MAX_LINE + 1)
                c = REPL_MAX_LINE + 1;
            char *p = realloc(*buf, c);
            if (!p) {
                fputs("leeway repl: out of memory\n", stderr);
                return false;
            }
            *buf = p;
            *cap = c;
        }
        (*buf)[n++] = (char)ch;
    }
    if (!any)
        return false;
    if (!*buf && !(*buf = malloc(*cap = 1)))
        return false;
    (*buf)[n] = 0;
    *len = total;
    return true;
}

/* On a terminal libedit reads through this (rl_getc_function): one byte of
** standard input (in the C locale libedit takes a character per byte, as
** its own reader does). It counts the bytes of the line being typed; past
** REPL_MAX_LINE it reads the rest of the line without passing it on, then
** ends the line, and tty_skipped says how long the line was. -1 at the end
** of the input or on Ctrl-C. */
static size_t tty_line, tty_skipped;

static int read_byte(void)
{
    unsigned char b;
    ssize_t k;
    while ((k = read(STDIN_FILENO, &b, 1)) < 0 && errno == EINTR && !repl_interrupted)
        ;
    return k == 1 ? b : -1;
}

/* libedit stores what this returns as one wide character: a UTF-8 sequence
** is returned as its code point (U+FFFD when it is broken). */
int repl_tty_getc(FILE *f)
{
    (void)f;
    for (;;) {
        int b = read_byte();
        if (b < 0)
            return -1;
        if (b == '\r' || b == '\n') {
            if (tty_line > REPL_MAX_LINE)
                tty_skipped = tty_line;
            tty_line = 0;
            return b;
        }
        int more = b >= 0xF0 && b <= 0xF4 ? 3 : b >= 0xE0 ? 2 : b >= 0xC2 ? 1 : 0;
        int cp = more == 3 ? b & 0x07 : more == 2 ? b & 0x0F : more ? b & 0x1F : b;
        if (b >= 0x80 && !more)
            cp = 0xFFFD;
        tty_line++;
        for (int i = 0; i < more; i++) {
            int c = read_byte();
            if (c < 0)
                return -1;
            tty_line++;
            if ((c & 0xC0) != 0x80) {
                cp = 0xFFFD;
                break;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (tty_line <= REPL_MAX_LINE)
            return cp;
    }
}

void repl_on_sigint(int sig)
{
    (void)sig;
    repl_interrupted = 1;
}

/* Incomplete input continues on the next line: an open quote or bracket, or
** a trailing backslash. */
static bool incomplete(const char *s)
{
    int depth = 0;
    char q = 0;
    for (; *s; s++) {
        if (q) {
            if (*s == q)
                q = 0;
        } else if (*s == '"') { /* not ': it is an apostrophe in O'Brien */
            q = *s;
        } else if (*s == '(' || *s == '[' || *s == '{') {
            depth++;
        } else if (*s == ')' || *s == ']' || *s == '}') {
            depth--;
        } else if (*s == '\\' && s[1] == 0) {
            return true;
        }
    }
    return q || depth > 0;
}

static char *join_continued(char *acc, const char *line, size_t a)
{
    size_t l = strlen(line);
    char *p = realloc(acc, a + l + 2);
    if (!p) {
        free(acc);
        return NULL;
    }
    if (a && p[a - 1] == '\\')
        p[--a] = 0;
    else if (a)
        p[a++] = ' ';
    memcpy(p + a, line, l + 1);
    return p;
}

/* The next command (NULL at the end of input). A line over the limit ends
** the command: *skipped is then the line's length (else 0), and the command
** returned is what was read of it, for the echo. */
char *repl_read_command(session *S, size_t *skipped)
{
    char *acc = NULL;
    size_t acc_len = 0;
    *skipped = 0;
    for (;;) {
        char *line;
        size_t len = 0;
        if (S->interactive) {
            repl_interrupted = 0;
            tty_line = tty_skipped = 0;
            line = readline(acc ? "...> " : "leeway> ");
            if (repl_interrupted) {
                /* Ctrl-C: drop what was typed, keep going */
                free(line);
                free(acc);
                acc = NULL;
                acc_len = 0;
                putchar('\n');
                continue;
            }
            len = line ? (tty_skipped ? tty_skipped : strlen(line)) : 0;
        } else {
            size_t cap = 0;
            line = NULL;
            if (!repl_read_line(stdin, &line, &cap, &len)) {
                free(line);
                line = NULL;
            } else {
                line[strcspn(line, "\r\n")] = 0;
            }
        }
        if (!line)
            return acc; /* Ctrl-D / end of input */
        if (acc_len + len > REPL_MAX_LINE) {
            *skipped = acc_len + len;
            free(acc);
            return line;
        }
        acc = join_continued(acc, line, acc_len);
        free(line);
        if (!acc || !incomplete(acc))
            return acc;
        acc_len = strlen(acc);
    }
}
