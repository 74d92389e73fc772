#!/usr/bin/env bash
# A Tiered primary with KEYS keys of mixed types (40% strings, 15% hashes, 15% lists, 10% sets, 10% sorted sets, 10%
# streams; every tenth key with a TTL), its --maxmemory at a tenth of the data, and two Tiered replicas with the
# same budget: the time from REPLICAOF to both replicas in sync, the snapshot's size and rate, and whether each
# replica's data equals the primary's (DEBUG DIGEST over every database: Redis's digest of every key's type, value
# and TTL; and DBSIZE).
#
#   benchmarks/replication-full-sync.sh [keys]          e.g. benchmarks/replication-full-sync.sh 1000000
#
# Needs redis-cli (Debian: redis-tools) and a Release build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KEYS=${1:-1000000}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
P=${PPORT:-17801}; R1=$((P + 1)); R2=$((P + 2))
DIR=$(mktemp -d /tmp/tiered-fullsync-XXXX)
MAXMEM=${MAXMEM:-$((KEYS * 16))}   # about a tenth of the data (the keys, values and overheads below: ~160 B a key)
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DIR"' EXIT
start() { # port dir [replicaof]
  mkdir -p "$2"
  dotnet "$DLL" --port "$1" --bind 127.0.0.1 --ssd-path "$2" --maxmemory "$MAXMEM" --enable-debug-command yes >"$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server on $1 did not start"; exit 1
}
start "$P" "$DIR/p"
python3 - "$KEYS" <<'PY' | redis-cli -p "$P" --pipe >/dev/null
import sys
n = int(sys.argv[1]); out = sys.stdout.buffer
def cmd(*a):
    b = [x if isinstance(x, bytes) else str(x).encode() for x in a]
    out.write(b"*%d\r\n" % len(b) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in b))
for i in range(n):
    k = "key:%d" % i; m = i % 20
    if m < 8: cmd("SET", k, ("value-%d-" % i) * 6)
    elif m < 11: cmd("HSET", k, "f1", "v%d" % i, "f2", "w%d" % i, "f3", "x", "f4", "y", "f5", "z")
    elif m < 14: cmd("RPUSH", k, "a%d" % i, "b", "c", "d", "e")
    elif m < 16: cmd("SADD", k, "m%d" % i, "n", "o", "p", "q")
    elif m < 18: cmd("ZADD", k, 1, "a%d" % i, 2, "b", 3, "c", 4, "d", 5, "e")
    else:
        for j in range(5): cmd("XADD", k, "%d-%d" % (i + 1, j + 1), "f", "v%d" % j)
    if i % 10 == 0: cmd("EXPIRE", k, 3600 + i)
PY
keys=$(redis-cli -p "$P" dbsize)
echo "primary: $keys keys, maxmemory $MAXMEM, $(redis-cli -p "$P" info tiering | grep -E '^tier_(hot|cold)_keys' | tr -d '\r' | tr '\n' ' ')"
start "$R1" "$DIR/r1"; start "$R2" "$DIR/r2"
t0=$(date +%s.%N)
redis-cli -p "$R1" replicaof 127.0.0.1 "$P" >/dev/null
redis-cli -p "$R2" replicaof 127.0.0.1 "$P" >/dev/null
for r in "$R1" "$R2"; do
  until [ "$(redis-cli -p "$r" info replication | tr -d '\r' | grep -c '^master_link_status:up')" = 1 ]; do sleep 0.1; done
done
t1=$(date +%s.%N)
bytes=$(grep -ho 'snapshot of [0-9]* bytes' "$DIR/p.log" | head -1 | grep -o '[0-9]*' || echo 0)
secs=$(echo "$t1 - $t0" | bc)
echo "both replicas in sync after ${secs} s; snapshot ${bytes} bytes ($(echo "scale=1; $bytes / 1048576 / $secs" | bc) MB/s per replica sent)"
pd=$(redis-cli -p "$P" debug digest); pk=$(redis-cli -p "$P" dbsize)
for r in "$R1" "$R2"; do
  rd=$(redis-cli -p "$r" debug digest); rk=$(redis-cli -p "$r" dbsize)
  echo "replica $r: dbsize $rk (primary $pk), digest $([ "$rd" = "$pd" ] && echo equal || echo DIFFERENT) ($rd), $(redis-cli -p "$r" info tiering | grep -E '^tier_(hot|cold)_keys' | tr -d '\r' | tr '\n' ' ')"
done
