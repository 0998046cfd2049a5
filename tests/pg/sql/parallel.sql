-- A large scan runs in parallel: the declared cost makes two workers worth
-- their start-up, and the workers decide what the leader alone decides.
\getenv tree LEEWAY_PG_TREE
\set bench_cases :tree '/bench-cases.jsonl'
CREATE TABLE cases (c jsonb);
COPY cases FROM :'bench_cases' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
INSERT INTO cases SELECT c FROM cases, generate_series(1, 19);
-- small enough that only the function's cost can make a parallel plan pay:
-- no minimum table size (the planner's default is 8 MB)
ALTER TABLE cases SET (parallel_workers = 2);
ANALYZE cases;

EXPLAIN (COSTS OFF)
SELECT count(*) FROM cases WHERE leeway.outcome('bench', c) = 'allow';
EXPLAIN (COSTS OFF)
SELECT c->'customer'->>'tier' AS tier, sum(leeway.goodwill('bench/playbook-lua.yaml', c))
FROM cases GROUP BY 1;

SELECT count(*) FROM cases WHERE leeway.outcome('bench', c) = 'allow';
SELECT c->'customer'->>'tier' AS tier, sum(leeway.goodwill('bench/playbook-lua.yaml', c))
FROM cases GROUP BY 1 ORDER BY 1;

-- the same without workers
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM cases WHERE leeway.outcome('bench', c) = 'allow';
SELECT c->'customer'->>'tier' AS tier, sum(leeway.goodwill('bench/playbook-lua.yaml', c))
FROM cases GROUP BY 1 ORDER BY 1;
RESET max_parallel_workers_per_gather;

-- with the function's cost at 1, the same scan does not go parallel
ALTER FUNCTION leeway.outcome(text, jsonb, text) COST 1;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cases WHERE leeway.outcome('bench', c) = 'allow';
ALTER FUNCTION leeway.outcome(text, jsonb, text) COST 1000;

-- In a parallel query the leader and each worker load a playbook for
-- themselves: one edited after the statement began is an error there
-- (40001: run it again), never a mix of versions. Here a file of the bundle
-- is dated an hour ahead, as if just edited; without workers nothing can
-- mix, and the same statement decides.
CREATE FUNCTION pg_temp.touch(age text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
                   format('cat >/dev/null && touch -d %s %s', quote_literal(age),
                          current_setting('leeway.playbook_dir') || '/pgtest-edit/notes.yaml'));
    RETURN 1;
END $$;
SELECT pg_temp.touch('+1 hour');
EXPLAIN (COSTS OFF)
SELECT count(*) FROM cases WHERE leeway.outcome('pgtest-edit', c) <> 'no such outcome';
-- (the leader or a worker may be the first to see it: the message alone)
\set VERBOSITY terse
\set SHOW_CONTEXT never
SELECT count(*) FROM cases WHERE leeway.outcome('pgtest-edit', c) <> 'no such outcome';
\set VERBOSITY sqlstate
SELECT count(*) FROM cases WHERE leeway.outcome('pgtest-edit', c) <> 'no such outcome';
\set VERBOSITY default
\set SHOW_CONTEXT errors
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM cases WHERE leeway.outcome('pgtest-edit', c) <> 'no such outcome';
RESET max_parallel_workers_per_gather;
SELECT pg_temp.touch('1 hour ago');
SELECT count(*) FROM cases WHERE leeway.outcome('pgtest-edit', c) <> 'no such outcome';
