"""incgraph.py — the project's own #include "..." graph, shared by
scripts/check_includes.py (cycles) and scripts/modmap.py (docs module map).

A module is foo.c + foo.h in one directory, named by its path without the
extension ("edge/room"). Module A depends on B when A's .c or .h includes B's
.h. Includes resolve like the Makefile's -I flags: the including file's own
directory, then common/, then (for client-side code: client/, bench/, tools/)
client/; generated headers (build/*/gen: *.pb-c.h, *_lua.h)
and system headers are leaves, outside the graph. Python 3 stdlib only."""
import os, re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC_DIRS = ("common", "client", "broadcaster", "edge", "bench", "tools")
CLIENT_SIDE = ("client", "bench", "tools")   # built with -I client
# Each binary (or library) and the source directories linked into it.
BINARIES = {
    "libdm": ("common",),
    "broadcaster": ("broadcaster", "common"),
    "edge": ("edge", "common"),
    "libdmclient": ("client", "common"),
    "bench": ("bench", "client", "common"),
    "tools": ("tools", "broadcaster", "edge", "bench", "client", "common"),
}
GENERATED = re.compile(r"(\.pb-c\.h|_lua\.h)$")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def _strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def source_files(root=ROOT):
    """Every .c/.h of the project's source directories, as root-relative paths."""
    out = []
    for d in SRC_DIRS:
        full = os.path.join(root, d)
        if not os.path.isdir(full):
            continue
        for n in sorted(os.listdir(full)):
            if n.endswith((".c", ".h")):
                out.append(d + "/" + n)
    return out


def module_of(path):
    return os.path.splitext(path)[0]


def resolve(inc, src, root=ROOT):
    """Root-relative path of a quoted include from file `src`, or None for a
    generated or unknown header (a leaf)."""
    if GENERATED.search(inc):
        return None
    dirs = (os.path.dirname(src), "common")
    if src.split("/", 1)[0] in CLIENT_SIDE:
        dirs += ("client",)
    for base in dirs:
        p = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(os.path.join(root, p)):
            return p
    return None


def graph(root=ROOT):
    """{module: {dep_module: [(including_file, included_header), ...]}} over every
    source file; self-includes (foo.c -> foo.h) are dropped."""
    g = {}
    for f in source_files(root):
        m = module_of(f)
        g.setdefault(m, {})
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = _strip_comments(fh.read())
        for inc in INCLUDE.findall(text):
            p = resolve(inc, f, root)
            if p is None or module_of(p) == m:
                continue
            g[m].setdefault(module_of(p), []).append((f, p))
    return g


def sccs(nodes, edges):
    """Strongly connected components (Tarjan, iterative) of the subgraph on
    `nodes`; edges(n) -> iterable of successors. Returns lists, in order."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges(start))))]
        index[start] = low[start] = counter[0]; counter[0] += 1
        stack.append(start); on.add(start)
        while work:
            n, it = work[-1]
            nxt = next((s for s in it if s in nodes), None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]; counter[0] += 1
                    stack.append(nxt); on.add(nxt)
                    work.append((nxt, iter(sorted(edges(nxt)))))
                elif nxt in on:
                    low[n] = min(low[n], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[n])
            if low[n] == index[n]:
                comp = []
                while True:
                    x = stack.pop(); on.discard(x); comp.append(x)
                    if x == n:
                        break
                out.append(sorted(comp))
    return out


def one_cycle(comp, edges):
    """A shortest cycle through comp[0] inside the component (BFS), as a module
    list whose last element leads back to the first."""
    inside = set(comp)
    start = comp[0]
    prev, queue = {start: None}, [start]
    while queue:
        n = queue.pop(0)
        for s in sorted(edges(n)):
            if s == start:
                path = [n]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                return path[::-1]
            if s in inside and s not in prev:
                prev[s] = n
                queue.append(s)
    return comp


def binary_modules(g, dirs):
    return {m for m in g if m.split("/", 1)[0] in dirs}
