#!/usr/bin/env bash
# Regenerates engine-metal's dev.kiln.metal.ffm from kiln_metal_ffm.h with jextract
# (https://jdk.java.net/jextract, for JDK 25), on a Mac or anywhere jextract runs: the header
# is plain C and names no system header beyond stdint.h. Libraries are not named (-l): Kiln
# loads libobjc and Metal itself (MetalLibraries), so the bindings find their symbols through
# the class loader's lookup. Run from the repository root; then `mvn -pl engine-metal test`
# (BindingsTest checks the classes against the header).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/engine-metal/src/main/java"
rm -f "$out"/dev/kiln/metal/ffm/*.java
jextract --target-package dev.kiln.metal.ffm --header-class-name objc_h --output "$out" \
    --include-struct MTLSize \
    --include-function objc_getClass --include-function sel_registerName \
    --include-function objc_msgSend --include-function objc_msgSend_stret \
    --include-function objc_autoreleasePoolPush --include-function objc_autoreleasePoolPop \
    --include-function MTLCreateSystemDefaultDevice --include-function getpagesize \
    $(grep -o 'typedef [^(]*(\*msg_[a-z_]*)' "$here/kiln_metal_ffm.h" | sed 's/.*(\*\(msg_[a-z_]*\))/--include-typedef \1/') \
    "$here/kiln_metal_ffm.h"
