#!/usr/bin/env bash
# Which commands and subcommands redis-server 7 has that Tiered does not answer (and the reverse), from each server's
# own COMMAND LIST plus COMMAND INFO's subcommands. Starts both on loopback ports and stops them.
#
#   benchmarks/command-list-vs-redis.sh
#
# Needs redis-server and redis-cli (Debian packages redis-server, redis-tools) and a Release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TPORT=${TPORT:-16479}; RPORT=${RPORT:-16480}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
TMP=$(mktemp -d "${TMPDIR:-/tmp}/command-list.XXXXXX")
dotnet "$DLL" --port "$TPORT" --bind 127.0.0.1 --appendonly no >"$TMP/tiered.log" 2>&1 & TPID=$!
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 & RPID=$!
cleanup() { kill "$TPID" "$RPID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
for p in "$TPORT" "$RPORT"; do
  for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.2; done
done
names() { # port -> every command and subcommand name, lower case, one per line ("client|list")
  redis-cli -p "$1" --raw COMMAND LIST | tr 'A-Z' 'a-z' | sort -u >"$TMP/top.$1"
  cat "$TMP/top.$1"
  while read -r c; do
    redis-cli -p "$1" --raw COMMAND INFO "$c" | grep -E "^${c}\|" | tr 'A-Z' 'a-z' || true
  done <"$TMP/top.$1"
}
names "$RPORT" | sort -u >"$TMP/redis"
names "$TPORT" | sort -u >"$TMP/tiered"
echo "redis-server $(redis-server --version | cut -d' ' -f3): $(wc -l <"$TMP/redis") commands and subcommands; Tiered: $(wc -l <"$TMP/tiered")"
echo "# in Redis, not in Tiered ($(comm -23 "$TMP/redis" "$TMP/tiered" | wc -l)):"
comm -23 "$TMP/redis" "$TMP/tiered" | paste -sd' ' | fold -s -w 118
echo "# in Tiered, not in Redis ($(comm -13 "$TMP/redis" "$TMP/tiered" | wc -l)):"
comm -13 "$TMP/redis" "$TMP/tiered" | paste -sd' ' | fold -s -w 118
