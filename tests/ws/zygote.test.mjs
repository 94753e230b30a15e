// The session zygote forks each session once and stays its parent: it
// reaps it and reports how it ended to the gateway.  Against the real
// tree: sessions are the zygote's children; the exit status of a session
// killed with SIGKILL reaches the gateway's log and counters; kill -9 of
// the zygote leaves every established and idle session serving, makes
// them the gateway's children, which reaps them (no zombie, no orphan);
// sessions forked by the restarted zygote work; kill -9 of the gateway
// (after the zygote, or alone) leaves no process behind.  Against a
// gateway alone with a stand-in zygote: a garbled exit report, and no
// report at all.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync,
  rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, startTree, startGateway, jsonClient, RawWS, OP, until }
  from './lib.mjs';

// Every process's parent, name and state, from /proc.
function procs() {
  const out = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), { name: st.slice(st.indexOf('(') + 1,
        st.lastIndexOf(')')), state: f[0], ppid: Number(f[1]) });
    } catch { /* gone */ }
  }
  return out;
}
const children = (pid, name) => [...procs()].filter(([, p]) =>
  p.ppid === pid && (!name || p.name === name)).map(([c]) => c);
const ppidOf = (pid) => procs().get(pid)?.ppid;
// Gone for good: not even a zombie waiting to be reaped.
const vanished = (pid) => !existsSync(`/proc/${pid}`);
const zombies = (pid) => [...procs()].filter(([, p]) => p.ppid === pid &&
  p.state === 'Z').map(([c]) => c);

async function echoes(c, text) {
  c.sendFrame({ opcode: OP.TEXT, payload: text });
  const m = await c.message();
  return m !== null && m.payload.toString() === text;
}

describe('the zygote in the tree', () => {
  let tree;
  const seen = new Set();	// every session and zygote pid we met
  const gatewayPid = () => tree.pidOf('gateway');
  const zygotePid = () => children(gatewayPid(), 'session-zygote')[0];
  const sessions = () => {
    const l = JSON.parse(tree.ctl('--json', 'sessions'));
    return Array.isArray(l) ? l : l.sessions;
  };
  const inspect = () => JSON.parse(tree.ctl('--json', 'inspect', 'gateway'))
    .inspect.gateway;
  // The pid of the session serving a client that got SessionEstablished.
  const pidOf = async (c) => {
    const id = c.established.payload.sessionId;
    const s = await until(() => sessions().find((x) => x.id === id), 3000,
      `session ${id} in the listing`);
    seen.add(s.pid);
    return s.pid;
  };
  const client = async () => {
    const c = await jsonClient(tree.port, '/ws');
    c.established = await c.next((m) => m.type === 'SessionEstablished');
    return c;
  };
  const ping = async (c, what) => {
    const id = c.send({ to: 'coordinator:main', type: 'Ping',
      payload: what });
    return (await c.reply(id, 5000)).payload;
  };

  before(async () => {
    tree = await startTree(['session_pool = 2', '[session]',
      'rate_limit = 1000', 'rate_burst = 1000']);
    await until(() => zygotePid() !== undefined, 5000, 'the zygote');
  });
  after(async () => {
    const r = await tree.stop();
    assert.equal(r.code, 0, `actord exit ${JSON.stringify(r)}`);
    for (const p of seen)
      await until(() => vanished(p), 5000, `process ${p} to be gone`);
  });

  it('forks each session once: the session is the zygote\'s child',
    async () => {
      const z = zygotePid();
      seen.add(z);
      const c = await client();
      const pid = await pidOf(c);
      assert.equal(ppidOf(pid), z);
      assert.equal(procs().get(pid).name, 'session');
      assert.equal(await ping(c, 'one fork'), 'one fork');
      await c.close();
      await until(() => vanished(pid), 5000, 'the session to be reaped');
    });

  it('kill -9 of a session: its exit status reaches the gateway\'s log ' +
    'and counters', async () => {
    const before = inspect();
    const a = await client();
    const b = await client();
    const pid = await pidOf(a);
    const id = a.established.payload.sessionId;
    process.kill(pid, 'SIGKILL');
    assert.equal((await a.closed).code, 1006);
    assert.equal(await ping(b, 'b'), 'b');
    const line = new RegExp(`session ${id} \\(pid ${pid}, ` +
      '127\\.0\\.0\\.1:\\d+\\) killed by SIGKILL');
    await until(() => line.test(tree.log()), 5000,
      'the exit status in the gateway\'s log');
    await until(() => inspect().sessionsFailed >= before.sessionsFailed + 1,
      5000, 'sessionsFailed to count it');
    // The zygote reports before it reaps: the zombie goes just after.
    await until(() => vanished(pid), 5000, 'the session to be reaped');
    await b.close();
    await until(() => inspect().sessionsEnded >= before.sessionsEnded + 2,
      5000, 'sessionsEnded to count both');
  });

  it('kill -9 of the zygote: established and idle sessions keep serving, ' +
    'become the gateway\'s children and are reaped', async () => {
    const gw = gatewayPid();
    const z = zygotePid();
    const ws = [await client(), await client()];
    const echo = await RawWS.connect(tree.port, '/echo');
    const wsPids = await Promise.all(ws.map(pidOf));
    const idleOf = () => {
      const busy = new Set(sessions().map((s) => s.pid));
      return children(z, 'session').filter((p) => !busy.has(p));
    };
    await until(() => sessions().length === 3 && idleOf().length === 2, 5000,
      'three serving and the pool of 2');
    const idle = idleOf();
    const all = children(z, 'session');
    all.forEach((p) => seen.add(p));
    const before = inspect();

    process.kill(z, 'SIGKILL');
    await until(() => vanished(z), 5000, 'the zygote to be reaped');
    // Every session it forked is alive and now the gateway's child.
    await until(() => all.every((p) => ppidOf(p) === gw), 5000,
      'its sessions to be the gateway\'s children');
    assert.equal(await ping(ws[0], 'after'), 'after');
    assert.equal(await ping(ws[1], 'after'), 'after');
    assert.ok(await echoes(echo, 'still here'));
    await until(() => /session zygote killed by SIGKILL; restarting it/
      .test(tree.log()), 5000, 'the gateway to say so');

    // A connection now takes an idle session the dead zygote forked.
    const c = await client();
    assert.ok(idle.includes(await pidOf(c)), 'an inherited idle session');
    assert.equal(await ping(c, 'inherited'), 'inherited');

    // A new zygote forks the sessions from now on.
    await until(() => zygotePid() !== undefined && zygotePid() !== z, 5000,
      'a new zygote');
    const z2 = zygotePid();
    seen.add(z2);
    const later = [];
    for (let i = 0; i < 4; i++)
      later.push(await client());
    const laterPids = await Promise.all(later.map(pidOf));
    assert.ok(laterPids.some((p) => ppidOf(p) === z2),
      `some forked by the new zygote: ${laterPids.map(ppidOf)}`);
    for (const l of later)
      assert.equal(await ping(l, 'new'), 'new');

    // Closed, the inherited sessions are reaped by the gateway.
    await Promise.all([...ws, c, ...later].map((x) => x.close()));
    echo.sendFrame({ opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8]) });
    assert.equal((await echo.closeFrame()).code, 1000);
    await until(() => [...wsPids, ...laterPids].every(vanished), 5000,
      'the sessions to be reaped');
    echo.destroy();
    await until(() => inspect().sessionsEnded >= before.sessionsEnded + 8,
      5000, 'their exits counted');
    assert.equal(inspect().sessionsUnreported, 0);
    await until(() => zombies(gw).length === 0 && zombies(z2).length === 0,
      5000, 'no zombie under the gateway or the zygote');
    // The idle ones the old zygote left are still the pool, or gone.
    for (const p of idle)
      assert.ok(vanished(p) || ppidOf(p) === gw);
  });

  it('kill -9 of the zygote, then of the gateway: every session ends',
    async () => {
      const z = zygotePid();
      const a = await client();
      const aPid = await pidOf(a);
      const mine = children(z, 'session');
      mine.forEach((p) => seen.add(p));
      process.kill(z, 'SIGKILL');
      await until(() => ppidOf(aPid) === gatewayPid(), 5000,
        'the session to be the gateway\'s');
      const gw = gatewayPid();
      process.kill(gw, 'SIGKILL');
      // Its control channel ends: the session closes with 1001.
      assert.equal((await a.closed).code, 1001);
      await until(() => [...mine, gw].every(vanished), 5000,
        'the sessions and the gateway to be gone');
      tree.ctl('-t', '10000', 'wait', 'gateway', 'up');
    });

  it('kill -9 of the gateway: the zygote and its sessions end', async () => {
    await until(() => zygotePid() !== undefined, 5000, 'the zygote');
    const gw = gatewayPid();
    const z = zygotePid();
    const a = await client();
    await pidOf(a);
    const mine = children(z, 'session');
    assert.ok(mine.length >= 1);
    mine.forEach((p) => seen.add(p));
    seen.add(z);
    process.kill(gw, 'SIGKILL');
    assert.equal((await a.closed).code, 1001);
    await until(() => [...mine, z, gw].every(vanished), 5000,
      'the zygote and its sessions to be gone');
    tree.ctl('-t', '10000', 'wait', 'gateway', 'up');
    const b = await client();
    assert.equal(await ping(b, 'new gateway'), 'new gateway');
    await pidOf(b);
    await b.close();
  });
});

// A stand-in for `session -z` (python3): forks real sessions as the
// zygote does, but sends a garbled report after each fork, or never
// reports (nor reaps) at all.  Anything but -z runs the real session.
function fakeZygote(mode) {
  const dir = mkdtempSync(join(tmpdir(), 'actord-zygote-'));
  writeFileSync(join(dir, 'session'), `#!/usr/bin/python3
import os, socket, sys
REAL = ${JSON.stringify(join(BIN, 'session'))}
if sys.argv[1:] != ['-z']:
    os.execv(REAL, ['session'] + sys.argv[1:])
ch = socket.socket(fileno=3)
while True:
    msg, anc, flags, addr = ch.recvmsg(1, socket.CMSG_SPACE(4))
    if not msg:
        sys.exit(0)
    fd = int.from_bytes(anc[0][2][:4], sys.byteorder)
    if os.fork() == 0:
        os.dup2(fd, 3)
        os.execv(REAL, ['session'])
    os.close(fd)
    if ${JSON.stringify(mode)} == 'garble':
        try:
            ch.send(b'not a report')
        except OSError:
            sys.exit(0)
`);
  chmodSync(join(dir, 'session'), 0o755);
  return dir;
}

describe('a zygote that misbehaves', () => {
  let dir;
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a garbled exit report: the gateway drops that zygote and reaps ' +
    'its sessions', async () => {
    dir = fakeZygote('garble');
    const gw = await startGateway(['session_pool = 1', '[actord]',
      `program_dir = ${dir}`]);
    await until(() => /garbled exit report \(12 bytes\); closing its channel/
      .test(gw.log()), 5000, 'the gateway to notice');
    const c = await RawWS.connect(gw.port, '/echo');
    assert.ok(await echoes(c, 'served'));
    c.sendFrame({ opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8]) });
    assert.equal((await c.closeFrame()).code, 1000);
    c.destroy();
    await until(async () => (await gw.health()).sessions === 0, 5000,
      'the session to end');
    await until(() => zombies(gw.child.pid).length === 0, 5000,
      'no zombie left');
    assert.equal((await gw.stop()).code, 0);
  });

  it('no exit report: the session is forgotten, with a log line',
    async () => {
      rmSync(dir, { recursive: true, force: true });
      dir = fakeZygote('silent');
      const gw = await startGateway(['session_pool = 0', '[actord]',
        `program_dir = ${dir}`]);
      const c = await RawWS.connect(gw.port, '/echo');
      assert.ok(await echoes(c, 'served'));
      c.destroy();
      await until(() => /ended; its exit status was not reported/
        .test(gw.log()), 15000, 'the gateway to give up on it');
      const t0 = Date.now();
      assert.equal((await gw.stop()).code, 0);
      assert.ok(Date.now() - t0 < 3000, 'a prompt shutdown');
    });
});
