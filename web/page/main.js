// main.js — the viewer page the edge serves at / and /rooms/{room}: watches the room with
// DanmakuClient (same origin as the page), shows comments on the stage, gifts as banners,
// counts likes, and posts comments to the broadcaster (?bc=URL, default port 8080 of the
// page's host; the broadcaster must allow the page's origin: CORS).
// Query: ?room= (on /), format=json|pb (pb), compress=none|zstd (zstd), history=N,
// engine=dom|canvas, bc=URL. window.__dm exposes counters for tests and debugging.
import { DanmakuClient } from '../src/client.js';
import { Stage } from './stage.js';

const $ = (id) => document.getElementById(id);
const q = new URLSearchParams(location.search);
const m = /^\/rooms\/([A-Za-z0-9_-]{1,64})$/.exec(location.pathname);
const room = m ? m[1] : q.get('room') || 'lobby';
const bc = (q.get('bc') || `${location.protocol}//${location.hostname}:8080`).replace(/\/+$/, '');
const dm = (window.__dm = { room, seqs: [], rendered: 0, renderedAt: {}, gifts: 0, likes: 0, resets: 0,
  gaps: 0, skipped: 0, fps: [], errors: [] });

function userId() {
  try {
    let u = localStorage.getItem('dm-user');
    if (!u) localStorage.setItem('dm-user', (u = 'web-' + Math.random().toString(36).slice(2, 10)));
    return u;
  } catch {
    return 'web-anon';
  }
}

function notice(text) {
  const n = $('notice');
  n.textContent = text;
  n.hidden = false;
  clearTimeout(notice.t);
  notice.t = setTimeout(() => (n.hidden = true), 4000);
}

function watch(stage) {
  const c = new DanmakuClient({ room, format: q.get('format') || 'pb', compress: q.get('compress') || 'zstd',
    history: q.has('history') ? Number(q.get('history')) : undefined,
    zstdWasmUrl: new URL('/zstd.wasm', location.href) });
  dm.client = c;
  c.on('events', (evs) => {
    for (const ev of evs) {
      dm.seqs.push(ev.seq);
      if (dm.seqs.length > 1000) dm.seqs.shift();
      if (ev.kind === 'comment') {
        if (stage.comment(ev)) {
          dm.rendered++;
          dm.renderedAt[ev.seq] = Date.now();
        }
      } else if (ev.kind === 'gift') {
        stage.gift(ev);
        dm.gifts++;
      } else if (ev.kind === 'like') {
        dm.likes += ev.count;
        $('likes').textContent = dm.likes;
      }
    }
  });
  c.on('reset', (r) => {
    dm.resets++;
    dm.renderedAt = {};
    stage.clear();
    notice(r.reason === 'epoch_changed' ? '直播间已重置' : '部分弹幕已过期');
  });
  c.on('gap', (g) => {
    dm.gaps++;
    dm.skipped += g.to_seq - g.from_seq + 1;
    notice(`网络较慢，跳过了 ${dm.skipped} 条弹幕`);
  });
  c.on('other', (f) => {
    // counters will come as their own frames; show them when they do
    if (f.type === 'counters') {
      if (f.online != null) $('online').textContent = f.online;
      if (f.likes != null) $('likes').textContent = (dm.likes = f.likes);
    }
  });
  c.on('state', (s) => {
    $('state').textContent = s;
    $('state').className = 'state ' + s;
  });
  c.on('error', (e) => dm.errors.push(String(e.message || e)));
  c.start();
}

async function post(kind, body) {
  const r = await fetch(`${bc}/v1/rooms/${room}/${kind}`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(j.error?.message || `HTTP ${r.status}`);
  return j;
}

function sendBox() {
  const status = $('status');
  const say = (t, err) => {
    status.textContent = t;
    status.className = 'status' + (err ? ' err' : '');
  };
  $('nick').value = localStorage.getItem?.('dm-nick') || '';
  $('send').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = $('text').value.trim();
    if (!text) return;
    const nick = $('nick').value.trim() || '观众';
    try { localStorage.setItem('dm-nick', nick); } catch { /* private mode */ }
    const body = { user_id: userId(), nick, text, color: parseInt($('color').value.slice(1), 16),
      mode: $('mode').value, size: Number($('size').value), client_msg_id: 'w' + Date.now().toString(36) };
    try {
      const r = await post('comments', body);
      $('text').value = '';
      say(`#${r.seq}`);
    } catch (err) {
      // a TypeError here is the browser refusing the cross-origin answer (no CORS) or no broadcaster
      say(err instanceof TypeError ? `broadcaster ${bc} unreachable` : err.message, true);
    }
  });
  $('like').addEventListener('click', () => post('likes', { user_id: userId(), count: 1 }).catch(
    (err) => say(err instanceof TypeError ? `broadcaster ${bc} unreachable` : err.message, true)));
}

/** Frames per second, one figure per second, from requestAnimationFrame. */
function fpsMeter() {
  let n = 0, t0 = performance.now();
  const tick = (t) => {
    n++;
    if (t - t0 >= 1000) {
      dm.fps.push(Math.round((n * 1000) / (t - t0)));
      if (dm.fps.length > 600) dm.fps.shift();
      n = 0;
      t0 = t;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

function boot() {
  $('room').textContent = room;
  document.title = `${room} · danmaku`;
  const stage = new Stage({ el: $('stage'), layer: $('danmaku'), gifts: $('gifts'),
    engine: q.get('engine') === 'canvas' ? 'canvas' : 'dom' });
  dm.stage = stage;
  watch(stage);
  sendBox();
  fpsMeter();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', boot);
else boot();
