// How a session reads its client's socket (session_ws.c: wslay's receive
// callback reads the socket itself, and a level-triggered read event is
// armed only while input is wanted).  Each test holds a real connection
// of the real tree in a state where a read event left armed with nothing
// to read it would spin, and measures the session's CPU time from
// /proc/PID/stat over a fixed interval; the others check that what the
// client sent before its end (or its close frame) is answered, and that
// the connection closes within a bound.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { startTree, RawWS, OP, frame, closePayload, sleep, until }
  from './lib.mjs';

let tree;
before(async () => {
  tree = await startTree(['session_pool = 2', '[session]',
    'rate_limit = 100000', 'rate_burst = 100000']);
});
after(async () => {
  const r = await tree.stop();
  assert.equal(r.code, 0, `actord exit ${JSON.stringify(r)}`);
});

// CPU time (user + system) a process has used, in ms; null once it is gone.
function cpuMs(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), in clock ticks (100 per second here).
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return null;
  }
}

// CPU ms the process used over the next ms milliseconds (what it used
// until it exited, if it did).
async function cpuOver(pid, ms) {
  const a = cpuMs(pid);
  assert.notEqual(a, null, `process ${pid} is gone`);
  let b = a;
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await sleep(Math.min(50, end - Date.now()));
    const v = cpuMs(pid);
    if (v === null) break;
    b = v;
  }
  return b - a;
}

// A /ws session over raw TCP, SessionEstablished read, with its pid.
async function session() {
  const c = await RawWS.connect(tree.port, '/ws');
  const m = await c.message();
  const est = JSON.parse(m.payload.toString());
  assert.equal(est.type, 'SessionEstablished');
  const id = est.payload.sessionId;
  const pid = await until(() => {
    const j = JSON.parse(tree.ctl('--json', 'sessions'));
    const s = (Array.isArray(j) ? j : j.sessions).find((x) => x.id === id);
    return s?.pid;
  }, 5000, `session ${id} in actorctl sessions`);
  return { c, id, pid };
}

const ping = (i, payload) => frame({ opcode: OP.TEXT,
  payload: JSON.stringify({ to: 'session', from: 'client:rp', type: 'Ping',
    id: `r${i}`, timestamp: 0, payload }) });

// Send Pings with big payloads, 20 at a time, without reading the
// answers, until the session stops reading us: a batch that does not
// drain into the kernel within 500 ms.  Returns how many were sent.
async function stallWithPings(c) {
  const pad = 'p'.repeat(16 * 1024);
  c.sock.pause();
  for (let i = 0; i < 4000;) {
    for (let k = 0; k < 20; k++, i++)
      c.sock.write(ping(i, pad));
    const drained = await until(() => c.sock.writableLength === 0, 500)
      .then(() => true, () => false);
    if (!drained)
      return i;
  }
  throw new Error('the session never stopped reading');
}

async function gone(pid, ms) {
  const end = Date.now() + ms;
  while (existsSync(`/proc/${pid}`) && Date.now() < end)
    await sleep(20);
  return !existsSync(`/proc/${pid}`);
}

describe('no busy loop', () => {
  it('stalled by backpressure, the session sleeps', async () => {
    const { c, pid } = await session();
    await stallWithPings(c);
    const used = await cpuOver(pid, 1000);
    assert.ok(used < 200, `stalled session used ${used} ms of CPU in 1 s`);
    c.destroy();
    assert.ok(await gone(pid, 5000), 'the session did not exit');
  });

  it('closing while stalled (SIGTERM): no spin, 1001, gone within bounds',
    async () => {
      const { c, pid } = await session();
      await stallWithPings(c);
      // The session starts the closing handshake (1001) with our
      // requests still unread in its socket and its output full: it must
      // read on (for our close frame) or sleep, not spin.
      process.kill(pid, 'SIGTERM');
      const used = await cpuOver(pid, 800);
      assert.ok(used < 300,
        `closing session used ${used} ms of CPU in 0.8 s`);
      // Reading again, we get the answers, then its close frame.
      c.sock.resume();
      const f = await c.closeFrame(3000);
      assert.ok(f, 'no close frame');
      assert.equal(f.code, 1001);
      assert.ok(await c.tcpClosed(3000), 'the server did not close TCP');
      assert.ok(await gone(pid, 3000), 'the session did not exit');
      c.destroy();
    });
});

// Read frames until n Pongs answering r0..r(n-1) arrived; the ids seen.
async function pongs(c, n, ms = 20000) {
  const seen = new Set();
  const end = Date.now() + ms;
  while (seen.size < n) {
    const f = await c.read(Math.max(1, end - Date.now()));
    assert.ok(f, `the connection ended after ${seen.size} of ${n} answers`);
    assert.notEqual(f.opcode, OP.CLOSE,
      `closed with ${f.code} after ${seen.size} of ${n} answers`);
    const m = JSON.parse(f.payload.toString());
    assert.equal(m.type, 'Pong', JSON.stringify(m).slice(0, 200));
    seen.add(m.replyTo);
  }
  return seen;
}

describe('backpressure', () => {
  it('a client that reads again gets every answer, and more', async () => {
    const { c, pid } = await session();
    const n = await stallWithPings(c);
    c.sock.resume();
    const seen = await pongs(c, n);
    for (let i = 0; i < n; i++)
      assert.ok(seen.has(`r${i}`), `no answer to r${i}`);
    c.send(ping('after', 'x'));
    const m = JSON.parse((await c.message()).payload.toString());
    assert.equal(m.replyTo, 'rafter');
    c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(1000) });
    assert.equal((await c.closeFrame()).code, 1000);
    assert.ok(await c.tcpClosed(3000), 'the server did not close TCP');
    assert.ok(await gone(pid, 3000), 'the session did not exit');
    c.destroy();
  });
});

describe('the end of the input', () => {
  it('a close frame followed by more data: 1000, no spin while we hold ' +
    'the connection, gone within the linger', async () => {
    const { c, pid } = await session();
    c.send(Buffer.concat([
      frame({ opcode: OP.CLOSE, payload: closePayload(1000) }),
      ping('late1', 'x'), ping('late2', 'y'),
      frame({ opcode: OP.TEXT, payload: 'z'.repeat(70000) })]));
    const f = await c.closeFrame();
    assert.ok(f, 'no close frame');
    assert.equal(f.code, 1000);
    // Its write side is shut; it reads ours to the end, which we hold
    // open: it must wait, not spin.
    const used = await cpuOver(pid, 500);
    assert.ok(used < 100, `draining session used ${used} ms in 0.5 s`);
    assert.ok(await gone(pid, 3000), 'the session did not exit');
    assert.ok(await c.tcpClosed(1000), 'the server did not close TCP');
    c.destroy();
  });

  it('a message, then the end of our side: answered, then closed',
    async () => {
      const { c, pid } = await session();
      c.sock.end(ping('last', 'x'));
      const m = await c.message();
      assert.ok(m && m.opcode === OP.TEXT, 'no answer');
      assert.equal(JSON.parse(m.payload.toString()).replyTo, 'rlast');
      assert.ok(await c.tcpClosed(2000), 'the server did not close TCP');
      assert.ok(await gone(pid, 2000), 'the session did not exit');
      c.destroy();
    });

  it('the end in the middle of a frame: closed at once',
    async () => {
      const { c, pid } = await session();
      const f = ping('cut', 'x'.repeat(1000));
      c.send(f.subarray(0, 500));
      await sleep(50);
      c.sock.end();
      assert.ok(await c.tcpClosed(2000), 'the server did not close TCP');
      assert.ok(await gone(pid, 2000), 'the session did not exit');
      c.destroy();
    });

  it('the end while stalled: no spin; the answers once we read', async () => {
    const { c, pid } = await session();
    const n = await stallWithPings(c);
    c.sock.end();	// sent after what is queued: the session must read it
    const used = await cpuOver(pid, 500);
    assert.ok(used < 100, `stalled session used ${used} ms in 0.5 s`);
    c.sock.resume();
    const seen = await pongs(c, n);
    assert.equal(seen.size, n);
    assert.ok(await c.tcpClosed(3000), 'the server did not close TCP');
    assert.ok(await gone(pid, 3000), 'the session did not exit');
    c.destroy();
  });

  it('the head, a first message and the end in one go: the 101 and the ' +
    'answer arrive, then the close', async () => {
    // The gateway reads the message past the head ("early" bytes); the
    // session reads the end at once after it.
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    for (const [path, msg, want] of [
      ['/echo', frame({ opcode: OP.TEXT, payload: 'hello' }), 'hello'],
      ['/ws', ping('early', 'x'), '"replyTo":"rearly"']]) {
      const s = net.connect(tree.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      let got = Buffer.alloc(0);
      s.on('data', (d) => { got = Buffer.concat([got, d]); });
      s.on('error', () => {});
      const closed = new Promise((r) => s.on('close', r));
      s.end(Buffer.concat([Buffer.from(`GET ${path} HTTP/1.1\r\n` +
        'Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`),
        msg]));
      const ended = await Promise.race([closed.then(() => true),
        sleep(3000).then(() => false)]);
      s.destroy();
      assert.ok(ended, `${path}: the server did not close TCP`);
      const text = got.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 101 /, `${path}: no 101`);
      assert.ok(text.includes(want), `${path}: no answer in ${text}`);
    }
  });
});
