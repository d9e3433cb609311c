// frames.js — turns one edge message into a frame object shaped like the JSON of
// docs/PROTOCOL.md §2 ({type:"batch"|"reset"|"gap"|..., ...}), whatever the format:
// JSON is parsed as is; protobuf danmaku.Frame is decoded with protobufjs from the schema
// in proto/danmaku.proto and mapped to the same fields, with the JSON defaults.
import protobuf from 'protobufjs';
import protoText from '../gen/danmaku-proto.js';

const root = protobuf.parse(protoText, { keepCase: true }).root;
const PbFrame = root.lookupType('danmaku.Frame');
const MODES = ['scroll', 'top', 'bottom'];
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON frame (string or UTF-8 bytes). Throws on malformed JSON or no `type`. */
export function decodeJson(data) {
  const f = JSON.parse(typeof data === 'string' ? data : utf8.decode(data));
  if (!f || typeof f !== 'object' || typeof f.type !== 'string') throw new Error('frame without type');
  return f;
}

/** Decodes a protobuf danmaku.Frame into the JSON frame shape. Throws on malformed bytes. */
export function decodePb(bytes) {
  const m = PbFrame.decode(bytes);
  if (m.batch) {
    const b = m.batch;
    return { type: 'batch', room: b.room, epoch: b.epoch, from_seq: num(b.from_seq),
      to_seq: num(b.to_seq), events: b.events.map(pbEvent) };
  }
  if (m.reset) {
    const r = m.reset;
    return { type: 'reset', room: r.room, epoch: r.epoch, from_seq: num(r.from_seq), reason: r.reason };
  }
  if (m.gap) {
    const g = m.gap;
    return { type: 'gap', room: g.room, from_seq: num(g.from_seq), to_seq: num(g.to_seq), reason: g.reason };
  }
  // a Frame kind this schema does not know yet (protobuf skipped its field)
  return { type: 'unknown', bytes };
}

function num(v) {
  return v == null ? 0 : typeof v === 'number' ? v : Number(v.toString());
}

function has(o, k) {
  return Object.prototype.hasOwnProperty.call(o, k);
}

function pbEvent(e) {
  const o = { seq: num(e.seq) };
  if (e.comment) {
    const c = e.comment;
    Object.assign(o, { kind: 'comment', ts_ms: num(e.ts_ms), user_id: e.user_id, nick: e.nick,
      text: c.text, color: has(c, 'color') ? c.color : 16777215,
      mode: MODES[has(c, 'mode') ? c.mode : 0] || 'scroll', size: has(c, 'size') ? c.size : 25 });
  } else if (e.gift) {
    const g = e.gift;
    Object.assign(o, { kind: 'gift', ts_ms: num(e.ts_ms), user_id: e.user_id, nick: e.nick,
      gift_id: g.gift_id, gift_name: g.gift_name, count: has(g, 'count') ? g.count : 1,
      unit_value: num(g.unit_value) });
  } else if (e.like) {
    Object.assign(o, { kind: 'like', ts_ms: num(e.ts_ms), user_id: e.user_id,
      count: has(e.like, 'count') ? e.like.count : 1 });
    if (has(e, 'nick')) o.nick = e.nick;
  } else {
    return { seq: o.seq, kind: 'unknown' };
  }
  if (has(e, 'client_msg_id')) o.client_msg_id = e.client_msg_id;
  if (e.flags && e.flags.length) o.flags = e.flags.slice();
  if (has(e, 'risk') && e.risk) o.risk = e.risk;
  return o;
}
