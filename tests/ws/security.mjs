// Security probes for tests/it_security.sh, one per run:
//
//   node security.mjs types PORT        every message type of
//        common/msgtypes.h from a WebSocket client, to every actor kind:
//        what a client may not send must come back `forbidden`, and
//        system:supervisor answers only GetTree, Subscribe, Unsubscribe
//        and Ping
//   node security.mjs system SOCKET     frames straight on $RUN/system.sock:
//        every control operation, and the tree's own internal messages,
//        must be refused (Error forbidden) or dropped, never applied
//   node security.mjs upgrade PORT TARGET [HEADER...]
//        one WebSocket upgrade: the response's status code
//   node security.mjs hold PORT MS     one session, open for MS ms or
//        until stdin closes; prints its id first
//   node security.mjs reconnect PORT ACTORCTL CONF
//        one session through `actorctl restart coordinator`: the first
//        message, a Ping to coordinator:main before and after
//   node security.mjs forge PORT DIR ACTORCTL CONF LOG
//        a client's session (the victim) with a task running, then a
//        session running tests/probe_session.c (an attacker's code): the
//        victim's details go to DIR/probe.env, the zygote is killed, and
//        the next client's hand-off makes the gateway fork+exec a session,
//        which DIR/session runs as the probe; the probe's report from LOG,
//        and what the victim sees before and after
//
// Prints one JSON line.  Every wait is bounded.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [what, ...args] = process.argv.slice(2);

// The catalogue, read from its one source: [{ name, who, kinds }].
function catalogue() {
  const src = readFileSync(join(ROOT, 'common/msgtypes.h'), 'utf8');
  const rows = [];
  for (const m of src.matchAll(/MSG\(\w+,\s*"(\w+)",\s*(\w+),\s*([^,]+),/g))
    rows.push({ name: m[1], who: m[2], kinds: m[3].trim() });
  if (rows.length < 40)
    throw new Error(`only ${rows.length} rows read from msgtypes.h`);
  return rows;
}

// A payload each control operation would accept, so that the refusal
// is about who asks, not about the payload's shape.
const PAYLOADS = {
  CtlInspect: { name: 'coordinator' },
  CtlKill: { name: 'coordinator', signal: 9 },
  CtlRestart: { name: 'coordinator' },
  CtlSend: { to: 'coordinator:main', type: 'GetStatus', payload: {} },
  CtlStart: { name: 'coordinator' },
  CtlStop: { name: 'coordinator' },
  CtlWait: { name: 'coordinator', state: 'down', timeoutMs: 100 },
  AbortTask: { taskId: 't' },
  ProcessTask: { taskId: 't', kind: 'echo', input: {} },
  StartWorker: { workerId: 'w1' },
  StopWorker: { workerId: 'w1' },
  TaskCompleted: { taskId: 't', workerId: 'w1', result: 1 },
  TaskFailed: { taskId: 't', workerId: 'w1', error: 'x' },
  TaskStarted: { taskId: 't', workerId: 'w1' },
  SessionClose: { code: 1000 },
  SessionsChanged: { sessions: [], count: 0, idle: 0, max: 1 },
};

async function wsClient(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const waiting = new Map();
  const pushes = [];
  let first, pushed = () => {};
  const established = new Promise((resolve) => { first = resolve; });
  ws.on('message', (d) => {
    const m = JSON.parse(d);
    first(m);
    const w = m.replyTo && waiting.get(m.replyTo);
    if (w) {
      waiting.delete(m.replyTo);
      w(m);
    } else if (!m.replyTo) {
      pushes.push(m);
      pushed();
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let n = 0;
  const ask = (to, type, payload) => new Promise((resolve) => {
    const id = `s${++n}`;
    const t = setTimeout(() => { waiting.delete(id); resolve(null); }, 5000);
    waiting.set(id, (m) => { clearTimeout(t); resolve(m); });
    ws.send(JSON.stringify({ to, from: 'client:sec', type, id,
      timestamp: Date.now(), payload }));
  });
  // The first push that pred takes (kept ones included), or null after ms.
  const push = async (pred, ms = 10000) => {
    const end = Date.now() + ms;
    for (;;) {
      const m = pushes.find(pred);
      if (m || Date.now() >= end)
        return m ?? null;
      await Promise.race([new Promise((r) => { pushed = r; }),
        sleep(end - Date.now())]);
    }
  };
  return { ws, ask, established, push };
}

async function types(port) {
  const c = await wsClient(port);
  const targets = ['coordinator:main', 'worker:w1', 'eventlog:main',
    'system:supervisor', 'session'];
  const notForbidden = [];
  let asked = 0;
  const rows = catalogue();
  for (const row of rows.filter((r) => r.who !== 'CLIENT')) {
    for (const to of targets) {
      const r = await c.ask(to, row.name, PAYLOADS[row.name] ?? {});
      asked++;
      if (r?.type !== 'Error' || r.payload.code !== 'forbidden')
        notForbidden.push(`${row.name} to ${to}: ${r ? r.type + ' ' +
          JSON.stringify(r.payload) : 'no answer'}`);
    }
  }
  // system:supervisor from the WebSocket: read-only.
  const system = {};
  for (const row of rows.filter((r) => r.who === 'CLIENT')) {
    const r = await c.ask('system:supervisor', row.name, {});
    system[row.name] = r === null ? 'no answer' :
      r.type === 'Error' ? r.payload.code : r.type;
  }
  c.ws.close(1000);
  return { internal: rows.filter((r) => r.who === 'INTERNAL').length,
    server: rows.filter((r) => r.who === 'SERVER').length, asked,
    notForbidden, system };
}

// --- msgpack, as much as envelopes need ----------------------------------

function pack(v) {
  if (v === null || v === undefined)
    return Buffer.from([0xc0]);
  if (v === true || v === false)
    return Buffer.from([v ? 0xc3 : 0xc2]);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 128)
      return Buffer.from([v]);
    const b = Buffer.alloc(9);
    if (Number.isInteger(v) && v >= 0) {
      b[0] = 0xcf;
      b.writeBigUInt64BE(BigInt(v), 1);
    } else {
      b[0] = 0xcb;
      b.writeDoubleBE(v, 1);
    }
    return b;
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v);
    if (s.length < 32)
      return Buffer.concat([Buffer.from([0xa0 | s.length]), s]);
    const h = Buffer.alloc(3);
    h[0] = 0xda;
    h.writeUInt16BE(s.length, 1);
    return Buffer.concat([h, s]);
  }
  if (Array.isArray(v))
    return Buffer.concat([Buffer.from([0x90 | v.length]), ...v.map(pack)]);
  const keys = Object.keys(v);
  return Buffer.concat([Buffer.from([0x80 | keys.length]),
    ...keys.flatMap((k) => [pack(k), pack(v[k])])]);
}

// Decode one object at off: [value, next offset].
function unpack(b, off = 0) {
  const c = b[off];
  const str = (n, o) => [b.subarray(o, o + n).toString(), o + n];
  const many = (n, o, map) => {
    const out = map ? {} : [];
    for (let i = 0; i < n; i++) {
      let k, v;
      if (map)
        [k, o] = unpack(b, o);
      [v, o] = unpack(b, o);
      if (map)
        out[k] = v;
      else
        out.push(v);
    }
    return [out, o];
  };
  if (c <= 0x7f)
    return [c, off + 1];
  if (c >= 0xe0)
    return [c - 256, off + 1];
  if ((c & 0xf0) === 0x80)
    return many(c & 0x0f, off + 1, true);
  if ((c & 0xf0) === 0x90)
    return many(c & 0x0f, off + 1, false);
  if ((c & 0xe0) === 0xa0)
    return str(c & 0x1f, off + 1);
  switch (c) {
  case 0xc0: return [null, off + 1];
  case 0xc2: return [false, off + 1];
  case 0xc3: return [true, off + 1];
  case 0xcc: return [b[off + 1], off + 2];
  case 0xcd: return [b.readUInt16BE(off + 1), off + 3];
  case 0xce: return [b.readUInt32BE(off + 1), off + 5];
  case 0xcf: return [Number(b.readBigUInt64BE(off + 1)), off + 9];
  case 0xd0: return [b.readInt8(off + 1), off + 2];
  case 0xd1: return [b.readInt16BE(off + 1), off + 3];
  case 0xd2: return [b.readInt32BE(off + 1), off + 5];
  case 0xd3: return [Number(b.readBigInt64BE(off + 1)), off + 9];
  case 0xca: return [b.readFloatBE(off + 1), off + 5];
  case 0xcb: return [b.readDoubleBE(off + 1), off + 9];
  case 0xd9: return str(b[off + 1], off + 2);
  case 0xda: return str(b.readUInt16BE(off + 1), off + 3);
  case 0xdb: return str(b.readUInt32BE(off + 1), off + 5);
  case 0xc4: return [b.subarray(off + 2, off + 2 + b[off + 1]),
    off + 2 + b[off + 1]];
  case 0xdc: return many(b.readUInt16BE(off + 1), off + 3, false);
  case 0xde: return many(b.readUInt16BE(off + 1), off + 3, true);
  case 0xdd: return many(b.readUInt32BE(off + 1), off + 5, false);
  case 0xdf: return many(b.readUInt32BE(off + 1), off + 5, true);
  default: throw new Error(`msgpack 0x${c.toString(16)} not handled`);
  }
}

function framed(obj) {
  const body = pack(obj);
  const h = Buffer.alloc(4);
  h.writeUInt32BE(body.length);
  return Buffer.concat([h, body]);
}

// A connection to an actor socket: send envelopes, read replies by id.
function unixPeer(path, identity) {
  return new Promise((resolve, reject) => {
    const sock = net.connect(path);
    let buf = Buffer.alloc(0), n = 0;
    const waiting = new Map();
    const peer = { sock, closed: false };
    sock.on('error', (e) => { if (!peer.closed) reject(e); });
    sock.on('close', () => {
      peer.closed = true;
      for (const w of waiting.values())
        w('closed');
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        const len = buf.readUInt32BE(0);
        const [env] = unpack(buf.subarray(4, 4 + len));
        buf = buf.subarray(4 + len);
        const w = env.replyTo && waiting.get(env.replyTo);
        if (w) {
          waiting.delete(env.replyTo);
          w(env);
        }
      }
    });
    peer.send = (to, type, payload, id = `x${++n}`) => {
      sock.write(framed({ to, from: identity, type, id,
        timestamp: Date.now(), payload }));
      return id;
    };
    // The answer to one message, or 'none' after ms, or 'closed'.
    peer.ask = (to, type, payload, ms = 1000) => new Promise((res) => {
      if (peer.closed) {
        res('closed');
        return;
      }
      const id = `x${++n}`;
      const t = setTimeout(() => { waiting.delete(id); res('none'); }, ms);
      waiting.set(id, (m) => { clearTimeout(t); res(m); });
      peer.send(to, type, payload, id);
    });
    sock.on('connect', () => {
      peer.send('system:supervisor', 'Hello', {});
      resolve(peer);
    });
  });
}

async function system(path) {
  const identity = `session:${randomBytes(8).toString('hex')}`;
  const out = { applied: [], answers: {} };
  const rows = catalogue().filter((r) => r.who === 'INTERNAL');
  for (const row of rows) {
    // A fresh connection each: a refusal may drop the connection.
    const p = await unixPeer(path, identity);
    const r = await p.ask('system:supervisor', row.name,
      PAYLOADS[row.name] ?? {});
    out.answers[row.name] = typeof r === 'string' ? r :
      r.type === 'Error' ? r.payload.code : r.type;
    p.sock.destroy();
  }
  // What a session may ask here works.
  const p = await unixPeer(path, identity);
  const tree = await p.ask('system:supervisor', 'GetTree', {});
  out.getTree = typeof tree === 'string' ? tree : tree.type;
  // Messages for other actors are not relayed from this socket.
  const relay = await p.ask('coordinator:main', 'GetStatus', {});
  out.relay = typeof relay === 'string' ? relay : relay.type === 'Error' ?
    relay.payload.code : relay.type;
  // A frame over the limit drops the connection, nothing else.
  p.sock.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x80]));
  for (let i = 0; i < 100 && !p.closed; i++)
    await sleep(20);
  out.oversizeDropped = p.closed;
  p.sock.destroy();
  return out;
}

function upgrade(port, target, headers) {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const done = () => {
      clearTimeout(t);
      sock.destroy();
      resolve({ status: got.startsWith('HTTP/1.1 ') ? Number(got.slice(9,
        12)) : null, head: got.split('\r\n\r\n')[0] });
    };
    const t = setTimeout(done, 5000);
    sock.on('connect', () => sock.write(`GET ${target} HTTP/1.1\r\n` +
      `Host: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      'Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
      headers.map((h) => `${h}\r\n`).join('') + '\r\n'));
    sock.on('data', (d) => {
      got += d;
      if (got.includes('\r\n\r\n'))
        done();
    });
    sock.on('error', done);
    sock.on('close', done);
  });
}

// Hold one session open for ms (or until stdin closes): its id on stdout.
async function hold(port, ms) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  const id = await new Promise((resolve, reject) => {
    ws.once('message', (d) => resolve(JSON.parse(d).payload.sessionId));
    ws.once('error', reject);
  });
  console.log(JSON.stringify({ sessionId: id }));
  await new Promise((resolve) => {
    setTimeout(resolve, ms);
    process.stdin.on('close', resolve);
    process.stdin.resume();
  });
  ws.close(1000);
  await sleep(100);
  return { held: id };
}

// One session through a coordinator restart: its first message, and a
// Ping to coordinator:main before and after (the session connects to
// coordinator.sock again, from inside its sandbox).
async function reconnect(port, actorctl, conf) {
  const c = await wsClient(port);
  const first = await Promise.race([c.established, sleep(5000)]);
  const before = await c.ask('coordinator:main', 'Ping', {});
  execFileSync(actorctl, ['-c', conf, 'restart', 'coordinator']);
  const after = await c.ask('coordinator:main', 'Ping', {});
  c.ws.close(1000);
  return { first: first?.type ?? null, before: before?.type ?? null,
    after: after?.type ?? null };
}

// Wait for a line of the log that starts with prefix: the rest of it.
async function logLine(path, prefix, ms) {
  const end = Date.now() + ms;
  for (;;) {
    const line = readFileSync(path, 'utf8').split('\n')
      .find((l) => l.startsWith(prefix));
    if (line || Date.now() >= end)
      return line ? line.slice(prefix.length) : null;
    await sleep(20);
  }
}

async function forge(port, dir, actorctl, conf, log) {
  const ctl = (...a) => execFileSync(actorctl, ['-c', conf, ...a],
    { encoding: 'utf8' });
  const kind = (m) => m === null ? null : m.type === 'Error' ?
    m.payload.code : m.type;
  const out = {};
  // The victim: a client's session, with a task running on w1.
  const a = await wsClient(port);
  const established = await a.established;
  const victim = `session:${established.payload.sessionId}`;
  out.victim = victim;
  out.register = kind(await a.ask('coordinator:main', 'RegisterWorker',
    { workerId: 'w1' }));
  // Its end shows in the coordinator's pushes.
  out.subscribe = kind(await a.ask('coordinator:main', 'Subscribe', {}));
  out.assign = kind(await a.ask('coordinator:main', 'AssignTask',
    { taskId: 'sec-sleep', kind: 'sleep', input: { ms: 3000 },
      workerId: 'w1' }));
  for (let i = 0; i < 250; i++) {
    const st = await a.ask('worker:w1', 'GetState', {});
    out.running = st?.payload?.currentTask ?? null;
    if (out.running === 'sec-sleep')
      break;
    await sleep(20);
  }
  out.before = await a.ask('coordinator:main', 'GetStatus', {});
  // The probe's part: who it may try to be, what it may try to end.
  writeFileSync(`${dir}/probe.env`, `PROBE_VICTIM=${victim}\n` +
    'PROBE_TASK=sec-sleep\nPROBE_WORKER=w1\n');
  const gw = JSON.parse(ctl('--json', 'status')).processes
    .find((p) => p.name === 'gateway').pid;
  const zygote = execFileSync('pgrep', ['-P', String(gw), '-x',
    'session-zygote'], { encoding: 'utf8' }).trim();
  process.kill(Number(zygote), 'SIGKILL');
  // The hand-off to the pool's session; the refill is the probe.
  const b = await wsClient(port);
  await b.established;
  const report = await logLine(log, 'probe-report ', 40000);
  out.report = report ? JSON.parse(report) : null;

  // The victim is served, its task ends as the worker ran it.
  out.victimPing = kind(await a.ask('coordinator:main', 'Ping', {}));
  const after = await a.ask('coordinator:main', 'GetStatus', {});
  out.victimStatus = kind(after);
  const ended = (m) => m.type === 'StatusUpdated' &&
    m.payload.recent?.find((t) => t.taskId === 'sec-sleep' &&
    ['completed', 'failed', 'cancelled'].includes(t.status));
  const fin = await a.push(ended, 15000);
  const t = fin ? ended(fin) : null;
  out.sleepFinished = t ? { status: t.status, result: t.result } : null;
  const final = await a.ask('coordinator:main', 'GetStatus', {});
  out.workers = final?.payload?.workers?.map?.((w) => w.workerId ?? w.id)
    ?? null;
  out.recent = final?.payload?.recent?.map((t) => t.taskId) ?? null;
  const w1 = await a.ask('worker:w1', 'GetState', {});
  out.w1 = w1 ? { type: w1.type, lastTask: w1.payload.lastTask,
    currentTask: w1.payload.currentTask } : null;
  out.forgedWorker = kind(await a.ask('worker:forged-w', 'GetState', {}));
  out.otherPing = kind(await b.ask('coordinator:main', 'Ping', {}));
  a.ws.close(1000);
  b.ws.close(1000);
  return out;
}

const run = { types: () => types(Number(args[0])),
  forge: () => forge(Number(args[0]), args[1], args[2], args[3], args[4]),
  hold: () => hold(Number(args[0]), Number(args[1])),
  reconnect: () => reconnect(Number(args[0]), args[1], args[2]),
  system: () => system(args[0]),
  upgrade: () => upgrade(Number(args[0]), args[1], args.slice(2)) }[what];
if (!run) {
  console.error(`unknown probe ${what}`);
  process.exit(100);
}
setTimeout(() => {
  console.log(JSON.stringify({ error: 'timed out (60 s)' }));
  process.exit(1);
}, 60000).unref();
run().then((r) => {
  console.log(JSON.stringify(r));
  process.exit(0);
}, (e) => {
  console.log(JSON.stringify({ error: e.stack || String(e) }));
  process.exit(1);
});
