#!/usr/bin/env bash
# Set up and run every test: install missing Debian packages, build with
# warnings as errors (gcc), build again with ASan/UBSan and libFuzzer (clang),
# run the whole suite sanitized (every hwkey and hwkey-cloudsim the tests start
# is the sanitized build) plus the fuzz targets, the threaded tests under
# ThreadSanitizer (clang), then the whole suite on the gcc build. The last thing printed is ctest's own summary of that last run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
hk_install_deps

jobs=$(nproc)
build=${HK_BUILD:-build}
asan=${HK_BUILD_ASAN:-build-asan}

echo "== build ($build, gcc, -Werror)"
cmake -S . -B "$build" -DWERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build "$build" -j"$jobs"

if [ "${HK_SKIP_ASAN:-0}" != 1 ]; then
	echo "== build ($asan, clang, ASan/UBSan, libFuzzer)"
	CC=clang cmake -S . -B "$asan" -DWERROR=ON -DBUILD_TESTING=ON -DFUZZ=ON \
		-DHK_FUZZ_SECONDS="${HK_FUZZ_SECONDS:-20}" >/dev/null
	cmake --build "$asan" -j"$jobs"
	echo "== the whole suite and the fuzz targets, sanitized"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
		LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
		ctest --test-dir "$asan" --output-on-failure -j"$jobs"
fi

if [ "${HK_SKIP_TSAN:-0}" != 1 ]; then
	tsan=${HK_BUILD_TSAN:-build-tsan}
	echo "== build ($tsan, clang, ThreadSanitizer)"
	CC=clang cmake -S . -B "$tsan" -DWERROR=ON -DBUILD_TESTING=ON -DSANITIZE_THREAD=ON >/dev/null
	cmake --build "$tsan" -j"$jobs"
	# The threaded parts only (label tsan): the provisioning engine's unit
	# tests, the HTTP engine's, one whole 20-token plan and the fault cases.
	echo "== the threaded tests under ThreadSanitizer"
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest --test-dir "$tsan" --output-on-failure -L tsan -j"$jobs"
fi

echo "== the whole suite"
ctest --test-dir "$build" --output-on-failure -j"$jobs"
