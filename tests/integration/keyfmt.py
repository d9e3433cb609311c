"""keyfmt.py — Redis key names built from common/keys.h's KEY_*_FMT macros,
so the Lua tests set and read keys by the C header's formats, not by names
typed again here. key("BAN", user="u1") -> "dm:ban:{u1}"."""
import os
import re

from harness import ROOT

_FMT = {}
with open(os.path.join(ROOT, "common", "keys.h")) as f:
    for m in re.finditer(r'#define\s+KEY_(\w+)_FMT\s+"([^"]*)"', f.read()):
        _FMT[m.group(1)] = m.group(2)


def key(name, room=None, kind=None, user=None, cmid=None):
    """The key KEY_<name>_FMT names: %.*s takes the room, %c the kind, and
    the %s that follow the user, then the client_msg_id (keys.h's argument
    order)."""
    fmt = _FMT[name]
    strs = iter([user, cmid])
    out, i = [], 0
    for m in re.finditer(r"%(\.\*s|c|s)", fmt):
        out.append(fmt[i:m.start()])
        v = {".*s": room, "c": kind}.get(m.group(1)) if m.group(1) != "s" else next(strs)
        assert v is not None, (name, m.group(0))
        out.append(v)
        i = m.end()
    out.append(fmt[i:])
    return "".join(out)
