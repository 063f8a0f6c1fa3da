-- event.wait filters: every operator of Alga's eventWaitFilters, with its edge cases.
BEGIN;
SELECT * FROM no_plan();

CREATE TEMP TABLE cases (filter jsonb, payload jsonb, expected boolean, label text);
INSERT INTO cases VALUES
 ('[]', '{}', true, 'no filters: match'),
 ('[{"path": "a", "op": "=", "value": 1}]', '{"a": 1}', true, '= number'),
 ('[{"path": "a", "op": "=", "value": 1}]', '{"a": "1"}', false, '= is strict about types'),
 ('[{"path": "a.b", "op": "=", "value": "x"}]', '{"a": {"b": "x"}}', true, '= nested path'),
 ('[{"path": " a . b ", "op": "=", "value": "x"}]', '{"a": {"b": "x"}}', true, 'path segments are trimmed'),
 ('[{"path": "a", "op": "=", "value": null}]', '{"a": null}', true, '= null'),
 ('[{"path": "a", "op": "=", "value": {"x": 1}}]', '{"a": {"x": 1}}', false, 'objects never match'),
 ('[{"path": "a", "op": "!=", "value": 1}]', '{"a": 2}', true, '!='),
 ('[{"path": "a", "op": "!=", "value": 1}]', '{}', false, '!= on a missing path is false'),
 ('[{"path": "a", "op": "in", "value": [1, 2]}]', '{"a": 2}', true, 'in'),
 ('[{"path": "a", "op": "in", "value": [1, 2]}]', '{"a": 3}', false, 'in: absent value'),
 ('[{"path": "a", "op": "in", "value": 2}]', '{"a": 2}', false, 'in needs an array'),
 ('[{"path": "a", "op": "not_in", "value": [1, 2]}]', '{"a": 3}', true, 'not_in'),
 ('[{"path": "a", "op": "exists"}]', '{"a": false}', true, 'exists: scalar'),
 ('[{"path": "a", "op": "exists"}]', '{"a": [1]}', false, 'exists: not for arrays'),
 ('[{"path": "a", "op": "exists"}]', '{}', false, 'exists: missing'),
 ('[{"path": "a", "op": "not_exists"}]', '{}', true, 'not_exists: missing'),
 ('[{"path": "a", "op": "not_exists"}]', '{"a": {}}', true, 'not_exists: not a scalar'),
 ('[{"path": "a", "op": "contains", "value": "ell"}]', '{"a": "hello"}', true, 'contains'),
 ('[{"path": "a", "op": "contains", "value": 1}]', '{"a": "1"}', false, 'contains needs strings'),
 ('[{"path": "a", "op": "starts_with", "value": "he"}]', '{"a": "hello"}', true, 'starts_with'),
 ('[{"path": "a", "op": "starts_with", "value": "hello!"}]', '{"a": "hello"}', false, 'starts_with longer'),
 ('[{"path": "a", "op": "ends_with", "value": "llo"}]', '{"a": "hello"}', true, 'ends_with'),
 ('[{"path": "a", "op": ">", "value": 1}]', '{"a": 2}', true, '> numbers'),
 ('[{"path": "a", "op": ">", "value": "b"}]', '{"a": "c"}', true, '> strings'),
 ('[{"path": "a", "op": ">", "value": 1}]', '{"a": "2"}', false, '> mixed types'),
 ('[{"path": "a", "op": ">=", "value": 2}]', '{"a": 2}', true, '>='),
 ('[{"path": "a", "op": "<", "value": 2}]', '{"a": 1.5}', true, '<'),
 ('[{"path": "a", "op": "<=", "value": 2}]', '{"a": 3}', false, '<='),
 ('[{"path": "a", "op": "=", "value": 1}, {"path": "b", "op": "=", "value": 2}]', '{"a": 1, "b": 2}', true, 'all clauses: match'),
 ('[{"path": "a", "op": "=", "value": 1}, {"path": "b", "op": "=", "value": 2}]', '{"a": 1, "b": 3}', false, 'all clauses: one fails'),
 ('[{"path": "a.0", "op": "=", "value": 1}]', '{"a": [1]}', false, 'paths do not index arrays'),
 ('[{"path": "a", "op": "~", "value": 1}]', '{"a": 1}', false, 'an unknown operator never matches');

SELECT is(algawf._event_filters_match(filter, payload), expected, label) FROM cases;
SELECT ok(algawf._event_filters_match(NULL, '{}'), 'NULL filters match');

SELECT * FROM finish();
ROLLBACK;
