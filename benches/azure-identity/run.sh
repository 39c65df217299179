#!/usr/bin/env bash
# Builds and runs the comparison (about 15 minutes of building on 2 cores, the first time).
set -euo pipefail
cd "$(dirname "$0")"
cargo run --release
