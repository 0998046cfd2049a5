-- The per-backend cache: an edited playbook -- any file of its bundle -- is
-- picked up by the next statement, never in the middle of one.
-- (Each program run by COPY TO PROGRAM here reads the row COPY writes
-- first: one that ended before it was written would break the pipe.)
CREATE FUNCTION pg_temp.edit(file text, sed text) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
                   format('cat >/dev/null && sed -i %s %s', quote_literal(sed),
                          current_setting('leeway.playbook_dir') || '/pgtest-edit/' || file));
    RETURN 1;
END $$;

SELECT leeway.outcome('pgtest-edit', '{}'), leeway.goodwill('pgtest-edit', '{}');
SELECT digest AS digest_before FROM leeway.playbooks() WHERE name = 'pgtest-edit' \gset

-- the playbook file is edited while the statement runs (at row 2): every
-- row of the statement is decided with the bundle it started with
SELECT i, leeway.outcome('pgtest-edit', '{}')
FROM generate_series(1, 3) i,
     LATERAL (SELECT CASE WHEN i = 2 THEN pg_temp.edit('playbook.yaml', 's/outcome: deny/outcome: allow/') END) e
ORDER BY i;
-- the next statement decides with the edited one
SELECT leeway.outcome('pgtest-edit', '{}');
SELECT digest <> :'digest_before' AS new_digest FROM leeway.playbooks() WHERE name = 'pgtest-edit';

-- an edit to a functions: library of the bundle counts as well
SELECT pg_temp.edit('bonus.lua', 's/5.00 EUR/7.50 EUR/');
SELECT leeway.goodwill('pgtest-edit', '{}');

-- and to an imported rule set
SELECT leeway.decide('pgtest-edit', '{}')->'outputs'->>'note' AS note;
SELECT pg_temp.edit('notes.yaml', 's/first/second/');
SELECT leeway.decide('pgtest-edit', '{}')->'outputs'->>'note' AS note;

-- in a PL/pgSQL function the statement is the one that called it: within
-- one transaction the next statement sees an edit (PL/pgSQL keeps the
-- function's expression, and so its call site, for the whole transaction)
CREATE FUNCTION pg_temp.note(c jsonb) RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN leeway.decide('pgtest-edit', c)->'outputs'->>'note';
END $$;
BEGIN;
SELECT pg_temp.note('{}');
SELECT pg_temp.edit('notes.yaml', 's/second/third/');
SELECT pg_temp.note('{}');
COMMIT;

-- a cursor is one query: its FETCHes keep the bundle it started with, and
-- the statement after it sees the edit
BEGIN;
DECLARE notes CURSOR FOR
    SELECT i, leeway.decide('pgtest-edit', '{}')->'outputs'->>'note' AS note
    FROM generate_series(1, 2) i;
FETCH 1 FROM notes;
SELECT pg_temp.edit('notes.yaml', 's/third/fourth/');
FETCH 1 FROM notes;
CLOSE notes;
SELECT leeway.decide('pgtest-edit', '{}')->'outputs'->>'note' AS note;
COMMIT;

-- and to a library found in a rule-set folder (LEEWAY_RULES_PATH), which
-- the bundle names "<rules>/pgtest-fee.lua": such a bundle is compiled again
-- to compare digests
SELECT leeway.goodwill('pgtest-rules', '{}');
SELECT digest AS rules_digest, loaded_at AS rules_loaded FROM leeway.playbooks() WHERE name = 'pgtest-rules' \gset
SELECT leeway.goodwill('pgtest-rules', '{}');
SELECT digest = :'rules_digest' AS same_digest, loaded_at = :'rules_loaded' AS not_reloaded
FROM leeway.playbooks() WHERE name = 'pgtest-rules';
COPY (SELECT 1) TO PROGRAM 'cat >/dev/null && sed -i s/3.00/4.00/ "$LEEWAY_RULES_PATH/pgtest-fee.lua"';
SELECT leeway.goodwill('pgtest-rules', '{}');
SELECT digest <> :'rules_digest' AS new_digest FROM leeway.playbooks() WHERE name = 'pgtest-rules';

-- a playbook broken by an edit is an error from the next statement on, and
-- mended, it works again
SELECT pg_temp.edit('playbook.yaml', 's/kind == refund/knid == refund/');
SELECT leeway.outcome('pgtest-edit', '{}');
SELECT pg_temp.edit('playbook.yaml', 's/knid == refund/kind == refund/');
SELECT leeway.outcome('pgtest-edit', '{}'), leeway.goodwill('pgtest-edit', '{}');

-- an unchanged bundle is not reloaded
SELECT leeway.outcome('telecom', '{"date": "2026-11-23"}');
SELECT loaded_at AS loaded_before FROM leeway.playbooks() WHERE name = 'telecom' \gset
SELECT leeway.outcome('telecom', '{"date": "2026-11-23"}');
SELECT loaded_at = :'loaded_before' AS same_load FROM leeway.playbooks() WHERE name = 'telecom';
-- nor is one whose import is in a rules folder above (../../rules/eu261.yaml)
SELECT leeway.outcome('airline', '{"date": "2026-11-23"}');
SELECT loaded_at AS loaded_before FROM leeway.playbooks() WHERE name = 'airline' \gset
SELECT leeway.outcome('airline', '{"date": "2026-11-23"}');
SELECT loaded_at = :'loaded_before' AS same_load FROM leeway.playbooks() WHERE name = 'airline';

-- a case without a date is decided as of the day the transaction started
SELECT leeway.decide('telecom', '{}')->>'as_of' = to_char(transaction_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS as_of_today;

-- every replaced bundle has been freed: one memory context per cached
-- playbook, named after it, and nothing else of leeway's left
SELECT (SELECT count(*) FROM pg_backend_memory_contexts WHERE name = 'leeway playbook')
     = (SELECT count(*) FROM leeway.playbooks()) AS one_context_each,
       (SELECT count(*) FROM pg_backend_memory_contexts
        WHERE name LIKE 'leeway%' AND name NOT IN ('leeway', 'leeway playbook')) AS others;
SELECT ident FROM pg_backend_memory_contexts WHERE name = 'leeway playbook' ORDER BY ident;
