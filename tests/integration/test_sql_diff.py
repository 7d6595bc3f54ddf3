"""Differential SQL tests: the same scripts on PostgreSQL 15 and on Phantom Zero, every statement's
outcome compared, so that each case proves the engine answers as PostgreSQL does — result rows
(as the servers' text; in order when the statement has a top-level ORDER BY, sorted otherwise),
column names, column type OIDs, command status with its row count, and for errors the SQLSTATE,
primary message and error position.

How: a private PostgreSQL 15 (initdb into the test folder, run as the `postgres` OS user when the
runner is root, as tests/sqllogic/pg15.sh does) and a `phantomzero start-single-node`, both on
free loopback ports (sql_servers.py); psycopg2 with every type read as raw text; the runner in
sql_diff.py. Each case gets fresh connections on both servers (session settings do not leak) and
its tables are dropped afterwards. The test fails listing every mismatching statement by case.

Coverage: integer overflow, numeric precision and scale, float output, text/varchar(n)/char(n),
bool, bytea, date/time/timestamp/timestamptz/interval, uuid, json/jsonb, arrays, NULL semantics,
string/math/date functions, casts, DDL (constraints, defaults, serial, CHECK, UNIQUE, indexes,
views, ALTER TABLE, RENAME, TRUNCATE, DROP IF EXISTS, sequences), DML (multi-row INSERT,
INSERT ... SELECT, DEFAULT, RETURNING, ON CONFLICT on the primary key, UPDATE ... FROM,
DELETE ... USING, 23505/23502/23514/22001), queries (WHERE, ORDER BY with NULLS FIRST/LAST,
LIMIT/OFFSET, DISTINCT [ON], GROUP BY/HAVING, aggregates with DISTINCT and FILTER, joins of every
kind (reordered by cost after ANALYZE; lookup, merge, hash and nested-loop joins), subqueries
(EXISTS / IN / NOT EXISTS / NOT IN decorrelated into semi and anti joins, NULL-heavy NOT IN, duplicates on
the inner side, and the forms that stay subplans), WHERE conjuncts pushed into outer joins (and
turning them into inner / one-sided ones when they reject NULLs), pg_stats and pg_stat_user_tables
after ANALYZE,
set operations, WITH, CASE, generate_series, VALUES), SET/SHOW/RESET and error
positions. Statements where the engine differs from PostgreSQL today are kept out of this table
(the list, with both outputs, is in the report of the commit that added this file); every
statement here passes against the engine and fails if its answer changes.
"""

import socket
import struct

import psycopg2

import pz
from sql_diff import Case, cleanup_sql, run_case, run_statement
from sql_servers import Pg15, PzSql, raw_text


CASES = [
Case("int_overflow", r"""
SELECT 32767::int2 + 1::int2;
SELECT (-32768)::int2 - 1::int2;
SELECT 2147483647 + 1;
SELECT 2147483647::int4 * 2;
SELECT 9223372036854775807::int8 + 1;
SELECT (-9223372036854775808)::int8 / -1;
SELECT '99999999999999999999'::int8;
SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7::int8 / 2::int2;
SELECT 1 / 0;
SELECT 1 % 0;
SELECT abs(-2147483648);
SELECT -(-2147483648)::int4;
SELECT 32767::int2 * 2::int4;
SELECT pg_typeof(1::int2 + 1::int2), pg_typeof(1::int2 + 1), pg_typeof(1 + 1::int8)
"""),
Case("numeric", r"""
SELECT 1.5::numeric(5,2), 123.456::numeric(5,1), 0.001::numeric(3,2);
SELECT 1::numeric / 3, 2::numeric / 3 * 3, 10::numeric / 4;
SELECT round(2.5), round(-2.5), round(2.345, 2), trunc(2.789, 1), ceil(2.1), floor(-2.1);
SELECT 1e20::numeric + 1, 0.1 + 0.2, 1.000 * 2.50;
SELECT 'NaN'::numeric, 'NaN'::numeric > 1000, '-0.0'::numeric;
SELECT 1::numeric / 0;
SELECT sqrt(2::numeric), power(2::numeric, 10), mod(10.5, 3), abs(-1.50);
SELECT sum(x), avg(x) FROM (VALUES (1.1), (2.2), (3.3)) v(x);
SELECT 'abc'::numeric
"""),
Case("float", r"""
SELECT 1.5::float8, 0.1::float8 + 0.2::float8, 1e300::float8 * 10, 1::float4 / 3;
SELECT 1e308::float8 * 10;
SELECT 'Infinity'::float8, '-Infinity'::float8, 'NaN'::float8, 'NaN'::float8 = 'NaN'::float8;
SELECT 3.0::float8 / 0;
SELECT 123456789.123::float4, 1e-5::float8, 1e16::float8, 1234567890123456789::float8;
SELECT sqrt(2.0::float8), exp(1.0::float8), ln(10.0::float8), log(100.0::float8), pi();
SELECT sqrt(-1::float8);
SELECT ln(0::float8);
SELECT round(2.5::float8), round(3.5::float8), trunc(-2.7::float8), 7.0::float8 ^ 2;
SELECT (-0.0)::float8;
SELECT pg_typeof(1.5), pg_typeof(1.5::float4 + 1), pg_typeof(1 + 1.5::float8)
"""),
Case("text_types", r"""
SELECT 'abc'::varchar(2);
SELECT 'ab '::char(5) || 'x', length('ab '::char(5)), 'ab'::char(5) = 'ab   '::char(5);
SELECT 'abc'::char(2), 'a'::char, octet_length('héllo'), length('héllo');
CREATE TABLE tt_v (v varchar(3), c char(3));
INSERT INTO tt_v VALUES ('ab', 'ab');
INSERT INTO tt_v VALUES ('abc   ', 'x  ');
SELECT v, c, length(v), length(c), c || '|' FROM tt_v ORDER BY v;
SELECT 'a' || NULL, 'a' || 1, 1 || 'a', concat('a', NULL, 1, true);
SELECT 'O''Reilly', E'tab\there', 'x' LIKE 'X', 'x' ILIKE 'X', 'abc' LIKE 'a%', 'a_c' LIKE 'a\_c'
"""),
Case("bool", r"""
SELECT true AND NULL, false AND NULL, true OR NULL, false OR NULL, NOT NULL::bool;
SELECT 't'::bool, 'yes'::bool, 'off'::bool, '0'::bool, ' true '::bool;
SELECT 'maybe'::bool;
SELECT true > false, true::int, 0::bool, 5::bool, NULL::bool IS UNKNOWN, NULL IS NOT TRUE;
SELECT true IS DISTINCT FROM NULL, NULL IS DISTINCT FROM NULL, 1 IS NOT DISTINCT FROM 1
"""),
Case("bytea", r"""
SELECT '\x0102ff'::bytea, 'abc'::bytea, E'\\000'::bytea, length('\x0102'::bytea);
SELECT '\xzz'::bytea;
SELECT '\x01'::bytea || '\x02'::bytea;
SELECT '\x0a'::bytea < '\x0b'::bytea;
SET bytea_output = 'escape';
RESET bytea_output;
SHOW bytea_output
"""),
Case("date_time", r"""
SELECT '2024-02-29'::date, '2023-02-29'::date;
SELECT '2024-01-31'::date + 1, '2024-03-01'::date - '2024-02-01'::date, '2024-01-31'::date + interval '1 month';
SELECT '2024-01-15 10:30:00'::timestamp + interval '1 day 2 hours', '2024-01-15'::date + time '10:00';
SELECT '2024-03-10 12:00'::timestamp - '2024-01-01'::timestamp;
SELECT interval '1 year 2 months 3 days 04:05:06.789', interval '-1 day', interval '90 minutes', interval '1.5 hours';
SELECT interval '1 day' * 3, interval '1 hour' / 4, interval '1 month' - interval '1 day', - interval '2 hours';
SELECT time '23:59:59.999999', time '10:00' + interval '15 hours', time '10:00' - time '08:30';
RESET TimeZone;
SELECT extract(year FROM date '2024-05-06'), extract(dow FROM date '2024-05-06'), extract(epoch FROM timestamp '2024-01-01'), date_part('month', timestamp '2024-05-06 07:08:09');
SELECT date_trunc('month', timestamp '2024-05-06 07:08:09'), date_trunc('hour', timestamptz '2024-05-06 07:08:09+00'), date_trunc('year', date '2024-05-06');
SELECT '2024-01-01'::date < '2024-01-02'::timestamp, '2024-01-01'::date = '2024-01-01 00:00'::timestamp;
SELECT 'infinity'::date, '-infinity'::timestamp, 'epoch'::timestamp, '0001-01-01 BC'::date;
SELECT make_date(2024, 2, 29);
SELECT '25:00'::time;
SELECT 'not a date'::date;
SELECT date '2024-01-01' + 2147483647
"""),
Case("uuid", r"""
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '{A0EEBC99-9C0B4EF8-BB6D6BB9-BD380A11}'::uuid, 'a0eebc999c0b4ef8bb6d6bb9bd380a11'::uuid;
SELECT 'a0eebc99-9c0b-4ef8-bb6d'::uuid;
SELECT 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid < 'b0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid;
CREATE TABLE tu (id uuid PRIMARY KEY, n int);
INSERT INTO tu VALUES ('00000000-0000-0000-0000-000000000002', 2), ('00000000-0000-0000-0000-000000000001', 1);
SELECT * FROM tu ORDER BY id;
SELECT n FROM tu WHERE id = '00000000-0000-0000-0000-000000000002'
"""),
Case("json", r"""
SELECT '{"b": 1, "a": 2, "a": 3}'::jsonb, '{"b": 1, "a": 2, "a": 3}'::json, '[1, 2.50, "x", null, true]'::jsonb;
SELECT '{bad json}'::json;
SELECT '"x"'::jsonb = '"x"'::jsonb;
CREATE TABLE tj (id int PRIMARY KEY, doc jsonb);
INSERT INTO tj VALUES (1, '{"k": "a", "n": 1}'), (2, '{"k": "b", "n": 2, "tags": ["x"]}'), (3, NULL)
"""),
Case("arrays", r"""
SELECT ARRAY[1, 2, 3];
SELECT ARRAY['a', NULL, 'c d'];
SELECT '{1,2,3}'::int[];
SELECT array_length(ARRAY[1, 2, 3], 1);
SELECT cardinality(ARRAY[1, 2]);
SELECT 2 = ANY(ARRAY[1, 2, 3]), 5 = ANY(ARRAY[1, 2]), 1 < ALL(ARRAY[2, 3]), NULL = ANY(ARRAY[1]), 1 = ANY(ARRAY[NULL, 1]), 2 = ANY(ARRAY[NULL, 1]);
SELECT ARRAY[1, 2] = ARRAY[1, 2];
SELECT ARRAY[1, 2] < ARRAY[1, 3];
SELECT array_to_string(ARRAY[1, NULL, 3], ',', '*');
SELECT array_upper(ARRAY[1, 2], 1);
SELECT array_lower(ARRAY[5], 1);
SELECT '{1,2'::int[];
SELECT ARRAY[1, 'a'];
CREATE TABLE ta (id int PRIMARY KEY, tags text[], nums int[]);
INSERT INTO ta VALUES (1, '{a,b}', '{1,2}'), (2, ARRAY['c'], NULL), (3, '{}', '{3}')
"""),
Case("null_semantics", r"""
CREATE TABLE tn (id int PRIMARY KEY, a int, b text);
INSERT INTO tn VALUES (1, 1, 'x'), (2, NULL, 'y'), (3, 3, NULL), (4, NULL, NULL), (5, 5, 'x');
SELECT NULL <> 1;
SELECT 1 + NULL;
SELECT NULL::int IS NULL;
SELECT NOT (NULL::bool);
SELECT id FROM tn WHERE a = NULL;
SELECT id FROM tn WHERE a IS NULL ORDER BY id;
SELECT id FROM tn WHERE a IN (1, NULL) ORDER BY id;
SELECT id FROM tn WHERE a NOT IN (1, NULL);
SELECT id FROM tn WHERE a NOT IN (1, 3) ORDER BY id;
SELECT id FROM tn WHERE a NOT IN (SELECT a FROM tn WHERE id = 2);
SELECT id FROM tn WHERE a IN (SELECT a FROM tn WHERE id > 2) ORDER BY id;
SELECT 1 IN (1, NULL), 2 IN (1, NULL), 2 NOT IN (1, NULL), NULL IN (1);
SELECT count(*), count(a), count(b), sum(a), avg(a), min(b), max(b) FROM tn;
SELECT count(*), sum(a), avg(a), min(a), max(b), bool_and(a > 0), string_agg(b, ',') FROM tn WHERE id > 100;
SELECT COALESCE(a, -1), COALESCE(NULL, b, 'none'), NULLIF(a, 1), NULLIF(b, 'x') FROM tn ORDER BY id;
SELECT a, count(*) FROM tn GROUP BY a ORDER BY a;
SELECT a FROM tn ORDER BY a NULLS FIRST, id;
SELECT a FROM tn ORDER BY a DESC, id;
SELECT a FROM tn ORDER BY a DESC NULLS LAST, id;
SELECT b FROM tn ORDER BY b ASC NULLS FIRST, id;
SELECT DISTINCT a FROM tn ORDER BY a;
SELECT CASE WHEN a IS NULL THEN 'null' WHEN a > 2 THEN 'big' ELSE 'small' END FROM tn ORDER BY id;
SELECT CASE a WHEN 1 THEN 'one' WHEN NULL THEN 'never' END FROM tn ORDER BY id;
SELECT greatest(1, NULL, 3), least(NULL, 2), greatest(NULL::int, NULL)
"""),
Case("string_functions", r"""
SELECT upper('abc'), lower('ÀBC'), initcap('hello wORLD'), length(''), char_length('abc');
SELECT substring('hello' from 2 for 3), substring('hello', 2), substr('hello', 2, 2), left('hello', 2), right('hello', 2), left('hello', -2);
SELECT position('l' in 'hello'), strpos('hello', 'lo'), replace('aaa', 'a', 'bb'), reverse('abc'), repeat('ab', 3);
SELECT trim('  x  '), ltrim('xxyxx', 'x'), rtrim('xxyxx', 'x'), btrim('  y '), trim(both 'x' from 'xyx'), trim(leading from '  a');
SELECT lpad('7', 3, '0'), rpad('ab', 5, '-'), lpad('abcdef', 3), split_part('a,b,c', ',', 2), split_part('a,b', ',', 5);
SELECT translate('hello', 'el', 'ip');
SELECT ascii('A');
SELECT chr(65);
SELECT to_hex(255);
SELECT 'abc' ~ '^a';
SELECT 'abc' ~* 'B';
SELECT 'abc' !~ 'z';
SELECT starts_with('hello', 'he');
SELECT quote_ident('a b');
SELECT quote_literal('it''s');
SELECT repeat('x', -1), substring('abc' from 0 for 2), 'abc' || 1.50;
SELECT substr('hello', 1, -1)
"""),
Case("math_functions", r"""
SELECT abs(-5), abs(-5.5), sign(-3), sign(0.0), mod(-7, 3), div(7, 2), 7 & 3, 7 | 8, 7 # 2, ~5, 1 << 4, 256 >> 2;
SELECT power(2, 10);
SELECT 2 ^ 3;
SELECT |/ 16;
SELECT ||/ 27;
SELECT @ -4;
SELECT ceil(-1.5), ceiling(1.2), floor(1.8), round(1.23456, 3), round(-0.5), trunc(-1.9), gcd(12, 18), lcm(4, 6);
SELECT sin(0), cos(0), atan2(1, 1), degrees(pi()), radians(180), cbrt(27.0);
SELECT log10(1000);
SELECT exp(0);
SELECT ln(1);
SELECT width_bucket(5, 0, 10, 5);
SELECT 10 / 3, 10 / 3.0, 10.0 / 3, 10 % 3.5, -10 / 3;
SELECT mod(5, 0)
"""),
Case("casts", r"""
SELECT '42'::int;
SELECT ' 42 '::int;
SELECT 42.7::int;
SELECT (-42.5)::int;
SELECT '42x'::int;
SELECT ''::int;
SELECT CAST('3.14' AS numeric(4,1)), CAST(1 AS text), CAST(true AS text), CAST('true' AS boolean), 1::bool;
SELECT 12::text || 'x';
SELECT 65::int::text::int + 1;
SELECT ARRAY[1.5, 2.5]::int[];
SELECT '\x6162'::bytea;
SELECT int4 '5';
SELECT text 'x';
SELECT date '2024-01-01';
SELECT numeric '1.50';
SELECT float8 '2';
SELECT 'abc'::uuid;
SELECT 1::oid;
SELECT 'x'::name;
SELECT pg_typeof('x'::name);
SELECT '   1.5e2  '::numeric, '-.5'::numeric, '+5'::int, '0x1F'::int
"""),
Case("ddl_basic", r"""
CREATE TABLE d1 (id serial PRIMARY KEY, name text NOT NULL, qty int DEFAULT 5 CHECK (qty >= 0), code varchar(5) UNIQUE, created date DEFAULT '2024-01-01');
INSERT INTO d1 (name) VALUES ('a');
INSERT INTO d1 (name, qty, code) VALUES ('b', 7, 'X1') RETURNING id, name, qty, code, created;
INSERT INTO d1 (name, qty) VALUES ('c', -1);
INSERT INTO d1 (name) VALUES (NULL);
INSERT INTO d1 (name, code) VALUES ('d', 'X1');
INSERT INTO d1 (name, code) VALUES ('e', NULL), ('f', NULL);
SELECT id, name, qty, code, created FROM d1 ORDER BY id;
CREATE TABLE d1 (x int);
CREATE TABLE IF NOT EXISTS d1 (x int);
CREATE INDEX d1_name_idx ON d1 (name);
CREATE UNIQUE INDEX d1_qc ON d1 (qty, code);
CREATE INDEX d1_name_idx ON d1 (qty);
CREATE INDEX IF NOT EXISTS d1_name_idx ON d1 (qty);
SELECT name FROM d1 WHERE name = 'b';
DROP INDEX d1_name_idx;
DROP INDEX d1_name_idx;
DROP INDEX IF EXISTS d1_name_idx;
DROP TABLE IF EXISTS nosuch;
CREATE TABLE d2 (a int, b int, PRIMARY KEY (a, b), CONSTRAINT b_pos CHECK (b > 0));
INSERT INTO d2 VALUES (1, 1), (1, 2);
INSERT INTO d2 VALUES (1, 1);
INSERT INTO d2 VALUES (2, 0);
INSERT INTO d2 VALUES (NULL, 1);
SELECT * FROM d2 ORDER BY a, b;
CREATE TABLE d3 (a int PRIMARY KEY, a text);
CREATE TABLE d4 (a nosuchtype);
CREATE TABLE d5 (a int PRIMARY KEY PRIMARY KEY)
"""),
Case("ddl_alter", r"""
CREATE TABLE al (id int PRIMARY KEY, a text);
INSERT INTO al VALUES (1, 'one'), (2, 'two');
ALTER TABLE al ADD COLUMN b int;
ALTER TABLE al ADD COLUMN c int DEFAULT 7;
ALTER TABLE al ADD COLUMN a int;
ALTER TABLE al ADD COLUMN IF NOT EXISTS a int;
SELECT * FROM al ORDER BY id;
INSERT INTO al (id, a) VALUES (3, 'three');
SELECT * FROM al ORDER BY id;
ALTER TABLE al ALTER COLUMN c SET DEFAULT 9;
INSERT INTO al (id) VALUES (4);
ALTER TABLE al ALTER COLUMN c DROP DEFAULT;
INSERT INTO al (id) VALUES (5);
SELECT id, c FROM al ORDER BY id;
ALTER TABLE al ALTER COLUMN a SET NOT NULL;
ALTER TABLE al ALTER COLUMN b SET NOT NULL;
DELETE FROM al WHERE a IS NULL;
ALTER TABLE al ALTER COLUMN a SET NOT NULL;
INSERT INTO al (id) VALUES (6);
ALTER TABLE al ALTER COLUMN a DROP NOT NULL;
INSERT INTO al (id) VALUES (6);
ALTER TABLE al RENAME COLUMN a TO name;
SELECT id, name FROM al ORDER BY id;
SELECT a FROM al;
ALTER TABLE al DROP COLUMN b;
ALTER TABLE al DROP COLUMN b;
ALTER TABLE al DROP COLUMN IF EXISTS b;
SELECT * FROM al ORDER BY id;
ALTER TABLE al RENAME TO al2;
SELECT count(*) FROM al;
SELECT count(*) FROM al2;
ALTER TABLE IF EXISTS nosuch ADD COLUMN x int;
TRUNCATE al2;
SELECT count(*) FROM al2;
INSERT INTO al2 (id, name) VALUES (1, 'again');
SELECT * FROM al2;
DROP TABLE al2;
SELECT * FROM al2
"""),
Case("views", r"""
CREATE TABLE vb (id int PRIMARY KEY, v int);
INSERT INTO vb VALUES (1, 10), (2, 20), (3, 30);
CREATE VIEW vv AS SELECT id, v * 2 AS dbl FROM vb WHERE v > 10;
SELECT * FROM vv ORDER BY id;
INSERT INTO vb VALUES (4, 40);
SELECT dbl FROM vv WHERE id = 4;
CREATE VIEW vv AS SELECT 1;
CREATE OR REPLACE VIEW vv AS SELECT id, v * 2 AS dbl, v FROM vb;
SELECT * FROM vv ORDER BY id;
SELECT count(*) FROM vv JOIN vb USING (id);
DROP VIEW vv;
DROP VIEW IF EXISTS vv;
SELECT * FROM vv
"""),
Case("sequences", r"""
CREATE SEQUENCE sq;
SELECT nextval('sq');
SELECT nextval('sq');
CREATE SEQUENCE sq2 START 10 INCREMENT 5;
SELECT nextval('sq2'), nextval('sq2');
CREATE TABLE ser (id bigserial PRIMARY KEY, s smallserial, v text);
INSERT INTO ser (v) VALUES ('a'), ('b') RETURNING id, s, v;
INSERT INTO ser VALUES (DEFAULT, DEFAULT, 'c') RETURNING *;
DROP SEQUENCE sq
"""),
Case("dml", r"""
CREATE TABLE m1 (id int PRIMARY KEY, v int NOT NULL DEFAULT 0, t text);
INSERT INTO m1 VALUES (1, 10, 'a'), (2, 20, 'b'), (3, 30, 'c');
INSERT INTO m1 (id, t) VALUES (4, 'd');
INSERT INTO m1 VALUES (5, DEFAULT, DEFAULT);
INSERT INTO m1 VALUES (6, 60, 'f'), (6, 61, 'g');
SELECT count(*) FROM m1;
INSERT INTO m1 VALUES (7, NULL, 'x');
INSERT INTO m1 VALUES (8, 'abc', 'x');
INSERT INTO m1 (id, v, t) SELECT id + 100, v + 1, t || '!' FROM m1 WHERE id <= 2;
INSERT INTO m1 VALUES (9, 90, 'i') RETURNING *;
UPDATE m1 SET v = v + 1 WHERE id > 100;
UPDATE m1 SET v = v * 2, t = 'u' WHERE id = 1 RETURNING id, v, t;
UPDATE m1 SET v = NULL WHERE id = 2;
UPDATE m1 SET id = 2 WHERE id = 3;
UPDATE m1 SET id = 33 WHERE id = 3 RETURNING *;
UPDATE m1 SET v = 0 WHERE false;
DELETE FROM m1 WHERE id > 100;
DELETE FROM m1 WHERE id = 9 RETURNING t;
DELETE FROM m1 WHERE id = 999;
SELECT * FROM m1 ORDER BY id;
UPDATE m1 SET nosuch = 1;
DELETE FROM m1;
SELECT count(*) FROM m1
"""),
Case("on_conflict", r"""
CREATE TABLE oc (k int PRIMARY KEY, v text, n int DEFAULT 0);
INSERT INTO oc VALUES (1, 'a'), (2, 'b');
INSERT INTO oc VALUES (1, 'x') ON CONFLICT DO NOTHING;
INSERT INTO oc VALUES (1, 'x'), (3, 'c') ON CONFLICT (k) DO NOTHING;
INSERT INTO oc VALUES (2, 'y') ON CONFLICT (k) DO UPDATE SET v = excluded.v, n = oc.n + 1;
INSERT INTO oc VALUES (2, 'z') ON CONFLICT (k) DO UPDATE SET v = oc.v || excluded.v RETURNING *;
INSERT INTO oc VALUES (4, 'd') ON CONFLICT (k) DO UPDATE SET v = 'never' RETURNING k, v;
INSERT INTO oc VALUES (1, 'w') ON CONFLICT (k) DO UPDATE SET n = 9 WHERE oc.v = 'nomatch';
INSERT INTO oc VALUES (1, 'w') ON CONFLICT (k) DO UPDATE SET n = 9 WHERE oc.v = 'a'
"""),
Case("update_from_delete_using", r"""
CREATE TABLE uf_a (id int PRIMARY KEY, v int);
CREATE TABLE uf_b (id int PRIMARY KEY, w int);
INSERT INTO uf_a VALUES (1, 1), (2, 2), (3, 3);
INSERT INTO uf_b VALUES (1, 100), (3, 300), (4, 400);
UPDATE uf_a SET v = uf_b.w FROM uf_b WHERE uf_a.id = uf_b.id;
DELETE FROM uf_a USING uf_b WHERE uf_a.id = uf_b.id AND uf_b.w = 100;
DELETE FROM uf_b b USING uf_a a WHERE a.id = b.id RETURNING b.*;
SELECT * FROM uf_b ORDER BY id
"""),
Case("queries_basic", r"""
CREATE TABLE q (id int PRIMARY KEY, g text, v int, f float8);
INSERT INTO q VALUES (1, 'a', 10, 1.5), (2, 'a', 20, 2.5), (3, 'b', 30, NULL), (4, 'b', NULL, 4.5), (5, 'c', 50, 5.5), (6, NULL, 60, 6.5);
SELECT id, v FROM q WHERE v > 15 AND g <> 'c' ORDER BY id;
SELECT id FROM q WHERE v BETWEEN 20 AND 50 ORDER BY id DESC;
SELECT id FROM q WHERE g LIKE 'a%' OR v IS NULL ORDER BY id;
SELECT id FROM q ORDER BY id LIMIT 2;
SELECT id FROM q ORDER BY id LIMIT 2 OFFSET 3;
SELECT id FROM q ORDER BY id OFFSET 5;
SELECT id FROM q ORDER BY id LIMIT 0;
SELECT id FROM q ORDER BY id FETCH FIRST 3 ROWS ONLY;
SELECT id FROM q ORDER BY id LIMIT ALL;
SELECT id FROM q ORDER BY id LIMIT -1;
SELECT DISTINCT g FROM q ORDER BY g;
SELECT DISTINCT ON (g) g, id, v FROM q ORDER BY g, v DESC;
SELECT g, count(*), sum(v), avg(v), min(f), max(f) FROM q GROUP BY g ORDER BY g;
SELECT g, count(*) FROM q GROUP BY g HAVING count(*) > 1 ORDER BY g;
SELECT g, sum(v) AS s FROM q GROUP BY 1 HAVING sum(v) > 20 ORDER BY s DESC;
SELECT count(DISTINCT g), count(*) FILTER (WHERE v > 20), sum(v) FILTER (WHERE g = 'a'), sum(DISTINCT v % 20) FROM q;
SELECT bool_and(v > 5), bool_or(v > 55), every(id > 0), count(f), sum(f), avg(f) FROM q;
SELECT g, v FROM q ORDER BY 1 NULLS FIRST, 2;
SELECT id, v * 2 AS dv FROM q ORDER BY dv DESC NULLS LAST, id;
SELECT id AS x FROM q ORDER BY x LIMIT 1;
SELECT g FROM q GROUP BY g ORDER BY count(*) DESC, g;
SELECT id, nosuch FROM q;
SELECT * FROM nosuch;
SELECT sum(g) FROM q;
SELECT count(*) FROM q WHERE v > (SELECT avg(v) FROM q);
SELECT 1 WHERE false;
SELECT q.* FROM q WHERE id = 1;
SELECT t.id FROM q AS t(id) WHERE id < 3 ORDER BY 1;
SELECT sum(v) FROM q GROUP BY g HAVING g IS NOT NULL ORDER BY 1
"""),
Case("joins", r"""
CREATE TABLE ja (id int PRIMARY KEY, k int, a text);
CREATE TABLE jb (id int PRIMARY KEY, k int, b text);
INSERT INTO ja VALUES (1, 1, 'a1'), (2, 2, 'a2'), (3, NULL, 'a3'), (4, 4, 'a4');
INSERT INTO jb VALUES (1, 1, 'b1'), (2, 2, 'b2'), (3, 2, 'b3'), (5, NULL, 'b5'), (6, 6, 'b6');
SELECT ja.a, jb.b FROM ja JOIN jb ON ja.k = jb.k ORDER BY 1, 2;
SELECT ja.a, jb.b FROM ja LEFT JOIN jb ON ja.k = jb.k ORDER BY 1, 2;
SELECT ja.a, jb.b FROM ja RIGHT JOIN jb ON ja.k = jb.k ORDER BY 2, 1;
SELECT ja.a, jb.b FROM ja FULL JOIN jb ON ja.k = jb.k ORDER BY 1, 2;
SELECT ja.a, jb.b FROM ja FULL OUTER JOIN jb ON ja.k = jb.k AND jb.b <> 'b3' ORDER BY 1, 2;
SELECT count(*) FROM ja CROSS JOIN jb;
SELECT count(*) FROM ja, jb WHERE ja.k = jb.k;
SELECT x.a, y.a FROM ja x JOIN ja y ON x.k < y.k ORDER BY 1, 2;
SELECT ja.a, jb.b FROM ja LEFT JOIN jb ON ja.k = jb.k WHERE jb.id IS NULL ORDER BY 1;
SELECT ja.a, jb.b FROM ja LEFT JOIN jb ON ja.k = jb.k AND jb.b = 'b3' ORDER BY 1;
SELECT * FROM ja JOIN jb ON true WHERE ja.id = 1 AND jb.id = 1;
SELECT id FROM ja JOIN jb USING (k);
SELECT a FROM ja JOIN jb ON ja.k = jb.nosuch;
SELECT ja.a, s.c FROM ja JOIN (SELECT k, count(*) AS c FROM jb GROUP BY k) s ON s.k = ja.k ORDER BY 1;
SELECT ja.a, v.x FROM ja JOIN (VALUES (1, 'one'), (4, 'four')) v(i, x) ON v.i = ja.id ORDER BY 1;
SELECT ja.a FROM ja LEFT JOIN jb ON ja.k = jb.k LEFT JOIN ja j2 ON j2.id = jb.id ORDER BY 1
"""),
Case("subqueries", r"""
CREATE TABLE sa (id int PRIMARY KEY, g int, v int);
INSERT INTO sa VALUES (1, 1, 10), (2, 1, 20), (3, 2, 30), (4, 2, NULL), (5, 3, 50);
SELECT id FROM sa WHERE v = (SELECT max(v) FROM sa);
SELECT id FROM sa WHERE v > (SELECT v FROM sa WHERE g = 1);
SELECT id FROM sa WHERE g IN (SELECT g FROM sa WHERE v >= 30) ORDER BY id;
SELECT id FROM sa WHERE g NOT IN (SELECT g FROM sa WHERE v >= 30) ORDER BY id;
SELECT id FROM sa s1 WHERE EXISTS (SELECT 1 FROM sa s2 WHERE s2.g = s1.g AND s2.id <> s1.id) ORDER BY id;
SELECT id FROM sa s1 WHERE NOT EXISTS (SELECT 1 FROM sa s2 WHERE s2.g = s1.g AND s2.v > s1.v) ORDER BY id;
SELECT id FROM sa WHERE v > ALL (SELECT v FROM sa WHERE g = 1) ORDER BY id;
SELECT id FROM sa WHERE v > ALL (SELECT v FROM sa WHERE g = 2) ORDER BY id;
SELECT id FROM sa WHERE v = ANY (SELECT v FROM sa WHERE g <> 1) ORDER BY id;
SELECT id FROM sa WHERE v < SOME (SELECT v FROM sa) ORDER BY id;
SELECT * FROM (SELECT g, sum(v) AS s FROM sa GROUP BY g) t WHERE s > 20 ORDER BY g;
SELECT id, v FROM sa WHERE v > (SELECT avg(v) FROM sa s2 WHERE s2.g = sa.g) ORDER BY id;
SELECT EXISTS (SELECT 1 FROM sa WHERE v > 40), EXISTS (SELECT 1 FROM sa WHERE v > 400);
SELECT (SELECT 1, 2);
SELECT (SELECT count(*) FROM sa) + 1, ARRAY(SELECT id FROM sa WHERE g = 1 ORDER BY id)
"""),
Case("set_ops_cte", r"""
SELECT 1 UNION SELECT 2 UNION SELECT 1 ORDER BY 1;
SELECT 1 UNION ALL SELECT 1 UNION ALL SELECT 2 ORDER BY 1;
SELECT * FROM (VALUES (1), (2), (2), (3)) a(x) INTERSECT SELECT * FROM (VALUES (2), (2), (4)) b(x);
SELECT * FROM (VALUES (1), (2), (2), (3)) a(x) INTERSECT ALL SELECT * FROM (VALUES (2), (2), (4)) b(x);
SELECT * FROM (VALUES (1), (2), (2), (3)) a(x) EXCEPT SELECT * FROM (VALUES (2)) b(x);
SELECT * FROM (VALUES (1), (2), (2), (3)) a(x) EXCEPT ALL SELECT * FROM (VALUES (2)) b(x);
SELECT 1 AS a UNION SELECT 2 ORDER BY a DESC LIMIT 1;
SELECT 1, 'a' UNION SELECT 2, 'b' ORDER BY 1;
SELECT 1 UNION SELECT 1;
SELECT 2;
SELECT 1.5 UNION SELECT 1 ORDER BY 1;
WITH c AS (SELECT 1 AS x UNION ALL SELECT 2) SELECT sum(x) FROM c;
WITH a AS (SELECT 1 AS x), b AS (SELECT x + 1 AS y FROM a) SELECT * FROM a, b;
WITH c(n) AS (SELECT 5) SELECT n * 2 FROM c;
SELECT * FROM generate_series(1, 5) ORDER BY 1;
SELECT * FROM generate_series(10, 1, -3) AS g(i);
SELECT 'x';
SELECT count(*) FROM generate_series(1, 1000);
SELECT * FROM generate_series(1, 3) a, generate_series(1, 2) b ORDER BY 1, 2;
VALUES (1, 'a'), (2, 'b') ORDER BY 1 DESC;
VALUES (1), ('x')
"""),
Case("session_vars", r"""
SHOW search_path;
SHOW client_encoding;
SHOW DateStyle;
SHOW extra_float_digits;
SET extra_float_digits = 0;
SELECT 0.1::float8, 1.0::float8/3;
SHOW extra_float_digits;
RESET extra_float_digits;
SELECT 1.0::float8/3;
SET statement_timeout = '5s';
SHOW statement_timeout;
SET statement_timeout TO DEFAULT;
SHOW statement_timeout;
SET application_name = 'difftest';
SET SESSION application_name = 'x2';
RESET ALL;
SET nosuch_param = 1;
SHOW nosuch_param;
SET TIME ZONE 'UTC';
SET TIME ZONE '+03';
SELECT '2024-01-01 00:00:00+00'::timestamptz;
SET TIME ZONE LOCAL;
SHOW TIME ZONE;
SET datestyle = 'ISO, MDY';
SHOW datestyle
"""),
Case("window_and_grouped_subqueries", r"""
CREATE TABLE we (id int PRIMARY KEY, dept text, sal int);
INSERT INTO we VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', 5), (4, 'b', 5), (5, 'b', 7), (6, 'c', NULL);
SELECT id, row_number() OVER (PARTITION BY dept ORDER BY sal DESC), rank() OVER (ORDER BY sal), dense_rank() OVER (ORDER BY sal) FROM we ORDER BY id;
SELECT id, sum(sal) OVER (PARTITION BY dept), sum(sal) OVER (ORDER BY id), avg(sal) OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM we ORDER BY id;
SELECT id, string_agg(dept, ',') OVER (ORDER BY id ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM we ORDER BY id;
SELECT id, lag(sal) OVER w, lead(sal, 2, -1) OVER w, first_value(sal) OVER w, last_value(sal) OVER w FROM we WINDOW w AS (ORDER BY id) ORDER BY id;
SELECT dept, sum(sal), rank() OVER (ORDER BY sum(sal) DESC NULLS LAST) FROM we GROUP BY dept ORDER BY dept;
SELECT dept, (SELECT count(*) FROM we w2 WHERE w2.dept = w1.dept) FROM we w1 GROUP BY dept ORDER BY dept;
WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) SELECT sum(n), count(*) FROM t
"""),
Case("error_positions", r"""
SELECT 1 +;
SELECT * FORM t;
SELECT nosuchcol;
SELECT 1 FROM nosuchtab;
SELECT   x.y FROM (SELECT 1 AS a) x;
SELECT nosuchfn(1);
SELECT 1 + 'a';
SELECT 'a' + 1;
SELECT CAST('x' AS int);
SELECT 'x'::nosuchtype;
SELECT abs('a');
SELECT 1 FROM (SELECT 1 AS a) s WHERE a = 'q';
INSERT INTO nosuchtab VALUES (1);
CREATE TABLE ep (a int, b int);
SELECT c FROM ep;
SELECT ep.c FROM ep;
SELECT a FROM ep x JOIN ep y ON true;
INSERT INTO ep (a) VALUES ('x');
UPDATE ep SET a = 'x';
SELECT 1 2;
SELECT (1;
SELECT 'abc
"""),
Case("typed_table_roundtrip", r"""
CREATE TABLE tr (id int8 PRIMARY KEY, s int2, n numeric(8,3), r float4, d float8, b bool, ts timestamp, tz timestamptz, dt date, tm time, iv interval, by bytea, u uuid, j jsonb, ja json, arr int[], t text, c char(4), vc varchar(10));
INSERT INTO tr VALUES (1, -5, 12.3456, 1.25, 1e-10, true, '2024-02-29 23:59:59.123456', '2024-02-29 23:59:59+05:30', '1999-12-31', '12:34:56.5', '1 mon 2 days 3 hours', '\xdeadbeef', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"z": 1, "a": [true, null]}', '{"z": 1,  "a": 2}', '{1,NULL,3}', 'héllo wörld', 'ab', 'xyz');
INSERT INTO tr (id) VALUES (2);
INSERT INTO tr (id, s) VALUES (3, 1);
SELECT * FROM tr ORDER BY id;
SELECT id FROM tr WHERE n > 12 AND ts < '2025-01-01' AND dt = '1999-12-31' AND u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
SELECT count(*) FROM tr WHERE s IS NULL AND n IS NULL
"""),
Case("index_scans", r"""
CREATE TABLE ix (id int PRIMARY KEY, g int, s text);
INSERT INTO ix SELECT i, i % 10, 'v' || i FROM generate_series(1, 500) AS t(i);
CREATE INDEX ix_g ON ix (g);
CREATE UNIQUE INDEX ix_s ON ix (s);
SELECT count(*) FROM ix WHERE g = 3;
SELECT id FROM ix WHERE g = 3 AND id > 480 ORDER BY id;
SELECT id FROM ix WHERE id BETWEEN 100 AND 105 ORDER BY id DESC;
SELECT id FROM ix WHERE id IN (7, 3, 999, 250) ORDER BY id;
SELECT id FROM ix WHERE s = 'v42';
SELECT id FROM ix WHERE s > 'v99' ORDER BY s LIMIT 3;
INSERT INTO ix VALUES (501, 1, 'v42');
UPDATE ix SET s = 'v43' WHERE id = 1;
UPDATE ix SET g = 99 WHERE id <= 5;
SELECT id FROM ix WHERE g = 99 ORDER BY id;
SELECT count(*) FROM ix WHERE g = 1;
DELETE FROM ix WHERE g = 99;
SELECT count(*), sum(id), min(s), max(s) FROM ix;
SELECT g, count(*) FROM ix GROUP BY g ORDER BY g;
CREATE TABLE ix2 (a int, b int, c int, PRIMARY KEY (a, b));
INSERT INTO ix2 SELECT i / 10, i % 10, i FROM generate_series(0, 99) AS t(i);
SELECT c FROM ix2 WHERE a = 3 AND b >= 7 ORDER BY b;
SELECT c FROM ix2 WHERE a = 5 ORDER BY b DESC LIMIT 2;
SELECT count(*) FROM ix2 WHERE b = 0
"""),
Case("transactions_basic", r"""
CREATE TABLE tx (id int PRIMARY KEY);
BEGIN;
INSERT INTO tx VALUES (1);
COMMIT;
SELECT count(*) FROM tx;
SELECT count(*) FROM tx;
END;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
COMMIT
"""),
Case("more_exprs", r"""
SELECT 1 = 1 AND 2 > 1 OR NULL;
SELECT 'a' IN ('a', 'b'), 3 BETWEEN 1 AND 2, 3 NOT BETWEEN 5 AND 1, 3 BETWEEN SYMMETRIC 5 AND 1;
SELECT -2 ^ 2, 2 + 3 * 4, (2 + 3) * 4, 10 - 2 - 3, 2 ^ 3 ^ 2, 7 / 2 * 2;
SELECT CASE WHEN 1 > 2 THEN 1 END;
SELECT CASE WHEN true THEN 1 ELSE 1.5 END;
SELECT CASE WHEN true THEN 1 ELSE 'a' END;
SELECT 1::int2 = 1::int8, 1 = 1.0, '1'::text = '1', 1.0::float8 = 1::numeric;
SELECT current_date = current_date, now() = now(), current_timestamp IS NOT NULL, length(version()) > 0;
SELECT pg_typeof(now()), pg_typeof(current_date), pg_typeof(localtimestamp), pg_typeof(1::int2 * 1.5)
"""),
Case("shape_cache", r"""
CREATE TABLE sc (id int PRIMARY KEY, k int8, s text, d date, n numeric(10,2));
INSERT INTO sc VALUES (1, 10, 'a', '2020-01-01', 1.5);
INSERT INTO sc VALUES (2, -20, 'it''s', '2020-02-29', -2.25);
INSERT INTO sc VALUES (3, 3000000000, 'c', '2021-01-01', 99999999.99);
INSERT INTO sc VALUES (4, 40, 'abc', '2020-13-01', 1);
INSERT INTO sc VALUES (4, 'x', 'abc', '2020-01-01', 1);
INSERT INTO sc VALUES (1, 1, 'dup', '2020-01-01', 1);
SELECT id, s FROM sc WHERE id = 1;
SELECT id, s FROM sc WHERE id = 2;
SELECT id, s FROM sc WHERE id = 9;
SELECT id, s FROM sc WHERE s = 'it''s';
SELECT id, s FROM sc WHERE s = 'a';
SELECT id FROM sc WHERE k = 3000000000;
SELECT id FROM sc WHERE k = -20;
SELECT id FROM sc WHERE k = - 20;
SELECT id FROM sc WHERE n = 1.5;
SELECT id FROM sc WHERE n = -2.25;
SELECT id FROM sc WHERE d = '2020-02-29';
SELECT id FROM sc WHERE d = '2021-02-29';
SELECT id FROM sc WHERE d = '2021-01-01';
SELECT id, k FROM sc ORDER BY 2;
SELECT id, k FROM sc ORDER BY 1;
SELECT id, k FROM sc ORDER BY 3;
SELECT k % 7, count(*) FROM sc GROUP BY k % 7 ORDER BY 1;
SELECT k % 5, count(*) FROM sc GROUP BY k % 5 ORDER BY 1;
SELECT k % 5, count(*) FROM sc GROUP BY k % 6 ORDER BY 1;
SELECT k % 5, count(*) FROM sc GROUP BY 1 ORDER BY 1;
SELECT -2147483648, pg_typeof(-2147483648), pg_typeof(2147483648), -2147483647, pg_typeof(-2147483647);
SELECT -9223372036854775808, pg_typeof(-9223372036854775808), pg_typeof(9223372036854775808);
SELECT -9223372036854775807, pg_typeof(-9223372036854775807);
SELECT * FROM generate_series(5, 7) WITH ORDINALITY;
SELECT * FROM unnest(ARRAY['a', 'b']) WITH ORDINALITY AS u(v, n) ORDER BY n DESC;
SELECT x, ordinality FROM generate_series(10, 30, 10) WITH ORDINALITY x WHERE ordinality > 1;
SELECT 'x' || 'y', 'a' < 'b', 1 + 2, 7 - 3, 2 * -3;
SELECT 'p' || 'q', 'c' < 'b', 5 + 6, 9 - 1, 4 * -5;
SELECT 'abc'::int;
SELECT '42'::int;
SELECT 1 / 0;
SELECT 4 / 2;
SELECT 'a'
'b';
SELECT 'c'
'd';
SELECT E'x\ty', E'z';
SELECT $$a$$, $$b$$;
SELECT 1.25::numeric(5,1), 2.35::numeric(5,1);
SELECT id FROM sc WHERE id IN (1, 3) ORDER BY id;
SELECT id FROM sc WHERE id IN (2, 9) ORDER BY id;
SELECT id FROM sc ORDER BY id LIMIT 2 OFFSET 1;
SELECT id FROM sc ORDER BY id LIMIT 1 OFFSET 0;
UPDATE sc SET k = k + 1 WHERE id = 1 RETURNING id, k;
UPDATE sc SET k = k + 5 WHERE id = 2 RETURNING id, k;
DELETE FROM sc WHERE id = 3 RETURNING id;
DELETE FROM sc WHERE id = 3 RETURNING id;
SELECT x, sum(x) OVER (ORDER BY x ROWS 1 PRECEDING) FROM generate_series(1, 4) x;
SELECT x, sum(x) OVER (ORDER BY x ROWS 2 PRECEDING) FROM generate_series(1, 5) x;
SELECT (SELECT max(id) FROM sc WHERE id < 3), 5;
SELECT (SELECT max(id) FROM sc WHERE id < 2), 6;
SELECT interval '1 day' * 2, '2 hours'::interval;
SELECT interval '3 day' * 4, '5 hours'::interval;
CREATE VIEW scv AS SELECT id, k * 100 AS kk FROM sc WHERE id < 10;
SELECT * FROM scv WHERE id = 1;
SELECT * FROM scv WHERE id = 2;
CREATE SCHEMA other;
CREATE TABLE other.sc (id int PRIMARY KEY, s text);
INSERT INTO other.sc VALUES (1, 'other');
SELECT id, s FROM sc WHERE id = 1;
SET search_path = other, public;
SELECT id, s FROM sc WHERE id = 1;
RESET search_path;
SELECT id, s FROM sc WHERE id = 1;
DROP VIEW scv;
ALTER TABLE sc ADD COLUMN extra int DEFAULT 7;
SELECT id, extra FROM sc WHERE id = 1;
SELECT id, extra FROM sc WHERE id = 2;
CREATE TABLE other.ser (id serial PRIMARY KEY, v int);
INSERT INTO other.ser (v) VALUES (10);
INSERT INTO other.ser (v) VALUES (20);
SELECT id, v FROM other.ser ORDER BY id;
DROP SCHEMA other;
DROP SCHEMA nosuch;
DROP SCHEMA IF EXISTS nosuch;
DROP SCHEMA other CASCADE;
SELECT id FROM other.sc;
CREATE SCHEMA other;
SELECT count(*) FROM information_schema.tables WHERE table_schema = 'other';
DROP SCHEMA other;
DROP SCHEMA pg_catalog
"""),
# Named time zones (sql_tz.c): SET TimeZone to IANA names (any case), POSIX strings and numbers
# (hours east), their SHOW spelling, DST gaps and overlaps resolved as PostgreSQL resolves them,
# instants before a zone's table (LMT) and past it (the POSIX footer), zones in literals, and
# the errors for unknown zones.
Case("time_zones", r"""
SET TimeZone='+02'; SHOW TimeZone; SELECT '2024-01-01 12:00'::timestamptz;
SET TimeZone='+05:30'; SELECT '2024-01-01 12:00'::timestamptz; SHOW TimeZone;
SET TimeZone=2; SHOW TimeZone;
SET TIME ZONE -5; SELECT '2024-01-01 12:00'::timestamptz; SHOW TimeZone;
SET TimeZone='america/new_york'; SHOW TimeZone; SELECT '2024-03-10 02:30'::timestamptz, '2024-11-03 01:30'::timestamptz, '2024-07-01 12:00'::timestamptz;
SELECT '1800-01-01 00:00'::timestamptz, '2200-07-01 00:00'::timestamptz, '2500-01-01'::timestamptz, '2037-11-01 01:30'::timestamptz, '2038-11-07 01:30'::timestamptz, '2100-03-14 02:30'::timestamptz;
SET TimeZone='Foo/Bar';
SET TimeZone='EST'; SHOW TimeZone; SELECT '2024-07-01 12:00'::timestamptz;
SET TimeZone='PST8PDT'; SELECT '2024-07-01 12:00'::timestamptz;
SET TimeZone='UTC+3'; SELECT '2024-07-01 12:00'::timestamptz; SHOW TimeZone;
SET TimeZone='<+04>-04'; SELECT '2024-07-01 12:00'::timestamptz;
SET TimeZone='CEST';
SET TimeZone='z';
SET TimeZone='gmt'; SHOW TimeZone;
SET TimeZone = 200;
SET TimeZone = 'America';
SET TimeZone='Europe/Berlin';
SELECT '2024-07-01 12:00 Europe/Berlin'::timestamptz, '2024-07-01 12:00 America/New_York'::timestamptz,'2024-07-01 12:00 EST'::timestamptz,'2024-07-01 12:00 CEST'::timestamptz;
SELECT '2024-07-01 12:00 Europe/Berlin'::timestamp;
SELECT '2024-07-01 12:00 Foo/Bar'::timestamptz;
SELECT '2024-07-01 12:00 XYZ'::timestamptz;
SELECT '2024-07-01 12:00 MSK'::timestamptz;
SELECT '2024-07-01 12:00 america/new_york'::timestamptz;
SELECT '2024-07-01 12:00 +05:30'::timestamptz;
SELECT '2024-07-01 12:00:00.5+05:30'::timestamptz, '2024-07-01T12:00Z'::timestamptz, '2024-07-01 12:00 UTC'::timestamptz, '2024-07-01 Asia/Tokyo'::timestamptz;
SET TimeZone='America/New_York';
SELECT date_trunc('day', '2024-03-10 12:00'::timestamptz), date_trunc('hour', '2024-11-03 01:30-05'::timestamptz), '2024-03-09 12:00'::timestamptz + interval '1 day', '2024-03-09 12:00'::timestamptz + interval '24 hours','2024-03-09 02:30'::timestamptz + interval '1 day';
SELECT '2024-02-10 02:30'::timestamptz + interval '1 month', '2024-03-10 12:00'::timestamptz - '2024-03-09 12:00'::timestamptz;
SELECT extract(hour from '2024-07-01 12:00+00'::timestamptz), '2024-07-01'::date::timestamptz, '2024-07-01 12:00+00'::timestamptz::date, '2024-07-01 03:00+00'::timestamptz::date, '2024-07-01 12:00+00'::timestamptz::timestamp, '2024-03-10 02:30'::timestamp::timestamptz;
SET TimeZone='Australia/Sydney'; SELECT '2024-04-07 02:30'::timestamptz, '2024-10-06 02:30'::timestamptz, '2024-01-01 00:00'::timestamptz, '2024-07-01 00:00'::timestamptz, '2090-01-01'::timestamptz, '2090-07-01'::timestamptz;
SET TimeZone='Asia/Kolkata'; SELECT '2024-07-01 12:00'::timestamptz, '1900-01-01'::timestamptz, '0100-01-01'::timestamptz, '4000-01-01 BC'::timestamptz;
SET TimeZone='Europe/London'; SELECT '1970-01-01'::timestamptz, '1968-12-01'::timestamptz, '2024-03-31 01:30'::timestamptz, '2024-10-27 01:30'::timestamptz, '294276-12-31 12:00'::timestamptz;
SET TimeZone='Europe/Moscow'; SELECT '2014-10-26 01:30'::timestamptz, '2011-03-27 02:30'::timestamptz;
SET TimeZone='Pacific/Apia'; SELECT '2011-12-30 12:00'::timestamptz, '2011-12-29 23:00'::timestamptz;
RESET TimeZone; SHOW TimeZone;
"""),
# AT TIME ZONE / timezone() with names, abbreviations (fixed and MSK's zone-defined one), POSIX
# strings and intervals; extract(timezone*) in half-hour and 45-minute zones.
Case("at_time_zone", r"""
SET TimeZone='Europe/Berlin';
SELECT '2024-01-01 12:00'::timestamp AT TIME ZONE 'Asia/Tokyo', '2024-01-01 12:00+00'::timestamptz AT TIME ZONE 'Asia/Tokyo', timezone('Europe/Paris', '2024-06-01 12:00'::timestamp);
SELECT '2024-01-01 12:00'::timestamp AT TIME ZONE 'EST', '2024-01-01 12:00'::timestamp AT TIME ZONE '+05', '2024-01-01 12:00'::timestamp AT TIME ZONE 'UTC+3', '2024-01-01 12:00'::timestamp AT TIME ZONE interval '2 hours';
SELECT '2024-01-01 12:00'::timestamp AT TIME ZONE 'Foo/Bar';
SELECT timezone(interval '1 day', now());
SELECT timezone('MSK', '2024-07-01 12:00'::timestamp), timezone('msk', '2024-07-01 12:00+00'::timestamptz), timezone('america/NEW_york', '2024-07-01 12:00+00'::timestamptz);
SELECT '2024-03-10 02:30'::timestamp AT TIME ZONE 'America/New_York', '2024-11-03 01:30'::timestamp AT TIME ZONE 'America/New_York', 'infinity'::timestamp AT TIME ZONE 'UTC';
SELECT now() AT TIME ZONE 'UTC' = now()::timestamp - interval '1 hour' * extract(timezone_hour from now()) ;
SELECT pg_typeof('2024-01-01'::timestamp AT TIME ZONE 'UTC'), pg_typeof('2024-01-01'::timestamptz AT TIME ZONE 'UTC');
CREATE TABLE tzt (id int PRIMARY KEY, ts timestamptz, lt timestamp);
INSERT INTO tzt VALUES (1, '2024-03-31 01:30', '2024-03-31 02:30'), (2, '2024-10-27 02:30', '2024-10-27 02:30'), (3, '1900-06-01 12:00', '1900-06-01 12:00');
SELECT id, ts, lt AT TIME ZONE 'Europe/Berlin', ts AT TIME ZONE 'America/New_York', ts AT TIME ZONE 'Australia/Lord_Howe' FROM tzt ORDER BY id;
SET TIME ZONE 'Asia/Kathmandu'; SELECT id, ts, lt::timestamptz FROM tzt ORDER BY id;
DROP TABLE tzt;
SET TIME ZONE 'Asia/Kathmandu'; SELECT extract(timezone from now()), extract(timezone_hour from now()), extract(timezone_minute from now()), date_part('timezone', now());
SET TIME ZONE 'America/St_Johns'; SELECT extract(timezone from '2024-01-01'::timestamptz), extract(timezone_hour from '2024-01-01'::timestamptz), extract(timezone_minute from '2024-01-01'::timestamptz);
SELECT extract(timezone from '2024-01-01'::timestamp);
"""),
# to_char for timestamps, timestamptz (TZ/OF in the session zone) and intervals; format() with
# positions, widths and quoting; md5; age (borrowing from the earlier month); SIMILAR TO through
# similar_to_escape and the regex engine.
Case("format_functions", r"""
SELECT to_char(timestamp '2024-03-05 14:07:09.123456', 'YYYY-MM-DD HH24:MI:SS.MS.US HH12 AM am P.M. Mon Month MONTH month Day DY dy DDD IW WW Q TZ FMDD FMMonth "text" D ID J CC W Y,YYY IYYY SSSS RM th FMDDth DDTH');
SELECT to_char(interval '1 year 2 months 3 days 25:04:05', 'YYYY MM DD HH24 HH MI SS'), to_char(date '2024-03-05', 'Day, DD Mon YYYY'), to_char(date '0044-03-15 BC', 'YYYY BC bc B.C. FMYYYY');
SET TimeZone='America/New_York';
SELECT to_char(timestamptz '2024-07-01 12:00+00', 'YYYY-MM-DD HH24:MI TZ tz OF TZH:TZM'), to_char(timestamptz '2024-01-01 12:00+00', 'TZ OF'), to_char('infinity'::timestamp, 'YYYY');
SET TimeZone='Asia/Kolkata'; SELECT to_char(timestamptz '2024-07-01 12:00+00', 'TZ OF FMOF TZH TZM');
SELECT to_char(timestamp '2024-12-30 00:00', 'IYYY-IW-ID IDDD'), to_char(timestamp '2021-01-03 23:59:59', 'IYYY IW WW W D DDD HH12 PM FF1 FF3 FF6 SSSSS'), to_char(timestamp '2024-03-05 00:30', 'HH12:MI am FMHH12 HH24th');
SELECT format('Hello %s, %s!', 'World', 42), format('%I.%I', 'public', 'My Table'), format('%L, %L, %L', 'it''s', NULL, 'a\b'), format('%s|%10s|%-10s|', 'x', 'right', 'left'), format('%2$s %1$s %s', 'a', 'b'), format('%*s|%-*s|', 5, 'ab', 4, 'c'), format('100%%'), format('%s', NULL), format(NULL, 1);
SELECT format('%I', 'select'), format('%I', 'abc_1'), format('%I', 'Abc'), format('%s %s', ARRAY[1,2], 1.50::numeric);
SELECT format('%s %s', 'one');
SELECT format('%x', 1);
SELECT format('%I', NULL);
SELECT format('%0$s', 'a');
SELECT format('abc %', 'a');
SELECT md5('hello'), md5(''), md5('\x0102'::bytea), md5(NULL);
SELECT age(timestamp '2024-03-31', timestamp '2024-02-29'), age(timestamp '2001-04-10', timestamp '1957-06-13'), age(timestamp '2024-01-31 10:00', timestamp '2024-03-01 12:00'), age(timestamp '2024-01-01', timestamp '2024-01-01');
SET TimeZone = 'Europe/Berlin'; SELECT age(timestamptz '2024-03-31 12:00+02', timestamptz '2024-03-30 12:00+01'), pg_typeof(age(now())), age(current_date::timestamp) = interval '0';
SELECT 'abc' SIMILAR TO 'abc', 'abc' SIMILAR TO 'a', 'abc' SIMILAR TO '%(b|d)%', 'abc' SIMILAR TO '(b|c)%', 'abc' NOT SIMILAR TO 'a_c', 'a.c' SIMILAR TO 'a.c', 'abc' SIMILAR TO 'a.c', 'a%c' SIMILAR TO 'a#%c' ESCAPE '#', 'abc' SIMILAR TO 'a#%c' ESCAPE '#', 'aaa' SIMILAR TO 'a{2,3}', 'ab' SIMILAR TO '[a-c]+', 'a$' SIMILAR TO 'a$', NULL SIMILAR TO 'a';
SELECT similar_to_escape('a%b_c'), similar_to_escape('a#%' , '#');
SELECT 'abc' SIMILAR TO 'a' ESCAPE 'xy';
"""),
# Sequence functions with PostgreSQL's session semantics: currval/lastval before any nextval
# (55000), after nextval and setval (is_called true and false), bounds (22003), descending
# sequences, serial columns, argument errors.
Case("sequence_functions", r"""
CREATE SEQUENCE sq;
SELECT currval('sq');
SELECT lastval();
SELECT nextval('sq'), currval('sq'), lastval();
SELECT nextval('sq'), nextval('sq');
SELECT currval('sq'), lastval();
SELECT setval('sq', 100);
SELECT currval('sq'), lastval(), nextval('sq'), currval('sq');
SELECT setval('sq', 50, false), currval('sq');
SELECT nextval('sq'), nextval('sq');
SELECT setval('sq', 0);
SELECT setval('sq', 9223372036854775807);
SELECT setval('sq', NULL);
SELECT setval('sq', 7, NULL);
SELECT setval('sq', '20'), nextval('sq');
CREATE SEQUENCE sq2 START 10 INCREMENT -2 MINVALUE -5 MAXVALUE 10;
SELECT nextval('sq2'), nextval('sq2'), lastval(), currval('sq');
SELECT setval('sq2', -4), nextval('sq2');
SELECT nextval('sq2');
SELECT setval('sq2', 8, true), nextval('sq2'), lastval();
CREATE TABLE sqt (id serial PRIMARY KEY, v text);
INSERT INTO sqt (v) VALUES ('a'), ('b');
SELECT currval('sqt_id_seq'), lastval();
SELECT setval('sqt_id_seq', 10);
INSERT INTO sqt (v) VALUES ('c') RETURNING id;
SELECT setval('sqt_id_seq', (SELECT max(id) FROM sqt) + 5), setval('sqt_id_seq', 30, false);
INSERT INTO sqt (v) VALUES ('d') RETURNING id, currval('sqt_id_seq');
SELECT currval('nosuch');
SELECT setval('sqt', 1);
SELECT currval('sq', 1);
SELECT setval('sq');
SELECT pg_typeof(setval('sq', 5)), pg_typeof(lastval());
"""),
# INSERT ... ON CONFLICT on UNIQUE indexes other than the primary key: inferred from columns
# (any order) or named by ON CONSTRAINT, DO NOTHING and DO UPDATE (with WHERE, changing the key),
# a row proposed twice (21000), NULLs never conflicting, other constraints still raising 23505.
Case("on_conflict_unique", r"""
CREATE TABLE oc (id int PRIMARY KEY, email text UNIQUE, name text, n int DEFAULT 0);
CREATE UNIQUE INDEX oc_name_n ON oc (name, n);
INSERT INTO oc VALUES (1, 'a@x', 'alice', 1), (2, 'b@x', 'bob', 1);
INSERT INTO oc VALUES (3, 'a@x', 'alice2', 1) ON CONFLICT (email) DO NOTHING;
INSERT INTO oc VALUES (3, 'a@x', 'alice2', 1) ON CONFLICT (email) DO UPDATE SET name = excluded.name, n = oc.n + 10 RETURNING *;
SELECT * FROM oc ORDER BY id;
INSERT INTO oc VALUES (4, 'c@x', 'carol', 1) ON CONFLICT (email) DO UPDATE SET name = 'never' RETURNING id, name;
INSERT INTO oc VALUES (5, 'c@x', 'x', 1), (6, 'c@x', 'y', 1) ON CONFLICT (email) DO NOTHING;
INSERT INTO oc VALUES (7, 'd@x', 'x', 1), (8, 'd@x', 'y', 1) ON CONFLICT (email) DO UPDATE SET name = excluded.name;
INSERT INTO oc VALUES (9, NULL, 'n1', 1), (10, NULL, 'n2', 1) ON CONFLICT (email) DO UPDATE SET name = 'dup';
INSERT INTO oc VALUES (11, NULL, 'n3', 1) ON CONFLICT (email) DO NOTHING RETURNING id;
SELECT * FROM oc ORDER BY id;
INSERT INTO oc VALUES (12, 'e@x', 'bob', 1) ON CONFLICT (n, name) DO UPDATE SET email = excluded.email RETURNING *;
INSERT INTO oc VALUES (13, 'f@x', 'bob', 1) ON CONFLICT ON CONSTRAINT oc_email_key DO NOTHING;
INSERT INTO oc VALUES (13, 'f@x', 'bob', 1) ON CONFLICT ON CONSTRAINT oc_name_n DO UPDATE SET n = oc.n + 1 RETURNING *;
INSERT INTO oc VALUES (1, 'zz@x', 'zz', 1) ON CONFLICT ON CONSTRAINT oc_pkey DO UPDATE SET name = excluded.name RETURNING *;
INSERT INTO oc VALUES (1, 'zz@x', 'zz', 1) ON CONFLICT ON CONSTRAINT nope DO NOTHING;
INSERT INTO oc VALUES (1, 'zz@x', 'zz', 1) ON CONFLICT (name) DO NOTHING;
INSERT INTO oc VALUES (20, 'b@x', 'q', 9) ON CONFLICT (email) DO UPDATE SET id = 21 RETURNING *;
INSERT INTO oc VALUES (22, 'zz@x', 'q', 9) ON CONFLICT (email) DO UPDATE SET email = 'e@x';
INSERT INTO oc VALUES (1, 'new@x', 'q', 9) ON CONFLICT (email) DO NOTHING;
INSERT INTO oc VALUES (23, 'a@x', 'w', 2) ON CONFLICT (email) DO UPDATE SET name = excluded.name WHERE oc.n > 100 RETURNING *;
INSERT INTO oc VALUES (24, 'a@x', 'w', 2) ON CONFLICT (email) DO UPDATE SET name = excluded.name WHERE oc.n < 100 RETURNING *;
SELECT * FROM oc ORDER BY id;
"""),
Case("sql_prepare", r"""
CREATE TABLE pq (id int PRIMARY KEY, name text, amount numeric(8,2));
PREPARE ins (int, text, numeric) AS INSERT INTO pq VALUES ($1, $2, $3) RETURNING id, amount;
EXECUTE ins (1, 'a', 10.5);
EXECUTE ins (2, 'b', '7');
EXECUTE ins (3, NULL, 1 + 2);
EXECUTE ins (1, 'dup', 0);
EXECUTE ins (4, 'x');
EXECUTE ins ('x', 'y', 1);
PREPARE sel AS SELECT id, name FROM pq WHERE id >= $1 ORDER BY id;
EXECUTE sel (2);
EXECUTE sel (0);
PREPARE sel AS SELECT 1;
PREPARE upd (int) AS UPDATE pq SET amount = amount * 2 WHERE id = $1;
EXECUTE upd (1);
SELECT * FROM pq ORDER BY id;
EXECUTE nosuch;
DEALLOCATE sel;
EXECUTE sel (1);
DEALLOCATE nosuch;
PREPARE noparams AS SELECT count(*) FROM pq;
EXECUTE noparams;
DEALLOCATE ALL;
EXECUTE noparams
"""),
Case("regclass_names", r"""
CREATE TABLE "MixedCase" (a int);
CREATE TABLE lower_t (a int);
SELECT '"MixedCase"'::regclass = (SELECT oid FROM pg_class WHERE relname = 'MixedCase');
SELECT 'public."MixedCase"'::regclass = (SELECT oid FROM pg_class WHERE relname = 'MixedCase');
SELECT 'LOWER_T'::regclass = (SELECT oid FROM pg_class WHERE relname = 'lower_t');
SELECT 'Public.Lower_T'::regclass = (SELECT oid FROM pg_class WHERE relname = 'lower_t');
SELECT 'mixedcase'::regclass;
SELECT '"unterminated'::regclass;
SELECT 'nosuch.lower_t'::regclass;
SELECT 'pg_class'::regclass = 1259::oid, 'pg_catalog.pg_type'::regclass = 1247::oid
"""),
# After ANALYZE the planner reorders these joins (the FROM order is not the cheapest), reads the
# small side's matches through lookup joins (NULL and duplicate keys, LEFT, int8 keys against
# int4 columns, two-column keys), and merge-joins primary-key scans in every join kind.
Case("joins_by_cost", r"""
CREATE TABLE jc (id int PRIMARY KEY, name text, region int, tier int8);
CREATE TABLE jo (id int PRIMARY KEY, cust_id int8, amount int, day int);
CREATE INDEX jo_cust ON jo (cust_id);
CREATE TABLE jr (id int8 PRIMARY KEY, rname text);
CREATE TABLE jd (day int PRIMARY KEY, label text);
CREATE TABLE jt (tier int, region int, note text, PRIMARY KEY (tier, region));
INSERT INTO jr SELECT g, 'r' || g FROM generate_series(0, 4) g;
INSERT INTO jc SELECT g, 'c' || g, g % 5, g % 3 FROM generate_series(1, 120) g;
INSERT INTO jc VALUES (121, 'nullregion', NULL, NULL);
INSERT INTO jo SELECT g, CASE WHEN g % 37 = 0 THEN NULL ELSE g % 150 END, g * 3, g % 7 FROM generate_series(1, 2000) g;
INSERT INTO jd SELECT g, 'd' || g FROM generate_series(0, 6) g;
INSERT INTO jt SELECT t, r, t || '/' || r FROM generate_series(0, 2) t, generate_series(0, 3) r;
ANALYZE;
ANALYZE jc, jo;
SELECT count(*), sum(o.amount) FROM jo o JOIN jc c ON o.cust_id = c.id JOIN jr r ON r.id = c.region WHERE r.rname = 'r1';
SELECT count(*), sum(o.amount) FROM jr r, jc c, jo o WHERE o.cust_id = c.id AND r.id = c.region AND r.rname = 'r1';
SELECT r.rname, d.label, count(*), sum(o.amount) FROM jd d, jo o, jc c, jr r WHERE o.day = d.day AND o.cust_id = c.id AND c.region = r.id AND d.label IN ('d1', 'd2') GROUP BY r.rname, d.label ORDER BY 1, 2;
SELECT r.rname, d.label, t.note, count(*) FROM jt t JOIN jc c ON c.tier = t.tier AND c.region = t.region JOIN jo o ON o.cust_id = c.id JOIN jd d ON d.day = o.day JOIN jr r ON r.id = c.region WHERE c.id < 40 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
SELECT c.id, c.name, o.id, o.amount FROM jc c JOIN jo o ON o.cust_id = c.id WHERE c.id IN (1, 2, 121) ORDER BY 1, 3;
SELECT c.id, o.id FROM jc c LEFT JOIN jo o ON o.cust_id = c.id WHERE c.id > 118 ORDER BY 1, 2;
SELECT c.id, o.id FROM jc c LEFT JOIN jo o ON o.cust_id = c.id AND o.amount > 3000 WHERE c.id BETWEEN 1 AND 3 ORDER BY 1, 2;
SELECT count(*) FROM jo o JOIN jc c ON c.id = o.cust_id;
SELECT count(*) FROM jo o LEFT JOIN jc c ON c.id = o.cust_id WHERE c.id IS NULL;
SELECT a.id, b.id FROM jc a JOIN jc b ON a.id = b.id WHERE a.id < 4 ORDER BY 1;
SELECT count(*), count(a.id), count(b.id) FROM jc a FULL JOIN jo b ON a.id = b.id;
SELECT count(*), count(a.id), count(b.id) FROM jc a LEFT JOIN jo b ON a.id = b.id AND b.amount % 2 = 0;
SELECT count(*), count(a.id), count(b.id) FROM jc a RIGHT JOIN jo b ON a.id = b.id;
SELECT a.id, b.day FROM jr a FULL JOIN jd b ON a.id = b.day AND b.label <> 'd2' ORDER BY 1, 2;
SELECT t1.tier, t1.region, t2.note FROM jt t1 JOIN jt t2 ON t1.tier = t2.tier AND t1.region = t2.region WHERE t1.region = 2 ORDER BY 1, 2;
SELECT count(*) FROM jt t1 FULL JOIN jt t2 ON t1.tier = t2.tier AND t1.region = t2.region + 1;
SELECT c.id, t.note FROM jc c JOIN jt t ON t.tier = c.tier AND t.region = c.region WHERE c.id < 6 ORDER BY 1;
SELECT c.id, t.note FROM jc c LEFT JOIN jt t ON t.tier = c.tier AND t.region = c.region WHERE c.id > 117 ORDER BY 1;
SELECT c.id, r.rname FROM jc c JOIN jr r ON r.id = c.region WHERE c.id < 4 ORDER BY 1;
SELECT c.id, r.rname FROM jc c JOIN jr r ON r.id = c.tier WHERE c.id < 4 ORDER BY 1;
SELECT x.a, y.b FROM (VALUES (1), (2), (NULL)) x(a) JOIN (VALUES (1), (NULL)) y(b) ON x.a = y.b;
SELECT count(*) FROM jc a, jc b WHERE a.region = b.region AND a.id < 10 AND b.id < 10
;
SELECT count(*), sum(a.amount + b.amount) FROM jo a JOIN jo b ON a.id = b.id;
SELECT count(*), count(b.id) FROM jo a LEFT JOIN jc b ON a.id = b.id;
SELECT count(*), count(t1.note), count(t2.note) FROM jt t1 FULL JOIN jt t2 ON t1.tier = t2.tier AND t1.region = t2.region AND t1.note <> '1/1';
SELECT o.id, o.cust_id, c.name FROM jo o LEFT JOIN jc c ON c.id = o.cust_id WHERE o.id < 80 AND o.id > 70 ORDER BY 1;
SELECT o.id, c.name FROM jo o JOIN jc c ON c.id = o.cust_id WHERE o.id BETWEEN 30 AND 40 ORDER BY 1;
SELECT o.id, o.cust_id, c.name FROM (SELECT * FROM jo WHERE id BETWEEN 70 AND 80) o LEFT JOIN jc c ON c.id = o.cust_id ORDER BY 1;
SELECT count(*) FROM jc a JOIN jc b ON a.id = b.id JOIN jc c ON c.id = b.id JOIN jc d ON d.id = c.id WHERE d.region = 2
"""),
Case("semi_anti_joins", r"""
CREATE TABLE sc (id int PRIMARY KEY, name text NOT NULL, region int, code int);
CREATE TABLE so (id int PRIMARY KEY, cust_id int, amount int NOT NULL, tag text);
CREATE INDEX so_cust ON so (cust_id);
CREATE TABLE sn (k int, v int);
CREATE TABLE sk (k int NOT NULL, grp int NOT NULL);
INSERT INTO sc SELECT g, 'c' || g, CASE WHEN g % 9 = 0 THEN NULL ELSE g % 4 END, CASE WHEN g % 7 = 0 THEN NULL ELSE g % 11 END FROM generate_series(1, 60) g;
INSERT INTO so SELECT g, CASE WHEN g % 13 = 0 THEN NULL ELSE g % 45 END, g * 7 % 300, 't' || (g % 3) FROM generate_series(1, 400) g;
INSERT INTO sn VALUES (1, 10), (2, 20), (2, 21), (NULL, 30), (5, NULL);
INSERT INTO sk SELECT g % 17, g % 3 FROM generate_series(1, 90) g;
ANALYZE;
SELECT count(*) FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id);
SELECT c.id FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id AND o.amount > 250) ORDER BY 1;
SELECT c.id FROM sc c WHERE NOT EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id AND o.amount > 100) ORDER BY 1;
SELECT c.id, c.name FROM sc c WHERE EXISTS (SELECT * FROM so o WHERE c.id = o.cust_id AND o.tag = 't1' AND o.amount < 50) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.region = 2 AND EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id) AND NOT EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id AND o.tag = 't2') ORDER BY 1;
SELECT c.id FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id AND o.amount > c.id * 5) ORDER BY 1;
SELECT c.id FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.code) ORDER BY 1;
SELECT c.id FROM sc c WHERE NOT EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.code) ORDER BY 1;
SELECT count(*) FROM sc c WHERE c.id IN (SELECT cust_id FROM so);
SELECT c.id FROM sc c WHERE c.id IN (SELECT o.cust_id FROM so o WHERE o.amount > 280) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.code IN (SELECT k FROM sn) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.code NOT IN (SELECT k FROM sn) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.code NOT IN (SELECT k FROM sn WHERE k IS NOT NULL) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id NOT IN (SELECT k FROM sk) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id NOT IN (SELECT k FROM sk WHERE sk.grp = c.region) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id IN (SELECT k FROM sk WHERE sk.grp = c.region) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.region NOT IN (SELECT grp FROM sk) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id NOT IN (SELECT cust_id FROM so) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id NOT IN (SELECT k FROM sk WHERE k > 100) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.code NOT IN (SELECT k FROM sk WHERE k > 100) ORDER BY 1;
SELECT k, v FROM sn WHERE k IN (SELECT k FROM sk) ORDER BY 1, 2;
SELECT k, v FROM sn WHERE k NOT IN (SELECT k FROM sk) ORDER BY 1, 2;
SELECT k, v FROM sn WHERE NOT EXISTS (SELECT 1 FROM sk WHERE sk.k = sn.k) ORDER BY 1, 2;
SELECT k, v FROM sn WHERE EXISTS (SELECT 1 FROM sk WHERE sk.k = sn.k AND sk.grp = 1) ORDER BY 1, 2;
SELECT c.id, o.id FROM sc c JOIN so o ON o.cust_id = c.id WHERE c.id < 10 AND EXISTS (SELECT 1 FROM sk WHERE sk.k = o.id % 17 AND sk.grp = 2) ORDER BY 1, 2;
SELECT c.id, o.id FROM sc c JOIN so o ON o.cust_id = c.id WHERE c.id < 5 AND EXISTS (SELECT 1 FROM sk WHERE sk.k = o.id % 17 AND sk.grp = c.id % 3) ORDER BY 1, 2;
SELECT c.id FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id) OR c.id < 3 ORDER BY 1;
SELECT c.id FROM sc c WHERE EXISTS (SELECT count(*) FROM so o WHERE o.cust_id = c.id AND o.amount > 1000) ORDER BY 1 LIMIT 5;
SELECT c.id FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id LIMIT 1) ORDER BY 1 LIMIT 5;
SELECT c.id, (SELECT count(*) FROM sc c2 WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c2.id AND o.amount = c.id)) FROM sc c WHERE c.id < 6 ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id < 20 AND EXISTS (SELECT 1 FROM (SELECT cust_id, amount FROM so WHERE amount > 200) x WHERE x.cust_id = c.id) ORDER BY 1;
SELECT DISTINCT c.region FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id AND o.tag = 't0') ORDER BY 1;
SELECT c.region, count(*) FROM sc c WHERE EXISTS (SELECT 1 FROM so o WHERE o.cust_id = c.id) GROUP BY c.region ORDER BY 1;
SELECT c.id FROM sc c WHERE 3 IN (SELECT k FROM sk) AND c.id < 4 ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id IN (SELECT DISTINCT k FROM sk) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id::int8 IN (SELECT k::int8 FROM sk) ORDER BY 1;
SELECT c.id FROM sc c WHERE c.id IN (SELECT cust_id FROM so WHERE so.amount = c.code * 10) ORDER BY 1;
"""),
Case("outer_join_pushdown", r"""
CREATE TABLE oa (id int PRIMARY KEY, b_id int, x int, t text);
CREATE TABLE ob (id int PRIMARY KEY, c_id int, y int);
CREATE TABLE oc (id int PRIMARY KEY, z int);
CREATE INDEX ob_c ON ob (c_id);
INSERT INTO oa SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 40 END, g % 7, 't' || (g % 4) FROM generate_series(1, 120) g;
INSERT INTO ob SELECT g, CASE WHEN g % 6 = 0 THEN NULL ELSE g % 15 END, CASE WHEN g % 4 = 0 THEN NULL ELSE g % 9 END FROM generate_series(1, 30) g;
INSERT INTO oc SELECT g, g * 2 FROM generate_series(1, 10) g;
ANALYZE;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE a.x = 3 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE a.id BETWEEN 10 AND 30 AND a.t <> 't1' ORDER BY 1, 2;
SELECT a.id, b.id, b.y FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.y > 3 ORDER BY 1, 2;
SELECT a.id, b.id, b.y FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.y IS NULL ORDER BY 1, 2;
SELECT a.id, b.id, b.y FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.id IS NOT NULL AND a.x < 2 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE coalesce(b.y, 0) = 0 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.y > 3 OR a.x = 1 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE (b.y > 3 OR b.y < 1) AND a.x = 1 ORDER BY 1, 2;
SELECT a.id, b.id FROM ob b RIGHT JOIN oa a ON a.b_id = b.id WHERE a.x = 3 ORDER BY 1, 2;
SELECT a.id, b.id FROM ob b RIGHT JOIN oa a ON a.b_id = b.id WHERE b.y = 2 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a FULL JOIN ob b ON a.b_id = b.id WHERE a.x = 3 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a FULL JOIN ob b ON a.b_id = b.id WHERE b.y = 3 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a FULL JOIN ob b ON a.b_id = b.id WHERE b.y = 3 AND a.x = 2 ORDER BY 1, 2;
SELECT a.id, b.id, c.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id LEFT JOIN oc c ON b.c_id = c.id WHERE a.x = 4 ORDER BY 1, 2, 3;
SELECT a.id, b.id, c.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id LEFT JOIN oc c ON b.c_id = c.id WHERE b.y = 1 ORDER BY 1, 2, 3;
SELECT a.id, b.id, c.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id LEFT JOIN oc c ON b.c_id = c.id WHERE c.z > 10 ORDER BY 1, 2, 3;
SELECT a.id, b.id, c.id FROM oa a LEFT JOIN (ob b JOIN oc c ON b.c_id = c.id) ON a.b_id = b.id WHERE a.id < 20 ORDER BY 1, 2, 3;
SELECT a.id, b.id, c.id FROM oa a LEFT JOIN (ob b LEFT JOIN oc c ON b.c_id = c.id) ON a.b_id = b.id WHERE c.z IS NULL AND a.id < 30 ORDER BY 1, 2, 3;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id AND b.y > 2 WHERE a.x = 5 ORDER BY 1, 2;
SELECT count(*), count(b.id) FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE a.t = 't2';
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE a.id = 7;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.id = 7 ORDER BY 1;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE a.x = b.y ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.y IN (1, 2) ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE NOT (b.y = 1) ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE (b.y = 1) IS NOT TRUE AND a.id < 15 ORDER BY 1, 2;
SELECT a.id, b.id FROM oa a LEFT JOIN ob b ON a.b_id = b.id WHERE b.y IS DISTINCT FROM 1 AND a.id < 15 ORDER BY 1, 2;
SELECT a.id, o.z FROM oa a LEFT JOIN oc o ON o.id = a.x WHERE a.id < 10 ORDER BY 1;
SELECT a.id, x.id FROM oa a LEFT JOIN (SELECT * FROM ob WHERE y > 1) x ON x.id = a.b_id WHERE a.x = 6 AND x.y IS NULL ORDER BY 1;
"""),
Case("pg_stats", r"""
CREATE TABLE st1 (id int PRIMARY KEY, flag bool, grp int, note text, u int UNIQUE);
INSERT INTO st1 SELECT g, g % 2 = 0, CASE WHEN g % 4 = 0 THEN NULL ELSE g % 3 END, CASE WHEN g % 10 = 0 THEN NULL ELSE 'n' END, g FROM generate_series(1, 200) g;
ANALYZE st1;
SELECT schemaname, tablename, attname, inherited, null_frac, n_distinct FROM pg_stats WHERE tablename = 'st1' ORDER BY attname;
SELECT attname, avg_width FROM pg_stats WHERE tablename = 'st1' AND attname IN ('id', 'grp', 'flag') ORDER BY attname;
SELECT count(*) FROM pg_stats WHERE tablename = 'nosuch';
SELECT relname, n_live_tup, last_analyze IS NOT NULL, last_analyze > now() - interval '1 hour' FROM pg_stat_user_tables WHERE relname = 'st1';
"""),
Case("semi_anti_edges", r"""
CREATE TABLE ea (id int PRIMARY KEY, v int);
CREATE TABLE eb (id int PRIMARY KEY, a_id int, w int);
CREATE VIEW evw AS SELECT a_id, w FROM eb WHERE w > 2;
INSERT INTO ea SELECT g, g % 5 FROM generate_series(1, 30) g;
INSERT INTO eb SELECT g, g % 20, g % 7 FROM generate_series(1, 60) g;
WITH x AS (SELECT a_id FROM eb WHERE w = 3) SELECT id FROM ea WHERE EXISTS (SELECT 1 FROM x WHERE x.a_id = ea.id) ORDER BY 1;
SELECT id FROM ea WHERE EXISTS (SELECT 1 FROM evw WHERE evw.a_id = ea.id) ORDER BY 1;
SELECT id FROM ea WHERE id IN (SELECT a_id FROM evw) ORDER BY 1;
SELECT id FROM ea WHERE EXISTS (SELECT 1 FROM eb WHERE eb.a_id = ea.id AND eb.w = 2) ORDER BY 1;
SELECT id FROM ea WHERE EXISTS (SELECT 1 FROM eb WHERE eb.a_id = ea.id AND eb.w = 5) ORDER BY 1;
SELECT s.id FROM (SELECT * FROM ea WHERE NOT EXISTS (SELECT 1 FROM eb WHERE eb.a_id = ea.id)) s ORDER BY 1;
SELECT a.id, (SELECT count(*) FROM eb WHERE eb.a_id = a.id AND EXISTS (SELECT 1 FROM ea a2 WHERE a2.id = eb.w AND a2.v = a.v)) FROM ea a ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb WHERE eb.a_id = a.id AND eb.w IN (SELECT v FROM ea WHERE ea.id < 4)) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id AND b.w = a.v) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id + 1 AND b.w > a.v) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb b WHERE a.id = b.a_id AND b.id = a.id * 2) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT a.v FROM eb b WHERE b.a_id = a.id) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id AND random() < 2) ORDER BY 1;
SELECT a.id FROM ea a WHERE NOT EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id) AND a.id IN (SELECT w FROM eb) ORDER BY 1;
SELECT a.id FROM ea a, ea a2 WHERE a.id = a2.id AND EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id AND b.w = a2.v) ORDER BY 1;
SELECT a.id FROM ea a WHERE EXISTS (SELECT 1 FROM eb b WHERE b.a_id = a.id) ORDER BY 1 LIMIT 3;
UPDATE ea SET v = v + 100 WHERE EXISTS (SELECT 1 FROM eb WHERE eb.a_id = ea.id AND eb.w = 1);
SELECT id, v FROM ea WHERE v > 99 ORDER BY 1;
DELETE FROM ea WHERE id NOT IN (SELECT id FROM eb WHERE id < 10);
SELECT count(*) FROM ea;
"""),
]


# Operators past work_mem (sql_spill.h): with work_mem at its minimum (64kB) every sort, hash
# aggregation, DISTINCT, set operation and hash join below runs over far more rows than fit, so
# ours spills to temp files (external merge sort, partitioned hash tables, grace hash join) while
# PostgreSQL picks its own plans; the answers must still be PostgreSQL's. Inputs are
# generate_series of 60k-200k rows; outputs are kept small (OFFSET, aggregates over the result)
# where the full result would only cost transfer time.
SPILL_CASES = [
Case("spill_sort", r"""
SET work_mem = '64kB';
SHOW work_mem;
SELECT g, (g * 7919) % 1000 AS a, ((g * 31) % 977)::text AS t FROM generate_series(1, 100000) g ORDER BY a DESC, t, g;
SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE ((g * 13) % 5000)::numeric / 7 END AS n FROM generate_series(1, 120000) g ORDER BY n NULLS FIRST, g DESC OFFSET 110000;
SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE ((g * 13) % 5000)::numeric / 7 END AS n FROM generate_series(1, 120000) g ORDER BY n DESC NULLS LAST, g OFFSET 100000;
SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE (g % 300)::text END AS t FROM generate_series(1, 100000) g ORDER BY t DESC NULLS LAST, g DESC OFFSET 95000;
SELECT 'k' || lpad(((g * 7) % 30011)::text, 6, '0') AS t, g FROM generate_series(1, 100000) g ORDER BY t DESC, g LIMIT 50 OFFSET 1000;
SELECT g, ARRAY[g % 3, g % 5] AS arr, timestamp '2024-01-01' + g * interval '1 minute' AS ts, g % 2 = 0 AS b, interval '1 day' * (g % 40) AS iv FROM generate_series(1, 100000) g ORDER BY (g * 37) % 100003 OFFSET 99000;
SELECT count(*), sum(g), min(g), max(g) FROM (SELECT g FROM generate_series(1, 200000) g ORDER BY (g * 7919) % 200003 DESC) s;
SET work_mem = '10kB';
SET work_mem = 'abc';
SET work_mem = '2TB';
SET work_mem = '1.5MB';
SHOW work_mem;
SET work_mem = 8192;
SHOW work_mem;
RESET work_mem;
SHOW work_mem
"""),
Case("spill_group_by", r"""
SET work_mem = '64kB';
SELECT g % 20000 AS k, count(*), sum(g), avg(g), min(g), max(g::text), sum((g % 7)::numeric / 3), count(DISTINCT g % 3), sum(DISTINCT g % 5), bool_and(g > 5), length(string_agg(g::text, ',')), cardinality(array_agg(g)) FROM generate_series(1, 120000) g GROUP BY 1 ORDER BY 1;
SELECT k, string_agg(t, ','), array_agg(g) FROM (SELECT g % 5000 AS k, (g % 13)::text AS t, g FROM generate_series(1, 60000) g ORDER BY 1, 2, 3) s GROUP BY k ORDER BY k;
SELECT count(*), sum(c), max(c) FROM (SELECT g % 90000 AS k, count(*) AS c FROM generate_series(1, 200000) g GROUP BY 1) s;
SELECT CASE WHEN g % 9 = 0 THEN NULL ELSE g % 30000 END AS k, count(*), sum(g) FROM generate_series(1, 100000) g GROUP BY 1 ORDER BY 1 NULLS FIRST OFFSET 29000;
SELECT (g % 25000)::text AS t, (g % 3)::numeric / 3 AS n, count(*), avg(g % 100) FROM generate_series(1, 100000) g GROUP BY 1, 2 ORDER BY 2 DESC, 1 OFFSET 70000;
SELECT count(*), count(DISTINCT g % 70000), sum(DISTINCT g % 1000) FROM generate_series(1, 150000) g
"""),
Case("spill_distinct_setops", r"""
SET work_mem = '64kB';
SELECT count(*), sum(a), count(DISTINCT b) FROM (SELECT DISTINCT g % 70000 AS a, (g % 3)::text AS b FROM generate_series(1, 200000) g) s;
SELECT * FROM (SELECT DISTINCT (g * 7) % 50000 AS a FROM generate_series(1, 150000) g) s ORDER BY a OFFSET 49000;
SELECT DISTINCT g % 40000 AS a, (g % 2)::text AS b FROM generate_series(1, 120000) g ORDER BY 1, 2 OFFSET 79000;
SELECT DISTINCT ON (g % 20000) g % 20000 AS k, g FROM generate_series(1, 100000) g ORDER BY g % 20000, g DESC OFFSET 19000;
SELECT x FROM (SELECT g % 80000 AS x FROM generate_series(1, 150000) g UNION SELECT g * 2 FROM generate_series(1, 100000) g) s ORDER BY 1 OFFSET 100000;
SELECT count(*), sum(x) FROM (SELECT g % 80000 AS x FROM generate_series(1, 150000) g UNION ALL SELECT g * 2 FROM generate_series(1, 100000) g) s;
SELECT count(*), count(x), min(x), max(x) FROM (SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE (g % 40000)::text END AS x FROM generate_series(1, 150000) g INTERSECT SELECT ((g * 3) % 45000)::text FROM generate_series(1, 100000) g) s;
SELECT x, count(*) FROM (SELECT g % 80000 AS x FROM generate_series(1, 150000) g INTERSECT ALL SELECT (g * 2) % 90000 FROM generate_series(1, 100000) g) s GROUP BY x ORDER BY 2 DESC, 1 LIMIT 100;
SELECT count(*), sum(x) FROM (SELECT g % 80000 AS x FROM generate_series(1, 150000) g INTERSECT ALL SELECT (g * 2) % 90000 FROM generate_series(1, 100000) g) s;
SELECT count(*), count(x), min(x), max(x) FROM (SELECT CASE WHEN g % 17 = 0 THEN NULL ELSE (g % 40000)::text END AS x FROM generate_series(1, 150000) g EXCEPT SELECT ((g * 3) % 45000)::text FROM generate_series(1, 100000) g) s;
SELECT x FROM (SELECT g % 80000 AS x FROM generate_series(1, 150000) g EXCEPT ALL SELECT (g * 2) % 90000 FROM generate_series(1, 100000) g) s ORDER BY 1 OFFSET 74000
"""),
Case("spill_joins", r"""
SET work_mem = '64kB';
SELECT count(*), count(l.a), count(r.b), sum(l.a), sum(r.b), sum(l.k) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l JOIN (SELECT g AS b, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 3) % 50000 END AS k FROM generate_series(1, 80000) g) r ON l.k = r.k;
SELECT count(*), count(l.a), count(r.b), sum(l.a), sum(r.b), sum(l.k) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l LEFT JOIN (SELECT g AS b, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 3) % 50000 END AS k FROM generate_series(1, 80000) g) r ON l.k = r.k;
SELECT count(*), count(l.a), count(r.b), sum(l.a), sum(r.b), sum(r.k) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l RIGHT JOIN (SELECT g AS b, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 3) % 50000 END AS k FROM generate_series(1, 80000) g) r ON l.k = r.k;
SELECT count(*), count(l.a), count(r.b), sum(l.a), sum(r.b), count(l.k), count(r.k) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l FULL JOIN (SELECT g AS b, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 3) % 50000 END AS k FROM generate_series(1, 80000) g) r ON l.k = r.k;
SELECT l.a, l.k, r.b, r.t FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l FULL JOIN (SELECT g AS b, CASE WHEN g % 13 = 0 THEN NULL ELSE (g * 3) % 50000 END AS k, (g % 100)::text AS t FROM generate_series(1, 80000) g) r ON l.k = r.k AND r.b % 7 <> 3 ORDER BY l.a NULLS FIRST, r.b OFFSET 1000 LIMIT 2000;
SELECT l.a, r.b, r.t FROM (SELECT g AS a, (g % 30000)::text AS k FROM generate_series(1, 90000) g) l LEFT JOIN (SELECT g AS b, ((g * 7) % 35000)::text AS k, (g % 10)::text AS t FROM generate_series(1, 70000) g) r ON l.k = r.k ORDER BY l.a DESC, r.b LIMIT 300;
SELECT count(*), sum(l.a * 2 + r.b) FROM (SELECT g AS a, g % 1000 AS k1, g % 7 AS k2 FROM generate_series(1, 60000) g) l JOIN (SELECT g AS b, g % 1000 AS k1, g % 7 AS k2 FROM generate_series(1, 60000) g) r ON l.k1 = r.k1 AND l.k2 = r.k2;
SELECT count(*), sum(l.a) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l WHERE EXISTS (SELECT 1 FROM (SELECT (g * 3) % 50000 AS k FROM generate_series(1, 80000) g) r WHERE r.k = l.k);
SELECT count(*), sum(l.a) FROM (SELECT g AS a, CASE WHEN g % 10 = 0 THEN NULL ELSE g % 40000 END AS k FROM generate_series(1, 100000) g) l WHERE NOT EXISTS (SELECT 1 FROM (SELECT (g * 3) % 50000 AS k FROM generate_series(1, 80000) g) r WHERE r.k = l.k)
"""),
]


@pz.timeout(600)
def test_sql_diff_spill_pg15(ctx):
    """The SPILL_CASES: results past work_mem equal PostgreSQL's."""
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    failures = []
    for case in SPILL_CASES:
        pg_conn, pz_conn = pg.connect(), ours.connect()
        try:
            mismatches, _ = run_case(case, pg_conn, pz_conn)
            failures += [f"[{case.name}] {sql[:200]}\n      {what[:2000]}"
                         for sql, what in mismatches]
        finally:
            pg_conn.close()
            pz_conn.close()
        pz.check(ours.node.alive(), f"phantomzero exited during case {case.name}:\n"
                 + ours.node.log_tail())
    pz.check(not failures, f"{len(failures)} statements differ from PostgreSQL 15:\n  "
             + "\n  ".join(failures))

@pz.timeout(120)
def test_sql_diff_pg15(ctx):
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    failures, statements = [], 0
    for case in CASES:
        pg_conn, pz_conn = pg.connect(), ours.connect()
        try:
            mismatches, notes = run_case(case, pg_conn, pz_conn)
            statements += len(case.statements())
            for note in notes:
                ctx.note(note)
            for sql, what in mismatches:
                failures.append(f"[{case.name}] {sql}\n      {what}")
            for sql in cleanup_sql(case.script):
                for c in (pg_conn, pz_conn):
                    if not c.closed:
                        c.cursor().execute(sql)
        finally:
            pg_conn.close()
            pz_conn.close()
        pz.check(ours.node.alive(), f"phantomzero exited during case {case.name}:\n"
                 + ours.node.log_tail())
    ctx.note(f"{len(CASES)} cases, {statements} statements compared with PostgreSQL 15")
    pz.check(not failures, f"{len(failures)} statements differ from PostgreSQL 15:\n  "
             + "\n  ".join(failures))


def _raw_startup(port, params):
    """Sends a StartupMessage with params (JDBC sends TimeZone this way) and returns
    (ParameterStatus TimeZone or None, the ErrorResponse's (SQLSTATE, message) or None)."""
    body = struct.pack("!I", 196608)
    for k, v in params:
        body += k.encode() + b"\0" + v.encode() + b"\0"
    body += b"\0"
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(struct.pack("!I", len(body) + 4) + body)
    buf, tz = b"", None
    try:
        while True:
            while len(buf) < 5 or len(buf) < 1 + struct.unpack("!I", buf[1:5])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return tz, None
                buf += chunk
            n = struct.unpack("!I", buf[1:5])[0]
            t, msg, buf = buf[:1], buf[5:1 + n], buf[1 + n:]
            if t == b"S":
                k, v = msg.split(b"\0")[:2]
                if k == b"TimeZone":
                    tz = v.decode()
            elif t == b"E":
                f = {p[:1]: p[1:].decode() for p in msg.split(b"\0") if p}
                return tz, (f.get(b"C"), f.get(b"M"))
            elif t == b"Z":
                return tz, None
    finally:
        s.close()


@pz.timeout(120)
def test_sql_startup_timezone(ctx):
    """TimeZone from the startup packet, as JDBC (a TimeZone parameter) and libpq/psycopg2
    (options='-c TimeZone=...') send it: the session reads and prints timestamptz in that zone,
    ParameterStatus and SHOW report it, and an unknown zone refuses the connection FATAL with
    PostgreSQL's error — all compared with PostgreSQL 15."""
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    sql = "SELECT '2024-07-01 12:00+00'::timestamptz, '2024-01-15 09:30'::timestamptz::text"
    for opts in ("-c TimeZone=Europe/Berlin", "-c timezone=america/new_york -c DateStyle=ISO",
                 "--TimeZone=Asia/Tokyo", "-c TimeZone=Foo/Bar", "-c TimeZone"):
        got = []
        for srv in (pg, ours):
            try:
                c = psycopg2.connect(srv.dsn(), options=opts, connect_timeout=10)
            except psycopg2.OperationalError as e:
                got.append(("refused", str(e).strip().split("FATAL:")[-1].strip()))
                continue
            cur = c.cursor()
            cur.execute(sql)
            rows = cur.fetchall()
            cur.execute("SHOW TimeZone")
            got.append((rows[0], cur.fetchone()[0], c.get_parameter_status("TimeZone")))
            c.close()
        pz.check(got[0] == got[1], f"options {opts!r}: pg {got[0]} pz {got[1]}")
        ctx.note(f"options {opts!r}: {got[1]}")
    for params in ((("TimeZone", "Europe/Berlin"),), (("TimeZone", "Etc/UTC"),),
                   (("TimeZone", "America/Sao_Paulo"), ("extra_float_digits", "3")),
                   (("TimeZone", "Foo/Bar"),)):
        a = _raw_startup(pg.port, (("user", Pg15.USER), ("database", Pg15.DBNAME)) + params)
        b = _raw_startup(ours.port, (("user", PzSql.USER), ("database", PzSql.DBNAME)) + params)
        pz.check(a == b, f"startup {params}: pg {a} pz {b}")


@pz.timeout(120)
def test_sql_setval_sessions(ctx):
    """setval reaches every session at once, as PostgreSQL's (CACHE 1) does: a session whose
    nextval reserved a block of values before another session's setval gets the value after the
    one set, never a stale one; currval stays per session. The same two-session script runs on
    PostgreSQL 15 and here, every outcome compared."""
    pg = Pg15(ctx).start()
    ours = PzSql(ctx).start()
    steps = [(0, "CREATE SEQUENCE ss"), (0, "SELECT nextval('ss')"), (1, "SELECT nextval('ss')"),
             (0, "SELECT nextval('ss')"), (1, "SELECT setval('ss', 100)"),
             (0, "SELECT nextval('ss'), currval('ss')"), (1, "SELECT currval('ss')"),
             (1, "SELECT nextval('ss')"), (0, "SELECT setval('ss', 7, false)"),
             (1, "SELECT nextval('ss'), nextval('ss')"), (0, "SELECT nextval('ss'), currval('ss')"),
             (1, "SELECT lastval()"), (0, "DROP SEQUENCE ss")]
    conns = {srv: [srv.connect(), srv.connect()] for srv in (pg, ours)}
    for c in conns[pg] + conns[ours]:
        raw_text(c)
    bad = []
    for who, sql in steps:
        a = run_statement(conns[pg][who], sql)
        b = run_statement(conns[ours][who], sql)
        if a != b:
            bad.append(f"session {who}: {sql}: pg {a} pz {b}")
    for c in conns[pg] + conns[ours]:
        c.close()
    pz.check(not bad, "\n".join(bad))
