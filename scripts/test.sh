#!/usr/bin/env bash
# The project's test command. Numeric tests run with optimisation on
# (debug builds make the kernels very slow); -enable-testing keeps
# @testable imports working in the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing --build-tests
echo "[test.sh] build: $SECONDS s"
# The test process computes in-process too: give it the OpenBLAS kernels the
# worker would choose for itself (BLAS.reexecForOpenBLAS; unless set already).
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    core=$("$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/worker" models | sed -n 's/^OpenBLAS core: \([A-Za-z0-9]*\) (OPENBLAS_CORETYPE set by LinearGAN.*/\1/p' || true)
    if [ -n "$core" ]; then export OPENBLAS_CORETYPE=$core; echo "[test.sh] OPENBLAS_CORETYPE=$core (as the worker chooses on this CPU)"; fi
fi
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
