#!/usr/bin/env python3
"""check_includes.py — fails on any cycle of #include "..." between the
project's own modules (foo.c + foo.h), per binary (scripts/incgraph.py
BINARIES), and on libdm (common/) including an application header. Prints
each cycle with the include lines that close it. Output is TAP-like for
tests/run.sh: "ok - include graph acyclic" or "not ok - ..."; exit 1 on failure.
Usage: scripts/check_includes.py [ROOT]"""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import incgraph


def describe(cycle, g):
    """'a -> b -> a' plus, per step, which file includes which header."""
    steps = list(zip(cycle, cycle[1:] + cycle[:1]))
    lines = ["  " + " -> ".join(cycle + cycle[:1])]
    for a, b in steps:
        for f, h in g[a][b]:
            lines.append("    %s includes \"%s\"" % (f, h))
    return lines


def cycles(comp, g):
    """The shortest cycle through each module of a component, each printed once."""
    out, keys = [], set()
    for start in comp:
        rest = [start] + [m for m in comp if m != start]
        cyc = incgraph.one_cycle(rest, lambda n: g.get(n, {}).keys())
        key = frozenset(zip(cyc, cyc[1:] + cyc[:1]))
        if key not in keys:
            keys.add(key)
            out.append(cyc)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else incgraph.ROOT
    g = incgraph.graph(root)
    problems = []
    seen = set()
    for name, dirs in incgraph.BINARIES.items():
        nodes = incgraph.binary_modules(g, dirs)
        for comp in incgraph.sccs(nodes, lambda n: g.get(n, {}).keys()):
            if len(comp) < 2 or tuple(comp) in seen:
                continue
            seen.add(tuple(comp))
            problems.append("%s: include cycle of %d modules (%s)" % (name, len(comp), ", ".join(comp)))
            for cyc in cycles(comp, g):
                problems += describe(cyc, g)
    for m, deps in sorted(g.items()):
        if not m.startswith("common/"):
            continue
        for d, via in sorted(deps.items()):
            if not d.startswith("common/"):
                problems.append("libdm: %s includes an application header" % via[0][0])
                problems += ["    %s includes \"%s\"" % v for v in via]
    for line in problems:
        print("# " + line)
    n = sum(1 for p in problems if not p.startswith(" "))
    print(("not ok - include graph acyclic (%d problems)" % n) if n else "ok - include graph acyclic")
    return 1 if n else 0


if __name__ == "__main__":
    sys.exit(main())
