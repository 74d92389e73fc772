#!/usr/bin/env bash
# Uniform cold GETs through the server against the raw disk, in one run, alternating round by round:
#   fio      4 KB random reads, O_DIRECT, libaio, iodepth 64, in the same directory
#   tiered   1,000,000 keys of 1 KB against --maxmemory 64mb (about 94 % of the keys cold), 64 clients, pipeline 1,
#            100 % GET, uniform over every key (Tiered.LoadGen run --dist uniform --reads 1.0)
#   tiered-threads  the same with --ssd-async-reads no (cold reads on blocking I/O threads)
#   dram     the same load with no --maxmemory and no --ssd-path (every key in DRAM): the rate and latency this
#            machine gives 64 clients at pipeline 1 with no device at all, the floor for the tiered rows
#
#   benchmarks/uniform-cold-get-vs-fio.sh [rounds] [config...]     e.g. benchmarks/uniform-cold-get-vs-fio.sh 2 fio tiered
# CLIENT=redis-benchmark measures with redis-benchmark -t get -r KEYS -c 64 -P 1 (WARMUP_REQUESTS, then REQUESTS
# measured; its own percentiles) on keys LoadGen loaded under redis-benchmark's key names; the default client is LoadGen.
# Environment: KEYS (1000000), DURATION (20s), WARMUP (5s), PORT (7004), DIR (/tmp/uniform-bench). Needs fio, jq.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROUNDS=${1:-2}; shift || true
CONFIGS=("${@:-fio tiered tiered-threads}"); CONFIGS=(${CONFIGS[@]})
CLIENT=${CLIENT:-loadgen}; REQUESTS=${REQUESTS:-600000}; WARMUP_REQUESTS=${WARMUP_REQUESTS:-150000}
KEYS=${KEYS:-1000000}; DURATION=${DURATION:-20s}; WARMUP=${WARMUP:-5s}; PORT=${PORT:-7004}; DIR=${DIR:-/tmp/uniform-bench}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
GEN=benchmarks/Tiered.LoadGen/bin/Release/net10.0/Tiered.LoadGen.dll
command -v fio >/dev/null || { echo "fio missing: apt-get install -y fio" >&2; exit 1; }
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
[ -f "$GEN" ] || dotnet build benchmarks/Tiered.LoadGen -c Release >/dev/null
SPID=
# gen0 collections, gen2 collections, milliseconds paused for GC so far (Tiered's INFO memory)
gc_stats() { redis-cli -p "$PORT" info memory | tr -d '\r' | awk -F: '/^dotnet_gc_gen0_collections/ {a=$2} /^dotnet_gc_gen2_collections/ {b=$2} /^dotnet_gc_pause_ms/ {c=$2} END {print a, b, c}'; }
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$DIR"; }
trap cleanup EXIT
mkdir -p "$DIR"
echo "uniform GET, 64 clients, pipeline 1, $KEYS keys of 1 KB, --maxmemory 64mb, warmup $WARMUP, measured $DURATION; fio 4 KB randread iodepth 64; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"
for r in $(seq "$ROUNDS"); do
  for c in "${CONFIGS[@]}"; do
    if [ "$c" = fio ]; then
      fio --name=randread --filename="$DIR/fio.dat" --size=1G --rw=randread --bs=4k --direct=1 --ioengine=libaio \
        --iodepth=64 --runtime="${DURATION%s}" --time_based --output-format=json >"$DIR/fio.json" 2>/dev/null
      jq -r '.jobs[0] | "round '"$r"' fio: \(.read.iops | floor) reads/s, p50 \(.read.clat_ns.percentile["50.000000"] / 1000 | floor) us, p99 \(.read.clat_ns.percentile["99.000000"] / 1000 | floor) us, CPU usr \(.usr_cpu | floor) % sys \(.sys_cpu | floor) %"' "$DIR/fio.json"
      continue
    fi
    rm -rf "$DIR/ssd"
    args=(--ssd-path "$DIR/ssd" --maxmemory 64mb)
    [ "$c" = tiered-threads ] && args+=(--ssd-async-reads no)
    [ "$c" = dram ] && args=()
    dotnet "$DLL" --port "$PORT" --bind 127.0.0.1 "${args[@]}" >/tmp/uniform-server.log 2>&1 & SPID=$!
    for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
    if [ "$CLIENT" = redis-benchmark ]; then
      # Keys named as redis-benchmark -r 1000000 names them (key: and 12 digits), values half random as LoadGen makes them.
      dotnet "$GEN" run --port "$PORT" --keys "$KEYS" --key-prefix key:000000 --value-size 1024 --load --requests 1 \
        --clients 16 --pipeline 32 >/dev/null 2>&1
      sleep 5   # demotion settles
      redis-benchmark -p "$PORT" -t get -r "$KEYS" -c 64 -P 1 -n "$WARMUP_REQUESTS" -q >/dev/null 2>&1
      gc0=$(gc_stats)
      t0=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
      csv=$(redis-benchmark -p "$PORT" -t get -r "$KEYS" -c 64 -P 1 -n "$REQUESTS" --csv 2>/dev/null | tail -1)
      t1=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
      gc1=$(gc_stats)
      counters=$(redis-cli -p "$PORT" info | tr -d '\r' | grep -E "^tier_(promotions|rejected_promotions|demotions|sync_reads):" | tr '\n' ' ')
      hot=$(redis-cli -p "$PORT" info | awk -F: '/^tier_hot_hit_ratio/ {print $2}' | tr -d '\r')
      # "GET","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      echo "$csv" | tr -d '"' | awk -F, -v r="$r" -v c="$c" -v hot="$hot" -v cpu="$(( (t1 - t0) * 10 ))" -v n="$REQUESTS" \
        '{ printf "round %s %s: redis-benchmark GET %d requests, %.0f/s, mean %.3f ms, p50 %.3f ms, p95 %.3f ms, p99 %.3f ms, max %.3f ms | hot hit ratio: %s | server CPU %d ms, %.1f us per GET", r, c, n, $2, $3, $5, $6, $7, $8, hot, cpu, cpu * 1000 / n }'
      echo "$gc0 $gc1" | awk -v counters="$counters" '{ printf " | GC gen0 %d gen2 %d, paused %d ms | since start: %s\n", $4 - $1, $5 - $2, $6 - $3, counters }'
    else
      dotnet "$GEN" run --port "$PORT" --keys "$KEYS" --value-size 1024 --load --requests 1 --clients 16 --pipeline 32 >/dev/null 2>&1
      sleep 5   # demotion settles
      t0=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
      res=$(dotnet "$GEN" run --port "$PORT" --keys "$KEYS" --value-size 1024 --dist uniform --reads 1.0 --clients 64 \
        --warmup "$WARMUP" --duration "$DURATION" 2>&1)
      t1=$(awk '{print $14 + $15}' "/proc/$SPID/stat")
      line=$(echo "$res" | awk '/^GET / && !/misses/ {print}'); hot=$(echo "$res" | awk '/hot hit ratio/ {print $4}')
      echo "round $r $c: $line | hot hit ratio: $hot % | server CPU over warmup+run $(( (t1 - t0) * 10 )) ms"
    fi
    kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
  done
done
