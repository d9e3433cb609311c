// watch.js — test helpers around DanmakuClient: a Watcher that records everything a client
// surfaces and checks the no-duplicate / no-silent-hole accounting, and a proxy that sits
// between a client and the real edge to inject frames the edge does not send (yet).
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { DanmakuClient } from '../src/client.js';
import { waitFor } from './stack.js';

/** A `ws` WebSocket subclass that remembers every socket it made (to pause one in a test). */
export function trackingWebSocket() {
  const made = [];
  class Tracked extends WebSocket {
    constructor(...a) {
      super(...a);
      made.push(this);
    }
  }
  Tracked.made = made;
  return Tracked;
}

export class Watcher {
  /** opts: DanmakuClient options (url, room, format, compress, …); starts the client. */
  constructor(opts) {
    this.events = [];
    this.resets = [];
    this.gaps = [];
    this.others = [];
    this.closes = [];
    this.opens = [];
    this.errors = [];
    this.timeline = [];     // ['e', seq] | ['gap', from, to] | ['reset', from] in arrival order
    this.c = new DanmakuClient({ WebSocket: opts.WebSocket || WebSocket, backoffMinMs: 50, backoffMaxMs: 500, ...opts });
    this.c.on('events', (evs) => {
      for (const e of evs) {
        this.events.push(e);
        this.timeline.push(['e', e.seq]);
      }
    });
    this.c.on('reset', (r) => { this.resets.push(r); this.timeline.push(['reset', r.from_seq]); });
    this.c.on('gap', (g) => { this.gaps.push(g); this.timeline.push(['gap', g.from_seq, g.to_seq]); });
    this.c.on('other', (f) => this.others.push(f));
    this.c.on('close', (i) => this.closes.push(i));
    this.c.on('open', (o) => this.opens.push(o));
    this.c.on('error', (e) => this.errors.push(e));
    this.c.start();
  }

  seqs() {
    return this.events.map((e) => e.seq);
  }

  async opened(n = 1, ms = 10000) {
    await waitFor(() => this.opens.length >= n, ms, `client open #${n}`);
  }

  async waitSeq(seq, ms = 10000) {
    await waitFor(() => this.c.lastSeq != null && this.c.lastSeq >= seq, ms,
      `seq ${seq} in ${this.c.room} ${this.c.format}/${this.c.compress} (last ${this.c.lastSeq}, ` +
      `state ${this.c.state}, closes ${JSON.stringify(this.closes.slice(-3))}, errors ${this.errors.slice(-3)})`);
  }

  /**
   * Asserts the protocol's accounting from `first` to `last` (within one epoch): every seq is
   * delivered once as an event or covered once by a gap, in increasing order.
   */
  assertAccounted(first, last) {
    let next = first;
    for (const t of this.timeline) {
      if (t[0] === 'reset') {
        next = t[1];
        continue;
      }
      if (t[0] === 'gap') {
        assert.equal(t[1], next, `gap ${t[1]}..${t[2]} where ${next} was expected`);
        next = t[2] + 1;
      } else {
        assert.equal(t[1], next, `event seq ${t[1]} where ${next} was expected`);
        next++;
      }
    }
    assert.equal(next, last + 1, `accounted up to ${next - 1}, expected ${last}`);
    assert.equal(new Set(this.seqs()).size, this.events.length, 'duplicate seq delivered');
  }

  close() {
    this.c.close();
  }
}

/**
 * A WebSocket proxy in front of the real edge: forwards every upstream frame to the client
 * and lets the test inject frames or close the client's socket with a code.
 */
export class EdgeProxy {
  static async start(edgePort) {
    const p = new EdgeProxy(edgePort);
    await new Promise((r) => p.wss.on('listening', r));
    p.port = p.wss.address().port;
    p.url = `ws://127.0.0.1:${p.port}`;
    return p;
  }

  constructor(edgePort) {
    this.urls = [];
    this.conns = [];
    this.wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.wss.on('connection', (down, req) => {
      this.urls.push(req.url);
      const up = new WebSocket(`ws://127.0.0.1:${edgePort}${req.url}`);
      const conn = { down, up, sent: [] };
      this.conns.push(conn);
      up.on('message', (d, bin) => {
        conn.sent.push({ d, bin });
        if (down.readyState === WebSocket.OPEN) down.send(d, { binary: bin });
      });
      up.on('close', () => down.readyState === WebSocket.OPEN && down.close(1001));
      up.on('error', () => down.terminate());
      down.on('close', () => up.terminate());
      down.on('error', () => up.terminate());
    });
  }

  last() {
    return this.conns[this.conns.length - 1];
  }

  /** Sends a JSON text frame to the newest client connection. */
  inject(obj) {
    this.last().down.send(typeof obj === 'string' ? obj : JSON.stringify(obj));
  }

  /** Sends raw bytes to the newest client (e.g. a frame the edge sent earlier: a replay). */
  injectRaw(d, binary) {
    this.last().down.send(d, { binary });
  }

  closeClient(code, reason = '') {
    this.last().down.close(code, reason);
  }

  async close() {
    for (const c of this.conns) {
      c.up.terminate();
      c.down.terminate();
    }
    await new Promise((r) => this.wss.close(r));
  }
}
