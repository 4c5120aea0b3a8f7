#!/usr/bin/env node
// Adapter between the MCP conformance suite and `mcpwatch check`.
//
// The suite runs `<command> <server-url>` through a shell, with
//   MCP_CONFORMANCE_SCENARIO          the scenario name,
//   MCP_CONFORMANCE_CONTEXT           JSON {"name": <scenario>, ...scenario data}, only
//                                     for scenarios that have data (credentials), and
//   MCP_CONFORMANCE_PROTOCOL_VERSION  (0.2.x only) the spec version the scenario's
//                                     server is built for; `check` negotiates its own
//                                     version, so this is only logged.
// This script turns that into `mcpwatch check URL` flags and runs the binary
// named by MCPWATCH_BIN (default: `mcpwatch` on PATH).
//
// Secrets never go on argv or into a log line:
//   - a client secret goes to mcpwatch through an environment variable of the
//     child only (--client-secret-env);
//   - a private key (private_key_jwt) goes into a file of its own, mode 0600,
//     in a fresh mode-0700 directory (--private-key FILE), removed when this
//     script exits, whatever the way.
//
// Exit code: mcpwatch's own (0 healthy/degraded, 1 unhealthy/auth_error,
// 2 usage); 2 when the suite handed us something check cannot express.
import { spawn } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SECRET_ENV = "MCPWATCH_CONFORMANCE_CLIENT_SECRET";

// Temporary files holding secrets; removed on every way out (process.exit
// included: the "exit" handler runs synchronously).
let secretDir;
function cleanup() {
  if (secretDir) {
    rmSync(secretDir, { recursive: true, force: true });
    secretDir = undefined;
  }
}
process.on("exit", cleanup);

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
    // Not err.message: a JSON.parse message can quote the input.
    fail("MCP_CONFORMANCE_CONTEXT is not valid JSON");
  }
  if (context === null || typeof context !== "object" || Array.isArray(context)) {
    fail("MCP_CONFORMANCE_CONTEXT is not a JSON object");
  }
}
const scenario = process.env.MCP_CONFORMANCE_SCENARIO || context.name || "(unknown)";

// Every context key this adapter knows. A key outside this list means the
// suite hands over something we have not looked at: refuse loudly instead of
// running a check that silently ignores it.
//   name               the scenario name (informational)
//   client_id          --client-id
//   client_secret      --client-secret-env (child env only)
//   private_key_pem    --auth-method private_key_jwt --private-key FILE
//   signing_algorithm  not a flag: check derives the algorithm from the key (and the
//                      AS metadata's token_endpoint_auth_signing_alg_values_supported);
//                      the adapter refuses a key that cannot sign with it
//   token_endpoint     --token-url
//   scope / scopes     --scope (repeated)
//   audience           --audience
//   assertion_audience --assertion-audience
//   issuer             --issuer: the authorization server the credentials belong to
//                      (0.2.x auth/pre-registration). Without it, the adapter looks the
//                      issuer up the way an operator does once before pinning it (see
//                      lookUpIssuer): mcpwatch sends credentials to a discovered
//                      authorization server on another origin only when it is pinned.
const KNOWN = new Set([
  "name",
  "client_id",
  "client_secret",
  "private_key_pem",
  "signing_algorithm",
  "token_endpoint",
  "scope",
  "scopes",
  "audience",
  "assertion_audience",
  "issuer",
]);
// Known to exist in the suite and known to be out of reach: cross-app access
// (SEP-990) hands over an IdP ID token to exchange (RFC 8693) for an ID-JAG and
// then a jwt-bearer grant; check only does client credentials.
const UNSUPPORTED = ["idp_id_token", "idp_client_id", "idp_issuer", "idp_token_endpoint"];
const unsupported = UNSUPPORTED.filter((k) => k in context);
if (unsupported.length > 0) {
  fail(`scenario ${scenario}: context keys ${unsupported.join(", ")} have no mcpwatch check flag (cross-app access is not client credentials)`);
}
const unknown = Object.keys(context).filter((k) => !KNOWN.has(k));
if (unknown.length > 0) {
  fail(`scenario ${scenario}: context keys ${unknown.join(", ")} are unknown to this adapter; teach it what they mean first`);
}

// What the log line after the command says about choices made here.
const notes = [];

// Every scenario we run is served over Streamable HTTP; --output json puts the
// verdict into the suite's stdout.txt for whoever reads a failed run.
const args = ["check", url, "--transport", "http", "--output", "json"];
const env = { ...process.env };
delete env[SECRET_ENV];
// The child needs none of these; the context may hold secrets.
delete env.MCP_CONFORMANCE_CONTEXT;

// lookUpIssuer does what an operator does once before pinning an issuer:
// read the server's protected-resource metadata (RFC 9728: the 401's
// resource_metadata, else the well-known URLs) and take the authorization
// server it names. The scenarios' authorization servers listen on another
// port than their MCP servers, so mcpwatch refuses them unless pinned. Only
// public metadata is read here; no credential is sent. "" when none is found
// (mcpwatch then reports the discovery failure itself).
async function lookUpIssuer(serverURL) {
  const get = async (u, init) => {
    try {
      return await fetch(u, { ...init, redirect: "manual", signal: AbortSignal.timeout(5000) });
    } catch {
      return undefined;
    }
  };
  const candidates = [];
  const ping = await get(serverURL, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }),
  });
  const challenge = ping?.headers.get("www-authenticate") ?? "";
  const m = /resource_metadata="?([^",\s]+)"?/i.exec(challenge);
  if (m) candidates.push(m[1]);
  await ping?.body?.cancel();
  const u = new URL(serverURL);
  const path = u.pathname.replace(/\/$/, "");
  candidates.push(`${u.origin}/.well-known/oauth-protected-resource${path}`, `${u.origin}/.well-known/oauth-protected-resource`);
  for (const c of candidates) {
    const res = await get(c);
    if (!res?.ok) continue;
    try {
      const doc = await res.json();
      if (Array.isArray(doc.authorization_servers) && typeof doc.authorization_servers[0] === "string") {
        notes.push(`pinned issuer ${doc.authorization_servers[0]} (looked up in ${c}, as an operator would before pinning it)`);
        return doc.authorization_servers[0];
      }
    } catch {
      // not JSON: try the next place
    }
  }
  return "";
}

// JWS algorithms a key of each kind can sign with (what check would pick from).
function keyAlgorithms(pem) {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch {
    // Never the error text: it may quote the key.
    fail(`scenario ${scenario}: private_key_pem is not a PEM private key node can read`);
  }
  switch (key.asymmetricKeyType) {
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      const alg = { prime256v1: "ES256", secp384r1: "ES384", secp521r1: "ES512" }[curve];
      return { kind: `EC ${curve}`, algs: alg ? [alg] : [] };
    }
    case "rsa":
      return { kind: "RSA", algs: ["RS256", "PS256", "RS384", "PS384", "RS512", "PS512"] };
    case "ed25519":
      return { kind: "Ed25519", algs: ["EdDSA", "Ed25519"] };
    default:
      return { kind: String(key.asymmetricKeyType), algs: [] };
  }
}

if (context.client_id !== undefined) {
  args.push("--client-id", String(context.client_id));
  if (context.client_secret !== undefined && context.private_key_pem !== undefined) {
    fail(`scenario ${scenario}: context has both client_secret and private_key_pem`);
  }
  if (context.client_secret !== undefined) {
    env[SECRET_ENV] = String(context.client_secret);
    args.push("--client-secret-env", SECRET_ENV);
  }
  if (context.private_key_pem !== undefined) {
    const pem = String(context.private_key_pem);
    const { kind, algs } = keyAlgorithms(pem);
    if (algs.length === 0) {
      fail(`scenario ${scenario}: private key type ${kind} is not one check can sign with`);
    }
    if (context.signing_algorithm !== undefined && !algs.includes(String(context.signing_algorithm))) {
      fail(`scenario ${scenario}: signing_algorithm ${context.signing_algorithm} does not fit the ${kind} key (it signs ${algs.join(", ")})`);
    }
    // mkdtemp creates the directory with mode 0700; the key file is created
    // exclusively with mode 0600 (the umask can only take bits away).
    secretDir = mkdtempSync(join(tmpdir(), "mcpwatch-conformance-"));
    const keyFile = join(secretDir, "client-key.pem");
    writeFileSync(keyFile, pem, { mode: 0o600, flag: "wx" });
    args.push("--auth-method", "private_key_jwt", "--private-key", keyFile);
  }
  // Not sent by the scenarios we run (they expect discovery); mapped in case a
  // later suite version adds them.
  if (context.token_endpoint) args.push("--token-url", String(context.token_endpoint));
  for (const s of [].concat(context.scope ?? context.scopes ?? []).flatMap((v) => String(v).split(" ")).filter(Boolean)) {
    args.push("--scope", s);
  }
  if (context.issuer) {
    args.push("--issuer", String(context.issuer));
  } else if (!context.token_endpoint) {
    const issuer = await lookUpIssuer(url);
    if (issuer) args.push("--issuer", issuer);
  }
  if (context.audience) args.push("--audience", String(context.audience));
  if (context.assertion_audience) args.push("--assertion-audience", String(context.assertion_audience));
  if (process.env.MCPWATCH_CONFORMANCE_AUTH_METHOD && context.private_key_pem === undefined) {
    args.push("--auth-method", process.env.MCPWATCH_CONFORMANCE_AUTH_METHOD);
  }
} else {
  const orphans = ["client_secret", "private_key_pem"].filter((k) => k in context);
  if (orphans.length > 0) fail(`scenario ${scenario}: context has ${orphans.join(", ")} but no client_id`);
}

const bin = process.env.MCPWATCH_BIN || "mcpwatch";
// Logged to stderr (the suite saves it as stderr.txt); holds no secret: the
// secret is in the child's env, the key in a file named here by path only.
if (process.env.MCP_CONFORMANCE_PROTOCOL_VERSION) notes.push(`suite spec version ${process.env.MCP_CONFORMANCE_PROTOCOL_VERSION}`);
if (context.signing_algorithm !== undefined) notes.push(`signing_algorithm ${context.signing_algorithm} (check derives it from the key)`);
process.stderr.write(`conformance/client.mjs: scenario ${scenario}: ${bin} ${args.join(" ")}\n`);
if (notes.length > 0) process.stderr.write(`conformance/client.mjs: ${notes.join("; ")}\n`);

const child = spawn(bin, args, { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  // Forward, then leave through the child's "exit" below (which cleans up).
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
