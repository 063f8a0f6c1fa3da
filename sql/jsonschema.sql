-- JSON Schema validator: algawf.validate_json() and algawf.check_schema().
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;

-- A small helper: the errors of one value, as one line each.
CREATE FUNCTION pg_temp.v(schema jsonb, value jsonb) RETURNS SETOF text
    LANGUAGE sql AS $$ SELECT coalesce(nullif(path, ''), '(root)') || ': ' || message FROM algawf.validate_json(schema, value) $$;
CREATE FUNCTION pg_temp.ok(schema jsonb, value jsonb) RETURNS boolean
    LANGUAGE sql AS $$ SELECT NOT EXISTS (SELECT 1 FROM algawf.validate_json(schema, value)) $$;

-- ---- type -------------------------------------------------------------------
SELECT t, pg_temp.ok(jsonb_build_object('type', t), v) AS ok, v
FROM (VALUES ('string'), ('number'), ('integer'), ('boolean'), ('object'), ('array'), ('null')) AS ts(t),
     (VALUES ('"s"'::jsonb), ('1'), ('1.0'), ('1.5'), ('true'), ('{}'), ('[]'), ('null')) AS vs(v)
ORDER BY t, v::text;
SELECT * FROM pg_temp.v('{"type": ["string", "null"]}', '"x"');
SELECT * FROM pg_temp.v('{"type": ["string", "null"]}', 'null');
SELECT * FROM pg_temp.v('{"type": ["string", "null"]}', '3');
SELECT * FROM pg_temp.v('{"type": "integer"}', '2.5');
SELECT * FROM pg_temp.v('{"type": ["integer", "boolean"]}', '1e3');
SELECT * FROM pg_temp.v('true', '{"anything": 1}');
SELECT * FROM pg_temp.v('false', '1');
SELECT * FROM pg_temp.v('{}', '[1, {"a": null}]');

-- ---- objects -----------------------------------------------------------------
SELECT * FROM pg_temp.v('{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
                          "required": ["a", "c"]}', '{"a": 1, "b": 2, "d": true}');
SELECT * FROM pg_temp.v('{"properties": {"a": {"type": "string"}}, "additionalProperties": false}', '{"a": "x", "z": 1, "y/~": 2}');
SELECT * FROM pg_temp.v('{"properties": {"a": {}}, "additionalProperties": {"type": "number"}}', '{"a": "x", "n": 1, "s": "no"}');
SELECT * FROM pg_temp.v('{"additionalProperties": false}', '{"x": 1}');
SELECT * FROM pg_temp.v('{"minProperties": 2, "maxProperties": 3}', '{"a": 1}');
SELECT * FROM pg_temp.v('{"minProperties": 2, "maxProperties": 3}', '{"a": 1, "b": 2, "c": 3, "d": 4}');
SELECT * FROM pg_temp.v('{"minProperties": 2, "maxProperties": 3}', '{"a": 1, "b": 2}');
SELECT * FROM pg_temp.v('{"required": ["a"]}', '"not an object: required does not apply"');

-- ---- arrays ------------------------------------------------------------------
SELECT * FROM pg_temp.v('{"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 1, "maxItems": 3}', '[1, -1, "x", 2.5]');
SELECT * FROM pg_temp.v('{"minItems": 1}', '[]');
SELECT * FROM pg_temp.v('{"items": false}', '[]');
SELECT * FROM pg_temp.v('{"items": false}', '[1]');
SELECT * FROM pg_temp.v('{"uniqueItems": true}', '[1, "1", 1.0, {"a": [1, 2]}, {"a": [1, 2]}, [1], [2]]');
SELECT * FROM pg_temp.v('{"uniqueItems": true}', '[{"a": 1, "b": 2}, {"b": 2, "a": 1}]');
SELECT * FROM pg_temp.v('{"uniqueItems": false}', '[1, 1]');
-- the hashed path (more than 16 items)
SELECT * FROM pg_temp.v('{"uniqueItems": true}', (SELECT jsonb_agg(i % 20) FROM generate_series(1, 22) i));
SELECT pg_temp.ok('{"uniqueItems": true}', (SELECT jsonb_agg(i) FROM generate_series(1, 100000) i)) AS unique_100k;

-- ---- strings -----------------------------------------------------------------
SELECT * FROM pg_temp.v('{"minLength": 2, "maxLength": 3}', '"a"');
SELECT * FROM pg_temp.v('{"minLength": 2, "maxLength": 3}', '"abcd"');
SELECT * FROM pg_temp.v('{"minLength": 2, "maxLength": 3}', '"éàü"');   -- characters, not bytes
SELECT * FROM pg_temp.v('{"minLength": 2}', '5');                       -- not a string: does not apply
SELECT * FROM pg_temp.v('{"pattern": "^T-[0-9]{4}$"}', '"T-0042"');
SELECT * FROM pg_temp.v('{"pattern": "^T-[0-9]{4}$"}', '"T-42"');
SELECT * FROM pg_temp.v('{"pattern": "\\d"}', '"room 101"');          -- unanchored search
SELECT * FROM pg_temp.v('{"pattern": "^\\w+$"}', '"hello world"');
SELECT * FROM pg_temp.v('{"pattern": "(?:ab)+c"}', '"xxababcxx"');
SELECT * FROM pg_temp.v('{"pattern": "^[a-z]+$"}', '"ABC"');           -- case-sensitive

-- ---- formats -----------------------------------------------------------------
SELECT f, v, pg_temp.ok(jsonb_build_object('format', f), v) AS ok
FROM (VALUES
    ('uuid', '"123e4567-e89b-12d3-a456-426614174000"'::jsonb), ('uuid', '"123E4567-E89B-12D3-A456-426614174000"'),
    ('uuid', '"123e4567e89b12d3a456426614174000"'), ('uuid', '"123e4567-e89b-12d3-a456-42661417400g"'),
    ('email', '"dana.scully+x@fbi.example.gov"'), ('email', '"a@localhost"'), ('email', '"no-at-sign"'),
    ('email', '"two..dots@example.com"'), ('email', '"a@-bad.com"'), ('email', '"a b@example.com"'), ('email', '"@example.com"'),
    ('date', '"2024-02-29"'), ('date', '"2023-02-29"'), ('date', '"2000-02-29"'), ('date', '"1900-02-29"'),
    ('date', '"2024-04-31"'), ('date', '"2024-12-31"'), ('date', '"2024-13-01"'), ('date', '"24-01-01"'),
    ('date-time', '"2024-05-01T09:30:00Z"'), ('date-time', '"2024-05-01t09:30:00.123456+02:00"'),
    ('date-time', '"2024-05-01T09:30:00"'), ('date-time', '"2024-05-01 09:30:00Z"'), ('date-time', '"2024-05-01T24:00:00Z"'),
    ('date-time', '"2016-12-31T23:59:60Z"'), ('date-time', '"2016-12-31T18:59:60-05:00"'), ('date-time', '"2016-12-31T12:59:60Z"'),
    ('date-time', '"2023-02-29T00:00:00Z"'), ('date-time', '"2024-05-01T09:30:00+2:00"'),
    ('uri', '"https://psa.example.com/tickets/42?x=1#top"'), ('uri', '"mailto:help@example.com"'), ('uri', '"urn:isbn:0451450523"'),
    ('uri', '"http://[2001:db8::1]:8080/"'), ('uri', '"/relative/path"'), ('uri', '"example.com"'), ('uri', '"http://a b"'),
    ('uri', '"http://x/%zz"'), ('uri', '"1http://x"')
) AS c(f, v)
ORDER BY f, ok DESC, v::text;
SELECT * FROM pg_temp.v('{"format": "email"}', '42');                     -- formats apply to strings only

-- ---- numbers -----------------------------------------------------------------
SELECT * FROM pg_temp.v('{"minimum": 1, "maximum": 10}', '0');
SELECT * FROM pg_temp.v('{"minimum": 1, "maximum": 10}', '10');
SELECT * FROM pg_temp.v('{"minimum": 1, "maximum": 10}', '10.5');
SELECT * FROM pg_temp.v('{"exclusiveMinimum": 0, "exclusiveMaximum": 1}', '0');
SELECT * FROM pg_temp.v('{"exclusiveMinimum": 0, "exclusiveMaximum": 1}', '1');
SELECT * FROM pg_temp.v('{"exclusiveMinimum": 0, "exclusiveMaximum": 1}', '0.5');
SELECT * FROM pg_temp.v('{"minimum": 0, "exclusiveMinimum": true}', '0');   -- draft-4 boolean form
SELECT * FROM pg_temp.v('{"maximum": 5, "exclusiveMaximum": false}', '5');
SELECT * FROM pg_temp.v('{"multipleOf": 0.01}', '19.99');
SELECT * FROM pg_temp.v('{"multipleOf": 0.01}', '19.999');
SELECT * FROM pg_temp.v('{"multipleOf": 15}', '45');
SELECT * FROM pg_temp.v('{"minimum": 3}', '"3"');                          -- not a number: does not apply

-- ---- enum, const -------------------------------------------------------------
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', '"medium"');
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', 'null');
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', '1.0');
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', '{"a": [1.0]}');
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', '"urgent"');
SELECT * FROM pg_temp.v('{"enum": ["low", "medium", "high", null, 1, {"a": [1]}]}', '"1"');
SELECT * FROM pg_temp.v('{"const": {"kind": "ticket", "v": 2}}', '{"v": 2, "kind": "ticket"}');
SELECT * FROM pg_temp.v('{"const": {"kind": "ticket", "v": 2}}', '{"v": 3, "kind": "ticket"}');
SELECT * FROM pg_temp.v('{"const": null}', 'false');

-- ---- combinators -------------------------------------------------------------
SELECT * FROM pg_temp.v('{"allOf": [{"type": "string"}, {"minLength": 3}, {"pattern": "^a"}]}', '"bb"');
SELECT * FROM pg_temp.v('{"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "format": "uuid"}]}', '"x@example.com"');
SELECT * FROM pg_temp.v('{"anyOf": [{"type": "string", "format": "email"}, {"type": "string", "format": "uuid"}]}', '"nope"');
SELECT * FROM pg_temp.v('{"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 1}]}', '0.5');
SELECT * FROM pg_temp.v('{"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 1}]}', '7');
SELECT * FROM pg_temp.v('{"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 1}]}', '1');
SELECT * FROM pg_temp.v('{"oneOf": [{"type": "integer"}, {"type": "number", "maximum": 1}]}', '2.5');
SELECT * FROM pg_temp.v('{"not": {"type": "null"}}', '0');
SELECT * FROM pg_temp.v('{"not": {"type": "null"}}', 'null');
SELECT * FROM pg_temp.v('{"anyOf": [{"required": ["email"]}, {"required": ["phone"]}],
                          "properties": {"email": {"format": "email"}}}', '{"name": "Dana", "email": "dana"}');

-- ---- nested paths ------------------------------------------------------------
SELECT * FROM pg_temp.v('{
  "type": "object",
  "properties": {
    "ticket": {"type": "object", "required": ["title"], "properties": {
      "title": {"type": "string", "minLength": 1},
      "items": {"type": "array", "items": {"type": "object", "properties": {
          "email": {"type": "string", "format": "email"},
          "qty": {"type": "integer", "minimum": 1}}}}}},
    "a/b": {"properties": {"c~d": {"type": "boolean"}}}
  }
}', '{"ticket": {"title": "", "items": [{"email": "a@b.co"}, {"qty": 0}, {"email": "bad", "qty": 1.5}]},
      "a/b": {"c~d": "yes"}}');

-- ---- $ref ---------------------------------------------------------------------
SELECT * FROM pg_temp.v('{"$defs": {"email": {"type": "string", "format": "email"}},
                          "properties": {"from": {"$ref": "#/$defs/email"}, "to": {"type": "array", "items": {"$ref": "#/$defs/email"}}}}',
                        '{"from": "x", "to": ["a@b.co", "y"]}');
SELECT * FROM pg_temp.v('{"definitions": {"id": {"type": "string", "format": "uuid"}}, "$ref": "#/definitions/id"}', '"nope"');
SELECT * FROM pg_temp.v('{"$defs": {"node": {"type": "object", "required": ["name"], "properties": {
                              "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}}}},
                          "$ref": "#/$defs/node"}',
                        '{"name": "root", "children": [{"name": "a", "children": [{"children": []}]}, {"name": 2}]}');
SELECT * FROM pg_temp.v('{"properties": {"next": {"$ref": "#"}}, "type": "object"}', '{"next": {"next": {"next": 1}}}');
-- $ref applies together with its siblings
SELECT * FROM pg_temp.v('{"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "maxLength": 2}', '"abc"');
-- any JSON pointer to a subschema, with ~0 ~1 and %-escapes
SELECT * FROM pg_temp.v('{"properties": {"a/b": {"type": "integer"}, "c": {"$ref": "#/properties/a~1b"}}}', '{"c": "x"}');
SELECT * FROM pg_temp.v('{"$defs": {"a b": {"type": "integer"}}, "$ref": "#/$defs/a%20b"}', '"x"');

-- ---- annotations are ignored -------------------------------------------------
SELECT * FROM pg_temp.v('{"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:algawf:tickets.create",
  "title": "Create ticket", "description": "d", "$comment": "c", "examples": [{"title": "x"}], "default": {},
  "readOnly": false, "writeOnly": false, "deprecated": false,
  "x-workflow-picker-kind": "board", "x-ui": {"widget": "select", "anything": [1, 2]},
  "properties": {"board_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "board", "default": "nope"}}}',
  '{"board_id": "00000000-0000-0000-0000-000000000001"}');
SELECT count(*) AS problems FROM algawf.check_schema('{"title": "t", "x-a": {"type": 5}, "x-": null, "default": 7, "examples": []}');

-- ---- malformed schemas: all problems, each with its schema path --------------
SELECT * FROM algawf.check_schema('{"type": "object", "properties": {"a": {"type": "string"}}}');
SELECT * FROM algawf.check_schema('{
  "type": "object",
  "properties": {
    "name": {"type": "strnig"},
    "tags": {"type": ["string", "string", 5]},
    "due": {"type": "string", "nullable": true},
    "age": {"type": "integer", "minimum": "1", "maximum": 0.5},
    "code": {"pattern": "([a-z]"},
    "ip": {"format": "ipv4"},
    "kind": {"enum": []},
    "n": {"minLength": -1, "maxLength": 1.5, "minItems": 3, "maxItems": 2},
    "x": {"requird": ["a"], "if": {"type": "string"}, "then": {}, "patternProperties": {}, "example": 1},
    "y": {"items": [{"type": "string"}], "uniqueItems": "yes", "multipleOf": 0},
    "z": {"allOf": [], "anyOf": {}, "oneOf": [5], "not": "x"},
    "w": {"exclusiveMinimum": true, "exclusiveMaximum": "3"},
    "v": {"title": 5, "readOnly": "no", "examples": "one", "description": null},
    "u": 42
  },
  "required": ["name", "name", 7, "gone"],
  "additionalProperties": false,
  "$defs": {"bad": {"minProperties": 5, "maxProperties": 1}}
}');
SELECT * FROM algawf.check_schema('"just a string"');
SELECT * FROM algawf.check_schema('{"properties": []}');
SELECT * FROM algawf.check_schema('{"$ref": "#/$defs/missing"}');
SELECT * FROM algawf.check_schema('{"$ref": "https://example.com/schema.json"}');
SELECT * FROM algawf.check_schema('{"$ref": "#anchor"}');
SELECT * FROM algawf.check_schema('{"$ref": 7}');
SELECT * FROM algawf.check_schema('{"$ref": "#/required", "required": ["a"]}');
SELECT * FROM algawf.check_schema('{"$defs": {"a": {"type": "string"}}, "$ref": "#/$defs"}');
SELECT * FROM algawf.check_schema('{"$ref": "#/$defs/a~2"}');
-- $ref loops that never descend into the value
SELECT * FROM algawf.check_schema('{"$ref": "#"}');
SELECT * FROM algawf.check_schema('{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}');
SELECT * FROM algawf.check_schema('{"$defs": {"a": {"not": {"allOf": [{"$ref": "#/$defs/a"}]}}}}');
-- recursion through properties/items is fine
SELECT count(*) AS problems FROM algawf.check_schema('{"$defs": {"t": {"properties": {"kids": {"items": {"$ref": "#/$defs/t"}}}}}, "$ref": "#/$defs/t"}');

-- validate_json refuses a bad schema with 22023, the schema path in DETAIL and the fix in HINT
\set VERBOSITY default
SELECT * FROM algawf.validate_json('{"properties": {"due": {"type": "string", "nullable": true}}}', '{}');
SELECT * FROM algawf.validate_json('{"properties": {"a": {"format": "phone"}, "b": {"type": "strin"}}}', '{}');
SELECT * FROM algawf.validate_json('{"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}}', '{}');
SELECT * FROM algawf.validate_json('{"pattern": "a{2,1}"}', '"aa"');
DO $$
BEGIN
    PERFORM * FROM algawf.validate_json('{"typo": 1}', '{}');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'sqlstate 22023: %', SQLERRM;
END $$;
-- STRICT: NULL in, no rows out
SELECT count(*) FROM algawf.validate_json(NULL, '{}');
SELECT count(*) FROM algawf.check_schema(NULL);

-- ---- hostile inputs -----------------------------------------------------------
-- deeply nested schema: refused with a path, not a crash
SELECT length(path) AS path_length, left(path, 20) AS path_start, message FROM algawf.check_schema(
    (SELECT (repeat('{"items": ', 300) || '{}' || repeat('}', 300))::jsonb));
-- 150 levels is fine, and validates a 150-deep value
SELECT count(*) AS problems FROM algawf.check_schema((SELECT (repeat('{"items": ', 150) || '{"type": "integer"}' || repeat('}', 150))::jsonb));
SELECT length(path) AS path_length, message FROM algawf.validate_json(
    (SELECT (repeat('{"items": ', 150) || '{"type": "integer"}' || repeat('}', 150))::jsonb),
    (SELECT (repeat('[', 150) || '"x"' || repeat(']', 150))::jsonb));
-- a recursive schema against a very deep value: stops with an error, no stack overflow
SELECT length(path) AS path_length, message FROM algawf.validate_json('{"items": {"$ref": "#"}}',
    (SELECT (repeat('[', 5000) || repeat(']', 5000))::jsonb));
-- huge enum (20000 values): lookups are hashed
SELECT * FROM pg_temp.v((SELECT jsonb_build_object('enum', jsonb_agg('v' || i)) FROM generate_series(1, 20000) i), '"v19999"');
SELECT * FROM pg_temp.v((SELECT jsonb_build_object('enum', jsonb_agg('v' || i)) FROM generate_series(1, 20000) i), '"v0"');
-- alternatives nested in alternatives: the detail stays one level deep
SELECT * FROM pg_temp.v((SELECT (repeat('{"anyOf": [{"type": "null"}, ', 40) || '{"type": "string"}' || repeat(', {"type": "boolean"}]}', 40))::jsonb), '1');
-- 2^40 paths through anyOf: the work budget stops it (and the value is not accepted)
SELECT * FROM pg_temp.v((SELECT jsonb_build_object('$defs', jsonb_object_agg('l' || i,
        CASE WHEN i = 40 THEN '{"type": "string"}'::jsonb
             ELSE jsonb_build_object('anyOf', jsonb_build_array(jsonb_build_object('$ref', '#/$defs/l' || (i + 1)),
                                                                jsonb_build_object('$ref', '#/$defs/l' || (i + 1)))) END),
        '$ref', '#/$defs/l0')
     FROM generate_series(0, 40) i), '1');
-- a pathological regex: PostgreSQL's engine does not backtrack, so this is quick
SELECT * FROM pg_temp.v('{"pattern": "^(a+)+$"}', to_jsonb(repeat('a', 5000) || 'b'));
SELECT * FROM pg_temp.v('{"pattern": "^(a|aa)*c$"}', to_jsonb(repeat('a', 10000)));
-- back-references do make it work hard; a slow validation is cancellable
SET statement_timeout = '200ms';
SELECT * FROM algawf.validate_json('{"pattern": "^(.*)\\1(.*)\\2x"}', to_jsonb(repeat('ab', 3000) || 'cx'));
RESET statement_timeout;
-- the backend is still fine
SELECT * FROM pg_temp.v('{"type": "string"}', '"still here"');

-- ---- a tickets.create-like input schema ------------------------------------
SELECT * FROM pg_temp.v('{
  "type": "object",
  "additionalProperties": false,
  "required": ["title", "board_id", "client_id"],
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": {"type": ["string", "null"]},
    "board_id": {"type": "string", "format": "uuid", "x-workflow-picker-kind": "board"},
    "client_id": {"type": "string", "format": "uuid"},
    "contact_id": {"type": ["string", "null"], "format": "uuid"},
    "priority": {"enum": ["low", "medium", "high", "urgent"], "default": "medium"},
    "due_at": {"type": "string", "format": "date-time"},
    "estimate_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 1000},
    "tags": {"type": "array", "items": {"type": "string", "pattern": "^[a-z0-9-]+$"}, "uniqueItems": true, "maxItems": 10},
    "attributes": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}
  }
}', '{"title": "", "board_id": "00000000-0000-0000-0000-00000000000b", "contact_id": null, "priority": "critical",
      "due_at": "2024-02-30T10:00:00Z", "estimate_hours": 0, "tags": ["vpn", "VPN", "vpn"], "attributes": {"ok": 1, "bad": {}},
      "extra": true}');

-- ---- the compiled-schema cache -------------------------------------------------
-- more distinct schemas than the cache holds (64), in one query
SELECT count(*) AS errors FROM generate_series(1, 200) i,
    algawf.validate_json(jsonb_build_object('maxLength', i), to_jsonb(repeat('x', 100)));
-- the same schema again and again is compiled once
SELECT count(*) AS errors FROM generate_series(1, 20000) i,
    algawf.validate_json('{"type": "object", "properties": {"n": {"type": "integer", "maximum": 10000}}}', jsonb_build_object('n', i));
