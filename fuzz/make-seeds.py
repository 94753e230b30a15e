#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (run from fuzz/)."""
import os
import struct


def pack(v):
    """A minimal msgpack encoder: enough for envelopes."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if v >= 0:
            return b"\xcf" + struct.pack(">Q", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode()
        if len(b) < 32:
            return bytes([0xA0 | len(b)]) + b
        return b"\xd9" + bytes([len(b)]) + b if len(b) < 256 else \
            b"\xda" + struct.pack(">H", len(b)) + b
    if isinstance(v, list):
        return bytes([0x90 | len(v)]) + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        return bytes([0x80 | len(v)]) + b"".join(
            pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)


def frame(obj):
    body = pack(obj)
    return struct.pack(">I", len(body)) + body


def env(to, typ, payload, reply=None):
    e = {"to": to, "from": "session:abc", "type": typ, "id": "1",
         "timestamp": 1764000000000}
    if reply:
        e["replyTo"] = reply
    e["payload"] = payload
    return e


SEEDS = {
    "ping": [env("coordinator:main", "Ping", {"n": 1})],
    "assign": [env("coordinator:main", "AssignTask",
                   {"kind": "echo", "input": {"value": [1, 2.5, None]}})],
    "register": [env("coordinator:main", "RegisterWorker",
                     {"workerId": "w1"}),
                 env("worker:w1", "GetState", {})],
    "events": [env("eventlog:main", "GetEvents", {"since": 3, "limit": 10}),
               env("eventlog:main", "LogEvent",
                   {"level": "info", "source": "x", "message": "m"})],
    "reply": [env("session:abc", "Error",
                  {"code": "bad_json", "error": "x"}, reply="7")],
    "badtype": [env("coordinator:main", "NoSuchType", None)],
    "badaddr": [env("nocolon", "Ping", 1)],
}

os.makedirs("corpus/frame", exist_ok=True)
for name, envs in SEEDS.items():
    with open(f"corpus/frame/{name}", "wb") as f:
        f.write(b"".join(frame(e) for e in envs))
with open("corpus/frame/oversize", "wb") as f:
    f.write(struct.pack(">I", 1 << 30) + b"x" * 8)
with open("corpus/frame/zero", "wb") as f:
    f.write(struct.pack(">I", 0))

os.makedirs("corpus/config", exist_ok=True)
with open("corpus/config/full", "w") as f:
    f.write("""[actord]
state_dir = ./var/state
run_dir = ./var/run
log_level = debug
control_mode = 0600
[supervisor]
strategy = rest_for_one
max_restarts = 5
max_seconds = 10
[transport]
max_frame_bytes = 1M
[coordinator]
restart = transient
shutdown_timeout_ms = 100
[gateway]
listen = 127.0.0.1:8787
echo = no
[session]
max_message_bytes = 64k
""")
with open("corpus/config/errors", "w") as f:
    f.write("[actord]\nlog_level = loud\nnope\n[x]\ny = 1\n"
            "[supervisor]\nmax_restarts = -1\n")
