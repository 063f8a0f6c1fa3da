-- The expression language: algawf.eval, algawf.check_expr, algawf.render_template.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS algawf CASCADE;
RESET client_min_messages;

-- paths, literals, undefined (SQL NULL) versus null
SELECT algawf.eval('payload.ticket.id', '{"payload": {"ticket": {"id": 42}}}');
SELECT algawf.eval('payload.ticket.missing', '{"payload": {"ticket": {"id": 42}}}') IS NULL AS undefined;
SELECT algawf.eval('payload.ticket.assignee', '{"payload": {"ticket": {"assignee": null}}}');
SELECT algawf.eval('"hello"'), algawf.eval('42'), algawf.eval('true'), algawf.eval('null');
SELECT algawf.eval('items[status = ''open''].id',
                   '{"items": [{"id": 1, "status": "open"}, {"id": 2, "status": "closed"}, {"id": 3, "status": "open"}]}');
SELECT algawf.eval('items[0]', '{"items": ["a", "b"]}'), algawf.eval('items[-1]', '{"items": ["a", "b"]}');
-- sequences flatten; singleton sequences collapse; [] keeps the array
SELECT algawf.eval('a.b', '{"a": [{"b": [1, 2]}, {"b": [3]}]}');
SELECT algawf.eval('a.b', '{"a": [{"b": 1}]}'), algawf.eval('a.b[]', '{"a": [{"b": 1}]}');
SELECT algawf.eval('$', '[1, 2, 3]'), algawf.eval('$[1]', '[1, 2, 3]');
-- operators
SELECT algawf.eval('1 + 2 * 3'), algawf.eval('7 % 3'), algawf.eval('-x', '{"x": 5}');
SELECT algawf.eval('"a" & 1 & true & null'), algawf.eval('x & "!"', '{}');
SELECT algawf.eval('3 in [1, 2, 3]'), algawf.eval('x > 2 and x < 5', '{"x": 3}');
SELECT algawf.eval('x ? "yes" : "no"', '{"x": 0}'), algawf.eval('x ?? "default"', '{}'),
       algawf.eval('x ?: "default"', '{"x": ""}');
SELECT algawf.eval('[1..5]'), algawf.eval('{"a": 1, "b": [true, null]}');
SELECT algawf.eval('($a := 2; $b := $a * 3; $a + $b)');
SELECT algawf.eval('people^(>age).name',
                   '{"people": [{"name": "A", "age": 30}, {"name": "B", "age": 40}]}');
SELECT algawf.eval('orders{customer: $sum(amount)}',
                   '{"orders": [{"customer": "x", "amount": 1}, {"customer": "y", "amount": 2}, {"customer": "x", "amount": 3}]}');
-- numbers print the way JavaScript prints them
SELECT algawf.eval('0.1 + 0.2'), algawf.eval('$string(0.1 + 0.2)'), algawf.eval('1e21'),
       algawf.eval('$string(1e-7)'), algawf.eval('22 / 7');
-- bindings are $name variables
SELECT algawf.eval('$limit - count', '{"count": 3}', '{"limit": 10}');
SELECT algawf.eval('$missing', NULL, '{}') IS NULL AS undefined;
-- functions (extended set)
SELECT algawf.eval('$uppercase(name) & " " & $length(name)', '{"name": "héllo"}');
SELECT algawf.eval('$join($split("a,b,c", ","), "-")'), algawf.eval('$substring("hello world", -5)');
SELECT algawf.eval('$count(items)', '{"items": [1, 2, 3]}'), algawf.eval('$sum(items)', '{"items": [1, 2, 3]}');
SELECT algawf.eval('$keys({"b": 1, "a": 2})'), algawf.eval('$merge([{"a": 1}, {"b": 2}])');
SELECT algawf.eval('$number("0x1F")'), algawf.eval('$round(2.5)'), algawf.eval('$round(3.14159, 2)');
SELECT algawf.eval('$exists(x)', '{}'), algawf.eval('$boolean([0, ""])'), algawf.eval('$type(null)');
SELECT algawf.eval('$fromMillis(1509380732935)'), algawf.eval('$toMillis("2017-10-30T16:25:32.935Z")');
SELECT algawf.eval('$fromMillis(1521801216617, "[FNn], [D1o] [MNn] [Y]")'),
       algawf.eval('$fromMillis(1521801216617, "[h]:[m01] [P] [z]", "-0500")'),
       algawf.eval('$toMillis("27th April 2008", "[D1o] [MNn] [Y0001]")');
SELECT algawf.eval('"a b c" ~> $split(" ") ~> $count()');
SELECT algawf.eval('$encodeUrlComponent("a b&c")'), algawf.eval('$replace("a-b-c", "-", "+")');

-- the 'alga' function set: exactly Alga PSA's allowlist, with Alga's semantics
SELECT algawf.eval('toString(null)', NULL, '{}', 'alga'),
       algawf.eval('toString(items)', '{"items": [1, "a", null]}', '{}', 'alga'),
       algawf.eval('toString(o)', '{"o": {"k": 1}}', '{}', 'alga');
SELECT algawf.eval('len(o)', '{"o": {"k": 1}}', '{}', 'alga'),
       algawf.eval('len(5)', NULL, '{}', 'alga'),
       algawf.eval('len("añb")', NULL, '{}', 'alga'),
       algawf.eval('$len(items)', '{"items": [1, 2]}', '{}', 'alga');
SELECT algawf.eval('coalesce(a, b, "x")', '{"b": null}', '{}', 'alga'),
       algawf.eval('coalesce(a)', '{}', '{}', 'alga');
SELECT algawf.eval('append(list, 3)', '{"list": [1, 2]}', '{}', 'alga'),
       algawf.eval('append(nothing, "x")', '{}', '{}', 'alga');
SELECT algawf.eval('status == "open" and count != 0', '{"status": "open", "count": 2}', '{}', 'alga');
SELECT algawf.eval('len(nowIso())', NULL, '{}', 'alga');
-- in 'extended', $append is JSONata's and append (without $) is Alga's
SELECT algawf.eval('$append(nothing, [1])'), algawf.eval('append(nothing, [1])');
-- the function set defaults to the algawf.function_set setting when NULL
SET algawf.function_set = 'alga';
SELECT * FROM algawf.check_expr('$uppercase(x)');
RESET algawf.function_set;
SELECT * FROM algawf.check_expr('$uppercase(x)');

-- check_expr: no rows when valid, else position, code and message
SELECT * FROM algawf.check_expr('payload.ticket.id + 1');
SELECT * FROM algawf.check_expr('payload.ticket[');
SELECT * FROM algawf.check_expr('"unterminated');
SELECT * FROM algawf.check_expr('items[$x > 1] & ''ok''');
SELECT * FROM algawf.check_expr('$map(items, function($i) { $i * 2 })');
SELECT * FROM algawf.check_expr('/ab+c/');
SELECT * FROM algawf.check_expr('a.%.b');
SELECT * FROM algawf.check_expr('Account.Order#$i');
SELECT * FROM algawf.check_expr('$eval("1 + 1")');
SELECT * FROM algawf.check_expr('$formatNumber(1234.5, "#,##0.00")');
SELECT * FROM algawf.check_expr('$string(x)', 'alga');
SELECT * FROM algawf.check_expr('x.y', 'alga');

-- templates
SELECT algawf.render_template('Ticket {{ payload.ticket.number }}: {{payload.ticket.title}}',
                              '{"payload": {"ticket": {"number": "T-1", "title": "Printer offline"}}}');
SELECT algawf.render_template('{{ missing }}|{{ n }}|{{ list }}|{{ obj }}|{{ flag }}|{{ nul }}',
                              '{"n": 1.5, "list": [1, "a"], "obj": {"k": "v"}, "flag": false, "nul": null}');
SELECT algawf.render_template('no holes at all'), algawf.render_template('{{ {"a": {"b": 1}}.a.b }} nested braces');
SELECT algawf.render_template('Hi {{ toString(len(name)) }}', '{"name": "Ann"}', '{}', 'alga');
SELECT algawf.render_template('{{ $x }} and {{ $y }}', NULL, '{"x": "one", "y": 2}');
SELECT algawf.render_template('Due {{ $fromMillis($toMillis(due), "[D]/[M]/[Y]") }}', '{"due": "2024-05-01T10:00:00Z"}');

-- errors carry a SQLSTATE, the JSONata code, the position and a caret excerpt
SELECT algawf.eval('"s" - 1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT algawf.eval('[1, 2)');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT algawf.eval('$map([1], function($x) { $x })');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT algawf.eval('$string(1)', NULL, '{}', 'alga');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT algawf.eval('1', NULL, '{}', 'jsonata');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT algawf.eval('$number("abc")');
SELECT algawf.eval('[1..2] < 3');
SELECT algawf.eval('unknownFunction(1)');
SELECT algawf.eval('sum([1])');
SELECT algawf.eval('$error("custom failure")');
SELECT algawf.eval('{"a": 1, "b": 2}.{$string(a): 1, $string(a): 2}');
SELECT algawf.eval('x', NULL, '[1]');
SELECT algawf.render_template('Hello {{ name ');
SELECT algawf.render_template('Hello {{ 1 + "a" }}');

-- limits, each with its own setting
SET algawf.expr_budget = 1000;
SELECT algawf.eval('$sum([1..200].($ * 2))');
SELECT algawf.eval('$count([1..2000].($ * 2))');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
RESET algawf.expr_budget;
SET algawf.expr_max_depth = 10;
SELECT algawf.eval('((((((((((((1))))))))))))');
SELECT algawf.eval('(((1)))');
RESET algawf.expr_max_depth;
SET algawf.expr_max_result = '1kB';
SELECT length(algawf.eval('[1..100]')::text);
SELECT algawf.eval('[1..1000]');
RESET algawf.expr_max_result;
SET algawf.expr_max_string = '1kB';
SELECT algawf.eval('$pad("x", 2000)');
SELECT algawf.eval('$join([1..500].$string(), ",")');
RESET algawf.expr_max_string;
SET algawf.expr_max_memory = '1MB';
SELECT algawf.eval('$count([1..100000].($ + 1))');
RESET algawf.expr_max_memory;

-- hostile inputs end in clean errors
SELECT algawf.eval('[1..100000000]');
SELECT algawf.eval('$count([1..10000000])');
SELECT algawf.eval(repeat('(', 5000) || '1' || repeat(')', 5000));
SELECT algawf.eval(repeat('-', 5000) || '1');
SELECT algawf.eval(repeat('a.', 3000) || 'b', '{}') IS NULL AS long_path_is_fine;
SELECT algawf.eval(repeat('1 + ', 200) || '1');
SELECT algawf.eval('x & x & x & x & x & x & x & x & x & x & x & x & x & x & x & x & x & x & x & x',
                   jsonb_build_object('x', repeat('abcdefgh', 8192)));
SELECT algawf.eval('"' || repeat('z', 100000) || '"') = to_jsonb(repeat('z', 100000)) AS long_literal;
SELECT algawf.eval('$a := 1 ~> $string() ~> $length() ~> $string()');
SELECT algawf.eval('**.x', (SELECT jsonb_build_object('x', 1, 'y', jsonb_agg(jsonb_build_object('x', g))) FROM generate_series(1, 3) g));
SELECT algawf.eval(E'\"\\ud800\" & "x"');
SET algawf.expr_budget = 2000000000;
SET algawf.expr_max_memory = '1GB';
SET statement_timeout = '200ms';
SELECT algawf.eval('($r := [1..4000]; $sum([1..1000000].($sum($r))))');
RESET statement_timeout;
RESET algawf.expr_budget;
RESET algawf.expr_max_memory;

-- the same call site compiles its expression once; many rows, one AST
SELECT count(*), sum((algawf.eval('a * 2', jsonb_build_object('a', g)))::int)
  FROM generate_series(1, 1000) g;
SELECT algawf.eval(e, '{"a": 2}') FROM (VALUES ('a + 1'), ('a * 10'), ('a + 1')) v(e);

-- leave the database as we found it (later tests create the extensions themselves)
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS algawf;
DROP EXTENSION IF EXISTS algawf_psa;
DROP EXTENSION IF EXISTS pgcrypto;
RESET client_min_messages;
