-- Every function once, on one example case; the properties they are
-- declared with (leeway--0.1.sql says why).
CREATE EXTENSION leeway;

SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict, p.procost,
       pg_get_function_arguments(p.oid) AS arguments
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'leeway' ORDER BY p.proname;

\set poa '{"request": {"kind": "terminate", "by_proxy": true, "poa_scope": "general"}, "customer": {"age": 82, "name": "Aino"}, "channel": "store", "staff": {"role": "frontline"}, "date": "2026-11-23"}'

SELECT jsonb_pretty(leeway.decide('telecom', :'poa') - 'digest');
SELECT leeway.outcome('telecom', :'poa');
SELECT leeway.outcome('telecom', :'poa', 'senior');
SELECT leeway.goodwill('telecom', :'poa');
SELECT leeway.goodwill('telecom', '{"incident": {"outage_hours": 30}, "date": "2026-11-23"}');

-- NULL in, NULL out; a NULL role is the case's own staff.role
SELECT leeway.decide(NULL, :'poa') IS NULL AS no_playbook,
       leeway.outcome('telecom', NULL) IS NULL AS no_case,
       leeway.goodwill(NULL, NULL) IS NULL AS neither,
       leeway.outcome('telecom', :'poa', NULL) AS null_role;

SELECT * FROM leeway.check('telecom');
SELECT * FROM leeway.check('pgtest-broken');
SELECT * FROM leeway.check(NULL);

SELECT name, id, version, digest LIKE 'sha256:%' AS digest, loaded_at <= now() AS loaded
FROM leeway.playbooks() ORDER BY name;
