#!/usr/bin/env bash
# DRAM per cold key, from RSS: a server with --ssd-path and --maxmemory 64mb is loaded with 2,200,000 keys of
# 100-byte values, then 1,900,000 more (both counts lie between two doublings of the index arrays, 2^21 and 2^22
# entries, so no array is reallocated between the two readings); RSS growth per 1,000,000 added keys, all of which
# end up cold (the hot tier stays at what 64 MB holds). Each reading is taken after the server has been idle 5 s
# and MEMORY PURGE (a compacting collection that returns the old, doubled-away arrays to the system).
#
#   benchmarks/rss-per-cold-key.sh [server dll]    (default: this tree's Release build)
#
# Needs redis-cli (Debian redis-tools) and python3.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DLL=${1:-src/Server/bin/Release/net10.0/tiered-server.dll}
PORT=${PORT:-16390}
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rss-per-cold-key.XXXXXX")
dotnet "$DLL" --port "$PORT" --bind 127.0.0.1 --ssd-path "$TMP/ssd" --maxmemory 64mb >"$TMP/server.log" 2>&1 & PID=$!
trap 'kill $PID 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done

load() { # from to
  python3 -c "
import sys
v = b'x' * 100
out = sys.stdout.buffer
for i in range($1, $2):
    k = b'key:%010d' % i
    out.write(b'*3\r\n\$3\r\nSET\r\n\$%d\r\n%s\r\n\$100\r\n%s\r\n' % (len(k), k, v))
" | redis-cli -p "$PORT" --pipe >/dev/null
}
reading() {
  sleep 5
  redis-cli -p "$PORT" memory purge >/dev/null
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  cold=$(redis-cli -p "$PORT" info tiering | tr -d '\r' | awk -F: '/^tier_cold_keys:/ {print $2}')
  hot=$(redis-cli -p "$PORT" info tiering | tr -d '\r' | awk -F: '/^tier_hot_keys:/ {print $2}')
  echo "$rss $cold $hot"
}
load 0 2200000;       read -r rss1 cold1 hot1 < <(reading)
load 2200000 4100000; read -r rss2 cold2 hot2 < <(reading)
echo "after 2,200,000 keys: RSS ${rss1} kB, cold ${cold1}, hot ${hot1}"
echo "after 4,100,000 keys: RSS ${rss2} kB, cold ${cold2}, hot ${hot2}"
awk -v a="$rss1" -v b="$rss2" -v c1="$cold1" -v c2="$cold2" 'BEGIN {
  printf "RSS growth per 1,000,000 added keys: %.1f MB; per added cold key: %.1f bytes\n", (b - a) / 1024 / 1.9, (b - a) * 1024 / (c2 - c1) }'
