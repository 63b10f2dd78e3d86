# Sourced by tools/test-all.sh: runs named stages, keeps their wall times and their test runners'
# counts, and prints both at the end.
#   run_stage NAME COMMAND...   runs COMMAND (a function or a program), tee-ing its output
#   print_stage_summary          the table of stage times, then "all: N passed, N failed"
# The counts are read from the summaries the runners print: ctest ("100% tests passed, 0 tests
# failed out of N") and node --test ("# pass N", "# fail N").

_stage_names=()
_stage_seconds=()
_stage_counts=()

run_stage() {
  local name=$1; shift
  local log="$CBK_STAGE_LOG/stage-${#_stage_names[@]}.log"
  printf '\n==== %s ====\n' "$name"
  local start=$SECONDS
  # pipefail (set by the caller) makes the stage's own exit status the pipeline's.
  "$@" 2>&1 | tee "$log"
  _stage_names+=("$name")
  _stage_seconds+=($((SECONDS - start)))
  _stage_counts+=("$(_count_tests "$log")")
}

# Prints "PASSED FAILED" summed over the runner summaries in a log.
_count_tests() {
  awk '
    /tests passed, [0-9]+ tests? failed out of [0-9]+/ {
      failed = $(NF-5); total = $NF; p += total - failed; f += failed }
    /^# pass [0-9]+$/ { p += $3 }
    /^# fail [0-9]+$/ { f += $3 }
    END { printf "%d %d", p, f }' "$1"
}

print_stage_summary() {
  local i passed=0 failed=0 total_s=0 p f
  printf '\n==== stage times ====\n'
  for i in "${!_stage_names[@]}"; do
    read -r p f <<<"${_stage_counts[$i]}"
    printf '%-52s %4d s  %5d tests\n' "${_stage_names[$i]}" "${_stage_seconds[$i]}" $((p + f))
    passed=$((passed + p)); failed=$((failed + f)); total_s=$((total_s + _stage_seconds[i]))
  done
  printf '%-52s %4d s\n\n' "total" "$total_s"
  printf 'all: %d passed, %d failed\n' "$passed" "$failed"
}
