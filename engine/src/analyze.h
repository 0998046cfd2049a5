/*
** analyze.h -- what the parts of `leeway check`'s analysis share
** (analyze.c): conditions as unions of boxes, the inputs a finding depends
** on, and counterexamples a reader can paste into `leeway decide`.
*/
#ifndef LW_ANALYZE_H
#define LW_ANALYZE_H

#include "domain.h"

/* The inputs a finding depends on, in dim order. */
#define EXAMPLE_DIMS 64

typedef struct analysis {
    const lw_playbook *pb;
    lw_report *r;
    space sp;
    arena work;              /* boxes of one finding: reset between rules */
    arena rule;              /* boxes kept for all the findings of one rule */
    arena keep;              /* the dims */
    uint32_t dims[EXAMPLE_DIMS];
    size_t n_dims;
    strbuf text;             /* the counterexample being written */
    const uint8_t *known;    /* per fact: surely given (NULL: every fact is);
                                UNDER sees nothing in a test of another fact */
} analysis;

/* Over: every case where e may be true; under: only cases where it surely is.
** A part the analysis cannot see (arithmetic, Lua, outputs, policies) is
** everything in over and nothing in under, and sets sp.opaque. False when
** the space gave up. */
typedef enum { OVER, UNDER } approx;
bool cond_boxes(analysis *an, const expr *e, approx how, boxes *out);
/* Mark in known (one byte per fact) the facts e reads that must be given
** for e to be true (want true) or false (want false): an unknown value
** makes a test unknown, and an unknown condition neither fires nor blocks. */
void facts_needed(analysis *an, const expr *e, bool want, uint8_t *known);

/* One box each for a window on the date fact and a policy's channels
** (everything when there is none). */
box window_box(analysis *an, const window *w);
box channels_box(analysis *an, uint64_t channels);

/* Start a finding: forget the inputs of the last one and its opaque flags.
** (The steps of the space are counted per rule: see rule_start.) */
void finding_start(analysis *an);
/* Start a rule: its findings share the space's STEPS_MAX. */
void rule_start(analysis *an);
void finding_dim(analysis *an, size_t dim);
void finding_expr(analysis *an, const expr *e);
/* "--set a=1 --set 'b=2 EUR'" (and "when X is Y" for a column that is not a
** fact) for a value of b in every input of the finding; NULL if b is empty. */
const char *finding_example(analysis *an, const box *b);
/* For a condition that is always true or always false within the facts'
** declared values: a case outside them (as --set flags) where e is true
** (want) or false, which leeway decide refuses as invalid; NULL when no value
** of the facts' types makes it so, or the analysis cannot see one. */
const char *outside_example(analysis *an, const expr *e, bool want);
/* ": only values the facts may not take would VERB it, for example EX
** (...)", or "" when ex is NULL. */
const char *outside_words(analysis *an, const char *verb, const char *ex);
/* Work in a copy of the space without the facts' min: and max: (false: out
** of memory; call unbounded_end anyway), and back to the space within them. */
bool unbounded_begin(analysis *an, space *within);
void unbounded_end(analysis *an, space *within);
/* "" or, when a condition of the finding had a part the analysis cannot
** see, a note saying so (to follow its example). */
const char *opaque_note(const analysis *an);
/* The words a condition compares text facts with, or a cell of a text
** input names (before any set of the input is built). */
void words_from_expr(analysis *an, const expr *e);
void words_from_cell(analysis *an, size_t dim, const cell *c);

/* analyze_table.c, analyze_rules.c */
/* A table reached when `when` holds within `eff`; keeps: a case no row
** matches keeps a value (a goodwill step's amount), so it is no gap. */
void analyze_table(analysis *an, const table *t, const char *rule, const expr *when,
                   const window *eff, bool keeps);
void analyze_rules(analysis *an);
/* analyze_versions.c: policies that share an id, by effective window */
void analyze_versions(analysis *an);

#endif
