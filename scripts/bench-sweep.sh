#!/usr/bin/env bash
# Process-level sweep benchmark (issue 12, "How it is verified"; docs/performance.md).
#
# Starts a fleet of N mcp-go servers in its own process (scripts/benchfleet:
# each server on its own 127.x.y.z address, all behind one client-credentials
# token endpoint, one shared resource so one token), then alternates, PAIRS
# times after one unrecorded warm-up pair:
#   the floor     scripts/benchfleet/floor: one token, then per server a fresh
#                 connection and the two POSTs a stateless-era check needs,
#                 concurrency 32 (FLOOR_FLAGS=-raw: without net/http's Transport)
#   mcpwatch      mcpwatch check --config F --output json (start to exit)
# and times `mcpwatch config validate F` alone PAIRS times (the load cost).
# Each run's wall time, peak RSS (ru_maxrss) and CPU come from
# scripts/benchfleet/timeit; token requests and MCP POSTs are counted by the
# fleet, which also has its CPU read from /proc, as is the CPU the rest of
# the machine spent meanwhile (the noise on a shared machine). Each run waits
# first, up to BENCH_QUIET_WAIT seconds (default 30, 0 for none), for a
# moment when the machine is nearly idle. Prints a row per pair, then
# medians, the ratio mcpwatch/floor and a RESULT line. Loopback only; every
# run is killed after 15 minutes, the fleet at exit (and by itself after 2
# hours, or when this script is gone).
#
# Usage: scripts/bench-sweep.sh N [PAIRS]     (PAIRS defaults to 3; quote >= 3)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: scripts/bench-sweep.sh N [PAIRS]   (N servers, 1..100000; PAIRS >= 1, default 3)" >&2; exit 2; }
n=${1:-}
pairs=${2:-3}
[[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 100000 ]] || usage
[[ $pairs =~ ^[0-9]+$ && $pairs -ge 1 ]] || usage

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-sweep.XXXXXX")
fleet_pid=
cleanup() {
	if [[ -n $fleet_pid ]]; then
		kill -TERM "$fleet_pid" 2>/dev/null || true
		wait "$fleet_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# One descriptor per server in the fleet, plus connections; mcpwatch and the
# floor inherit the raised limit too.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [[ $nofile != unlimited && $nofile -lt $((n + 1024)) ]]; then
	echo "open-file limit $nofile is below the $((n + 1024)) a fleet of $n needs (ulimit -Hn)" >&2
	exit 1
fi

echo "== build"
# What is measured is the working tree, which may differ from its commit.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
	commit="$commit + uncommitted changes to $(git status --porcelain --untracked-files=no | awk 'NR <= 5 {print $NF} NR == 6 {print "…"}' | paste -sd ' ')"
fi
# One go build: mcpwatch, benchfleet, floor and timeit, into $work.
go build -o "$work/" . ./scripts/benchfleet ./scripts/benchfleet/floor ./scripts/benchfleet/timeit

MCPWATCH_BENCH_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export MCPWATCH_BENCH_SECRET

echo "== fleet of $n servers"
"$work/benchfleet" -n "$n" -dir "$work" -lifetime 2h >"$work/fleet.log" 2>&1 &
fleet_pid=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^ready' "$work/fleet.log" && break
	if ! kill -0 "$fleet_pid" 2>/dev/null; then
		echo "the fleet exited:" >&2; cat "$work/fleet.log" >&2; fleet_pid=; exit 1
	fi
	sleep 0.5
done
grep '^ready' "$work/fleet.log" || { echo "the fleet was not ready within 300s" >&2; exit 1; }
stats_port=$(sed -n 's|^ready.* stats http://127\.0\.0\.1:\([0-9]*\)/stats.*|\1|p' "$work/fleet.log")

# stats prints the fleet's counters: "token=… conns=… posts=… other=… …".
stats() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$stats_port"
	printf 'GET /stats HTTP/1.0\r\nHost: bench\r\n\r\n' >&3
	line=$(tail -n 1 <&3)
	exec 3<&-
	echo "$line"
}
# get KEY TEXT: the number after KEY= in TEXT.
get() { sed -n "s/.*\\b$1=\\([0-9.-]*\\).*/\\1/p" <<<"$2"; }

# fleet_ticks: the CPU time the fleet process has used, in clock ticks.
clk_tck=$(getconf CLK_TCK)
fleet_ticks() { awk '{print $14 + $15}' "/proc/$fleet_pid/stat"; }
# busy_ticks: the CPU time the whole machine has been busy (user, nice,
# system, irq, softirq, steal), in clock ticks.
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# quiet: wait (at most $BENCH_QUIET_WAIT seconds, default 30; 0 to skip)
# for half a second in which the machine is under 10% busy, so a run does
# not start in the middle of someone else's burst. Figures on a shared
# machine are still noisy: the "other" column says how much.
quiet_wait=${BENCH_QUIET_WAIT:-30}
cores=$(nproc)
quiet() {
	local deadline=$((SECONDS + quiet_wait)) b
	while ((SECONDS < deadline)); do
		b=$(busy_ticks)
		sleep 0.5
		(($(busy_ticks) - b < clk_tck * cores / 20)) && return 0
	done
	return 0
}

# measure LABEL RECORD cmd...: one timed run; RECORD=0 for the warm-up. A
# recorded run adds a line to $work/LABEL.runs: timeit's report, then what
# the fleet was sent meanwhile, the CPU the fleet spent on it and the CPU the
# whole machine was busy for meanwhile.
measure() {
	local label=$1 record=$2 times=$work/run.times
	shift 2
	local before after ticks busy
	quiet
	before=$(stats)
	ticks=$(fleet_ticks)
	busy=$(busy_ticks)
	: >"$times"
	if ! "$work/timeit" -o "$times" -timeout 15m -- "$@" >"$work/$label.out" 2>"$work/$label.err"; then
		echo "$label failed: $(cat "$times")" >&2
		head -c 2000 "$work/$label.err" >&2
		sed -n '/"summary"/,/}/p' "$work/$label.out" >&2
		exit 1
	fi
	busy=$(($(busy_ticks) - busy))
	after=$(stats)
	ticks=$(($(fleet_ticks) - ticks))
	if [[ $record == 1 ]]; then
		echo "$(cat "$times") tokens=$(($(get token "$after") - $(get token "$before")))" \
			"conns=$(($(get conns "$after") - $(get conns "$before")))" \
			"posts=$(($(get posts "$after") - $(get posts "$before"))) other=$(($(get other "$after") - $(get other "$before")))" \
			"fleet_cpu_s=$(awk -v t="$ticks" -v c="$clk_tck" 'BEGIN {print t / c}')" \
			"busy_s=$(awk -v t="$busy" -v c="$clk_tck" 'BEGIN {print t / c}')" >>"$work/$label.runs"
	fi
}

# healthy: mcpwatch's report must count every server healthy (or degraded,
# which is healthy but over the slow threshold on a loaded machine).
healthy() {
	local summary h d
	summary=$(sed -n '/"summary"/,/}/p' "$work/mcpwatch.out" | tr -d ' \n')
	h=$(sed -n 's/.*"healthy":\([0-9]*\).*/\1/p' <<<"$summary")
	d=$(sed -n 's/.*"degraded":\([0-9]*\).*/\1/p' <<<"$summary")
	if [[ $((h + d)) -ne $n ]]; then
		echo "mcpwatch did not find all $n servers healthy: $summary" >&2
		exit 1
	fi
}

# FLOOR_FLAGS: extra flags for the floor, e.g. -raw (see its doc).
read -r -a floor_flags <<<"${FLOOR_FLAGS:-}"
floor_cmd=("$work/floor" -fleet "$work/floor.txt" -concurrency 32 "${floor_flags[@]}")
# A state dir of the run's own: check compares with (and, when no instance
# holds the dir, records) the inventory pins there, so the operator's own
# dir, possibly holding another fleet's pins, must not change the figures.
# The first, unmeasured check pins the fleet; the measured ones compare.
mkdir -p "$work/state"
check_cmd=("$work/mcpwatch" check --config "$work/config.yaml" --output json --state-dir "$work/state")

load_start=$(cut -d ' ' -f 1-3 /proc/loadavg)
echo "== warm-up pair (not recorded)"
measure floor 0 "${floor_cmd[@]}"
measure mcpwatch 0 "${check_cmd[@]}"
healthy

for ((p = 1; p <= pairs; p++)); do
	echo "== pair $p of $pairs"
	measure floor 1 "${floor_cmd[@]}"
	measure mcpwatch 1 "${check_cmd[@]}"
	healthy
done
echo "== mcpwatch config validate, $pairs times"
for ((p = 1; p <= pairs; p++)); do
	measure validate 1 "$work/mcpwatch" config validate "$work/config.yaml"
done
load_end=$(cut -d ' ' -f 1-3 /proc/loadavg)
fleet_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$fleet_pid/status")

echo
echo "== $n servers, $pairs pairs; $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); $(go env GOVERSION); commit $commit; open-file limit $nofile"
echo "floor: ${FLOOR_FLAGS:-a net/http Transport per server} (FLOOR_FLAGS)"
echo "load average (1, 5, 15 min) before $load_start, after $load_end, on $(nproc) cores: above that, other work shared the CPU"
# One awk over the three .runs files: a row per pair, then medians.
awk -v n="$n" -v pairs="$pairs" -v fleet_hwm="$fleet_hwm" -v cores="$cores" '
function med(label, key,    k, i, j, t, a) {
	k = 0
	for (i = 1; i <= runs[label]; i++) a[++k] = v[label, i, key]
	for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function maxof(label, key,    i, m) {
	m = v[label, 1, key]
	for (i = 2; i <= runs[label]; i++) if (v[label, i, key] > m) m = v[label, i, key]
	return m
}
FNR == 1 { label = FILENAME; sub(/.*\//, "", label); sub(/\.runs$/, "", label) }
{
	r = ++runs[label]
	for (i = 1; i <= NF; i++) { split($i, kv, "="); v[label, r, kv[1]] = kv[2] }
	v[label, r, "cpu_s"] = v[label, r, "user_s"] + v[label, r, "sys_s"]
	v[label, r, "rss_mb"] = v[label, r, "maxrss_kb"] / 1024
	other = v[label, r, "busy_s"] - v[label, r, "cpu_s"] - v[label, r, "fleet_cpu_s"]
	v[label, r, "other_s"] = other > 0 ? other : 0
	# Shared: the rest of the machine took over a tenth of its CPU meanwhile.
	v[label, r, "shared"] = v[label, r, "other_s"] > 0.1 * cores * v[label, r, "wall_s"]
	if (!v[label, r, "shared"]) { c = ++runs[label "/clean"]; for (i = 1; i <= NF; i++) { split($i, kv, "="); v[label "/clean", c, kv[1]] = kv[2] } }
}
END {
	printf "%-4s | %7s %6s %6s %6s %6s  | %7s %6s %6s %6s %6s  %6s %6s %6s | %5s\n", "pair", "floor s", "MB", "CPU s", "fleet", "other",
		"mcpw s", "MB", "CPU s", "fleet", "other", "tokens", "conns", "POSTs", "ratio"
	for (p = 1; p <= pairs; p++) {
		v["pair", p, "ratio"] = v["mcpwatch", p, "wall_s"] / v["floor", p, "wall_s"]
		printf "%-4d | %7.3f %6.1f %6.2f %6.2f %6.2f%s | %7.3f %6.1f %6.2f %6.2f %6.2f%s %6d %6d %6d | %5.2f\n", p,
			v["floor", p, "wall_s"], v["floor", p, "rss_mb"], v["floor", p, "cpu_s"], v["floor", p, "fleet_cpu_s"], v["floor", p, "other_s"],
			v["floor", p, "shared"] ? "*" : " ",
			v["mcpwatch", p, "wall_s"], v["mcpwatch", p, "rss_mb"], v["mcpwatch", p, "cpu_s"], v["mcpwatch", p, "fleet_cpu_s"], v["mcpwatch", p, "other_s"],
			v["mcpwatch", p, "shared"] ? "*" : " ",
			v["mcpwatch", p, "tokens"], v["mcpwatch", p, "conns"], v["mcpwatch", p, "posts"], v["pair", p, "ratio"]
	}
	runs["pair"] = pairs
	print "(MB: peak RSS; CPU s: user+system of the process; fleet: CPU seconds the fleet process spent meanwhile;"
	print " other: CPU seconds the rest of the machine spent meanwhile, work that competed with the run;"
	print " *: other took over a tenth of the machine, the run is not clean)"
	fs = med("floor", "wall_s"); ms = med("mcpwatch", "wall_s")
	print ""
	printf "floor     median %.3fs, peak RSS %.1f MB, CPU %.2fs (%.3f ms/server), token requests %d, connections %.2f/server, POSTs %.2f/server\n",
		fs, med("floor", "rss_mb"), med("floor", "cpu_s"), med("floor", "cpu_s") * 1000 / n, med("floor", "tokens"), med("floor", "conns") / n, med("floor", "posts") / n
	printf "mcpwatch  median %.3fs (%.0f probes/s), peak RSS %.1f MB (max %.1f), CPU %.2fs (%.3f ms/server), token requests %d, connections %.2f/server, POSTs %.2f/server\n",
		ms, n / ms, med("mcpwatch", "rss_mb"), maxof("mcpwatch", "rss_mb"), med("mcpwatch", "cpu_s"), med("mcpwatch", "cpu_s") * 1000 / n,
		med("mcpwatch", "tokens"), med("mcpwatch", "conns") / n, med("mcpwatch", "posts") / n
	printf "ratio     mcpwatch/floor %.2fx (of the medians of wall time; the median of the pairs%s ratios is %.2fx)\n", ms / fs, "\047", med("pair", "ratio")
	shared = 2 * pairs - runs["floor/clean"] - runs["mcpwatch/clean"]
	if (shared > 0 && runs["floor/clean"] > 0 && runs["mcpwatch/clean"] > 0)
		printf "clean     %d of %d runs shared the machine (*); over the clean ones: floor median %.3fs, mcpwatch %.3fs, ratio %.2fx\n",
			shared, 2 * pairs, med("floor/clean", "wall_s"), med("mcpwatch/clean", "wall_s"), med("mcpwatch/clean", "wall_s") / med("floor/clean", "wall_s")
	else if (shared > 0)
		printf "clean     %d of %d runs shared the machine (*), too many to compare clean runs: measure again when it is quieter\n", shared, 2 * pairs
	printf "validate  mcpwatch config validate: median %.3fs, peak RSS %.1f MB (max %.1f)\n",
		med("validate", "wall_s"), med("validate", "rss_mb"), maxof("validate", "rss_mb")
	printf "fleet     peak RSS %.1f MB (the fleet process, for reference)\n", fleet_hwm / 1024
	printf "RESULT n=%d pairs=%d floor_s=%.3f mcpwatch_s=%.3f ratio=%.2f mcpwatch_rss_mb=%.1f mcpwatch_rss_max_mb=%.1f floor_rss_mb=%.1f tokens=%d floor_tokens=%d validate_s=%.3f validate_rss_mb=%.1f\n",
		n, pairs, fs, ms, ms / fs, med("mcpwatch", "rss_mb"), maxof("mcpwatch", "rss_mb"), med("floor", "rss_mb"),
		med("mcpwatch", "tokens"), med("floor", "tokens"), med("validate", "wall_s"), med("validate", "rss_mb")
}' "$work/floor.runs" "$work/mcpwatch.runs" "$work/validate.runs"
