#!/usr/bin/env python3
"""seq_cost.py [DIR] — instructions redis-server executes per sequenced event
(valgrind callgrind, so the figure does not depend on how busy the machine
is), for the sequencer script in DIR (default broadcaster/ of this tree):
S4-like calls of BATCH (32) events over 1,000 rooms, a client_msg_id each,
users drawn with repeats from 30,000, 120-260-byte events, rate spec SPEC
(default the broadcaster's comment defaults, "20 30000 60 30000"; "0 0 0 0"
= limits off). 100 warm-up calls, then CALLS (60) measured. Needs valgrind.
Compare two trees with DIR, e.g. a `git worktree` of main."""
import glob, os, random, shutil, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HERE, "tests", "integration"))
from harness import Resp, free_port  # noqa: E402

d = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "broadcaster")
BATCH = int(os.environ.get("BATCH", 32))
CALLS = int(os.environ.get("CALLS", 60))
SPEC = os.environ.get("SPEC", "20 30000 60 30000")
seq = open(os.path.join(d, "seq.lua")).read()
lim = open(os.path.join(d, "limits.lua")).read()
mark = "--@@LIMITS@@\n"
i, j = seq.index(mark), lim.index("-- Standalone entry")
script = seq[:i] + lim[:j] + seq[i + len(mark):]        # as bc_seq.c builds it

port, tmp = free_port(), tempfile.mkdtemp(prefix="seq-cost-")
out = os.path.join(tmp, "cg.out")
p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                      "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                      "--dir", tmp], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = None
for _ in range(600):
    time.sleep(0.2)
    try:
        r = Resp(port)
        break
    except OSError:
        pass
if r is None:
    p.kill()
    sys.exit("redis-server under valgrind did not start")
r.s.settimeout(300)
sha = r.cmd("SCRIPT", "LOAD", script)
rnd = random.Random(1)
users = ["u%d" % rnd.randrange(1, 700000000) for _ in range(30000)]
n = 0


def one_call():
    global n
    a = ["EVALSHA", sha, 0, 10000, 120, "0123456789abcdef", 6, BATCH]
    for _ in range(BATCH):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(120, 260)))
        a += ["r%d" % rnd.randrange(1000), "c", users[int(len(users) * rnd.random() ** 3)],
              "bench-%d" % n, body, SPEC]
        n += 1
    return r.cmd(*a)


for _ in range(100):
    one_call()
ctl = lambda op: subprocess.run(["callgrind_control", op, str(p.pid)],  # noqa: E731
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
ctl("-z")
n0 = n
for _ in range(CALLS):
    one_call()
ctl("-d")
time.sleep(1)
ir = 0
for f in glob.glob(out + "*"):
    for line in open(f):
        if line.startswith(("summary:", "totals:")):
            ir = max(ir, int(line.split()[1]))
p.terminate()
p.wait()
shutil.rmtree(tmp, ignore_errors=True)
print("%s: %.0f instructions of redis-server per event (%d events, spec %r)" % (d, ir / (n - n0), n - n0, SPEC))
