-- The engine's cached jsonb encoder (src/jvjsonb_pg.c) writes exactly the bytes
-- PostgreSQL's own encoder writes, cold and from its cache, for every shape:
-- scalars, nesting, key order, the offset stride (every 32nd entry), numeric
-- and container alignment, unicode, large values.
BEGIN;
SELECT * FROM no_plan();

CREATE TEMP TABLE shapes (label text, value jsonb);
INSERT INTO shapes VALUES
 ('null', 'null'), ('true', 'true'), ('false', 'false'), ('zero', '0'), ('negative', '-12.5'),
 ('big number', '123456789012345678'), ('small number', '1e-7'), ('string', '"hello"'), ('empty string', '""'),
 ('unicode', '"héllo wörld ✓ 🚀"'), ('escapes', '"a\"b\\c\nd\te"'),
 ('empty array', '[]'), ('empty object', '{}'),
 ('mixed array', '[1, "two", null, true, false, 2.5, {"a": []}, [[]]]'),
 ('key order by length then bytes', '{"bb": 1, "a": 2, "ccc": 3, "ab": 4, "b": 5, "": 6}'),
 ('nested', '{"a": {"b": {"c": {"d": [1, {"e": "f"}]}}}}'),
 ('numbers after strings (alignment)', '{"a": "x", "b": 1, "c": "yz", "d": 2.25, "e": "w", "f": [3], "g": "v"}'),
 ('containers after odd strings', '["a", {"k": 1}, "abc", [1, 2], "abcde", {"k": [2]}]'),
 ('unicode keys', '{"ключ": 1, "키": [2], "🔑": {"x": "y"}}');
INSERT INTO shapes SELECT 'array of ' || n, (SELECT jsonb_agg(g) FROM generate_series(1, n) g) FROM unnest(ARRAY[31, 32, 33, 64, 65, 100]) n;
INSERT INTO shapes SELECT 'object of ' || n || ' keys', (SELECT jsonb_object_agg('k' || g, g) FROM generate_series(1, n) g)
  FROM unnest(ARRAY[15, 16, 17, 32, 33, 70]) n;
INSERT INTO shapes SELECT 'array of strings of varied length', (SELECT jsonb_agg(repeat('x', g)) FROM generate_series(0, 80) g);
INSERT INTO shapes SELECT 'object of mixed values', (SELECT jsonb_object_agg('key' || g,
    CASE g % 5 WHEN 0 THEN to_jsonb(g * 1.5) WHEN 1 THEN to_jsonb(repeat('s', g)) WHEN 2 THEN jsonb_build_array(g, 'x')
               WHEN 3 THEN jsonb_build_object('n', g) ELSE 'null'::jsonb END) FROM generate_series(1, 90) g);
INSERT INTO shapes SELECT 'large value', jsonb_build_object('blob', repeat('0123456789', 20000), 'list', (SELECT jsonb_agg(g) FROM generate_series(1, 3000) g));
INSERT INTO shapes SELECT 'PSA tickets', (SELECT jsonb_agg(to_jsonb(t)) FROM psa.tickets t);

SELECT ok(algawf._jv_reencode(value), label) FROM shapes ORDER BY label;

SELECT * FROM finish();
ROLLBACK;
