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

# fuzz_json: the first byte picks the mode ('0' client text, '1' an
# actor's msgpack payload, '2' UTF-8 in fragments).
JSON_SEEDS = {
    "ping": '{"to":"coordinator:main","from":"client:ui","type":"Ping",'
            '"id":"1","timestamp":1764000000000,"payload":{"n":1}}',
    "local-ping": '{"to":"session","from":"client:x","type":"Ping",'
                  '"id":"p","payload":[1,2,{"a":null}]}',
    "assign": '{"to":"coordinator:main","from":"client:ui",'
              '"type":"AssignTask","id":"a1","payload":{"taskId":"t1",'
              '"kind":"echo","input":{"value":[1,2.5,true,"\\u00e9"]}}}',
    "register": '{"to":"coordinator:main","from":"client:ui",'
                '"type":"RegisterWorker","id":"r","payload":'
                '{"workerId":"w1"}}',
    "events": '{"to":"eventlog:main","from":"client:log","type":'
              '"GetEvents","id":"e","payload":{"since":3,"limit":10}}',
    "logevent": '{"to":"eventlog:main","from":"client:log","type":'
                '"LogEvent","id":"l","payload":{"level":"info",'
                '"source":"ui","message":"hi","data":{"k":[]}}}',
    "system": '{"to":"system:supervisor","from":"client:ui","type":'
              '"CtlShutdown","id":"s","payload":{}}',
    "internal": '{"to":"coordinator:main","from":"client:ui","type":'
                '"TaskCompleted","id":"c","payload":{"taskId":"t",'
                '"workerId":"w","result":1}}',
    "bignum": '{"to":"worker:w1","from":"client:ui","type":"GetState",'
              '"id":"b","payload":{"n":123456789012345678901234567890,'
              '"m":1e300,"k":-0.0}}',
    "deep": '{"to":"coordinator:main","from":"client:ui","type":"Ping",'
            '"id":"d","payload":' + "[" * 25 + "]" * 25 + "}",
    "badaddr": '{"to":"coordinator","from":"client:ui","type":"Ping",'
               '"id":"x"}',
    "nul": '{"to":"coordinator:main","from":"client:ui","type":"Ping",'
           '"id":"a\\u0000b"}',
}
os.makedirs("corpus/json", exist_ok=True)
for name, text in JSON_SEEDS.items():
    with open(f"corpus/json/{name}", "wb") as f:
        f.write(b"0" + text.encode())
with open("corpus/json/reply", "wb") as f:
    f.write(b"1" + pack({"workers": [{"workerId": "w1", "status": "idle",
                                       "processedCount": 3}],
                         "queue": {"length": 0, "next": []},
                         "n": -5, "f": 1.5, "big": 1 << 63}))
with open("corpus/json/reply-odd", "wb") as f:
    # Binary, a non-UTF-8 string, an integer key, a nil key.
    f.write(b"1\x84\xc4\x03abc\xa3\xff\xfe\x41\x07\xa1x\xc0\xc3"
            b"\xa1k\xa2\xc3\x28")
with open("corpus/json/utf8", "wb") as f:
    f.write(b"2\x03" + "héllo wörld € 𝄞 ok".encode())
with open("corpus/json/utf8-bad", "wb") as f:
    f.write(b"2\x00" + b"ab\xed\xa0\x80cd\xf4\x90\x80\x80\xe0\x80")

# fuzz_http: the first byte is (piece size << 2 | configuration); then
# the bytes of a connection.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
UPGRADE = ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: " + KEY +
           "\r\nSec-WebSocket-Version: 13\r\n"
           "Origin: http://127.0.0.1:8787\r\n\r\n")
HTTP_SEEDS = {
    "index": (0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    "pipelined": (7 << 2, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  "HEAD /app.js HTTP/1.1\r\nHost: x\r\n"
                  "If-None-Match: \"1-2-3\"\r\n\r\n"
                  "GET /a/b.css?x=1 HTTP/1.1\r\nHost: x\r\n"
                  "Connection: close\r\n\r\n"),
    "upgrade": (1 << 2, UPGRADE + "\x81\x85\x00\x00\x00\x00hello"),
    "upgrade-token": (2, UPGRADE.replace("GET /ws ", "GET /ws?token=s3cret ")),
    "echo": (3 << 2 | 1, UPGRADE.replace("/ws", "/echo")),
    "bearer": (2, UPGRADE.replace("Origin", "Authorization: Bearer s3cret"
                                  "\r\nX-Origin")),
    "traversal": (0, "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /a%2f..%2f..%2fx HTTP/1.1\r\nHost: x\r\n\r\n"
                  "GET /.hidden HTTP/1.1\r\nHost: x\r\n\r\n"),
    "post": (0, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"),
    "chunked": (0, "GET / HTTP/1.1\r\nHost: x\r\n"
                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    "http10": (0, "GET /healthz HTTP/1.0\r\n\r\n"),
    "nohost": (0, "GET / HTTP/1.1\r\n\r\n"),
    "long-header": (1, "GET / HTTP/1.1\r\nHost: x\r\nOrigin: " + "o" * 600 +
                    "\r\n\r\n"),
    "repeated": (0, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: h2c\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Key: " + KEY + "\r\n"
                 "Sec-WebSocket-Version: 8\r\nSec-WebSocket-Version: 13"
                 "\r\n\r\n"),
    "absolute": (0, "GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
    "garbage": (1 << 2, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
}
os.makedirs("corpus/http", exist_ok=True)
for name, (sel, text) in HTTP_SEEDS.items():
    with open(f"corpus/http/{name}", "wb") as f:
        f.write(bytes([sel]) + text.encode("latin-1"))

# fuzz_handshake: a flag byte, then Upgrade, Connection, Sec-WebSocket-Key,
# Sec-WebSocket-Version, Origin, Authorization and the ?token= value, one
# per line (see fuzz_handshake.c for the flags).
HS_SEEDS = {
    "plain": (0x80, ["websocket", "Upgrade", KEY, "13", "", "", ""]),
    "root": (0x88, ["WebSocket", "keep-alive, upgrade", KEY, "13",
                    "http://x", "", ""]),
    "echo-off": (0x94, ["websocket", "Upgrade", KEY, "13", "", "", ""]),
    "origin": (0x81, ["websocket", "Upgrade", KEY, "13",
                      "https://dash.example", "", ""]),
    "origin-bad": (0x81, ["websocket", "Upgrade", KEY, "13",
                          "http://evil.example", "", ""]),
    "token-query": (0x02, ["websocket", "Upgrade", KEY, "13", "", "",
                           "s3%63ret"]),
    "token-bearer": (0x83, ["websocket", "Upgrade", KEY, "13",
                            "http://127.0.0.1:8787", "bearer s3cret", ""]),
    "token-bad": (0x02, ["websocket", "Upgrade", KEY, "13", "", "",
                         "x&token=nope"]),
    "badkey": (0x80, ["websocket", "Upgrade", "dGhlIHNhbXBsZSBub25jZR==",
                      "13", "", "", ""]),
    "version": (0x80, ["websocket", "Upgrade", KEY, "8", "", "", ""]),
    "head": (0xa0, ["websocket", "Upgrade", KEY, "13", "", "", ""]),
    "http10": (0xc0, ["websocket", "Upgrade", KEY, "13", "", "", ""]),
}
os.makedirs("corpus/handshake", exist_ok=True)
for name, (flags, fields) in HS_SEEDS.items():
    with open(f"corpus/handshake/{name}", "wb") as f:
        f.write(bytes([flags]) + "\n".join(fields).encode())
