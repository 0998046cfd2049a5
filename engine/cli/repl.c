/*
** repl.c -- `leeway repl [PLAYBOOK]`: the trainer's REPL. Build a customer
** situation fact by fact, switch the acting role, decide, ask why, ask what
** would have to change, try "what if", and play prepared scenario files.
**
** Built on leeway.h only, like the rest of the CLI. On a terminal it uses
** libedit (history in ~/.leeway_history, completion of commands, fact paths,
** enum values and roles); otherwise it reads commands from stdin, echoes each
** as "> command" and prints without colour, so sessions can be tested as
** transcripts (tests/repl). Reading commands is in repl_input.c, `expect`
** and `scenario` in repl_scenario.c, what `whatif` prints in
** decision_diff.c.
*/
#include "repl.h"

#include <editline/readline.h>
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool repl_quit_requested;

/* ======================================================================
** Output helpers
*/
const char *repl_color(session *S, const char *code)
{
    return S->color ? code : "";
}

void repl_error(session *S, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%serror:%s ", repl_color(S, RED), repl_color(S, OFF));
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
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
bool repl_has_playbook(session *S)
{
    if (S->pb)
        return true;
    repl_error(S, "no playbook loaded: use `load PLAYBOOK.yaml`");
    return false;
}

static void print_report_out(session *S, const lw_report *r)
{
    for (size_t i = 0; i < lw_report_count(r); i++) {
        char line[2048];
        lw_diag_format(lw_report_get(r, i), line, sizeof line);
        printf("%s%s%s\n", repl_color(S, lw_report_get(r, i)->severity == LW_ERROR ? RED : YELLOW), line,
               repl_color(S, OFF));
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
        repl_error(S, "out of memory");
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

/* Set a fact, checking the value on a scratch case first so a bad value
** leaves the session's case as it was. */
static bool set_fact(session *S, const char *path, const char *value)
{
    if (lw_fact_index(S->pb, path) < 0) {
        lw_case *tmp = lw_case_new(S->pb);
        lw_case_set_text(tmp, path, value);
        repl_error(S, "%s", lw_case_problem_count(tmp) ? lw_case_problem(tmp, 0) : "unknown fact");
        lw_case_free(tmp);
        return false;
    }
    lw_case *tmp = lw_case_new(S->pb);
    if (!tmp) {
        repl_error(S, "out of memory");
        return false;
    }
    int rc = lw_case_set_text(tmp, path, value);
    if (rc != LW_OK) {
        /* the message lists an enum's values and the roles (with a
        ** did-you-mean); for other types, say what a value looks like */
        const char *type = lw_fact_type(S->pb, (size_t)lw_fact_index(S->pb, path));
        repl_error(S, "%s", lw_case_problem_count(tmp) ? lw_case_problem(tmp, 0) : "not a valid value");
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
const char *repl_nearest(const char *word, size_t (*count)(void), const char *(*item)(size_t))
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
        repl_error(S, "no command '%s'; `help` lists them", args);
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
        repl_error(S, "load needs a playbook file: load examples/telecom/playbook.yaml");
        return;
    }
    load(S, args, false);
}

static void repl_reload(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
        return;
    load(S, S->pb_path, true);
}

char *repl_next_word(char **args)
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
    if (!repl_has_playbook(S))
        return;
    char *path = repl_next_word(&args);
    if (!*path || !*args) {
        repl_error(S, "set takes a fact and a value: set customer.age 82");
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
    if (!repl_has_playbook(S))
        return;
    if (!*args) {
        repl_error(S, "unset takes a fact: unset customer.age");
        return;
    }
    if (lw_fact_index(S->pb, args) < 0) {
        repl_error(S, "'%s' is not a fact of this playbook; `facts` lists them", args);
        return;
    }
    lw_case_unset(S->c, args);
    printf("%s is no longer set\n", args);
}

static void set_special(session *S, const char *fact, const char *what, char *args)
{
    if (!repl_has_playbook(S))
        return;
    if (lw_fact_index(S->pb, fact) < 0) {
        repl_error(S, "this playbook has no '%s' fact, so the %s cannot be set", fact, what);
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
    if (!repl_has_playbook(S))
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
    /* worded as the library words an unknown role (a case's staff.role) */
    const char *best = repl_nearest(args, n_roles, role_at);
    printf("%serror:%s '%s' is not a role of this playbook (", repl_color(S, RED),
           repl_color(S, OFF), args);
    if (!lw_role_count(S->pb))
        printf("no roles are declared under roles:");
    for (size_t i = 0; i < lw_role_count(S->pb); i++)
        printf("%s%s", i ? ", " : "the roles are ", lw_role_id(S->pb, i));
    if (best)
        printf("; did you mean '%s'?", best);
    printf(")\n");
}

static void repl_show(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
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
    if (!repl_has_playbook(S))
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
            printf("  %s-- %s%s", repl_color(S, DIM), doc, repl_color(S, OFF));
        putchar('\n');
    }
}

static void repl_case(session *S, char *args)
{
    if (!repl_has_playbook(S))
        return;
    if (!*args) {
        repl_error(S, "case takes a case file (.json or .yaml): case examples/telecom/cases/poa-82.json");
        return;
    }
    lw_case *c = lw_case_new(S->pb);
    const char *msg = NULL;
    lw_case_read_file(c, args, &msg);
    if (msg || lw_case_problem_count(c)) {
        if (msg && strstr(msg, ": error: "))
            printf("%s\n", msg); /* FILE:LINE:COL: error: ... */
        else if (msg)
            repl_error(S, "%s", msg);
        else
            repl_error(S, "%s", lw_case_problem(c, 0));
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
    if (!repl_has_playbook(S))
        return;
    if (!*args) {
        repl_error(S, "save takes a file name: save my-case.yaml");
        return;
    }
    FILE *f = fopen(args, "w");
    if (!f) {
        repl_error(S, "cannot write %s: %s", args, strerror(errno));
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
        repl_error(S, "cannot write %s", args);
    else
        printf("saved %zu fact%s to %s\n", n, n == 1 ? "" : "s", args);
}

static void repl_reset(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
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
        repl_error(S, "the decision failed (out of memory)");
        return NULL;
    }
    return d;
}

const lw_decision *repl_decision(session *S, lw_engine *e, int trace)
{
    lw_decide_options o = opts(S, trace);
    return decide_with(S, e, &o);
}

static void repl_decide(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
        return;
    const lw_decision *d = repl_decision(S, S->e, 0);
    if (d)
        print_decision_text(stdout, d, S->color);
}

static void repl_missing(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
        return;
    const lw_decision *d = repl_decision(S, S->e, 0);
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
    if (!repl_has_playbook(S))
        return;
    const lw_decision *d = repl_decision(S, S->e, 1);
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
        printf("  %s%s%s  ", repl_color(S, color), mark, repl_color(S, OFF));
        pad(head, col + 2);
        printf("line %d%s\n", t->line,
               t->result == LW_UNKNOWN ? "  (could not be decided)" : "");
    }
    printf("outcome: %s\n", d->outcome);
}

static void repl_whatif(session *S, char *args)
{
    if (!repl_has_playbook(S))
        return;
    char *path = repl_next_word(&args);
    if (!*path || !*args) {
        repl_error(S, "whatif takes a fact and a value: whatif customer.age 74");
        return;
    }
    int f = lw_fact_index(S->pb, path);
    if (f < 0) {
        repl_error(S, "'%s' is not a fact of this playbook; `facts` lists them", path);
        return;
    }
    lw_value old;
    int given = lw_case_value(S->c, (size_t)f, &old);
    if (old.type == LW_V_LIST) {
        repl_error(S, "whatif cannot change a list fact; use set");
        return;
    }
    char old_text[1024];
    lw_value_format(&old, old_text, sizeof old_text);
    /* `as ROLE` overrides staff.role: a what-if on it changes the acting role */
    bool acting = S->role && strcmp(path, "staff.role") == 0;
    const lw_decision *before = repl_decision(S, S->e, 0);
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
    if (!repl_has_playbook(S))
        return;
    lw_decide_options o = opts(S, 0);
    const lw_flip_item *items;
    size_t n;
    if (lw_flip(S->e, S->pb, S->c, &o, &items, &n) != LW_OK) {
        repl_error(S, "could not work it out (out of memory)");
        return;
    }
    if (n == 0) {
        printf("every rule that could fire has fired (or the case is invalid)\n");
        return;
    }
    printf("what would make each rule that did not fire, fire:\n");
    for (size_t i = 0; i < n; i++)
        printf("  %s %s%s%s (line %d): %s\n", items[i].kind, repl_color(S, BOLD), items[i].rule,
               repl_color(S, OFF), items[i].line, items[i].change);
}

typedef struct test_run {
    session *S;
} test_run;

static void on_test(void *ud, const lw_test_result *r)
{
    session *S = ud;
    if (r->passed)
        printf("  %sok%s    %s\n", repl_color(S, GREEN), repl_color(S, OFF), r->name);
    else
        printf("  %sFAIL%s  %s (line %d)\n        %s\n", repl_color(S, RED), repl_color(S, OFF), r->name, r->line,
               r->failure);
}

static void repl_test(session *S, char *args)
{
    (void)args;
    if (!repl_has_playbook(S))
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
    if (!repl_has_playbook(S))
        return;
    if (!*args) {
        repl_error(S, "lua takes an expression or statements: lua case.customer.age + 1");
        return;
    }
    const char *result;
    if (lw_eval_lua(S->e, S->pb, S->c, args, &result) == LW_OK)
        printf("%s\n", result);
    else
        repl_error(S, "%s", result);
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
    repl_quit_requested = true;
}

void repl_run_line(session *S, char *line)
{
    char *args = line;
    char *name = repl_next_word(&args);
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
    const char *best = repl_nearest(name, n_commands, command_at);
    if (best)
        repl_error(S, "unknown command '%s' (did you mean `%s`?); `help` lists the commands", name, best);
    else
        repl_error(S, "unknown command '%s'; `help` lists the commands", name);
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
        sa.sa_handler = repl_on_sigint;
        sigaction(SIGINT, &sa, NULL);
        rl_attempted_completion_function = complete;
        rl_getc_function = repl_tty_getc;
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
    while (!repl_quit_requested && (line = repl_read_command(&S, &skipped)) != NULL) {
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (skipped) {
            if (!S.interactive)
                repl_echo_start(&S, s);
            repl_error(&S, "%s", repl_too_long(skipped));
        } else if (*s && *s != '#') {
            if (S.interactive)
                add_history(s);
            else
                printf("> %s\n", s);
            repl_run_line(&S, s);
        }
        free(line);
        fflush(stdout);
    }
    if (hist) {
        write_history(hist);
        free(hist);
    }
    if (S.interactive && !repl_quit_requested)
        putchar('\n');
    lw_case_free(S.c);
    lw_playbook_free(S.pb);
    lw_engine_free(S.e);
    lw_engine_free(S.e2);
    free(S.role);
    free(S.pb_path);
    return S.expect_fail ? EXIT_FAILED : EXIT_DONE;
}
