// Recomputes the expected results of the Alga corpus with the reference JSONata,
// configured the way Alga PSA's workflow runtime configures it: "==" rewritten to
// "=", bare calls of the allowlisted functions given a "$", calls of anything else
// rejected, and the five functions registered with Alga's semantics.
//
//   cd test/bench && npm ci && cd ../.. &&
//   NODE_PATH=test/bench/node_modules node test/conformance/alga_reference.js \
//       test/conformance/alga_corpus.src.json > test/conformance/alga_corpus.json
const fs = require('fs');
const jsonata = require('jsonata');

const allowed = new Set(['nowIso', 'coalesce', 'len', 'toString', 'append']);

function normalize(src) {
  const eq = src.split('==').join('=');
  return eq.replace(/(^|[^.$A-Za-z0-9_])([A-Za-z_][A-Za-z0-9_]*)(?=\s*\()/g,
    (m, pre, name) => (allowed.has(name) ? pre + '$' + name : m));
}

function check(src) {
  const re = /([A-Za-z_$][A-Za-z0-9_]*)\s*\(/g;
  let m;
  while ((m = re.exec(src)) !== null) {
    const name = m[1].startsWith('$') ? m[1].slice(1) : m[1];
    if (!allowed.has(name)) throw Object.assign(new Error('disallowed function: ' + name), { code: 'disallowed' });
  }
}

function register(expr) {
  expr.registerFunction('nowIso', () => new Date().toISOString());
  expr.registerFunction('coalesce', (...args) => {
    for (const a of args) if (a !== null && a !== undefined) return a;
    return null;
  });
  expr.registerFunction('len', (v) => (typeof v === 'string' || Array.isArray(v) ? v.length : 0));
  expr.registerFunction('toString', (v) => (v === null || v === undefined ? '' : String(v)));
  expr.registerFunction('append', (list, value) => {
    const base = Array.isArray(list) ? list : list === null || list === undefined ? [] : [list];
    return base.concat(Array.isArray(value) ? value : [value]);
  });
}

(async () => {
  const corpus = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const c of corpus.cases) {
    const input = c.input !== undefined ? c.input : corpus.context;
    try {
      const src = normalize(c.expr);
      check(src);
      const e = jsonata(src);
      register(e);
      const r = await e.evaluate(input, c.bindings || {});
      if (c.error) console.error('expected an error but got a result: ' + c.name);
      if (r !== undefined) c.result = JSON.parse(JSON.stringify(r));
    } catch (err) {
      if (!c.error) console.error('unexpected error in ' + c.name + ': ' + err.message);
    }
  }
  process.stdout.write(JSON.stringify(corpus, null, 2) + '\n');
})();
