-- JSON Schema keyword matrix: every supported keyword and annotation is accepted by
-- check_schema(), every refused keyword is refused at its own path, and each
-- supported keyword both passes and fails a value.
BEGIN;
SELECT * FROM no_plan();

-- accepted keywords (with a well-formed value)
SELECT is((SELECT count(*) FROM algawf.check_schema(jsonb_build_object('$defs', '{"x": {}}'::jsonb, 'definitions', '{"y": {}}'::jsonb,
                                                                       'properties', jsonb_build_object('p', s)))),
          0::bigint, 'accepted: ' || s::text)
FROM (VALUES
    ('{"type": "string"}'::jsonb), ('{"type": ["integer", "null"]}'), ('{"properties": {"a": true}}'),
    ('{"required": ["a"]}'), ('{"additionalProperties": false}'), ('{"additionalProperties": {"type": "string"}}'),
    ('{"minProperties": 1}'), ('{"maxProperties": 2}'), ('{"items": {"type": "string"}}'), ('{"items": false}'),
    ('{"minItems": 0}'), ('{"maxItems": 3}'), ('{"uniqueItems": true}'), ('{"enum": [1, "a", null]}'),
    ('{"const": {"a": [1]}}'), ('{"minLength": 1}'), ('{"maxLength": 10}'), ('{"pattern": "^[A-Z]{2}-\\d+$"}'),
    ('{"format": "uuid"}'), ('{"format": "email"}'), ('{"format": "date"}'), ('{"format": "date-time"}'), ('{"format": "uri"}'),
    ('{"minimum": -1.5}'), ('{"maximum": 1e6}'), ('{"exclusiveMinimum": 0}'), ('{"exclusiveMaximum": 10}'),
    ('{"minimum": 0, "exclusiveMinimum": true}'), ('{"multipleOf": 0.5}'),
    ('{"allOf": [true]}'), ('{"anyOf": [{"type": "string"}, {"type": "null"}]}'), ('{"oneOf": [false, true]}'), ('{"not": false}'),
    ('{"$ref": "#/$defs/x"}'), ('{"$ref": "#/definitions/y"}'), ('{"$ref": "#"}'),
    ('{"title": "t"}'), ('{"description": "d"}'), ('{"examples": [1]}'), ('{"default": {"any": "thing"}}'),
    ('{"$schema": "https://json-schema.org/draft/2020-12/schema"}'), ('{"$id": "urn:x"}'), ('{"$comment": "c"}'),
    ('{"readOnly": true}'), ('{"writeOnly": false}'), ('{"deprecated": true}'),
    ('{"x-workflow-picker-kind": "board"}'), ('{"x-anything": {"type": 42, "nullable": true}}'),
    ('true'), ('false'), ('{}')
) AS k(s);
-- ($ref targets for the rows above)
SELECT is((SELECT count(*) FROM algawf.check_schema('{"$defs": {"x": {}}, "definitions": {"y": {}}, "properties": {"p": {"$ref": "#/$defs/x"}, "q": {"$ref": "#/definitions/y"}}}')),
          0::bigint, '$defs and definitions both resolve');

-- refused keywords: refused at their own path (or inside it)
SELECT ok((SELECT count(*) > 0 AND bool_and(starts_with(path, '/properties/p/' || k))
           FROM algawf.check_schema(jsonb_build_object('properties', jsonb_build_object('p', jsonb_build_object(k, v))))),
          'refused: ' || k || ': ' || v::text)
FROM (VALUES
    ('nullable', 'true'::jsonb), ('if', '{}'), ('then', '{}'), ('else', '{}'), ('patternProperties', '{}'),
    ('propertyNames', '{}'), ('dependentRequired', '{}'), ('dependentSchemas', '{}'), ('dependencies', '{}'),
    ('prefixItems', '[]'), ('additionalItems', 'false'), ('contains', '{}'), ('minContains', '1'), ('maxContains', '1'),
    ('unevaluatedProperties', 'false'), ('unevaluatedItems', 'false'), ('contentEncoding', '"base64"'),
    ('contentMediaType', '"text/plain"'), ('contentSchema', '{}'), ('$anchor', '"a"'), ('$dynamicRef', '"#a"'),
    ('$dynamicAnchor', '"a"'), ('$recursiveRef', '"#"'), ('$recursiveAnchor', 'true'), ('$vocabulary', '{}'),
    ('example', '1'), ('requird', '[]'), ('minlength', '1'), ('Type', '"string"'), ('format', '"ipv4"'),
    ('format', '"hostname"'), ('format', '7'), ('type', '"text"'), ('type', '[]'), ('items', '[{}]'),
    ('enum', '[]'), ('enum', '"a"'), ('required', '"a"'), ('minLength', '"1"'), ('maxItems', '-1'),
    ('multipleOf', '0'), ('minimum', '"0"'), ('exclusiveMaximum', 'true'), ('uniqueItems', '1'),
    ('allOf', '[]'), ('anyOf', '{}'), ('oneOf', '[1]'), ('not', '"x"'), ('$ref', '"#/nowhere"'), ('$ref', '"x.json"'),
    ('pattern', '"(unclosed"'), ('pattern', '1'), ('title', '1'), ('examples', '1'), ('readOnly', '"yes"'),
    ('properties', '[]'), ('additionalProperties', '1'), ('$defs', '[]')
) AS r(k, v);

-- every validation keyword: one passing and one failing value, the failure at the expected path
CREATE TEMP TABLE cases(n serial, s jsonb, good jsonb, bad jsonb, at text);
INSERT INTO cases(s, good, bad, at) VALUES
    ('{"type": "integer"}'::jsonb, '2.0'::jsonb, '2.5'::jsonb, ''),
    ('{"type": ["string", "null"]}', 'null', '0', ''),
    ('{"properties": {"a": {"type": "string"}}}', '{"a": "x"}', '{"a": 1}', '/a'),
    ('{"required": ["a"]}', '{"a": null}', '{}', '/a'),
    ('{"additionalProperties": false, "properties": {"a": {}}}', '{"a": 1}', '{"b": 1}', '/b'),
    ('{"additionalProperties": {"type": "number"}}', '{"b": 1}', '{"b": "1"}', '/b'),
    ('{"minProperties": 1}', '{"a": 1}', '{}', ''),
    ('{"maxProperties": 1}', '{"a": 1}', '{"a": 1, "b": 2}', ''),
    ('{"items": {"type": "string"}}', '["a"]', '["a", 2]', '/1'),
    ('{"minItems": 1}', '[1]', '[]', ''),
    ('{"maxItems": 1}', '[1]', '[1, 2]', ''),
    ('{"uniqueItems": true}', '[1, 2]', '[1, 2, 1]', '/2'),
    ('{"enum": ["a", "b"]}', '"b"', '"c"', ''),
    ('{"const": 3}', '3.0', '4', ''),
    ('{"minLength": 2}', '"ab"', '"a"', ''),
    ('{"maxLength": 2}', '"ab"', '"abc"', ''),
    ('{"pattern": "^a"}', '"abc"', '"bac"', ''),
    ('{"format": "uuid"}', '"00000000-0000-0000-0000-000000000000"', '"0"', ''),
    ('{"format": "email"}', '"a@b.co"', '"a@"', ''),
    ('{"format": "date"}', '"2024-02-29"', '"2024-02-30"', ''),
    ('{"format": "date-time"}', '"2024-02-29T00:00:00+01:00"', '"2024-02-29T00:00:00"', ''),
    ('{"format": "uri"}', '"https://x.example/"', '"x.example"', ''),
    ('{"minimum": 1}', '1', '0.99', ''),
    ('{"maximum": 1}', '1', '1.01', ''),
    ('{"exclusiveMinimum": 1}', '1.01', '1', ''),
    ('{"exclusiveMaximum": 1}', '0.99', '1', ''),
    ('{"multipleOf": 3}', '9', '10', ''),
    ('{"allOf": [{"minimum": 1}, {"maximum": 2}]}', '1.5', '3', ''),
    ('{"anyOf": [{"type": "string"}, {"minimum": 5}]}', '6', '4', ''),
    ('{"oneOf": [{"type": "string"}, {"maxLength": 1}]}', '"ab"', '"a"', ''),
    ('{"not": {"const": 0}}', '1', '0', ''),
    ('{"$defs": {"pos": {"exclusiveMinimum": 0}}, "items": {"$ref": "#/$defs/pos"}}', '[1, 2]', '[1, 0]', '/1'),
    ('{"properties": {"a": {"properties": {"b": {"items": {"type": "null"}}}}}}', '{"a": {"b": [null]}}', '{"a": {"b": [null, 1]}}', '/a/b/1');
SELECT is((SELECT count(*) FROM algawf.validate_json(s, good)), 0::bigint, 'passes: ' || s::text || ' / ' || good::text)
FROM cases ORDER BY n;
SELECT is((SELECT string_agg(path, ',') FROM algawf.validate_json(s, bad)), at, 'fails: ' || s::text || ' / ' || bad::text)
FROM cases ORDER BY n;

SELECT * FROM finish();
ROLLBACK;
