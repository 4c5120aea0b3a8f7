#!/usr/bin/env node
// Judges one conformance scenario run for .ci/conformance.sh.
//
// usage: summarize.mjs SCENARIO RESULTS_DIR SUITE_EXIT_CODE
//
// The suite's own exit code is not enough: a client that never performs the
// behaviour a scenario watches for produces no checks, and the suite prints
// "Passed: 0/0" and exits 0. So a scenario passes only when
//   - the suite exited 0 (no failed check, no warning, client exited 0, no timeout),
//   - checks.json exists and holds at least one SUCCESS/FAILURE check,
//   - and none of them is FAILURE or WARNING.
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

const counted = checks.filter((c) => c.status === "SUCCESS" || c.status === "FAILURE");
const succeeded = counted.filter((c) => c.status === "SUCCESS");
const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");

if (files.length === 1 && counted.length === 0) {
  problems.push("the scenario reported no checks (Passed: 0/0): the client never did what it tests");
}
for (const c of bad) {
  problems.push(`${c.status} ${c.id}: ${c.description}${c.errorMessage ? ` (${c.errorMessage})` : ""}`);
}
if (suiteExit !== 0) {
  problems.push(`suite exited ${suiteExit} (a failed/warning check, the client exiting non-zero, or a timeout)`);
}

const ids = [...new Set(succeeded.map((c) => c.id))].join(", ");
if (problems.length === 0) {
  console.log(`PASS ${scenario}: ${succeeded.length}/${counted.length} checks SUCCESS (${ids})`);
  process.exit(0);
}
console.log(`FAIL ${scenario}: ${succeeded.length}/${counted.length} checks SUCCESS${ids ? ` (${ids})` : ""}`);
for (const p of problems) console.log(`     - ${p}`);
process.exit(1);
