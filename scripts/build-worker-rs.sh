#!/usr/bin/env bash
# Builds the example Worker written in Rust (examples/worker-rs, feature `worker`) into
# examples/worker-rs/dist: worker.mjs + worker.wasm, ready for workerd / wrangler.
# worker-build is not used: it downloads wasm-bindgen and wasm-opt from GitHub releases unless
# WASM_BINDGEN_BIN / WASM_OPT_BIN / ESBUILD_BIN point at local ones; these are the same three
# steps with the tools scripts/build.sh installs (run it first).
set -euo pipefail
cd "$(dirname "$0")/../examples/worker-rs"

cargo build --release --target wasm32-unknown-unknown --target-dir ../../target
rm -rf build dist && mkdir -p dist
wasm-bindgen --target web --no-typescript --out-dir build \
  ../../target/wasm32-unknown-unknown/release/entra_edge_worker_example.wasm
../../www/node_modules/.bin/wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  build/entra_edge_worker_example_bg.wasm -o dist/worker.wasm
../../www/node_modules/.bin/esbuild shim.mjs --bundle --format=esm --platform=neutral \
  --target=es2022 --external:*.wasm --log-level=warning --outfile=dist/worker.mjs
# The bundle imports the wasm by its build name; it sits beside the bundle as worker.wasm.
sed -i 's#"./build/entra_edge_worker_example_bg.wasm"#"./worker.wasm"#' dist/worker.mjs
raw=$(stat -c %s dist/worker.wasm)
gz=$(gzip -9 -c dist/worker.wasm | wc -c)
echo "built examples/worker-rs/dist: wasm ${raw} bytes (${gz} gzipped)"
