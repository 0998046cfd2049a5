-- leeway--0.1.sql: the functions of the leeway extension, in schema leeway.
--
-- Why each function is declared as it is:
--
-- STABLE, not IMMUTABLE. A decision depends on the playbook files under
-- leeway.playbook_dir, which an administrator may edit, and a case without a
-- date is decided as of the day the transaction started. Within one
-- statement neither changes: a call site keeps the bundle it first resolved
-- for the whole query, and a bundle is revalidated (every source file) at
-- most once per statement -- which is what STABLE promises. IMMUTABLE would
-- be a lie with consequences: the planner would fold calls on constants at
-- plan time (a prepared statement would keep last month's answer), and they
-- could be used in indexes whose entries no edit would ever refresh.
--
-- Citus: Citus plans a distributed query by sending fragments of it to the
-- workers, each holding shards of the table, and it reads volatility to do
-- so. IMMUTABLE calls may be evaluated anywhere -- folded while planning or
-- run on the workers -- since their answer may never change. STABLE (and
-- VOLATILE) calls that do not depend on a row, like now(), are evaluated
-- once on the coordinator when a modification is planned, so that every
-- shard sees the same value. In a SELECT, leeway's calls take the case
-- column, so they run on the workers, row by row, next to the shards --
-- which therefore need the extension and the same bundles under the same
-- leeway.playbook_dir. In a modification of a distributed table Citus
-- refuses VOLATILE functions, and STABLE ones called with column
-- references, in an UPDATE's SET list and in the WHERE clause of an UPDATE
-- or DELETE (its errors "functions used in UPDATE queries on distributed
-- tables must not be VOLATILE" and "STABLE functions used in UPDATE
-- queries cannot be called with column references"), and anything but
-- IMMUTABLE in RETURNING: store decisions with INSERT ... SELECT into a
-- table of their own instead. Not tested here (no Citus on Debian); see
-- docs/postgresql.md.
--
-- PARALLEL SAFE. A decision reads files and the backend-local cache, never
-- the database, and writes nothing; each parallel worker loads the bundles
-- itself (the setting is passed to the workers with every other one).
--
-- Not STRICT, but NULL in gives NULL out. decide/outcome/goodwill return NULL
-- when the playbook or the case is NULL; the role defaults to NULL, which
-- means "the case's own staff.role", so a STRICT declaration would wrongly
-- turn a missing role into a NULL answer. check() is STRICT.
--
-- COST. A decision takes about a microsecond, a thousand simple operators
-- (COST 1): the planner must know it, or it neither puts cheaper conditions
-- first nor finds a parallel scan worth its start-up cost.

\echo Use "CREATE EXTENSION leeway" to load this file. \quit

CREATE FUNCTION decide(playbook text, c jsonb, role text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'leeway_decide'
LANGUAGE C STABLE PARALLEL SAFE COST 2000;

COMMENT ON FUNCTION decide(text, jsonb, text) IS
'The decision of `leeway decide` for case c with the named playbook (under leeway.playbook_dir), as jsonb; role overrides the case''s staff.role';

CREATE FUNCTION outcome(playbook text, c jsonb, role text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'leeway_outcome'
LANGUAGE C STABLE PARALLEL SAFE COST 1000;

COMMENT ON FUNCTION outcome(text, jsonb, text) IS
'The outcome of the decision (allow, deny, escalate, invalid or the playbook''s own word), without building the decision''s JSON';

CREATE FUNCTION goodwill(playbook text, c jsonb, role text DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'leeway_goodwill'
LANGUAGE C STABLE PARALLEL SAFE COST 1000;

COMMENT ON FUNCTION goodwill(text, jsonb, text) IS
'The goodwill amount of the decision in its currency (decide(...)->''goodwill''->>''currency''), exact to the minor unit';

-- check() (quoted here: CHECK is a keyword; leeway.check works as it is)
-- reads the files afresh at every call (it is what one runs after an
-- edit), so two calls in one statement may differ: VOLATILE. It writes
-- nothing and may run in a parallel worker.
CREATE FUNCTION "check"(playbook text)
RETURNS TABLE(severity text, file text, line int, col int, rule text, message text)
AS 'MODULE_PATHNAME', 'leeway_check'
LANGUAGE C VOLATILE STRICT PARALLEL SAFE COST 10000 ROWS 10;

COMMENT ON FUNCTION "check"(text) IS
'The errors and lint warnings of the named playbook, as `leeway check` prints them (file relative to leeway.playbook_dir)';

-- playbooks() shows this backend's cache: in a parallel worker it would show
-- the worker's, so it runs in the leader only (PARALLEL RESTRICTED), and it
-- changes as bundles are loaded (VOLATILE).
CREATE FUNCTION playbooks()
RETURNS TABLE(name text, id text, version text, digest text, loaded_at timestamptz)
AS 'MODULE_PATHNAME', 'leeway_playbooks'
LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 10;

COMMENT ON FUNCTION playbooks() IS
'The playbooks this backend has compiled and cached: name, playbook id, version, bundle digest, when loaded';
