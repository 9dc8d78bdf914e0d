# Shared by the shell tests: sourced, not run.
#   check NAME COMMAND...   runs COMMAND quietly, counts and prints ok/FAIL
#   finish LABEL            prints "LABEL: N passed, N failed", returns 1 on failure
# Sets ROOT (repo), VIGIE (binary, overridable) and T (a temp dir removed at exit).
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VIGIE=${VIGIE:-$ROOT/build/vigie}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

check() {
    local name=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok   $name"
    else failed=$((failed + 1)); echo "FAIL $name"; fi
}

finish() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}
