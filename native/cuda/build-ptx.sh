#!/usr/bin/env bash
# Compiles every kernel source here to PTX in ptx/, when nvcc is on PATH and the sources
# changed since the committed PTX was built (ptx/SOURCES.sha256 records their hashes).
# compute_75 (Turing) is the oldest architecture nvcc 13 targets; its PTX is JIT-compiled by
# the driver for any newer GPU. Without nvcc the committed PTX is packaged as it is, and
# CudaPtxTest fails if it is stale.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")"
want=$(sha256sum kiln_cuda.cuh *.cu)
if [ -f ptx/SOURCES.sha256 ] && [ "$(cat ptx/SOURCES.sha256)" = "$want" ]; then
    exit 0
fi
if ! command -v nvcc >/dev/null 2>&1; then
    echo "build-ptx: nvcc is not on PATH; packaging the committed PTX, which is older than its sources" >&2
    exit 0
fi
for f in *.cu; do
    nvcc -ptx -arch=compute_75 -O3 -I. "$f" -o "ptx/${f%.cu}.ptx"
done
echo "$want" > ptx/SOURCES.sha256
echo "build-ptx: compiled $(ls *.cu | wc -l) kernel sources with $(nvcc --version | tail -1)"
