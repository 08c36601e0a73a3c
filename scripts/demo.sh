#!/usr/bin/env bash
# The main job end to end, on throwaway parts: install what is missing, build,
# then show hwkey at work. Grows with each part of hwkey that lands.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
hk_install_deps

cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
hwkey=$PWD/build/hwkey
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "hwkey $("$hwkey" --version | cut -d' ' -f2)"
"$hwkey" --help
