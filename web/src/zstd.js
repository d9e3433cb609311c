// zstd.js — one zstd frame in, bytes out, with the edge's trained dictionaries: reads the
// frame header (RFC 8878 §3.1.1) for the dictionary ID and content size, fetches the
// dictionary of a format once from the edge (GET /v1/zstd-dict?format=F), checks its ID.
import { initZstd } from '#zstd';

const FRAME_MAGIC = 0xfd2fb528;
const DICT_MAGIC = 0xec30a437;

/**
 * Parses a zstd frame header. Returns {dictId, contentSize} (contentSize -1 when the header
 * has none), or null when `b` is not a zstd frame.
 */
export function frameHeader(b) {
  if (b.length < 6 || readLE(b, 0, 4) !== FRAME_MAGIC) return null;
  const fhd = b[4];
  const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, didFlag = fhd & 3;
  let p = 5 + (single ? 0 : 1);
  const didLen = [0, 1, 2, 4][didFlag];
  const fcsLen = [single ? 1 : 0, 2, 4, 8][fcsFlag];
  if (b.length < p + didLen + fcsLen) return null;
  const dictId = didLen ? readLE(b, p, didLen) : 0;
  p += didLen;
  let contentSize = -1;
  if (fcsLen) {
    contentSize = readLE(b, p, Math.min(fcsLen, 6)) + (fcsLen === 2 ? 256 : 0);
    if (fcsLen === 8 && (b[p + 6] || b[p + 7])) contentSize = Number.MAX_SAFE_INTEGER;
  }
  return { dictId, contentSize };
}

/** The ID of a zstd dictionary file (0 for a raw-content dictionary). */
export function dictId(d) {
  return d.length >= 8 && readLE(d, 0, 4) === DICT_MAGIC ? readLE(d, 4, 4) : 0;
}

let dctx = 0;

/** One decompression context for the process: decoding is synchronous, so it is never shared
 * by two calls at once. */
function sharedDCtx(z) {
  dctx ||= z.createDCtx();
  return dctx;
}

function readLE(b, off, n) {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + b[off + i];
  return v;
}

/**
 * A decoder for one edge: `fetchDict(format)` resolves to the dictionary bytes (Uint8Array).
 * `maxBytes` bounds the declared content size of a frame.
 */
export class ZstdDecoder {
  constructor({ fetchDict, wasmUrl, maxBytes = 8 << 20 }) {
    this.fetchDict = fetchDict;
    this.maxBytes = maxBytes;
    this.ready = initZstd(wasmUrl);
    this.dicts = new Map();   // format -> {id, bytes}
    this.z = null;
  }

  /** Resolves to the decompressed bytes of one frame; rejects on a bad frame or dictionary. */
  async decode(frame, format) {
    if (!this.z) this.z = await this.ready;
    const h = frameHeader(frame);
    if (!h) throw new Error('not a zstd frame');
    if (h.contentSize < 0 || h.contentSize > this.maxBytes)
      throw new Error(`zstd frame content size ${h.contentSize} missing or over ${this.maxBytes}`);
    const opts = { defaultHeapSize: Math.max(h.contentSize, 1) };
    if (!h.dictId) return this.z.decompress(frame, opts);
    const d = await this.dict(format, h.dictId);
    return this.z.decompressUsingDict(sharedDCtx(this.z), frame, d, opts);
  }

  async dict(format, id) {
    let d = this.dicts.get(format);
    if (d && d.id === id) return d.bytes;
    // first use, or the edge was redeployed with another dictionary: fetch (again)
    const bytes = new Uint8Array(await this.fetchDict(format));
    const got = dictId(bytes);
    if (got !== id) throw new Error(`zstd dictionary for ${format} has ID ${got}, frames need ${id}`);
    this.dicts.set(format, { id, bytes });
    return bytes;
  }
}
