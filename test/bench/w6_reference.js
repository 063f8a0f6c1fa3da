// W6 baseline: the reference JSONata implementation evaluating the same corpus over
// the same context, with Alga PSA's extra functions (coalesce, len, toString, append,
// nowIso) registered the way Alga registers them.  Prints ns per evaluation.
'use strict';
const jsonata = require('jsonata');
const fs = require('fs');
const corpus = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const iterations = parseInt(process.argv[3] || '20000', 10);

function register(expr) {
    expr.registerFunction('coalesce', (...a) => a.find(v => v !== undefined && v !== null) ?? null);
    expr.registerFunction('len', (v) => (typeof v === 'string' || Array.isArray(v)) ? v.length : 0);
    expr.registerFunction('toString', (v) => v === undefined || v === null ? '' : (typeof v === 'string' ? v : JSON.stringify(v)));
    expr.registerFunction('append', (a, b) => [].concat(a ?? [], b ?? []));
    expr.registerFunction('nowIso', () => new Date().toISOString());
    return expr;
}

async function main() {
    // Alga writes the functions without '$'; the reference needs it.
    const compiled = corpus.expressions.map(src =>
        register(jsonata(src.replace(/(^|[^$\w.])(coalesce|len|toString|append|nowIso)\(/g, '$1$$$2('))));
    const ctx = corpus.context;
    for (const e of compiled) await e.evaluate(ctx);          // warm-up
    for (let w = 0; w < 3; w++) for (const e of compiled) for (let i = 0; i < 200; i++) await e.evaluate(ctx);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++)
        for (const e of compiled) await e.evaluate(ctx);
    const ns = Number(process.hrtime.bigint() - t0) / (iterations * compiled.length);
    console.log(ns.toFixed(1));
}
main();
