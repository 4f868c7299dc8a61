#!/usr/bin/env bash
# gpu-bench.sh: the GPU comparison, in one script, for a machine with a real GPU.
#
#   apps/bench/scripts/gpu-bench.sh            build if needed, run, write ${OUT:-apps/bench/results}/gpu-bench.md
#   apps/bench/scripts/gpu-bench.sh --prepare  only build the self-contained bundle (on a machine with the workspace installed)
#   apps/bench/scripts/gpu-bench.sh --prepare --with-node
#                                              the same, plus this machine's node binary compressed
#                                              (node.xz, about 23 MiB) for a GPU machine without Node
#
# It runs the bench harness's quick configs (every convolution kind, each output verified against
# convkit's CPU reference before it is timed) on `convkit webgpu` (@convkit/kernels-gpu, 'auto'),
# `convkit webgpu direct` (its reference kernels), `tfjs webgpu` (@tensorflow/tfjs-backend-webgpu,
# the GPU peer, which runs headless in Node once navigator.gpu is Dawn's) and `convkit auto` (the
# CPU kernels, for scale). WebGPU in Node comes from the `webgpu` package (Dawn's prebuilt binary,
# Vulkan on Linux). ONNX Runtime Web's WebGPU provider is not run: in Node its session creation
# fails inside the wasm ("Invalid argument"); it needs a browser.
#
# What the run needs on the GPU machine: the node binary ($NODE, default `node`, >= 20), the
# working tree, and either
#   - apps/bench/dist/gpu-bench/   the prepared bundle (about 25 MiB: the harness, every convkit
#                                  package and tfjs in one bench.mjs, the CPU pool's worker in
#                                  cpu-worker.js, plus Dawn's linux-x64 binary), made by
#                                  `--prepare` on a machine with `pnpm install` done; no network, no
#                                  pnpm and no other node_modules needed; or
#   - an installed workspace (node_modules from `pnpm install`), from which it prepares the bundle.
# Environment: NODE (node binary), OUT (folder for gpu-bench.md and the raw results),
# ENGINES (override the engine list), FILTER (override the config list).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
NODE="${NODE:-node}"
# A NODE or OUT given as a relative path is relative to where the script was started.
case "$NODE" in /*) ;; */*) NODE="$PWD/$NODE" ;; esac
if [ -n "${OUT:-}" ]; then case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac; fi
OUT="${OUT:-$ROOT/apps/bench/results}"
cd "$ROOT"
BUNDLE="apps/bench/dist/gpu-bench"
ENGINES="${ENGINES:-convkit-auto,convkit-webgpu,convkit-webgpu-direct,tfjs-webgpu}"

if [ "${1:-}" != "--prepare" ] && ! command -v "$NODE" >/dev/null 2>&1; then
  # No Node here: use the one the bundle carries (made by --prepare --with-node), if any.
  if [ -f "$ROOT/apps/bench/dist/gpu-bench/node.xz" ] && command -v xz >/dev/null 2>&1; then
    mkdir -p "$ROOT/apps/bench/dist/gpu-bench/bin"
    xz -dc "$ROOT/apps/bench/dist/gpu-bench/node.xz" > "$ROOT/apps/bench/dist/gpu-bench/bin/node"
    chmod +x "$ROOT/apps/bench/dist/gpu-bench/bin/node"
    NODE="$ROOT/apps/bench/dist/gpu-bench/bin/node"
    echo "gpu-bench: using the carried node binary ($("$NODE" --version))"
  else
    echo "gpu-bench: no node binary '$NODE'; set NODE=/path/to/node (Node 20 or later), or carry a bundle made with --prepare --with-node (needs xz here)" >&2
    exit 2
  fi
fi
NODE_MAJOR="$("$NODE" -p 'process.versions.node.split(".")[0]')"
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "gpu-bench: Node 20 or later needed, $NODE is $("$NODE" --version)" >&2
  exit 2
fi

# The bundle: bench.mjs (esbuild, sources through the convkit-source condition) and, beside it,
# node_modules/ with what bench.mjs loads at run time: Dawn (the `webgpu` package, this
# platform's binary only) and the package.json files the engines read their versions from.
prepare() {
  local esbuild_dir webgpu_dir platform
  esbuild_dir="$(cd packages/kernels-gpu/node_modules/esbuild 2>/dev/null && pwd -P)" || {
    if command -v pnpm >/dev/null 2>&1; then
      echo "gpu-bench: installing the workspace (pnpm install --frozen-lockfile)"
      pnpm install --frozen-lockfile
      esbuild_dir="$(cd packages/kernels-gpu/node_modules/esbuild && pwd -P)"
    else
      echo "gpu-bench: no $BUNDLE and no installed workspace (node_modules); run --prepare where 'pnpm install' was done and carry $BUNDLE" >&2
      exit 2
    fi
  }
  webgpu_dir="$(cd packages/kernels-gpu/node_modules/webgpu && pwd -P)"
  platform="$("$NODE" -p 'process.platform === "darwin" ? "darwin-universal" : `${process.platform}-${process.arch}`')"
  rm -rf "$BUNDLE"
  mkdir -p "$BUNDLE/node_modules/webgpu/dist" "$BUNDLE/node_modules/@convkit/kernels-cpu" "$BUNDLE/node_modules/@convkit/kernels-gpu"
  "$NODE" --input-type=module -e "
    const { build } = await import('$esbuild_dir/lib/main.js');
    await build({
      entryPoints: ['apps/bench/src/main.ts'],
      outfile: '$BUNDLE/bench.mjs',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['convkit-source'],
      // ONNX Runtime is loaded only if its engines run (not here); Dawn from node_modules beside the bundle.
      external: ['webgpu', 'onnxruntime-node', 'onnxruntime-web'],
      banner: { js: \"import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);\" },
      logLevel: 'warning',
    });
  "
  # The CPU context's pool worker (the convkit 2T and 'auto' threads engines): kernels-cpu looks for
  # cpu-worker.js beside the module that spawns it, here bench.mjs; bundled whole, from the build.
  [ -f packages/kernels-cpu/dist/cpu-worker.js ] || pnpm --filter @convkit/kernels-cpu build
  "$NODE" --input-type=module -e "
    const { build } = await import('$esbuild_dir/lib/main.js');
    await build({
      entryPoints: ['packages/kernels-cpu/dist/cpu-worker.js'],
      outfile: '$BUNDLE/cpu-worker.js',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
    });
  "
  cp "$webgpu_dir/index.js" "$webgpu_dir/package.json" "$BUNDLE/node_modules/webgpu/"
  cp -r "$webgpu_dir/dist/$platform" "$BUNDLE/node_modules/webgpu/dist/"
  cp packages/kernels-cpu/package.json "$BUNDLE/node_modules/@convkit/kernels-cpu/"
  cp packages/kernels-gpu/package.json "$BUNDLE/node_modules/@convkit/kernels-gpu/"
  # Which adapter Dawn finds here, for the report's header.
  cat > "$BUNDLE/probe-adapter.mjs" <<'PROBE'
import { create } from 'webgpu';
const gpu = create([]);
const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const info = adapter?.info;
console.log(adapter ? `${info.vendor} / ${info.architecture} / ${info.device} / ${info.description}` : 'none (no WebGPU adapter: is a Vulkan driver and libvulkan1 installed?)');
process.exit(0);
PROBE
  echo "gpu-bench: prepared $BUNDLE ($(du -sh "$BUNDLE" | cut -f1))"
}

if [ "${1:-}" = "--prepare" ]; then
  prepare
  if [ "${2:-}" = "--with-node" ]; then
    echo "gpu-bench: compressing $(command -v "$NODE") into $BUNDLE/node.xz (a few minutes)"
    xz -T0 -6 -c "$(command -v "$NODE")" > "$BUNDLE/node.xz"
    echo "gpu-bench: bundle with node: $(du -sh "$BUNDLE" | cut -f1)"
  fi
  exit 0
fi
[ -f "$BUNDLE/bench.mjs" ] || prepare

mkdir -p "$OUT"
RUN_DIR="$OUT/gpu-bench-run"
ARGS=(--quick --engines "$ENGINES" --out "$RUN_DIR" --no-progress)
[ -n "${FILTER:-}" ] && ARGS+=(--filter "$FILTER")
ADAPTER="$(cd "$BUNDLE" && "$NODE" probe-adapter.mjs 2>/dev/null | tail -n 1 || true)"
echo "gpu-bench: WebGPU adapter: ${ADAPTER:-unknown}"
# Relaxed SIMD is behind a flag in Node 20 (the CPU engines use it when present); newer Nodes may not know the flag.
FLAGS=()
"$NODE" --experimental-wasm-relaxed-simd -e 0 >/dev/null 2>&1 && FLAGS+=(--experimental-wasm-relaxed-simd)
echo "gpu-bench: $NODE ${FLAGS[*]:-} $BUNDLE/bench.mjs ${ARGS[*]}"
STATUS=0
"$NODE" ${FLAGS[@]+"${FLAGS[@]}"} "$BUNDLE/bench.mjs" "${ARGS[@]}" 2>&1 | tee "$OUT/gpu-bench.log" || STATUS=$?

{
  echo "# convkit GPU bench"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- Node: $("$NODE" --version), $(uname -sm)"
  if command -v nvidia-smi >/dev/null 2>&1; then
    echo "- GPU (nvidia-smi): $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | paste -sd ';' -)"
  fi
  echo "- WebGPU adapter (Dawn, high-performance): ${ADAPTER:-unknown} ('software adapter' in the tables means a CPU driver, whose timings say nothing about GPUs)"
  echo "- Command: apps/bench/scripts/gpu-bench.sh (exit status of the run: $STATUS)"
  echo
  if [ -f "$RUN_DIR/latest.md" ]; then
    sed '1s/^# /## /' "$RUN_DIR/latest.md"
  else
    echo "The run wrote no table; its output:"
    echo
    echo '```'
    tail -n 60 "$OUT/gpu-bench.log"
    echo '```'
  fi
} > "$OUT/gpu-bench.md"
echo "gpu-bench: wrote $OUT/gpu-bench.md"
exit "$STATUS"
