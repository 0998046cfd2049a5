/*
** repl.c -- `leeway repl [PLAYBOOK]`: the trainer's REPL. Build a customer
** situation fact by fact, switch the acting role, decide, ask why, ask what
** would have to change, try "what if", and play prepared scenario files.
**
** Built on leeway.h only, like the rest of the CLI. On a terminal it uses
** libedit (history in ~/.leeway_history, completion of commands, fact paths,
** enum values and roles); otherwise it reads commands from stdin, echoes each
** as "> command" and prints without colour, so sessions can be tested as
** transcripts (tests/repl).
*/
#include "cli.h"

#include <ctype.h>
#include <editline/readline.h>
#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

static volatile sig_atomic_t interrupted;
static bool quit_requested;

/* ======================================================================
** Output helpers
*/
static const char *C(session *S, const char *code)
{
    return S->color ? code : "";
}

#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define OFF "\033[0m"

static void err(session *S, const char *fmt, ...) LW_PRINTF_CLI(2, 3);
static void err(session *S, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%serror:%s ", C(S, RED), C(S, OFF));
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

/* ======================================================================
** Reading lines: at most REPL_MAX_LINE bytes each
**
** A longer line is read to its end without being kept, so nothing huge is
** held, echoed or added to the history; it is refused with a message naming
** the limit and the REPL carries on with the next line. A command continued
** over several lines has the same limit in all.
*/
#define REPL_MAX_LINE (64 * 1024)

static const char *too_long(size_t len)
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
static void echo_start(session *S, const char *s)
{
    size_t n = 0;
    while (s[n] && n < 40)
        n++;
    while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    printf("%s> %.*s...%s\n", C(S, DIM), (int)n, s, C(S, OFF));
}

/* Read one line of f into *buf (grown as needed, never past REPL_MAX_LINE
** bytes and the NUL), without the newline; *len is the line's full length,
** of which only the first REPL_MAX_LINE bytes are kept. False at the end of
** the input. */
static bool read_line(FILE *f, char **buf, size_t *cap, size_t *len)
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
    while ((k = read(STDIN_FILENO, &b, 1)) < 0 && errno == EINTR && !interrupted)
        ;
    return k == 1 ? b : -1;
}

/* libedit stores what this returns as one wide character: a UTF-8 sequence
** is returned as its code point (U+FFFD when it is broken). */
static int tty_getc(FILE *f)
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

static void pad(const char *s, size_t col)
{
    fputs(s, stdout);
    for (size_t w = lw_display_width(s); w < col; w++)
        putchar(' ');
}

/* ======================================================================
** Session state
*/
static bool ensure_playbook(session *S)
{
    if (S->pb)
        return true;
    err(S, "no playbook loaded: use `load PLAYBOOK.yaml`");
    return false;
}

static void print_report_out(session *S, const lw_report *r)
{
    for (size_t i = 0; i < lw_report_count(r); i++) {
        char line[2048];
        lw_diag_format(lw_report_get(r, i), line, sizeof line);
        printf("%s%s%s\n", C(S, lw_report_get(r, i)->severity == LW_ERROR ? RED : YELLOW), line,
               C(S, OFF));
    }
}

/* Copy the given facts of one case into another (of another playbook),
** through their text form; facts the new playbook lacks are reported. */
static void carry_case(session *S, const lw_playbook *from_pb, lw_case *from, lw_case *to,
                       const lw_playbook *to_pb)
{
    for (size_t i = 0; i < lw_fact_count(from_pb); i++) {
        lw_value v;
        if (lw_case_value(from, i, &v) != 1 || v.type == LW_V_NULL)
            continue;
        char text[1024];
        lw_value_format(&v, text, sizeof text);
        const char *path = lw_fact_path(from_pb, i);
        if (lw_fact_index(to_pb, path) < 0) {
            printf("note: %s is not a fact of the reloaded playbook; dropped\n", path);
            continue;
        }
        lw_case *probe = lw_case_new(to_pb);
        int rc = probe ? lw_case_set_text(probe, path, text) : LW_ERR_NOMEM;
        lw_case_free(probe);
        if (rc == LW_OK)
            lw_case_set_text(to, path, text);
        else
            printf("note: %s = %s no longer fits the playbook; dropped\n", path, text);
    }
}

/* After a playbook failed to load: what happened, what is still in use, and
** what to do, in plain words. */
static void not_loaded(session *S, const char *path, bool unreadable, size_t errors)
{
    bool again = S->pb_path && strcmp(path, S->pb_path) == 0;
    char todo[300];
    snprintf(todo, sizeof todo, "then type `%s%s`", again ? "reload" : "load ", again ? "" : path);
    if (unreadable)
        printf("%s was not loaded: the file could not be read (see above). Check its name "
               "and where it is.\n",
               path);
    else if (errors == 1)
        printf("%s was not loaded: it has a mistake (above, with its line). Fix it in the file, "
               "%s.\n",
               path, todo);
    else if (errors > 1)
        printf("%s was not loaded: it has %zu mistakes (above, each with its line). Fix them in "
               "the file, %s.\n",
               path, errors, todo);
    else
        printf("%s was not loaded (see above); %s to try again.\n", path, todo);
    if (S->pb)
        printf("Until then the REPL keeps using %s %s, and the case as it is.\n",
               lw_playbook_id(S->pb), lw_playbook_version(S->pb));
}

static bool load(session *S, const char *path, bool keep_case)
{
    lw_playbook *pb = NULL;
    lw_report *r = NULL;
    int rc = lw_playbook_load(path, NULL, &pb, &r);
    print_report_out(S, r);
    size_t errors = 0;
    for (size_t i = 0; i < lw_report_count(r); i++)
        errors += lw_report_get(r, i)->severity == LW_ERROR;
    lw_report_free(r);
    if (rc != LW_OK) {
        not_loaded(S, path, rc == LW_ERR_IO, errors);
        return false;
    }
    lw_case *c = lw_case_new(pb);
    if (!c) {
        lw_playbook_free(pb);
        err(S, "out of memory");
        return false;
    }
    if (keep_case && S->c)
        carry_case(S, S->pb, S->c, c, pb);
    lw_case_free(S->c);
    lw_playbook_free(S->pb);
    S->pb = pb;
    S->c = c;
    if (S->pb_path != path) {
        free(S->pb_path);
        S->pb_path = strdup(path);
    }
    if (S->role) {
        bool ok = false;
        for (size_t i = 0; i < lw_role_count(pb); i++)
            ok |= strcmp(lw_role_id(pb, i), S->role) == 0;
        if (!ok) {
            printf("note: the role %s is gone; no acting role now\n", S->role);
            free(S->role);
            S->role = NULL;
        }
    }
    printf("loaded %s %s (%zu facts, %zu roles)\n", lw_playbook_id(pb), lw_playbook_version(pb),
           lw_fact_count(pb), lw_role_count(pb));
    return true;
}

static const char *type_words(const char *t)
{
    static const char *const names[][2] = {
        {"number", "a number"}, {"money", "money, like 19.95 EUR"},
        {"string", "text"}, {"bool", "true or false"},
        {"duration", "a duration, like 90min or 3h"}, {"date", "a date, like 2026-11-23"},
        {"role", "a role"}, {"list", "a list"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(names[i][0], t) == 0)
            return names[i][1];
    return t;
}

/* "15 EUR", "15.00", "15" against an amount: equal in value? */
static bool same_money(const char *text, lw_money m)
{
    char *end;
    double v = strtod(text, &end);
    while (*end == ' ')
        end++;
    if (end == text || (*end && (!m.currency || strcmp(end, m.currency) != 0)))
        return false;
    double scale = 1;
    for (int i = 0; i < m.digits; i++)
        scale *= 10;
    return (long long)(v * scale + (v < 0 ? -0.5 : 0.5)) == (long long)m.minor;
}

/* Set a fact, checking the value on a scratch case first so a bad value
** leaves the session's case as it was. */
static bool set_fact(session *S, const char *path, const char *value)
{
    if (lw_fact_index(S->pb, path) < 0) {
        lw_case *tmp = lw_case_new(S->pb);
        lw_case_set_text(tmp, path, value);
        err(S, "%s", lw_case_problem_count(tmp) ? lw_case_problem(tmp, 0) : "unknown fact");
        lw_case_free(tmp);
        return false;
    }
    lw_case *tmp = lw_case_new(S->pb);
    if (!tmp) {
        err(S, "out of memory");
        return false;
    }
    int rc = lw_case_set_text(tmp, path, value);
    if (rc != LW_OK) {
        /* the message lists an enum's values and the roles (with a
        ** did-you-mean); for other types, say what a value looks like */
        const char *type = lw_fact_type(S->pb, (size_t)lw_fact_index(S->pb, path));
        err(S, "%s", lw_case_problem_count(tmp) ? lw_case_problem(tmp, 0) : "not a valid value");
        if (strcmp(type, "enum") != 0 && strcmp(type, "role") != 0)
            printf("       %s is %s\n", path, type_words(type));
        lw_case_free(tmp);
        return false;
    }
    lw_case_free(tmp);
    lw_case_set_text(S->c, path, value);
    return true;
}

static lw_decide_options opts(session *S, int trace)
{
    lw_decide_options o = {S->role, trace};
    return o;
}

/* ======================================================================
** Did you mean: the closest of a list of words (commands, roles), also
** used for completion
*/
static session *completion_session;
static size_t n_commands(void);
static const char *command_at(size_t i);
static size_t n_roles(void);
static const char *role_at(size_t i);

/* The item closest to `word` (a prefix of it counts as closest), or NULL
** when none is within two edits. */
static const char *nearest(const char *word, size_t (*count)(void), const char *(*item)(size_t))
{
    const char *best = NULL;
    int bd = 3;
    for (size_t i = 0; i < count(); i++) {
        const char *s = item(i);
        int d = strncmp(s, word, strlen(word)) == 0 ? 0 : lw_edit_distance(s, word);
        if (d < bd) {
            bd = d;
            best = s;
        }
    }
    return best;
}

/* ======================================================================
** Commands
*/
typedef struct cmd {
    const char *name, *args, *help;
    void (*run)(session *S, char *args);
} cmd;

static const cmd *commands(void);

static void repl_help(session *S, char *args)
{
    (void)S;
    const cmd *cs = commands();
    if (*args) {
        for (const cmd *c = cs; c->name; c++)
            if (strcmp(c->name, strcmp(args, "exit") == 0 ? "quit" : args) == 0) {
                printf("%s%s%s\n    %s\n", c->name, *c->args ? " " : "", c->args, c->help);
                return;
            }
        err(S, "no command '%s'; `help` lists them", args);
        return;
    }
    size_t col = 0;
    for (const cmd *c = cs; c->name; c++) {
        size_t w = strlen(c->name) + 1 + strlen(c->args);
        if (w > col)
            col = w;
    }
    for (const cmd *c = cs; c->name; c++) {
        char head[128];
        snprintf(head, sizeof head, "%s%s%s", c->name, *c->args ? " " : "", c->args);
        fputs("  ", stdout);
        pad(head, col + 2);
        printf("%s\n", c->help);
    }
}

static void repl_load(session *S, char *args)
{
    if (!*args) {
        err(S, "load needs a playbook file: load examples/telecom/playbook.yaml");
        return;
    }
    load(S, args, false);
}

static void repl_reload(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    load(S, S->pb_path, true);
}

static char *split(char **args)
{
    char *s = *args;
    while (*s == ' ')
        s++;
    char *w = s;
    while (*s && *s != ' ')
        s++;
    if (*s)
        *s++ = 0;
    while (*s == ' ')
        s++;
    *args = s;
    return w;
}

static void repl_set(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    char *path = split(&args);
    if (!*path || !*args) {
        err(S, "set takes a fact and a value: set customer.age 82");
        return;
    }
    size_t n = strlen(args);
    if (n >= 2 && args[0] == '"' && args[n - 1] == '"') {
        /* "Aino Virtanen": the quotes only group the words */
        char *w = args;
        for (char *r = args + 1; r < args + n - 1; r++) {
            if (*r == '\\' && (r[1] == '"' || r[1] == '\\') && r + 1 < args + n - 1)
                r++;
            *w++ = *r;
        }
        *w = 0;
    }
    if (set_fact(S, path, args)) {
        lw_value v;
        char text[512];
        lw_case_value(S->c, (size_t)lw_fact_index(S->pb, path), &v);
        lw_value_format(&v, text, sizeof text);
        printf("%s = %s\n", path, text);
    }
}

static void repl_unset(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (!*args) {
        err(S, "unset takes a fact: unset customer.age");
        return;
    }
    if (lw_fact_index(S->pb, args) < 0) {
        err(S, "'%s' is not a fact of this playbook; `facts` lists them", args);
        return;
    }
    lw_case_unset(S->c, args);
    printf("%s is no longer set\n", args);
}

static void set_special(session *S, const char *fact, const char *what, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (lw_fact_index(S->pb, fact) < 0) {
        err(S, "this playbook has no '%s' fact, so the %s cannot be set", fact, what);
        return;
    }
    if (!*args) {
        lw_value v;
        char text[256];
        lw_case_value(S->c, (size_t)lw_fact_index(S->pb, fact), &v);
        lw_value_format(&v, text, sizeof text);
        printf("%s = %s\n", fact, v.type == LW_V_NULL ? "(not set)" : text);
        return;
    }
    if (set_fact(S, fact, args)) {
        lw_value v;
        char text[256];
        lw_case_value(S->c, (size_t)lw_fact_index(S->pb, fact), &v);
        lw_value_format(&v, text, sizeof text);
        printf("%s = %s\n", fact, text);
    }
}

static void repl_channel(session *S, char *args) { set_special(S, "channel", "channel", args); }
static void repl_locale(session *S, char *args) { set_special(S, "locale", "locale", args); }
static void repl_date(session *S, char *args) { set_special(S, "date", "date", args); }

static void repl_as(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (!*args) {
        printf("acting role: %s\n", S->role ? S->role : "(the case's staff.role)");
        return;
    }
    if (strcmp(args, "none") == 0) {
        free(S->role);
        S->role = NULL;
        printf("no acting role: the case's staff.role decides\n");
        return;
    }
    for (size_t i = 0; i < lw_role_count(S->pb); i++)
        if (strcmp(lw_role_id(S->pb, i), args) == 0) {
            free(S->role);
            S->role = strdup(args);
            printf("acting as %s\n", args);
            return;
        }
    const char *best = nearest(args, n_roles, role_at);
    printf("%serror:%s '%s' is not a role", C(S, RED), C(S, OFF), args);
    if (best)
        printf(" (did you mean %s?)", best);
    printf("; the roles are:");
    for (size_t i = 0; i < lw_role_count(S->pb); i++)
        printf(" %s", lw_role_id(S->pb, i));
    putchar('\n');
}

static void repl_show(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    size_t col = 0, n = 0;
    for (size_t i = 0; i < lw_fact_count(S->pb); i++)
        if (lw_display_width(lw_fact_path(S->pb, i)) > col)
            col = lw_display_width(lw_fact_path(S->pb, i));
    for (size_t i = 0; i < lw_fact_count(S->pb); i++) {
        lw_value v;
        if (lw_case_value(S->c, i, &v) != 1)
            continue;
        char text[1024];
        lw_value_format(&v, text, sizeof text);
        fputs("  ", stdout);
        pad(lw_fact_path(S->pb, i), col + 2);
        printf("%s\n", text);
        n++;
    }
    if (n == 0)
        printf("  (no facts set: use `set PATH VALUE` or `case FILE`)\n");
    if (S->role)
        printf("  acting as %s\n", S->role);
}

static void repl_facts(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    size_t col = 0;
    for (size_t i = 0; i < lw_fact_count(S->pb); i++)
        if (lw_display_width(lw_fact_path(S->pb, i)) > col)
            col = lw_display_width(lw_fact_path(S->pb, i));
    for (size_t i = 0; i < lw_fact_count(S->pb); i++) {
        fputs("  ", stdout);
        pad(lw_fact_path(S->pb, i), col + 2);
        size_t nv;
        const char *const *vals = lw_fact_values(S->pb, i, &nv);
        if (vals) {
            fputs("one of:", stdout);
            for (size_t k = 0; k < nv; k++)
                printf(" %s", vals[k]);
        } else if (strcmp(lw_fact_type(S->pb, i), "role") == 0) {
            fputs("role:", stdout);
            for (size_t k = 0; k < lw_role_count(S->pb); k++)
                printf(" %s", lw_role_id(S->pb, k));
        } else {
            fputs(lw_fact_type(S->pb, i), stdout);
        }
        const char *doc = lw_fact_doc(S->pb, i);
        if (doc)
            printf("  %s-- %s%s", C(S, DIM), doc, C(S, OFF));
        putchar('\n');
    }
}

static void repl_case(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (!*args) {
        err(S, "case takes a case file (.json or .yaml): case examples/telecom/cases/poa-82.json");
        return;
    }
    lw_case *c = lw_case_new(S->pb);
    const char *msg = NULL;
    lw_case_read_file(c, args, &msg);
    if (msg || lw_case_problem_count(c)) {
        if (msg && strstr(msg, ": error: "))
            printf("%s\n", msg); /* FILE:LINE:COL: error: ... */
        else if (msg)
            err(S, "%s", msg);
        else
            err(S, "%s", lw_case_problem(c, 0));
        for (size_t i = 1; !msg && i < lw_case_problem_count(c); i++)
            printf("       %s\n", lw_case_problem(c, i));
        printf("the case was not loaded\n");
        lw_case_free(c);
        return;
    }
    lw_case_free(S->c);
    S->c = c;
    printf("case loaded from %s\n", args);
}

static void repl_save(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (!*args) {
        err(S, "save takes a file name: save my-case.yaml");
        return;
    }
    FILE *f = fopen(args, "w");
    if (!f) {
        err(S, "cannot write %s: %s", args, strerror(errno));
        return;
    }
    fprintf(f, "# case for %s %s, saved by leeway repl\n", lw_playbook_id(S->pb),
            lw_playbook_version(S->pb));
    size_t n = 0;
    for (size_t i = 0; i < lw_fact_count(S->pb); i++) {
        lw_value v;
        if (lw_case_value(S->c, i, &v) != 1 || v.type == LW_V_NULL)
            continue;
        char text[1024];
        lw_value_format(&v, text, sizeof text);
        if (v.type == LW_V_LIST || v.type == LW_V_BOOL || v.type == LW_V_NUMBER)
            fprintf(f, "%s: %s\n", lw_fact_path(S->pb, i), text);
        else {
            fprintf(f, "%s: \"", lw_fact_path(S->pb, i));
            for (const char *p = text; *p; p++) {
                if (*p == '"' || *p == '\\')
                    fputc('\\', f);
                fputc(*p, f);
            }
            fputs("\"\n", f);
        }
        n++;
    }
    if (S->role)
        fprintf(f, "# acting role in the session: %s\n", S->role);
    if (fclose(f) != 0)
        err(S, "cannot write %s", args);
    else
        printf("saved %zu fact%s to %s\n", n, n == 1 ? "" : "s", args);
}

static void repl_reset(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    lw_case_reset(S->c);
    free(S->role);
    S->role = NULL;
    printf("the case is empty (and no acting role)\n");
}

static const lw_decision *decide_with(session *S, lw_engine *e, const lw_decide_options *o)
{
    const lw_decision *d = NULL;
    if (lw_decide(e, S->pb, S->c, o, &d) != LW_OK) {
        err(S, "the decision failed (out of memory)");
        return NULL;
    }
    return d;
}

static const lw_decision *decide(session *S, lw_engine *e, int trace)
{
    lw_decide_options o = opts(S, trace);
    return decide_with(S, e, &o);
}

static void repl_decide(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    const lw_decision *d = decide(S, S->e, 0);
    if (d)
        print_decision_text(stdout, d, S->color);
}

static void repl_missing(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    const lw_decision *d = decide(S, S->e, 0);
    if (!d)
        return;
    if (d->n_missing == 0) {
        printf("nothing is missing: every condition could be decided\n");
        return;
    }
    printf("still to ask (each left a condition undecided):\n");
    for (size_t i = 0; i < d->n_missing; i++)
        printf("  %s\n", d->missing[i]);
}

static void repl_why(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    const lw_decision *d = decide(S, S->e, 1);
    if (!d)
        return;
    if (d->n_problems) {
        printf("the case is invalid, so no rule was tried:\n");
        for (size_t i = 0; i < d->n_problems; i++)
            printf("  %s\n", d->problems[i]);
        return;
    }
    size_t col = 0;
    for (size_t i = 0; i < d->n_trace; i++) {
        size_t w = strlen(d->trace[i].kind) + 1 + lw_display_width(d->trace[i].rule);
        if (w > col)
            col = w;
    }
    for (size_t i = 0; i < d->n_trace; i++) {
        const lw_trace_entry *t = &d->trace[i];
        const char *mark = t->result == LW_TRUE ? "yes" : t->result == LW_FALSE ? "no " : "?  ";
        const char *color = t->result == LW_TRUE ? GREEN : t->result == LW_FALSE ? DIM : YELLOW;
        char head[256];
        snprintf(head, sizeof head, "%s %s", t->kind, t->rule);
        printf("  %s%s%s  ", C(S, color), mark, C(S, OFF));
        pad(head, col + 2);
        printf("line %d%s\n", t->line,
               t->result == LW_UNKNOWN ? "  (could not be decided)" : "");
    }
    printf("outcome: %s\n", d->outcome);
}

static void repl_whatif(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    char *path = split(&args);
    if (!*path || !*args) {
        err(S, "whatif takes a fact and a value: whatif customer.age 74");
        return;
    }
    int f = lw_fact_index(S->pb, path);
    if (f < 0) {
        err(S, "'%s' is not a fact of this playbook; `facts` lists them", path);
        return;
    }
    lw_value old;
    int given = lw_case_value(S->c, (size_t)f, &old);
    if (old.type == LW_V_LIST) {
        err(S, "whatif cannot change a list fact; use set");
        return;
    }
    char old_text[1024];
    lw_value_format(&old, old_text, sizeof old_text);
    /* `as ROLE` overrides staff.role: a what-if on it changes the acting role */
    bool acting = S->role && strcmp(path, "staff.role") == 0;
    const lw_decision *before = decide(S, S->e, 0);
    if (!before || !set_fact(S, path, args))
        return;
    lw_decide_options o = opts(S, 0);
    if (acting)
        o.role = args;
    const lw_decision *after = decide_with(S, S->e2, &o);
    if (after && acting)
        printf("if the acting role were %s instead of %s (set with `as`):\n", args, S->role);
    else if (after)
        printf("if %s were %s instead of %s:\n", path, args,
               given == 1 && old.type != LW_V_NULL ? old_text : "(not set)");
    if (after)
        print_decision_diff(stdout, before, after, S->color);
    if (given == 1 && old.type != LW_V_NULL)
        lw_case_set_text(S->c, path, old_text);
    else
        lw_case_unset(S->c, path);
}

static void repl_flip(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    lw_decide_options o = opts(S, 0);
    const lw_flip_item *items;
    size_t n;
    if (lw_flip(S->e, S->pb, S->c, &o, &items, &n) != LW_OK) {
        err(S, "could not work it out (out of memory)");
        return;
    }
    if (n == 0) {
        printf("every rule that could fire has fired (or the case is invalid)\n");
        return;
    }
    printf("what would make each rule that did not fire, fire:\n");
    for (size_t i = 0; i < n; i++)
        printf("  %s %s%s%s (line %d): %s\n", items[i].kind, C(S, BOLD), items[i].rule,
               C(S, OFF), items[i].line, items[i].change);
}

typedef struct test_run {
    session *S;
} test_run;

static void on_test(void *ud, const lw_test_result *r)
{
    session *S = ud;
    if (r->passed)
        printf("  %sok%s    %s\n", C(S, GREEN), C(S, OFF), r->name);
    else
        printf("  %sFAIL%s  %s (line %d)\n        %s\n", C(S, RED), C(S, OFF), r->name, r->line,
               r->failure);
}

static void repl_test(session *S, char *args)
{
    (void)args;
    if (!ensure_playbook(S))
        return;
    int passed = 0, failed = 0;
    lw_report *rep = NULL;
    int rc = lw_test_file(S->e, S->pb_path, NULL, on_test, NULL, S, &passed, &failed, &rep);
    if (rc == LW_ERR_NOTFOUND)
        printf("the playbook has no tests (add a tests: list to %s)\n", S->pb_path);
    else if (rc != LW_OK)
        print_report_out(S, rep);
    else
        printf("%d passed, %d failed\n", passed, failed);
    lw_report_free(rep);
}

static void repl_lua(session *S, char *args)
{
    if (!ensure_playbook(S))
        return;
    if (!*args) {
        err(S, "lua takes an expression or statements: lua case.customer.age + 1");
        return;
    }
    const char *result;
    if (lw_eval_lua(S->e, S->pb, S->c, args, &result) == LW_OK)
        printf("%s\n", result);
    else
        err(S, "%s", result);
}

static void run_line(session *S, char *line);

static void repl_scenario(session *S, char *args)
{
    if (!*args) {
        err(S, "scenario takes a file of REPL commands: scenario tests/repl/poa.scenario");
        return;
    }
    if (S->depth >= 8) {
        err(S, "scenarios are nested too deeply");
        return;
    }
    struct stat st;
    if (stat(args, &st) == 0 && S_ISDIR(st.st_mode)) {
        err(S, "%s is a directory; scenario takes a file of REPL commands", args);
        return;
    }
    FILE *f = fopen(args, "r");
    if (!f) {
        err(S, "cannot open %s: %s", args, strerror(errno));
        return;
    }
    int p0 = S->expect_pass, f0 = S->expect_fail;
    S->depth++;
    char *line = NULL;
    size_t cap = 0, len;
    int lineno = 0;
    while (!interrupted && !quit_requested && read_line(f, &line, &cap, &len)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        char *s = line;
        while (*s == ' ')
            s++;
        if (!*s || *s == '#')
            continue;
        if (len > REPL_MAX_LINE) {
            echo_start(S, s);
            err(S, "%s:%d: %s", args, lineno, too_long(len));
            continue;
        }
        printf("%s> %s%s\n", C(S, DIM), s, C(S, OFF));
        run_line(S, s);
    }
    free(line);
    fclose(f);
    S->depth--;
    int p = S->expect_pass - p0, fl = S->expect_fail - f0;
    if (p || fl)
        printf("scenario %s: %d expectation%s met, %d not met\n", args, p, p == 1 ? "" : "s", fl);
}

/* An expectation: met, not met, or one the REPL cannot check -- which counts
** as not met, so a scenario with a mistyped `expect` line does not pass. */
static void expect_met(session *S, const char *what, const char *value)
{
    S->expect_pass++;
    printf("%smet:%s %s %s\n", C(S, GREEN), C(S, OFF), what, value);
}

static void expect_not_met(session *S, const char *what, const char *value, const char *actual)
{
    S->expect_fail++;
    printf("%sNOT MET:%s %s: expected %s, got %s\n", C(S, RED), C(S, OFF), what, value, actual);
}

static void expect_unchecked(session *S, const char *fmt, ...) LW_PRINTF_CLI(2, 3);
static void expect_unchecked(session *S, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    S->expect_fail++;
    printf("%sNOT MET (cannot check):%s ", C(S, RED), C(S, OFF));
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

static const char *const expect_words[] = {"outcome", "policy", "missing", "goodwill"};
static size_t n_expect_words(void) { return sizeof expect_words / sizeof expect_words[0]; }
static const char *expect_word_at(size_t i) { return expect_words[i]; }

#define EXPECT_FORMS "outcome WORD | policy ID OUTCOME | missing PATH | goodwill AMOUNT"

/* expect outcome WORD | expect missing PATH | expect policy ID OUTCOME |
** expect goodwill AMOUNT */
static void repl_expect(session *S, char *args)
{
    if (!S->pb) {
        expect_unchecked(S, "no playbook is loaded; use `load PLAYBOOK.yaml` first");
        return;
    }
    char *what = split(&args);
    if (!*what || !*args) {
        expect_unchecked(S, "expect takes what and a value: expect " EXPECT_FORMS);
        return;
    }
    bool known = false;
    for (size_t i = 0; i < n_expect_words(); i++)
        known |= strcmp(what, expect_words[i]) == 0;
    if (!known) {
        const char *best = nearest(what, n_expect_words, expect_word_at);
        expect_unchecked(S, "the REPL cannot check '%s'%s%s%s; expect takes " EXPECT_FORMS, what,
                         best ? " (did you mean " : "", best ? best : "", best ? "?)" : "");
        return;
    }
    if (strcmp(what, "missing") == 0 && lw_fact_index(S->pb, args) < 0) {
        expect_unchecked(S, "'%s' is not a fact of this playbook; `facts` lists them", args);
        return;
    }
    const lw_decision *d = decide(S, S->e, 0);
    if (!d) {
        expect_unchecked(S, "the decision failed");
        return;
    }
    bool ok = false;
    char actual[256] = "";
    if (strcmp(what, "outcome") == 0) {
        ok = strcmp(d->outcome, args) == 0;
        snprintf(actual, sizeof actual, "%s", d->outcome);
    } else if (strcmp(what, "missing") == 0) {
        for (size_t i = 0; i < d->n_missing; i++)
            ok |= strcmp(d->missing[i], args) == 0;
        snprintf(actual, sizeof actual, "%zu missing", d->n_missing);
    } else if (strcmp(what, "policy") == 0) {
        char *id = split(&args);
        if (!*args) {
            expect_unchecked(S, "expect policy takes a policy and an outcome: expect policy %s "
                                "deny",
                             id);
            return;
        }
        snprintf(actual, sizeof actual, "not in force");
        for (size_t i = 0; i < d->n_policies; i++)
            if (strcmp(d->policies[i].id, id) == 0) {
                ok = strcmp(d->policies[i].outcome, args) == 0;
                snprintf(actual, sizeof actual, "%s", d->policies[i].outcome);
            }
        /* say which policy: "policy ID OUTCOME" (split() left a NUL after ID) */
        id[strlen(id)] = ' ';
        args = id;
    } else {
        lw_money_format(d->goodwill.amount, 1, actual, sizeof actual);
        char *end;
        strtod(args, &end);
        if (end == args) {
            expect_unchecked(S, "'%s' is not an amount; write it like 15.00 EUR", args);
            return;
        }
        ok = same_money(args, d->goodwill.amount);
    }
    if (ok)
        expect_met(S, what, args);
    else
        expect_not_met(S, what, args, actual);
}

static void repl_quit(session *S, char *args);

static const cmd command_table[] = {
    {"help", "[COMMAND]", "list the commands, or explain one", repl_help},
    {"load", "PLAYBOOK", "load a playbook (a new, empty case)", repl_load},
    {"reload", "", "compile the playbook file again; if it fails, the old one stays", repl_reload},
    {"facts", "", "list the playbook's facts, their types and values", repl_facts},
    {"set", "PATH VALUE", "set a fact: set customer.age 82, set order.value 154 EUR", repl_set},
    {"unset", "PATH", "forget a fact", repl_unset},
    {"show", "", "show the case", repl_show},
    {"case", "FILE", "load a case from a .json or .yaml file", repl_case},
    {"save", "FILE", "save the case as YAML", repl_save},
    {"reset", "", "start an empty case, with no acting role", repl_reset},
    {"as", "[ROLE|none]", "act as a staff role (overrides staff.role)", repl_as},
    {"channel", "[CHANNEL]", "set the channel: store, phone, chat ...", repl_channel},
    {"locale", "[LANG]", "set the language of messages: fi, en ...", repl_locale},
    {"date", "[DATE]", "set the date of the case: 2026-11-23", repl_date},
    {"decide", "", "decide the case: outcome, exceptions, goodwill, promises", repl_decide},
    {"why", "", "every rule tried, in order, with its playbook line", repl_why},
    {"whatif", "PATH VALUE", "decide again with one fact changed; show what differs", repl_whatif},
    {"flip", "", "what would make each rule that did not fire, fire", repl_flip},
    {"missing", "", "the questions still to ask", repl_missing},
    {"expect", "WHAT VALUE", "check the decision: outcome allow | policy ID deny | ...", repl_expect},
    {"test", "", "run the tests in the playbook's file", repl_test},
    {"scenario", "FILE", "play a file of REPL commands (with expect lines)", repl_scenario},
    {"lua", "EXPR", "evaluate Lua against the case, as a playbook script would", repl_lua},
    {"quit", "", "leave (also Ctrl-D)", repl_quit},
    {NULL, NULL, NULL, NULL},
};

static const cmd *commands(void)
{
    return command_table;
}

static void repl_quit(session *S, char *args)
{
    (void)S;
    (void)args;
    quit_requested = true;
}

static void run_line(session *S, char *line)
{
    char *args = line;
    char *name = split(&args);
    size_t n = strlen(args);
    while (n && args[n - 1] == ' ')
        args[--n] = 0;
    if (!*name)
        return;
    if (strcmp(name, "exit") == 0)
        name = "quit";
    for (const cmd *c = commands(); c->name; c++)
        if (strcmp(c->name, name) == 0) {
            c->run(S, args);
            fflush(stdout);
            return;
        }
    const char *best = nearest(name, n_commands, command_at);
    if (best)
        err(S, "unknown command '%s' (did you mean `%s`?); `help` lists the commands", name, best);
    else
        err(S, "unknown command '%s'; `help` lists the commands", name);
}

/* ======================================================================
** Line editing: completion, history, Ctrl-C
*/

static char *complete_from(const char *text, int state, size_t (*count)(void),
                           const char *(*item)(size_t))
{
    static size_t i;
    if (state == 0)
        i = 0;
    size_t n = count(), len = strlen(text);
    while (i < n) {
        const char *s = item(i++);
        if (s && strncmp(s, text, len) == 0)
            return strdup(s);
    }
    return NULL;
}

static size_t n_commands(void)
{
    size_t n = 0;
    while (command_table[n].name)
        n++;
    return n;
}
static const char *command_at(size_t i) { return command_table[i].name; }
static size_t n_facts(void) { return lw_fact_count(completion_session->pb); }
static const char *fact_at(size_t i) { return lw_fact_path(completion_session->pb, i); }
static size_t n_roles(void) { return lw_role_count(completion_session->pb); }
static const char *role_at(size_t i) { return lw_role_id(completion_session->pb, i); }

static int value_fact = -1;
static size_t n_values(void)
{
    size_t n = 0;
    if (value_fact >= 0)
        lw_fact_values(completion_session->pb, (size_t)value_fact, &n);
    return n;
}
static const char *value_at(size_t i)
{
    size_t n;
    const char *const *v = lw_fact_values(completion_session->pb, (size_t)value_fact, &n);
    return v && i < n ? v[i] : NULL;
}

static char *gen_command(const char *t, int s) { return complete_from(t, s, n_commands, command_at); }
static char *gen_fact(const char *t, int s) { return complete_from(t, s, n_facts, fact_at); }
static char *gen_role(const char *t, int s) { return complete_from(t, s, n_roles, role_at); }
static char *gen_value(const char *t, int s) { return complete_from(t, s, n_values, value_at); }
static size_t n_bools(void) { return 2; }
static const char *bool_at(size_t i) { return i ? "false" : "true"; }
static char *gen_bool(const char *t, int s) { return complete_from(t, s, n_bools, bool_at); }

static char **complete(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never fall back to file names */
    session *S = completion_session;
    /* words before the one being completed */
    char before[512];
    size_t k = (size_t)start < sizeof before - 1 ? (size_t)start : sizeof before - 1;
    memcpy(before, rl_line_buffer, k);
    before[k] = 0;
    char *words[3] = {NULL, NULL, NULL};
    int nw = 0;
    for (char *tok = strtok(before, " "); tok && nw < 3; tok = strtok(NULL, " "))
        words[nw++] = tok;
    if (nw == 0)
        return rl_completion_matches(text, gen_command);
    if (nw == 1 && strcmp(words[0], "load") == 0)
        return rl_completion_matches(text, rl_filename_completion_function);
    if (!S->pb)
        return NULL;
    const char *verb = words[0];
    if (nw == 1 && (strcmp(verb, "load") == 0 || strcmp(verb, "case") == 0 ||
                    strcmp(verb, "save") == 0 || strcmp(verb, "scenario") == 0))
        return rl_completion_matches(text, rl_filename_completion_function);
    if (nw == 1 && (strcmp(verb, "set") == 0 || strcmp(verb, "unset") == 0 ||
                    strcmp(verb, "whatif") == 0))
        return rl_completion_matches(text, gen_fact);
    if (nw == 1 && strcmp(verb, "as") == 0)
        return rl_completion_matches(text, gen_role);
    if (nw == 1 && strcmp(verb, "channel") == 0) {
        value_fact = lw_fact_index(S->pb, "channel");
        return rl_completion_matches(text, gen_value);
    }
    if (nw == 2 && (strcmp(verb, "set") == 0 || strcmp(verb, "whatif") == 0)) {
        value_fact = lw_fact_index(S->pb, words[1]);
        if (value_fact >= 0 && strcmp(lw_fact_type(S->pb, (size_t)value_fact), "role") == 0)
            return rl_completion_matches(text, gen_role);
        if (value_fact >= 0 && strcmp(lw_fact_type(S->pb, (size_t)value_fact), "bool") == 0)
            return rl_completion_matches(text, gen_bool);
        return rl_completion_matches(text, gen_value);
    }
    return NULL;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static char *history_path(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home)
        return NULL;
    size_t n = strlen(home) + 32;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/.leeway_history", home);
    return p;
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
static char *read_command(session *S, size_t *skipped)
{
    char *acc = NULL;
    size_t acc_len = 0;
    *skipped = 0;
    for (;;) {
        char *line;
        size_t len = 0;
        if (S->interactive) {
            interrupted = 0;
            tty_line = tty_skipped = 0;
            line = readline(acc ? "...> " : "leeway> ");
            if (interrupted) {
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
            if (!read_line(stdin, &line, &cap, &len)) {
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

int cmd_repl(int argc, char **argv)
{
    session S;
    memset(&S, 0, sizeof S);
    lw_options eopt;
    lw_options_init(&eopt);
    const char *pb_arg = NULL;
    for (int i = 0; i < argc; i++) {
        int b = parse_budget_flag(argc, argv, &i, &eopt);
        if (b < 0)
            return EXIT_USAGE;
        if (b == 0 && (argv[i][0] == '-' || pb_arg)) {
            fputs("usage: leeway repl [PLAYBOOK] " BUDGET_USAGE "\n", stderr);
            return EXIT_USAGE;
        }
        if (b == 0)
            pb_arg = argv[i];
    }
    S.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
    S.color = S.interactive && use_color(stdout);
    S.e = lw_engine_new(&eopt);
    S.e2 = lw_engine_new(&eopt);
    if (!S.e || !S.e2) {
        fputs("leeway repl: out of memory\n", stderr);
        lw_engine_free(S.e);
        lw_engine_free(S.e2);
        return EXIT_USAGE;
    }
    completion_session = &S;
    char *hist = NULL;
    if (S.interactive) {
        /* libedit reads multibyte characters (Äiti) only in the user's locale;
        ** numbers keep the C locale */
        setlocale(LC_CTYPE, "");
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigint;
        sigaction(SIGINT, &sa, NULL);
        rl_attempted_completion_function = complete;
        rl_getc_function = tty_getc;
        hist = history_path();
        if (hist)
            read_history(hist);
        printf("leeway %s -- the trainer's REPL. `help` lists the commands; Ctrl-D leaves.\n",
               lw_version());
    }
    if (pb_arg)
        load(&S, pb_arg, false);
    char *line;
    size_t skipped;
    while (!quit_requested && (line = read_command(&S, &skipped)) != NULL) {
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (skipped) {
            if (!S.interactive)
                echo_start(&S, s);
            err(&S, "%s", too_long(skipped));
        } else if (*s && *s != '#') {
            if (S.interactive)
                add_history(s);
            else
                printf("> %s\n", s);
            run_line(&S, s);
        }
        free(line);
        fflush(stdout);
    }
    if (hist) {
        write_history(hist);
        free(hist);
    }
    if (S.interactive && !quit_requested)
        putchar('\n');
    lw_case_free(S.c);
    lw_playbook_free(S.pb);
    lw_engine_free(S.e);
    lw_engine_free(S.e2);
    free(S.role);
    free(S.pb_path);
    return S.expect_fail ? EXIT_FAILED : EXIT_DONE;
}
