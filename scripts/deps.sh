#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, when missing.
set -euo pipefail
packages=(
    build-essential cmake pkg-config clang libclang-rt-14-dev
    protobuf-c-compiler libprotobuf-c-dev protobuf-compiler
    libsodium-dev libconfig-dev check libssl-dev libcbor-dev
    python3 python3-protobuf python3-dissononce python3-cryptography python3-cbor2
    python3-pytest python3-setuptools python3-wheel python3-pip python3-venv ansible-core
    procps psmisc iproute2 util-linux coreutils bc valgrind openssh-server openssh-client clang-format
    dpkg-dev file binutils mandoc groff-base man-db
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
