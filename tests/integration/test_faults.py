"""test_faults.py — issue 3 fault tests across the whole pipeline: redis-server
killed and restarted on its data, redis-server restarted empty, an edge worker
SIGKILLed, a broadcaster SIGKILLed mid-publish. In each, no event that got a
200 may be lost: every viewer ends with a gap-free, duplicate-free sequence
containing every acknowledged event with its exact content.

The viewers are Python websockets clients (independent of our C code) that
resume by themselves after a disconnect with ?since=<last seq>&epoch=<epoch>,
as docs/PROTOCOL.md tells client writers to."""
import asyncio, json, os, signal, sys, threading, time, http.client
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Stack, http as http_req, main, test, wait_until
import websockets

ROOM = "faulty"


class Viewer:
    """Resuming JSON viewer. Records (epoch, seq) -> event and every reset."""
    def __init__(self, port, room=ROOM):
        self.port, self.room = port, room
        self.epoch, self.last = None, 0
        self.events = {}          # (epoch, seq) -> event
        self.order = []           # (epoch, seq) in arrival order
        self.resets, self.reconnects, self.workers = [], 0, []
        self.stop = False

    def url(self):
        q = "format=json&history=0"
        if self.epoch is not None:
            q += "&since=%d&epoch=%s" % (self.last, self.epoch)
        return "ws://127.0.0.1:%d/v1/rooms/%s/ws?%s" % (self.port, self.room, q)

    async def run(self, deadline):
        while not self.stop and time.time() < deadline:
            try:
                async with websockets.connect(self.url(), compression=None, open_timeout=5,
                                              close_timeout=1) as ws:
                    self.workers.append(ws.response_headers.get("X-Edge-Worker"))
                    while not self.stop:
                        try:
                            msg = await asyncio.wait_for(ws.recv(), 0.2)
                        except asyncio.TimeoutError:
                            continue
                        self.on_frame(json.loads(msg))
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
                pass
            if not self.stop:
                self.reconnects += 1
                await asyncio.sleep(0.1)

    def on_frame(self, f):
        t = f["type"]
        if t == "reset":
            self.resets.append(f)
            self.epoch = f["epoch"]
            self.last = f["from_seq"] - 1
            return
        if t == "gap":
            raise AssertionError("unexpected gap frame %r" % f)
        assert t == "batch", f
        if self.epoch != f["epoch"]:
            assert self.epoch is None, "epoch changed from %s to %s without a reset" % (
                self.epoch, f["epoch"])
            self.epoch = f["epoch"]
        for e in f["events"]:
            key = (f["epoch"], e["seq"])
            assert key not in self.events, "duplicate event %r" % (key,)
            assert e["seq"] == self.last + 1 or self.last == 0 and not self.order, \
                "gap: got seq %d after %d" % (e["seq"], self.last)
            self.events[key] = e
            self.order.append(key)
            self.last = e["seq"]


class Publisher(threading.Thread):
    """Publishes comments at ~rate/s on one keep-alive connection (reconnecting
    on errors), recording acknowledged events and error statuses."""
    def __init__(self, port, tag, rate=100):
        super().__init__(daemon=True)
        self.port, self.tag, self.rate = port, tag, rate
        self.acked = []            # (epoch, seq, text)
        self.statuses = {}
        self.halt = threading.Event()
        self.n = 0

    def run(self):
        c = None
        while not self.halt.is_set():
            self.n += 1
            text = "%s 弹幕 #%d 🎉" % (self.tag, self.n)
            body = json.dumps({"user_id": self.tag, "nick": self.tag, "text": text},
                              ensure_ascii=False).encode()
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                c.request("POST", "/v1/rooms/%s/comments" % ROOM, body=body,
                          headers={"Content-Type": "application/json"})
                r = c.getresponse()
                data = r.read()
                self.statuses[r.status] = self.statuses.get(r.status, 0) + 1
                if r.status == 200:
                    rep = json.loads(data)
                    self.acked.append((rep["epoch"], rep["seq"], text))
                else:
                    assert r.status == 503, (r.status, data)
                    assert json.loads(data)["error"]["code"], data
            except (OSError, http.client.HTTPException):
                self.statuses["conn"] = self.statuses.get("conn", 0) + 1
                if c:
                    c.close()
                c = None
            time.sleep(1.0 / self.rate)
        if c:
            c.close()


def assert_complete(viewers, pubs, epoch=None):
    acked = [a for p in pubs for a in p.acked if epoch is None or a[0] == epoch]
    assert acked, "nothing was acknowledged"
    for i, v in enumerate(viewers):
        for ep, seq, text in acked:
            e = v.events.get((ep, seq))
            assert e is not None, "viewer %d missed acknowledged event %s/%d (has %d events, last %d)" % (
                i, ep, seq, len(v.events), v.last)
            assert e["text"] == text, "viewer %d: %s/%d text %r != %r" % (i, ep, seq, e["text"], text)


async def run_viewers(viewers, secs):
    deadline = time.time() + secs
    return [asyncio.create_task(v.run(deadline)) for v in viewers]


async def settle(viewers, pubs, rc, timeout=15):
    """Waits until every viewer reached the room's last seq (from Redis)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            last = int(rc.cmd("HGET", "dm:{%s}:meta" % ROOM, "seq") or 0)
        except Exception:
            last = -1
        if last > 0 and all(v.last >= last for v in viewers):
            return last
        await asyncio.sleep(0.1)
    raise AssertionError("viewers did not catch up: %r" % [v.last for v in viewers])


async def finish(viewers, tasks):
    for v in viewers:
        v.stop = True
    await asyncio.gather(*tasks)


@test
def test_redis_killed_and_restarted_on_its_data(st):
    r = st.redis(appendonly=True)
    port = r.port
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge("--workers", "2")
    st.expect_log("broadcaster", r"WARN seq: redis 127\.0\.0\.1:%d unavailable" % port)
    st.expect_log("edge", r"WARN redis: (pubsub|cmd) link lost")

    async def go():
        viewers = [Viewer(e.port) for _ in range(6)]
        tasks = await run_viewers(viewers, 60)
        await asyncio.sleep(1.0)
        pubs = [Publisher(b.port, "p%d" % i) for i in range(2)]
        for p in pubs:
            p.start()
        await asyncio.sleep(1.5)
        r.kill()
        await asyncio.sleep(0.5)
        wait_until(lambda: http_req("GET", b.port, "/healthz")[0] == 503, 10, what="broadcaster 503")
        await asyncio.sleep(1.0)
        st.redis(port=port, appendonly=True)
        wait_until(lambda: http_req("GET", b.port, "/healthz")[0] == 200, 15, what="broadcaster back")
        wait_until(lambda: http_req("GET", e.port, "/healthz")[0] == 200, 15, what="edge back")
        await asyncio.sleep(1.5)
        for p in pubs:
            p.halt.set()
            p.join()
        assert sum(p.statuses.get(503, 0) + p.statuses.get("conn", 0) for p in pubs) > 0, \
            "no publish saw the outage: %r" % [p.statuses for p in pubs]
        await settle(viewers, pubs, st.rc())
        await finish(viewers, tasks)
        assert_complete(viewers, pubs)
        epochs = {a[0] for p in pubs for a in p.acked}
        assert len(epochs) == 1, "epoch changed although Redis kept its data: %r" % epochs
    return go()


@test
def test_redis_restarted_empty_changes_epoch(st):
    r = st.redis()
    port = r.port
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge()
    st.expect_log("edge", r"WARN room: room=%s epoch changed " % ROOM)

    async def go():
        viewers = [Viewer(e.port) for _ in range(4)]
        tasks = await run_viewers(viewers, 60)
        await asyncio.sleep(1.0)
        p1 = Publisher(b.port, "before")
        p1.start()
        await asyncio.sleep(1.0)
        p1.halt.set()
        p1.join()
        await settle(viewers, [p1], st.rc())
        old_epoch = p1.acked[0][0]
        r.kill()
        st.redis(port=port)        # same port, no data
        wait_until(lambda: http_req("GET", b.port, "/healthz")[0] == 200, 15, what="broadcaster back")
        p2 = Publisher(b.port, "after")
        p2.start()
        await asyncio.sleep(1.5)
        p2.halt.set()
        p2.join()
        new_epoch = p2.acked[0][0]
        assert new_epoch != old_epoch, "epoch did not change after Redis lost the room"
        await settle(viewers, [p2], st.rc())
        await finish(viewers, tasks)
        assert_complete(viewers, [p1, p2])
        for i, v in enumerate(viewers):
            rs = [x for x in v.resets if x["reason"] == "epoch_changed"]
            assert rs and rs[0]["epoch"] == new_epoch, "viewer %d got no epoch_changed reset: %r" % (
                i, v.resets)
            assert v.epoch == new_epoch
    return go()


@test
def test_edge_worker_sigkill_viewers_resume(st):
    st.redis()
    b = st.broadcaster("--rate-limits", "off")
    e = st.edge("--workers", "2")

    async def go():
        viewers = [Viewer(e.port) for _ in range(16)]
        tasks = await run_viewers(viewers, 60)
        await asyncio.sleep(1.5)
        pubs = [Publisher(b.port, "w%d" % i) for i in range(2)]
        for p in pubs:
            p.start()
        await asyncio.sleep(1.0)
        victims = {w for v in viewers for w in v.workers if w}
        assert len(victims) == 2, "viewers not spread over 2 workers: %r" % victims
        victim = int(sorted(victims)[0])
        os.kill(victim, signal.SIGKILL)      # a child of the edge we started
        st.expect_log("edge", r"WARN edge: worker \d+ \(pid %d\) killed by signal 9: restarting" % victim)
        await asyncio.sleep(2.0)
        for p in pubs:
            p.halt.set()
            p.join()
        await settle(viewers, pubs, st.rc())
        await finish(viewers, tasks)
        assert sum(v.reconnects for v in viewers) > 0, "nobody was disconnected"
        assert_complete(viewers, pubs)
        # the parent replaced the worker: two workers serve again
        seen = set()
        for _ in range(40):
            st_, h, _ = http_req("GET", e.port, "/healthz")
            if st_ == 200 and h.get("x-edge-worker"):
                seen.add(h["x-edge-worker"])
        assert str(victim) not in seen
    return go()


@test
def test_broadcaster_sigkill_mid_publish(st):
    st.redis()
    b1 = st.broadcaster("--rate-limits", "off")
    b2 = st.broadcaster("--rate-limits", "off")
    e = st.edge()

    async def go():
        viewers = [Viewer(e.port) for _ in range(4)]
        tasks = await run_viewers(viewers, 60)
        await asyncio.sleep(1.0)
        pubs = [Publisher(b1.port, "k%d" % i, rate=300) for i in range(3)] + [Publisher(b2.port, "s")]
        for p in pubs:
            p.start()
        await asyncio.sleep(1.0)
        b1.kill()
        await asyncio.sleep(1.0)
        for p in pubs:
            p.halt.set()
            p.join()
        last = await settle(viewers, pubs, st.rc())
        await finish(viewers, tasks)
        assert_complete(viewers, pubs)
        rc = st.rc()
        assert rc.cmd("XLEN", "dm:{%s}:s" % ROOM) == last, "stream length != last seq"
        for v in viewers:   # every sequenced event is whole and visible
            assert v.last == last and len(v.events) == last
            for e_ in v.events.values():
                assert e_["kind"] == "comment" and e_["text"] and e_["user_id"]
    return go()


if __name__ == "__main__":
    main()
