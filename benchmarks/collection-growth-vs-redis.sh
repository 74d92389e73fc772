#!/usr/bin/env bash
# Single-element writes into ONE collection key at two sizes of the key, Tiered vs redis-server, both with the
# append-only log on (appendfsync everysec). Servers alternate round by round (Tiered, Redis, Tiered, ...); medians,
# Tiered/Redis ratios, Tiered's big/small ratio and the log bytes written per operation.
#
#   benchmarks/collection-growth-vs-redis.sh
#   CMDS="rpush hset" SIZE_BIG=200000 ROUNDS=5 benchmarks/collection-growth-vs-redis.sh
#   DLL=/path/tiered-server.dll TARGS="--ssd-path /mnt/ssd --maxmemory 2gb" benchmarks/collection-growth-vs-redis.sh
#
# Commands (CMDS, default all; redis-benchmark expands every __rand_int__ to its own 12-digit number, -r RANDR):
#   rpush  RPUSH biglist __rand_int__                 lpush  LPUSH biglist __rand_int__
#   hset   HSET bighash n:__rand_int__ hello          sadd   SADD bigset n:__rand_int__
#   zadd   ZADD bigzset __rand_int__ n:__rand_int__
#   xadd   XADD bigstream MAXLEN ~ $XMAXLEN * user_id __rand_int__ content hello
# For each: -c 1 -P 1 at SIZE_SMALL and SIZE_BIG elements, and -c 50 -P 16 at SIZE_BIG.
#
# How the key is kept at the measured size. Both servers get the same key built the same way: DEL, then filled with
# multi-element commands through redis-cli --pipe, FILL_BATCH elements a command (RPUSH/HSET/SADD/ZADD with 1000
# elements; a stream has no multi-entry XADD, so MULTI + 1000 XADDs + EXEC). A measurement runs in chunks; before
# every chunk the key is cut back to exactly the size (LTRIM, HRANDFIELD + HDEL, SPOP count, ZPOPMAX count, XTRIM
# MAXLEN =), so a chunk starts at the size and grows it by at most one chunk. The sizes printed are the size before
# the first chunk and the size after the last one.
#
# Chunks of one client are CHUNK1 requests at both sizes (default max(CHUNK_MIN, SIZE_SMALL * DRIFT / 100)): the
# pauses between chunks are not timed, and a server's periodic work (the once-a-second fsync of everysec, a log
# rewrite) that falls into a pause is not counted, so both sizes must be cut into the same pieces for their ratio to
# measure the size alone. At -c 50 -P 16 chunks are max(CHUNK_MIN, size * DRIFT / 100).
#
# Bounded time. A measurement stops once its chunks have run for TMAX seconds (cutting the key back between chunks
# is not counted): the client is killed, and with one client at most one request is in flight then. Its req/s are
# then the requests the server executed (INFO commandstats read after the kill, which queues behind the requests
# still in flight) over the wall time until that INFO returned; such figures are marked "*". At -c 50 -P 16 the
# request count is N16, cut down on a server that managed fewer than N16/TMAX req/s at -c 1 -P 1 in the same round to
# that rate x TMAX, but never below MIN16 (50 x 16: every client one full pipeline), so a slow server still costs at
# least MIN16 / its rate seconds there.
#
# Requests/s come from redis-benchmark (its k answered requests over its own clock) for a chunk that finished. The
# executions the server counts (INFO commandstats) are compared with the requests answered; more executions than
# requests (a server running a request twice) is printed with "!" and flagged in the table.
#
# Log bytes per operation: Tiered's INFO persistence log_bytes_written (LOG_FIELD chooses another field; when the
# field is missing it falls back to aof_current_size and says so), Redis's aof_current_size, before and after each
# chunk, over the requests answered in it (for a chunk stopped at the time limit, the executions counted). With a
# file size (aof_current_size), chunks where it shrank or a rewrite/compaction ran are left out (n/a if all were).
# "arg B/op" is the bytes of the command's arguments (name included, RESP framing not), for comparison.
#
# Environment (defaults): CMDS, SIZE_SMALL=1000, SIZE_BIG=1000000, ROUNDS=3, N1=20000, N16=100000, TMAX=8, MIN16=800,
# DRIFT=10, CHUNK_MIN=500, CHUNK1 (above), WARM=5000 (requests at the small size on each server before the rounds), RANDR=1000000000,
# XMAXLEN=1000000, FILL_BATCH=1000, FILL_TIMEOUT=900, TPORT=16381, RPORT=16382, TARGS (extra Tiered arguments),
# RARGS (extra redis-server arguments), DLL (default the Release build, built if missing), KEEP=1 keeps the temp dir.
# Needs redis-server, redis-cli and redis-benchmark 7 (Debian packages redis-server, redis-tools), awk, timeout.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CMDS=${CMDS:-rpush lpush hset sadd zadd xadd}
SIZE_SMALL=${SIZE_SMALL:-1000}; SIZE_BIG=${SIZE_BIG:-1000000}; ROUNDS=${ROUNDS:-3}
N1=${N1:-20000}; N16=${N16:-100000}; TMAX=${TMAX:-8}; MIN16=${MIN16:-800}
DRIFT=${DRIFT:-10}; CHUNK_MIN=${CHUNK_MIN:-500}; WARM=${WARM:-5000}; RANDR=${RANDR:-1000000000}
CHUNK1=${CHUNK1:-$((SIZE_SMALL * DRIFT / 100 > CHUNK_MIN ? SIZE_SMALL * DRIFT / 100 : CHUNK_MIN))}
XMAXLEN=${XMAXLEN:-1000000}; FILL_BATCH=${FILL_BATCH:-1000}; FILL_TIMEOUT=${FILL_TIMEOUT:-900}
TPORT=${TPORT:-16381}; RPORT=${RPORT:-16382}; TARGS=${TARGS:-}; RARGS=${RARGS:-}
DLL=${DLL:-src/Server/bin/Release/net10.0/tiered-server.dll}
[ -f "$DLL" ] || dotnet build src/Server -c Release >/dev/null

for p in "$TPORT" "$RPORT"; do
  if redis-cli -p "$p" ping >/dev/null 2>&1; then echo "port $p is already in use (set TPORT/RPORT)" >&2; exit 1; fi
done
TMP=$(mktemp -d "${TMPDIR:-/tmp}/collection-growth.XXXXXX")
mkdir -p "$TMP/tiered" "$TMP/redis" "$TMP/res"
TPID=""; RPID=""
cleanup() {
  for pid in $TPID $RPID; do kill "$pid" 2>/dev/null || true; done
  for pid in $TPID $RPID; do wait "$pid" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086  # TARGS/RARGS are word lists on purpose
dotnet "$DLL" --port "$TPORT" --bind 127.0.0.1 --dir "$TMP/tiered" --appendonly yes --appendfsync everysec $TARGS \
  >"$TMP/tiered.log" 2>&1 & TPID=$!
# shellcheck disable=SC2086
redis-server --port "$RPORT" --bind 127.0.0.1 --appendonly yes --appendfsync everysec --save '' --dir "$TMP/redis" \
  --daemonize no $RARGS >"$TMP/redis.log" 2>&1 & RPID=$!
for p in "$TPORT" "$RPORT"; do
  for _ in $(seq 150); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-cli -p "$p" ping >/dev/null 2>&1 || { echo "server on port $p did not start:" >&2; tail "$TMP"/*.log >&2; exit 1; }
done

now() { date +%s.%N; }
calc() { awk "BEGIN { print ($*) }"; }
port_of() { [ "$1" = tiered ] && echo "$TPORT" || echo "$RPORT"; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "nan"; else print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

LOG_FIELD=${LOG_FIELD:-log_bytes_written}
if ! redis-cli -p "$TPORT" info persistence | tr -d '\r' | grep -q "^$LOG_FIELD:"; then
  echo "NOTE: Tiered's INFO persistence has no $LOG_FIELD; log bytes/op below come from aof_current_size (the log's"
  echo "      size, which compaction shrinks: chunks where it shrank or a compaction ran are left out, n/a if all were;"
  echo "      LOG_FIELD=log_appended_until would count the bytes appended instead)"
  LOG_FIELD=aof_current_size
fi

# Per command: key, size command, redis-benchmark arguments, fill kind.
setup_cmd() {
  case $1 in
    rpush) KEY=biglist;   CARD=LLEN;  KIND=list;   ARGS=(RPUSH biglist __rand_int__) ;;
    lpush) KEY=biglist;   CARD=LLEN;  KIND=list;   ARGS=(LPUSH biglist __rand_int__) ;;
    hset)  KEY=bighash;   CARD=HLEN;  KIND=hash;   ARGS=(HSET bighash n:__rand_int__ hello) ;;
    sadd)  KEY=bigset;    CARD=SCARD; KIND=set;    ARGS=(SADD bigset n:__rand_int__) ;;
    zadd)  KEY=bigzset;   CARD=ZCARD; KIND=zset;   ARGS=(ZADD bigzset __rand_int__ n:__rand_int__) ;;
    xadd)  KEY=bigstream; CARD=XLEN;  KIND=stream; ARGS=(XADD bigstream MAXLEN '~' "$XMAXLEN" '*' user_id __rand_int__ content hello) ;;
    *) echo "unknown command '$1' in CMDS (rpush lpush hset sadd zadd xadd)" >&2; exit 1 ;;
  esac
  STAT=cmdstat_${ARGS[0],,}
  ARGB=0; local a; for a in "${ARGS[@]}"; do a=${a//__rand_int__/000000000000}; ARGB=$((ARGB + ${#a})); done
}

card() { redis-cli -p "$1" "$CARD" "$KEY" | tr -dc 0-9; }

# snap PORT -> "calls logvalue rewrites size": one redis-cli round trip (size command, then INFO).
snap() {
  local field=$LOG_FIELD; [ "$1" = "$RPORT" ] && field=aof_current_size
  printf '%s %s\nINFO persistence commandstats\n' "$CARD" "$KEY" | redis-cli -p "$1" | tr -d '\r' \
    | awk -F: -v f="$field" -v s="$STAT" 'NR == 1 {size=$1+0}
        $1 == f {v=$2} $1 == "aof_rewrites" {rw=$2} $1 == "aof_rewrite_in_progress" && $2 == 1 {rip=1}
        $1 == s {split($2, kv, ","); split(kv[1], c, "="); calls=c[2]}
        END {printf "%d %s %s %d\n", calls, (v == "" ? -1 : v), rw "/" rip+0, size}'
}

# fill PORT FROM TO: add elements FROM..TO-1 (names no benchmark request produces) with FILL_BATCH-element commands.
fill() {
  local port=$1 from=$2 to=$3 t0 out
  [ "$to" -gt "$from" ] || return 0
  t0=$(now)
  out=$(awk -v kind="$KIND" -v key="$KEY" -v from="$from" -v to="$to" -v b="$FILL_BATCH" '
    function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
    BEGIN {
      if (kind == "stream") {
        for (i = from; i < to; i++) {
          if ((i - from) % b == 0) printf "*1\r\n$5\r\nMULTI\r\n"
          printf "*7\r\n"; bulk("XADD"); bulk(key); bulk("*"); bulk("user_id"); bulk("" i); bulk("content"); bulk("hello")
          if ((i - from) % b == b - 1 || i == to - 1) printf "*1\r\n$4\r\nEXEC\r\n"
        }
        exit
      }
      cmd = kind == "list" ? "RPUSH" : kind == "hash" ? "HSET" : kind == "set" ? "SADD" : "ZADD"
      per = (kind == "hash" || kind == "zset") ? 2 : 1
      for (i = from; i < to; i += b) {
        m = to - i < b ? to - i : b
        printf "*%d\r\n", m * per + 2; bulk(cmd); bulk(key)
        for (j = i; j < i + m; j++) {
          if (kind == "list") bulk("e" j)
          else if (kind == "hash") { bulk("f" j); bulk("v" j) }
          else if (kind == "set") bulk("m" j)
          else { bulk("" j); bulk("m" j) }
        }
      }
    }' | timeout "$FILL_TIMEOUT" redis-cli -p "$port" --pipe 2>&1 | tr -d '\r' | grep '^errors' || true)
  printf '    fill %-6s %s %d -> %d: %.1f s (%s)\n' "$(name_of "$port")" "$KEY" "$from" "$(card "$port")" \
    "$(calc "$(now) - $t0")" "${out:-timed out after $FILL_TIMEOUT s}"
}
name_of() { [ "$1" = "$TPORT" ] && echo tiered || echo redis; }

# restore PORT SIZE: cut the key back to exactly SIZE elements (removing mostly the benchmark's elements).
restore() {
  local port=$1 size=$2 cur extra
  cur=$(card "$port"); extra=$((cur - size))
  [ "$extra" -gt 0 ] || return 0
  case ${ARGS[0]} in
    RPUSH) redis-cli -p "$port" LTRIM "$KEY" 0 $((size - 1)) >/dev/null ;;
    LPUSH) redis-cli -p "$port" LTRIM "$KEY" -"$size" -1 >/dev/null ;;
    SADD)  redis-cli -p "$port" SPOP "$KEY" "$extra" >/dev/null ;;
    ZADD)  redis-cli -p "$port" ZPOPMAX "$KEY" "$extra" >/dev/null ;;
    XADD)  redis-cli -p "$port" XTRIM "$KEY" MAXLEN "$size" >/dev/null ;;
    HSET)  redis-cli -p "$port" --raw HRANDFIELD "$KEY" "$extra" | tr -d '\r' \
             | awk -v key="$KEY" -v b="$FILL_BATCH" 'function bulk(s) { printf "$%d\r\n%s\r\n", length(s), s }
                 NF { f[n++] = $0 }
                 END { for (i = 0; i < n; i += b) { m = n - i < b ? n - i : b
                         printf "*%d\r\n", m + 2; bulk("HDEL"); bulk(key); for (j = i; j < i + m; j++) bulk(f[j]) } }' \
             | redis-cli -p "$port" --pipe >/dev/null ;;
  esac
}

# measure SERVER SIZE CLIENTS PIPELINE N TLIMIT -> sets M_RPS M_OPS (requests answered; for a chunk stopped at the
# time limit, the executions the server counted) M_EXEC (executions the server counted) M_LOG (B/op or na) M_LOGSKIP
# M_S0 M_S1 M_CHUNKS M_CUT M_SECS
measure() {
  local who=$1 size=$2 c=$3 p=$4 n=$5 tlimit=$6 port chunk k left rc out rps t0 t1
  local c0 l0 w0 s0 c1 l1 w1 s1 ops ex sizefield
  port=$(port_of "$who")
  sizefield=1   # the field is a file size, which a rewrite/compaction shrinks
  [ "$who" = tiered ] && [ "$LOG_FIELD" != aof_current_size ] && sizefield=0
  if [ "$c" = 1 ]; then chunk=$CHUNK1
  else chunk=$((size * DRIFT / 100)); [ "$chunk" -ge "$CHUNK_MIN" ] || chunk=$CHUNK_MIN; fi
  chunk=$(( (chunk + p - 1) / p * p )); [ "$chunk" -le "$n" ] || chunk=$n
  M_OPS=0; M_EXEC=0; M_SECS=0; M_LOGB=0; M_LOGOPS=0; M_LOGSKIP=0; M_S0=""; M_S1=""; M_CHUNKS=0; M_CUT=0
  local spent=0   # seconds inside the chunks (client start to the INFO after it): what TLIMIT bounds
  while [ "$M_OPS" -lt "$n" ]; do
    left=$(calc "$tlimit - $spent")
    if [ "$M_CHUNKS" -gt 0 ] && awk "BEGIN { exit !($left <= 0) }"; then M_CUT=1; break; fi
    awk "BEGIN { exit !($left < 1) }" && left=1
    restore "$port" "$size"
    k=$((n - M_OPS)); [ "$k" -le "$chunk" ] || k=$chunk
    read -r c0 l0 w0 s0 < <(snap "$port")
    [ -n "$M_S0" ] || M_S0=$s0
    t0=$(now); rc=0
    out=$(timeout "$left" redis-benchmark -p "$port" -c "$c" -P "$p" -n "$k" -r "$RANDR" --csv "${ARGS[@]}" 2>/dev/null) || rc=$?
    read -r c1 l1 w1 s1 < <(snap "$port")   # queues behind any request still in flight
    t1=$(now); spent=$(calc "$spent + $t1 - $t0")
    ex=$((c1 - c0)); rps=$(printf '%s\n' "$out" | awk -F'"' 'NR == 2 {print $4}')
    if [ "$rc" = 0 ] && [ -n "$rps" ] && awk "BEGIN { exit !($rps > 0) }"; then
      ops=$k; M_SECS=$(calc "$M_SECS + $k / $rps")   # redis-benchmark's own figure for its k answered requests
    else
      ops=$ex; M_SECS=$(calc "$M_SECS + $t1 - $t0"); M_CUT=1
    fi
    # A chunk in which the log's size shrank or a rewrite/compaction ran says nothing about bytes written: skipped.
    if [ "$l0" -lt 0 ] || [ "$l1" -lt "$l0" ] || { [ "$sizefield" = 1 ] && { [ "$w0" != "$w1" ] || [[ $w1 == */1 ]]; }; }
    then M_LOGSKIP=$((M_LOGSKIP + 1))
    else M_LOGB=$((M_LOGB + l1 - l0)); M_LOGOPS=$((M_LOGOPS + ops)); fi
    M_OPS=$((M_OPS + ops)); M_EXEC=$((M_EXEC + ex)); M_CHUNKS=$((M_CHUNKS + 1)); M_S1=$s1
    [ "$M_CUT" = 0 ] || break
  done
  M_RPS=$(calc "$M_SECS > 0 ? $M_OPS / $M_SECS : 0")
  M_LOG=na; [ "$M_LOGOPS" = 0 ] || M_LOG=$(calc "$M_LOGB / $M_LOGOPS")
}

fmt_rps() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "-"; else if (v >= 100) printf "%.0f", v; else printf "%.1f", v }'; }
fmt_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a == "" || b == "" || b == 0) print "-"; else printf "%.3g", a / b }'; }
fmt_bytes() { awk -v v="$1" 'BEGIN { if (v == "nan" || v == "") print "n/a"; else printf "%.0f", v }'; }

# run SERVER SIZE CLIENTS PIPELINE N TLIMIT ROUND: measure, print, record.
run() {
  local who=$1 size=$2 c=$3 p=$4 n=$5 tlimit=$6 r=$7 what
  measure "$who" "$size" "$c" "$p" "$n" "$tlimit"
  what=$([ "$who" = tiered ] && echo "log" || echo "AOF")
  printf '  %-5s size %-8s c%-2s P%-2s round %s %-6s %10s req/s%s  %7d reqs in %3d chunk(s), size %s -> %s, %s %s B/op%s\n' \
    "$CMD" "$size" "$c" "$p" "$r" "$who" "$(fmt_rps "$M_RPS")" "$([ "$M_CUT" = 1 ] && echo '*' || echo ' ')" \
    "$M_OPS" "$M_CHUNKS" "$M_S0" "$M_S1" "$what" "$(fmt_bytes "$([ "$M_LOG" = na ] && echo nan || echo "$M_LOG")")" \
    "$([ "$M_LOGSKIP" = 0 ] || echo " ($M_LOGSKIP chunk(s) with a shrink/rewrite left out)")"
  if [ "$M_EXEC" -gt "$M_OPS" ]; then
    echo "        ! the server counted $M_EXEC executions of ${ARGS[0]} for $M_OPS requests answered"
    touch "$TMP/res/$CMD.$size.$c.$who.dup"
  fi
  echo "$M_RPS" >>"$TMP/res/$CMD.$size.$c.$who.rps"
  [ "$M_LOG" = na ] || echo "$M_LOG" >>"$TMP/res/$CMD.$size.$c.$who.log"
  [ "$M_CUT" = 0 ] || touch "$TMP/res/$CMD.$size.$c.$who.cut"
}

med() { if [ -f "$TMP/res/$1" ]; then median <"$TMP/res/$1"; else echo nan; fi; }

table() {
  local cmd=$1 size c p tr rr ts rs cut rcut
  CMD=$cmd; setup_cmd "$cmd"
  echo
  echo "${ARGS[*]}  (arg $ARGB B/op; medians of $ROUNDS rounds; * = a round stopped at TMAX=${TMAX}s;"
  echo "  ! = the server counted more executions than requests answered in a round)"
  printf '  %-9s %-6s %12s %12s %12s %16s %15s %15s %14s\n' size c/P "tiered req/s" "redis req/s" tiered/redis \
    "tiered big/small" "redis big/small" "tiered log B/op" "redis AOF B/op"
  for row in "$SIZE_SMALL 1 1" "$SIZE_BIG 1 1" "$SIZE_BIG 50 16"; do
    read -r size c p <<<"$row"
    tr=$(med "$cmd.$size.$c.tiered.rps"); rr=$(med "$cmd.$size.$c.redis.rps")
    [ "$tr" != nan ] || [ "$rr" != nan ] || continue
    cut=""; [ -e "$TMP/res/$cmd.$size.$c.tiered.cut" ] && cut="*"; [ -e "$TMP/res/$cmd.$size.$c.tiered.dup" ] && cut+="!"
    rcut=""; [ -e "$TMP/res/$cmd.$size.$c.redis.cut" ] && rcut="*"; [ -e "$TMP/res/$cmd.$size.$c.redis.dup" ] && rcut+="!"
    ts="-"; rs="-"
    if [ "$size" = "$SIZE_BIG" ] && [ "$c" = 1 ]; then
      ts=$(fmt_ratio "$tr" "$(med "$cmd.$SIZE_SMALL.1.tiered.rps")"); rs=$(fmt_ratio "$rr" "$(med "$cmd.$SIZE_SMALL.1.redis.rps")")
    fi
    printf '  %-9s %-6s %12s %12s %12s %16s %15s %15s %14s\n' "$size" "$c/$p" "$(fmt_rps "$tr")$cut" "$(fmt_rps "$rr")$rcut" \
      "$(fmt_ratio "$tr" "$rr")" "$ts" "$rs" "$(fmt_bytes "$(med "$cmd.$size.$c.tiered.log")")" \
      "$(fmt_bytes "$(med "$cmd.$size.$c.redis.log")")"
  done
}

# n16 RATE_AT_P1: requests for the -c 50 -P 16 measurement (see the header).
n16() { awk -v r="$1" -v t="$TMAX" -v max="$N16" -v min="$MIN16" 'BEGIN {
  n = int((r * t + 799) / 800) * 800; if (n > max) n = max; if (n < min) n = min; print n }'; }
# Time limit for it: it is sized to take about TMAX; allow three times what the -c 1 -P 1 rate predicts.
t16() { awk -v r="$1" -v n="$2" -v t="$TMAX" 'BEGIN { l = r > 0 ? 3 * n / r : 600; if (l < t) l = t; if (l > 600) l = 600; printf "%.0f", l }'; }

echo "collection growth: Tiered ($DLL${TARGS:+ $TARGS}) vs $(redis-server --version | cut -d' ' -f3), appendonly yes, appendfsync everysec"
echo "sizes $SIZE_SMALL and $SIZE_BIG, $ROUNDS rounds alternating, N1=$N1 N16=$N16 TMAX=${TMAX}s, chunks of $CHUNK1 (1 client)" \
  "and max($CHUNK_MIN, size*$DRIFT%) (50 clients)," \
  "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), tiered log field $LOG_FIELD"
T_START=$(now)
for CMD in $CMDS; do
  setup_cmd "$CMD"
  echo
  echo "== $CMD: ${ARGS[*]}"
  for port in "$TPORT" "$RPORT"; do redis-cli -p "$port" DEL "$KEY" >/dev/null; fill "$port" 0 "$SIZE_SMALL"; done
  if [ "$WARM" -gt 0 ]; then
    for who in tiered redis; do measure "$who" "$SIZE_SMALL" 1 1 "$WARM" "$TMAX"; done
    echo "    warm-up: $WARM requests on each server"
  fi
  for r in $(seq "$ROUNDS"); do
    run tiered "$SIZE_SMALL" 1 1 "$N1" "$TMAX" "$r"
    run redis "$SIZE_SMALL" 1 1 "$N1" "$TMAX" "$r"
  done
  for port in "$TPORT" "$RPORT"; do restore "$port" "$SIZE_SMALL"; fill "$port" "$SIZE_SMALL" "$SIZE_BIG"; done
  for r in $(seq "$ROUNDS"); do
    run tiered "$SIZE_BIG" 1 1 "$N1" "$TMAX" "$r"; trate=$M_RPS
    run redis "$SIZE_BIG" 1 1 "$N1" "$TMAX" "$r"; rrate=$M_RPS
    n=$(n16 "$trate"); run tiered "$SIZE_BIG" 50 16 "$n" "$(t16 "$trate" "$n")" "$r"
    n=$(n16 "$rrate"); run redis "$SIZE_BIG" 50 16 "$n" "$(t16 "$rrate" "$n")" "$r"
  done
  for port in "$TPORT" "$RPORT"; do redis-cli -p "$port" DEL "$KEY" >/dev/null; done
  table "$CMD"
done

echo
echo "== summary ($(calc "int($(now) - $T_START)") s; medians; big/small = that server's req/s at $SIZE_BIG / at $SIZE_SMALL, c1 P1)"
for CMD in $CMDS; do table "$CMD"; done
