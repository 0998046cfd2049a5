/*
** embed.c -- embedding leeway in a C program, using only leeway.h.
**
**     embed_example [PLAYBOOK]        (default: examples/telecom/playbook.yaml)
**
** Loads a playbook once, builds one case with the C setters (the telecom
** example's situation: an 82-year-old customer's son asks in store, with a
** power of attorney, to end her contract), decides it, prints the outcome,
** every policy result, the goodwill and the decision as JSON. If a policy
** needs a higher role, it decides the same case again as that role -- the
** "what would a senior do" question the REPL answers for trainers.
**
** Every call that can fail is checked; playbook errors and warnings are
** printed with lw_diag_format; everything is freed on every path.
**
** Exit status: 0 decided; 1 the playbook could not be loaded, the case was
** rejected, or the engine failed; 2 usage.
*/
#include <leeway.h>

#include <stdio.h>
#include <string.h>

#define DEFAULT_PLAYBOOK "examples/telecom/playbook.yaml"

/* Print every diagnostic of a report (errors and lint warnings) to stderr. */
static void print_report(const lw_report *r)
{
    char buf[1024];
    size_t n = lw_report_count(r);
    for (size_t i = 0; i < n; i++) {
        const lw_diag *d = lw_report_get(r, i);
        if (!d)
            continue;
        size_t len = lw_diag_format(d, buf, sizeof buf);
        fprintf(stderr, "%s%s\n", buf, len >= sizeof buf ? " [...]" : "");
    }
}

/* One fact of the case. The value is text parsed by the fact's declared type
** (set_text), or a bool or number given directly. */
typedef enum { AS_TEXT, AS_BOOL, AS_NUMBER } how;

typedef struct fact_value {
    const char *path;
    how kind;
    const char *text;
    int b;
    double number;
} fact_value;

static const fact_value CASE_FACTS[] = {
    {"request.kind", AS_TEXT, "terminate", 0, 0},
    {"request.by_proxy", AS_BOOL, NULL, 1, 0},
    {"customer.age", AS_NUMBER, NULL, 0, 82},
    {"customer.name", AS_TEXT, "Aino Virtanen", 0, 0},
    {"channel", AS_TEXT, "store", 0, 0},
    {"staff.role", AS_TEXT, "frontline", 0, 0},
    {"locale", AS_TEXT, "en", 0, 0},
    {"date", AS_TEXT, "2026-11-23", 0, 0},
};

/* Set each fact the playbook declares; facts it does not declare are skipped
** with a note (so the program runs against any playbook). Returns the number
** of values the case rejected. */
static int build_case(const lw_playbook *pb, lw_case *c)
{
    int rejected = 0;
    for (size_t i = 0; i < sizeof CASE_FACTS / sizeof CASE_FACTS[0]; i++) {
        const fact_value *f = &CASE_FACTS[i];
        if (lw_fact_index(pb, f->path) < 0) {
            printf("note: the playbook declares no fact '%s'; not set\n", f->path);
            continue;
        }
        int rc;
        switch (f->kind) {
        case AS_BOOL:
            rc = lw_case_set_bool(c, f->path, f->b);
            break;
        case AS_NUMBER:
            rc = lw_case_set_number(c, f->path, f->number);
            break;
        default:
            rc = lw_case_set_text(c, f->path, f->text);
            break;
        }
        if (rc != LW_OK) {
            fprintf(stderr, "embed_example: setting %s: %s\n", f->path, lw_errstr(rc));
            rejected++;
        }
    }
    /* The case keeps a message for each rejected value. */
    for (size_t i = 0; i < lw_case_problem_count(c); i++)
        fprintf(stderr, "embed_example: case problem: %s\n", lw_case_problem(c, i));
    return rejected;
}

static void print_money(const char *label, lw_money m)
{
    char buf[64];
    lw_money_format(m, 1, buf, sizeof buf);
    printf("%s%s", label, buf);
}

static void print_decision(const lw_decision *d)
{
    printf("outcome: %s   (%s %s)\n", d->outcome, d->playbook, d->version);

    for (size_t i = 0; i < d->n_policies; i++) {
        const lw_policy_result *p = &d->policies[i];
        printf("  policy %s: %s", p->id, p->outcome);
        if (p->exception)
            printf(" by exception %s%s", p->exception, p->discretionary ? " (discretionary)" : "");
        printf("\n");
        if (p->needs_role)
            printf("    needs role: %s\n", p->needs_role);
        for (size_t k = 0; k < p->n_requires; k++)
            printf("    requires: %s\n", p->requires[k]);
        if (p->reason)
            printf("    why: %s\n", p->reason);
        if (p->say)
            printf("    say: \"%s\"\n", p->say);
    }
    if (d->n_policies == 0)
        printf("  no policy applies\n");

    const lw_goodwill_result *g = &d->goodwill;
    print_money("  goodwill: ", g->amount);
    if (g->within_authority)
        printf(" (within authority)\n");
    else
        printf(" (needs %s)\n", g->needs_role ? g->needs_role : "more than any role may grant");

    for (size_t i = 0; i < d->n_promises; i++)
        printf("  promise %s%s%s: %s\n", d->promises[i].id, d->promises[i].due ? " due " : "",
               d->promises[i].due ? d->promises[i].due : "", d->promises[i].text);
    for (size_t i = 0; i < d->n_outputs; i++) {
        char buf[256];
        lw_value_format(&d->outputs[i].value, buf, sizeof buf);
        printf("  output %s = %s\n", d->outputs[i].name, buf);
    }
    for (size_t i = 0; i < d->n_missing; i++)
        printf("  still to ask: %s\n", d->missing[i]);
    for (size_t i = 0; i < d->n_problems; i++)
        printf("  invalid case: %s\n", d->problems[i]);
    for (size_t i = 0; i < d->n_errors; i++)
        printf("  error in rule %s (%s:%d): %s\n", d->errors[i].rule ? d->errors[i].rule : "?",
               d->errors[i].file ? d->errors[i].file : "?", d->errors[i].line,
               d->errors[i].message);
}

/* Build the case, decide it, print it; then, if a policy needs a higher role,
** decide it again as that role. Returns the exit status. */
static int decide_and_print(const lw_playbook *pb, lw_engine *e, lw_case *c)
{
    int rejected = build_case(pb, c);

    /* Decide. Any outcome, even `invalid`, is LW_OK. */
    const lw_decision *d = NULL;
    lw_decide_options dopt = {.role = NULL, .trace = 0};
    int rc = lw_decide(e, pb, c, &dopt, &d);
    if (rc != LW_OK || !d) {
        fprintf(stderr, "embed_example: lw_decide: %s\n", lw_errstr(rc));
        return 1;
    }
    printf("\n-- decision --\n");
    print_decision(d);

    size_t len = 0;
    const char *json = lw_decision_json(e, d, LW_JSON_PRETTY, &len);
    if (!json) {
        fprintf(stderr, "embed_example: lw_decision_json failed\n");
        return 1;
    }
    printf("\n-- as JSON (%zu bytes) --\n%s\n", len, json);

    /* What if a role that may apply the exception handled it? The decision
    ** lives in the engine's memory until the next lw_decide, so copy the role
    ** name out first. */
    char role[64] = "";
    for (size_t i = 0; i < d->n_policies && !role[0]; i++)
        if (d->policies[i].needs_role && strlen(d->policies[i].needs_role) < sizeof role)
            strcpy(role, d->policies[i].needs_role);
    if (role[0]) {
        dopt.role = role;
        rc = lw_decide(e, pb, c, &dopt, &d);
        if (rc != LW_OK || !d) {
            fprintf(stderr, "embed_example: lw_decide as %s: %s\n", role, lw_errstr(rc));
            return 1;
        }
        printf("\n-- the same case decided by %s --\n", role);
        print_decision(d);
    }
    return rejected ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0))) {
        fprintf(stderr, "usage: embed_example [PLAYBOOK]   (default %s)\n", DEFAULT_PLAYBOOK);
        return 2;
    }
    const char *path = argc == 2 ? argv[1] : DEFAULT_PLAYBOOK;
    /* Line-buffered, so results and messages on stderr interleave in order. */
    setvbuf(stdout, NULL, _IOLBF, 0);

    printf("leeway %s (built against %s)\n", lw_version(), LW_VERSION);
    if (lw_version_number() / 100 != LW_VERSION_NUM / 100)
        fprintf(stderr, "embed_example: warning: library %s differs from header %s\n",
                lw_version(), LW_VERSION);

    lw_options opt;
    lw_options_init(&opt);

    /* Load the playbook. The report holds errors and lint warnings, and is
    ** ours to free whether or not the load succeeded. */
    lw_playbook *pb = NULL;
    lw_report *report = NULL;
    int rc = lw_playbook_load(path, &opt, &pb, &report);
    if (report) {
        print_report(report);
        lw_report_free(report);
    }
    if (rc != LW_OK) {
        fprintf(stderr, "embed_example: cannot load %s: %s\n", path, lw_errstr(rc));
        return 1;
    }
    printf("loaded %s: %s %s, %zu facts, %zu roles, %s\n", lw_playbook_file(pb),
           lw_playbook_id(pb), lw_playbook_version(pb), lw_fact_count(pb), lw_role_count(pb),
           lw_playbook_digest(pb));

    /* An engine (one per thread) and a case (it points to the playbook). */
    int status = 1;
    lw_engine *e = lw_engine_new(&opt);
    lw_case *c = lw_case_new(pb);
    if (!e || !c)
        fprintf(stderr, "embed_example: out of memory\n");
    else
        status = decide_and_print(pb, e, c);

    /* Free the case before the playbook it points to. Freeing NULL is a no-op. */
    lw_case_free(c);
    lw_engine_free(e);
    lw_playbook_free(pb);
    return status;
}
