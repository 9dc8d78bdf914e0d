#!/usr/bin/env bash
# Configure and build one build type into its own directory.
#   scripts/build.sh [Release|Sanitize|Debug] [builddir]
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-Release}"
dir="${2:-build}"
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE="$type" >/dev/null
cmake --build "$dir" -j"$(nproc)"
