-- psql script run on PostgreSQL 15 (basics.out) and on Phantom Zero: output must be identical.
CREATE TABLE inventory (id int PRIMARY KEY, name text NOT NULL, qty int DEFAULT 0 CHECK (qty >= 0), price numeric(8,2), tags text[], added date);
INSERT INTO inventory VALUES (1, 'bolt', 100, 0.25, '{metal,small}', '2024-01-05'),
    (2, 'nut', 250, 0.10, '{metal}', '2024-01-06'),
    (3, 'washer', 0, NULL, NULL, NULL);
INSERT INTO inventory (id, name) VALUES (4, 'gear') RETURNING *;
SELECT * FROM inventory ORDER BY id;
SELECT name, qty * price AS value FROM inventory WHERE price IS NOT NULL ORDER BY value DESC, name;
UPDATE inventory SET qty = qty + 5 WHERE qty < 50 RETURNING id, qty;
INSERT INTO inventory VALUES (1, 'dup');
INSERT INTO inventory (id, name, qty) VALUES (5, 'bad', -1);
INSERT INTO inventory (id) VALUES (6);
SELECT nosuch FROM inventory;
SELECT count(*), sum(qty), avg(price), min(added), max(name) FROM inventory;
SELECT added IS NULL AS undated, count(*) FROM inventory GROUP BY 1 ORDER BY 1;
\echo 'expanded output'
\x on
SELECT * FROM inventory WHERE id = 2;
\x off
SELECT 'multi
line' AS txt, E'tab\there' AS esc, NULL AS nothing, 1.50::numeric, 2.5::float8, true, '2024-02-29 12:00'::timestamp, interval '1 day 2 hours';
\pset null '(null)'
SELECT id, price FROM inventory ORDER BY id;
\pset format unaligned
SELECT id, name FROM inventory ORDER BY id LIMIT 2;
\pset format aligned
DELETE FROM inventory WHERE qty = 5;
CREATE VIEW stocked AS SELECT id, name FROM inventory WHERE qty > 0;
SELECT * FROM stocked ORDER BY name;
DROP VIEW stocked;
TRUNCATE inventory;
SELECT count(*) FROM inventory;
DROP TABLE inventory;
SELECT 1 +;
