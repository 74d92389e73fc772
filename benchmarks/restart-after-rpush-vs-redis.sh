#!/usr/bin/env bash
# Restart after a long history of single-element writes to ONE list, Tiered vs redis-server, both with the
# append-only log on (appendfsync everysec, the default of both).
#
#   benchmarks/restart-after-rpush-vs-redis.sh
#   N=200000 ROUNDS=5 benchmarks/restart-after-rpush-vs-redis.sh
#
# For each server: start it on an empty directory, send N commands `RPUSH biglist e<i>` (i = 0..N-1) through
# redis-cli --pipe, check LLEN, wait SETTLE seconds (longer than everysec's loss window), then ROUNDS times:
# kill -9, start it again on the same directory, time it from process start to the first PING answered with
# `loading:0` in INFO persistence, and check the list element by element (LRANGE biglist 0 -1 against e0..e<N-1>).
# Each restart also prints the server's own load line: Tiered's "Log loaded: ... in X s", Redis's "DB loaded from
# append only file: X seconds". The log on disk is the history: Redis replays N RPUSH commands from its AOF (no
# rewrite runs below auto-aof-rewrite-min-size, 64 MB), Tiered replays its log (N operation records, unless
# compaction folded them into a snapshot meanwhile).
#
# Environment (defaults): N=1000000, ROUNDS=3, SETTLE=3, TPORT=16391, RPORT=16392, TARGS (extra Tiered arguments),
# RARGS (extra redis-server arguments), DLL (default the Release build, built if missing), KEEP=1 keeps the temp dir.
# Needs redis-server and redis-cli 7 (Debian packages redis-server, redis-tools), awk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
N=${N:-1000000}; ROUNDS=${ROUNDS:-3}; SETTLE=${SETTLE:-3}
TPORT=${TPORT:-16391}; RPORT=${RPORT:-16392}; TARGS=${TARGS:-}; RARGS=${RARGS:-}
DLL=${DLL:-src/Server/bin/Release/net10.0/tiered-server.dll}
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null

for p in "$TPORT" "$RPORT"; do
  if redis-cli -p "$p" ping >/dev/null 2>&1; then echo "port $p is already in use (set TPORT/RPORT)" >&2; exit 1; fi
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/restart-rpush.XXXXXX")
PID=""
cleanup() {
  if [ -n "$PID" ]; then kill -9 "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The history, as RESP, and the list it must leave.
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) { e = "e" i; printf "*3\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n$%d\r\n%s\r\n", length(e), e } }' >"$TMP/history.resp"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "e" i }' >"$TMP/expected.txt"

start_server() {   # name port -> PID, start time in ns
  local name=$1 port=$2
  if [ "$name" = tiered ]; then
    # shellcheck disable=SC2086  # TARGS is a word list on purpose
    dotnet "$DLL" --port "$port" --bind 127.0.0.1 --dir "$TMP/tiered" --ssd-path "$TMP/tiered/ssd" \
      --appendonly yes --appendfsync everysec $TARGS >>"$TMP/tiered.log" 2>&1 & PID=$!
  else
    # shellcheck disable=SC2086
    redis-server --port "$port" --bind 127.0.0.1 --dir "$TMP/redis" --appendonly yes --appendfsync everysec \
      --save "" $RARGS >>"$TMP/redis.log" 2>&1 & PID=$!
  fi
}

wait_ready() {   # port -> seconds since $T0 (ns) when PING answers and loading:0
  local port=$1
  while true; do
    if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] \
       && redis-cli -p "$port" info persistence 2>/dev/null | tr -d '\r' | grep -qx 'loading:0'; then break; fi
    if ! kill -0 "$PID" 2>/dev/null; then echo "server on port $port exited" >&2; exit 1; fi
    sleep 0.02
  done
  awk -v a="$T0" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}

load_line() {   # name -> the server's own report of its last load
  if [ "$1" = tiered ]; then grep -o 'Log loaded: .*' "$TMP/tiered.log" | tail -1
  else grep -o 'DB loaded from append only file: .*' "$TMP/redis.log" | tail -1; fi
}

check_list() {   # port -> "exact" or what differs
  redis-cli -p "$1" --raw lrange biglist 0 -1 >"$TMP/got.txt"
  if cmp -s "$TMP/got.txt" "$TMP/expected.txt"; then echo exact
  else echo "DIFFERS: $(wc -l <"$TMP/got.txt") elements, first difference: $(cmp "$TMP/got.txt" "$TMP/expected.txt" 2>&1 | head -1)"; fi
}

declare -A TIMES
fail=0
for name in tiered redis; do
  port=$TPORT; [ "$name" = redis ] && port=$RPORT
  mkdir -p "$TMP/$name"
  T0=$(date +%s%N); start_server "$name" "$port"; wait_ready "$port" >/dev/null
  t0=$(date +%s%N)
  redis-cli -p "$port" --pipe <"$TMP/history.resp" >"$TMP/$name.pipe" 2>&1
  t1=$(date +%s%N)
  len=$(redis-cli -p "$port" llen biglist | tr -d '\r')
  rate=$(awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / ((b - a) / 1e9) }')
  echo "$name: $N RPUSH through redis-cli --pipe in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }') s ($rate/s), LLEN $len"
  [ "$len" = "$N" ] || { echo "  LLEN should be $N" >&2; fail=1; }
  sleep "$SETTLE"
  for r in $(seq 1 "$ROUNDS"); do
    kill -9 "$PID"; wait "$PID" 2>/dev/null || true
    T0=$(date +%s%N); start_server "$name" "$port"
    secs=$(wait_ready "$port")
    TIMES[$name]="${TIMES[$name]:-} $secs"
    result=$(check_list "$port")
    [ "$result" = exact ] || fail=1
    echo "  restart $r: ready in $secs s; list $result; server: $(load_line "$name")"
  done
  echo "  on disk: $(du -sh "$TMP/$name" | cut -f1)"
  kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
tm=$(echo "${TIMES[tiered]}" | median); rm=$(echo "${TIMES[redis]}" | median)
echo "median restart to ready, $ROUNDS restarts each: Tiered $tm s, Redis $rm s (Tiered/Redis $(awk -v a="$tm" -v b="$rm" 'BEGIN { printf "%.2f", a / b }'))"
[ "$fail" = 0 ] && echo PASS || { echo FAIL; exit 1; }
