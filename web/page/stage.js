// stage.js — the 16:9 stage: comments flying over it with the `danmaku` package (scrolling
// right-to-left, or fixed at the top or bottom; colour and size per comment; lanes allocated
// so that comments do not overlap; every scrolling comment crosses in the same time, so a
// longer one moves faster; top/bottom ones stay as long), gifts as banners. When every lane
// is taken, a new comment is dropped (counted) instead of being drawn over others.
import Danmaku from 'danmaku';

const CROSS_S = 8;            // seconds a scrolling comment takes to cross the stage
const MAX_SIZE = 36;          // sizes above are drawn at 36 (the largest the send box offers)
const LINE = 1.25;            // line height, in font sizes
const BASE_H = 540;           // protocol size 25 is 25 px on a 540 px high stage
const BASE_SIZE = 25;         // lane height: one comment of the default size
const MODES = { scroll: 'rtl', top: 'top', bottom: 'bottom' };

function hex(c) {
  return '#' + (Number(c) >>> 0 & 0xffffff).toString(16).padStart(6, '0');
}

export class Stage {
  /** el: the stage element; layer: the danmaku container inside it; gifts: the banner box. */
  constructor({ el, layer, gifts, engine = 'dom' }) {
    this.el = el;
    this.gifts = gifts;
    this.engine = engine;
    this.d = new Danmaku({ container: layer, engine });
    this.lanes = { rtl: [], top: [], bottom: [] };   // per lane: the last comment {t, w}
    this.dropped = 0;
    this.shown = 0;
    this.resize();
    new ResizeObserver(() => this.resize()).observe(el);
  }

  resize() {
    this.w = this.el.clientWidth || 640;
    this.h = this.el.clientHeight || 360;
    this.scale = this.h / BASE_H;
    this.d.resize();
    this.d.speed = this.w / CROSS_S;   // danmaku: duration = stage width / speed
  }

  /**
   * Admission: the danmaku package always places a comment, and when no lane is free it
   * wraps around and draws it over others. So the page keeps its own lanes (one default-size
   * line each; a larger comment takes several), applies the package's own collision rule (same crossing time for all:
   * a comment may follow another in a lane once that one's tail is on the stage and it
   * leaves before the newcomer, faster if longer, catches up) and drops the comment when
   * no lane is free. True if the comment may be emitted.
   */
  admit(mode, w, px, now) {
    const laneH = LINE * BASE_SIZE * this.scale;
    const band = mode === 'rtl' ? this.h : this.h / 2;
    const n = Math.max(1, Math.floor(band / laneH));
    const k = Math.min(n, Math.ceil((LINE * px) / laneH - 0.01));   // lanes this size covers
    const lanes = this.lanes[mode];
    for (let i = 0, run = 0; i < n; i++) {
      run = this.laneFree(lanes[i], mode, w, now) ? run + 1 : 0;
      if (run === k) {
        for (let j = i - k + 1; j <= i; j++) lanes[j] = { t: now, w };
        return true;
      }
    }
    return false;
  }

  /** The package's collision rule for one lane whose last comment is `last`. */
  laneFree(last, mode, w, now) {
    const T = CROSS_S * 1000, W = this.w;
    if (!last || now - last.t >= T) return true;
    if (mode !== 'rtl') return false;
    const e = now - last.t;
    const tailIn = ((W + last.w) * e) / T >= last.w;
    return tailIn && T - e <= (T * W) / (W + w);
  }

  family() {
    this.fontFamily ??= getComputedStyle(this.el).fontFamily || 'sans-serif';
    return this.fontFamily;
  }

  /** Width in px of a text in the comment font. */
  measure(text, px) {
    this.ctx ??= document.createElement('canvas').getContext('2d');
    this.ctx.font = `700 ${px}px ${this.family()}`;
    return Math.ceil(this.ctx.measureText(text).width) + 2;
  }

  /** Shows one comment event; false if it was dropped for lack of room. */
  comment(ev) {
    const mode = MODES[ev.mode] || 'rtl';
    const px = Math.max(10, Math.round(Math.min(ev.size || 25, MAX_SIZE) * this.scale));
    const text = ev.risk ? '⚠ ' + ev.text : ev.text;
    if (!this.admit(mode, this.measure(text, px), px, performance.now())) {
      this.dropped++;
      return false;
    }
    const color = hex(ev.color ?? 0xffffff);
    const style = this.engine === 'canvas'
      ? { font: `700 ${px}px ${this.family()}`, fillStyle: color, strokeStyle: '#000', lineWidth: 2,
        textBaseline: 'bottom' }
      : { fontSize: `${px}px`, color, textShadow: '1px 0 1px #000, 0 1px 1px #000, 0 -1px 1px #000, -1px 0 1px #000',
        whiteSpace: 'pre', fontWeight: '700', lineHeight: String(LINE), opacity: ev.risk ? '0.6' : '1' };
    this.d.emit({ text, mode, style });
    this.shown++;
    this.trim();
    return true;
  }

  /**
   * The danmaku package keeps every emitted comment in `comments` (for media seeking): in a
   * live room that grows forever, so the ones already on stage are cut off now and then.
   */
  trim() {
    const d = this.d;
    if (d.comments.length < 2000 || !d._ || typeof d._.position !== 'number') return;
    d.comments.splice(0, d._.position);
    d._.position = 0;
  }

  /** A banner for a gift event, gone after 4 s; at most 4 at once. */
  gift(ev) {
    const b = document.createElement('div');
    b.className = 'gift';
    const who = document.createElement('b');
    who.textContent = ev.nick || ev.user_id;
    const n = document.createElement('span');
    n.className = 'n';
    n.textContent = `×${ev.count}`;
    b.append(who, ` 送出 ${ev.gift_name}`, n);
    this.gifts.append(b);
    while (this.gifts.children.length > 4) this.gifts.firstChild.remove();
    setTimeout(() => b.remove(), 4000);
  }

  clear() {
    this.d.clear();
    for (const k in this.lanes) this.lanes[k].length = 0;
  }
}
