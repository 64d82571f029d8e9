#!/usr/bin/env bash
# Re-measures what a reader waits for, on this machine:
#   1. a cold first `cargo run --example xavier` (empty target folder; the
#      crates are already downloaded, so no network time is counted),
#   2. every example at its defaults, run as typed (`cargo run --example NAME`,
#      dev profile, once built): median of 5 runs,
#   3. regenerating every figure and rendering the book (`cargo book`),
#   4. `cargo test` once built: median of 3 runs.
# Usage: bash benches/latency.sh            (all four; about 5 minutes)
#        bash benches/latency.sh --no-cold  (skip the cold build)
set -euo pipefail
cd "$(dirname "$0")/.."

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() { # prints seconds taken by "$@" (output discarded)
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "toolchain: $(cargo --version)"

if [ "${1:-}" != "--no-cold" ]; then
  cold=$(mktemp -d)
  secs=$(CARGO_TARGET_DIR="$cold" time_cmd cargo run --example xavier)
  rm -rf "$cold"
  printf '%-44s %8.1f s (target: 60 s)\n' "cold cargo run --example xavier" "$secs"
fi

cargo build --quiet --examples
for example in $(ls examples/*.rs | xargs -n1 basename | sed 's/\.rs$//' | sort); do
  secs=$(for _ in 1 2 3 4 5; do time_cmd cargo run --quiet --example "$example"; done | median)
  printf '%-44s %8.2f s (target: 2 s)\n' "cargo run --example $example" "$secs"
done

cargo build --quiet -p render-book
secs=$(time_cmd cargo book)
printf '%-44s %8.1f s (target: 30 s)\n' "cargo book (every figure, then the book)" "$secs"

cargo test --quiet --no-run >/dev/null 2>&1
secs=$(for _ in 1 2 3; do time_cmd cargo test --quiet; done | median)
printf '%-44s %8.1f s (target: 60 s)\n' "cargo test (built)" "$secs"
