#!/usr/bin/env bash
# House-style checks on the tracked files (../shared/STYLE.md: the root
# .clang-format; files stay under ~600 lines):
#  - every tracked C file (*.c, *.h) is formatted as clang-format would;
#  - no tracked source, script or test file is over MAX_LINES (600) lines:
#    C, headers, shell, Python, Perl, CMake, and scripts without extension
#    that start with a #! line. Data (JSON, YAML, Markdown, captures,
#    expected outputs, images) is not counted: it does not start with #!.
# Prints each offender; ends with "lint: N passed, N failed".
#
#   tests/lint.sh
set -uo pipefail
cd "$(dirname "$0")/.."
MAX_LINES=${MAX_LINES:-600}
passed=0 failed=0

command -v clang-format >/dev/null || { echo "lint: clang-format is missing"; exit 1; }

# (a tracked file deleted in the work tree is not there to check)
mapfile -t c_files < <(git ls-files '*.c' '*.h' | while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done)
if clang-format --dry-run -Werror "${c_files[@]}" 2>"${TMPDIR:-/tmp}/lint.$$"; then
    passed=$((passed + 1)); echo "ok   clang-format: ${#c_files[@]} C files"
else
    failed=$((failed + 1)); echo "FAIL clang-format: files to reformat (clang-format -i FILE):"
    grep -o '^[^:]*:[0-9]*:[0-9]*: error' "${TMPDIR:-/tmp}/lint.$$" | cut -d: -f1 | sort -u | sed 's/^/     /'
fi
rm -f "${TMPDIR:-/tmp}/lint.$$"

# is_code FILE: a source, script or test file (by extension, or a #! line).
is_code() {
    case $1 in
    *.c | *.h | *.sh | *.py | *.pl | *.cmake | CMakeLists.txt | */CMakeLists.txt) return 0 ;;
    esac
    [ "$(head -c 2 "$1" 2>/dev/null)" = '#!' ]
}
long=() n=0
while IFS= read -r f; do
    [ -f "$f" ] && is_code "$f" || continue
    n=$((n + 1))
    lines=$(wc -l <"$f")
    [ "$lines" -gt "$MAX_LINES" ] && long+=("$lines $f")
done < <(git ls-files)
if [ ${#long[@]} -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   file length: $n source, script and test files within $MAX_LINES lines"
else
    failed=$((failed + 1)); echo "FAIL file length: over $MAX_LINES lines (split by topic):"
    printf '     %s\n' "${long[@]}"
fi

# Every shell script parses (bash -n): a quoting slip fails here, not in
# the middle of the stage that runs it.
bad=() m=0
while IFS= read -r f; do
    [ -f "$f" ] || continue
    case $f in *.sh) ;; *) head -1 "$f" | grep -q '^#!.*\(ba\)\?sh' || continue ;; esac
    m=$((m + 1))
    bash -n "$f" 2>/dev/null || bad+=("$f")
done < <(git ls-files)
if [ ${#bad[@]} -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   shell syntax: $m scripts parse"
else
    failed=$((failed + 1)); echo "FAIL shell syntax (bash -n):"
    printf '     %s\n' "${bad[@]}"
fi

echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
