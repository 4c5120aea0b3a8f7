#!/usr/bin/env bash
# What `mcpwatch serve` costs at fleet scale once the fleet is idle (issue 12:
# 10 SSH viewers on 10,000 servers under 5 % of one core, under 150 MB;
# docs/performance.md). Starts the bench fleet (scripts/benchfleet), then
# `mcpwatch serve` over it with --ssh, --metrics and --state-dir, the
# fleet's config with `interval: 1h` so that after the first sweep nothing is
# checked; opens VIEWERS ssh sessions (160x48, in a tmux server of its own),
# waits for the first sweep (counted on /metrics), and then, for SECONDS with
# nobody scraping or typing, reads serve's CPU from /proc. Prints the share of
# one core, VmRSS and VmHWM (the peak, the first sweep and its /metrics
# polling included).
#
# Usage: scripts/measure-serve.sh [N] [VIEWERS] [SECONDS]   (10000 10 30)
# Needs ssh, tmux, curl and ss; loopback only; everything it starts is stopped
# at exit. With PROFILE_DIR=DIR, serve is built with -tags pprof (cmd/pprof.go)
# and DIR gets cpu.pprof (the idle window), heap.pprof (after it: in-use and
# everything allocated since start), memstats.txt, serve's log and the
# binary, for go tool pprof. INTERVAL (default 1h) is the fleet's interval:
# with one shorter than the sweep plus SECONDS, the window is not idle but a
# fleet checked continuously (the steady state), and VmHWM its peak. With
# FILL=SECONDS the fleet is first checked back to back (interval 1s) for
# that long after the first sweep, which fills every server's history, then
# switched to INTERVAL by a config reload; VmHWM is reset at the switch.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
viewers=${2:-10}
secs=${3:-30}
[[ $n =~ ^[0-9]+$ && $viewers =~ ^[0-9]+$ && $secs =~ ^[0-9]+$ && $n -ge 1 && $secs -ge 1 ]] ||
	{ echo "usage: scripts/measure-serve.sh [N] [VIEWERS] [SECONDS]" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/measure-serve.XXXXXX")
fleet_pid= serve_pid= sock=mcpwatch-serve-$$
cleanup() {
	tmux -L "$sock" kill-server 2>/dev/null || true
	for pid in $serve_pid $fleet_pid; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
# free_port prints a port below the ephemeral range that no socket uses
# (the machine is shared: a fixed or pid-derived port may be taken, and a
# fleet's connections take ephemeral ports).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		[[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] && { echo "$p"; return; }
	done
}
tags=() pprof_port=
if [[ -n ${PROFILE_DIR:-} ]]; then
	mkdir -p "$PROFILE_DIR"
	tags=(-tags pprof) pprof_port=$(free_port)
fi
go build "${tags[@]}" -o "$work/" . && go build -o "$work/" ./scripts/benchfleet
MCPWATCH_BENCH_SECRET=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export MCPWATCH_BENCH_SECRET

"$work/benchfleet" -n "$n" -dir "$work" -lifetime 1h >"$work/fleet.log" 2>&1 &
fleet_pid=$!
for ((i = 0; i < 600; i++)); do
	grep -q '^ready' "$work/fleet.log" 2>/dev/null && break
	kill -0 "$fleet_pid" 2>/dev/null || { cat "$work/fleet.log" >&2; exit 1; }
	sleep 0.5
done
fill=${FILL:-0}
[[ $fill =~ ^[0-9]+$ ]] || { echo "FILL must be a number of seconds" >&2; exit 2; }
config_with() { { printf 'defaults:\n  interval: %s\n' "$1"; cat "$work/config.yaml"; } >"$work/next.yaml" && mv "$work/next.yaml" "$work/idle.yaml"; }
if ((fill > 0)); then config_with 1s; else config_with "${INTERVAL:-1h}"; fi

ssh-keygen -q -t ed25519 -N '' -f "$work/viewer" >/dev/null
cp "$work/viewer.pub" "$work/authorized_keys"
ssh_port=$(free_port) metrics_port=$(free_port)
MCPWATCH_PPROF=${pprof_port:+127.0.0.1:$pprof_port} "$work/mcpwatch" serve --config "$work/idle.yaml" --ssh "127.0.0.1:$ssh_port" --host-key "$work/host_key" \
	--authorized-keys "$work/authorized_keys" --metrics "127.0.0.1:$metrics_port" --state-dir "$work/state" \
	--max-sessions "$((viewers + 1))" >"$work/serve.log" 2>&1 &
serve_pid=$!
# The viewers connect once serve listens (it loads the config first: on a
# busy machine that takes more than a moment, and an ssh that fails to
# connect closes its tmux window).
for ((i = 0; i < 240; i++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$ssh_port") 2>/dev/null && break
	kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
	sleep 0.25
done
viewer="ssh -tt -p $ssh_port -i $work/viewer -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null 127.0.0.1"
for ((v = 0; v < viewers; v++)); do
	if ((v == 0)); then
		tmux -L "$sock" new -d -s v -x 160 -y 48 "$viewer"
	else
		tmux -L "$sock" new-window -t v "$viewer"
	fi
	sleep 0.5 # sshserver admits 8 unauthenticated connections per source at a time
done

checks=0
for ((i = 0; i < 900; i++)); do
	checks=$(curl -s "127.0.0.1:$metrics_port/metrics" | awk '/^mcpwatch_checks_total/ {s += $2} END {printf "%d", s}')
	((checks >= n)) && break
	kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
	sleep 1
done
ticks() { awk '{print $14 + $15}' "/proc/$serve_pid/stat"; }
hz=$(getconf CLK_TCK)
echo "first sweep of $n servers done after about ${i}s; serve's CPU so far (start, config, sweep): $(awk -v c="$(ticks)" -v hz="$hz" 'BEGIN {printf "%.2f", c / hz}') s"
sleep 5 # the last results reach every view and the store
if ((fill > 0)); then
	# Every server checked again and again for FILL seconds fills its
	# history (60 results); then the fleet goes to INTERVAL (a reload keeps
	# the history) and the peak is counted afresh from there.
	sleep "$fill"
	config_with "${INTERVAL:-1h}"
	sleep 3 # serve reads its config file every second
	echo 5 >"/proc/$serve_pid/clear_refs" # VmHWM starts again from VmRSS
	echo "history filled: $(curl -s "127.0.0.1:$metrics_port/metrics" | awk '/^mcpwatch_checks_total/ {s += $2} END {printf "%d", s}') checks in all; interval now ${INTERVAL:-1h}, peak counted from here"
fi

c0=$(ticks) t0=$(date +%s%N)
if [[ -n $pprof_port ]]; then
	curl -s -o "$PROFILE_DIR/cpu.pprof" "127.0.0.1:$pprof_port/debug/pprof/profile?seconds=$secs"
else
	sleep "$secs"
fi
c1=$(ticks) t1=$(date +%s%N)
if [[ -n $pprof_port ]]; then
	curl -s -o "$PROFILE_DIR/heap.pprof" "127.0.0.1:$pprof_port/debug/pprof/heap?gc=1"
	curl -s -o "$PROFILE_DIR/memstats.txt" "127.0.0.1:$pprof_port/debug/pprof/heap?debug=1"
	cp "$work/mcpwatch" "$work/serve.log" "$PROFILE_DIR/" # GODEBUG=gctrace=1 puts each collection in the log
fi
sessions=$({ tmux -L "$sock" list-windows 2>/dev/null || true; } | wc -l)
awk -v c="$((c1 - c0))" -v hz="$hz" -v iv="${INTERVAL:-1h}" -v ns="$((t1 - t0))" -v n="$n" -v v="$sessions" -v s="$secs" \
	'BEGIN {printf "serve, %d servers, interval %s, %d ssh viewers, %ds after the first sweep: %.1f %% of one core\n", n, iv, v, s, 100 * c / hz / (ns / 1e9)}'
grep -E 'VmRSS|VmHWM' "/proc/$serve_pid/status" | tr -s ' \t' ' ' | paste -sd ' '
