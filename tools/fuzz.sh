#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for SECONDS each, one after the other, on its committed
# seed corpus plus what earlier runs found, and prints per target: executions, coverage (cov: / ft:)
# and findings. Exits non-zero when any target found something (crash, leak, timeout, OOM).
#
#   bash tools/fuzz.sh SECONDS [TARGET...]      e.g. bash tools/fuzz.sh 600 fuzz_api
#
# Targets: fuzz_load fuzz_tokenizer fuzz_steering_flags fuzz_api. Builds the clang ASan + UBSan
# fuzz build in $CBK_FUZZ_BUILD (default build-fuzz) when missing. Runs at nice 10 (long campaigns
# share the machine). CBK_FUZZ_RUNS=N also stops each target after N executions (recorded runs).
# Inputs it finds go to $CBK_FUZZ_BUILD/fuzz-corpus/TARGET (never the source tree), findings to
# $CBK_FUZZ_BUILD/fuzz-findings/TARGET, logs to $CBK_FUZZ_BUILD/fuzz-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || ! [[ $1 =~ ^[0-9]+$ ]]; then
  sed -n '2,13p' "$0" >&2
  exit 2
fi
seconds=$1
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_load fuzz_tokenizer fuzz_steering_flags fuzz_api)
build=${CBK_FUZZ_BUILD:-build-fuzz}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ "-DCBK_SANITIZE=address;undefined" -DCBK_BUILD_FUZZ=ON \
    -DCBK_BUILD_BENCH=OFF -DCBK_BUILD_TOOLS=OFF -DCBK_PYTHON_TESTS=OFF "${launcher[@]}" >/dev/null
fi
nice -n 10 cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"
loader_seeds=$build/tests/loader/fixtures
if [[ " ${targets[*]} " == *" fuzz_load "* ]] && [ ! -d "$loader_seeds" ]; then
  /usr/bin/python3 tests/loader/make_fixtures.py "$loader_seeds" >/dev/null
fi

mkdir -p "$build/fuzz-logs"
summary=()
found=0
for t in "${targets[@]}"; do
  work=$build/fuzz-corpus/$t
  findings=$build/fuzz-findings/$t
  log=$build/fuzz-logs/$t.log
  mkdir -p "$work" "$findings"
  seeds=(tests/fuzz/corpus/"$t")
  # Input size caps: model files for the loader; a flag is short; longer texts or scripts add
  # little coverage and slow every execution.
  case $t in
    fuzz_load) seeds+=("$loader_seeds" "$loader_seeds/corrupt" tests/loader/regressions); max_len=200000 ;;
    fuzz_steering_flags) max_len=256 ;;
    *) max_len=1024 ;;
  esac
  [ ! -d tests/fuzz/corpus/regressions/"$t" ] || seeds+=(tests/fuzz/corpus/regressions/"$t")
  runs=()
  [ -z "${CBK_FUZZ_RUNS:-}" ] || runs=(-runs="$CBK_FUZZ_RUNS")
  dict=()
  [ ! -f tests/fuzz/"$t".dict ] || dict=(-dict=tests/fuzz/"$t".dict)
  printf '==== %s: %s s ====\n' "$t" "$seconds"
  start=$(date +%s)
  rc=0
  UBSAN_OPTIONS=print_stacktrace=1 nice -n 10 "$build/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 \
    -rss_limit_mb=2048 -max_len=$max_len -print_final_stats=1 -artifact_prefix="$findings/" "${dict[@]}" "${runs[@]}" \
    "$work" "${seeds[@]}" >"$log" 2>&1 || rc=$?
  elapsed=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(grep -o 'cov: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  ft=$(grep -o 'ft: [0-9]*' <<<"$last" | grep -o '[0-9]*' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*' <<<"$last" | tr -d '#' || true)
  n_findings=$(find "$findings" -type f -newermt "@$start" | wc -l)
  verdict="no finding"
  if [ "$rc" -ne 0 ] || [ "$n_findings" -gt 0 ]; then
    verdict="FINDING (exit $rc): $(find "$findings" -type f -newermt "@$start" | tr '\n' ' ') log $log"
    found=1
    tail -n 40 "$log"
  fi
  summary+=("$(printf '%-20s execs %-10s cov %-6s ft %-7s %5ss  %s' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$elapsed" "$verdict")")
done

printf '\n==== fuzz summary (%s, %s s per target) ====\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$seconds"
printf '%s\n' "${summary[@]}"
exit $found
