// stack.js — a throwaway deployment for the client tests, like tests/integration/harness.py:
// redis-server on a free loopback port in a temp dir, bin/broadcaster and bin/edge from
// $DM_BIN (default <repo>/bin), each logging to a file there. Only processes started here are
// signalled, by pid. close() stops them and fails on any sanitizer report or FATAL line.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = process.env.DM_BIN || path.join(ROOT, 'bin');
const SAN_ENV = {
  ASAN_OPTIONS: 'halt_on_error=1:detect_leaks=1:exitcode=86:abort_on_error=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=87',
  LSAN_OPTIONS: 'exitcode=88',
};
const BAD_LOG = /(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer|\bFATAL\b|\bALERT\b)/;
const usedPorts = new Set();

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port that was free on 127.0.0.1 a moment ago (never handed out twice). */
export async function freePort() {
  for (;;) {
    const port = await new Promise((res, rej) => {
      const s = net.createServer();
      s.on('error', rej);
      s.listen(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => res(p));
      });
    });
    if (!usedPorts.has(port)) {
      usedPorts.add(port);
      return port;
    }
  }
}

/** Polls `pred` (sync or async) until truthy; throws after `ms`. */
export async function waitFor(pred, ms = 10000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await pred();
      if (v) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await sleep(25);
  }
}

/** One HTTP request; resolves to {status, headers, body (Buffer)}; status 0 on a network error. */
export async function http(method, port, p, body, headers = {}) {
  const h = { ...headers };
  let data = body;
  if (body && typeof body === 'object' && !(body instanceof Uint8Array)) {
    data = JSON.stringify(body);
    h['Content-Type'] ??= 'application/json';
  }
  try {
    const r = await fetch(`http://127.0.0.1:${port}${p}`, { method, body: data, headers: h });
    return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
  } catch {
    return { status: 0, headers: new Headers(), body: Buffer.alloc(0) };
  }
}

/** Minimal RESP client: one command on a fresh connection, resolves to the raw reply text. */
export function redisCmd(port, ...args) {
  return new Promise((res, rej) => {
    const s = net.connect(port, '127.0.0.1');
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`;
    let buf = '';
    s.on('data', (d) => {
      buf += d;
      if (buf.endsWith('\r\n')) {
        s.end();
        res(buf);
      }
    });
    s.on('error', rej);
    s.write(out);
  });
}

export class Stack {
  constructor(name = 't') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `dm-web-${name}-`));
    this.procs = [];
  }

  spawn(name, argv) {
    const log = path.join(this.dir, `${name}-${this.procs.length}.log`);
    const fd = fs.openSync(log, 'a');
    const p = spawn(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], env: { ...process.env, ...SAN_ENV } });
    fs.closeSync(fd);
    const proc = { name, log, child: p, pid: p.pid, exit: null };
    proc.exited = new Promise((r) => p.on('exit', (code, sig) => r((proc.exit = { code, sig }))));
    this.procs.push(proc);
    return proc;
  }

  async redis() {
    const port = await freePort();
    const d = path.join(this.dir, `redis-${port}`);
    fs.mkdirSync(d);
    const p = this.spawn('redis', ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--dir', d,
      '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--logfile', '']);
    p.port = port;
    this.redisPort = port;
    await waitFor(async () => (await redisCmd(port, 'PING')).startsWith('+PONG'), 10000, 'redis-server');
    return p;
  }

  async broadcaster(...args) {
    const port = await freePort();
    const p = this.spawn('broadcaster', [path.join(BIN, 'broadcaster'), '--listen', `127.0.0.1:${port}`,
      '--redis', `127.0.0.1:${this.redisPort}`, '--rate-limits', 'off', ...args]);
    p.port = port;
    await waitFor(async () => (await http('GET', port, '/healthz')).status === 200, 15000, 'broadcaster healthz');
    this.bc = p;
    return p;
  }

  async edge(...args) {
    const port = await freePort();
    const p = this.spawn('edge', [path.join(BIN, 'edge'), '--listen', `127.0.0.1:${port}`,
      '--redis', `127.0.0.1:${this.redisPort}`, ...args]);
    p.port = port;
    p.url = `ws://127.0.0.1:${port}`;
    await waitFor(async () => (await http('GET', port, '/healthz')).status === 200, 15000, 'edge healthz');
    this.edgeProc = p;
    return p;
  }

  /** The pid of the edge worker answering on its port (X-Edge-Worker of /healthz). */
  async edgeWorker() {
    const r = await http('GET', this.edgeProc.port, '/healthz');
    return Number(r.headers.get('x-edge-worker'));
  }

  /** POST one event (kind: comments|gifts|likes) to the broadcaster; resolves to the JSON reply. */
  async publish(room, body, kind = 'comments') {
    const r = await http('POST', this.bc.port, `/v1/rooms/${room}/${kind}`, body);
    if (r.status !== 200) throw new Error(`publish ${kind}: HTTP ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  }

  async stop(p, ms = 15000) {
    if (p.exit) return p.exit;
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), ms);
    const e = await p.exited;
    clearTimeout(t);
    return e;
  }

  /**
   * Stops everything; throws if a process failed or a log holds a sanitizer report. The temp
   * dir is removed, except files matching `keep` (e.g. screenshots: their path is printed).
   */
  async close({ keep } = {}) {
    const errors = [];
    for (const p of [...this.procs].reverse()) {
      const e = await this.stop(p);
      if (e.code && e.sig !== 'SIGKILL') errors.push(`${p.name} exited with ${e.code} (log ${p.log})`);
    }
    for (const p of this.procs) {
      const bad = fs.readFileSync(p.log, 'utf8').split('\n').find((l) => BAD_LOG.test(l));
      if (bad) errors.push(`${p.name} log: ${bad.trim()}`);
    }
    if (errors.length) throw new Error(errors.join('; ') + ` (logs kept in ${this.dir})`);
    const kept = keep ? fs.readdirSync(this.dir).filter((f) => keep.test(f)) : [];
    for (const f of fs.readdirSync(this.dir)) {
      if (!kept.includes(f)) fs.rmSync(path.join(this.dir, f), { recursive: true, force: true });
    }
    if (kept.length) console.log(`# kept in ${this.dir}: ${kept.join(' ')}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
