#!/usr/bin/env bash
# Measures the bytes mcpwatch writes to the terminal while nobody touches it:
# `mcpwatch demo --copies 5` (55 servers) in a 120x40 tmux pane, output teed
# with pipe-pane, counted over a window after the first sweep has settled.
# The demo fleet rechecks every 5s and one server flaps, so this is an upper
# bound for a quiet fleet. Usage: scripts/measure-idle.sh [seconds] [interval]
# (defaults 60 and 5s, the demo's own interval; 30s is the config default).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
interval=${2:-5s}
bindir=$(mktemp -d)
bin=$bindir/mcpwatch
go build -o "$bin" .
sock=mcpwatch-idle-$$
out=${MEASURE_OUT:-$(mktemp)}
trap 'tmux -L $sock kill-server 2>/dev/null || true; rm -rf "$bindir"' EXIT
tmux -L "$sock" new -d -s m -x 120 -y 40 "LANG=C.UTF-8 TERM=xterm-256color $bin demo --copies 5 --interval $interval"
sleep 8 # first sweep and settling
: > "$out" # a reused MEASURE_OUT must not count an earlier run
tmux -L "$sock" pipe-pane -t m "cat >> $out"
sleep "$secs"
tmux -L "$sock" pipe-pane -t m
bytes=$(wc -c < "$out")
echo "idle output: $bytes bytes in ${secs}s = $((bytes / secs)) B/s = $((bytes * 60 / secs)) B/min (55 servers checked every $interval, 120x40)"
