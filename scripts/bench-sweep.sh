#!/usr/bin/env bash
# Process-level sweep benchmark (issue 12, "How it is verified"; docs/performance.md).
#
# Starts a fleet of N mcp-go servers in its own process (scripts/benchfleet:
# each server on its own 127.x.y.z address, all behind one client-credentials
# token endpoint, one shared resource so one token), then alternates, PAIRS
# times after one unrecorded warm-up pair:
#   the floor     scripts/benchfleet/floor: one token, then per server a fresh
#                 connection and the two POSTs a stateless-era check needs,
#                 concurrency 32
#   mcpwatch      mcpwatch check --config F --output json (start to exit)
# and times `mcpwatch config validate F` alone PAIRS times (the load cost).
# Each run's wall time, peak RSS (ru_maxrss) and CPU come from
# scripts/benchfleet/timeit; token requests and MCP POSTs are counted by the
# fleet. Prints a row per run, then medians, the ratio mcpwatch/floor and a
# RESULT line. Loopback only; every run is killed after 15 minutes, the fleet
# at exit (and by itself after 2 hours).
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

# stats prints the fleet's counters: "token=… posts=… other=… discover=…".
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
# median: of the numbers on stdin, one a line.
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# col FILE KEY: KEY's value from every report line of FILE.
col() { while read -r line; do get "$2" "$line"; done <"$1"; }

# measure LABEL RECORD cmd...: one timed run; RECORD=0 for the warm-up.
measure() {
	local label=$1 record=$2 times=$work/$1.times
	shift 2
	[[ $record == 1 ]] || times=$work/warmup.times
	local before after
	before=$(stats)
	if ! "$work/timeit" -o "$times" -timeout 15m -- "$@" >"$work/$label.out" 2>"$work/$label.err"; then
		echo "$label failed: $(tail -n 1 "$times")" >&2
		head -c 2000 "$work/$label.err" >&2
		sed -n '/"summary"/,/}/p' "$work/$label.out" >&2
		exit 1
	fi
	after=$(stats)
	if [[ $record == 1 ]]; then
		echo "tokens=$(($(get token "$after") - $(get token "$before"))) posts=$(($(get posts "$after") - $(get posts "$before"))) other=$(($(get other "$after") - $(get other "$before")))" >>"$work/$label.reqs"
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

floor_cmd=("$work/floor" -fleet "$work/floor.txt" -concurrency 32)
check_cmd=("$work/mcpwatch" check --config "$work/config.yaml" --output json)

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

mb() { awk '{printf "%.1f", $1 / 1024}'; }
echo
echo "== $n servers, $pairs pairs; $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo); $(go env GOVERSION); commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); open-file limit $nofile"
echo "load average (1, 5, 15 min) before $load_start, after $load_end, on $(nproc) cores: above that, other work shared the CPU"
printf '%-5s %9s %9s %10s %10s %10s %8s %8s\n' pair floor_s floor_MB mcpwatch_s mcpwatch_MB cpu_s tokens posts
paste -d ' ' "$work/floor.times" "$work/mcpwatch.times" "$work/mcpwatch.reqs" | {
	p=0
	while read -r line; do
		p=$((p + 1))
		# Both report lines share keys: the floor's come first.
		read -r -a f <<<"$line"
		printf '%-5s %9.3f %9s %10.3f %10s %10.2f %8s %8s\n' "$p" \
			"${f[0]#wall_s=}" "$(mb <<<"${f[1]#maxrss_kb=}")" "${f[5]#wall_s=}" "$(mb <<<"${f[6]#maxrss_kb=}")" \
			"$(awk -v u="${f[7]#user_s=}" -v s="${f[8]#sys_s=}" 'BEGIN {print u + s}')" "${f[10]#tokens=}" "${f[11]#posts=}"
	done
}
floor_s=$(col "$work/floor.times" wall_s | median)
check_s=$(col "$work/mcpwatch.times" wall_s | median)
ratio=$(awk -v a="$check_s" -v b="$floor_s" 'BEGIN {printf "%.2f", a / b}')
check_rss=$(col "$work/mcpwatch.times" maxrss_kb | median | mb)
check_rss_max=$(col "$work/mcpwatch.times" maxrss_kb | sort -g | tail -n 1 | mb)
floor_rss=$(col "$work/floor.times" maxrss_kb | median | mb)
check_cpu=$(while read -r line; do awk -v u="$(get user_s "$line")" -v s="$(get sys_s "$line")" 'BEGIN {print u + s}'; done <"$work/mcpwatch.times" | median)
floor_cpu=$(while read -r line; do awk -v u="$(get user_s "$line")" -v s="$(get sys_s "$line")" 'BEGIN {print u + s}'; done <"$work/floor.times" | median)
tokens=$(col "$work/mcpwatch.reqs" tokens | median)
floor_tokens=$(col "$work/floor.reqs" tokens | median)
posts=$(col "$work/mcpwatch.reqs" posts | median)
validate_s=$(col "$work/validate.times" wall_s | median)
validate_rss=$(col "$work/validate.times" maxrss_kb | median | mb)
echo
echo "floor     median ${floor_s}s, peak RSS ${floor_rss} MB, CPU ${floor_cpu}s ($(awk -v c="$floor_cpu" -v n="$n" 'BEGIN {printf "%.3f", c * 1000 / n}') ms/server), token requests ${floor_tokens}"
echo "mcpwatch  median ${check_s}s ($(awk -v t="$check_s" -v n="$n" 'BEGIN {printf "%.0f", n / t}') probes/s), peak RSS ${check_rss} MB (max ${check_rss_max}), CPU ${check_cpu}s ($(awk -v c="$check_cpu" -v n="$n" 'BEGIN {printf "%.3f", c * 1000 / n}') ms/server), token requests ${tokens}, POSTs $(awk -v p="$posts" -v n="$n" 'BEGIN {printf "%.2f", p / n}')/server"
echo "ratio     mcpwatch/floor ${ratio}x (medians)"
echo "validate  mcpwatch config validate: median ${validate_s}s, peak RSS ${validate_rss} MB"
echo "fleet     peak RSS $(mb <<<"$fleet_hwm") MB (the fleet process, for reference)"
echo "RESULT n=$n pairs=$pairs floor_s=$floor_s mcpwatch_s=$check_s ratio=$ratio mcpwatch_rss_mb=$check_rss mcpwatch_rss_max_mb=$check_rss_max floor_rss_mb=$floor_rss tokens=$tokens validate_s=$validate_s validate_rss_mb=$validate_rss"
