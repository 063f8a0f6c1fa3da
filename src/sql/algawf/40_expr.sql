-- The expression language (a JSONata subset, see doc/expr.md) exposed to SQL
-- for testing, editors and DBAs.  The workflow engine calls the same C code.

CREATE FUNCTION algawf.eval(expr text, input jsonb DEFAULT NULL,
                            bindings jsonb DEFAULT '{}', functions text DEFAULT 'extended')
    RETURNS jsonb
    AS 'MODULE_PATHNAME', 'algawf_eval'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.eval(text, jsonb, jsonb, text) IS
    'Evaluates a JSONata-subset expression with input as the context ($) and bindings as $name variables; returns NULL when the result is undefined. functions is ''alga'' (nowIso, coalesce, len, toString, append) or ''extended'' (alga plus the supported JSONata functions); NULL means the algawf.function_set setting. Errors carry the JSONata code and a caret excerpt; limits come from the algawf.expr_* settings.';

CREATE FUNCTION algawf.check_expr(expr text, functions text DEFAULT NULL)
    RETURNS TABLE (pos int, code text, message text)
    AS 'MODULE_PATHNAME', 'algawf_check_expr'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.check_expr(text, text) IS
    'Compiles an expression without evaluating it, for editors: no rows when it is valid, else one row with the 1-based character position, the error code (JSONata S0xxx for syntax, U1001 for a feature outside the subset, U1002 for a function outside the function set) and the message. functions defaults to the algawf.function_set setting.';

CREATE FUNCTION algawf.render_template(template text, input jsonb DEFAULT NULL,
                                       bindings jsonb DEFAULT '{}', functions text DEFAULT 'extended')
    RETURNS text
    AS 'MODULE_PATHNAME', 'algawf_render_template'
    LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION algawf.render_template(text, jsonb, jsonb, text) IS
    'Renders a text with {{ expression }} holes (e.g. ''Ticket {{ payload.ticket.number }}''): each hole is evaluated like algawf.eval; undefined renders as an empty string, strings as themselves, other values as $string() would.';
