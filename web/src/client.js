// client.js — DanmakuClient: watches one room of a danmaku edge over WebSocket
// (docs/PROTOCOL.md). JSON or protobuf, optionally zstd with the edge's trained dictionary;
// history on join, resume with since/epoch after every disconnect (exponential backoff with
// jitter, or the delay of a `reconnect` frame), `reset` and `gap` surfaced as events, and
// never a duplicate seq delivered. Runs in browsers (global WebSocket and fetch) and under
// Node (pass `WebSocket` from the `ws` package).
import { decodeJson, decodePb } from './frames.js';
import { ZstdDecoder } from './zstd.js';

export { decodeJson, decodePb } from './frames.js';
export { frameHeader, dictId } from './zstd.js';

/** Close codes after which reconnecting cannot help (the client itself is wrong). */
const FATAL_CLOSE = new Set([1002, 1003, 1007, 1009]);
/** A connection open this long counts as a success for the backoff, frames or not. */
const STABLE_MS = 5000;

/** Exponential backoff with jitter: attempt 0, 1, 2 … -> a delay in [d/2, d], d = min(max, min*2^n). */
export function backoffDelay(attempt, minMs, maxMs, rand = Math.random) {
  const d = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + rand() * d / 2);
}

/** The delay to follow a `reconnect` frame: uniform in [delay_ms/2, 3*delay_ms/2]. */
export function reconnectDelay(delayMs, rand = Math.random) {
  const d = Math.max(0, Number(delayMs) || 0);
  return Math.round(d / 2 + rand() * d);
}

function defaultBase() {
  const loc = globalThis.location;
  if (!loc || !loc.host) return null;
  return (loc.protocol === 'https:' ? 'wss://' : 'ws://') + loc.host;
}

export class DanmakuClient {
  /**
   * opts: room (required); url: edge base `ws://host:port` (default: the page's origin);
   * format 'json'|'pb'; compress 'none'|'zstd'; history N (first join only); token;
   * since + epoch: start as a resume; backoffMinMs 100, backoffMaxMs 5000;
   * WebSocket (constructor, default globalThis.WebSocket); fetch (default globalThis.fetch);
   * zstdWasmUrl (browser: where zstd.wasm is). Call start() to connect.
   */
  constructor(opts) {
    if (!opts || !opts.room) throw new TypeError('DanmakuClient: room is required');
    this.room = opts.room;
    this.base = (opts.url || defaultBase() || '').replace(/\/+$/, '');
    if (!/^wss?:\/\//.test(this.base)) throw new TypeError('DanmakuClient: url must be ws:// or wss://');
    this.format = opts.format || 'json';
    this.compress = opts.compress || 'none';
    if (!['json', 'pb'].includes(this.format)) throw new TypeError('format must be json or pb');
    if (!['none', 'zstd'].includes(this.compress)) throw new TypeError('compress must be none or zstd');
    this.history = opts.history;
    this.token = opts.token;
    this.backoffMinMs = opts.backoffMinMs ?? 100;
    this.backoffMaxMs = opts.backoffMaxMs ?? 5000;
    this.WS = opts.WebSocket || globalThis.WebSocket;
    this.fetchFn = opts.fetch || globalThis.fetch?.bind(globalThis);
    if (!this.WS) throw new TypeError('DanmakuClient: no WebSocket (pass opts.WebSocket, e.g. from "ws")');
    this.epoch = opts.epoch ?? null;
    this.lastSeq = opts.epoch != null && opts.since != null ? Number(opts.since) : null;
    this.state = 'idle';
    this.attempt = 0;             // failed connection attempts since the last frame
    this.connections = 0;         // sockets opened so far
    this.stats = { frames: 0, events: 0, dup_dropped: 0, resets: 0, gaps: 0, reconnects: 0, other: 0 };
    this.handlers = new Map();
    this.ws = null;
    this.gen = 0;                 // socket generation: messages of an older socket are ignored
    this.timer = null;
    this.queue = Promise.resolve();
    this.zstd = this.compress === 'zstd' ? new ZstdDecoder({
      fetchDict: (f) => this.fetchDict(f), wasmUrl: opts.zstdWasmUrl }) : null;
  }

  /** Adds a listener: 'events' (events[], frame), 'reset', 'gap', 'other', 'open', 'close', 'error', 'state'. */
  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, new Set());
    this.handlers.get(name).add(fn);
    return this;
  }

  off(name, fn) {
    this.handlers.get(name)?.delete(fn);
    return this;
  }

  emit(name, ...args) {
    for (const fn of this.handlers.get(name) || []) {
      try {
        fn(...args);
      } catch (e) {
        if (name !== 'error') this.emit('error', e);
      }
    }
  }

  setState(s) {
    if (this.state === s) return;
    this.state = s;
    this.emit('state', s);
  }

  /** Connects (no-op if already started). */
  start() {
    if (this.state !== 'idle') return this;
    this.connect();
    return this;
  }

  /** Stops for good: closes the socket with 1000, cancels any pending reconnect. */
  close() {
    clearTimeout(this.timer);
    this.timer = null;
    this.setState('closed');
    this.dropSocket(1000);
  }

  /** The WebSocket URL of the next connection (resume when an epoch and seq are known). */
  url() {
    const q = new URLSearchParams({ format: this.format, compress: this.compress });
    if (this.epoch != null && this.lastSeq != null) {
      q.set('since', String(this.lastSeq));
      q.set('epoch', this.epoch);
    } else if (this.history != null) {
      q.set('history', String(this.history));
    }
    if (this.token) q.set('token', this.token);
    return `${this.base}/v1/rooms/${encodeURIComponent(this.room)}/ws?${q}`;
  }

  httpBase() {
    return this.base.replace(/^ws/, 'http');
  }

  async fetchDict(format) {
    if (!this.fetchFn) throw new Error('no fetch() to load the zstd dictionary');
    const r = await this.fetchFn(`${this.httpBase()}/v1/zstd-dict?format=${format}`);
    if (!r.ok) throw new Error(`GET /v1/zstd-dict?format=${format}: HTTP ${r.status}`);
    return new Uint8Array(await r.arrayBuffer());
  }

  connect() {
    const gen = ++this.gen;
    this.setState('connecting');
    let ws;
    try {
      ws = new this.WS(this.url());
    } catch (e) {
      this.emit('error', e);
      this.scheduleRetry({ code: 0, reason: String(e.message || e) });
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    if (typeof ws.on === 'function') this.watchHandshake(ws, gen);
    this.connections++;
    ws.onopen = () => {
      if (gen !== this.gen) return;
      this.openedAt = Date.now();
      this.setState('open');
      this.emit('open', { url: this.url(), connection: this.connections });
    };
    ws.onmessage = (m) => {
      if (gen !== this.gen) return;
      const data = m.data;
      this.queue = this.queue.then(() => this.handleMessage(gen, data));
    };
    ws.onerror = (e) => {
      if (gen !== this.gen) return;
      this.lastError = e && (e.message || e.error?.message);
    };
    ws.onclose = (e) => {
      if (gen !== this.gen) return;
      // frames received before the close are handled first
      this.queue = this.queue.then(() => this.onSocketClosed(gen, e.code, e.reason));
    };
  }

  /**
   * Node's `ws` only: a refused handshake (HTTP status instead of 101) is seen with its
   * status and Retry-After (browsers hide both: a plain close 1006 there).
   */
  watchHandshake(ws, gen) {
    ws.on('unexpected-response', (req, res) => {
      if (gen !== this.gen) return;
      const ra = Number(res.headers['retry-after']);
      this.refused = { status: res.statusCode, retryAfterMs: ra >= 0 ? ra * 1000 : null };
      res.resume();
      ws.terminate();            // aborts the handshake: 'error', then close 1006
    });
  }

  /** Detaches the current socket (its late events are ignored) and closes it. */
  dropSocket(code, reason) {
    const ws = this.ws;
    this.ws = null;
    this.gen++;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  async onSocketClosed(gen, code, reason) {
    if (gen !== this.gen || this.state === 'closed') return;
    this.ws = null;
    const info = { code, reason: reason || this.lastError || '' };
    const refused = this.refused;
    this.lastError = this.refused = null;
    if (refused) {
      info.status = refused.status;
      info.reason = `handshake refused: HTTP ${refused.status}`;
    }
    if (FATAL_CLOSE.has(code) || (info.status >= 400 && info.status < 500 && info.status !== 429)) {
      this.emit('close', { ...info, willRetry: false });
      this.emit('error', new Error(`edge refused the client: ${info.status || code} ${info.reason}`));
      this.setState('closed');
      return;
    }
    // a connection that lived a while (a quiet room sends no frame) starts the backoff again
    if (this.openedAt && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
    this.openedAt = 0;
    // 503 over_capacity: honour Retry-After when it is longer than the backoff
    const backoff = backoffDelay(this.attempt, this.backoffMinMs, this.backoffMaxMs);
    const wait = refused?.retryAfterMs != null ? Math.max(backoff, refused.retryAfterMs) : backoff;
    this.attempt++;
    this.scheduleRetry(info, wait);
  }

  scheduleRetry(info, delayMs) {
    const delay = delayMs ?? backoffDelay(this.attempt++, this.backoffMinMs, this.backoffMaxMs);
    this.stats.reconnects++;
    this.emit('close', { ...info, willRetry: true, delayMs: delay });
    this.setState('waiting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state === 'waiting') this.connect();
    }, delay);
  }

  async handleMessage(gen, data) {
    if (gen !== this.gen) return;
    let frame;
    try {
      frame = await this.decode(data);
    } catch (e) {
      if (gen !== this.gen) return;
      // a frame we cannot read: drop the connection and resume from the last good seq
      this.emit('error', e);
      this.dropSocket(1000);
      this.scheduleRetry({ code: 0, reason: 'undecodable frame: ' + e.message });
      return;
    }
    if (gen !== this.gen) return;
    this.stats.frames++;
    this.attempt = 0;
    this.onFrame(frame);
  }

  async decode(data) {
    let bytes = typeof data === 'string' ? null : new Uint8Array(data);
    if (this.zstd && bytes) bytes = await this.zstd.decode(bytes, this.format);
    if (this.format === 'json' || bytes === null) return decodeJson(bytes ?? data);
    return decodePb(bytes);
  }

  onFrame(f) {
    switch (f.type) {
      case 'batch': return this.onBatch(f);
      case 'reset': return this.onReset(f);
      case 'gap': return this.onGap(f);
      case 'reconnect': return this.onReconnect(f);
      default:
        this.stats.other++;
        this.emit('other', f);
    }
  }

  onBatch(f) {
    if (this.epoch != null && f.epoch && f.epoch !== this.epoch) {
      // protocol: a reset precedes a new epoch; if one never came, act as if it had
      this.onReset({ type: 'reset', room: f.room, epoch: f.epoch, from_seq: f.from_seq,
        reason: 'epoch_changed', synthetic: true });
    }
    if (f.epoch) this.epoch = f.epoch;
    const fresh = [];
    for (const ev of f.events || []) {
      if (this.lastSeq != null && ev.seq <= this.lastSeq) {
        this.stats.dup_dropped++;
        continue;
      }
      if (this.lastSeq != null && ev.seq > this.lastSeq + 1) {
        // never silent: a hole without a gap or reset frame is reported like a gap
        this.onGap({ type: 'gap', room: f.room, from_seq: this.lastSeq + 1, to_seq: ev.seq - 1,
          reason: 'missing', synthetic: true }, fresh);
        fresh.length = 0;
      }
      this.lastSeq = ev.seq;
      if (ev.kind !== 'unknown') fresh.push(ev);
    }
    if (!fresh.length) return;
    this.stats.events += fresh.length;
    this.emit('events', fresh, f);
  }

  onReset(f) {
    this.stats.resets++;
    if (f.epoch) this.epoch = f.epoch;
    this.lastSeq = f.from_seq - 1;
    this.emit('reset', f);
  }

  onGap(f, pending) {
    if (pending && pending.length) {
      // keep order: events before the hole go out before the gap
      this.stats.events += pending.length;
      this.emit('events', pending.slice(), f);
    }
    this.stats.gaps++;
    if (this.lastSeq == null || f.to_seq > this.lastSeq) this.lastSeq = f.to_seq;
    this.emit('gap', f);
  }

  onReconnect(f) {
    const delay = reconnectDelay(f.delay_ms);
    this.emit('reconnect', f);
    this.dropSocket(1000);
    this.scheduleRetry({ code: 0, reason: 'reconnect requested' }, delay);
  }
}

export default DanmakuClient;
