-- statement_timeout and a cancel stop a scan whose rows run a Lua rule:
-- 100,000 rows of ~200,000 Lua iterations each would take minutes. The
-- backend goes on deciding afterwards. (The table of the parallel scan is
-- made first: on a busy machine, making it could outlast the timeout.)
CREATE TABLE spins AS SELECT jsonb_build_object('spin', 200000) AS c FROM generate_series(1, 100000);
ALTER TABLE spins SET (parallel_workers = 2);
SET statement_timeout = '500ms';
SELECT count(*) FROM generate_series(1, 100000) i
WHERE leeway.outcome('pgtest-slow', jsonb_build_object('spin', 200000 + i % 2)) = 'deny';
-- the same in a parallel scan
EXPLAIN (COSTS OFF) SELECT count(*) FROM spins WHERE leeway.outcome('pgtest-slow', c) = 'deny';
SELECT count(*) FROM spins WHERE leeway.outcome('pgtest-slow', c) = 'deny';
-- one rule that never ends stops at the cancel or its budget, whichever
-- comes first
SET leeway.lua_millis = 60000;
DO $$
BEGIN
    PERFORM leeway.outcome('pgtest-slow', '{"spin": -1}');
EXCEPTION WHEN query_canceled OR program_limit_exceeded THEN
    RAISE NOTICE 'stopped';
END $$;
RESET statement_timeout;
RESET leeway.lua_millis;

-- a cancel from another session (pg_cancel_backend: what Ctrl-C in psql
-- sends) stops the parallel scan too; dblink runs it in a second backend
CREATE EXTENSION dblink;
SELECT dblink_connect('scan', format('host=%s port=%s dbname=%s user=postgres',
                                     current_setting('unix_socket_directories'),
                                     current_setting('port'), current_database()));
SELECT dblink_send_query('scan', $$SELECT count(*) FROM spins WHERE leeway.outcome('pgtest-slow', c) = 'deny'$$);
CREATE VIEW scan AS SELECT pid FROM pg_stat_activity
WHERE backend_type = 'client backend' AND state = 'active' AND query LIKE 'SELECT count(*) FROM spins%';
DO $$
BEGIN
    WHILE NOT EXISTS (SELECT FROM scan) LOOP
        PERFORM pg_sleep(0.01);
        PERFORM pg_stat_clear_snapshot();   -- read pg_stat_activity afresh
    END LOOP;
END $$;
SELECT pg_cancel_backend(pid) FROM scan;
SELECT * FROM dblink_get_result('scan') AS t(n bigint);
SELECT dblink_disconnect('scan');
SELECT leeway.outcome('pgtest-slow', '{"spin": 10}'), leeway.outcome('bench', '{}');
