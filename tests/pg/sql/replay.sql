-- The guide's Part 3 replay (docs/examples/replay: October's and December's
-- returns playbook, November's cases) in SQL, giving the numbers of
-- `leeway replay returns.yaml cases --against returns-2026-10.yaml --format
-- json`, which tests/pg/run saved as replay-summary.json.
\getenv tree LEEWAY_PG_TREE
\set cases :tree '/playbooks/replay/cases-2026-11.jsonl'
\set summary :tree '/replay-summary.json'
CREATE TABLE november (line serial, c jsonb);
COPY november (c) FROM :'cases' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
CREATE TEMP TABLE cli AS SELECT pg_read_file(:'summary')::jsonb AS s;

-- the recipe of docs/postgresql.md: how many outcomes change
SELECT count(*) AS cases,
       count(*) FILTER (WHERE leeway.outcome('replay/returns.yaml', c)
                           <> leeway.outcome('replay/returns-2026-10.yaml', c)) AS outcome_changed
FROM november;

-- both decisions of every case
CREATE TEMP TABLE replay AS
SELECT line, c, leeway.decide('replay/returns-2026-10.yaml', c) AS before,
       leeway.decide('replay/returns.yaml', c) AS after
FROM november;

-- what leeway replay counts as a change: the outcome, the policies, the
-- goodwill amount and authority, promises and outputs (not the version,
-- digest, as_of, steps or missing facts)
CREATE FUNCTION pg_temp.compared(d jsonb) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('outcome', d->'outcome', 'policies', d->'policies',
                              'goodwill', (d->'goodwill') - '{limit,steps,capped_by}'::text[],
                              'promises', d->'promises', 'outputs', d->'outputs')
$$;

SELECT count(*) FILTER (WHERE pg_temp.compared(before) <> pg_temp.compared(after)) AS changed,
       count(*) FILTER (WHERE pg_temp.compared(before) = pg_temp.compared(after)) AS unchanged
FROM replay;

-- outcome transitions
SELECT before->>'outcome' || '->' || (after->>'outcome') AS transition, count(*)
FROM replay WHERE before->>'outcome' <> after->>'outcome' GROUP BY 1 ORDER BY 1;

-- goodwill totals per currency
SELECT after->'goodwill'->>'currency' AS currency,
       sum((before->'goodwill'->>'amount')::numeric) AS before,
       sum((after->'goodwill'->>'amount')::numeric) AS after,
       sum((after->'goodwill'->>'amount')::numeric - (before->'goodwill'->>'amount')::numeric) AS delta
FROM replay GROUP BY 1 ORDER BY 1;

-- the changed cases
SELECT line, before->>'outcome' AS outcome_before, after->>'outcome' AS outcome_after,
       before->'goodwill'->>'amount' AS goodwill_before, after->'goodwill'->>'amount' AS goodwill_after
FROM replay WHERE pg_temp.compared(before) <> pg_temp.compared(after) ORDER BY line;

-- the same numbers as leeway replay's summary
SELECT (SELECT count(*) FROM replay) = (s->>'cases')::int AS cases,
       (SELECT count(*) FROM replay WHERE pg_temp.compared(before) <> pg_temp.compared(after))
           = (s->>'changed')::int AS changed,
       (SELECT jsonb_object_agg(o, n) FROM (SELECT after->>'outcome' AS o, count(*) AS n FROM replay GROUP BY 1) x)
           = s->'outcomes' AS outcomes,
       (SELECT jsonb_object_agg(t, n) FROM (SELECT before->>'outcome' || '->' || (after->>'outcome') AS t, count(*) AS n
                                            FROM replay WHERE before->>'outcome' <> after->>'outcome' GROUP BY 1) x)
           = s->'transitions' AS transitions,
       (SELECT jsonb_object_agg(cur, jsonb_build_object('before', b::text, 'after', a::text, 'delta', (a - b)::text))
        FROM (SELECT after->'goodwill'->>'currency' AS cur,
                     sum((before->'goodwill'->>'amount')::numeric) AS b,
                     sum((after->'goodwill'->>'amount')::numeric) AS a
              FROM replay GROUP BY 1) x)
           = s->'goodwill' AS goodwill
FROM cli;
