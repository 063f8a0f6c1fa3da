-- The built-in transform.* actions through the dispatcher: every action's
-- success path (Alga PSA's semantics) and failure path (error code).
BEGIN;
SELECT * FROM no_plan();

SELECT ok(psa.load_sample_data() IS NOT NULL, 'sample data loaded');
SELECT is(set_config('algawf.tenant', '00000000-0000-0000-0000-00000000000a', true),
          '00000000-0000-0000-0000-00000000000a', 'acting for tenant A');

CREATE FUNCTION pg_temp.run(action text, input jsonb) RETURNS jsonb
    LANGUAGE sql AS $$ SELECT algawf.call_action('transform.' || action, input) $$;
CREATE FUNCTION pg_temp.code(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action('transform.' || action, input) -> 'error' ->> 'code' $$;
CREATE FUNCTION pg_temp.msg(action text, input jsonb) RETURNS text
    LANGUAGE sql AS $$ SELECT algawf.try_action('transform.' || action, input) -> 'error' ->> 'message' $$;

-- every Alga transform is registered, builtin, without side effects or permissions
SELECT set_eq(
    $$SELECT action_id FROM algawf.catalog WHERE family = 'transform'$$,
    ARRAY['transform.parse_json', 'transform.query_json', 'transform.stringify_json', 'transform.compose_text',
          'transform.regex_match', 'transform.regex_extract', 'transform.regex_replace',
          'transform.truncate_text', 'transform.concat_text', 'transform.replace_text', 'transform.split_text',
          'transform.join_text', 'transform.lowercase_text', 'transform.uppercase_text', 'transform.trim_text',
          'transform.coalesce_value', 'transform.build_object', 'transform.pick_fields', 'transform.rename_fields',
          'transform.append_array', 'transform.build_array'],
    'the 21 transform actions are registered');
SELECT is_empty($$SELECT action_id FROM algawf.catalog WHERE family = 'transform'
                   AND (implementation <> 'builtin' OR side_effectful OR permissions <> '{}'
                        OR idempotency ->> 'mode' <> 'engineProvided' OR NOT available)$$,
                'transforms are builtin, pure, need no permission, engine-keyed and available');
SELECT is_empty($$SELECT action_id FROM algawf.catalog WHERE family = 'transform' AND jsonb_array_length(examples) = 0$$,
                'every transform has an example');

-- every example in the catalog reproduces its output
CREATE FUNCTION pg_temp.examples() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.action_id, e.value AS ex
               FROM algawf.catalog c, jsonb_array_elements(c.examples) e
              WHERE c.family = 'transform' AND e.value ? 'output' AND c.action_id <> 'transform.query_json'
              ORDER BY 1
    LOOP
        RETURN NEXT is(algawf.call_action(r.action_id, r.ex -> 'input'), r.ex -> 'output',
                       r.action_id || ': the catalog example holds');
    END LOOP;
END
$fn$;
SELECT * FROM pg_temp.examples();

-- parse_json
SELECT is(pg_temp.run('parse_json', '{"source": " [1, {\"a\": null}] "}'),
          '{"value": [1, {"a": null}], "type": "array"}', 'parse_json: text with surrounding spaces');
SELECT is(pg_temp.run('parse_json', '{"source": "\"just text\""}'),
          '{"value": "just text", "type": "string"}', 'parse_json: a JSON string');
SELECT is(pg_temp.run('parse_json', '{"source": {"already": "parsed"}}'),
          '{"value": {"already": "parsed"}, "type": "object"}', 'parse_json: an object passes through');
SELECT is(pg_temp.code('parse_json', '{"source": "{bad"}'), 'VALIDATION_ERROR', 'parse_json: invalid JSON fails');
SELECT matches(pg_temp.msg('parse_json', '{"source": "{bad"}'), '^JSON parse failed: .* at position 1$',
               'parse_json: the message gives the position');
SELECT is(pg_temp.code('parse_json', '{"source": "1e400"}'), 'VALIDATION_ERROR', 'parse_json: a non-finite number fails');
SELECT is(pg_temp.code('parse_json', '{"source": 5}'), 'VALIDATION_ERROR', 'parse_json: a number source is refused by the schema');
SELECT is(pg_temp.code('parse_json', '{}'), 'VALIDATION_ERROR', 'parse_json: source is required');

-- query_json (needs the expression language)
CREATE FUNCTION pg_temp.query_json_tests() RETURNS SETOF text LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = 'eval' AND pronamespace = 'algawf'::regnamespace) THEN
        RETURN NEXT skip('the expression language is not part of this build', 5);
        RETURN;
    END IF;
    RETURN NEXT is(pg_temp.run('query_json', '{"source": {"items": [{"qty": 2}, {"qty": 3}]}, "expression": "$sum(source.items.qty)"}'),
                   '{"value": 5}', 'query_json: evaluates over source');
    RETURN NEXT is(pg_temp.run('query_json', '{"source": {"a": 1}, "expression": "source.missing"}'),
                   '{"value": null}', 'query_json: undefined becomes null');
    RETURN NEXT is(algawf.try_action('transform.query_json', '{"source": {}, "expression": "source.("}') -> 'error' ->> 'category',
                   'ExpressionError', 'query_json: a syntax error is an ExpressionError');
    RETURN NEXT is(algawf.try_action('transform.query_json', '{"source": {"a": "x"}, "expression": "$number(source.a)"}') -> 'error' ->> 'category',
                   'ExpressionError', 'query_json: an evaluation error is an ExpressionError');
    RETURN NEXT is(pg_temp.code('query_json', '{"source": {}, "expression": ""}'), 'VALIDATION_ERROR', 'query_json: empty expression refused');
END
$fn$;
SELECT * FROM pg_temp.query_json_tests();

-- stringify_json
SELECT is(pg_temp.run('stringify_json', '{"source": {"a": [1, 2.5, "x"]}}'),
          '{"text": "{\"a\":[1,2.5,\"x\"]}"}', 'stringify_json: compact');
SELECT is(pg_temp.run('stringify_json', '{"source": [1], "spacing": 2}'),
          '{"text": "[\n  1\n]"}', 'stringify_json: spacing');
SELECT is(pg_temp.run('stringify_json', '{"source": "plain"}'), '{"text": "\"plain\""}', 'stringify_json: a string');
SELECT is(pg_temp.code('stringify_json', '{"source": 1, "spacing": 9}'), 'VALIDATION_ERROR', 'stringify_json: spacing above 8 refused');

-- compose_text
SELECT is(pg_temp.run('compose_text', $j${"outputs": [{"id": "1", "label": "Body", "stableKey": "body", "document": {"version": 1, "blocks": [
        {"type": "bullet_list_item", "children": [{"type": "text", "text": "one"}]},
        {"type": "bullet_list_item", "children": [{"type": "reference", "path": "vars.items[1]", "label": "Second"}]},
        {"type": "ordered_list_item", "children": [{"type": "text", "text": "docs", "marks": ["link", "italic"], "href": "https://example.com"}]},
        {"type": "blockquote", "children": [{"type": "text", "text": "a\nb"}]},
        {"type": "code_block", "text": "x = 1"},
        {"type": "paragraph", "children": [{"type": "text", "text": "n=", "marks": ["code"]}, {"type": "reference", "path": "vars.n", "label": "N"}, {"type": "reference", "path": "vars.obj", "label": "O"}]}]}}],
      "context": {"vars": {"items": ["a", "b"], "n": 3, "obj": {"k": true}}}}$j$),
          jsonb_build_object('body', E'- one\n- b\n\n1. [_docs_](https://example.com)\n\n> a  \n> b\n\n```\nx = 1\n```\n\n`n=`3{"k":true}'),
          'compose_text: lists, links, quotes, code, references');
SELECT is(pg_temp.run('compose_text', $j${"outputs": [
        {"id": "1", "label": "A", "stableKey": "a", "document": {"version": 1, "blocks": [{"type": "paragraph", "children": [{"type": "text", "text": "x"}]}]}},
        {"id": "2", "label": "B", "stableKey": "b", "document": {"version": 1, "blocks": []}}]}$j$),
          '{"a": "x", "b": ""}', 'compose_text: several outputs keyed by stableKey');
SELECT is(pg_temp.code('compose_text', $j${"outputs": [{"id": "1", "label": "A", "stableKey": "a", "document": {"version": 1, "blocks": [
        {"type": "paragraph", "children": [{"type": "reference", "path": "payload.nope", "label": "Nope"}]}]}}]}$j$),
          'VALIDATION_ERROR', 'compose_text: a missing reference fails');
SELECT is(pg_temp.msg('compose_text', $j${"outputs": [{"id": "1", "label": "A", "stableKey": "a", "document": {"version": 1, "blocks": [
        {"type": "paragraph", "children": [{"type": "reference", "path": "payload.nope", "label": "Nope"}]}]}}]}$j$),
          'Compose Text output "a" is missing reference "payload.nope".', 'compose_text: Alga''s message');
SELECT is(pg_temp.code('compose_text', '{}'), 'VALIDATION_ERROR', 'compose_text: no outputs fails');
SELECT is(pg_temp.code('compose_text', $j${"outputs": [
        {"id": "1", "label": "A", "stableKey": "Bad Key", "document": {"version": 1, "blocks": []}}]}$j$),
          'VALIDATION_ERROR', 'compose_text: stable keys are snake_case');
SELECT is(pg_temp.code('compose_text', $j${"outputs": [
        {"id": "1", "label": "A", "stableKey": "a", "document": {"version": 1, "blocks": []}},
        {"id": "2", "label": " a ", "stableKey": "b", "document": {"version": 1, "blocks": []}}]}$j$),
          'VALIDATION_ERROR', 'compose_text: labels are unique');

-- regex_match
SELECT is(pg_temp.run('regex_match', '{"text": "Order ABC-123 shipped", "pattern": "(?<prefix>[a-z]+)-(\\d+)", "flags": "i"}'),
          '{"matched": true, "match": "ABC-123", "index": 6, "groups": ["ABC", "123"], "namedGroups": {"prefix": "ABC"}}',
          'regex_match: flags, numbered and named groups');
SELECT is(pg_temp.run('regex_match', '{"text": "none here", "pattern": "\\d"}'),
          '{"matched": false, "match": null, "index": null, "groups": [], "namedGroups": {}}', 'regex_match: no match');
SELECT is(pg_temp.run('regex_match', '{"text": 12345, "pattern": "^\\d{5}$"}') -> 'matched', 'true', 'regex_match: numbers are text');
SELECT is(pg_temp.run('regex_match', '{"text": "a\nb", "pattern": "a.b"}') -> 'matched', 'false', 'regex_match: . stops at a newline');
SELECT is(pg_temp.run('regex_match', '{"text": "a\nb", "pattern": "a.b", "flags": "s"}') -> 'matched', 'true', 'regex_match: s lets . match a newline');
SELECT is(pg_temp.run('regex_match', '{"text": "x\nfoo", "pattern": "^foo$", "flags": "m"}') -> 'index', '2', 'regex_match: m anchors at lines');
SELECT is(pg_temp.run('regex_match', '{"text": "cat concat", "pattern": "\\bcat\\b", "flags": "g"}') -> 'index', '0', 'regex_match: \b is a word boundary');
SELECT is(pg_temp.run('regex_match', '{"text": "abab", "pattern": "(?<x>ab)\\k<x>"}') -> 'match', '"abab"', 'regex_match: \k<name> back-reference');
SELECT is(pg_temp.run('regex_match', '{"text": "a(b)", "pattern": "(a)|(z)"}') -> 'groups', '["a", null]', 'regex_match: unmatched groups are null');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": "("}'), 'VALIDATION_ERROR', 'regex_match: invalid pattern');
SELECT matches(pg_temp.msg('regex_match', '{"text": "x", "pattern": "("}'), 'invalid regex pattern "\(":', 'regex_match: the message names the pattern');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": "x", "flags": "q"}'), 'VALIDATION_ERROR', 'regex_match: unknown flag');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": "x", "flags": "ii"}'), 'VALIDATION_ERROR', 'regex_match: duplicate flag');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": "x", "flags": "y"}'), 'VALIDATION_ERROR', 'regex_match: sticky is refused');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": "y", "requireMatch": true}'), 'NOT_FOUND', 'regex_match: requireMatch');
SELECT is(pg_temp.code('regex_match', '{"text": "x", "pattern": ""}'), 'VALIDATION_ERROR', 'regex_match: empty pattern refused');

-- regex_extract
SELECT is(pg_temp.run('regex_extract', '{"text": "t1 t22 t333", "pattern": "t(\\d+)", "maxMatches": 2}'),
          '{"matched": true, "count": 2, "first": {"text": "t1", "index": 0, "groups": ["1"], "namedGroups": {}},
            "matches": [{"text": "t1", "index": 0, "groups": ["1"], "namedGroups": {}},
                        {"text": "t22", "index": 3, "groups": ["22"], "namedGroups": {}}]}',
          'regex_extract: maxMatches');
SELECT is(pg_temp.run('regex_extract', '{"text": "ab", "pattern": "x*"}') -> 'count', '3', 'regex_extract: empty matches advance');
SELECT is(pg_temp.run('regex_extract', '{"text": "none", "pattern": "\\d"}'),
          '{"matched": false, "count": 0, "first": null, "matches": []}', 'regex_extract: no match');
SELECT is(pg_temp.code('regex_extract', '{"text": "x", "pattern": "x", "maxMatches": 1001}'), 'VALIDATION_ERROR', 'regex_extract: maxMatches limit');
SELECT is(pg_temp.code('regex_extract', '{"text": "x", "pattern": "y", "requireMatch": true}'), 'NOT_FOUND', 'regex_extract: requireMatch');

-- regex_replace
SELECT is(pg_temp.run('regex_replace', '{"text": "a1b22", "pattern": "\\d+", "replacement": "#"}'),
          '{"text": "a#b#", "replacementCount": 2}', 'regex_replace: all');
SELECT is(pg_temp.run('regex_replace', '{"text": "a1b22", "pattern": "\\d+", "replacement": "#", "replaceAll": false}'),
          '{"text": "a#b22", "replacementCount": 1}', 'regex_replace: first only');
SELECT is(pg_temp.run('regex_replace', '{"text": "John Smith", "pattern": "(?<first>\\w+) (?<last>\\w+)", "replacement": "$<last>, $<first> ($&) $$ $9"}') ->> 'text',
          'Smith, John (John Smith) $ $9', 'regex_replace: $<name>, $&, $$ and an unknown group');
SELECT is(pg_temp.run('regex_replace', '{"text": "abc", "pattern": "x", "replacement": "y"}'),
          '{"text": "abc", "replacementCount": 0}', 'regex_replace: no match');
SELECT is(pg_temp.code('regex_replace', '{"text": "abc", "pattern": "b"}'), 'VALIDATION_ERROR', 'regex_replace: replacement is required');
SELECT is(pg_temp.code('regex_replace', jsonb_build_object('text', repeat('a', 2000), 'pattern', 'a', 'replacement', '')),
          'VALIDATION_ERROR', 'regex_replace: more than 1000 matches is refused');
SELECT is(pg_temp.code('regex_replace', jsonb_build_object('text', repeat('a', 100001), 'pattern', 'a', 'replacement', '')),
          'VALIDATION_ERROR', 'regex_replace: text longer than 100000 characters is refused');

-- truncate_text
SELECT is(pg_temp.run('truncate_text', '{"text": "abcdefghij", "maxLength": 6}'), '{"text": "abc..."}', 'truncate_text: end');
SELECT is(pg_temp.run('truncate_text', '{"text": "abcdefghij", "maxLength": 6, "strategy": "start"}'), '{"text": "...hij"}', 'truncate_text: start');
SELECT is(pg_temp.run('truncate_text', '{"text": "abcdefghij", "maxLength": 6, "strategy": "middle", "ellipsis": "~"}'), '{"text": "abc~ij"}', 'truncate_text: middle');
SELECT is(pg_temp.run('truncate_text', '{"text": "abcdefghij", "maxLength": 4, "ellipsis": ""}'), '{"text": "abcd"}', 'truncate_text: no ellipsis');
SELECT is(pg_temp.run('truncate_text', '{"text": "abcdefghij", "maxLength": 2}'), '{"text": ".."}', 'truncate_text: ellipsis longer than the limit');
SELECT is(pg_temp.run('truncate_text', '{"text": "short", "maxLength": 10}'), '{"text": "short"}', 'truncate_text: short text unchanged');
SELECT is(pg_temp.run('truncate_text', '{"text": "żółćżółć", "maxLength": 5}'), '{"text": "żó..."}', 'truncate_text: counts characters');
SELECT is(pg_temp.code('truncate_text', '{"text": "x"}'), 'VALIDATION_ERROR', 'truncate_text: maxLength is required');
SELECT is(pg_temp.code('truncate_text', '{"text": "x", "maxLength": 1, "strategy": "both"}'), 'VALIDATION_ERROR', 'truncate_text: unknown strategy');

-- concat_text / join_text
SELECT is(pg_temp.run('concat_text', '{"values": ["a", 1, 2.5, false, null, [1, [2, null]], {"k": 1}]}'),
          '{"text": "a12.5false1,2,[object Object]"}', 'concat_text: JavaScript String() of each value');
SELECT is(pg_temp.run('concat_text', '{}'), '{"text": ""}', 'concat_text: defaults');
SELECT is(pg_temp.code('concat_text', '{"values": "abc"}'), 'VALIDATION_ERROR', 'concat_text: values must be an array');
SELECT is(pg_temp.run('join_text', '{"items": ["a", "b"], "delimiter": ", "}'), '{"text": "a, b"}', 'join_text');
SELECT is(pg_temp.code('join_text', '{"items": ["a"], "delimiter": 1}'), 'VALIDATION_ERROR', 'join_text: delimiter must be a string');

-- replace_text
SELECT is(pg_temp.run('replace_text', '{"text": "a.b.c", "search": ".", "replacement": "$&"}'), '{"text": "a$&b$&c"}', 'replace_text: all, literal');
SELECT is(pg_temp.run('replace_text', '{"text": "a.b.c", "search": ".", "replacement": "[$&]", "replaceAll": false}'), '{"text": "a[.]b.c"}', 'replace_text: first, with $&');
SELECT is(pg_temp.run('replace_text', '{"text": "abc", "search": ""}'), '{"text": "abc"}', 'replace_text: empty search');
SELECT is(pg_temp.code('replace_text', '{"text": "abc"}'), 'VALIDATION_ERROR', 'replace_text: search is required');

-- split_text
SELECT is(pg_temp.run('split_text', '{"text": "a,,b", "delimiter": ","}'), '{"items": ["a", "", "b"]}', 'split_text');
SELECT is(pg_temp.run('split_text', '{"text": "", "delimiter": ","}'), '{"items": [""]}', 'split_text: empty text');
SELECT is(pg_temp.run('split_text', '{"text": "añb", "delimiter": ""}'), '{"items": ["a", "ñ", "b"]}', 'split_text: into characters');
SELECT is(pg_temp.run('split_text', '{"text": 1.5, "delimiter": "."}'), '{"items": ["1", "5"]}', 'split_text: a number is text');
SELECT is(pg_temp.code('split_text', '{"text": "a"}'), 'VALIDATION_ERROR', 'split_text: delimiter is required');

-- lowercase / uppercase / trim
SELECT is(pg_temp.run('lowercase_text', '{"text": "MiXeD Ünï"}'), '{"text": "mixed ünï"}', 'lowercase_text');
SELECT is(pg_temp.run('uppercase_text', '{"text": "MiXeD ünï"}'), '{"text": "MIXED ÜNÏ"}', 'uppercase_text');
SELECT is(pg_temp.run('uppercase_text', '{}'), '{"text": ""}', 'uppercase_text: missing text is ""');
SELECT is(pg_temp.run('trim_text', jsonb_build_object('text', E'\u00a0 \t x y \n\u3000')), '{"text": "x y"}', 'trim_text: JavaScript white space');
SELECT is(pg_temp.code('lowercase_text', '[]'), 'VALIDATION_ERROR', 'lowercase_text: input must be an object');
SELECT is(pg_temp.code('trim_text', '"x"'), 'VALIDATION_ERROR', 'trim_text: input must be an object');
SELECT is(pg_temp.code('uppercase_text', '7'), 'VALIDATION_ERROR', 'uppercase_text: input must be an object');

-- coalesce_value
SELECT is(pg_temp.run('coalesce_value', '{"candidates": [null, "", 0]}'), '{"value": 0, "matchedIndex": 2}', 'coalesce_value: 0 is a value');
SELECT is(pg_temp.run('coalesce_value', '{"candidates": ["", "x"], "treatEmptyStringAsMissing": false}'),
          '{"value": "", "matchedIndex": 0}', 'coalesce_value: empty strings kept on request');
SELECT is(pg_temp.run('coalesce_value', '{}'), '{"matchedIndex": null}', 'coalesce_value: nothing usable');
SELECT is(pg_temp.code('coalesce_value', '{"candidates": {}}'), 'VALIDATION_ERROR', 'coalesce_value: candidates must be an array');

-- build_object / pick_fields / rename_fields
SELECT is(pg_temp.run('build_object', '{"fields": [{"key": "a", "value": 1}, {"key": "b"}, {"key": "a", "value": {"x": 2}}]}'),
          '{"object": {"a": {"x": 2}}}', 'build_object: later keys win, undefined values drop');
SELECT is(pg_temp.code('build_object', '{"fields": [{"key": ""}]}'), 'VALIDATION_ERROR', 'build_object: empty key refused');
SELECT is(pg_temp.run('pick_fields', '{"source": null, "fields": ["a"]}'), '{"object": {}}', 'pick_fields: null source');
SELECT is(pg_temp.run('pick_fields', '{"source": {"a": null, "b": 1}, "fields": ["a"]}'), '{"object": {"a": null}}', 'pick_fields: null values are kept');
SELECT is(pg_temp.code('pick_fields', '{"source": {}, "fields": [""]}'), 'VALIDATION_ERROR', 'pick_fields: empty field name refused');
SELECT is(pg_temp.run('rename_fields', '{"source": {"a": 1, "b": 2}, "renames": [{"from": "a", "to": "b"}, {"from": "zz", "to": "y"}]}'),
          '{"object": {"b": 1}}', 'rename_fields: onto an existing key; missing sources ignored');
SELECT is(pg_temp.run('rename_fields', '{"source": {"a": 1}, "renames": [{"from": "a", "to": "a"}]}'),
          '{"object": {"a": 1}}', 'rename_fields: to itself');
SELECT is(pg_temp.code('rename_fields', '{"source": {}, "renames": [{"from": "a"}]}'), 'VALIDATION_ERROR', 'rename_fields: "to" is required');

-- append_array / build_array
SELECT is(pg_temp.run('append_array', '{"items": [[1]], "values": [[2], null]}'), '{"items": [[1], [2], null]}', 'append_array');
SELECT is(pg_temp.run('append_array', '{}'), '{"items": []}', 'append_array: defaults');
SELECT is(pg_temp.code('append_array', '{"items": 1}'), 'VALIDATION_ERROR', 'append_array: items must be an array');
SELECT is(pg_temp.run('build_array', '{"items": [1, "two", null]}'), '{"items": [1, "two", null]}', 'build_array');
SELECT is(pg_temp.code('build_array', '{"items": "x"}'), 'VALIDATION_ERROR', 'build_array: items must be an array');

SELECT * FROM finish();
ROLLBACK;
