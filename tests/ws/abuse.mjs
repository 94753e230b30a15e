// Abusive clients for tests/it_abuse.sh, one scenario per run:
//
//   node abuse.mjs SCENARIO PORT [ARGS...]
//
// Each prints one JSON line with what it saw; the shell script decides.
// Every loop is bounded in count and in time, and every socket this
// process opens is closed (or the process exits) when it is done.
//
//   probe PORT OUT STOP     Ping coordinator:main every 50 ms on one
//                           session until the file STOP exists (at most
//                           10 min); one JSON line per round trip to OUT
//   slowloris PORT N MS     N connections each send a request head one
//                           byte every MS ms: when and how each ended
//   noread-pushes PORT LOG  subscribe to the event log, stop reading,
//                           have another client log big events until the
//                           session gives up (its warning in LOG), then
//                           read: the close code, the session's peak RSS
//   noread-requests PORT    send 2,000 Pings without reading: the session
//                           stops reading us; its RSS, then every answer
//   flood PORT N            N Pings back to back on one session
//   oversize PORT           frames and messages over max_message_bytes
//   utf8 PORT               invalid UTF-8 in text frames
//   json PORT               deep nesting, huge numbers and strings
//   maxsessions PORT N C    fill max_sessions, then N upgrade attempts,
//                           C at a time: their statuses and Retry-After
//
// ACTORCTL and ACTORD_CONF (env) let a scenario find its session's pid.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import WebSocket from 'ws';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const [scenario, portArg, ...args] = process.argv.slice(2);
const port = Number(portArg);
const MAX_MESSAGE = 65536;

// --- a raw WebSocket client: anything a network can send ----------------

function handshake(path = '/ws', extra = '') {
  const key = randomBytes(16).toString('base64');
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
    `${extra}\r\n`;
}

// A client frame: masked, FIN unless told, any opcode and length field.
function frame(opcode, payload, { fin = true, declared } = {}) {
  const data = Buffer.from(payload);
  const len = declared ?? BigInt(data.length);
  let head;
  if (len < 126n) {
    head = Buffer.from([(fin ? 0x80 : 0) | opcode, 0x80 | Number(len)]);
  } else if (len < 65536n) {
    head = Buffer.alloc(4);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(Number(len), 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = (fin ? 0x80 : 0) | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(len, 2);
  }
  const mask = randomBytes(4);
  const body = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++)
    body[i] = data[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

const text = (s, opts) => frame(0x1, Buffer.from(s), opts);

// Server frames out of a byte stream (never masked).
class Frames {
  constructor() { this.buf = Buffer.alloc(0); }
  push(b) { this.buf = Buffer.concat([this.buf, b]); }
  next() {
    const b = this.buf;
    if (b.length < 2)
      return null;
    let len = b[1] & 0x7f, off = 2;
    if (len === 126) {
      if (b.length < 4)
        return null;
      len = b.readUInt16BE(2);
      off = 4;
    } else if (len === 127) {
      if (b.length < 10)
        return null;
      len = Number(b.readBigUInt64BE(2));
      off = 10;
    }
    if (b.length < off + len)
      return null;
    const f = { fin: !!(b[0] & 0x80), opcode: b[0] & 0x0f,
      payload: b.subarray(off, off + len) };
    this.buf = b.subarray(off + len);
    return f;
  }
}

// Connect and upgrade; resolves with the socket (paused: the caller
// decides when to read) and the bytes after the 101 response.
function rawConnect(path = '/ws', extra = '') {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let head = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no 101 within 5 s'));
    }, 5000);
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('connect', () => sock.write(handshake(path, extra)));
    const onData = (d) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0)
        return;
      clearTimeout(timer);
      sock.off('data', onData);
      sock.pause();
      const status = head.subarray(0, end).toString().split(' ')[1];
      if (status !== '101') {
        sock.destroy();
        reject(new Error(`status ${status}`));
        return;
      }
      resolve({ sock, rest: head.subarray(end + 4) });
    };
    sock.on('data', onData);
  });
}

// Read frames until a close frame or the end; bounded by ms.
function readUntilClose(sock, frames, ms = 5000) {
  return new Promise((resolve) => {
    const seen = { messages: 0, bytes: 0, code: null, end: null };
    const timer = setTimeout(() => finish('timeout'), ms);
    function finish(how) {
      clearTimeout(timer);
      seen.end = seen.end ?? how;
      sock.destroy();
      resolve(seen);
    }
    function drain() {
      let f;
      while ((f = frames.next()) !== null) {
        if (f.opcode === 0x8) {
          seen.code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) :
            1005;
          seen.end = 'close';
          finish('close');
          return;
        }
        if (f.opcode === 0x1 || f.opcode === 0x2) {
          seen.messages++;
          seen.bytes += f.payload.length;
        }
      }
    }
    sock.on('data', (d) => { frames.push(d); drain(); });
    sock.on('end', () => finish('eof'));
    sock.on('close', () => finish('closed'));
    sock.on('error', () => finish('error'));
    drain();
    sock.resume();
  });
}

// A raw session: connected, SessionEstablished read.
async function rawSession() {
  const { sock, rest } = await rawConnect();
  const frames = new Frames();
  frames.push(rest);
  const deadline = Date.now() + 5000;
  for (;;) {
    const f = frames.next();
    if (f) {
      const m = JSON.parse(f.payload.toString());
      if (m.type !== 'SessionEstablished')
        throw new Error(`first message ${m.type}`);
      return { sock, frames, id: m.payload.sessionId };
    }
    if (Date.now() > deadline)
      throw new Error('no SessionEstablished');
    const d = sock.read();
    if (d)
      frames.push(d);
    else
      await sleep(5);
  }
}

// --- a JSON client on the ws package ----------------------------------

let nextId = 0;
function env(to, type, payload, id = `m${++nextId}`) {
  return { to, from: 'client:abuse', type, id, timestamp: Date.now(),
    payload };
}

async function jsonClient(path = '/ws') {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`,
    { maxPayload: 64 << 20 });
  const waiting = new Map();
  const c = { ws, closed: null, pushes: 0 };
  ws.on('message', (d) => {
    const m = JSON.parse(d);
    const w = m.replyTo && waiting.get(m.replyTo);
    if (w) {
      waiting.delete(m.replyTo);
      w(m);
    } else if (m.type === 'SessionEstablished') {
      c.sessionId = m.payload.sessionId;
      c.ready?.();
    } else if (m.type === 'Error' && !m.replyTo && c.unaddressed) {
      // An Error the session could not tie to an id.
      const w = c.unaddressed;
      c.unaddressed = null;
      w(m);
    } else {
      c.pushes++;
    }
  });
  ws.on('close', (code) => {
    c.closed = code;
    for (const w of waiting.values())
      w(null);
    waiting.clear();
  });
  ws.on('error', () => {});
  await new Promise((resolve, reject) => {
    c.ready = resolve;
    ws.once('close', () => reject(new Error('closed before established')));
    setTimeout(() => reject(new Error('no session within 5 s')), 5000);
  });
  // Send one message; the answer (null if closed or after ms).
  c.ask = (msg, ms = 5000) => new Promise((resolve) => {
    const t = setTimeout(() => { waiting.delete(msg.id); resolve(null); },
      ms);
    waiting.set(msg.id, (m) => { clearTimeout(t); resolve(m); });
    if (typeof msg === 'string')
      throw new Error('ask takes an object');
    ws.send(JSON.stringify(msg));
  });
  // A raw text (what JSON.stringify cannot make) with id: its answer,
  // or an Error without replyTo when the session could not read the id.
  c.askRaw = (textMsg, id, ms = 5000) => new Promise((resolve) => {
    const done = (m) => {
      clearTimeout(t);
      waiting.delete(id);
      c.unaddressed = null;
      resolve(m);
    };
    const t = setTimeout(() => done(null), ms);
    waiting.set(id, done);
    c.unaddressed = done;
    ws.send(textMsg);
  });
  return c;
}

// The pid of the session with this id, through actorctl (the gateway
// reports a new session within ~100 ms: asked again for up to 3 s).
async function sessionPid(id) {
  for (let i = 0; i < 60; i++) {
    const out = execFileSync(process.env.ACTORCTL, ['-c',
      process.env.ACTORD_CONF, '--json', 'sessions']).toString();
    const s = JSON.parse(out).sessions.find((x) => x.id === id);
    if (s)
      return s.pid;
    await sleep(50);
  }
  throw new Error(`session ${id} not listed by actorctl sessions`);
}

function rssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8')
      .match(/VmRSS:\s+(\d+)/);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

// --- scenarios --------------------------------------------------------

const scenarios = {};

scenarios.probe = async (out, stop) => {
  const c = await jsonClient();
  const end = Date.now() + 600000;
  let n = 0;
  while (!existsSync(stop) && Date.now() < end) {
    const t0 = process.hrtime.bigint();
    const r = await c.ask(env('coordinator:main', 'Ping', { n }), 10000);
    const rtt = Number(process.hrtime.bigint() - t0) / 1e6;
    appendFileSync(out, JSON.stringify({ t: Date.now(), n,
      rtt: r && r.type === 'Pong' ? rtt : null,
      got: r ? r.type : (c.closed ? `closed ${c.closed}` : 'timeout') })
      + '\n');
    if (c.closed)
      return { ok: false, closed: c.closed, pings: n };
    n++;
    await sleep(50);
  }
  c.ws.close(1000);
  return { ok: true, pings: n };
};

scenarios.slowloris = async (nArg, msArg) => {
  const n = Number(nArg), ms = Number(msArg);
  const head = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' +
    'y'.repeat(64) + '\r\n\r\n';
  const one = () => new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const start = Date.now();
    let got = '', sent = 0, timer;
    const done = (how) => {
      clearInterval(timer);
      sock.destroy();
      resolve({ how, ms: Date.now() - start, sent,
        status: got.startsWith('HTTP/1.1 ') ? got.slice(9, 12) : null });
    };
    sock.on('connect', () => {
      timer = setInterval(() => {
        if (sent < head.length && sock.writable)
          sock.write(head[sent++]);
      }, ms);
    });
    sock.on('data', (d) => { got += d; });
    sock.on('end', () => done('eof'));
    sock.on('error', () => done('error'));
    sock.on('close', () => done('closed'));
    // Bounded: the whole head at this pace would take ~60 s.
    setTimeout(() => done('still open'), 30000);
  });
  const all = await Promise.all(Array.from({ length: n }, one));
  const statuses = {};
  for (const r of all)
    statuses[r.status] = (statuses[r.status] || 0) + 1;
  const times = all.map((r) => r.ms).sort((a, b) => a - b);
  return { n, statuses, minMs: times[0], maxMs: times[times.length - 1],
    maxBytesSent: Math.max(...all.map((r) => r.sent)),
    stillOpen: all.filter((r) => r.how === 'still open').length };
};

scenarios['noread-pushes'] = async (log) => {
  const slow = await rawSession();
  const pid = await sessionPid(slow.id);
  const base = rssKiB(pid);
  slow.sock.write(text(JSON.stringify(env('eventlog:main', 'Subscribe', {}))));
  // Read the Subscribed answer and the pushes so far, then stop reading.
  await sleep(300);
  let d;
  while ((d = slow.sock.read()) !== null)
    slow.frames.push(d);
  const logBefore = existsSync(log) ? readFileSync(log).length : 0;
  const gaveUp = () => readFileSync(log).subarray(logBefore).toString()
    .includes('send_queue_bytes');

  const driver = await jsonClient();
  const big = 'x'.repeat(32 * 1024);
  let peak = base, events = 0;
  const end = Date.now() + 30000;
  while (!gaveUp() && Date.now() < end && events < 2000) {
    // Within the rate limit: 20 at a time, each acknowledged by a Ping.
    for (let i = 0; i < 20; i++, events++)
      driver.ws.send(JSON.stringify(env('eventlog:main', 'LogEvent',
        { level: 'info', source: 'abuse', message: `big ${events}`,
          data: { big } })));
    await driver.ask(env('session', 'Ping', {}));
    const r = rssKiB(pid);
    if (r !== null && r > peak)
      peak = r;
    await sleep(100);
  }
  const seenWarning = gaveUp();
  const closed = await readUntilClose(slow.sock, slow.frames, 10000);
  const driverAlive = (await driver.ask(env('session', 'Ping', {})))?.type;
  driver.ws.close(1000);
  // The session lingers a little after its close frame (bounded: 1 s).
  for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++)
    await sleep(30);
  return { baseKiB: base, peakKiB: peak, events, seenWarning,
    code: closed.code, end: closed.end, driverAlive,
    sessionGone: !existsSync(`/proc/${pid}`) };
};

scenarios['noread-requests'] = async () => {
  const s = await rawSession();
  const pid = await sessionPid(s.id);
  const base = rssKiB(pid);
  const payload = 'p'.repeat(16 * 1024);
  const n = 2000;
  for (let i = 0; i < n; i++)
    s.sock.write(text(JSON.stringify(env('session', 'Ping', payload,
      `r${i}`))));
  // The session reads until its output is over its mark, then waits.
  let peak = base;
  for (let i = 0; i < 30; i++) {
    await sleep(100);
    const r = rssKiB(pid);
    if (r !== null && r > peak)
      peak = r;
  }
  const alive = existsSync(`/proc/${pid}`);
  // Now read everything: every request gets an answer.
  const answers = { Pong: 0, Error: {}, other: 0 };
  const got = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), 30000);
    let count = 0;
    const drain = () => {
      let f;
      while ((f = s.frames.next()) !== null) {
        if (f.opcode === 0x8) {
          clearTimeout(timer);
          resolve(`closed ${f.payload.readUInt16BE(0)}`);
          return;
        }
        const m = JSON.parse(f.payload.toString());
        if (m.type === 'Pong')
          answers.Pong++;
        else if (m.type === 'Error')
          answers.Error[m.payload.code] =
            (answers.Error[m.payload.code] || 0) + 1;
        else
          answers.other++;
        if (++count === n) {
          clearTimeout(timer);
          resolve('all');
          return;
        }
      }
    };
    s.sock.on('data', (d) => { s.frames.push(d); drain(); });
    s.sock.on('close', () => resolve('closed'));
    drain();
    s.sock.resume();
  });
  s.sock.destroy();
  return { baseKiB: base, peakKiB: peak, aliveWhileStalled: alive, got,
    answers };
};

scenarios.flood = async (nArg) => {
  const n = Number(nArg);
  const c = await jsonClient();
  const t0 = Date.now();
  const answers = await Promise.all(Array.from({ length: n }, (_, i) =>
    c.ask(env('session', 'Ping', { i }, `f${i}`), 20000)));
  const ms = Date.now() - t0;
  const count = { Pong: 0, rate_limited: 0, other: 0, none: 0 };
  for (const a of answers) {
    if (a === null)
      count.none++;
    else if (a.type === 'Pong')
      count.Pong++;
    else if (a.type === 'Error' && a.payload.code === 'rate_limited')
      count.rate_limited++;
    else
      count.other++;
  }
  // The bucket refills: the same session answers again.
  let after = null;
  for (let i = 0; i < 40 && after !== 'Pong'; i++) {
    await sleep(100);
    after = (await c.ask(env('session', 'Ping', {})))?.type;
  }
  c.ws.close(1000);
  return { n, ms, ...count, after, closed: c.closed };
};

// Each case on a fresh connection: the close code the session sends.
async function closeCode(send) {
  const s = await rawSession();
  send(s.sock);
  const r = await readUntilClose(s.sock, s.frames, 5000);
  return r.code ?? r.end;
}

scenarios.oversize = async () => {
  const big = Buffer.alloc(MAX_MESSAGE + 1, 0x61);
  const half = Buffer.alloc(MAX_MESSAGE / 2 + 1, 0x61);
  return {
    text: await closeCode((s) => s.write(frame(0x1, big))),
    binary: await closeCode((s) => s.write(frame(0x2, big))),
    fragmented: await closeCode((s) => {
      s.write(frame(0x1, half, { fin: false }));
      s.write(frame(0x0, half, { fin: false }));
      s.write(frame(0x0, half));
    }),
    // A 2^62-byte frame is refused at its first bytes, not read.
    declared: await closeCode((s) => s.write(frame(0x1, Buffer.alloc(16),
      { declared: 1n << 62n }))),
    // The most significant bit of a 64-bit length must be 0.
    msb: await closeCode((s) => s.write(frame(0x1, Buffer.alloc(16),
      { declared: 1n << 63n }))),
    // A control frame over 125 bytes is a protocol error.
    bigPing: await closeCode((s) => s.write(frame(0x9,
      Buffer.alloc(126)))),
  };
};

scenarios.utf8 = async () => ({
  badByte: await closeCode((s) => s.write(frame(0x1,
    Buffer.from([0x7b, 0xff, 0x7d])))),
  overlong: await closeCode((s) => s.write(frame(0x1,
    Buffer.from([0xc0, 0xaf])))),
  surrogate: await closeCode((s) => s.write(frame(0x1,
    Buffer.from([0xed, 0xa0, 0x80])))),
  truncated: await closeCode((s) => s.write(frame(0x1,
    Buffer.from([0x61, 0xe2, 0x82])))),
  // A character cut across fragments is fine; a bad one across is not.
  splitGood: await (async () => {
    const c = await rawSession();
    const msg = Buffer.from(JSON.stringify(env('session', 'Ping', 'é€𝄞',
      'split')));
    const cut = msg.indexOf(0xe2) + 1;
    c.sock.write(frame(0x1, msg.subarray(0, cut), { fin: false }));
    c.sock.write(frame(0x0, msg.subarray(cut)));
    c.sock.write(frame(0x8, Buffer.from([0x03, 0xe8])));
    const r = await readUntilClose(c.sock, c.frames, 5000);
    return r.messages === 1 ? 'answered' : `messages ${r.messages}`;
  })(),
  splitBad: await closeCode((s) => {
    s.write(frame(0x1, Buffer.from([0x61, 0xe2]), { fin: false }));
    s.write(frame(0x0, Buffer.from([0x28, 0xa1])));
  }),
});

scenarios.json = async () => {
  const c = await jsonClient();
  const out = {};
  // The answer: its type, or the Error's code, and /noreply when the
  // Error could not name the request.
  const code = (r) => r === null ? 'no answer' : (r.type === 'Error' ?
    r.payload.code : r.type) + (r.replyTo ? '' : '/noreply');
  const raw = async (payload, id) => code(await c.askRaw(
    '{"to":"coordinator:main","from":"client:abuse","type":"Ping",' +
    `"id":"${id}","payload":${payload}}`, id));
  out.arrays10k = await raw('['.repeat(10000) + ']'.repeat(10000), 'a');
  out.objects10k = await raw('{"a":'.repeat(10000) + '1' +
    '}'.repeat(10000), 'o');
  out.arrays25 = await raw('['.repeat(25) + ']'.repeat(25), 'a25');
  out.arrays20 = await raw('['.repeat(19) + ']'.repeat(19), 'a20');
  out.hugeExponent = await raw('{"n":1e400}', 'e400');
  const bigInt = await c.askRaw('{"to":"coordinator:main","from":' +
    '"client:abuse","type":"Ping","id":"big","payload":' +
    '{"n":123456789012345678901234567890123456789}}', 'big');
  out.hugeInteger = code(bigInt);
  out.hugeIntegerValue = bigInt?.payload?.n;
  const s60k = 's'.repeat(60000);
  const echoed = await c.ask(env('coordinator:main', 'Ping', { s: s60k }));
  out.string60k = echoed?.payload?.s === s60k ? 'echoed' : code(echoed);
  out.longId = code(await c.askRaw(JSON.stringify(env('session', 'Ping',
    {}, 'i'.repeat(200))), 'i'.repeat(200)));
  out.longWorkerId = code(await c.ask(env('coordinator:main',
    'RegisterWorker', { workerId: 'w'.repeat(1000) })));
  out.longTaskId = code(await c.ask(env('coordinator:main', 'AssignTask',
    { taskId: 't'.repeat(10000), kind: 'echo' })));
  out.bigInput = code(await c.ask(env('coordinator:main', 'AssignTask',
    { kind: 'echo', input: { value: 'v'.repeat(50000) } })));
  out.alive = code(await c.ask(env('session', 'Ping', {})));
  out.closed = c.closed;
  c.ws.close(1000);
  return out;
};

scenarios.maxsessions = async (nArg, concArg) => {
  const n = Number(nArg), conc = Number(concArg);
  // Fill the gateway: sessions until an upgrade is refused.
  const held = [];
  let refused = null;
  for (let i = 0; i < 10000 && refused === null; i++) {
    try {
      held.push(await jsonClient());
    } catch (e) {
      refused = e.message;
    }
  }
  // Then n attempts past the limit, conc at a time, on raw sockets.
  const statuses = {};
  let retryAfter = 0, next = 0;
  const t0 = Date.now();
  const attempt = () => new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    const t = setTimeout(() => sock.destroy(), 10000);
    sock.on('connect', () => sock.write(handshake()));
    sock.on('data', (d) => { got += d; });
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(t);
      const status = got.startsWith('HTTP/1.1 ') ? got.slice(9, 12) :
        'none';
      statuses[status] = (statuses[status] || 0) + 1;
      if (/\r\nRetry-After: \d+\r\n/i.test(got))
        retryAfter++;
      resolve();
    });
  });
  await Promise.all(Array.from({ length: conc }, async () => {
    while (next < n) {
      next++;
      await attempt();
    }
  }));
  const ms = Date.now() - t0;
  // The sessions we hold still work.
  const answers = await Promise.all(held.map((c) =>
    c.ask(env('session', 'Ping', {}))));
  const alive = answers.filter((a) => a?.type === 'Pong').length;
  for (const c of held)
    c.ws.close(1000);
  await sleep(200);
  return { held: held.length, refused, attempts: n, ms, statuses,
    retryAfter, alive };
};

const fn = scenarios[scenario];
if (!fn) {
  console.error(`unknown scenario ${scenario}`);
  process.exit(100);
}
// Every scenario ends by itself; this is the last resort.
const LAST_RESORT_MS = scenario === 'probe' ? 660000 : 120000;
setTimeout(() => {
  console.log(JSON.stringify({ error: `timed out (${LAST_RESORT_MS} ms)` }));
  process.exit(1);
}, LAST_RESORT_MS).unref();
fn(...args).then((r) => {
  console.log(JSON.stringify(r));
  process.exit(0);
}, (e) => {
  console.log(JSON.stringify({ error: e.stack || String(e) }));
  process.exit(1);
});
