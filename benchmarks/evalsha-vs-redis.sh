#!/usr/bin/env bash
# EVALSHA of the lock-release script, Tiered vs redis-server, with redis-benchmark (50 clients), alternating servers
# round by round; medians and the ratio Tiered/Redis per pipeline depth. Persistence off on both (the script only
# reads: the token does not match, so the lock stays, as a contended lock's release attempts do).
#
#   benchmarks/evalsha-vs-redis.sh [rounds] [pipeline...]      e.g. benchmarks/evalsha-vs-redis.sh 5 1 16
#
# Needs redis-server and redis-benchmark (Debian: redis-server, redis-tools) and a Release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-5}; shift || true
PIPES=("${@:-1 16}"); PIPES=(${PIPES[@]})
N1=${N1:-200000}; N16=${N16:-1000000}
TPORT=${TPORT:-16379}; RPORT=${RPORT:-16380}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
SCRIPT="if redis.call('get',KEYS[1]) == ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end"

dotnet "$DLL" --port "$TPORT" --bind 127.0.0.1 --appendonly no >/tmp/tiered-evalsha.log 2>&1 & TPID=$!
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >/tmp/redis-evalsha.log 2>&1 & RPID=$!
trap 'kill $TPID $RPID 2>/dev/null || true; wait 2>/dev/null || true' EXIT
for p in "$TPORT" "$RPORT"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -p "$p" set lock:order:1 owner-a >/dev/null
  SHA=$(redis-cli -p "$p" script load "$SCRIPT")
  [ "$(redis-cli -p "$p" evalsha "$SHA" 1 lock:order:1 owner-b)" = 0 ] || { echo "script check failed on $p"; exit 1; }
done

bench() { # port pipeline n -> requests/s
  timeout 300 redis-benchmark -p "$1" -n "$3" -c 50 -P "$2" -q evalsha "$SHA" 1 lock:order:1 owner-b 2>/dev/null \
    | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | awk '{print $1}' | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "redis-benchmark -c 50 evalsha <lock release> 1 lock:order:1 owner-b; $ROUNDS rounds, alternating; $(nproc) cores; $(redis-server --version | cut -d' ' -f3)"
for P in "${PIPES[@]}"; do
  N=$N1; [ "$P" -gt 1 ] && N=$N16
  T=(); R=(); RATIOS=()
  for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then t=$(bench "$TPORT" "$P" "$N"); x=$(bench "$RPORT" "$P" "$N")
    else x=$(bench "$RPORT" "$P" "$N"); t=$(bench "$TPORT" "$P" "$N"); fi
    T+=("$t"); R+=("$x"); RATIOS+=("$(echo "$t / $x" | bc -l)")
    printf "  P%-3s round %d: tiered %10.0f  redis %10.0f  ratio %.2f\n" "$P" "$r" "$t" "$x" "${RATIOS[-1]}"
  done
  printf "P%-3s median: tiered %.0f/s  redis %.0f/s  median ratio %.2f\n" "$P" \
    "$(printf '%s\n' "${T[@]}" | median)" "$(printf '%s\n' "${R[@]}" | median)" "$(printf '%s\n' "${RATIOS[@]}" | median)"
done
