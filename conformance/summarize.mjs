#!/usr/bin/env node
// Judges one conformance scenario run for .ci/conformance.sh.
//
// usage: summarize.mjs SCENARIO RESULTS_DIR SUITE_EXIT_CODE
//
// The suite's own exit code is not enough: a client that never performs the
// behaviour a scenario watches for produces no checks, and the suite prints
// "Passed: 0/0" and exits 0. So a scenario passes only when
//   - the suite exited 0 (no failed check, no warning, client exited 0, no timeout),
//   - checks.json exists and holds at least one SUCCESS/FAILURE check of the
//     scenario itself (0.2.x also appends a suite-wide `wire-schema-valid`
//     check whenever any JSON-RPC message was validated, the harness's own
//     included: that alone does not show the client did what the scenario tests),
//   - and none of them is FAILURE or WARNING.
// Statuses: SUCCESS, FAILURE, WARNING, INFO, and (0.2.x) SKIPPED for a check a
// client did not exercise; INFO and SKIPPED count for nothing, as in the suite.
// Prints one summary line (plus the offending checks) and exits 0 or 1.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const [scenario, resultsDir, suiteExitRaw] = process.argv.slice(2);
if (!scenario || !resultsDir || suiteExitRaw === undefined) {
  process.stderr.write("usage: summarize.mjs SCENARIO RESULTS_DIR SUITE_EXIT_CODE\n");
  process.exit(2);
}
const suiteExit = Number(suiteExitRaw);

function findChecks(dir) {
  let found = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found = found.concat(findChecks(path));
    else if (name === "checks.json") found.push(path);
  }
  return found;
}

const files = findChecks(resultsDir);
const problems = [];
let checks = [];
if (files.length !== 1) {
  problems.push(`expected one checks.json under ${resultsDir}, found ${files.length}`);
} else {
  try {
    checks = JSON.parse(readFileSync(files[0], "utf8"));
  } catch (err) {
    problems.push(`cannot read ${files[0]}: ${err.message}`);
  }
}

// Checks every 0.2.x scenario may get, whatever the client did.
const SUITE_WIDE = new Set(["wire-schema-valid", "wire-schema-harness-error"]);

if (!Array.isArray(checks)) {
  problems.push(`${files[0]} does not hold an array of checks`);
  checks = [];
}
const counted = checks.filter((c) => c.status === "SUCCESS" || c.status === "FAILURE");
const succeeded = counted.filter((c) => c.status === "SUCCESS");
const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");
const skipped = checks.filter((c) => c.status === "SKIPPED").length;

if (files.length === 1 && counted.filter((c) => !SUITE_WIDE.has(c.id)).length === 0) {
  problems.push("the scenario reported no checks of its own (Passed: 0/0): the client never did what it tests");
}
for (const c of bad) {
  const what = c.name && c.name !== c.id ? `${c.id} [${c.name}]` : c.id;
  problems.push(`${c.status} ${what}: ${c.description}${c.errorMessage ? ` (${c.errorMessage})` : ""}`);
}
if (suiteExit !== 0) {
  problems.push(`suite exited ${suiteExit} (a failed/warning check, the client exiting non-zero, or a timeout)`);
}

const ids = [...new Set(succeeded.map((c) => c.id))].join(", ");
const extra = skipped > 0 ? `; ${skipped} SKIPPED` : "";
if (problems.length === 0) {
  console.log(`PASS ${scenario}: ${succeeded.length}/${counted.length} checks SUCCESS (${ids})${extra}`);
  process.exit(0);
}
console.log(`FAIL ${scenario}: ${succeeded.length}/${counted.length} checks SUCCESS${ids ? ` (${ids})` : ""}${extra}`);
for (const p of problems) console.log(`     - ${p}`);
process.exit(1);
