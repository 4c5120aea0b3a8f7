#!/usr/bin/env bash
# Installs the pinned MCP reference server (@modelcontextprotocol/server-everything,
# interop/package.json and package-lock.json) into .tools/interop, where the Go
# tests in interop/ find it. Reinstalls only when the lock changed.
#
# Self-contained: needs only node (20 or later; the server's dependencies ask
# for >=20) and npm. Safe to rerun. The tests themselves run with go test.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

TOOLS=$ROOT/.tools/interop
SERVER=$TOOLS/node_modules/@modelcontextprotocol/server-everything/dist/index.js

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "interop: the reference server needs Node 20 or later, got $(node --version)" >&2
  exit 1
fi

if ! cmp -s interop/package-lock.json "$TOOLS/package-lock.json" || [ ! -f "$SERVER" ]; then
  echo "interop: installing the pinned reference server into .tools/interop"
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS"
  cp interop/package.json interop/package-lock.json "$TOOLS/"
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi
version=$(node -p "require('$TOOLS/node_modules/@modelcontextprotocol/server-everything/package.json').version")
echo "interop: @modelcontextprotocol/server-everything $version on node $(node --version)"
