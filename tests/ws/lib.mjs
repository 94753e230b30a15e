// Helpers for the WebSocket suites: start a gateway on its own (as actord
// would: control channel on fd 3, listening socket on fd 4) or the whole
// tree, a raw-TCP WebSocket client that can send anything a network can,
// and a JSON client on the `ws` package.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync }
  from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, createHash } from 'node:crypto';
import WebSocket from 'ws';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = resolve(ROOT, process.env.BINDIR || 'bin');
export { WebSocket };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A sanitizer build (BINDIR=build/san/bin) reports on stderr: fail on it.
function checkSanitizers(log) {
  const m = /(AddressSanitizer|LeakSanitizer|runtime error:)[^\n]*/.exec(log);
  if (m) throw new Error(`sanitizer report: ${m[0]}\n${log.slice(-4000)}`);
}

// Wait until fn() is truthy (polling), or throw after ms.
export async function until(fn, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function writeConfig(dir, lines) {
  const conf = join(dir, 'actord.conf');
  // Later sections may repeat earlier ones: inih merges them.
  writeFileSync(conf, [
    '[actord]',
    `state_dir = ${dir}/state`,
    `run_dir = ${dir}/run`,
    `program_dir = ${BIN}`,
    `web_dir = ${ROOT}/web`,
    `log_level = ${process.env.LOG_LEVEL || 'info'}`,
    '[gateway]',
    'listen = 127.0.0.1:0',
    ...lines, ''].join('\n'));
  return conf;
}

export async function httpGet(port, path, headers = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

// Start bin/gateway alone, the way actord does.  lines: extra config lines.
export async function startGateway(lines = []) {
  const dir = mkdtempSync(join(tmpdir(), 'actord-ws-'));
  const conf = writeConfig(dir, lines);
  const server = net.createServer();
  await new Promise((r) => server.listen({ port: 0, host: '127.0.0.1',
    backlog: 4096 }, r));
  const port = server.address().port;
  const child = spawn(join(BIN, 'gateway'), [], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', server._handle.fd],
    env: { ...process.env, ACTORD_CONFIG: conf },
  });
  // The child has its copy of the listening socket; drop ours.
  server.close();
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const ctl = child.stdio[3];
  const ctlData = [];
  ctl.on('data', (d) => ctlData.push(d));
  ctl.on('error', () => {});
  const exited = new Promise((r) => child.on('exit', (code, sig) =>
    r({ code, sig })));
  await until(async () => {
    try {
      return (await httpGet(port, '/healthz')).status === 200;
    } catch { return false; }
  }, 5000, 'the gateway');
  return {
    port, child, dir, ctl, ctlData, exited,
    log: () => log,
    health: async () => JSON.parse((await httpGet(port, '/healthz')).body),
    async stop() {
      if (child.exitCode === null && child.signalCode === null)
        child.kill('SIGTERM');
      const r = await exited;
      rmSync(dir, { recursive: true, force: true });
      checkSanitizers(log);
      return r;
    },
  };
}

// Start the whole tree with actord; the port comes from actorctl.
// opts.dir: a tree's directory to start again (after a kill -9), kept
// until the last stop().
export async function startTree(lines = [], opts = {}) {
  const dir = opts.dir || mkdtempSync(join(tmpdir(), 'actord-it-'));
  const conf = writeConfig(dir, lines);
  const child = spawn(join(BIN, 'actord'), ['-c', conf], {
    stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => child.on('exit', (code, sig) =>
    r({ code, sig })));
  const ctl = (...args) => execFileSync(join(BIN, 'actorctl'),
    ['-c', conf, ...args], { encoding: 'utf8', stdio: 'pipe' });
  let st;
  try {
    // A socket left by a tree killed before is there at once: wait for
    // one that answers.
    await until(() => {
      if (child.exitCode !== null) return true;
      if (!existsSync(join(dir, 'run', 'actord.sock'))) return false;
      try { ctl('status'); return true; } catch { return false; }
    }, 10000, 'actord');
    ctl('-t', '10000', 'wait', opts.waitFor || 'gateway', 'up');
    st = JSON.parse(ctl('--json', 'status'));
  } catch (e) {
    // Leave nothing behind: the tree goes with its test.
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${e.message}\nactord's log:\n${log.slice(-3000)}`);
  }
  const port = Number(String(st.listen).split(':').pop());
  return {
    port, child, dir, conf, ctl, exited,
    log: () => log,
    status: () => JSON.parse(ctl('--json', 'status')),
    pidOf: (name) => JSON.parse(ctl('--json', 'status')).processes
      .find((p) => p.name === name).pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null)
        child.kill('SIGTERM');
      // At most 15 s, and no timer left behind to hold the process.
      let t;
      const r = await Promise.race([exited, new Promise((res) => {
        t = setTimeout(() => {
          child.kill('SIGKILL');
          res({ code: null, sig: 'SIGKILL' });
        }, 15000);
      })]);
      clearTimeout(t);
      rmSync(dir, { recursive: true, force: true });
      checkSanitizers(log);
      return r;
    },
  };
}

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9,
  PONG: 10 };

// One client frame: masked unless mask === false.
export function frame({ fin = true, rsv = 0, opcode, payload = Buffer.alloc(0),
  mask = true, len }) {
  const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  const n = len ?? p.length;
  let head;
  if (n < 126) {
    head = Buffer.from([0, n]);
  } else if (n < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  head[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  if (!mask)
    return Buffer.concat([head, p]);
  head[1] |= 0x80;
  const key = randomBytes(4);
  const body = Buffer.alloc(p.length);
  for (let i = 0; i < p.length; i++)
    body[i] = p[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

export function closePayload(code, reason = '') {
  const r = Buffer.isBuffer(reason) ? reason : Buffer.from(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

// A WebSocket client on a raw socket: sends any bytes, parses what the
// server sends, and notices when the TCP connection ends.
export class RawWS {
  static async connect(port, path = '/echo', extra = '') {
    const key = randomBytes(16).toString('base64');
    const sock = net.connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    await new Promise((r, j) => { sock.once('connect', r);
      sock.once('error', j); });
    const c = new RawWS(sock);
    sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      `${extra}\r\n`);
    const head = await c.readHead();
    const accept = createHash('sha1')
      .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
      .digest('base64');
    if (!head.startsWith('HTTP/1.1 101') ||
      !head.includes(`Sec-WebSocket-Accept: ${accept}`))
      throw new Error(`bad handshake: ${head}`);
    c.head = head;
    return c;
  }

  constructor(sock) {
    this.sock = sock;
    this.chunks = [];         /* what arrived, not yet parsed */
    this.len = 0;
    this.ended = false;
    this.waiters = [];
    sock.on('data', (d) => { this.chunks.push(d); this.len += d.length;
      this.wake(); });
    sock.on('end', () => { this.ended = true; this.wake(); });
    sock.on('close', () => { this.ended = true; this.wake(); });
    sock.on('error', () => { this.ended = true; this.wake(); });
  }

  // The first k bytes (or all there are) as one buffer.
  pull(k) {
    while (this.chunks.length > 1 && this.chunks[0].length < k)
      this.chunks.splice(0, 2, Buffer.concat([this.chunks[0],
        this.chunks[1]]));
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  take(k) {
    const b = this.pull(k).subarray(0, k);
    const rest = this.chunks[0].subarray(k);
    if (rest.length) this.chunks[0] = rest; else this.chunks.shift();
    this.len -= k;
    return b;
  }

  wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }

  async wait(ms) {
    await new Promise((r) => {
      const t = setTimeout(r, ms);
      this.waiters.push(() => { clearTimeout(t); r(); });
    });
  }

  async readHead(ms = 3000) {
    const end = Date.now() + ms;
    for (;;) {
      const b = this.pull(this.len);
      const i = b.indexOf('\r\n\r\n');
      if (i >= 0)
        return this.take(i + 4).toString();
      if (this.ended || Date.now() > end)
        throw new Error(`no response head: ${b.toString()}`);
      await this.wait(end - Date.now());
    }
  }

  send(b) { this.sock.write(b); }
  sendFrame(f) { this.sock.write(frame(f)); }

  // The next whole frame, or null if the connection ended first.
  async read(ms = 3000) {
    const end = Date.now() + ms;
    for (;;) {
      const f = this.parse();
      if (f) return f;
      if (this.ended) return null;
      if (Date.now() > end) throw new Error('timed out waiting for a frame');
      await this.wait(end - Date.now());
    }
  }

  parse() {
    if (this.len < 2) return null;
    let b = this.pull(Math.min(this.len, 10));
    let n = b[1] & 0x7f, off = 2;
    if (b[1] & 0x80) throw new Error('masked frame from the server');
    if (n === 126) {
      if (this.len < 4) return null;
      n = b.readUInt16BE(2); off = 4;
    } else if (n === 127) {
      if (this.len < 10) return null;
      n = Number(b.readBigUInt64BE(2)); off = 10;
    }
    if (this.len < off + n) return null;
    b = this.take(off + n);
    const f = { fin: !!(b[0] & 0x80), rsv: (b[0] >> 4) & 7,
      opcode: b[0] & 0xf, payload: b.subarray(off) };
    if (f.opcode === OP.CLOSE) {
      f.code = n >= 2 ? f.payload.readUInt16BE(0) : null;
      f.reason = n > 2 ? f.payload.subarray(2).toString() : '';
    }
    return f;
  }

  // A whole message: data frames joined (control frames are returned
  // on their own).
  async message(ms = 5000) {
    const parts = [];
    let opcode = null;
    for (;;) {
      const f = await this.read(ms);
      if (f === null) return null;
      if (f.opcode >= 8) return f;
      if (opcode === null) opcode = f.opcode;
      parts.push(f.payload);
      if (f.fin) return { opcode, payload: Buffer.concat(parts) };
    }
  }

  // Read until a close frame; return it (null: TCP ended without one).
  async closeFrame(ms = 3000) {
    for (;;) {
      const f = await this.read(ms);
      if (f === null || f.opcode === OP.CLOSE) return f;
    }
  }

  // True once the server has closed TCP (within ms).
  async tcpClosed(ms = 3000) {
    const end = Date.now() + ms;
    while (!this.ended && Date.now() < end)
      await this.wait(end - Date.now());
    return this.ended;
  }

  destroy() { this.sock.destroy(); }
}

// A JSON client on the `ws` package: every message is kept in order and
// next() takes the first that matches.
export async function jsonClient(port, path = '/ws', opts = {}) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, opts);
  const inbox = [];
  let waiter = null;
  ws.on('message', (d, binary) => {
    inbox.push(binary ? { binary: d } : JSON.parse(d.toString()));
    if (waiter) waiter();
  });
  const closed = new Promise((r) => ws.on('close', (code, reason) =>
    r({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  let n = 0;
  return {
    ws, inbox, closed,
    send(o) {
      const msg = { from: 'client:test', timestamp: Date.now(),
        payload: {}, id: `t${++n}`, ...o };
      ws.send(typeof o === 'string' ? o : JSON.stringify(msg));
      return msg.id;
    },
    raw(s) { ws.send(s); },
    async next(pred = () => true, ms = 5000, what = 'a message') {
      const end = Date.now() + ms;
      for (;;) {
        const i = inbox.findIndex(pred);
        if (i >= 0) return inbox.splice(i, 1)[0];
        if (Date.now() > end)
          throw new Error(`timed out waiting for ${what}; inbox: ` +
            JSON.stringify(inbox).slice(0, 500));
        await new Promise((r) => {
          const t = setTimeout(r, Math.max(1, end - Date.now()));
          waiter = () => { clearTimeout(t); waiter = null; r(); };
        });
      }
    },
    reply(id, ms) {
      return this.next((m) => m.replyTo === id, ms, `the reply to ${id}`);
    },
    close() { ws.close(1000); return closed; },
  };
}

// A client on /ws (or path) once its session is established.
export async function sessionClient(port, path = '/ws') {
  const c = await jsonClient(port, path);
  await c.next((m) => m.type === 'SessionEstablished');
  return c;
}

// The p-quantile (0 to 1) of values, the nearest rank below.
export function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))];
}

export { readFileSync };
