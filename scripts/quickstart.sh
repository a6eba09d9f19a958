#!/usr/bin/env bash
# The main job on the bundled sample with the offline judge: installs, builds, runs `cai run`.
# The binary is build-release/cai, the path the README's examples use.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCAI_SANITIZE=OFF >/dev/null
cmake --build build-release -j"$(nproc)" --target cai >/dev/null
rm -rf datasets/out/quickstart
./build-release/cai run --input datasets/samples/pairs.jsonl --constitution constitution/hhh.json \
    --judge builtin --output datasets/out/quickstart "$@"
echo
echo "dataset: datasets/out/quickstart (manifest.json, README.md, data/)"
echo "cai:     ./build-release/cai (try ./build-release/cai --help)"
