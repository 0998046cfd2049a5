/*
** leeway.h -- the one public header of the leeway policy and exception engine.
**
** A CX lead writes a playbook (YAML, see docs/playbook-format.md); an application loads it
** once into an immutable lw_playbook, builds an lw_case per customer situation
** and asks an lw_engine for an lw_decision: outcome, exceptions, goodwill and
** who may grant it, promises, outputs, the questions still to ask, and why.
**
** Thread model: a loaded lw_playbook is immutable and may be shared by any
** number of threads. An lw_engine (and the decisions it returns) and an lw_case
** belong to one thread at a time. There is no global state.
**
** Errors are values: functions return an int code (LW_OK is 0); messages are
** owned by the object they describe and carry file:line:column and the rule id.
** Freeing NULL is always a no-op.
*/
#ifndef LEEWAY_H
#define LEEWAY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* LW_API marks what the library exports. The library is compiled with
** -fvisibility=hidden and LW_BUILD, so the lw_ functions below are its only
** global symbols, in the shared and in the installed static library. */
#if defined(LW_BUILD) && defined(__GNUC__)
#define LW_API __attribute__((visibility("default")))
#else
#define LW_API
#endif

/* The version, written only here: the build derives the shared library's
** SONAME (libleeway.so.MAJOR) and leeway.pc's version from LW_VERSION. The
** major number, and with it the SONAME, changes with every release that
** breaks programs built against the one before (docs/embedding.md, "ABI"). */
#define LW_VERSION "0.1.0"
#define LW_VERSION_NUM 100 /* major*10000 + minor*100 + patch */

/* The library's version at run time (compare with LW_VERSION_NUM). */
LW_API const char *lw_version(void);
LW_API int lw_version_number(void);

/* ------------------------------------------------------------------------
** Result codes
*/
enum {
    LW_OK = 0,
    LW_ERR_NOMEM,    /* the allocator refused */
    LW_ERR_IO,       /* a file could not be read or written */
    LW_ERR_PLAYBOOK, /* the playbook has errors (see its lw_report) */
    LW_ERR_CASE,     /* a case value is malformed or not declared */
    LW_ERR_ARG,      /* an argument is NULL or out of range */
    LW_ERR_LIMIT,    /* a configured limit was exceeded */
    LW_ERR_NOTFOUND  /* no such fact, role, test or file */
};

/* The name of a result code ("LW_ERR_CASE"); never NULL. */
LW_API const char *lw_errstr(int code);

/* ------------------------------------------------------------------------
** Allocation and limits
*/

/* realloc-shaped allocator, like lua_Alloc: nsize == 0 frees ptr and returns
** NULL; otherwise returns a block of nsize bytes (or NULL on failure). */
typedef void *(*lw_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Limits are per playbook (given to lw_playbook_load, they hold for the
** playbook and for every case made for it) or per engine (the Lua budgets,
** given to lw_engine_new). A case over a limit is refused with a message
** naming it (lw_case_read_json / lw_case_read_file return LW_ERR_CASE), or,
** for one value, gets a problem that makes its decision `invalid`. */
typedef struct lw_options {
    lw_alloc_fn alloc;        /* NULL: the C library's malloc/free */
    void *alloc_ud;
    int max_depth;            /* YAML nesting; 0 = default 64 */
    size_t max_scalar;        /* bytes in one YAML scalar or in one text value of
                                 a case (JSON, YAML or a setter); 0 = 64 KiB */
    size_t max_file;          /* bytes in a playbook file, or in a case (its
                                 file or its JSON text); 0 = 16 MiB */
    size_t max_nodes;         /* nodes after alias expansion in YAML, values in a
                                 JSON case; 0 = 1,000,000 */
    size_t max_list;          /* entries in one list value of a case; 0 = 1024 */
    size_t max_keys;          /* keys in one case, nested ones included;
                                 0 = 10,000 */
    size_t max_problems;      /* problems a case lists (and so its decision):
                                 past it, one last entry says "and N more
                                 problems"; 0 = 20 */
    /* Lua scripts (docs/playbook-format.md §8), per decision: */
    long lua_instructions;    /* VM instructions; 0 = 10,000,000. Counted once a
                                 script has run for 1 ms, so short scripts pay nothing;
                                 library calls count the work they do (the guide's
                                 "What a script may cost") */
    size_t lua_memory;        /* bytes the scripts may grow by; 0 = 16 MiB */
    long lua_millis;          /* wall-clock time of all scripts; 0 = 1000 ms. Past
                                 it, a script stops at its next instruction */
} lw_options;

/* Fill *opt with the defaults. */
LW_API void lw_options_init(lw_options *opt);

/* ------------------------------------------------------------------------
** Reports: playbook errors and lint warnings
*/

typedef enum { LW_ERROR = 0, LW_WARNING = 1 } lw_severity;

typedef struct lw_diag {
    lw_severity severity;
    const char *file;    /* as given to the loader; never NULL */
    int line, column;    /* 1-based; 0 when the problem has no position */
    const char *rule;    /* id of the policy/exception/step concerned, or NULL */
    const char *message; /* one or two sentences: what is wrong, how to fix it */
} lw_diag;

typedef struct lw_report lw_report;

/* Number of diagnostics, and the i-th (NULL when out of range). */
LW_API size_t lw_report_count(const lw_report *r);
LW_API const lw_diag *lw_report_get(const lw_report *r, size_t i);
LW_API size_t lw_report_errors(const lw_report *r);
/* Format one diagnostic as "FILE:LINE:COL: error: MESSAGE [rule ID]" into
** buf (always NUL-terminated when size > 0); returns the full length. */
LW_API size_t lw_diag_format(const lw_diag *d, char *buf, size_t size);
LW_API void lw_report_free(lw_report *r);

/* ------------------------------------------------------------------------
** Playbooks
*/

typedef struct lw_playbook lw_playbook;

/* Load and compile a playbook file. On success *out is the playbook and the
** result is LW_OK; otherwise *out is NULL. If report is not NULL, *report
** receives every error and lint warning (even on success; the caller frees it
** with lw_report_free). opt may be NULL for the defaults. */
LW_API int lw_playbook_load(const char *path, const lw_options *opt,
                            lw_playbook **out, lw_report **report);

/* The same from text in memory; name is used in messages as the file name and
** for resolving relative imports (may be NULL: "<string>"). */
LW_API int lw_playbook_load_string(const char *name, const char *text, size_t len,
                                   const lw_options *opt, lw_playbook **out,
                                   lw_report **report);

LW_API void lw_playbook_free(lw_playbook *pb);

/* Analyse a loaded playbook (what `leeway check` runs after loading) and add
** to r a warning, with a case to paste into `leeway decide --set`, for each
** decision-table row that overlaps another where the hit policy forbids it,
** can never decide or can never match; each output table with cases no row
** matches; each exception that can never fire; and each condition always
** true or always false over the facts' declared values. Not part of loading,
** which must stay fast: the analysis can take longer (the 1,000-policy
** benchmark playbook: about a millisecond; a policy or table past its limits
** is analysed only so far). Parts it cannot see (Lua, arithmetic, outputs,
** policy results) never lead to a claim. LW_OK, LW_ERR_ARG (a NULL
** argument) or LW_ERR_NOMEM (some findings may be missing). */
LW_API int lw_playbook_analyze(const lw_playbook *pb, lw_report *r);

/* The playbook's id, version, file and content digest ("sha256:..."). */
LW_API const char *lw_playbook_id(const lw_playbook *pb);
LW_API const char *lw_playbook_version(const lw_playbook *pb);
LW_API const char *lw_playbook_file(const lw_playbook *pb);
LW_API const char *lw_playbook_digest(const lw_playbook *pb);

/* The files the playbook was built from (its bundle): the playbook file, the
** rule sets it imports and the functions: libraries, in the order the loader
** first read them. The path is relative to the playbook's folder
** ("../../rules/eu261.yaml"), or "<rules>/" and the path as written for a
** file found in a rule-set folder (LEEWAY_RULES_PATH, the installed rule
** sets: "<rules>/eu261.yaml"); the digest is "sha256:" and the SHA-256 of the
** file's bytes. lw_playbook_digest is the SHA-256 of one line per source,
** "HEX  PATH\n" (HEX: the source's 64 hex digits) -- what `sha256sum` prints
** for those files -- so a change to any byte of any source changes it.
** Strings are owned by the playbook; NULL when i is out of range or pb NULL. */
LW_API size_t lw_playbook_source_count(const lw_playbook *pb);
LW_API const char *lw_playbook_source_path(const lw_playbook *pb, size_t i);
LW_API const char *lw_playbook_source_digest(const lw_playbook *pb, size_t i);

/* Declared facts, in declaration order: count, and path/type name of the
** i-th (NULL when out of range). Strings are owned by the playbook. */
LW_API size_t lw_fact_count(const lw_playbook *pb);
LW_API const char *lw_fact_path(const lw_playbook *pb, size_t i);
LW_API const char *lw_fact_type(const lw_playbook *pb, size_t i);
/* Index of a fact path, or -1 when it is not declared. */
LW_API int lw_fact_index(const lw_playbook *pb, const char *path);

/* The declared values of an enum fact (NULL and *n = 0 for other types),
** and the fact's doc text (or NULL). Owned by the playbook. */
LW_API const char *const *lw_fact_values(const lw_playbook *pb, size_t i, size_t *n);
LW_API const char *lw_fact_doc(const lw_playbook *pb, size_t i);

/* Roles, least authority first. */
LW_API size_t lw_role_count(const lw_playbook *pb);
LW_API const char *lw_role_id(const lw_playbook *pb, size_t i);

/* ------------------------------------------------------------------------
** Engines
*/

typedef struct lw_engine lw_engine;

/* A new engine (one per thread). opt may be NULL. NULL when out of memory. */
LW_API lw_engine *lw_engine_new(const lw_options *opt);
LW_API void lw_engine_free(lw_engine *e);

/* ------------------------------------------------------------------------
** Cases
*/

typedef struct lw_case lw_case;

/* A new empty case for pb. The case keeps a pointer to pb: free the case
** first. NULL when out of memory or pb is NULL. */
LW_API lw_case *lw_case_new(const lw_playbook *pb);
LW_API void lw_case_free(lw_case *c);
/* Forget every value and problem; keeps the memory for the next case. */
LW_API void lw_case_reset(lw_case *c);

/* Setters. path is a declared fact path. A value of the wrong type, outside
** min/max, longer than the playbook's max_scalar or max_list, or an
** undeclared path is recorded as a problem of the case (the decision will be
** `invalid` and list it) and the call returns LW_ERR_CASE or LW_ERR_NOTFOUND;
** LW_ERR_NOMEM when out of memory (the case may then lack a value or a
** problem: reset it). Strings are copied. Numbers are exact decimals inside
** the engine: v is taken as the shortest decimal that reads back as v (0.1 is
** 0.1); a number with more digits than a double holds goes through
** lw_case_set_text ("0.1234567890123456789"). */
LW_API int lw_case_set_number(lw_case *c, const char *path, double v);
LW_API int lw_case_set_bool(lw_case *c, const char *path, int v);
LW_API int lw_case_set_string(lw_case *c, const char *path, const char *s);
/* Money in minor units (cents for EUR); currency NULL = playbook currency. */
LW_API int lw_case_set_money(lw_case *c, const char *path, int64_t minor,
                             const char *currency);
/* Parse text by the fact's declared type, as a case file would be read:
** "154 EUR", "90min", "2026-11-23", "true", "gold", "82". */
LW_API int lw_case_set_text(lw_case *c, const char *path, const char *text);
/* Set the fact to null / no value (it becomes missing unless it has a default). */
LW_API int lw_case_unset(lw_case *c, const char *path);
/* Fast setters by fact index (lw_fact_index); no path lookup. */
LW_API int lw_case_set_number_at(lw_case *c, int fact, double v);
LW_API int lw_case_set_bool_at(lw_case *c, int fact, int v);
LW_API int lw_case_set_text_at(lw_case *c, int fact, const char *text);

/* Read a case from JSON text or a YAML/JSON file (by extension: .json, else
** YAML) and add its values to c. Values are checked as by the setters. A file
** that cannot be read or parsed, that holds a NUL character, or that is over
** one of the playbook's limits for a whole case (max_file, max_keys,
** max_nodes, max_depth) returns LW_ERR_IO or LW_ERR_CASE and, if msg is not
** NULL, *msg points to a message owned by c ("case.json:3:7: ..."). Out of
** memory: LW_ERR_NOMEM and *msg "out of memory". */
LW_API int lw_case_read_json(lw_case *c, const char *name, const char *text,
                             size_t len, const char **msg);
LW_API int lw_case_read_file(lw_case *c, const char *path, const char **msg);

/* The day the case is decided as of when it gives no date (and its date
** fact has no default): "YYYY-MM-DD". By default the UTC day on which the case
** was created or last reset; replaying a logged decision sets the day it was
** made. LW_ERR_ARG for a NULL case or text that is not a date. */
LW_API int lw_case_set_as_of(lw_case *c, const char *date);

/* Record a problem found by the host (a line that could not be read, say):
** the decision will be `invalid` and list it. The text is copied.
** LW_ERR_ARG for NULL arguments, LW_ERR_NOMEM when out of memory. */
LW_API int lw_case_add_problem(lw_case *c, const char *problem);

/* Problems recorded so far (each "path: what is wrong"): at most the
** playbook's max_problems, then one last "and N more problems". Owned by c. */
LW_API size_t lw_case_problem_count(const lw_case *c);
LW_API const char *lw_case_problem(const lw_case *c, size_t i);

/* The case as JSON text (values as given, normalised); owned by c, valid until
** the case changes. When the playbook has a `date` fact the case does not
** give (and that has no default), it is written with the day the case is
** decided as of, so the text decides the same way on any later day. Values
** the case refused with a problem (a word for a number, a fact the playbook
** does not declare) are written as they were given, after the others, so the
** text is refused alike; a problem added with lw_case_add_problem is not part
** of the case. */
LW_API const char *lw_case_json(lw_case *c);

/* ------------------------------------------------------------------------
** Decisions
*/

typedef enum {
    LW_V_NULL = 0, LW_V_BOOL, LW_V_NUMBER, LW_V_MONEY, LW_V_STRING, LW_V_ENUM,
    LW_V_DURATION, LW_V_DATE, LW_V_LIST
} lw_vtype;

typedef struct lw_money {
    int64_t minor;        /* amount in minor units */
    const char *currency; /* ISO 4217 code */
    int digits;           /* minor-unit digits of the currency */
} lw_money;

typedef struct lw_value {
    lw_vtype type;
    int b;             /* LW_V_BOOL */
    double number;     /* LW_V_NUMBER: the nearest double */
    lw_money money;    /* LW_V_MONEY */
    const char *text;  /* LW_V_STRING, LW_V_ENUM; for LW_V_LIST a JSON array;
                          LW_V_NUMBER: the exact decimal ("0.3"), or NULL */
    int64_t seconds;   /* LW_V_DURATION; LW_V_DATE: seconds since 1970-01-01 */
} lw_value;

/* The value of fact i (lw_fact_index) as given to the case: LW_V_NULL when
** not given. Returns 1 if the fact was given (also as null), 0 if not, and
** -1 for a bad argument. Strings in *out are owned by c. */
LW_API int lw_case_value(const lw_case *c, size_t i, lw_value *out);

typedef struct lw_policy_result {
    const char *id;
    const char *outcome;     /* allow, deny, escalate or a playbook's own word */
    const char *exception;   /* the exception that fired, or NULL */
    int discretionary;
    const char *needs_role;  /* lowest role that may apply it, or NULL */
    const char *const *requires;
    size_t n_requires;
    const char *reason;      /* for staff, in the case's locale */
    const char *say;         /* for the customer, or NULL */
    const char *escalate_to; /* outcome escalate: the role it goes to (needs_role, or
                                the rule's escalate_to:), or NULL */
} lw_policy_result;

typedef struct lw_step_result {
    const char *id;
    lw_money amount;         /* the amount after this step */
    int row;                 /* table row that decided (1-based), 0 if none */
    const char *row_id;      /* that row's id, when the table names its rows */
} lw_step_result;

typedef struct lw_cap_result {
    const char *id;          /* the limit that bit */
    lw_money by;             /* how much it took off */
} lw_cap_result;

typedef struct lw_goodwill_result {
    lw_money amount;
    int within_authority;
    const char *needs_role;  /* lowest role whose limit covers it, or NULL */
    lw_money limit;          /* the acting role's goodwill_limit */
    int over_top;            /* no role covers the amount: amount = top limit */
    const lw_step_result *steps;
    size_t n_steps;
    const lw_cap_result *capped_by;
    size_t n_capped;
} lw_goodwill_result;

typedef struct lw_promise_result {
    const char *id;
    const char *due;         /* duration literal ("24h") or NULL */
    const char *text;
} lw_promise_result;

typedef struct lw_output_result {
    const char *name;
    lw_value value;
} lw_output_result;

typedef struct lw_error_entry {
    const char *rule;        /* rule id */
    const char *file;
    int line, column;
    const char *message;
} lw_error_entry;

typedef enum { LW_FALSE = 0, LW_TRUE = 1, LW_UNKNOWN = 2 } lw_truth;

typedef struct lw_trace_entry {
    const char *kind;        /* policy, exception, goodwill, limit, output, promise */
    const char *rule;
    lw_truth result;
    const char *file;
    int line;
} lw_trace_entry;

typedef struct lw_decision {
    const char *playbook, *version, *digest;
    const char *outcome;
    const lw_policy_result *policies;   size_t n_policies;
    lw_goodwill_result goodwill;
    const lw_promise_result *promises;  size_t n_promises;
    const lw_output_result *outputs;    size_t n_outputs;
    const char *const *missing;         size_t n_missing;
    const char *const *problems;        size_t n_problems; /* invalid case */
    const lw_error_entry *errors;       size_t n_errors;
    const lw_trace_entry *trace;        size_t n_trace;
    const char *as_of;  /* the day decided as of, "YYYY-MM-DD": the case's
                           date, else the case's today (lw_case_set_as_of);
                           NULL when no decision of the playbook can depend
                           on the day (no date fact, no Lua) */
} lw_decision;

typedef struct lw_decide_options {
    const char *role;     /* acting staff role; overrides the case's staff.role */
    int trace;            /* fill the trace */
} lw_decide_options;

/* Decide case c against pb. *out points into e's memory and stays valid until
** the next lw_decide on e or lw_engine_free. opt may be NULL. A decision of any
** outcome (even `invalid`) returns LW_OK; only bad arguments or memory
** exhaustion return an error. */
LW_API int lw_decide(lw_engine *e, const lw_playbook *pb, const lw_case *c,
                     const lw_decide_options *opt, const lw_decision **out);

/* The decision as JSON (docs/playbook-format.md §11), one line, owned by e and valid until
** the next call on e. flags: LW_JSON_TRACE includes the trace, LW_JSON_PRETTY
** indents. NULL on bad arguments or out of memory. */
enum { LW_JSON_TRACE = 1, LW_JSON_PRETTY = 2 };
LW_API const char *lw_decision_json(lw_engine *e, const lw_decision *d, int flags,
                                    size_t *len);

/* ------------------------------------------------------------------------
** The decision log (docs/decision-log.md)
**
** One JSON object per line: the decision as lw_decision_json writes it, plus
** "log" (the format's version, 1), "decision_id" (a UUID), "at" (UTC time of
** writing), "role" (the acting role or null) and "case" (the case as
** lw_case_json writes it, with the day it was decided as of): enough to
** replay the decision exactly.
*/

/* The record for decision d, made by lw_decide on e for case c with the
** acting role `role` (NULL: the case's staff role), as one line ending in
** "\n". Owned by e, valid until the next call on e; *len (if not NULL) gets
** its length. NULL on bad arguments or when out of memory. Call it before
** the next lw_decide on e. */
LW_API const char *lw_log_record(lw_engine *e, lw_case *c, const lw_decision *d,
                                 const char *role, size_t *len);

/* The same with the decision id given: a host that answers with the id
** before (or without) logging makes it with lw_decision_id and writes the
** same id in the record. id NULL: a new one, as lw_log_record does. */
LW_API const char *lw_log_record_id(lw_engine *e, lw_case *c, const lw_decision *d,
                                    const char *role, const char *id, size_t *len);

/* A new decision id, a UUID of version 7 (48 bits of milliseconds since
** 1970, then random bits: ids sort by time), written with its NUL into id,
** which holds LW_DECISION_ID_SIZE bytes. LW_OK, or LW_ERR_ARG for NULL. */
#define LW_DECISION_ID_SIZE 37
LW_API int lw_decision_id(lw_engine *e, char *id);

/* Append that record to the file descriptor fd in one write(2). Open the
** file with O_APPEND: then records of concurrent writers (threads or
** processes) never interleave. LW_OK, LW_ERR_ARG, LW_ERR_NOMEM, or LW_ERR_IO
** when the write failed or was short (errno says why). */
LW_API int lw_log_append(lw_engine *e, int fd, lw_case *c, const lw_decision *d,
                         const char *role);

/* Read one line of a replay's input into c: a bare case (JSON object), or a
** decision-log record. For a record, c gets the record's case and its day
** (lw_case_set_as_of), *role (if not NULL) its acting role (owned by c, NULL
** when the record has none), and *logged (if not NULL) the logged decision,
** which lives in e like a decision of e: valid until the next call on e
** (lw_decide included). For a bare case *logged is NULL. `also` (may be
** NULL) is a second case, of another playbook -- the version to compare
** with -- that gets the same values from the one parse (its problems are its
** own). name is used in messages. Returns as lw_case_read_json does for c
** (LW_ERR_CASE with *msg, owned by c, when the line is not a case or not a
** well-formed record). */
LW_API int lw_log_read(lw_engine *e, lw_case *c, lw_case *also, const char *name,
                       const char *line, size_t len, const lw_decision **logged,
                       const char **role, const char **msg);

/* ------------------------------------------------------------------------
** The registry: named playbooks, reloaded while in use
**
** A host that serves decisions for a long time (leeway serve) keeps its
** playbooks in a registry. A request acquires the current version of a
** playbook by id and releases it when done; a reload loads the file again,
** runs the tests written in it, and only when both succeed swaps the new
** version in. Requests that acquired the old version finish on it; it is
** freed when the last of them releases it. A failed load or failed tests
** keep the old version serving and are recorded (lw_registry_status).
**
** Thread model: every function may be called from any thread at any time,
** except lw_registry_free (after every handle is released) and
** lw_registry_add (before the registry is shared). Acquire and release take
** a mutex for a few instructions; reload loads outside it.
*/

typedef struct lw_registry lw_registry;

/* A new empty registry; opt (may be NULL: defaults) is used to load every
** playbook and run its tests, and is copied. NULL when out of memory. */
LW_API lw_registry *lw_registry_new(const lw_options *opt);

/* Free the registry and every playbook in it. Every acquired playbook must
** have been released. */
LW_API void lw_registry_free(lw_registry *r);

/* Load the playbook file at path, run its tests and add it under its id.
** LW_OK; LW_ERR_PLAYBOOK / LW_ERR_IO when it cannot be loaded, LW_ERR_LIMIT
** when its tests fail, LW_ERR_ARG when its id is already in the registry,
** LW_ERR_NOMEM. On an error, msg (if not NULL) gets a message for people,
** one line per problem ("FILE:LINE:COL: error: ..."), cut to size bytes. */
LW_API int lw_registry_add(lw_registry *r, const char *path, char *msg, size_t size);

/* Number of playbooks, and the id of the i-th in the order added (owned by
** r, valid until lw_registry_free; NULL when out of range). */
LW_API size_t lw_registry_count(const lw_registry *r);
LW_API const char *lw_registry_id(const lw_registry *r, size_t i);

/* Load the playbook `id` again from its file, run its tests and, when both
** succeed, make the new version current. Returns as lw_registry_add
** (LW_ERR_NOTFOUND for an unknown id); on an error the old version keeps
** serving and the error is recorded in its status. Reloads of one playbook
** are serialised; a file that changes while its tests run is loaded again. */
LW_API int lw_registry_reload(lw_registry *r, const char *id, char *msg, size_t size);

/* The current version of playbook `id`, held until lw_registry_release:
** it stays valid (and unchanged) however often the playbook is reloaded
** meanwhile. NULL for an unknown id. Every acquire needs one release. */
LW_API const lw_playbook *lw_registry_acquire(lw_registry *r, const char *id);
/* Give a playbook back; the last release of a replaced version frees it.
** NULL does nothing. */
LW_API void lw_registry_release(lw_registry *r, const lw_playbook *pb);

/* What a host shows about a playbook of the registry. Times are
** milliseconds since 1970 (UTC). */
typedef struct lw_registry_status {
    const char *path;          /* the file as given to lw_registry_add; owned by r */
    int64_t loaded_at;         /* when the current version was loaded */
    unsigned long reloads_ok;  /* reloads that swapped a new version in */
    unsigned long reloads_failed;
    int64_t last_reload_at;    /* 0 when never reloaded */
    int last_result;           /* LW_OK or the code of the last reload */
    char last_error[2048];     /* its message ("" when it succeeded) */
} lw_registry_status;

/* Copy the status of playbook `id` into *st. LW_OK, LW_ERR_NOTFOUND, or
** LW_ERR_ARG for NULL arguments. */
LW_API int lw_registry_status_get(lw_registry *r, const char *id, lw_registry_status *st);

/* ------------------------------------------------------------------------
** Replay: what a change of playbook does to many decisions
*/

typedef struct lw_replay lw_replay;

/* A new, empty replay summary keeping at most max_examples examples of
** changed decisions; opt (may be NULL) gives the allocator. NULL when out of
** memory. A summary belongs to one thread; merge per-thread summaries with
** lw_replay_merge. */
LW_API lw_replay *lw_replay_new(const lw_options *opt, size_t max_examples);
LW_API void lw_replay_free(lw_replay *r);

/* Count the decision `after` for the case c read from input line `line`
** (1-based), compared with `before` (the old playbook's decision or the
** logged one; NULL when there is nothing to compare with). A decision is
** changed when its outcome, a policy entry (id, outcome, exception,
** discretion, needs_role, requires, reason, say), the goodwill amount,
** currency or authority (within_authority, needs_role), a promise or an
** output differs; playbook, version, digest, as_of, steps, missing and trace
** do not count. Returns 1 when changed, 0 when not (or nothing to compare),
** LW_ERR_ARG / LW_ERR_NOMEM as negative numbers. c (may be NULL) is written
** with lw_case_json into an example when one is kept. */
LW_API int lw_replay_add(lw_replay *r, long line, const lw_decision *before,
                         const lw_decision *after, lw_case *c);

/* Add the counts of `from` to `into` (examples: the ones of lowest line
** numbers are kept). LW_OK or LW_ERR_NOMEM. */
LW_API int lw_replay_merge(lw_replay *into, const lw_replay *from);

/* Counts so far: cases, compared (had a before), changed. NULL-safe (0). */
LW_API size_t lw_replay_cases(const lw_replay *r);
LW_API size_t lw_replay_changed(const lw_replay *r);

/* The summary as JSON (one line, docs/replay.md) or as text for people.
** Owned by r, valid until the next call on r; NULL when out of memory. */
LW_API const char *lw_replay_json(lw_replay *r, size_t *len);
LW_API const char *lw_replay_text(lw_replay *r, size_t *len);

/* Columns that UTF-8 text takes in a terminal (wide characters count 2,
** combining marks 0), for aligning output; invalid bytes count 1 each. */
LW_API size_t lw_display_width(const char *s);

/* Edit distance between two short words (for "did you mean" hints); large
** (99) for words over 63 bytes or NULL. */
LW_API int lw_edit_distance(const char *a, const char *b);

/* Format a money value ("40.00 EUR") or a value as a decision would show it
** into buf; returns the full length (snprintf-like). */
LW_API size_t lw_money_format(lw_money m, int with_currency, char *buf, size_t size);
LW_API size_t lw_value_format(const lw_value *v, char *buf, size_t size);

/* Evaluate Lua code against case c, as a playbook script sees it (`case`,
** money(), date() ...; `amount` is zero), under the engine's budgets: an
** expression ("case.customer.age + 1") or statements ending in `return`.
** *result is the value as text, or the error message; owned by e, valid until
** the next call on e. LW_OK, or LW_ERR_ARG when the code fails. */
LW_API int lw_eval_lua(lw_engine *e, const lw_playbook *pb, const lw_case *c, const char *code,
                       const char **result);

/* ------------------------------------------------------------------------
** The staff handbook (docs/handbook.md)
*/

/* The handbook of pb for the staff who apply it: roles with their goodwill
** limits and what each may apply, the cumulative caps, every policy and
** exception with its condition, outcome, reason and what to tell the
** customer, the goodwill steps and decision tables (row numbers and ids),
** outputs, promises with their due times, effective windows and the facts to
** ask for, stamped with the playbook's id, version and bundle digest.
** format: "html" (one self-contained page, well-formed as XML too; NULL is
** "html") or "md" (Markdown). lang: the language of the playbook's texts
** (NULL: the playbook's locale); a text not written in it is shown in the
** playbook's locale (else its first language) and marked so. {placeholders}
** are shown as written, not filled in. The same playbook, format and lang
** give the same bytes. LW_OK with *text the handbook and *len (if not NULL)
** its length; LW_ERR_ARG for an unknown format and LW_ERR_NOTFOUND for a
** language none of the playbook's texts is written in, with *text the
** message ("the playbook has no texts in 'sv'; it has texts in en and fi");
** LW_ERR_NOMEM with *text "out of memory"; LW_ERR_ARG (*text untouched)
** when e, pb or text is NULL. *text is owned by e and valid until the next
** call on e. */
LW_API int lw_handbook(lw_engine *e, const lw_playbook *pb, const char *format,
                       const char *lang, const char **text, size_t *len);

/* ------------------------------------------------------------------------
** What would change the answer
*/

typedef struct lw_flip {
    const char *kind;     /* "policy", "exception", "goodwill", "promise", or
                             "authority" (only a different role changes it) */
    const char *rule;     /* the rule that did not fire; for "authority" the
                             policy escalated, or "goodwill" */
    const char *file;     /* where the rule is written; for "authority", where
                             the role that would do is declared */
    int line;
    const char *change;   /* "customer.tenure_years >= 10 (now 7)", or why it
                             cannot tell (a Lua condition, a computed value) */
} lw_flip_item;

/* For the case as it is: every policy not in force, exception or goodwill
** step that did not fire and promise not made, with everything that would
** have to change together to make it fire, read from the compiled
** conditions: the effective window ("date >= 2026-12-01 (now 2026-11-20)"),
** the channels ("channel in [store] (now web)") and the condition's own
** parts, joined by " and "; " -- only a different role would change this"
** ends a change that reads only staff.role. Then, as kind "authority", each
** policy escalated because its exception needs a higher role, and goodwill
** beyond the acting role's limit. *items points into e and stays valid until
** the next call on e. */
LW_API int lw_flip(lw_engine *e, const lw_playbook *pb, const lw_case *c,
                   const lw_decide_options *opt, const lw_flip_item **items,
                   size_t *n);

/* ------------------------------------------------------------------------
** Tests (docs/playbook-format.md §10)
*/

typedef struct lw_test_result {
    const char *file;       /* where the test is written */
    int line;
    const char *name;       /* "name" or "name [row 3]" for each: rows */
    int passed;
    const char *failure;    /* why it failed (expected vs actual), or NULL */
} lw_test_result;

typedef void (*lw_test_cb)(void *ud, const lw_test_result *r);
/* Called once per rule or table row no test reached ("policy annual_fee",
** "goodwill base row 3"), when coverage is asked for. */
typedef void (*lw_uncovered_cb)(void *ud, const char *file, const char *rule);

/* Run the tests of a playbook file (its tests:) or of a *.test.yaml file
** (whose playbook: names the playbook, relative to the test file). Calls cb
** for each test and, if uncovered is not NULL, reports what no test reached.
** *passed and *failed are added to. Returns LW_OK when the tests ran (even if
** some failed), LW_ERR_NOTFOUND when the file holds no tests, LW_ERR_PLAYBOOK
** or LW_ERR_IO when the playbook cannot be loaded (its errors in *report,
** which the caller frees; report may be NULL). */
LW_API int lw_test_file(lw_engine *e, const char *path, const lw_options *opt,
                        lw_test_cb cb, lw_uncovered_cb uncovered, void *ud,
                        int *passed, int *failed, lw_report **report);

/* Coverage: when on, lw_decide records which rules and table rows were
** reached, until switched off or on again (which clears the record).
** lw_coverage_unreached lists, for pb, the names of rules not reached; the
** array is owned by e and valid until the next call on e. */
LW_API void lw_engine_coverage(lw_engine *e, int on);
LW_API size_t lw_coverage_unreached(lw_engine *e, const lw_playbook *pb,
                                    const char *const **names);

#ifdef __cplusplus
}
#endif
#endif
