#!/usr/bin/env bash
# Installs the pinned MCP reference server (@modelcontextprotocol/server-everything)
# and the official TypeScript SDK (@modelcontextprotocol/sdk, which
# interop/tssdk/server.mjs is built with), both pinned by interop/package.json and
# package-lock.json, into .tools/interop, where the Go tests in interop/ find
# them. Reinstalls only when the lock changed.
#
# Self-contained: needs only node (20 or later; the server's dependencies ask
# for >=20) and npm. Safe to rerun. The tests themselves run with go test.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

TOOLS=$ROOT/.tools/interop
MODULES=$TOOLS/node_modules/@modelcontextprotocol
SERVER=$MODULES/server-everything/dist/index.js
SDK=$MODULES/sdk/package.json

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "interop: the reference server needs Node 20 or later, got $(node --version)" >&2
  exit 1
fi

if ! cmp -s interop/package-lock.json "$TOOLS/package-lock.json" || [ ! -f "$SERVER" ] || [ ! -f "$SDK" ]; then
  echo "interop: installing the pinned reference server and TypeScript SDK into .tools/interop"
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS"
  cp interop/package.json interop/package-lock.json "$TOOLS/"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi
# Print what is installed and fail unless every dependency is exactly the
# version interop/package.json pins.
node - "$ROOT/interop/package.json" "$TOOLS/node_modules" <<'EOF'
const [pinsFile, modules] = process.argv.slice(2);
let bad = 0;
for (const [name, want] of Object.entries(require(pinsFile).dependencies)) {
  const got = require(`${modules}/${name}/package.json`).version;
  console.log(`interop: ${name} ${got} on node ${process.version}`);
  if (got !== want) {
    console.error(`interop: ${name} is ${got}, want ${want} (interop/package.json)`);
    bad = 1;
  }
}
process.exit(bad);
EOF
