// zstd-browser.js — the zstd WebAssembly decoder in a browser: the .wasm is fetched from
// `wasmUrl` (the page bundle ships it beside itself as zstd.wasm).
import * as zstd from '@bokuweb/zstd-wasm';

let ready = null;

/** Resolves to the decoder module once it is ready; one instance per page (see zstd-node.js). */
export function initZstd(wasmUrl) {
  ready ??= zstd.init(String(wasmUrl || new URL('./zstd.wasm', import.meta.url))).then(() => zstd);
  return ready;
}
