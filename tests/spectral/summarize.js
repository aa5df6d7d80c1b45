// Prints the counts of one Spectral JSON report (per severity, per rule) and its errors.
// Usage: node summarize.js REPORT.json NAME [HOW_MANY_ERRORS_TO_SHOW]
// Exits 1 when the report holds any error, 0 otherwise.
"use strict";
const fs = require("fs");
const [report, name, show = "200"] = process.argv.slice(2);
const results = JSON.parse(fs.readFileSync(report, "utf8"));
const severities = ["error", "warning", "info", "hint"];
const total = [0, 0, 0, 0];
const perRule = new Map();
for (const r of results) {
  total[r.severity] += 1;
  const key = `${severities[r.severity]} ${r.code}`;
  perRule.set(key, (perRule.get(key) || 0) + 1);
}
const out = [`spectral: ${name}: ${total[0]} errors, ${total[1]} warnings` +
  (total[2] ? `, ${total[2]} infos` : "")];
for (const [key, n] of [...perRule].sort()) out.push(`  ${String(n).padStart(5)}  ${key}`);
const errors = results.filter((r) => r.severity === 0);
const limit = Math.min(errors.length, Number(show));
if (errors.length) out.push(`  errors (${limit} of ${errors.length} shown):`);
for (const r of errors.slice(0, limit)) {
  out.push(`    ${r.code}  ${r.path.join(".")}: ${r.message}`);
}
console.log(out.join("\n"));
process.exit(errors.length ? 1 : 0);
