-- JSON Schema validation (the subset action schemas use; see doc/jsonschema.md).

CREATE FUNCTION algawf.validate_json(schema jsonb, value jsonb)
    RETURNS TABLE(path text, message text)
    AS 'MODULE_PATHNAME', 'algawf_validate_json'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION algawf.validate_json(jsonb, jsonb) IS
    'Validates value against a JSON Schema (algawf''s subset): one row per problem, with the JSON pointer of the offending part of value; no rows = valid. An invalid schema raises 22023 naming the schema path.';

CREATE FUNCTION algawf.check_schema(schema jsonb)
    RETURNS TABLE(path text, message text)
    AS 'MODULE_PATHNAME', 'algawf_check_schema'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 1;
COMMENT ON FUNCTION algawf.check_schema(jsonb) IS
    'Checks a JSON Schema without raising: one row per problem (unknown or unsupported keyword, wrong keyword type, unresolvable or looping $ref, bad pattern), with its JSON pointer inside the schema; no rows = the schema is usable.';
