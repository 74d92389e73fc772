#!/usr/bin/env bash
# Tiered vs redis-server with redis-benchmark, alternating servers round by round (A B A B ...), medians and ratios.
# Each round also reports each server's CPU time (user + system, from /proc/PID/stat) per request: at pipeline 1 the
# rate is bound by round trips and swings with the machine's noise, the CPU a request costs much less so.
#
#   benchmarks/redis-benchmark-vs-redis.sh [rounds] [pipeline...]
#   e.g. benchmarks/redis-benchmark-vs-redis.sh 5 16 1
#
#   AOF=everysec benchmarks/redis-benchmark-vs-redis.sh 5 16 1   (both servers log writes, fsync every second)
#   PEER_DLL=/tmp/before/tiered-server.dll benchmarks/redis-benchmark-vs-redis.sh 5 16 1
#     (the peer is another Tiered build instead of redis-server: this build against an earlier one, e.g. before a
#     refactoring, with the same options; the columns then read "tiered" = this build, "redis" = the peer)
#
# Like with like: AOF=no (default) runs both servers with persistence off (Tiered --appendonly no; redis --save ''
# --appendonly no); AOF=everysec or AOF=always runs both with the log on and that fsync policy (Tiered's log in a temp
# dir, Redis's AOF in another). Needs redis-server and redis-benchmark
# (Debian packages redis-server, redis-tools) and a Release build (dotnet build -c Release).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-5}; shift || true
PIPES=("${@:-16 1}"); PIPES=(${PIPES[@]})
N16=${N16:-2000000}; N1=${N1:-300000}
TPORT=${TPORT:-16379}; RPORT=${RPORT:-16380}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null

AOF=${AOF:-no}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/redis-benchmark-vs-redis.XXXXXX"); mkdir -p "$TMP/tiered" "$TMP/redis"
if [ "$AOF" = no ]; then TLOG=(--appendonly no); RLOG=(--appendonly no)
else TLOG=(--appendonly yes --appendfsync "$AOF" --dir "$TMP/tiered"); RLOG=(--appendonly yes --appendfsync "$AOF"); fi
dotnet "$DLL" --port "$TPORT" --bind 127.0.0.1 "${TLOG[@]}" >/tmp/tiered-bench.log 2>&1 & TPID=$!
if [ -n "${PEER_DLL:-}" ]; then
  PLOG=("${TLOG[@]}"); [ "$AOF" = no ] || PLOG=(--appendonly yes --appendfsync "$AOF" --dir "$TMP/redis")
  dotnet "$PEER_DLL" --port "$RPORT" --bind 127.0.0.1 "${PLOG[@]}" >/tmp/redis-bench.log 2>&1 & RPID=$!
else
  redis-server --port "$RPORT" --bind 127.0.0.1 --save '' "${RLOG[@]}" --dir "$TMP/redis" --daemonize no \
    >/tmp/redis-bench.log 2>&1 & RPID=$!
fi
cleanup() { kill "$TPID" "$RPID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
for p in "$TPORT" "$RPORT"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.2; done
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of a process, in clock ticks
bench() { # port pid pipeline n -> "SET GET" requests/s, then "SETcpu GETcpu" server CPU microseconds per request
  local t op out c0 c1 rps=() cpu=()
  for op in set get; do
    c0=$(cpu_ticks "$2")
    out=$(timeout 300 redis-benchmark -p "$1" -t "$op" -n "$4" -r 1000000 -d 100 -c 50 -P "$3" -q 2>/dev/null \
      | tr '\r' '\n' | awk '/requests per second/ {print $2}' | tail -1)
    c1=$(cpu_ticks "$2")
    rps+=("$out"); cpu+=("$(echo "($c1 - $c0) * 1000000 / $(getconf CLK_TCK) / $4" | bc -l)")
  done
  printf "%s %s %.1f %.1f" "${rps[0]}" "${rps[1]}" "${cpu[0]}" "${cpu[1]}"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "redis-benchmark -t set|get -r 1000000 -d 100 -c 50; appendfsync $AOF; $ROUNDS rounds, alternating; $(nproc) cores; $(redis-server --version | cut -d' ' -f3)"
echo "  each round: requests/s SET GET, then server CPU (user+system) microseconds per request SET GET"
for P in "${PIPES[@]}"; do
  N=$([ "$P" = 1 ] && echo "$N1" || echo "$N16")
  bench "$TPORT" "$TPID" "$P" 100000 >/dev/null; bench "$RPORT" "$RPID" "$P" 100000 >/dev/null   # warm-up (JIT, key space)
  : >/tmp/tb.$P; : >/tmp/rb.$P
  for r in $(seq "$ROUNDS"); do
    t=$(bench "$TPORT" "$TPID" "$P" "$N"); rr=$(bench "$RPORT" "$RPID" "$P" "$N")
    echo "  P=$P round $r: tiered $t | redis $rr"
    echo "$t" >>/tmp/tb.$P; echo "$rr" >>/tmp/rb.$P
  done
  for i in 1 2; do
    op=$([ $i = 1 ] && echo SET || echo GET)
    tm=$(awk -v c=$i '{print $c}' /tmp/tb.$P | median); rm=$(awk -v c=$i '{print $c}' /tmp/rb.$P | median)
    tc=$(awk -v c=$((i + 2)) '{print $c}' /tmp/tb.$P | median); rc=$(awk -v c=$((i + 2)) '{print $c}' /tmp/rb.$P | median)
    printf "P=%-3s %s  tiered %10.0f  redis %10.0f  ratio %.2f   CPU us/request tiered %.1f redis %.1f\n" \
      "$P" "$op" "$tm" "$rm" "$(echo "$tm / $rm" | bc -l)" "$tc" "$rc"
  done
done
