/*
** handbook.c -- the staff handbook (`leeway doc`, docs/handbook.md): what a
** playbook says, written for the people who apply it. Roles with their
** goodwill limits and what each may apply, every policy with its reasons and
** what to tell the customer, the goodwill pipeline and the decision tables
** row by row, outputs, promises, effective windows and the facts to ask for,
** stamped with the playbook's id, version and bundle digest.
**
** One self-contained HTML page (one inline stylesheet, no scripts, well-formed
** as XML too, printable) or Markdown. The content is written once against a
** few writing primitives (headings, definitions, tables, text, code) that
** speak either format. The output is a function of the playbook, the format
** and the language only -- no dates, no clock -- so it is reproducible byte
** for byte.
*/
#include "internal.h"

#include <stdio.h>
#include <string.h>

/* ======================================================================
** Writing primitives, HTML or Markdown
*/
typedef struct doc {
    strbuf *b;
    const lw_playbook *pb;
    bool md;
    const char *lang;        /* the texts' language */
    bool in_cell;            /* Markdown: inside a table cell ('|' is escaped) */
    size_t cols, col;        /* Markdown: the table's columns, the current one */
    bool head;               /* Markdown: writing the table's header row */
    int n_anchor;            /* HTML: anchors handed out so far */
} doc;

static void put(doc *d, const char *s)
{
    buf_puts(d->b, s);
}

/* Text, escaped for the format. Control characters (which XML forbids even
** escaped) become U+FFFD; in Markdown a line break becomes a space. */
static void text_n(doc *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') || ch == 0x7f) {
            put(d, "\xef\xbf\xbd");
        } else if (!d->md) {
            switch (ch) {
            case '&': put(d, "&amp;"); break;
            case '<': put(d, "&lt;"); break;
            case '>': put(d, "&gt;"); break;
            case '"': put(d, "&quot;"); break;
            case '\'': put(d, "&#39;"); break;
            default: buf_putc(d->b, (char)ch); break;
            }
        } else if (ch == '\n' || ch == '\r') {
            buf_putc(d->b, ' ');
        } else {
            if (strchr("\\`*_[]<>|~#&", ch))
                buf_putc(d->b, '\\');
            buf_putc(d->b, (char)ch);
        }
    }
}

static void text(doc *d, const char *s)
{
    text_n(d, s, strlen(s));
}

static void textf(doc *d, const char *fmt, ...) LW_PRINTF(2, 3);
static void textf(doc *d, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    text_n(d, tmp, n < 0 ? 0 : (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Code as written in the playbook (an expression, an id): <code> or a
** Markdown code span whose fence is longer than any run of backticks in it. */
static void code_n(doc *d, const char *s, size_t n)
{
    if (!d->md) {
        put(d, "<code>");
        text_n(d, s, n);
        put(d, "</code>");
        return;
    }
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    for (size_t k = 0; k <= longest; k++)
        buf_putc(d->b, '`');
    bool pad = n && (s[0] == '`' || s[n - 1] == '`');
    if (pad)
        buf_putc(d->b, ' ');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            buf_putc(d->b, ' ');
        else if (ch == '|' && d->in_cell)
            put(d, "\\|");
        else
            buf_putc(d->b, (char)ch);
    }
    if (pad)
        buf_putc(d->b, ' ');
    for (size_t k = 0; k <= longest; k++)
        buf_putc(d->b, '`');
}

static void code(doc *d, const char *s)
{
    code_n(d, s, strlen(s));
}

/* Words as code, separated by commas. */
static void code_list(doc *d, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            text(d, ", ");
        code(d, words[i]);
    }
}

static void expr_code(doc *d, const expr *e)
{
    strbuf t;
    buf_init(&t, d->b->mem);
    print_expr(&t, d->pb, e, 0);
    code_n(d, t.p ? t.p : "", t.len);
    d->b->failed |= t.failed;
    buf_free(&t);
}

/* A heading; HTML gets an anchor "sN" when anchor is true (the contents). */
static void heading(doc *d, int level, const char *anchor, const char *title)
{
    if (d->md) {
        put(d, "\n");
        for (int i = 0; i < level; i++)
            buf_putc(d->b, '#');
        buf_putc(d->b, ' ');
        text(d, title);
        put(d, "\n\n");
        return;
    }
    buf_printf(d->b, "<h%d", level);
    if (anchor) {
        put(d, " id=\"");
        text(d, anchor);
        buf_putc(d->b, '"');
    }
    buf_putc(d->b, '>');
    text(d, title);
    buf_printf(d->b, "</h%d>\n", level);
}

/* A rule's heading: its title (if any) and its id as code. */
static void rule_heading(doc *d, int level, const char *title, const char *id)
{
    if (d->md) {
        put(d, "\n");
        for (int i = 0; i < level; i++)
            buf_putc(d->b, '#');
        buf_putc(d->b, ' ');
    } else {
        buf_printf(d->b, "<h%d id=\"r%d\">", level, ++d->n_anchor);
    }
    if (title) {
        text(d, title);
        put(d, " ");
    }
    code(d, id);
    if (d->md)
        put(d, "\n\n");
    else
        buf_printf(d->b, "</h%d>\n", level);
}

static void para_open(doc *d, const char *cls)
{
    if (!d->md)
        buf_printf(d->b, "<p%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
}

static void para_close(doc *d)
{
    put(d, d->md ? "\n\n" : "</p>\n");
}

static void para(doc *d, const char *cls, const char *s)
{
    para_open(d, cls);
    text(d, s);
    para_close(d);
}

/* Definitions: "label: value" entries. */
static void defs_open(doc *d)
{
    if (!d->md)
        put(d, "<dl>\n");
}

static void def_open(doc *d, const char *label)
{
    if (d->md) {
        put(d, "- **");
        text(d, label);
        put(d, ":** ");
    } else {
        put(d, "<dt>");
        text(d, label);
        put(d, "</dt><dd>");
    }
}

static void def_close(doc *d)
{
    put(d, d->md ? "\n" : "</dd>\n");
}

static void defs_close(doc *d)
{
    put(d, d->md ? "\n" : "</dl>\n");
}

/* Tables: open with the caption, then header cells, then rows of cells. */
static void table_open(doc *d, const char *cls, const char *caption)
{
    if (d->md) {
        if (caption) {
            put(d, "*");
            text(d, caption);
            put(d, "*\n\n");
        }
        d->cols = 0;
        d->head = true;
        put(d, "|");
        return;
    }
    buf_printf(d->b, "<div class=\"wide\"><table class=\"%s\">\n", cls);
    if (caption) {
        put(d, "<caption>");
        text(d, caption);
        put(d, "</caption>\n");
    }
    put(d, "<thead><tr>");
}

static void th_open(doc *d)
{
    if (d->md) {
        d->in_cell = true;
        put(d, " ");
    } else {
        put(d, "<th scope=\"col\">");
    }
}

static void th_close(doc *d)
{
    if (d->md) {
        put(d, " |");
        d->in_cell = false;
        d->cols++;
    } else {
        put(d, "</th>");
    }
}

static void th(doc *d, const char *s)
{
    th_open(d);
    text(d, s);
    th_close(d);
}

static void row_open(doc *d)
{
    if (d->md) {
        if (d->head) {
            put(d, "\n|");
            for (size_t i = 0; i < d->cols; i++)
                put(d, " --- |");
            d->head = false;
        }
        put(d, "\n|");
        d->col = 0;
        return;
    }
    if (d->cols == 0) {
        put(d, "</tr></thead>\n<tbody>\n");
        d->cols = 1;
    }
    put(d, "<tr>");
}

static void row_close(doc *d)
{
    if (!d->md)
        put(d, "</tr>\n");
}

/* A cell: row_head marks the row's label (<th scope="row">). */
static void cell_open(doc *d, bool row_head)
{
    if (d->md) {
        d->in_cell = true;
        put(d, " ");
        return;
    }
    put(d, row_head ? "<th scope=\"row\">" : "<td>");
}

static void cell_close(doc *d, bool row_head)
{
    if (d->md) {
        put(d, " |");
        d->in_cell = false;
        d->col++;
        return;
    }
    put(d, row_head ? "</th>" : "</td>");
}

/* A cell holding one id or path as code, and one holding an expression. */
static void cell_code(doc *d, bool row_head, const char *s)
{
    cell_open(d, row_head);
    code(d, s);
    cell_close(d, row_head);
}

static void cell_expr(doc *d, const expr *e)
{
    cell_open(d, false);
    expr_code(d, e);
    cell_close(d, false);
}

static void table_close(doc *d)
{
    if (d->md) {
        if (d->head) { /* no rows */
            put(d, "\n|");
            for (size_t i = 0; i < d->cols; i++)
                put(d, " --- |");
            d->head = false;
        }
        put(d, "\n\n");
        return;
    }
    put(d, d->cols ? "</tbody>\n</table></div>\n" : "</tr></thead>\n</table></div>\n");
    d->cols = 0;
}

/* ======================================================================
** The playbook's values, words and texts
*/
static void value(doc *d, const val *v)
{
    char tmp[256];
    val_format(d->pb, v, tmp, sizeof tmp);
    text(d, tmp);
}

static void money(doc *d, int64_t fine)
{
    char tmp[64];
    money_format(money_to_minor(fine), d->pb->cur, true, tmp, sizeof tmp);
    text(d, tmp);
}

static const char *outcome_name(const lw_playbook *pb, int outcome)
{
    return outcome >= 0 && (size_t)outcome < pb->n_outcomes ? pb->outcomes[outcome].word : "?";
}

static void outcome(doc *d, int o)
{
    const char *w = outcome_name(d->pb, o);
    if (d->md) {
        put(d, "**");
        text(d, w);
        put(d, "**");
        return;
    }
    put(d, "<strong class=\"outcome ");
    put(d, o == OUT_ALLOW ? "allow" : o == OUT_DENY ? "deny" : o == OUT_ESCALATE ? "escalate" : "other");
    put(d, "\">");
    text(d, w);
    put(d, "</strong>");
}

/* A localised text in the handbook's language (else the playbook's locale,
** else the first given), its {placeholders} shown as written, not filled
** in. A text in another language than asked for says which it is. */
static void ltext_put(doc *d, const ltext *m)
{
    const tmpl *t = pick_lang(m, d->lang, d->pb->locale);
    if (!t)
        return;
    const char *lang = m->lang[t - m->text];
    if (!*lang)
        lang = d->pb->locale;
    if (!d->md) {
        put(d, "<span lang=\"");
        text(d, lang);
        put(d, "\">");
    }
    for (size_t i = 0; i < t->n; i++) {
        const tmpl_part *p = &t->parts[i];
        if (!p->e) {
            text_n(d, p->lit, p->len);
            continue;
        }
        if (d->md) {
            put(d, "`{");
            for (size_t k = 0; k < p->len; k++)
                buf_putc(d->b, p->lit[k] == '`' || (unsigned char)p->lit[k] < 0x20 ? ' '
                                                                                  : p->lit[k]);
            put(d, "}`");
        } else {
            put(d, "<var class=\"ph\" title=\"filled in from the case\">{");
            text_n(d, p->lit, p->len);
            put(d, "}</var>");
        }
    }
    if (!d->md)
        put(d, "</span>");
    if (strcmp(lang, d->lang) != 0) {
        put(d, d->md ? " *(" : " <small>(");
        text(d, lang);
        put(d, d->md ? ")*" : ")</small>");
    }
}

static void ltext_def(doc *d, const char *label, const ltext *m)
{
    if (m->n == 0)
        return;
    def_open(d, label);
    ltext_put(d, m);
    def_close(d);
}

static void expr_def(doc *d, const char *label, const expr *e)
{
    if (!e)
        return;
    def_open(d, label);
    expr_code(d, e);
    def_close(d);
}

static void window_def(doc *d, const window *w)
{
    if (!w->has_from && !w->has_until)
        return;
    char a[32], b[32];
    def_open(d, "In force");
    if (w->has_from) {
        date_format(w->from, a, sizeof a);
        textf(d, "from %s", a);
    }
    if (w->has_until) {
        date_format(w->until, b, sizeof b);
        textf(d, "%sup to %s (not on that day)", w->has_from ? " " : "", b);
    }
    text(d, "; compared with the case's date");
    def_close(d);
}

/* ======================================================================
** Authority: who may apply what. Kept in one place so that finer authority
** (per exception, escalation to a named role) changes only these functions.
*/

/* May the role at index r apply exception x? Automatic
** exceptions apply by themselves; discretionary ones need the policy or the
** exception (POLICY.EXCEPTION) in the role's may_override (inherited up the
** ladder) or may_override: all. */
static bool role_may_apply(size_t r, const exception_rule *x)
{
    return !x->discretionary || (x->overriders >= 0 && (size_t)x->overriders <= r);
}

/* An outcome and, for an escalation that names its role, " to ROLE". */
static void outcome_to(doc *d, int o, int escalate_to)
{
    outcome(d, o);
    if (o == OUT_ESCALATE && escalate_to >= 0) {
        text(d, " to ");
        code(d, d->pb->roles[escalate_to].id);
    }
}

/* For a discretionary exception: the roles that may apply it, in words. */
static void who_may_apply(doc *d, const policy *p, const exception_rule *x)
{
    const lw_playbook *pb = d->pb;
    size_t first = pb->n_roles;
    for (size_t r = 0; r < pb->n_roles && first == pb->n_roles; r++)
        if (role_may_apply(r, x))
            first = r;
    if (first == pb->n_roles) {
        text(d, "at staff's discretion, but no role may apply it: it always escalates");
        return;
    }
    text(d, "at staff's discretion, by ");
    code(d, pb->roles[first].id);
    text(d, first + 1 < pb->n_roles ? " and the roles above it; anyone else escalates"
                                    : " only; anyone else escalates");
}

/* A role's column "may apply": the discretionary exceptions it may apply. */
static void role_may_apply_cell(doc *d, size_t r)
{
    const lw_playbook *pb = d->pb;
    bool all = false; /* may_override: all, on this role or one before it */
    for (size_t k = 0; k <= r; k++)
        all |= pb->roles[k].all;
    if (all) {
        text(d, "every discretionary exception (may_override: all)");
        return;
    }
    bool any = false;
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        bool first_of_policy = true;
        for (size_t k = 0; k < p->n_exc; k++) {
            const exception_rule *x = &p->exc[k];
            if (!x->discretionary || !role_may_apply(r, x))
                continue;
            if (first_of_policy) {
                if (any)
                    put(d, d->md ? "; " : "<br/>");
                code(d, p->id);
                text(d, ": ");
            } else {
                text(d, ", ");
            }
            code(d, x->id);
            first_of_policy = false;
            any = true;
        }
    }
    if (!any)
        text(d, "no discretionary exception");
}

/* ======================================================================
** Decision tables
*/
static const char *hit_words(const table *t)
{
    switch (t->hit) {
    case HIT_FIRST: return "hit policy first: the first row that matches decides";
    case HIT_UNIQUE: return "hit policy unique: at most one row may match";
    case HIT_ANY: return "hit policy any: the rows that match must agree";
    case HIT_PRIORITY:
        return "hit policy priority: of the rows that match, the result listed first in "
               "the declared values wins";
    case HIT_COLLECT:
        switch (t->agg) {
        case AGG_SUM: return "hit policy collect, sum: the results of every matching row added up";
        case AGG_MIN: return "hit policy collect, min: the smallest result of the matching rows";
        case AGG_MAX: return "hit policy collect, max: the largest result of the matching rows";
        case AGG_COUNT: return "hit policy collect, count: how many rows match";
        default: return "hit policy collect: the results of every matching row, in row order";
        }
    case HIT_RULE_ORDER: return "hit policy rule_order: the results of every matching row, in row order";
    case HIT_OUTPUT_ORDER:
        return "hit policy output_order: the results of every matching row, in the order of "
               "the declared values";
    }
    return "";
}

/* One condition cell as a table's author writes it: "-", "gold, silver",
** ">= 4", "1..3", "not(...)". */
static void cell_text(strbuf *b, const lw_playbook *pb, const cell *c, const expr *input)
{
    char tmp[256];
    switch (c->kind) {
    case CELL_ANY:
        buf_putc(b, '-');
        break;
    case CELL_MASK: {
        bool first = true;
        for (int i = 0; i < 64; i++) {
            if (!(c->mask >> i & 1))
                continue;
            if (!first)
                buf_puts(b, ", ");
            first = false;
            if (input->type == T_ENUM && input->set && (size_t)i < input->set->n)
                buf_puts(b, input->set->words[i]);
            else
                buf_puts(b, i == 0 ? "false" : "true");
        }
        break;
    }
    case CELL_EQ:
    case CELL_CMP:
        if (c->kind == CELL_CMP) {
            static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
            buf_puts(b, c->op >= X_EQ && c->op <= X_GE ? ops[c->op - X_EQ] : "?");
            buf_putc(b, ' ');
        }
        val_format(pb, &c->a, tmp, sizeof tmp);
        if (c->a.t == V_STR)
            buf_printf(b, "\"%s\"", tmp);
        else
            buf_puts(b, tmp);
        break;
    case CELL_RANGE:
        val_format(pb, &c->a, tmp, sizeof tmp);
        buf_puts(b, tmp);
        buf_puts(b, "..");
        val_format(pb, &c->b, tmp, sizeof tmp);
        buf_puts(b, tmp);
        break;
    case CELL_OR:
        for (size_t i = 0; i < c->n_sub; i++) {
            if (i)
                buf_puts(b, ", ");
            cell_text(b, pb, c->sub[i], input);
        }
        break;
    case CELL_NOT:
        buf_puts(b, "not(");
        cell_text(b, pb, c->sub[0], input);
        buf_putc(b, ')');
        break;
    }
}

/* A decision table as a real table: the row's number (what a decision's
** steps[].row names), its id when the playbook gives one, one column per
** input, and the result named result_name (or, with several results, one
** column per result, by its name). */
static void table_put(doc *d, const table *t, const char *result_name)
{
    bool ids = false;
    for (size_t r = 0; r < t->n_rows; r++)
        ids |= t->rows[r].id != NULL;
    table_open(d, "decision", hit_words(t));
    th(d, "#");
    if (ids)
        th(d, "Row id");
    for (size_t i = 0; i < t->n_in; i++) {
        th_open(d);
        expr_code(d, t->in[i]);
        th_close(d);
    }
    for (size_t i = 0; i < t->n_out; i++)
        th(d, t->n_out == 1 ? result_name : t->out[i].name);
    strbuf tmp;
    buf_init(&tmp, d->b->mem);
    for (size_t r = 0; r < t->n_rows; r++) {
        const table_row *row = &t->rows[r];
        row_open(d);
        cell_open(d, true);
        textf(d, "%zu", r + 1);
        cell_close(d, true);
        if (ids) {
            cell_open(d, false);
            if (row->id)
                code(d, row->id);
            cell_close(d, false);
        }
        for (size_t i = 0; i < t->n_in; i++) {
            tmp.len = 0;
            cell_text(&tmp, d->pb, row->cells[i], t->in[i]);
            cell_open(d, false);
            if (row->cells[i]->kind == CELL_ANY)
                text(d, "-");
            else
                code_n(d, tmp.p ? tmp.p : "", tmp.len);
            cell_close(d, false);
        }
        for (size_t i = 0; i < t->n_out; i++)
            cell_expr(d, row->out[i]);
        row_close(d);
    }
    d->b->failed |= tmp.failed;
    buf_free(&tmp);
    table_close(d);
    bool any_default = false;
    for (size_t i = 0; i < t->n_out; i++)
        any_default |= t->out[i].def != NULL;
    if (!any_default)
        return;
    para_open(d, NULL);
    text(d, "When no row matches: ");
    for (size_t i = 0, k = 0; i < t->n_out; i++) {
        if (!t->out[i].def)
            continue;
        if (k++)
            text(d, ", ");
        textf(d, "%s = ", t->n_out == 1 ? result_name : t->out[i].name);
        expr_code(d, t->out[i].def);
    }
    text(d, ".");
    para_close(d);
}

/* ======================================================================
** The sections
*/
static void section_facts(doc *d)
{
    const lw_playbook *pb = d->pb;
    heading(d, 2, "facts", "Facts to ask for");
    para(d, NULL,
         "What a case is made of. A fact with a default need not be asked for; the others "
         "are asked when a decision needs them (the decision lists them as still to ask).");
    if (pb->n_facts == 0) {
        para(d, NULL, "This playbook declares no facts.");
        return;
    }
    table_open(d, "facts", NULL);
    th(d, "Fact");
    th(d, "Type");
    th(d, "Allowed values");
    th(d, "Default");
    th(d, "What it is");
    for (size_t i = 0; i < pb->n_facts; i++) {
        const fact *f = &pb->facts[i];
        row_open(d);
        cell_code(d, true, f->path);
        cell_open(d, false);
        text(d, ttype_name(f->type));
        cell_close(d, false);
        cell_open(d, false);
        if (f->set) {
            code_list(d, f->set->words, f->set->n);
        } else if (f->type == T_ROLE) {
            for (size_t k = 0; k < pb->n_roles; k++) {
                if (k)
                    text(d, ", ");
                code(d, pb->roles[k].id);
            }
        }
        if (f->has_min || f->has_max) {
            char lo[64], hi[64];
            if (f->type == T_MONEY) {
                money_format(money_to_minor(f->min_money), f->cur, true, lo, sizeof lo);
                money_format(money_to_minor(f->max_money), f->cur, true, hi, sizeof hi);
            } else {
                dec_format(f->min, lo, sizeof lo);
                dec_format(f->max, hi, sizeof hi);
            }
            if (f->has_min && f->has_max) {
                text(d, lo);
                text(d, " to ");
                text(d, hi);
            } else {
                text(d, f->has_min ? "at least " : "at most ");
                text(d, f->has_min ? lo : hi);
            }
        }
        if (f->max_length)
            textf(d, "at most %zu characters", f->max_length);
        cell_close(d, false);
        cell_open(d, false);
        if (f->has_default)
            value(d, &f->def);
        cell_close(d, false);
        cell_open(d, false);
        if (f->doc)
            text(d, f->doc);
        cell_close(d, false);
        row_close(d);
    }
    table_close(d);
}

static void role_row(doc *d, const role_def *role, size_t r, bool any_limit)
{
    row_open(d);
    cell_code(d, true, role->id);
    cell_open(d, false);
    if (!any_limit)
        text(d, "not limited");
    else if (role->has_limit)
        money(d, role->limit);
    else
        text(d, "none");
    cell_close(d, false);
    cell_open(d, false);
    role_may_apply_cell(d, r);
    cell_close(d, false);
    row_close(d);
}

static void section_roles(doc *d)
{
    const lw_playbook *pb = d->pb;
    heading(d, 2, "roles", "Roles and what they may grant");
    bool any_limit = false;
    for (size_t r = 0; r < pb->n_roles; r++)
        any_limit |= pb->roles[r].has_limit;
    if (pb->n_roles == 0) {
        para(d, NULL, "This playbook declares no roles and no goodwill limits.");
    } else {
        para(d, NULL,
             "From least to most authority; each role may do what the roles before it may. "
             "A goodwill amount over the acting role's limit goes to the first role whose "
             "limit covers it.");
        table_open(d, "roles", NULL);
        th(d, "Role");
        th(d, "Goodwill limit per case");
        th(d, "May apply (discretionary exceptions)");
        for (size_t r = 0; r < pb->n_roles; r++)
            role_row(d, &pb->roles[r], r, any_limit);
        table_close(d);
    }
    if (pb->n_limits == 0)
        return;
    heading(d, 3, "limits", "Cumulative caps");
    para(d, NULL,
         "Whatever the role, the goodwill amount is cut to what remains under each cap.");
    table_open(d, "limits", NULL);
    th(d, "Cap");
    th(d, "At most");
    th(d, "Already used");
    for (size_t i = 0; i < pb->n_limits; i++) {
        row_open(d);
        cell_code(d, true, pb->limits[i].id);
        cell_expr(d, pb->limits[i].cap);
        cell_expr(d, pb->limits[i].used);
        row_close(d);
    }
    table_close(d);
}

/* "Version 2 of 3": a policy that shares its id with others, each in force
** on other dates (its window follows). */
static void version_def(doc *d, const policy *p)
{
    const lw_playbook *pb = d->pb;
    size_t n = 0, at = 0;
    for (size_t i = 0; i < pb->n_policies; i++)
        if (strcmp(pb->policies[i].id, p->id) == 0 && ++n && &pb->policies[i] == p)
            at = n;
    if (n < 2)
        return;
    def_open(d, "Version");
    textf(d, "%zu of %zu of this policy, each in force on other dates", at, n);
    def_close(d);
}

static void channels_def(doc *d, const policy *p)
{
    const lw_playbook *pb = d->pb;
    if (!p->channels || pb->f_channel < 0 || !pb->facts[pb->f_channel].set)
        return;
    const enumset *set = pb->facts[pb->f_channel].set;
    def_open(d, "Only on the channels");
    bool first = true;
    for (size_t k = 0; k < set->n && k < 64; k++) {
        if (!(p->channels >> k & 1))
            continue;
        if (!first)
            text(d, ", ");
        first = false;
        code(d, set->words[k]);
    }
    def_close(d);
}

static void exception_put(doc *d, const policy *p, size_t k)
{
    const exception_rule *x = &p->exc[k];
    char title[64];
    snprintf(title, sizeof title, "Exception %zu:", k + 1);
    rule_heading(d, 4, title, x->id);
    defs_open(d);
    expr_def(d, "When", x->when);
    def_open(d, "Outcome");
    outcome_to(d, x->outcome, x->escalate_to >= 0 ? x->escalate_to : p->escalate_to);
    def_close(d);
    def_open(d, "Applied");
    if (x->discretionary)
        who_may_apply(d, p, x);
    else
        text(d, "automatically, whoever handles the case");
    def_close(d);
    if (x->n_requires) {
        def_open(d, "Requires");
        code_list(d, x->requires, x->n_requires);
        def_close(d);
    }
    ltext_def(d, "Reason (for staff)", &x->reason);
    ltext_def(d, "Tell the customer", &x->say);
    window_def(d, &x->eff);
    defs_close(d);
}

static void section_policies(doc *d)
{
    const lw_playbook *pb = d->pb;
    heading(d, 2, "policies", "Policies");
    para(d, NULL,
         "Every policy whose condition holds is in force. Its exceptions are tried in order "
         "and the first that holds decides; with none, the policy's own outcome stands.");
    if (pb->n_policies == 0)
        para(d, NULL, "This playbook has no policies.");
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        if (!d->md)
            put(d, "<section class=\"policy\">\n");
        rule_heading(d, 3, p->title, p->id);
        defs_open(d);
        def_open(d, "Applies when");
        if (p->applies)
            expr_code(d, p->applies);
        else
            text(d, "always");
        def_close(d);
        channels_def(d, p);
        version_def(d, p);
        window_def(d, &p->eff);
        def_open(d, "Outcome");
        outcome_to(d, p->outcome, p->escalate_to);
        def_close(d);
        ltext_def(d, "Reason (for staff)", &p->reason);
        ltext_def(d, "Tell the customer", &p->say);
        defs_close(d);
        for (size_t k = 0; k < p->n_exc; k++)
            exception_put(d, p, k);
        if (!d->md)
            put(d, "</section>\n");
    }
}

static void step_what(doc *d, const step_rule *s)
{
    static const char *const words[] = {"from the table", "set to", "add", "multiply by",
                                        "at most", "at least", "round to the nearest"};
    def_open(d, "Amount");
    text(d, words[s->kind]);
    if (s->kind != STEP_TABLE && s->arg) {
        text(d, " ");
        expr_code(d, s->arg);
    }
    def_close(d);
}

static void section_goodwill(doc *d)
{
    const lw_playbook *pb = d->pb;
    if (pb->n_steps == 0)
        return;
    heading(d, 2, "goodwill", "Goodwill");
    para(d, NULL,
         "The amount starts at zero and goes through these steps in order; a step with a "
         "condition runs only when it holds. Then the cumulative caps and the acting role's "
         "limit apply.");
    for (size_t i = 0; i < pb->n_steps; i++) {
        const step_rule *s = &pb->steps[i];
        char title[64];
        snprintf(title, sizeof title, "Step %zu:", i + 1);
        rule_heading(d, 3, title, s->id);
        defs_open(d);
        expr_def(d, "When", s->when);
        step_what(d, s);
        window_def(d, &s->eff);
        defs_close(d);
        if (s->tab)
            table_put(d, s->tab, "amount");
    }
}

static void section_outputs(doc *d)
{
    const lw_playbook *pb = d->pb;
    if (pb->n_outputs == 0)
        return;
    heading(d, 2, "outputs", "Outputs");
    para(d, NULL, "Further results of a decision, worked out in this order.");
    for (size_t i = 0; i < pb->n_outputs; i++) {
        const output_rule *o = &pb->outputs[i];
        bool several = o->tab && o->tab->n_out > 1;
        if (several && o->col > 0)
            continue; /* the table of the first result shows them all */
        rule_heading(d, 3, NULL, several ? o->tab->rule : o->name);
        defs_open(d);
        if (several) {
            def_open(d, "Outputs");
            for (size_t k = 0; k < o->tab->n_out; k++) {
                if (k)
                    text(d, ", ");
                code(d, o->tab->out[k].name);
            }
            def_close(d);
        } else if (o->set) {
            def_open(d, "One of");
            code_list(d, o->set->words, o->set->n);
            def_close(d);
        }
        expr_def(d, "When", o->when);
        expr_def(d, "Value", o->value);
        defs_close(d);
        if (o->tab)
            table_put(d, o->tab, o->name);
    }
}

static void section_promises(doc *d)
{
    const lw_playbook *pb = d->pb;
    if (pb->n_promises == 0)
        return;
    heading(d, 2, "promises", "Promises to the customer");
    para(d, NULL,
         "Made when their condition holds; the marked parts of a text are filled in from "
         "the case.");
    for (size_t i = 0; i < pb->n_promises; i++) {
        const promise_rule *p = &pb->promises[i];
        rule_heading(d, 3, NULL, p->id);
        defs_open(d);
        expr_def(d, "When", p->when);
        if (p->has_due) {
            def_open(d, "Due within");
            text(d, p->due_text ? p->due_text : "");
            def_close(d);
        }
        ltext_def(d, "Text", &p->text);
        defs_close(d);
    }
}

/* ======================================================================
** The page around the sections
*/
static const char style[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1f24;"
    "max-width:62rem;margin:0 auto;padding:1.5rem}\n"
    "h1{font-size:1.7rem;margin:0 0 .3rem}h2{font-size:1.35rem;border-bottom:2px solid "
    "#1b1f24;padding-bottom:.2rem;margin-top:2.2rem}h3{font-size:1.1rem;margin:1.6rem 0 "
    ".4rem}h4{font-size:1rem;margin:1rem 0 .3rem 1rem}\n"
    ".stamp{font-size:.8rem;color:#444;border:1px solid #bbb;padding:.4rem .6rem;"
    "overflow-wrap:anywhere}\n"
    "code{font:.88em/1.3 ui-monospace,'DejaVu Sans Mono',monospace;background:#f1f3f5;"
    "padding:0 .2em;border-radius:3px;white-space:pre-wrap;overflow-wrap:anywhere}\n"
    "var.ph{font-style:normal;background:#fff3bf;border:1px dashed #b08800;padding:0 .2em}\n"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:.4rem 0 "
    ".8rem}dt{font-weight:600}dd{margin:0}\n"
    "section.policy>h4,section.policy>h4+dl{margin-left:1rem}\n"
    ".wide{overflow-x:auto}table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}"
    "th,td{border:1px solid #bbb;padding:.2rem .45rem;text-align:left;vertical-align:top}"
    "thead th{background:#e9ecef}caption{text-align:left;font-style:italic;padding:.2rem 0}\n"
    ".outcome.allow{color:#1a7f37}.outcome.deny{color:#cf222e}.outcome.escalate{color:#9a6700}\n"
    "nav ol{columns:2}footer.stamp{margin-top:2rem}th[scope=row] code{white-space:nowrap}\n"
    "@media print{body{max-width:none;padding:0;font-size:10.5pt}.wide{overflow:visible}"
    "table{font-size:8.5pt}thead{display:table-header-group}tr,dl,h3,h4{break-inside:"
    "avoid}h2,h3,h4{break-after:avoid}main h2{break-before:page}"
    "code,var.ph{background:none}}\n";

/* Text inside a CSS string: anything but letters, digits and a few safe
** marks as a CSS escape, so the stylesheet reads the same as HTML and as
** XML (where <, & and quotes would mean something). */
static void css_string(doc *d, const char *s)
{
    buf_putc(d->b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p >= 0x80 || strchr(" .,:;_-+/()", *p))
            buf_putc(d->b, (char)*p);
        else
            buf_printf(d->b, "\\%x ", *p);
    }
    buf_putc(d->b, '"');
}

/* On paper, every page's foot names the playbook, its version and digest,
** and the page number. */
static void print_stamp_style(doc *d)
{
    const lw_playbook *pb = d->pb;
    char stamp[512];
    snprintf(stamp, sizeof stamp, "%s %s, %s", pb->id, pb->version,
             pb->digest ? pb->digest : "");
    put(d, "@page{margin:1.5cm 1.2cm 2cm;@bottom-left{font:7pt sans-serif;color:#444;content:");
    css_string(d, stamp);
    put(d, "}@bottom-right{font:7pt sans-serif;color:#444;content:\"page \" counter(page) "
           "\" of \" counter(pages)}}\n");
}

static void stamp(doc *d)
{
    const lw_playbook *pb = d->pb;
    text(d, "Playbook ");
    code(d, pb->id);
    textf(d, ", version %s, bundle digest ", pb->version);
    code(d, pb->digest ? pb->digest : "");
}

static void page_top(doc *d)
{
    const lw_playbook *pb = d->pb;
    const char *title = pb->title ? pb->title : pb->id;
    if (d->md) {
        put(d, "# ");
        text(d, title);
        put(d, ": staff handbook\n\n");
        stamp(d);
        textf(d, ". Texts in %s.", d->lang);
        put(d, "\n\n");
    } else {
        put(d, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n"
               "<head>\n<meta charset=\"utf-8\"/>\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
               "<title>");
        text(d, title);
        textf(d, ": staff handbook (%s %s)", pb->id, pb->version);
        put(d, "</title>\n<style>\n");
        put(d, style);
        print_stamp_style(d);
        put(d, "</style>\n</head>\n<body>\n<header>\n<h1>");
        text(d, title);
        put(d, ": staff handbook</h1>\n<p class=\"stamp\">");
        stamp(d);
        text(d, ". Texts in ");
        code(d, d->lang);
        put(d, ".</p>\n</header>\n");
    }
    heading(d, 2, "sources", "What this handbook describes");
    para(d, NULL,
         "These rules, from these files. A printed copy is current only while the "
         "digest above is the playbook's digest (leeway check prints it).");
    table_open(d, "sources", NULL);
    th(d, "File");
    th(d, "SHA-256");
    for (size_t i = 0; i < pb->n_sources; i++) {
        row_open(d);
        cell_code(d, true, pb->sources[i].path);
        cell_code(d, false, pb->sources[i].digest);
        row_close(d);
    }
    table_close(d);
    if (!d->md) {
        static const char *const sections[][2] = {
            {"facts", "Facts to ask for"}, {"roles", "Roles and what they may grant"},
            {"policies", "Policies"},      {"goodwill", "Goodwill"},
            {"outputs", "Outputs"},        {"promises", "Promises to the customer"}};
        bool present[] = {true, true, true, pb->n_steps > 0, pb->n_outputs > 0,
                          pb->n_promises > 0};
        put(d, "<nav>\n<h2>Contents</h2>\n<ol>\n");
        for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
            if (present[i])
                buf_printf(d->b, "<li><a href=\"#%s\">%s</a></li>\n", sections[i][0],
                           sections[i][1]);
        put(d, "</ol>\n</nav>\n<main>\n");
    }
}

static void page_bottom(doc *d)
{
    if (d->md) {
        put(d, "---\n\n");
        stamp(d);
        put(d, "\n");
        return;
    }
    put(d, "</main>\n<footer class=\"stamp\">");
    stamp(d);
    put(d, "</footer>\n</body>\n</html>\n");
}

/* ======================================================================
** Languages and the entry point
*/
typedef struct langs {
    const char *v[64];
    size_t n;
} langs;

static void langs_add(langs *l, const char *lang)
{
    if (!*lang)
        return;
    size_t i = 0;
    while (i < l->n && strcmp(l->v[i], lang) < 0)
        i++;
    if ((i < l->n && strcmp(l->v[i], lang) == 0) || l->n == 64)
        return;
    memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof l->v[0]);
    l->v[i] = lang;
    l->n++;
}

static void langs_of(const ltext *m, langs *l)
{
    for (size_t i = 0; i < m->n; i++)
        langs_add(l, m->lang[i]);
}

/* The languages the playbook's texts are written in, in alphabetical order
** (its locale among them). */
static void playbook_langs(const lw_playbook *pb, langs *l)
{
    l->n = 0;
    langs_add(l, pb->locale);
    for (size_t i = 0; i < pb->n_policies; i++) {
        const policy *p = &pb->policies[i];
        langs_of(&p->reason, l);
        langs_of(&p->say, l);
        for (size_t k = 0; k < p->n_exc; k++) {
            langs_of(&p->exc[k].reason, l);
            langs_of(&p->exc[k].say, l);
        }
    }
    for (size_t i = 0; i < pb->n_promises; i++)
        langs_of(&pb->promises[i].text, l);
}

int lw_handbook(lw_engine *e, const lw_playbook *pb, const char *format,
                       const char *lang, const char **text_out, size_t *len)
{
    if (!e || !pb || !text_out)
        return LW_ERR_ARG;
    strbuf *b = &e->json;
    b->len = 0;
    b->failed = false;
    int rc = LW_OK;
    if (!format)
        format = "html";
    if (strcmp(format, "html") != 0 && strcmp(format, "md") != 0) {
        buf_printf(b, "unknown format '%s'; use html or md", format);
        rc = LW_ERR_ARG;
    }
    langs l;
    playbook_langs(pb, &l);
    if (!lang)
        lang = pb->locale;
    bool known = false;
    for (size_t i = 0; i < l.n; i++)
        known |= strcmp(l.v[i], lang) == 0;
    if (rc == LW_OK && !known) {
        buf_printf(b, "the playbook has no texts in '%s'; it has texts in ", lang);
        for (size_t i = 0; i < l.n; i++)
            buf_printf(b, "%s%s", i == 0 ? "" : i + 1 == l.n ? " and " : ", ", l.v[i]);
        rc = LW_ERR_NOTFOUND;
    }
    if (rc == LW_OK) {
        doc d = {.b = b, .pb = pb, .md = strcmp(format, "md") == 0, .lang = lang};
        page_top(&d);
        section_facts(&d);
        section_roles(&d);
        section_policies(&d);
        section_goodwill(&d);
        section_outputs(&d);
        section_promises(&d);
        page_bottom(&d);
    }
    if (b->failed || !b->p) {
        *text_out = "out of memory";
        if (len)
            *len = strlen(*text_out);
        return LW_ERR_NOMEM;
    }
    *text_out = b->p;
    if (len)
        *len = b->len;
    return rc;
}
