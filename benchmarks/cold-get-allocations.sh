#!/usr/bin/env bash
# Managed bytes the server allocates per cold GET: 300,000 keys of 1 KB against --maxmemory 32mb (most keys cold),
# uniform GETs at 64 clients (Tiered.LoadGen) after a warm-up run; INFO's dotnet_total_allocated_bytes, tier_cold_hits,
# tier_rejected_promotions (served from the record, key left cold) and tier_promotions (key brought into DRAM, which
# allocates its key and value) before and after a 5 s run.
#   benchmarks/cold-get-allocations.sh [server args...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
GEN=benchmarks/Tiered.LoadGen/bin/Release/net10.0/Tiered.LoadGen.dll
rm -rf /tmp/al; mkdir -p /tmp/al
dotnet $DLL --port 7012 --bind 127.0.0.1 --ssd-path /tmp/al/ssd --maxmemory 32mb "$@" >/tmp/al.log 2>&1 & P=$!
for _ in $(seq 100); do redis-cli -p 7012 ping >/dev/null 2>&1 && break; sleep 0.2; done
dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --load --requests 1 --clients 16 --pipeline 32 >/dev/null 2>&1
sleep 4
dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --dist uniform --reads 1.0 --clients 64 --warmup 1s --duration 3s >/dev/null 2>&1
info() { redis-cli -p 7012 info all | tr -d '\r' | grep -E "^$1:" | cut -d: -f2; }
a0=$(info dotnet_total_allocated_bytes); g0=$(redis-cli -p 7012 info commandstats | tr -d '\r' | grep cmdstat_get: | sed 's/.*calls=\([0-9]*\).*/\1/'); c0=$(info tier_cold_hits); r0=$(info tier_rejected_promotions); p0=$(info tier_promotions); s0=$(info tier_sync_reads)
dotnet $GEN run --port 7012 --keys 300000 --value-size 1024 --dist uniform --reads 1.0 --clients 64 --warmup 0s --duration 5s 2>&1 | grep -E "^GET " | head -1
a1=$(info dotnet_total_allocated_bytes); g1=$(redis-cli -p 7012 info commandstats | tr -d '\r' | grep cmdstat_get: | sed 's/.*calls=\([0-9]*\).*/\1/'); c1=$(info tier_cold_hits); r1=$(info tier_rejected_promotions); p1=$(info tier_promotions); s1=$(info tier_sync_reads)
echo "cold hits $((c1-c0)) rejected $((r1-r0)) promotions $((p1-p0)) sync reads $((s1-s0)) allocated $((a1-a0)) B = $(( (a1-a0) / (c1-c0) )) B per cold hit"
redis-cli -p 7012 info all | tr -d "\r" | grep -E "^tier_(recycled|promotions|demotions)"
kill $P; wait $P 2>/dev/null || true
