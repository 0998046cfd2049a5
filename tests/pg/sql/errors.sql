-- Errors are PostgreSQL errors with fitting SQLSTATEs. err() runs a
-- statement and shows its SQLSTATE and message.
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

-- a case that is not a jsonb object: 22023
SELECT pg_temp.err($$SELECT leeway.decide('telecom', '[1, 2]')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('telecom', '"a case"')$$);
SELECT pg_temp.err($$SELECT leeway.goodwill('telecom', 'null'::jsonb)$$);
SELECT leeway.outcome('telecom', '42');

-- names, never paths: refused (42501), empty (22023), missing (58P01)
SELECT pg_temp.err($$SELECT leeway.outcome('/etc/passwd', '{}')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('../telecom', '{}')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('telecom/../../rules/eu261.yaml', '{}')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('./telecom', '{}')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('telecom//playbook.yaml', '{}')$$);
SELECT pg_temp.err($$SELECT * FROM leeway.check('/etc/passwd')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('', '{}')$$);
SELECT pg_temp.err($$SELECT leeway.outcome('no-such-playbook', '{}')$$);
SELECT leeway.outcome('telecom/cases', '{}');

-- a playbook the server cannot read: 58030
DO $do$
BEGIN
    EXECUTE format($$COPY (SELECT 1) TO PROGRAM 'cat >/dev/null && mkdir %1$s && cp %2$s %1$s/ && chmod 000 %1$s/playbook.yaml'$$,
                   current_setting('leeway.playbook_dir') || '/pgtest-unreadable',
                   current_setting('leeway.playbook_dir') || '/telecom/playbook.yaml');
END $do$;
SELECT pg_temp.err($$SELECT leeway.outcome('pgtest-unreadable', '{}')$$);

-- a broken playbook: F0000 with file:line:col
SELECT pg_temp.err($$SELECT leeway.outcome('pgtest-broken', '{}')$$);
SELECT leeway.decide('pgtest-broken', '{}');

-- a case with bad values is not an error: the decision is invalid, as in
-- `leeway decide`
SELECT leeway.outcome('telecom', '{"customer": {"age": "old"}, "no": {"such": 1}}');
SELECT leeway.decide('telecom', '{"customer": {"age": "old"}}')->'problems';

-- the settings: only a superuser sets leeway.playbook_dir (42501); it must
-- be absolute; unset, nothing can be named (55000)
CREATE ROLE leeway_tester;
GRANT USAGE ON SCHEMA leeway TO leeway_tester;
SET ROLE leeway_tester;
SELECT pg_temp.err($$SET leeway.playbook_dir = '/'$$);
SELECT pg_temp.err($$SET leeway.lua_millis = 1$$);
SELECT leeway.outcome('telecom', '{"date": "2026-11-23"}');
RESET ROLE;
REVOKE USAGE ON SCHEMA leeway FROM leeway_tester;
DROP ROLE leeway_tester;
SELECT pg_temp.err($$SET leeway.playbook_dir = 'relative/dir'$$);
SELECT pg_temp.err($$SET leeway.no_such_setting = 1$$);
BEGIN;
SET LOCAL leeway.playbook_dir = '';
SELECT pg_temp.err($$SELECT leeway.outcome('telecom', '{}')$$);
ROLLBACK;

-- a Lua rule that runs past its budget: 54000, and the backend goes on;
-- a new leeway.lua_millis holds from the next decision on
SELECT leeway.outcome('pgtest-slow', '{"spin": 10}');
SET leeway.lua_millis = 1;
SELECT pg_temp.err($$SELECT leeway.outcome('pgtest-slow', '{"spin": -1}')$$);
SET leeway.lua_millis = 200;
SELECT pg_temp.err($$SELECT leeway.outcome('pgtest-slow', '{"spin": -1}')$$) LIKE '54000: pgtest-slow/playbook.yaml:12:1: Lua: the script % budget of %' AS budget_error;
RESET leeway.lua_millis;
SELECT leeway.outcome('pgtest-slow', '{"spin": 10}');
