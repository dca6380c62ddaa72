#!/usr/bin/env bash
# From a fresh machine to a command run inside a container: installs the Debian packages,
# builds airlock, starts airlockd (unless one already serves the socket), imports the
# busybox test image, runs a pod with one container and runs `date` inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${AIRLOCK_BUILD_DIR:-build}
sock=/run/airlock/airlock.sock

./scripts/install-deps.sh
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
airlock="$build/cli/airlock"

if ! "$airlock" version >/dev/null 2>&1; then
  mkdir -p /var/log/airlock
  echo "demo: starting airlockd (log: /var/log/airlock/airlockd.log)"
  nohup "$build/shim/daemon/airlockd" >>/var/log/airlock/airlockd.log 2>&1 &
  for _ in $(seq 100); do [ -S "$sock" ] && "$airlock" version >/dev/null 2>&1 && break; sleep 0.1; done
fi
"$airlock" version

image="$build/test-images/busybox.oci.tar"
if [ ! -f "$image" ]; then
  mkdir -p "$(dirname "$image")"
  /usr/bin/python3 scripts/make-test-image.py --format oci-archive \
    --tag docker.io/library/busybox:latest --out "$image"
fi
"$airlock" image import "$image"
"$airlock" images

name="demo-$(date +%s)"
"$airlock" run --name "$name" busybox -- sh -c 'echo hello from $(hostname); exec sleep 3600'
"$airlock" pods
"$airlock" ps
if "$airlock" exec --help >/dev/null 2>&1; then
  echo "demo: airlock exec $name -- date"
  "$airlock" exec "$name" -- date
else
  echo "demo: (airlock exec is not built yet) container output:"
  sleep 1
  "$airlock" logs "$name"
fi
echo "demo: done. Remove the pod with: $airlock rm -f $name"
