/*
** analyze_versions.c -- versions of a policy in `leeway check`'s analysis:
** policies that share an id, each with its own effective window, should
** follow one another: two versions in force on the same day, or days between
** two versions when none is, are warned about with a case date to try.
** Before the first version begins and after the last ends is no gap: that is
** a policy that starts or ends.
*/
#include "analyze.h"

#include <string.h>

static int64_t starts(const policy *p)
{
    return p->eff.has_from ? p->eff.from : INT64_MIN;
}

static int64_t ends(const policy *p)
{
    return p->eff.has_until ? p->eff.until : INT64_MAX;
}

/* "from 2026-01-01 until 2026-07-01" (until: not on that day). */
static const char *window_words(analysis *an, const policy *p)
{
    char from[32], until[32];
    if (p->eff.has_from)
        date_format(p->eff.from, from, sizeof from);
    if (p->eff.has_until)
        date_format(p->eff.until, until, sizeof until);
    if (!p->eff.has_until)
        return arena_printf(&an->work, "from %s on", from);
    if (!p->eff.has_from)
        return arena_printf(&an->work, "until %s", until);
    return arena_printf(&an->work, "from %s until %s", from, until);
}

/* The cases dated within w where p applies (over), as boxes; the inputs they
** depend on join the finding. */
static bool cases_in(analysis *an, const policy *p, const window *w, boxes *out)
{
    boxes fixed = {0, 0, NULL}, on = {0, 0, NULL}, cond;
    box wb = window_box(an, w), ch = channels_box(an, p->channels);
    finding_expr(an, p->applies);
    finding_dim(an, (size_t)an->pb->f_date);
    if (p->channels && an->pb->f_channel >= 0)
        finding_dim(an, (size_t)an->pb->f_channel);
    return cond_boxes(an, p->applies, OVER, &cond) && boxes_add(&an->sp, &fixed, &wb) &&
           boxes_add(&an->sp, &on, &ch) && boxes_meet(&an->sp, &fixed, &on, &fixed) &&
           boxes_meet(&an->sp, &cond, &fixed, out);
}

static window between(int64_t from, int64_t until)
{
    return (window){from != INT64_MIN, until != INT64_MAX, from, until};
}

/* Two versions in force on the same day; b comes after a in the playbook.
** Versions whose conditions never hold together do not meet. */
static void check_overlap(analysis *an, const policy *a, const policy *b)
{
    int64_t lo = starts(a) > starts(b) ? starts(a) : starts(b);
    int64_t hi = ends(a) < ends(b) ? ends(a) : ends(b);
    if (lo >= hi)
        return;
    window both = between(lo, hi);
    boxes ca, cb, met;
    finding_start(an);
    if (!cases_in(an, a, &both, &ca) || !cases_in(an, b, &both, &cb) ||
        !boxes_meet(&an->sp, &ca, &cb, &met) || met.n == 0)
        return;
    const char *ex = finding_example(an, &met.b[0]);
    report_add(an->r, LW_WARNING, b->at, b->id,
               "this version of the policy '%s' (%s) and the one at line %d (%s) are both in "
               "force on some days, so a case dated then gets both (for example %s%s); let "
               "one version end where the next begins",
               b->id, window_words(an, b), a->at.line, window_words(an, a), ex ? ex : "",
               opaque_note(an));
}

/* Days between the end of the version `last` and the start of v, when no
** version is in force: a case the last version decided gets no answer. */
static void check_gap(analysis *an, const policy *last, const policy *v)
{
    window gap = between(ends(last), starts(v));
    boxes cases;
    finding_start(an);
    if (!cases_in(an, last, &gap, &cases) || cases.n == 0)
        return;
    const char *ex = finding_example(an, &cases.b[0]);
    char from[32], until[32];
    date_format(gap.from, from, sizeof from);
    date_format(gap.until, until, sizeof until);
    report_add(an->r, LW_WARNING, v->at, v->id,
               "no version of the policy '%s' is in force from %s until %s: the one at line %d "
               "ends before this one begins, so a case dated then meets no '%s' at all (for "
               "example %s%s); let this version begin where the other ends, or add a version "
               "for those days",
               v->id, from, until, last->at.line, v->id, ex ? ex : "", opaque_note(an));
}

/* The versions of the id starting at head, by start date; warns about the
** days no version covers between the first start and the last end. */
static void check_gaps(analysis *an, const policy *head)
{
    const lw_playbook *pb = an->pb;
    size_t n = 0;
    for (const policy *v = head; v; v = v->next_version >= 0 ? &pb->policies[v->next_version] : NULL)
        n++;
    const policy **by_start = arena_alloc(&an->work, n * sizeof *by_start);
    if (!by_start)
        return;
    size_t k = 0;
    for (const policy *v = head; v; v = v->next_version >= 0 ? &pb->policies[v->next_version] : NULL) {
        size_t i = k++;
        while (i > 0 && starts(by_start[i - 1]) > starts(v)) {
            by_start[i] = by_start[i - 1];
            i--;
        }
        by_start[i] = v;
    }
    const policy *last = by_start[0]; /* the version that covers the latest day so far */
    for (size_t i = 1; i < n; i++) {
        const policy *v = by_start[i];
        if (ends(last) < starts(v))
            check_gap(an, last, v);
        if (ends(v) > ends(last))
            last = v;
    }
}

void analyze_versions(analysis *an)
{
    const lw_playbook *pb = an->pb;
    if (pb->f_date < 0)
        return; /* versions need effective windows, and those the date */
    rule_start(an);
    bool *later = arena_alloc(&an->work, pb->n_policies ? pb->n_policies : 1);
    if (!later)
        return;
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *head = &pb->policies[i];
        if (later[i] || head->next_version < 0)
            continue;
        for (const policy *b = head; b->next_version >= 0;) {
            later[b->next_version] = true;
            b = &pb->policies[b->next_version];
            for (const policy *a = head; a != b; a = &pb->policies[a->next_version])
                check_overlap(an, a, b);
        }
        check_gaps(an, head);
    }
}
