#!/usr/bin/env bash
# A Tiered replica follows a Tiered primary through a TCP proxy; under write load (redis-benchmark, 50 clients) the
# proxy cuts the link and refuses it for CUT seconds, then lets it through again. Reports whether the replica came
# back with a partial resynchronization (+CONTINUE, the backlog's bytes only) or a full one, how many bytes it
# resent, and whether the replica ends equal to the primary (DEBUG DIGEST).
#
#   benchmarks/replication-link-drop.sh [cut seconds] [backlog]      e.g. benchmarks/replication-link-drop.sh 5 256mb
#
# The backlog must hold what the primary writes while the link is down (Redis's rule too): at ~40,000 writes/s of
# ~60 stream bytes each, 5 s is ~12 MB, more than the 1 MB default.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CUT=${1:-5}; BACKLOG=${2:-256mb}
DLL=src/Server/bin/Release/net10.0/tiered-server.dll
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null
P=${PPORT:-17821}; R=$((P + 1)); X=$((P + 2))
DIR=$(mktemp -d /tmp/tiered-linkdrop-XXXX)
pids=()
trap 'kill ${pids[@]} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$DIR"' EXIT
start() { # port dir
  mkdir -p "$2"
  dotnet "$DLL" --port "$1" --bind 127.0.0.1 --dir "$2" --repl-backlog-size "$BACKLOG" --enable-debug-command yes >"$2.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do redis-cli -p "$1" ping >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server on $1 did not start"; exit 1
}
start "$P" "$DIR/p"; start "$R" "$DIR/r"
# The proxy: forwards X -> P; after CUT_AT seconds it closes every connection and refuses new ones for CUT seconds.
python3 - "$X" "$P" 3 "$CUT" <<'PY' &
import asyncio, sys, time
listen, target, cut_at, cut_for = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
conns = []; start = time.monotonic()
def down():
    t = time.monotonic() - start
    return cut_at <= t < cut_at + cut_for
async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data); await w.drain()
    except Exception: pass
    finally: w.close()
async def handle(r, w):
    if down(): w.close(); return
    tr, tw = await asyncio.open_connection('127.0.0.1', target)
    conns.append((w, tw))
    await asyncio.gather(pipe(r, tw), pipe(tr, w))
async def cutter():
    await asyncio.sleep(cut_at)
    for a, b in conns: a.close(); b.close()
    print(f"proxy: link cut at {cut_at:.1f} s for {cut_for:.1f} s", flush=True)
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', listen)
    asyncio.create_task(cutter())
    async with srv: await srv.serve_forever()
asyncio.run(main())
PY
pids+=($!)
sleep 0.3
redis-cli -p "$R" replicaof 127.0.0.1 "$X" >/dev/null
until [ "$(redis-cli -p "$R" info replication | tr -d '\r' | grep -c '^master_link_status:up')" = 1 ]; do sleep 0.1; done
echo "replica in sync through the proxy; write load starts"
timeout 120 redis-benchmark -p "$P" -c 50 -n 600000 -r 100000 -d 50 -t set,lpush,sadd,hset -q 2>/dev/null | tr '\r' '\n' | grep -E 'requests per second' | sed 's/^ *//' || true
p_off=$(redis-cli -p "$P" info replication | tr -d '\r' | grep '^master_repl_offset' | cut -d: -f2)
until [ "$(redis-cli -p "$R" info replication | tr -d '\r' | grep '^slave_repl_offset' | cut -d: -f2)" = "$p_off" ]; do sleep 0.1; done
echo "primary offset $p_off reached by the replica"
grep -hE 'resynchronization' "$DIR/p.log" | sed 's/^.*Replica/Replica/' 
[ "$(redis-cli -p "$P" debug digest)" = "$(redis-cli -p "$R" debug digest)" ] && echo "digest equal: $(redis-cli -p "$P" debug digest)" || echo "digest DIFFERENT"
