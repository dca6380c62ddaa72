#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: Debian packages, build, then every
# unit and integration test (the integration tests need root: namespaces, mounts, runc).
#   scripts/test.sh            build into ./build and run all tests
#   AIRLOCK_BUILD_DIR=dir      use another build directory
#   CTEST_ARGS="-R image"      pass extra arguments to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AIRLOCK_BUILD_DIR:-build}

./scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
# Integration tests each start their own airlockd (own socket, root and state), so two
# run at once without sharing anything.
ctest --test-dir "$build" --output-on-failure -j2 ${CTEST_ARGS:-}
