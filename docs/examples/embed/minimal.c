/*
** minimal.c -- load a playbook, decide one case, print the result.
**
**   cc -std=c11 -I engine/include docs/examples/embed/minimal.c \
**      build/debug/libleeway.a \
**      $(pkg-config --cflags --libs lua5.4 yaml-0.1 libutf8proc libcjson) -lm \
**      -o minimal
**   ./minimal docs/examples/returns.yaml
*/
#include <leeway.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "docs/examples/returns.yaml";

    /* 1. Load the playbook once. The report holds errors and lint warnings. */
    lw_playbook *pb = NULL;
    lw_report *rep = NULL;
    int rc = lw_playbook_load(path, NULL, &pb, &rep);
    for (size_t i = 0; i < lw_report_count(rep); i++) {
        char line[1024];
        lw_diag_format(lw_report_get(rep, i), line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    lw_report_free(rep);
    if (rc != LW_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, lw_errstr(rc));
        return 1;
    }

    /* 2. One engine per thread, one case object reused for every case. */
    lw_engine *e = lw_engine_new(NULL);
    lw_case *c = lw_case_new(pb);
    if (!e || !c) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    /* 3. Fill the case. Values are checked against the playbook's facts;
    ** a bad value is recorded and makes the decision `invalid`. */
    lw_case_set_text(c, "request.kind", "return");
    lw_case_set_money(c, "order.value", 8990, NULL);      /* 89.90 in the playbook's currency */
    lw_case_set_number(c, "order.days_since_delivery", 40);
    lw_case_set_text(c, "customer.tier", "member");
    lw_case_set_string(c, "customer.name", "Aino Virtanen");
    lw_case_set_text(c, "channel", "chat");
    lw_case_set_text(c, "staff.role", "agent");

    /* 4. Decide. The decision lives in the engine until the next lw_decide. */
    const lw_decision *d;
    if (lw_decide(e, pb, c, NULL, &d) != LW_OK) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    printf("outcome: %s\n", d->outcome);
    for (size_t i = 0; i < d->n_policies; i++) {
        const lw_policy_result *p = &d->policies[i];
        printf("policy %s: %s", p->id, p->outcome);
        if (p->exception)
            printf(" (exception %s)", p->exception);
        if (p->needs_role)
            printf(", needs %s", p->needs_role);
        printf("\n  why: %s\n", p->reason ? p->reason : "-");
    }
    char amount[64];
    lw_money_format(d->goodwill.amount, 1, amount, sizeof amount);
    printf("goodwill: %s%s\n", amount, d->goodwill.within_authority ? "" : " (needs approval)");
    for (size_t i = 0; i < d->n_missing; i++)
        printf("still to ask: %s\n", d->missing[i]);

    /* 5. The same decision as JSON (docs/playbook-format.md §11). */
    const char *json = lw_decision_json(e, d, 0, NULL);
    printf("%s\n", json ? json : "(out of memory)");

    lw_case_free(c);        /* the case before the playbook it points to */
    lw_engine_free(e);
    lw_playbook_free(pb);
    return 0;
}
