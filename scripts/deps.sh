#!/bin/sh
# Installs the Debian 12 packages the build, tests and `make run` need, if missing.
set -e
PKGS="build-essential pkg-config libevent-dev libhiredis-dev libprotobuf-c-dev
protobuf-c-compiler libzstd-dev zstd libjansson-dev libssl-dev redis-server
python3 python3-websockets python3-zstandard curl clang libclang-rt-14-dev gnuplot-nox
prometheus stunnel4 nginx libnginx-mod-nchan nodejs chromium fonts-noto-cjk fonts-noto-color-emoji"
# nodejs: the web/ client and its tests (node:test); Debian's nodejs 18 ships npm apart
command -v npm >/dev/null || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
