// Prints the size of every file of the built page, raw and gzip (level 9, as a static
// host would serve it), against the budgets of docs/BENCHMARKS.md. It reports; it does
// not fail the build: budgets are tracked in the benchmark document.
//
//   node scripts/size-report.mjs [dist] [--json out.json]
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { gzipSync } from "node:zlib";

const args = process.argv.slice(2);
const jsonAt = args.indexOf("--json");
const jsonOut = jsonAt >= 0 ? args[jsonAt + 1] : null;
const dist = args.find((a, i) => !a.startsWith("--") && (jsonAt < 0 || i !== jsonAt + 1)) ?? "dist";

// Issue 13's budgets (the first load): what a reader's phone downloads.
const BUDGET_TOTAL_GZIP = 250 * 1024;
const BUDGET_WASM_GZIP = 230 * 1024;

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const files = walk(dist)
  .map((path) => {
    const bytes = readFileSync(path);
    return { file: relative(dist, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  })
  .sort((a, b) => b.gzip - a.gzip);

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
const total = files.reduce((acc, f) => ({ raw: acc.raw + f.raw, gzip: acc.gzip + f.gzip }), { raw: 0, gzip: 0 });
const wasm = files.filter((f) => f.file.endsWith(".wasm")).reduce((acc, f) => acc + f.gzip, 0);
const wasmRaw = files.filter((f) => f.file.endsWith(".wasm")).reduce((acc, f) => acc + f.raw, 0);

console.log(`size report for ${dist}/ (gzip -9)`);
for (const f of files) console.log(`  ${f.file.padEnd(48)} ${kb(f.raw).padStart(10)} raw ${kb(f.gzip).padStart(10)} gzip`);
console.log(`  ${"total".padEnd(48)} ${kb(total.raw).padStart(10)} raw ${kb(total.gzip).padStart(10)} gzip`);
const verdict = (value, budget) => (value <= budget ? "within" : "OVER");
console.log(`  .wasm: ${kb(wasmRaw)} raw, ${kb(wasm)} gzip: ${verdict(wasm, BUDGET_WASM_GZIP)} the ${kb(BUDGET_WASM_GZIP)} budget`);
console.log(`  all files: ${kb(total.gzip)} gzip: ${verdict(total.gzip, BUDGET_TOTAL_GZIP)} the ${kb(BUDGET_TOTAL_GZIP)} budget`);
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ files, total, wasm: { raw: wasmRaw, gzip: wasm } }, null, 2));
