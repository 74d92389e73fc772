#!/usr/bin/env bash
# Context switches and CPU of each server thread over uniform cold GETs: 1,000,000 keys of 1 KB against
# --maxmemory 64mb, redis-benchmark -t get -r 1000000 -c 64 -P 1 (150,000 warm-up GETs, then N measured), with
# voluntary and involuntary switches and CPU ticks (1/100 s) per thread from /proc/PID/task/*/status and stat.
# Shows which threads wake up per request (the AIO reaper, the demoter) and how often the network thread is preempted.
#   benchmarks/thread-switches.sh [requests] [server args...]      (default 300000)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${1:-300000}; shift || true
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
GEN=benchmarks/Tiered.LoadGen/bin/Release/net10.0/Tiered.LoadGen.dll
DIR=/tmp/thread-switches; PORT=7005
rm -rf "$DIR"; mkdir -p "$DIR"
dotnet $DLL --port $PORT --bind 127.0.0.1 --ssd-path "$DIR/ssd" --maxmemory 64mb "$@" >"$DIR/server.log" 2>&1 & P=$!
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null || true; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.2; done
dotnet $GEN run --port $PORT --keys 1000000 --key-prefix key:000000 --value-size 1024 --load --requests 1 --clients 16 --pipeline 32 >/dev/null 2>&1
sleep 5
redis-benchmark -p $PORT -t get -r 1000000 -c 64 -P 1 -n 150000 -q >/dev/null 2>&1
# tid, name, voluntary switches, involuntary switches, CPU ticks
snap() {
  for t in /proc/$P/task/*; do
    echo "$(basename "$t") $(tr ' ' '_' <"$t/comm" 2>/dev/null) $(awk '/^voluntary_ctxt/ {v=$2} /^nonvoluntary_ctxt/ {n=$2} END {print v, n}' "$t/status" 2>/dev/null) $(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)"
  done | sort
}
snap >"$DIR/s0"
redis-benchmark -p $PORT -t get -r 1000000 -c 64 -P 1 -n "$N" --csv | tail -1
snap >"$DIR/s1"
join "$DIR/s0" "$DIR/s1" | awk 'NF == 9 { dv = $7 - $3; dn = $8 - $4; dc = $9 - $5; if (dv + dn > 100 || dc > 5) print $2, "voluntary", dv, "involuntary", dn, "cpu_ticks", dc }'
