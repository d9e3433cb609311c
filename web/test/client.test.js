// client.test.js — DanmakuClient against a real stack (redis-server, bin/broadcaster,
// bin/edge on free ports; events published over HTTP): delivery and history in every
// format, resume after the edge worker is killed, reset after an epoch change, slow-viewer
// gaps, and (through a proxy in front of the edge) reconnect frames, unknown frames, close
// codes and replayed frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Stack, redisCmd, sleep, waitFor } from '../testlib/stack.js';
import { Watcher, EdgeProxy, trackingWebSocket } from '../testlib/watch.js';

const VARIANTS = [['json', 'none'], ['json', 'zstd'], ['pb', 'none'], ['pb', 'zstd']];

async function withStack(name, fn, edgeArgs = []) {
  const st = new Stack(name);
  let failed = true;
  try {
    await st.redis();
    await st.broadcaster();
    await st.edge('--tick-ms', '10', '--tick-max-ms', '50', ...edgeArgs);
    await fn(st);
    failed = false;
  } finally {
    await st.close().catch((e) => {
      if (!failed) throw e;
    });
  }
}

function comment(i, extra = {}) {
  return { user_id: `u${i % 7}`, nick: `观众${i}`, text: `第${i}条 弹幕 🎉`, ...extra };
}

/** The event the edge must deliver for a published body and the broadcaster's reply. */
function expected(kind, body, reply) {
  const base = { seq: reply.seq, ts_ms: reply.ts_ms, user_id: body.user_id };
  let e;
  if (kind === 'comments') {
    e = { ...base, kind: 'comment', nick: body.nick, text: body.text, color: body.color ?? 16777215,
      mode: body.mode ?? 'scroll', size: body.size ?? 25 };
  } else if (kind === 'gifts') {
    e = { ...base, kind: 'gift', nick: body.nick, gift_id: body.gift_id, gift_name: body.gift_name,
      count: body.count, unit_value: body.unit_value };
  } else {
    e = { ...base, kind: 'like', count: body.count };
    if (body.nick != null) e.nick = body.nick;
  }
  if (body.client_msg_id) e.client_msg_id = body.client_msg_id;
  return e;
}

test('delivery and history in json/pb x none/zstd, content identical to what was published', async () => {
  await withStack('deliver', async (st) => {
    for (const [format, compress] of VARIANTS) {
      const room = `d-${format}-${compress}`;
      const sent = [];
      for (let i = 1; i <= 5; i++) sent.push(expected('comments', comment(i), await st.publish(room, comment(i))));
      const w = new Watcher({ url: st.edgeProc.url, room, format, compress, history: 3 });
      await w.waitSeq(5);
      assert.deepEqual(w.seqs(), [3, 4, 5], `${room}: history=3`);
      const bodies = [
        ['comments', comment(6, { text: 'a "q" \\ </script> <b>&amp; \u2028 ok', color: 0xff0000, mode: 'top', size: 36, client_msg_id: 'c-6' })],
        ['comments', comment(7, { mode: 'bottom' })],
        ['gifts', { user_id: 'g1', nick: '土豪', gift_id: 'rocket', gift_name: '火箭', count: 3, unit_value: 245000 }],
        ['likes', { user_id: 'l1', count: 5 }],
      ];
      for (const [kind, body] of bodies) sent.push(expected(kind, body, await st.publish(room, body, kind)));
      await w.waitSeq(9);
      assert.deepEqual(w.events, sent.slice(2), `${room}: events as published`);
      assert.equal(w.c.epoch.length, 16);
      assert.equal(w.resets.length + w.gaps.length + w.errors.length, 0, `${room}: ${w.errors}`);
      w.close();
    }
  });
});

test('resume after the edge worker is killed: no duplicate, no miss', async () => {
  await withStack('resume', async (st) => {
    for (const [format, compress] of [['json', 'zstd'], ['pb', 'zstd'], ['pb', 'none']]) {
      const room = `k-${format}-${compress}`;
      const w = new Watcher({ url: st.edgeProc.url, room, format, compress, history: 0 });
      await w.opened();
      await sleep(100);
      for (let i = 1; i <= 20; i++) await st.publish(room, comment(i));
      await w.waitSeq(20);
      const pid = await st.edgeWorker();
      process.kill(pid, 'SIGKILL');
      // published while no worker serves the room: the resume must bring them
      for (let i = 21; i <= 40; i++) await st.publish(room, comment(i));
      await waitFor(async () => (await st.edgeWorker()) !== pid, 15000, 'a new edge worker');
      for (let i = 41; i <= 50; i++) await st.publish(room, comment(i));
      await w.waitSeq(50, 15000);
      assert.deepEqual(w.seqs(), Array.from({ length: 50 }, (_, i) => i + 1), `${room}: 1..50 once each`);
      assert.ok(w.closes.length >= 1 && w.closes.every((c) => c.willRetry), JSON.stringify(w.closes));
      const resumed = w.opens[w.opens.length - 1].url;
      assert.match(resumed, new RegExp(`since=\\d+&epoch=${w.c.epoch}`), resumed);
      assert.equal(w.resets.length + w.gaps.length, 0);
      w.close();
    }
  }, ['--workers', '1']);
});

test('reset after the room epoch changes (live, and resuming with a stale epoch)', async () => {
  await withStack('epoch', async (st) => {
    for (const [format, compress] of [['json', 'none'], ['pb', 'zstd']]) {
      const room = `e-${format}`;
      const w = new Watcher({ url: st.edgeProc.url, room, format, compress, history: 0 });
      await w.opened();
      await sleep(100);
      for (let i = 1; i <= 3; i++) await st.publish(room, comment(i));
      await w.waitSeq(3);
      const old = w.c.epoch;
      // Redis loses the room: the next publish creates a new epoch, seqs restart at 1
      await redisCmd(st.redisPort, 'DEL', `dm:{${room}}:meta`, `dm:{${room}}:s`);
      const r1 = await st.publish(room, comment(4));
      assert.equal(r1.seq, 1);
      assert.notEqual(r1.epoch, old);
      await st.publish(room, comment(5));
      await waitFor(() => w.events.length >= 5, 10000, 'events of the new epoch');
      assert.equal(w.resets.length, 1);
      assert.equal(w.resets[0].reason, 'epoch_changed');
      assert.equal(w.resets[0].epoch, r1.epoch);
      assert.deepEqual(w.seqs(), [1, 2, 3, 1, 2], 'new epoch seqs delivered, not dropped as duplicates');
      assert.equal(w.c.epoch, r1.epoch);
      w.close();
      // a client resuming with an epoch the room no longer has
      const s = new Watcher({ url: st.edgeProc.url, room, format, compress, since: 3, epoch: old });
      await waitFor(() => s.events.length >= 2, 10000, 'events after a stale-epoch resume');
      assert.equal(s.resets[0].reason, 'epoch_changed');
      assert.equal(s.resets[0].epoch, r1.epoch);
      assert.deepEqual(s.seqs(), [1, 2]);
      s.close();
    }
  });
});

test('slow viewer: gap frames surfaced, every seq accounted once', async () => {
  await withStack('gap', async (st) => {
    const room = 'slow';
    const WS = trackingWebSocket();
    const w = new Watcher({ url: st.edgeProc.url, room, format: 'json', compress: 'none', history: 0, WebSocket: WS });
    await w.opened();
    await sleep(100);
    await st.publish(room, comment(0));
    await w.waitSeq(1);
    WS.made[0].pause();                       // stop reading: the edge's queue grows
    const long = 'x'.repeat(400);
    let n = 1;
    const t0 = Date.now();
    for (let loop = 1; Date.now() - t0 < 2500; loop++) {
      const batch = [];
      for (let k = 0; k < 10; k++) batch.push(st.publish(room, comment(++n, { text: `${n} ${long}` })));
      if (loop % 10 === 0) batch.push(st.publish(room, { user_id: 'g', nick: 'g', gift_id: 'x', gift_name: 'X', count: 1, unit_value: 1 }, 'gifts'));
      const rs = await Promise.all(batch);
      n = Math.max(n, ...rs.map((r) => r.seq));
    }
    WS.made[0].resume();
    await sleep(1500);
    const last = (await st.publish(room, comment(n + 1))).seq;
    await w.waitSeq(last, 15000);
    assert.ok(w.gaps.length >= 1, `no gap after ${last} events while paused`);
    assert.ok(w.gaps.every((g) => g.reason === 'slow' && !g.synthetic), JSON.stringify(w.gaps.slice(0, 3)));
    w.assertAccounted(1, last);
    assert.ok(w.events.some((e) => e.kind === 'gift' && e.seq > w.gaps[0].from_seq), 'gifts kept while degraded');
    assert.equal(w.events[w.events.length - 1].seq, last, 'full delivery again after draining');
    w.close();
  }, ['--sndbuf', '8192', '--slow-soft-bytes', '16384', '--slow-soft-age-ms', '500', '--slow-hard-age-ms', '60000',
    '--slow-hard-bytes', '67108864']);
});

test('through a proxy: reconnect frame, unknown frames, close codes, replayed frames', async () => {
  await withStack('proxy', async (st) => {
    const px = await EdgeProxy.start(st.edgeProc.port);
    const room = 'px';
    try {
      const w = new Watcher({ url: px.url, room, format: 'json', compress: 'none', history: 0 });
      await w.opened();
      await sleep(100);
      for (let i = 1; i <= 5; i++) await st.publish(room, comment(i));
      await w.waitSeq(5);
      // counters and room events are not in the protocol yet: surfaced as 'other'
      px.inject({ type: 'counters', online: 12, likes: 34 });
      await waitFor(() => w.others.length === 1, 5000, 'other event');
      assert.deepEqual(w.others[0], { type: 'counters', online: 12, likes: 34 });
      // a replayed batch (an old frame sent again) must not deliver duplicates
      const old = px.last().sent[0];
      px.injectRaw(old.d, old.bin);
      await sleep(200);
      assert.ok(w.c.stats.dup_dropped >= 1);
      // reconnect frame: the client closes, waits ~delay_ms, resumes with since/epoch
      const t0 = Date.now();
      px.inject({ type: 'reconnect', delay_ms: 300 });
      await w.opened(2);
      const took = Date.now() - t0;
      assert.ok(took >= 140, `reconnected after ${took} ms, asked 300 ms`);
      assert.match(px.urls[1], new RegExp(`since=5&epoch=${w.c.epoch}`), px.urls[1]);
      for (let i = 6; i <= 8; i++) await st.publish(room, comment(i));
      await w.waitSeq(8);
      // too slow (4429) and shutting down (1001): reconnect and resume
      for (const code of [4429, 1001]) {
        const n = w.opens.length;
        px.closeClient(code);
        await w.opened(n + 1);
        assert.equal(w.closes[w.closes.length - 1].code, code);
        assert.ok(w.closes[w.closes.length - 1].willRetry);
      }
      for (let i = 9; i <= 10; i++) await st.publish(room, comment(i));
      await w.waitSeq(10);
      assert.deepEqual(w.seqs(), Array.from({ length: 10 }, (_, i) => i + 1));
      assert.match(px.urls[px.urls.length - 1], /since=8&/);
      // protocol error: the client is at fault, reconnecting cannot help
      px.closeClient(1002);
      await waitFor(() => w.c.state === 'closed', 5000, 'closed after 1002');
      assert.equal(w.closes[w.closes.length - 1].willRetry, false);
      assert.ok(w.errors.length >= 1);
      const n = px.urls.length;
      await sleep(300);
      assert.equal(px.urls.length, n, 'no reconnect after 1002');
    } finally {
      await px.close();
    }
  });
});

test('edge down: backoff grows, then the client resumes when it is back', async () => {
  await withStack('down', async (st) => {
    const room = 'down';
    const w = new Watcher({ url: st.edgeProc.url, room, format: 'pb', compress: 'zstd', history: 0,
      backoffMinMs: 50, backoffMaxMs: 400 });
    await w.opened();
    await sleep(100);
    await st.publish(room, comment(1));
    await w.waitSeq(1);
    const port = st.edgeProc.port;
    await st.stop(st.edgeProc);               // SIGTERM: close 1001, then refused connections
    await waitFor(() => w.closes.length >= 4, 10000, 'retries while the edge is down');
    assert.equal(w.closes[0].code, 1001);
    const delays = w.closes.map((c) => c.delayMs);
    assert.ok(delays.every((d) => d <= 400), delays);
    assert.ok(Math.max(...delays.slice(2)) > Math.min(...delays.slice(0, 1)), `no growth: ${delays}`);
    for (let i = 2; i <= 4; i++) await st.publish(room, comment(i));
    const e = st.spawn('edge', [st.edgeProc.child.spawnargs[0], '--listen', `127.0.0.1:${port}`,
      '--redis', `127.0.0.1:${st.redisPort}`, '--tick-ms', '10']);
    void e;
    await w.waitSeq(4, 15000);
    assert.deepEqual(w.seqs(), [1, 2, 3, 4]);
    w.close();
  });
});

test('handshake refused: 503 over_capacity honours Retry-After, 400 stops the client', async () => {
  await withStack('refused', async (st) => {
    const room = 'cap';
    const a = new Watcher({ url: st.edgeProc.url, room, history: 0 });
    await a.opened();
    const b = new Watcher({ url: st.edgeProc.url, room, history: 0, backoffMinMs: 20, backoffMaxMs: 100 });
    await waitFor(() => b.closes.length >= 1, 5000, 'a refused handshake');
    assert.equal(b.closes[0].status, 503);
    assert.ok(b.closes[0].willRetry && b.closes[0].delayMs >= 1000, JSON.stringify(b.closes[0]));
    a.close();
    await b.opened(1, 10000);
    await st.publish(room, comment(1));
    await b.waitSeq(1);
    b.close();
    const bad = new Watcher({ url: st.edgeProc.url, room: 'no.dots', history: 0 });
    await waitFor(() => bad.c.state === 'closed', 5000, 'stopped after 400');
    assert.equal(bad.closes[0].status, 400);
    assert.equal(bad.closes[0].willRetry, false);
    assert.match(String(bad.errors[0]), /400/);
  }, ['--max-viewers-per-worker', '1']);
});
