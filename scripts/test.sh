#!/usr/bin/env bash
# The project's test command. Numeric tests run with optimisation on
# (debug builds make the kernels very slow); -enable-testing keeps
# @testable imports working in the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release -Xswiftc -enable-testing --build-tests
echo "[test.sh] build: $SECONDS s"
swift test -c release -Xswiftc -enable-testing --skip-build "$@"
