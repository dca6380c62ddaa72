#!/usr/bin/env bash
# Starts a private airlockd, runs one busybox container, and times `true` inside it through
# CRI ExecSync, `runc exec` and `nsenter --all`, side by side (bench/exec_bench.cc).
# Usage (root): bench/run_exec_bench.sh [N]     Needs a build in ./build (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AIRLOCK_BUILD_DIR:-build}
n=${1:-400}
work=$(mktemp -d /tmp/airlock-bench.XXXXXX)
sock=$work/airlock.sock
airlock() { "$build/cli/airlock" --runtime-endpoint "unix://$sock" "$@"; }
cleanup() {
  airlock rm -f bench >/dev/null 2>&1 || true
  [ -n "${daemon:-}" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
  rm -rf "$work" /var/log/airlock/pods/default_bench_*
}
trap cleanup EXIT

"$build/shim/daemon/airlockd" --address "$sock" --root "$work/root" --state "$work/state" \
  --log-level warn 2>"$work/airlockd.log" &
daemon=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
image=$work/busybox.tar
/usr/bin/python3 scripts/make-test-image.py --format oci-archive --tag docker.io/library/busybox:latest --out "$image"
airlock image import "$image" >/dev/null
airlock run --name bench busybox -- sleep 1000000 >/dev/null
cid=$(airlock ps -o json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["containers"][0]["id"])')
pid=$(runc --root "$work/state/runtime" state "$cid" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
echo "# exec_bench: N=$n, container $cid (init pid $pid), $(nproc) cores, $(uname -r)"
"$build/bench/exec_bench" --endpoint "unix://$sock" --container "$cid" --runc-root "$work/state/runtime" \
  --pid "$pid" --n "$n"
echo "# airlockd RSS after the run: $(grep VmRSS /proc/$daemon/status | awk '{print $2, $3}'), threads: $(grep Threads /proc/$daemon/status | awk '{print $2}')"
