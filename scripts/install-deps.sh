#!/usr/bin/env bash
# Installs every Debian package that airlock needs to build, test and run.
# Debian 12 (bookworm) only; needs root. Safe to run again.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git
  protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev
  libnghttp2-dev libssl-dev zlib1g-dev libwslay-dev libboost-dev
  libcap-dev libseccomp-dev libspdlog-dev libfmt-dev
  libarchive-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev
  # runtime
  runc busybox-static iproute2 util-linux
  # test peers: real clients of our protocols
  python3 python3-grpcio python3-protobuf python3-kubernetes python3-websocket python3-h2 asciinema
  golang-go golang-github-docker-spdystream-dev
  nghttp2-client curl tmux procps
  # packaging
  rpm dpkg-dev
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps.sh: must run as root (apt-get install)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps.sh: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || echo "install-deps.sh: apt-get update failed; trying the cached lists" >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}"
