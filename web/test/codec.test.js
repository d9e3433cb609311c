// codec.test.js — the pieces of the client that need no server: zstd frame headers and
// dictionary IDs (with the repository's trained dictionaries), the pb -> JSON mapping with
// its defaults, unknown pb frames, and the backoff / reconnect delays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import zstd from '@bokuweb/zstd-wasm';
import { backoffDelay, reconnectDelay, decodePb, frameHeader, dictId } from '../src/client.js';
import { ZstdDecoder } from '../src/zstd.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dict = (f) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'proto', 'zdict', `danmaku-${f}.zdict`)));
const root = protobuf.parse(fs.readFileSync(path.join(ROOT, 'proto', 'danmaku.proto'), 'utf8'), { keepCase: true }).root;
const Frame = root.lookupType('danmaku.Frame');

test('zstd: dictionary frames decode with the right dictionary and are refused with another', async () => {
  const dj = dict('json'), dp = dict('pb');
  assert.ok(dictId(dj) > 0 && dictId(dp) > 0 && dictId(dj) !== dictId(dp));
  const dec = new ZstdDecoder({ fetchDict: async (f) => (f === 'json' ? dj : dp) });
  await dec.ready;
  const text = new TextEncoder().encode(JSON.stringify({ type: 'batch', events: [{ seq: 1, text: '前方高能' }] }));
  const frame = zstd.compressUsingDict(zstd.createCCtx(), text, dj, 3);
  const h = frameHeader(frame);
  assert.equal(h.dictId, dictId(dj));
  assert.equal(h.contentSize, text.length);
  assert.deepEqual(await dec.decode(frame, 'json'), text);
  // the edge's pb dictionary has another ID: a clear error, not garbage
  await assert.rejects(dec.decode(frame, 'pb'), /dictionary for pb has ID \d+, frames need \d+/);
  // plain zstd (dictID 0) needs no dictionary
  const plain = zstd.compress(text, 3);
  assert.equal(frameHeader(plain).dictId, 0);
  assert.deepEqual(await dec.decode(plain, 'pb'), text);
});

test('zstd: frames without a content size or over the bound are refused', async () => {
  const dec = new ZstdDecoder({ fetchDict: async () => new Uint8Array(0), maxBytes: 1000 });
  const big = zstd.compress(new Uint8Array(5000), 3);
  assert.equal(frameHeader(big).contentSize, 5000);
  await assert.rejects(dec.decode(big, 'json'), /content size 5000 missing or over 1000/);
  // FHD 0x00: no content size field, window descriptor, no dictionary
  const noSize = Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0x01, 0x00, 0x00]);
  assert.equal(frameHeader(noSize).contentSize, -1);
  await assert.rejects(dec.decode(noSize, 'json'), /content size -1/);
  assert.equal(frameHeader(Uint8Array.from([1, 2, 3, 4, 5, 6, 7])), null);
  await assert.rejects(dec.decode(Uint8Array.from([1, 2, 3, 4, 5, 6, 7]), 'json'), /not a zstd frame/);
});

test('pb: events map to the JSON shape with its defaults; unknown frames are not dropped silently', () => {
  const bytes = Frame.encode(Frame.create({ batch: { room: 'r', epoch: 'e', from_seq: 7, to_seq: 9, events: [
    { seq: 7, ts_ms: 1700000000000, user_id: 'u', nick: 'n', comment: { text: 'hi' } },
    { seq: 8, ts_ms: 1, user_id: 'g', nick: 'n', gift: { gift_id: 'x', gift_name: 'X', unit_value: 5 }, flags: ['masked'], risk: 'contact' },
    { seq: 9, ts_ms: 2, user_id: 'l', like: {} },
  ] } })).finish();
  assert.deepEqual(decodePb(bytes), { type: 'batch', room: 'r', epoch: 'e', from_seq: 7, to_seq: 9, events: [
    { seq: 7, kind: 'comment', ts_ms: 1700000000000, user_id: 'u', nick: 'n', text: 'hi', color: 16777215, mode: 'scroll', size: 25 },
    { seq: 8, kind: 'gift', ts_ms: 1, user_id: 'g', nick: 'n', gift_id: 'x', gift_name: 'X', count: 1, unit_value: 5, flags: ['masked'], risk: 'contact' },
    { seq: 9, kind: 'like', ts_ms: 2, user_id: 'l', count: 1 },
  ] });
  assert.deepEqual(decodePb(Frame.encode(Frame.create({ gap: { from_seq: 3, to_seq: 5, reason: 'slow', room: 'r' } })).finish()),
    { type: 'gap', room: 'r', from_seq: 3, to_seq: 5, reason: 'slow' });
  // field 9 of Frame (some future kind): decodes, type 'unknown', raw bytes kept
  const future = Uint8Array.from([0x4a, 0x02, 0x08, 0x01]);
  const f = decodePb(future);
  assert.equal(f.type, 'unknown');
  assert.deepEqual(f.bytes, future);
  assert.throws(() => decodePb(Uint8Array.from([0x0a, 0x05, 0x01])));
});

test('backoff doubles up to the cap with jitter in [d/2, d]; reconnect delays jitter around delay_ms', () => {
  assert.equal(backoffDelay(0, 100, 5000, () => 0), 50);
  assert.equal(backoffDelay(0, 100, 5000, () => 1), 100);
  assert.equal(backoffDelay(3, 100, 5000, () => 1), 800);
  assert.equal(backoffDelay(10, 100, 5000, () => 1), 5000);
  assert.equal(backoffDelay(1000, 100, 5000, () => 0), 2500);
  assert.equal(reconnectDelay(1000, () => 0), 500);
  assert.equal(reconnectDelay(1000, () => 1), 1500);
  assert.equal(reconnectDelay('x', () => 1), 0);
});
