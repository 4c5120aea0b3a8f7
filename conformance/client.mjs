#!/usr/bin/env node
// Adapter between the MCP conformance suite and `mcpwatch check`.
//
// The suite runs `<command> <server-url>` through a shell, with
//   MCP_CONFORMANCE_SCENARIO  the scenario name, and
//   MCP_CONFORMANCE_CONTEXT   JSON {"name": <scenario>, ...scenario data}, only
//                             for scenarios that have data (client credentials).
// This script turns that into `mcpwatch check URL` flags and runs the binary
// named by MCPWATCH_BIN (default: `mcpwatch` on PATH). The client secret goes
// to mcpwatch through an environment variable, never through argv, so it is
// not visible in process lists or in the command line this script logs.
//
// Exit code: mcpwatch's own (0 healthy/degraded, 1 unhealthy/auth_error,
// 2 usage); 2 when the suite handed us something check cannot express.
import { spawn } from "node:child_process";

const SECRET_ENV = "MCPWATCH_CONFORMANCE_CLIENT_SECRET";

function fail(message) {
  process.stderr.write(`conformance/client.mjs: ${message}\n`);
  process.exit(2);
}

// The suite appends the server URL as the last argument.
const url = process.argv[process.argv.length - 1];
if (process.argv.length < 3 || !/^https?:\/\//.test(url)) {
  fail(`expected the server URL as the last argument, got ${JSON.stringify(process.argv.slice(2))}`);
}

let context = {};
const rawContext = process.env.MCP_CONFORMANCE_CONTEXT;
if (rawContext) {
  try {
    context = JSON.parse(rawContext);
  } catch (err) {
    fail(`MCP_CONFORMANCE_CONTEXT is not JSON: ${err.message}`);
  }
}
const scenario = process.env.MCP_CONFORMANCE_SCENARIO || context.name || "(unknown)";

// Every scenario we run is served over Streamable HTTP; --output json puts the
// verdict into the suite's stdout.txt for whoever reads a failed run.
const args = ["check", url, "--transport", "http", "--output", "json"];
const env = { ...process.env };
delete env[SECRET_ENV];

// Context keys we know how to express as check flags. Anything else that
// carries credentials (private_key_pem, idp_* for cross-app access) has no
// check flag yet: refuse loudly instead of running a check that cannot pass.
const unsupported = ["private_key_pem", "idp_id_token", "idp_client_id"].filter((k) => k in context);
if (unsupported.length > 0) {
  fail(`scenario ${scenario}: context keys ${unsupported.join(", ")} have no mcpwatch check flag`);
}
if (context.client_id !== undefined) {
  args.push("--client-id", String(context.client_id));
  if (context.client_secret !== undefined) {
    env[SECRET_ENV] = String(context.client_secret);
    args.push("--client-secret-env", SECRET_ENV);
  }
  // Not sent by the 0.1.16 scenarios (they expect discovery), mapped in case
  // a later suite version adds them.
  if (context.token_endpoint) args.push("--token-url", String(context.token_endpoint));
  for (const s of [].concat(context.scope ?? context.scopes ?? []).flatMap((v) => String(v).split(" ")).filter(Boolean)) {
    args.push("--scope", s);
  }
  if (context.audience) args.push("--audience", String(context.audience));
  if (process.env.MCPWATCH_CONFORMANCE_AUTH_METHOD) {
    args.push("--auth-method", process.env.MCPWATCH_CONFORMANCE_AUTH_METHOD);
  }
} else if (context.client_secret !== undefined) {
  fail(`scenario ${scenario}: context has client_secret but no client_id`);
}

const bin = process.env.MCPWATCH_BIN || "mcpwatch";
// Logged to stderr (the suite saves it as stderr.txt); holds no secret.
process.stderr.write(`conformance/client.mjs: scenario ${scenario}: ${bin} ${args.join(" ")}\n`);

const child = spawn(bin, args, { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => child.kill(sig));
}
child.on("error", (err) => fail(`cannot run ${bin}: ${err.message}`));
child.on("exit", (code, signal) => {
  if (signal) {
    process.stderr.write(`conformance/client.mjs: ${bin} killed by ${signal}\n`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
