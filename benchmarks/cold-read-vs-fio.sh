#!/usr/bin/env bash
# Cold reads of the value log against the raw disk.
#
# Runs fio 4 KB random reads with O_DIRECT and 64 in flight (three ways, see below) on a file in the test directory,
# then Tiered.ColdBench (ValueLog over DirectFileDevice, 1 KB values LZ4-encoded, uniform random reads with 64
# in flight) in the same directory, and prints the rates and the ratio to the fastest fio. O_DIRECT on both sides, so the page
# cache plays no part and the dataset size does not need to exceed RAM. Target: ColdBench >= 80% of fio, CPU per read under 8 us.
#
# Usage: benchmarks/cold-read-vs-fio.sh [DIR]     (default /tmp/tiered-coldread)
# Environment: RECORDS (default 1000000), DURATION seconds per side (default 10), FIO_SIZE (default 1G),
#              INFLIGHT (default 64), KEEP=1 keeps the files.
# Check `uptime` first: on a busy machine both numbers (and especially ColdBench's, which needs CPU) drop.
set -euo pipefail

DIR=${1:-/tmp/tiered-coldread}
RECORDS=${RECORDS:-1000000}
DURATION=${DURATION:-10}
FIO_SIZE=${FIO_SIZE:-1G}
INFLIGHT=${INFLIGHT:-64}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

command -v fio >/dev/null || { echo "fio missing: apt-get install -y fio" >&2; exit 1; }
mkdir -p "$DIR"
cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR/fio.dat" "$DIR/log"; }
trap cleanup EXIT

echo "load: $(uptime | sed 's/.*load average: //')"

# fio three ways, all 4 KB random reads with O_DIRECT and INFLIGHT in flight: libaio submitting each read alone (fio's
# default batching), libaio submitting and reaping in batches (as the engine's AIO path does), and io_uring. The
# ratio is taken against the fastest of the three, so the engine is compared with the best this disk gives fio.
FIO_BEST=0
run_fio() { # name, then fio's engine options
  local name=$1; shift
  fio --name=randread --filename="$DIR/fio.dat" --size="$FIO_SIZE" --rw=randread --bs=4k --direct=1 \
      --iodepth="$INFLIGHT" --numjobs=1 --runtime="$DURATION" --time_based "$@" --output-format=json > "$DIR/fio.json"
  local iops p50 p99 cpu
  iops=$(jq '.jobs[0].read.iops' "$DIR/fio.json")
  p50=$(jq '.jobs[0].read.clat_ns.percentile["50.000000"] / 1000' "$DIR/fio.json")
  p99=$(jq '.jobs[0].read.clat_ns.percentile["99.000000"] / 1000' "$DIR/fio.json")
  cpu=$(jq '(.jobs[0].usr_cpu + .jobs[0].sys_cpu) / 100 * 1000000 / .jobs[0].read.iops' "$DIR/fio.json")
  printf 'fio %-34s iodepth %s: %.0f reads/s, p50 %.0f us, p99 %.0f us, CPU per read %.1f us\n' "$name" "$INFLIGHT" "$iops" "$p50" "$p99" "$cpu"
  FIO_BEST=$(awk -v a="$FIO_BEST" -v b="$iops" 'BEGIN { print (b > a ? b : a) }')
}
run_fio "libaio, one read per io_submit" --ioengine=libaio
run_fio "libaio, batches of 16 in and 8 out" --ioengine=libaio --iodepth_batch_submit=16 --iodepth_batch_complete_min=8
run_fio "io_uring" --ioengine=io_uring

dotnet build "$ROOT/benchmarks/Tiered.ColdBench" -c Release 2>&1 | grep -E " error |Build succeeded" | sort -u
dotnet "$ROOT/benchmarks/Tiered.ColdBench/bin/Release/net10.0/Tiered.ColdBench.dll" \
    --dir "$DIR/log" --records "$RECORDS" --inflight "$INFLIGHT" --seconds "$DURATION" | tee "$DIR/coldbench.txt"
COLD=$(awk '/^reads\/s:/ {print $2}' "$DIR/coldbench.txt")

echo "load: $(uptime | sed 's/.*load average: //')"
awk -v c="$COLD" -v f="$FIO_BEST" 'BEGIN { printf "ColdBench %.0f reads/s vs the fastest fio %.0f reads/s: %.0f%% of the raw disk (target >= 80%%)\n", c, f, 100 * c / f }'
