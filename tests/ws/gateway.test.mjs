// The gateway on its own, started as actord starts it: HTTP (files,
// /healthz, errors), the request-head bounds, the upgrade checks (Origin,
// token, version, key), max_sessions, the session list it reports on its
// control channel, and shutdown with 1001.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { startGateway, httpGet, RawWS, OP, jsonClient, sleep, until, ROOT,
  WebSocket } from './lib.mjs';

// Send raw bytes, return everything the server says until it closes (or
// ms pass).
async function rawHttp(port, bytes, ms = 2000) {
  const s = net.connect(port, '127.0.0.1');
  let out = '';
  let closed = false;
  s.on('data', (d) => { out += d; });
  const done = new Promise((r) => s.on('close', () => { closed = true; r(); }));
  s.on('error', () => {});
  await new Promise((r) => s.once('connect', r));
  if (bytes) s.write(bytes);
  await Promise.race([done, sleep(ms)]);
  s.destroy();
  return { out, closed };
}

const upgradeHead = (path, extra = '') => `GET ${path} HTTP/1.1\r\n` +
  'Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  `Sec-WebSocket-Version: 13\r\n${extra}\r\n`;

describe('HTTP', () => {
  let gw;
  before(async () => { gw = await startGateway(['header_timeout_ms = 300',
    'max_header_bytes = 2048']); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  it('serves the dashboard at / and /dashboard-actors.html', async () => {
    const index = readFileSync(`${ROOT}/web/index.html`, 'utf8');
    for (const p of ['/', '/dashboard-actors.html', '/index.html']) {
      const r = await httpGet(gw.port, p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(r.body, index);
      assert.ok(r.headers.get('etag'));
      assert.equal(r.headers.get('cache-control'), 'no-cache');
    }
  });
  it('gives JavaScript and CSS their content types', async () => {
    const js = await httpGet(gw.port, '/js/runtime.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers.get('content-type'),
      'text/javascript; charset=utf-8');
    const css = (await httpGet(gw.port, '/css/' +
      (await import('node:fs')).readdirSync(`${ROOT}/web/css`)[0]));
    assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  });
  it('answers If-None-Match with 304', async () => {
    const r = await httpGet(gw.port, '/');
    const again = await httpGet(gw.port, '/', {
      'If-None-Match': r.headers.get('etag') });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
  });
  it('answers HEAD with the headers and no body', async () => {
    const { out } = await rawHttp(gw.port,
      'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 200 OK\r\n/);
    const len = Number(/Content-Length: (\d+)/.exec(out)[1]);
    assert.ok(len > 0);
    assert.ok(out.endsWith('\r\n\r\n'), 'HEAD response has a body');
  });
  it('404 for missing files, hidden files and escapes', async () => {
    for (const p of ['/nope.js', '/.git/config', '/js/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd', '/js/%2e%2e%2f..%2fMakefile',
      '/js//runtime.js', '/..%5c..%5cetc/passwd', '/js/', '/css']) {
      const { out } = await rawHttp(gw.port,
        `GET ${p} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 404 /, `${p}: ${out.slice(0, 40)}`);
    }
  });
  it('405 for other methods, with Allow', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const { out, closed } = await rawHttp(gw.port,
        `${m} / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 405 /, m);
      assert.match(out, /\r\nAllow: GET, HEAD\r\n/);
      assert.ok(closed);
    }
  });
  it('400 "Expected WebSocket" for /ws and /echo without an upgrade',
    async () => {
      for (const p of ['/ws', '/echo']) {
        const r = await httpGet(gw.port, p);
        assert.equal(r.status, 400);
        assert.match(r.body, /Expected WebSocket/);
      }
    });
  it('400 for garbage, a missing Host and a GET with a body', async () => {
    for (const req of ['HELLO\r\n\r\n', 'GET / HTTP/1.1\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
      'GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET http//x HTTP/1.1\r\nHost: x\r\n\r\n']) {
      const { out, closed } = await rawHttp(gw.port, req);
      assert.match(out, /^HTTP\/1\.1 400 /, JSON.stringify(req));
      assert.ok(closed, 'connection left open after a 400');
    }
  });
  it('/healthz is 200 JSON', async () => {
    const r = await httpGet(gw.port, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    const j = JSON.parse(r.body);
    // A gateway alone hears no tree from actord: protocol.test.mjs has
    // the tree's part.
    assert.equal(j.status, 'starting');
    assert.equal(j.tree, null);
    assert.equal(typeof j.sessions, 'number');
    assert.equal(typeof j.version, 'string');
  });
  it('keeps a connection alive across requests, pipelined too', async () => {
    const req = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    const { out } = await rawHttp(gw.port, req + req +
      'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(out.match(/HTTP\/1\.1 200 OK/g).length, 2);
    assert.match(out, /HTTP\/1\.1 404 /);
  });
  it('drops a silent client after header_timeout_ms with 408', async () => {
    const t0 = Date.now();
    const { out, closed } = await rawHttp(gw.port, '', 3000);
    assert.ok(closed, 'silent connection still open');
    assert.match(out, /^HTTP\/1\.1 408 /);
    assert.ok(Date.now() - t0 < 2000);
  });
  it('drops a slowloris client (head trickling in)', async () => {
    const s = net.connect(gw.port, '127.0.0.1');
    let closed = false, out = '';
    s.on('close', () => { closed = true; });
    s.on('data', (d) => { out += d; });
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    s.write('GET / HTTP/1.1\r\nHost: x\r\n');
    for (let i = 0; i < 20 && !closed; i++) {
      s.write(`X-Slow-${i}: y\r\n`);
      await sleep(50);
    }
    await until(() => closed, 2000, 'the connection to close');
    assert.match(out, /^HTTP\/1\.1 408 /);
  });
  it('431 for a head over max_header_bytes', async () => {
    const { out, closed } = await rawHttp(gw.port, 'GET / HTTP/1.1\r\n' +
      'Host: x\r\nX-Big: ' + 'a'.repeat(4000) + '\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 431 /);
    assert.ok(closed);
  });
  it('414 for a request target over 2 KiB', async () => {
    const { out } = await rawHttp(gw.port, `GET /${'a'.repeat(2100)} ` +
      'HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 (414|431) /);
  });
});

describe('WebSocket upgrades', () => {
  let gw;
  before(async () => { gw = await startGateway(['allowed_origins = ' +
    'http://good.example https://also.example', 'access_token = s3cret',
    'max_sessions = 3', 'session_pool = 2']); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  it('101 with the token in the query or as a Bearer header', async () => {
    let c = await RawWS.connect(gw.port, '/echo?token=s3cret');
    c.sendFrame({ opcode: OP.TEXT, payload: 'hi' });
    assert.equal((await c.message()).payload.toString(), 'hi');
    c.destroy();
    c = await RawWS.connect(gw.port, '/echo',
      'Authorization: Bearer s3cret\r\nOrigin: http://good.example\r\n');
    c.destroy();
  });
  it('401 without the token or with a wrong one', async () => {
    for (const p of ['/ws', '/ws?token=nope', '/ws?token=s3cretX',
      '/echo?x=1&token=s3cre']) {
      const { out } = await rawHttp(gw.port, upgradeHead(p));
      assert.match(out, /^HTTP\/1\.1 401 /, p);
      assert.match(out, /WWW-Authenticate: Bearer/);
    }
  });
  it('403 for an Origin not on the allow-list', async () => {
    const { out } = await rawHttp(gw.port, upgradeHead('/ws?token=s3cret',
      'Origin: http://evil.example\r\n'));
    assert.match(out, /^HTTP\/1\.1 403 /);
  });
  it('426 for a version other than 13', async () => {
    const { out } = await rawHttp(gw.port, upgradeHead('/ws?token=s3cret')
      .replace('Version: 13', 'Version: 8'));
    assert.match(out, /^HTTP\/1\.1 426 /);
    assert.match(out, /Sec-WebSocket-Version: 13/);
  });
  it('400 for a bad key, a missing Connection: Upgrade, HTTP/1.0',
    async () => {
      for (const req of [
        upgradeHead('/ws?token=s3cret').replace(/Key: .*\r\n/, 'Key: short\r\n'),
        upgradeHead('/ws?token=s3cret').replace(/Sec-WebSocket-Key: .*\r\n/, ''),
        upgradeHead('/ws?token=s3cret').replace('Connection: Upgrade',
          'Connection: keep-alive'),
        upgradeHead('/ws?token=s3cret').replace('HTTP/1.1', 'HTTP/1.0')]) {
        const { out } = await rawHttp(gw.port, req);
        assert.match(out, /^HTTP\/1\.1 400 /, req);
      }
    });
  it('503 with Retry-After past max_sessions', async () => {
    await until(async () => (await gw.health()).sessions === 0, 5000,
      'earlier sessions to end');
    const held = [];
    for (let i = 0; i < 3; i++)
      held.push(await RawWS.connect(gw.port, '/echo?token=s3cret'));
    const { out } = await rawHttp(gw.port, upgradeHead('/echo?token=s3cret'));
    assert.match(out, /^HTTP\/1\.1 503 /);
    assert.match(out, /Retry-After: \d+/);
    held.forEach((c) => c.destroy());
    await until(async () => (await gw.health()).sessions === 0, 3000,
      'the sessions to end');
    const c = await RawWS.connect(gw.port, '/echo?token=s3cret');
    c.destroy();
  });
  it('reports the sessions on its control channel', async () => {
    await until(async () => (await gw.health()).sessions === 0, 5000,
      'earlier sessions to end');
    gw.ctlData.length = 0;
    const c = await RawWS.connect(gw.port, '/echo?token=s3cret');
    await until(() => Buffer.concat(gw.ctlData).includes('SessionsChanged'),
      2000, 'SessionsChanged');
    gw.ctlData.length = 0;
    c.destroy();
    await until(() => Buffer.concat(gw.ctlData).includes('SessionsChanged'),
      2000, 'SessionsChanged after the close');
  });
});

describe('sessions', () => {
  let gw;
  before(async () => { gw = await startGateway(['session_pool = 2',
    '[session]', 'actor_wait_ms = 300']); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  it('pre-starts session_pool idle sessions', async () => {
    await until(async () => (await gw.health()).idleSessions === 2, 3000,
      'the pool');
  });
  it('each connection gets its own process, gone after it closes',
    async () => {
      const clients = [];
      for (let i = 0; i < 20; i++)
        clients.push(await jsonClient(gw.port, '/ws'));
      const ids = new Set();
      for (const c of clients) {
        const m = await c.next((x) => x.type === 'SessionEstablished');
        ids.add(m.payload.sessionId);
      }
      assert.equal(ids.size, 20);
      assert.equal((await gw.health()).sessions, 20);
      await Promise.all(clients.map((c) => c.close()));
      await until(async () => (await gw.health()).sessions === 0, 5000,
        'every session to exit');
    });
  it('an actor that is not there: unavailable after actor_wait_ms',
    async () => {
      const c = await jsonClient(gw.port, '/ws');
      const id = c.send({ to: 'coordinator:main', type: 'GetStatus' });
      const e = await c.reply(id, 3000);
      assert.equal(e.type, 'Error');
      assert.equal(e.payload.code, 'unavailable');
      assert.equal(e.to, 'client:test');
      await c.close();
    });
  it('SIGTERM: every session closes with 1001, the gateway exits 0',
    async () => {
      const g2 = await startGateway();
      const clients = [];
      for (let i = 0; i < 5; i++)
        clients.push(await jsonClient(g2.port, i % 2 ? '/ws' : '/echo'));
      const r = await g2.stop();
      assert.equal(r.code, 0);
      for (const c of clients)
        assert.equal((await c.closed).code, 1001);
    });
  it('a client sending on a connection the gateway handed over',
    async () => {
      // The first frame rides in the same packet as the request head.
      const s = net.connect(gw.port, '127.0.0.1');
      await new Promise((r) => s.once('connect', r));
      const mask = Buffer.from([1, 2, 3, 4]);
      const text = Buffer.from('early');
      const body = Buffer.from(text.map((b, i) => b ^ mask[i & 3]));
      s.write(Buffer.concat([Buffer.from(upgradeHead('/echo')),
        Buffer.from([0x81, 0x80 | text.length]), mask, body]));
      let got = Buffer.alloc(0);
      s.on('data', (d) => { got = Buffer.concat([got, d]); });
      await until(() => got.includes('early'), 2000, 'the echo');
      s.destroy();
    });
  it('Ping to the session itself is answered', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/`);
    const first = await new Promise((r) => ws.once('message', r));
    const est = JSON.parse(first);
    ws.send(JSON.stringify({ to: `session:${est.payload.sessionId}`,
      from: 'client:x', type: 'Ping', id: 'a', payload: [1] }));
    const pong = JSON.parse(await new Promise((r) => ws.once('message', r)));
    assert.equal(pong.type, 'Pong');
    assert.deepEqual(pong.payload, [1]);
    ws.close();
  });
});

describe('keepalive', () => {
  let gw;
  before(async () => { gw = await startGateway(['[session]',
    'ping_interval_ms = 100', 'pong_timeout_ms = 300']); });
  after(async () => { assert.equal((await gw.stop()).code, 0); });

  it('the server pings; a client that never answers is closed', async () => {
    const c = await RawWS.connect(gw.port, '/echo');
    const f = await c.read(1000);
    assert.equal(f.opcode, OP.PING);
    const t0 = Date.now();
    const close = await c.closeFrame(3000);
    assert.equal(close.code, 1001);
    assert.ok(Date.now() - t0 < 2000);
    assert.ok(await c.tcpClosed(3000));
  });
  it('a client that answers the pings stays', async () => {
    const c = await RawWS.connect(gw.port, '/echo');
    const end = Date.now() + 1200;
    while (Date.now() < end) {
      const f = await c.read(1000);
      assert.equal(f.opcode, OP.PING, 'closed while answering pings');
      c.sendFrame({ opcode: OP.PONG, payload: f.payload });
    }
    c.sendFrame({ opcode: OP.TEXT, payload: 'still here' });
    let m;
    do m = await c.message(); while (m.opcode === OP.PING);
    assert.equal(m.payload.toString(), 'still here');
    c.destroy();
  });
});
