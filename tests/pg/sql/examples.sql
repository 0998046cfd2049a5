-- Each example's cases decided in SQL give what `leeway decide` gives, and
-- 1,000 benchmark cases what `leeway replay` gives (tests/pg/run wrote the
-- command line's answers; LEEWAY_PG_TREE is where). telecom has ten more
-- cases with odd values (null, lists, unknown names, a fact given twice...)
-- that are read through their text rather than straight from the jsonb.
\getenv tree LEEWAY_PG_TREE
\set answers :tree '/answers.jsonl'
\set bench_cases :tree '/bench-cases.jsonl'
\set bench_answers :tree '/bench-decisions.jsonl'
\set bench_lua_answers :tree '/bench-lua-decisions.jsonl'

-- lines of JSON, read by the server (a superuser's COPY) without COPY's
-- text escapes
CREATE TEMP TABLE answers (line jsonb);
COPY answers FROM :'answers' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');

SELECT line->>'playbook' AS playbook, count(*) AS cases,
       count(*) FILTER (WHERE leeway.decide(line->>'playbook', line->'case') = line->'decision') AS same_decision,
       count(*) FILTER (WHERE leeway.outcome(line->>'playbook', line->'case') = line->'decision'->>'outcome') AS same_outcome,
       count(*) FILTER (WHERE leeway.goodwill(line->>'playbook', line->'case') = (line->'decision'->'goodwill'->>'amount')::numeric) AS same_goodwill
FROM answers GROUP BY 1 ORDER BY 1;

-- any difference, in full
SELECT line->>'playbook' AS playbook, line->>'file' AS file,
       leeway.decide(line->>'playbook', line->'case') AS sql, line->'decision' AS cli
FROM answers WHERE leeway.decide(line->>'playbook', line->'case') <> line->'decision';

CREATE TEMP TABLE bench (n serial, c jsonb);
CREATE TEMP TABLE bench_cli (n serial, d jsonb);
CREATE TEMP TABLE bench_lua_cli (n serial, d jsonb);
COPY bench (c) FROM :'bench_cases' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
COPY bench_cli (d) FROM :'bench_answers' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
COPY bench_lua_cli (d) FROM :'bench_lua_answers' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');

SELECT count(*) AS cases,
       count(*) FILTER (WHERE leeway.decide('bench/playbook.yaml', b.c) = x.d) AS same,
       count(*) FILTER (WHERE leeway.decide('bench/playbook-lua.yaml', b.c) = y.d) AS same_lua,
       sum(leeway.goodwill('bench/playbook.yaml', b.c)) = sum((x.d->'goodwill'->>'amount')::numeric) AS same_total
FROM bench b JOIN bench_cli x USING (n) JOIN bench_lua_cli y USING (n);
