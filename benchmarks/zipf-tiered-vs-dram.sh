#!/usr/bin/env bash
# Zipf 0.99, 90 % GET, 50 clients, 1,000,000 keys of 1 KB: the same server binary all in DRAM and tiered
# (--ssd-path, --maxmemory 100mb), alternating round by round, each round on a fresh server and a fresh load.
#
#   benchmarks/zipf-tiered-vs-dram.sh [rounds] [config...]
#   configs: dram | tiered | tiered-threads (cold reads on blocking I/O threads: --ssd-async-reads no)
#   e.g. benchmarks/zipf-tiered-vs-dram.sh 3 dram tiered tiered-threads
#
# Environment: KEYS (1000000), DURATION (20s), WARMUP (10s), PORT (7003), DIR (/tmp/zipf-bench).
# Prints each round's ALL line (count, ops/s, mean, p50, p90, p99, p99.9, max in us) and hot hit ratio, then medians.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-3}; shift || true
CONFIGS=("${@:-dram tiered}"); CONFIGS=(${CONFIGS[@]})
KEYS=${KEYS:-1000000}; DURATION=${DURATION:-20s}; WARMUP=${WARMUP:-10s}; PORT=${PORT:-7003}; DIR=${DIR:-/tmp/zipf-bench}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
GEN=benchmarks/Tiered.LoadGen/bin/Release/net10.0/Tiered.LoadGen.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
[ -f "$GEN" ] || dotnet build benchmarks/Tiered.LoadGen -c Release >/dev/null
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
OUT=$(mktemp)

echo "zipf:0.99, 90 % GET, 50 clients, $KEYS keys of 1 KB, warmup $WARMUP, measured $DURATION; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$ROUNDS"); do
  for c in "${CONFIGS[@]}"; do
    rm -rf "$DIR"; mkdir -p "$DIR"
    case $c in
      dram) args=(--dir "$DIR") ;;
      tiered) args=(--ssd-path "$DIR/ssd" --maxmemory 100mb) ;;
      tiered-threads) args=(--ssd-path "$DIR/ssd" --maxmemory 100mb --ssd-async-reads no) ;;
      *) echo "unknown config $c" >&2; exit 2 ;;
    esac
    dotnet "$DLL" --port "$PORT" --bind 127.0.0.1 "${args[@]}" >/tmp/zipf-server.log 2>&1 & SPID=$!
    for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
    res=$(dotnet "$GEN" run --port "$PORT" --keys "$KEYS" --value-size 1024 --load --dist zipf:0.99 --reads 0.9 \
      --clients 50 --warmup "$WARMUP" --duration "$DURATION" 2>&1)
    line=$(echo "$res" | awk '/^ALL/ {print}'); hot=$(echo "$res" | awk '/hot hit ratio/ {print $4}')
    echo "round $r $c: $line | hot hit ratio: $hot %"
    echo "$c $(echo "$line" | awk '{gsub(",", "", $3); print $3, $7}')" >>"$OUT"
    kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
for c in "${CONFIGS[@]}"; do
  printf "%-15s median ops/s %8.0f   median p99 %8.1f us\n" "$c" \
    "$(awk -v c="$c" '$1 == c {print $2}' "$OUT" | median)" "$(awk -v c="$c" '$1 == c {print $3}' "$OUT" | median)"
done
rm -f "$OUT"
