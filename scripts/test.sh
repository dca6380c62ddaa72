#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: Debian packages, build, then every
# unit and integration test (the integration tests need root: namespaces, mounts, runc),
# then the same suites again on an AddressSanitizer + UBSan build.
#   scripts/test.sh              build into ./build (+ ./build-asan) and run all tests
#   AIRLOCK_BUILD_DIR=dir        use another build directory
#   AIRLOCK_SKIP_ASAN=1          skip the sanitizer stage (quicker local runs)
#   CTEST_ARGS="-R image"        pass extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AIRLOCK_BUILD_DIR:-build}
jobs=$(nproc)

./scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
# Integration tests each start their own airlockd (own socket, root and state), so two
# run at once without sharing anything; the package test runs alone (it installs airlock).
ctest --test-dir "$build" --output-on-failure -j2 ${CTEST_ARGS:-}

if [ "${AIRLOCK_SKIP_ASAN:-0}" != 1 ]; then
  asan="$build-asan"
  cmake -S . -B "$asan" -DCMAKE_BUILD_TYPE=Debug -DAIRLOCK_SANITIZE=ON
  cmake --build "$asan" -j"$jobs"
  # A memory error aborts the process (unit test or airlockd), which fails the suite. The
  # package test is left out: it installs what it builds, and packages are not sanitized.
  ASAN_OPTIONS=abort_on_error=1:detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir "$asan" --output-on-failure -j2 -E 'test_package' ${CTEST_ARGS:-}
fi
