// page.test.js — the viewer page served by the real edge (bin/edge --web-dir web/dist), in
// headless Chromium (Debian's /usr/bin/chromium through playwright-core, no browser
// download): the page loads at /rooms/{room}, a comment published over HTTP is on the stage
// within 1 s (json and pb+zstd), gifts become banners and likes count, comments do not
// overlap, the send box posts to the broadcaster. Screenshots are kept in the test's temp
// dir; the frame rate under a high comment rate is printed (measured, not asserted).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Stack, http, sleep } from '../testlib/stack.js';

const WEB = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
let st, browser;

before(async () => {
  assert.ok(fs.existsSync(path.join(WEB, 'dist', 'viewer.js')), 'web/dist missing: run `make web`');
  st = new Stack('page');
  await st.redis();
  await st.broadcaster();
  await st.edge('--web-dir', path.join(WEB, 'dist'));
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu'] });
});

after(async () => {
  await browser?.close();
  await st?.close({ keep: /\.png$/ });
});

async function openRoom(room, query, b = browser) {
  const page = await (await b.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const bc = `http://127.0.0.1:${st.bc.port}`;
  const r = await page.goto(`http://127.0.0.1:${st.edgeProc.port}/rooms/${room}?${query}&bc=${bc}`);
  assert.equal(r.status(), 200);
  assert.match(r.headers()['content-type'], /^text\/html/);
  await page.waitForFunction(() => window.__dm?.client?.state === 'open', null, { timeout: 10000 });
  page.errors = errors;
  return page;
}

// a comment is a leaf element of the stage (the danmaku layer's own divs hold them)
test('edge serves the page files with their content types, and nothing else', async () => {
  const get = (p) => http('GET', st.edgeProc.port, p);
  const index = fs.readFileSync(path.join(WEB, 'dist', 'index.html'));
  for (const p of ['/', '/rooms/r1', '/rooms/A_b-9']) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.deepEqual(r.body, index, p);
  }
  const types = { '/viewer.js': 'text/javascript; charset=utf-8', '/style.css': 'text/css; charset=utf-8',
    '/zstd.wasm': 'application/wasm', '/danmaku-client.js': 'text/javascript; charset=utf-8' };
  for (const [p, t] of Object.entries(types)) {
    const r = await get(p);
    assert.equal(r.status, 200, p);
    assert.equal(r.headers.get('content-type'), t, p);
    assert.deepEqual(r.body, fs.readFileSync(path.join(WEB, 'dist', p.slice(1))), p);
  }
  for (const p of ['/rooms/a.b', '/rooms/r1/x', '/.built', '/nope.js', '/../Makefile', '/%2e%2e/Makefile']) {
    const r = await get(p);
    assert.equal(r.status, 404, p);
    assert.match(String(r.body), /"code":"not_found"/, p);
  }
  assert.equal((await http('POST', st.edgeProc.port, '/', 'x')).status, 405);
});

// (the package adds the node on its next animation frame: wait for it)
const onStage = (page, text) => page.waitForFunction((t) =>
  [...document.querySelectorAll('#danmaku *')].some((n) => !n.children.length && n.textContent === t), text,
{ timeout: 2000 }).then(() => true, () => false);

for (const [format, compress] of [['json', 'none'], ['pb', 'zstd']]) {
  test(`page: a published comment is on the stage within 1 s (${format}+${compress})`, async () => {
    const room = `p-${format}`;
    const page = await openRoom(room, `format=${format}&compress=${compress}&history=0`);
    await sleep(200);
    const text = `你好 ${format} 🎉 <b>not bold</b>`;
    const t0 = Date.now();
    const r = await st.publish(room, { user_id: 'u1', nick: '小明', text, color: 0xffcc00, size: 36 });
    await page.waitForFunction((s) => window.__dm.renderedAt[s], r.seq, { timeout: 5000 });
    const at = await page.evaluate((s) => window.__dm.renderedAt[s], r.seq);
    assert.ok(at - t0 <= 1000, `rendered ${at - t0} ms after publishing`);
    assert.ok(await onStage(page, text), 'comment text not found on the stage');
    assert.equal(await page.evaluate(() => document.querySelectorAll('#danmaku b').length), 0, 'text was parsed as HTML');
    const color = await page.evaluate((t) => {
      const n = [...document.querySelectorAll('#danmaku *')].find((x) => !x.children.length && x.textContent === t);
      return getComputedStyle(n).color;
    }, text);
    assert.equal(color, 'rgb(255, 204, 0)');
    await sleep(3000);                           // mid-stage for the picture
    await page.screenshot({ path: path.join(st.dir, `stage-${format}-${compress}.png`) });
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test('page: gifts as banners, likes counted, scrolling/top/bottom comments without overlap', async () => {
  const room = 'show';
  const page = await openRoom(room, 'format=pb&compress=zstd&history=0');
  await sleep(200);
  await st.publish(room, { user_id: 'g1', nick: '土豪', gift_id: 'rocket', gift_name: '火箭', count: 3, unit_value: 245000 }, 'gifts');
  await st.publish(room, { user_id: 'l1', count: 7 }, 'likes');
  const modes = ['scroll', 'scroll', 'scroll', 'top', 'bottom'];
  const ps = [];
  for (let i = 0; i < 40; i++) {
    ps.push(st.publish(room, { user_id: `u${i}`, nick: 'n', text: `弹幕${i} ` + '哈'.repeat(i % 12),
      mode: modes[i % 5], color: [0xffffff, 0xff4444, 0x44ff44, 0x66aaff][i % 4] }));
  }
  await Promise.all(ps);
  await page.waitForFunction(() => window.__dm.rendered + window.__dm.stage.dropped >= 40, null, { timeout: 5000 });
  await sleep(1200);
  const gift = await page.evaluate(() => document.querySelector('#gifts .gift')?.textContent);
  assert.match(gift, /土豪 送出 火箭×3/);
  assert.equal(await page.evaluate(() => document.getElementById('likes').textContent), '7');
  const boxes = await page.evaluate(() => [...document.querySelectorAll('#danmaku *')]
    .filter((n) => n.textContent && n.children.length === 0)
    .map((n) => { const r = n.getBoundingClientRect(); return { t: n.textContent, x: r.x, y: r.y, w: r.width, h: r.height }; }));
  assert.ok(boxes.length >= 10, `only ${boxes.length} comments on the stage`);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      assert.ok(ox <= 1 || oy <= 1, `"${a.t}" and "${b.t}" overlap: ${JSON.stringify([a, b])}`);
    }
  }
  await page.screenshot({ path: path.join(st.dir, 'stage-gifts-lanes.png') });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('page: resumes after the edge worker is killed, nothing shown twice or missed', async () => {
  const room = 'resume';
  const page = await openRoom(room, 'format=pb&compress=zstd&history=0');
  await sleep(200);
  for (let i = 1; i <= 5; i++) await st.publish(room, { user_id: 'u', nick: 'n', text: `before ${i}` });
  await page.waitForFunction(() => window.__dm.seqs.length >= 5, null, { timeout: 5000 });
  const pid = await st.edgeWorker();
  process.kill(pid, 'SIGKILL');
  for (let i = 6; i <= 10; i++) await st.publish(room, { user_id: 'u', nick: 'n', text: `during ${i}` });
  await page.waitForFunction(() => window.__dm.seqs.length >= 10, null, { timeout: 15000 });
  await sleep(300);
  const dm = await page.evaluate(() => ({ seqs: window.__dm.seqs, opens: window.__dm.client.connections,
    url: window.__dm.client.url() }));
  assert.deepEqual(dm.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(dm.opens >= 2, `connections: ${dm.opens}`);
  assert.match(dm.url, /since=10&epoch=[0-9a-f]{16}/);
  await page.close();
});

test('page: the send box posts a comment that comes back on the stage', async () => {
  // The broadcaster answers no CORS preflight yet, so a browser with web security on refuses
  // the cross-origin POST; this browser runs without it to test the page's own path.
  const b = await chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-web-security'] });
  try {
    const page = await openRoom('send', 'format=json&compress=zstd&history=0', b);
    await page.fill('#nick', '测试');
    await page.fill('#text', '从页面发出的弹幕');
    await page.selectOption('#mode', 'top');
    await page.click('#send button[type=submit]');
    await page.waitForFunction(() => /^#\d+$/.test(document.getElementById('status').textContent), null, { timeout: 5000 });
    await page.waitForFunction(() => window.__dm.rendered >= 1, null, { timeout: 5000 });
    assert.ok(await onStage(page, '从页面发出的弹幕'));
    assert.deepEqual(page.errors, []);
    await page.close();
  } finally {
    await b.close();
  }
});

for (const engine of ['dom', 'canvas']) {
  test(`page: frame rate at a high comment rate, ${engine} engine (printed)`, async () => {
    const room = `fps-${engine}`;
    const page = await openRoom(room, `format=pb&compress=zstd&history=0&engine=${engine}`);
    await sleep(1500);
    const idle = await page.evaluate(() => window.__dm.fps.slice(-1)[0]);
    const from = await page.evaluate(() => window.__dm.fps.length);
    const t0 = Date.now();
    let n = 0;
    while (Date.now() - t0 < 6000) {               // ~200 comments/s over HTTP for 6 s
      const ps = [];
      for (let k = 0; k < 20; k++, n++) ps.push(st.publish(room, { user_id: `u${n % 50}`, nick: 'n', text: `第${n}条 前方高能` }));
      await Promise.all(ps);
      await sleep(Math.max(0, (n / 200) * 1000 - (Date.now() - t0)));
    }
    const rate = (n / ((Date.now() - t0) / 1000)).toFixed(0);
    await sleep(1000);
    const dm = await page.evaluate((f) => ({ fps: window.__dm.fps.slice(f), rendered: window.__dm.rendered,
      dropped: window.__dm.stage.dropped }), from);
    const sorted = [...dm.fps].sort((a, b) => a - b);
    console.log(`# page fps (${engine}) at ${rate} comments/s for 6 s: min ${sorted[0]} median ` +
      `${sorted[sorted.length >> 1]} (idle ${idle}); comments shown ${dm.rendered}, dropped for lack of lanes ${dm.dropped}`);
    assert.ok(dm.fps.length >= 5 && sorted[0] > 0, 'the page stopped animating');
    assert.equal(dm.rendered + dm.dropped, n, 'every comment reached the page');
    await page.screenshot({ path: path.join(st.dir, `stage-fps-${engine}.png`) });
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}
