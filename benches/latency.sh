#!/usr/bin/env bash
# Re-measures what a reader waits for, on this machine:
#   1. a cold first `cargo run --example xavier` (empty target folder; the
#      crates are already downloaded, so no network time is counted),
#   2. every example at its defaults, run as typed (`cargo run --example NAME`,
#      dev profile, once built): median of 5 runs,
#   3. regenerating every figure and rendering the book (`cargo book`),
#   4. `cargo test` once built: median of 3 runs.
# Usage: bash benches/latency.sh [--no-cold] [--markdown FILE]
#   --no-cold        skip the cold build
#   --markdown FILE  also write the table as Markdown (the appendix "How fast
#                    is this?" includes chapters/measurements/latency.md)
set -euo pipefail
cd "$(dirname "$0")/.."

cold=yes markdown=""
while [ $# -gt 0 ]; do
  case "$1" in
    --no-cold) cold=no ;;
    --markdown) markdown="$2"; shift ;;
    *) echo "usage: bash benches/latency.sh [--no-cold] [--markdown FILE]" >&2; exit 2 ;;
  esac
  shift
done
rows=()
row() { # what, seconds, target
  printf '%-44s %8.2f s (target: %s s)\n' "$1" "$2" "$3"
  rows+=("| $1 | $(printf '%.2f' "$2") s | $3 s |")
}

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_cmd() { # prints seconds taken by "$@" (output discarded)
  local t0 t1
  t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "toolchain: $(cargo --version)"

if [ "$cold" = yes ]; then
  dir=$(mktemp -d)
  secs=$(CARGO_TARGET_DIR="$dir" time_cmd cargo run --example xavier)
  rm -rf "$dir"
  row '`cargo run --example xavier`, cold (empty target folder)' "$secs" 60
fi

cargo build --quiet --examples
for example in $(ls examples/*.rs | xargs -n1 basename | sed 's/\.rs$//' | sort); do
  secs=$(for _ in 1 2 3 4 5; do time_cmd cargo run --quiet --example "$example"; done | median)
  row "\`cargo run --example $example\`" "$secs" 2
done

cargo build --quiet -p render-book
secs=$(time_cmd cargo book)
row '`cargo book` (every figure, then the book)' "$secs" 30

cargo test --quiet --no-run >/dev/null 2>&1
secs=$(for _ in 1 2 3; do time_cmd cargo test --quiet; done | median)
row '`cargo test` (once built)' "$secs" 60

if [ -n "$markdown" ]; then
  {
    echo "| what | median | target |"
    echo "|---|---:|---:|"
    printf '%s\n' "${rows[@]}"
  } > "$markdown"
fi
