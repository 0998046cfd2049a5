-- A database in another encoding than UTF-8: cases, roles and decisions are
-- converted at the boundary, so the answers are the same. (Without that,
-- the library would see Latin-1 bytes and call the case invalid.)
\set regress_db :DBNAME
CREATE DATABASE leeway_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c leeway_latin1
CREATE EXTENSION leeway;
SET client_encoding = 'UTF8';
SELECT leeway.decide('telecom', '{"request": {"kind": "terminate", "by_proxy": true}, "customer": {"age": 82, "name": "Äino Ääretön"}, "channel": "store", "staff": {"role": "frontline"}, "date": "2026-11-23"}')->'policies'->0->>'reason' AS reason;
SELECT leeway.outcome('telecom', '{"customer": {"name": "Äino"}, "date": "2026-11-23"}');
\c :regress_db
DROP DATABASE leeway_latin1;
