// decode-bench.js — decode time per frame on real frames: starts a throwaway stack
// (testlib/stack.js, binaries from $DM_BIN or bin/), publishes 600 comments in bursts of
// 1..30 over HTTP, records every frame a viewer of each variant receives, then times the
// client's decoding path (zstd with the trained dictionary, JSON.parse / protobufjs) on them.
// Usage: node scripts/decode-bench.js   (from web/, after `make` and `make web`)
import WebSocket from 'ws';
import { Stack, sleep } from '../testlib/stack.js';
import { ZstdDecoder } from '../src/zstd.js';
import { decodeJson, decodePb } from '../src/frames.js';

const VARIANTS = [['json', 'none'], ['json', 'zstd'], ['pb', 'none'], ['pb', 'zstd']];
const WORDS = ['前方高能', '哈哈哈哈', 'awsl', '666', '这波操作可以', '主播好帅', 'yyds', '泪目', '爷青回', '打卡',
  'hello world', '🎉🎉', '名场面', '这是什么神仙', '弹幕护体'];

const st = new Stack('bench');
try {
  await st.redis();
  await st.broadcaster();
  await st.edge();
  const frames = {};
  const socks = [];
  for (const [f, c] of VARIANTS) {
    const k = `${f}+${c}`;
    frames[k] = [];
    const ws = new WebSocket(`${st.edgeProc.url}/v1/rooms/bench/ws?format=${f}&compress=${c}&history=0`);
    ws.on('message', (d, bin) => frames[k].push(bin ? new Uint8Array(d) : d.toString()));
    await new Promise((r) => ws.on('open', r));
    socks.push(ws);
  }
  let n = 0;
  for (let round = 0; round < 40; round++) {
    const ps = [];
    for (let i = 0; i < [1, 3, 10, 30][round % 4]; i++, n++) {
      const text = Array.from({ length: 1 + (n % 3) }, (_, j) => WORDS[(n * 7 + j) % WORDS.length]).join(' ');
      ps.push(st.publish('bench', { user_id: `u${n % 97}`, nick: `观众${n % 13}`, text, color: [16777215, 16711680][n % 2] }));
    }
    await Promise.all(ps);
    await sleep(120);
  }
  await sleep(500);
  for (const s of socks) s.close();
  const dec = new ZstdDecoder({ fetchDict: async (f) => {
    const r = await fetch(`http://127.0.0.1:${st.edgeProc.port}/v1/zstd-dict?format=${f}`);
    return new Uint8Array(await r.arrayBuffer());
  } });
  for (const [f, c] of VARIANTS) {
    const list = frames[`${f}+${c}`];
    const one = async (m) => {
      const b = c === 'zstd' ? await dec.decode(m, f) : m;
      return f === 'json' ? decodeJson(b) : decodePb(b);
    };
    let events = 0, bytes = 0;
    for (const m of list) {
      events += (await one(m)).events.length;
      bytes += m.length;
    }
    const R = 50;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < R; r++) for (const m of list) await one(m);
    const us = Number(process.hrtime.bigint() - t0) / 1e3 / (R * list.length);
    console.log(`${f}+${c}`.padEnd(10), `${list.length} frames, ${(events / list.length).toFixed(1)} events/frame,`,
      `${(bytes / list.length).toFixed(0)} B/frame on the wire: ${us.toFixed(1)} us/frame decoded`);
  }
} finally {
  await st.close();
}
