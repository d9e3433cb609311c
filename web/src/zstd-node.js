// zstd-node.js — the zstd WebAssembly decoder under Node (@bokuweb/zstd-wasm reads its
// .wasm from its own package directory). Selected through the "#zstd" import of package.json.
import zstd from '@bokuweb/zstd-wasm';

let ready = null;

/**
 * Resolves to the decoder module once it is ready. The module is one instance per process:
 * initialising it again would replace its memory under contexts already made, so every
 * caller shares this one promise. `_wasmUrl` is a browser-only option.
 */
export function initZstd(_wasmUrl) {
  ready ??= zstd.init().then(() => zstd);
  return ready;
}
