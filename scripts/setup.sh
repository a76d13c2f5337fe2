#!/usr/bin/env bash
# Installs the Debian packages that `make test` or `make bench` need, when
# they are missing. As root it runs apt-get; otherwise it prints the exact
# command and stops. Usage: scripts/setup.sh test|bench
set -eu
what=${1:-test}

# Build and test: compiler with OpenMP, hwloc, zlib, the Arm cross compiler
# and qemu (the NEON path is tested under emulation), clang (libFuzzer),
# the Fashion-MNIST data (end-to-end checks), Open MPI (the MPI training:
# build/myelin-mpi, tests/phase-mpi.sh).
pkgs="gcc g++ make libhwloc-dev zlib1g-dev pkg-config groff-base gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user clang dataset-fashion-mnist openmpi-bin libopenmpi-dev"
# The Python package's tests (tests/phase-python.sh) and its scikit-learn estimators.
pkgs="$pkgs python3-numpy python3-pytest python3-sklearn"
if [ "$what" = bench ]; then
    # Peers and plotting for the benchmark suite.
    pkgs="$pkgs libbenchmark-dev libopenblas-dev libdnnl-dev libblis-dev libxsmm-dev python3-matplotlib python3-numpy python3-torch"
else
    # The benchmark binary is smoke-tested by `make test` as well; the BLAS
    # library is tested with netlib's testers and under NumPy.
    pkgs="$pkgs libbenchmark-dev libopenblas-dev libblas-test python3-numpy"
    # ThreadSanitizer phase: LLVM's OpenMP runtime and its Archer tool (clang 14).
    pkgs="$pkgs libomp-14-dev"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages:$missing" >&2
    echo "setup: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
echo "setup: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
