#!/usr/bin/env bash
# Managed bytes the server allocates per cold GET: 300,000 keys of 1 KB against --maxmemory 32mb (most keys cold),
# uniform GETs at 64 clients (Tiered.LoadGen) after a warm-up run. INFO's dotnet_total_allocated_bytes, tier_cold_hits,
# tier_rejected_promotions (served from the record, key left cold), tier_promotions (key brought into DRAM) and
# tier_recycled_arrays (its arrays taken from demoted keys) are read in one INFO call before and after each run.
# Each run also pays a fixed cost (64 connections with their buffers, the INFO replies), so two runs of different
# lengths are measured and the difference between them, per extra cold hit, is the cost of a cold GET itself.
#   benchmarks/cold-get-allocations.sh [server args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
GEN=benchmarks/Tiered.LoadGen/bin/Release/net10.0/Tiered.LoadGen.dll
rm -rf /tmp/al; mkdir -p /tmp/al
dotnet $DLL --port 7012 --bind 127.0.0.1 --ssd-path /tmp/al/ssd --maxmemory 32mb "$@" >/tmp/al.log 2>&1 & P=$!
trap 'kill $P 2>/dev/null; wait $P 2>/dev/null || true' EXIT
for _ in $(seq 100); do redis-cli -p 7012 ping >/dev/null 2>&1 && break; sleep 0.2; done
dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --load --requests 1 --clients 16 --pipeline 32 >/dev/null 2>&1
sleep 4
dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --dist uniform --reads 1.0 --clients 64 --warmup 1s --duration 3s >/dev/null 2>&1
# One INFO call: allocated bytes, cold hits, rejected promotions, promotions, recycled arrays, sync reads.
stats() {
  redis-cli -p 7012 info all | tr -d '\r' | awk -F: '
    $1=="dotnet_total_allocated_bytes"{a=$2} $1=="tier_cold_hits"{c=$2} $1=="tier_rejected_promotions"{r=$2}
    $1=="tier_promotions"{p=$2} $1=="tier_recycled_arrays"{y=$2} $1=="tier_sync_reads"{s=$2}
    END{print a, c, r, p, y, s}'
}
declare -a A C
for run in 1 2; do
  secs=$((run == 1 ? 3 : 9))
  read -r a0 c0 r0 p0 y0 s0 < <(stats)
  dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --dist uniform --reads 1.0 --clients 64 --warmup 0s --duration ${secs}s 2>&1 | grep -E "^GET " | head -1
  read -r a1 c1 r1 p1 y1 s1 < <(stats)
  A[$run]=$((a1 - a0)); C[$run]=$((c1 - c0))
  echo "run $run (${secs} s): cold hits $((c1-c0)) rejected $((r1-r0)) promotions $((p1-p0)) recycled arrays $((y1-y0)) sync reads $((s1-s0)) allocated $((a1-a0)) B = $(( (a1-a0) / (c1-c0) )) B per cold hit"
done
echo "marginal: $((A[2] - A[1])) B over $((C[2] - C[1])) more cold hits = $(python3 -c "print(f'{(${A[2]} - ${A[1]}) / max(1, ${C[2]} - ${C[1]}):.2f}')") B per cold GET"
