// The wire protocol of PROTOCOL.md against the real tree (actord and every
// actor), with the `ws` package as the client: SessionEstablished, Ping
// through every hop, every Error code with its text followed by a valid
// message on the same connection, replies and pushes addressed to the
// client actor that asked, WebSocket-level failures with their close
// codes, 200 concurrent sessions, a session killed, an actor restarted.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startTree, jsonClient, RawWS, OP, frame, sleep, until, httpGet }
  from './lib.mjs';

let tree;
before(async () => {
  tree = await startTree(['session_pool = 4', 'max_sessions = 400',
    '[session]', 'max_message_bytes = 4M', 'rate_limit = 100',
    'rate_burst = 100', 'actor_wait_ms = 1500']);
});
after(async () => {
  const r = await tree.stop();
  assert.equal(r.code, 0, `actord exit ${JSON.stringify(r)}`);
});

// Children of a pid, from /proc.
function children(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === pid)
        out.push({ pid: Number(d), name: st.slice(st.indexOf('(') + 1,
          st.lastIndexOf(')')) });
    } catch { /* gone */ }
  }
  return out;
}
// The sessions: the zygote's children, and the gateway's own (fork+exec'd,
// or left by a zygote that died).
function sessionPids() {
  const gw = children(tree.pidOf('gateway'));
  return gw.concat(...gw.filter((p) => p.name === 'session-zygote')
    .map((z) => children(z.pid)))
    .filter((p) => p.name === 'session').map((p) => p.pid);
}

async function client(ms = 5000) {
  const c = await jsonClient(tree.port, '/ws');
  c.established = await c.next((m) => m.type === 'SessionEstablished', ms);
  return c;
}

// Expect an Error with code (and text) answering id, then a working Ping.
async function expectError(c, id, code, text, from = null) {
  const m = id ? await c.reply(id) :
    await c.next((x) => x.type === 'Error' && !x.replyTo);
  assert.equal(m.type, 'Error', JSON.stringify(m));
  assert.equal(m.payload.code, code, JSON.stringify(m));
  if (text instanceof RegExp) assert.match(m.payload.error, text);
  else if (text !== undefined) assert.equal(m.payload.error, text);
  assert.equal(m.from, from ?? `session:${c.established.payload.sessionId}`);
  const ping = c.send({ to: 'coordinator:main', type: 'Ping',
    payload: { after: code } });
  const pong = await c.reply(ping);
  assert.equal(pong.type, 'Pong');
  return m;
}

describe('connecting', () => {
  it('SessionEstablished comes first, to client:ui', async () => {
    const c = await jsonClient(tree.port, '/ws');
    const m = await c.next();
    assert.equal(m.type, 'SessionEstablished');
    assert.equal(m.to, 'client:ui');
    assert.match(m.payload.sessionId, /^[0-9a-f]{16}$/);
    assert.equal(m.from, `session:${m.payload.sessionId}`);
    assert.equal(m.payload.server.name, 'actord');
    assert.equal(typeof m.payload.server.version, 'string');
    assert.equal(m.payload.limits.maxMessageBytes, 4 << 20);
    assert.equal(typeof m.id, 'string');
    assert.equal(typeof m.timestamp, 'number');
    await c.close();
  });
  it('/ with an Upgrade header is a session too', async () => {
    const c = await jsonClient(tree.port, '/');
    assert.equal((await c.next()).type, 'SessionEstablished');
    await c.close();
  });
  it('/echo echoes text and binary unchanged', async () => {
    const c = await jsonClient(tree.port, '/echo');
    c.raw('{"not":"checked"}');
    assert.deepEqual(await c.next(), { not: 'checked' });
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    assert.deepEqual([...(await c.next()).binary], [0, 1, 2, 255]);
    await c.close();
  });
});

describe('Ping through every hop', () => {
  let c;
  before(async () => { c = await client(); });
  after(async () => { await c.close(); });
  for (const to of ['session', 'coordinator:main', 'eventlog:main',
    'system:supervisor']) {
    it(`${to} answers Pong with the same payload`, async () => {
      const payload = { n: 1, s: 'κόσμε', a: [true, null, 1.5] };
      const id = c.send({ to, type: 'Ping', payload,
        from: 'client:pinger' });
      const m = await c.reply(id);
      assert.equal(m.type, 'Pong');
      assert.deepEqual(m.payload, payload);
      assert.equal(m.to, 'client:pinger');
      assert.equal(m.from, to === 'session' ?
        `session:${c.established.payload.sessionId}` : to);
      assert.notEqual(m.id, id);
    });
  }
  it('session:<own id> answers too', async () => {
    const id = c.send({ to: `session:${c.established.payload.sessionId}`,
      type: 'Ping', payload: 7 });
    assert.equal((await c.reply(id)).payload, 7);
  });
  it('a worker answers Ping once registered', async () => {
    const r = c.send({ to: 'coordinator:main', type: 'RegisterWorker',
      payload: { workerId: 'pinged' } });
    assert.equal((await c.reply(r)).type, 'WorkerRegistered');
    // The worker actor starts just after the coordinator's reply.
    const m = await until(async () => {
      const x = await c.reply(c.send({ to: 'worker:pinged', type: 'Ping',
        payload: 'w' }));
      return x.type === 'Pong' && x;
    }, 3000, 'the worker');
    assert.equal(m.from, 'worker:pinged');
  });
});

describe('every Error of PROTOCOL.md, then a valid message', () => {
  let c;
  before(async () => { c = await client(); });
  after(async () => { await c.close(); });

  it('bad_json: not JSON, not an object, a binary frame', async () => {
    for (const s of ['not json', '[1,2,3]', '"str"', '{"a":', '']) {
      c.raw(s);
      const m = await expectError(c, null, 'bad_json',
        'Invalid message format');
      assert.equal(m.to, 'client:ui');
      assert.equal(m.replyTo, undefined);
    }
    c.ws.send(Buffer.from('{"binary":true}'));
    await expectError(c, null, 'bad_json', 'Invalid message format');
  });
  it('bad_envelope names the field', async () => {
    const cases = [
      [{ type: undefined }, /'type'/],
      [{ type: 42 }, /'type'/],
      [{ to: undefined }, /'to'/],
      [{ to: '' }, /'to'/],
      [{ from: undefined }, /'from'/],
      [{ from: 'coordinator:main' }, /'from'/],
      [{ timestamp: 'yesterday' }, /'timestamp'/],
      [{ timestamp: -5 }, /'timestamp'/],
    ];
    for (const [o, re] of cases) {
      const id = c.send({ to: 'coordinator:main', type: 'GetStatus', ...o });
      const m = await expectError(c, id, 'bad_envelope', re);
      if (o.from === undefined && 'from' in o)
        assert.equal(m.to, 'client:ui');
    }
    // No usable id: no replyTo, and the error says so.
    c.raw(JSON.stringify({ to: 'coordinator:main', from: 'client:test',
      type: 'GetStatus', payload: {} }));
    await expectError(c, null, 'bad_envelope', /'id'/);
    c.raw(JSON.stringify({ to: 'coordinator:main', from: 'client:test',
      type: 'GetStatus', id: 'x'.repeat(129), payload: {} }));
    await expectError(c, null, 'bad_envelope', /'id'/);
  });
  it('bad_address: "Invalid \'to\' field: <to>"', async () => {
    for (const to of ['coordinator', 'Coordinator:main', ':main',
      'coordinator:', 'a b:c', 'coordinator:ma in']) {
      const id = c.send({ to, type: 'Ping' });
      await expectError(c, id, 'bad_address', `Invalid 'to' field: ${to}`);
    }
  });
  it('unknown_actor: "Unknown actor type: <kind>"', async () => {
    for (const [to, kind] of [['nope:main', 'nope'], ['client:ui', 'client'],
      ['gateway:main', 'gateway']]) {
      const id = c.send({ to, type: 'Ping' });
      await expectError(c, id, 'unknown_actor', `Unknown actor type: ${kind}`);
    }
    let id = c.send({ to: 'session:0000000000000000', type: 'Ping' });
    await expectError(c, id, 'unknown_actor', /session:0000000000000000/);
    // No such worker: the worker process says so.
    id = c.send({ to: 'worker:nobody', type: 'GetState' });
    await expectError(c, id, 'unknown_actor', /worker:nobody/,
      'worker:nobody');
  });
  it('unknown_type names the type', async () => {
    let id = c.send({ to: 'coordinator:main', type: 'Frobnicate' });
    await expectError(c, id, 'unknown_type', /Frobnicate/);
    id = c.send({ to: 'coordinator:main', type: 'GetTree' });
    await expectError(c, id, 'unknown_type', /GetTree/);
    id = c.send({ to: 'session', type: 'GetStatus' });
    await expectError(c, id, 'unknown_type', /GetStatus/);
  });
  it('bad_payload names the field', async () => {
    // The actor decodes the payload, once, and refuses it itself.
    let id = c.send({ to: 'coordinator:main', type: 'RegisterWorker',
      payload: {} });
    await expectError(c, id, 'bad_payload', /'workerId'/,
      'coordinator:main');
    id = c.send({ to: 'coordinator:main', type: 'RegisterWorker',
      payload: { workerId: 'no spaces allowed' } });
    await expectError(c, id, 'bad_payload', /'workerId'/,
      'coordinator:main');
    id = c.send({ to: 'coordinator:main', type: 'CancelTask',
      payload: [1] });
    await expectError(c, id, 'bad_payload', /'payload'/,
      'coordinator:main');
    id = c.send({ to: 'eventlog:main', type: 'GetEvents',
      payload: { limit: -1 } });
    await expectError(c, id, 'bad_payload', /'limit'/, 'eventlog:main');
    let deep = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    id = c.send({ to: 'coordinator:main', type: 'AssignTask',
      payload: { kind: 'echo', input: deep } });
    await expectError(c, id, 'bad_payload', /nested/);
  });
  it('too_large: over the limit between processes', async () => {
    const id = c.send({ to: 'coordinator:main', type: 'AssignTask',
      payload: { kind: 'echo', input: { value: 'x'.repeat(1100000) } } });
    await expectError(c, id, 'too_large', /1048576/);
  });
  it('forbidden: internal and server types, system writes', async () => {
    for (const [to, type] of [['worker:pinged', 'ProcessTask'],
      ['coordinator:main', 'TaskCompleted'], ['coordinator:main', 'Hello'],
      ['coordinator:main', 'StatusUpdated'], ['system:supervisor', 'CtlStop'],
      ['system:supervisor', 'RegisterWorker'],
      ['session', 'SessionClose']]) {
      const id = c.send({ to, type, payload: { taskId: 't', workerId: 'w',
        name: 'coordinator' } });
      await expectError(c, id, 'forbidden');
    }
  });
  it('rate_limited past rate_burst, then the bucket refills', async () => {
    const c = await client();
    const ids = [];
    for (let i = 0; i < 150; i++)
      ids.push(c.send({ to: 'session', type: 'Ping', payload: i }));
    let limited = 0, pongs = 0;
    for (const id of ids) {
      const m = await c.reply(id);
      if (m.type === 'Error') {
        assert.equal(m.payload.code, 'rate_limited');
        assert.match(m.payload.error, /100/);
        limited++;
      } else pongs++;
    }
    assert.ok(limited >= 40 && pongs >= 100, `${limited} limited`);
    await sleep(600);
    const id = c.send({ to: 'session', type: 'Ping' });
    assert.equal((await c.reply(id)).type, 'Pong');
    await c.close();
  });
});

describe('routing replies and pushes', () => {
  it('a reply goes to the client actor that asked', async () => {
    const c = await client();
    const a = c.send({ to: 'coordinator:main', type: 'GetStatus',
      from: 'client:coordinator-proxy' });
    const b = c.send({ to: 'eventlog:main', type: 'GetEvents',
      from: 'client:event-log', payload: { limit: 1 } });
    assert.equal((await c.reply(a)).to, 'client:coordinator-proxy');
    const ev = await c.reply(b);
    assert.equal(ev.to, 'client:event-log');
    assert.equal(ev.type, 'Events');
    await c.close();
  });
  it('the same id from two client actors: each gets its reply', async () => {
    const c = await client();
    c.send({ to: 'coordinator:main', type: 'Ping', id: 'same',
      from: 'client:a', payload: 'a' });
    c.send({ to: 'eventlog:main', type: 'Ping', id: 'same',
      from: 'client:b', payload: 'b' });
    const one = await c.reply('same');
    const two = await c.reply('same');
    const byTo = Object.fromEntries([one, two].map((m) => [m.to, m.payload]));
    assert.deepEqual(byTo, { 'client:a': 'a', 'client:b': 'b' });
    await c.close();
  });
  it('a command retried with the same id is applied once', async () => {
    const c = await client();
    const status = async () => {
      const id = c.send({ to: 'coordinator:main', type: 'GetStatus' });
      const t = (await c.reply(id)).payload.tasks;
      return t.queued + t.running + t.completed + t.failed + t.cancelled;
    };
    const before = await status();
    const cmd = { to: 'coordinator:main', type: 'AssignTask',
      id: 'retry-1', from: 'client:retrier',
      payload: { kind: 'echo', input: { value: 1 } } };
    c.send(cmd);
    const first = await c.reply('retry-1');
    c.send(cmd);
    const second = await c.reply('retry-1');
    assert.equal(first.type, 'TaskAccepted', JSON.stringify(first));
    assert.deepEqual(second.payload, first.payload);
    assert.equal(await status(), before + 1, 'one task, not two');
    const other = c.send({ ...cmd, id: 'retry-2' });
    assert.notEqual((await c.reply(other)).payload.taskId,
      first.payload.taskId);
    await c.close();
  });
  it('coordinator pushes go to the subscriber', async () => {
    const c = await client();
    const s = c.send({ to: 'coordinator:main', type: 'Subscribe',
      from: 'client:coordinator-proxy' });
    const sub = await c.reply(s);
    assert.equal(sub.type, 'Subscribed');
    assert.equal(sub.to, 'client:coordinator-proxy');
    const r = c.send({ to: 'coordinator:main', type: 'RegisterWorker',
      payload: { workerId: 'pushy' } });
    await c.reply(r);
    const push = await c.next((m) => m.type === 'StatusUpdated' &&
      !m.replyTo && m.payload.workers.some((w) => w.workerId === 'pushy'));
    assert.equal(push.to, 'client:coordinator-proxy');
    assert.equal(push.from, 'coordinator:main');
    const u = c.send({ to: 'coordinator:main', type: 'Unsubscribe',
      from: 'client:coordinator-proxy' });
    assert.equal((await c.reply(u)).type, 'Unsubscribed');
    await c.close();
  });
  it('a task runs and its completion is pushed', async () => {
    const c = await client();
    await c.reply(c.send({ to: 'coordinator:main', type: 'Subscribe',
      from: 'client:cp' }));
    await c.reply(c.send({ to: 'coordinator:main', type: 'RegisterWorker',
      payload: { workerId: 'runner' } }));
    const t = c.send({ to: 'coordinator:main', type: 'AssignTask',
      payload: { kind: 'echo', input: { value: { big: 12345678901234 } },
        workerId: 'runner' } });
    const acc = await c.reply(t);
    assert.equal(acc.type, 'TaskAccepted');
    const taskId = acc.payload.taskId;
    await c.next((m) => m.type === 'StatusUpdated' && m.to === 'client:cp' &&
      m.payload.recent.some((x) => x.taskId === taskId &&
        x.status === 'completed'), 5000, 'the completion');
    await c.close();
  });
  it('event log pushes LogEvent to the subscriber', async () => {
    const c = await client();
    const s = await c.reply(c.send({ to: 'eventlog:main', type: 'Subscribe',
      from: 'client:event-log' }));
    assert.equal(s.type, 'Subscribed');
    c.send({ to: 'eventlog:main', type: 'LogEvent', from: 'client:ui',
      payload: { level: 'info', source: 'test', message: 'hello log' } });
    const ev = await c.next((m) => m.type === 'LogEvent' &&
      m.payload.message === 'hello log');
    assert.equal(ev.to, 'client:event-log');
    assert.equal(ev.from, 'eventlog:main');
    assert.equal(typeof ev.payload.seq, 'number');
    await c.close();
  });
  it('system:supervisor: GetTree lists processes and sessions', async () => {
    const c = await client();
    const t = await c.reply(c.send({ to: 'system:supervisor',
      type: 'GetTree' }));
    assert.equal(t.type, 'TreeUpdated');
    const names = t.payload.processes.map((p) => p.name);
    for (const n of ['eventlog', 'coordinator', 'worker', 'gateway'])
      assert.ok(names.includes(n), n);
    await until(async () => {
      const x = await c.reply(c.send({ to: 'system:supervisor',
        type: 'GetTree' }));
      const s = x.payload.sessions;
      return (Array.isArray(s) ? s.length : s) >= 1;
    }, 3000, 'the session to be listed');
    await c.close();
  });
  it('system:supervisor: a subscriber gets the counters as they move, ' +
    'each process\'s with when they were taken', async () => {
    const c = await client();
    const coord = (m) => m.payload.processes
      .find((p) => p.name === 'coordinator');
    const tree = (ms) => c.next((m) => m.type === 'TreeUpdated', ms,
      'a TreeUpdated');
    c.send({ to: 'system:supervisor', type: 'Subscribe' });
    const first = coord(await tree());
    for (let i = 0; i < 5; i++)
      c.send({ to: 'coordinator:main', type: 'Ping', payload: i });
    // Nobody asks: the supervisor reads the counters (tree_refresh_ms).
    let prev = first;
    while (prev.msgsIn < first.msgsIn + 5)
      prev = coord(await tree(3000));
    assert.ok(prev.countersAt > (first.countersAt ?? 0));
    assert.ok(Math.abs(prev.countersAt - Date.now()) < 5000);
    // Counters at rest are pushed once more, taken later: a rate of 0.
    for (let n = 0; ; n++) {
      assert.ok(n < 20, 'no push with the counters at rest');
      const p = coord(await tree(3000));
      if (p.msgsIn === prev.msgsIn && p.msgsOut === prev.msgsOut &&
          p.countersAt > prev.countersAt)
        break;
      prev = p;
    }
    await c.close();
  });
  it('actorctl sessions lists pid and peer', async () => {
    const c = await client();
    const sid = c.established.payload.sessionId;
    await until(() => tree.ctl('--json', 'sessions').includes(sid), 3000,
      'the session in actorctl sessions');
    const j = JSON.parse(tree.ctl('--json', 'sessions'));
    const list = Array.isArray(j) ? j : j.sessions;
    const me = list.find((s) => s.id === sid);
    assert.ok(me.pid > 0);
    assert.match(me.peer, /^127\.0\.0\.1:\d+$/);
    assert.equal(typeof me.ageMs, 'number');
    await c.close();
  });
});

describe('WebSocket-level failures on /ws', () => {
  it('a message over max_message_bytes closes with 1009', async () => {
    const c = await client();
    c.raw('x'.repeat((4 << 20) + 1));
    assert.equal((await c.closed).code, 1009);
  });
  it('invalid UTF-8 in a text frame closes with 1007', async () => {
    const c = await RawWS.connect(tree.port, '/ws');
    await c.message();
    c.sendFrame({ opcode: OP.TEXT, payload: Buffer.from([0x7b, 0xff]) });
    assert.equal((await c.closeFrame()).code, 1007);
    assert.ok(await c.tcpClosed());
  });
  it('an unmasked frame closes with 1002', async () => {
    const c = await RawWS.connect(tree.port, '/ws');
    await c.message();
    c.send(frame({ opcode: OP.TEXT, payload: '{}', mask: false }));
    assert.equal((await c.closeFrame()).code, 1002);
    assert.ok(await c.tcpClosed());
  });
});

describe('processes', () => {
  it('200 concurrent connections, a session process each, all gone after',
    async () => {
      const before = sessionPids().length;
      // Generous timeouts: 200 processes start at once on a shared box.
      const clients = await Promise.all(Array.from({ length: 200 },
        () => client(20000)));
      const ids = new Set(clients.map((c) => c.established.payload.sessionId));
      assert.equal(ids.size, 200);
      // Each answers on its own connection.
      await Promise.all(clients.map(async (c, i) => {
        const id = c.send({ to: 'coordinator:main', type: 'Ping',
          payload: i });
        assert.equal((await c.reply(id, 20000)).payload, i);
      }));
      assert.ok(sessionPids().length >= 200, `${sessionPids().length}`);
      await Promise.all(clients.map((c) => c.close()));
      await until(() => sessionPids().length <= before, 20000,
        'the 200 sessions to exit');
    });
  it('kill -9 of a session ends only its own connection', async () => {
    const a = await client();
    const b = await client();
    await until(() => tree.ctl('--json', 'sessions')
      .includes(a.established.payload.sessionId), 3000, 'the listing');
    const list = JSON.parse(tree.ctl('--json', 'sessions'));
    const pid = (Array.isArray(list) ? list : list.sessions)
      .find((s) => s.id === a.established.payload.sessionId).pid;
    process.kill(pid, 'SIGKILL');
    assert.equal((await a.closed).code, 1006);
    const id = b.send({ to: 'coordinator:main', type: 'Ping', payload: 'b' });
    assert.equal((await b.reply(id)).payload, 'b');
    assert.equal(tree.status().processes.find((p) => p.name === 'gateway')
      .state, 'up');
    await b.close();
  });
  it('a coordinator restart keeps the WebSocket; pushes resume',
    async () => {
      const c = await client();
      await c.reply(c.send({ to: 'coordinator:main', type: 'Subscribe',
        from: 'client:cp' }));
      const old = tree.pidOf('coordinator');
      tree.ctl('restart', 'coordinator');
      assert.notEqual(tree.pidOf('coordinator'), old);
      // The session says the coordinator went away, then answers for it
      // when it has subscribed again: both pushed, without replyTo.
      const lost = await c.next((m) => m.type === 'Error' &&
        m.to === 'client:cp', 5000, 'the coordinator went away');
      assert.deepEqual([lost.from, lost.replyTo, lost.payload.code],
        ['coordinator:main', undefined, 'unavailable']);
      assert.match(lost.payload.error,
        /^coordinator:main went away \(its process stopped\)/);
      const back = await c.next((m) => m.type === 'Subscribed' &&
        m.to === 'client:cp', 5000, 'subscribed again');
      assert.deepEqual([back.from, back.replyTo],
        ['coordinator:main', undefined]);
      const r = c.send({ to: 'coordinator:main', type: 'RegisterWorker',
        payload: { workerId: 'after-restart' } });
      assert.equal((await c.reply(r, 5000)).type, 'WorkerRegistered');
      await c.next((m) => m.type === 'StatusUpdated' && m.to === 'client:cp' &&
        !m.replyTo && m.payload.workers.some((w) =>
          w.workerId === 'after-restart'), 5000, 'a push after the restart');
      assert.equal(c.ws.readyState, 1);
      await c.close();
    });
  it('requests in flight when the coordinator dies are answered, once each',
    async () => {
      const c = await client();
      const total = async () => {
        const t = (await c.reply(c.send({ to: 'coordinator:main',
          type: 'GetStatus' }), 5000)).payload.tasks;
        return t.queued + t.running + t.completed + t.failed + t.cancelled;
      };
      const before = await total();
      const ids = [];
      const assign = () => ids.push(c.send({ to: 'coordinator:main',
        type: 'AssignTask', payload: { kind: 'echo', input: { value: 1 } } }));
      for (let i = 0; i < 20; i++) assign();
      const old = tree.pidOf('coordinator');
      process.kill(old, 'SIGKILL');
      for (let i = 0; i < 20; i++) assign();
      const t0 = Date.now();
      for (const id of ids) {
        const r = await c.reply(id, 5000);
        assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
      }
      assert.ok(Date.now() - t0 < 1400,
        `answered after ${Date.now() - t0} ms: sooner than actor_wait_ms`);
      assert.notEqual(tree.pidOf('coordinator'), old);
      assert.equal(await total(), before + 40, 'one task per request');
      await c.close();
    });
  it('requests wait for a restarting actor, then get unavailable',
    async () => {
      const c = await client();
      tree.ctl('stop', 'coordinator');
      const t0 = Date.now();
      const id = c.send({ to: 'coordinator:main', type: 'GetStatus' });
      const e = await c.reply(id, 5000);
      assert.equal(e.payload.code, 'unavailable');
      assert.match(e.payload.error, /coordinator:main/);
      assert.ok(Date.now() - t0 >= 1400, 'answered before actor_wait_ms');
      // While it is down a message waits, and is answered once it is back.
      const later = c.send({ to: 'coordinator:main', type: 'Ping',
        payload: 'waited' });
      await sleep(200);
      tree.ctl('start', 'coordinator');
      const p = await c.reply(later, 5000);
      assert.equal(p.type, 'Pong');
      assert.equal(c.ws.readyState, 1);
      await c.close();
    });
});

describe('/healthz', () => {
  const health = async () =>
    JSON.parse((await httpGet(tree.port, '/healthz')).body);
  it('reports every process of the tree, and degraded while one is down',
    async () => {
      const h = await until(async () => {
        const j = await health();
        return j.status === 'ok' && j;
      }, 5000, 'status ok');
      assert.deepEqual(Object.keys(h.tree).sort(),
        ['coordinator', 'eventlog', 'gateway', 'worker']);
      assert.ok(Object.values(h.tree).every((s) => s === 'up'));
      tree.ctl('stop', 'worker');
      const d = await until(async () => {
        const j = await health();
        return j.status === 'degraded' && j;
      }, 5000, 'status degraded');
      assert.equal(d.tree.worker, 'down');
      assert.equal(d.tree.coordinator, 'up');
      tree.ctl('start', 'worker');
      await until(async () => (await health()).status === 'ok', 5000,
        'status ok again');
    });
});
