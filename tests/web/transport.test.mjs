import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_QUEUE, TransportActor, defaultSocketUrl }
  from '../../web/js/transport.js';
import { backoffDelay } from '../../web/js/backoff.js';
import { FakeWebSocket, fakeClock, flush, serverMsg, testRuntime }
  from './helpers.mjs';

const NOW = 1_700_000_000_000;

beforeEach(() => FakeWebSocket.reset());

// A runtime with a transport on a fake socket and recorders for its peers.
function setup(t, options = {}) {
  const clock = fakeClock(t, NOW);
  const env = testRuntime(['connection-monitor', 'ui', 'coordinator-proxy',
    'event-log']);
  const transport = new TransportActor({ WebSocket: FakeWebSocket,
    url: 'ws://dash.test/ws', log: env.log, now: clock.now, ...options });
  env.clock = clock;
  env.runtime.spawn('transport', transport);
  env.send = (msg) => env.runtime.send('transport', msg);
  env.states = () => env.inbox['connection-monitor'];
  env.lastState = () => env.states().at(-1);
  return env;
}

// Connect and open the first socket.
async function connected(env) {
  env.send({ type: 'Connect' });
  await flush();
  FakeWebSocket.last().open();
  await flush();
  return FakeWebSocket.last();
}

test('requests go out as protocol envelopes with fresh ids and timestamps',
  async (t) => {
    const env = setup(t);
    const ws = await connected(env);
    assert.equal(ws.url, 'ws://dash.test/ws');
    env.send({ type: 'SendToServer', to: 'coordinator:main',
      msgType: 'RegisterWorker', payload: { workerId: 'w1' },
      from: 'coordinator-proxy' });
    await flush();
    env.clock.tick(25);
    env.send({ type: 'SendToServer', to: 'coordinator:main',
      msgType: 'GetStatus', from: 'coordinator-proxy' });
    await flush();
    const [a, b] = ws.frames();
    assert.deepEqual(Object.keys(a).sort(),
      ['from', 'id', 'payload', 'timestamp', 'to', 'type']);
    assert.equal(a.to, 'coordinator:main');
    assert.equal(a.from, 'client:coordinator-proxy');
    assert.equal(a.type, 'RegisterWorker');
    assert.deepEqual(a.payload, { workerId: 'w1' });
    assert.equal(a.timestamp, NOW);
    assert.equal(b.timestamp, NOW + 25);
    assert.deepEqual(b.payload, {}, 'a missing payload is sent as {}');
    for (const m of [a, b]) {
      assert.equal(typeof m.id, 'string');
      assert.ok(m.id.length >= 1 && m.id.length <= 128);
    }
    assert.notEqual(a.id, b.id);
  });

test('a caller-chosen id is kept (so replies can be matched)', async (t) => {
  const env = setup(t);
  const ws = await connected(env);
  env.send({ type: 'SendToServer', to: 'coordinator:main', msgType: 'GetStatus',
    from: 'coordinator-proxy', id: 'req-7' });
  await flush();
  assert.equal(ws.frames()[0].id, 'req-7');
});

test('the session id from SessionEstablished reaches the monitor and ui',
  async (t) => {
    const env = setup(t);
    const ws = await connected(env);
    assert.equal(env.lastState().state, 'open');
    assert.equal(env.lastState().sessionId, null);
    ws.push({ to: 'client:ui', from: 'session:s-42', type: 'SessionEstablished',
      payload: { sessionId: 's-42', server: { name: 'actord', version: '1.0' },
        limits: { maxMessageBytes: 65536 } }, id: 'x', timestamp: NOW });
    await flush();
    assert.equal(env.lastState().sessionId, 's-42');
    assert.deepEqual(env.lastState().server, { name: 'actord', version: '1.0' });
    assert.equal(env.inbox.ui.length, 1);
    assert.equal(env.inbox.ui[0].type, 'SessionEstablished');
  });

test('inbound frames are routed to the actor named by `to`', async (t) => {
  const env = setup(t);
  const ws = await connected(env);
  const status = serverMsg('coordinator-proxy', 'StatusUpdated', { workers: [] },
    { replyTo: 'req-1' });
  ws.push(status);
  ws.push(serverMsg('event-log', 'LogEvent', { seq: 1, message: 'hi' }));
  await flush();
  assert.deepEqual(env.inbox['coordinator-proxy'], [status]);
  assert.equal(env.inbox['event-log'][0].payload.message, 'hi');
  assert.equal(env.inbox.ui.length, 0);
});

test('frames for unknown actors or non-client addresses are dropped with a ' +
  'warning', async (t) => {
  const env = setup(t);
  const ws = await connected(env);
  ws.push(serverMsg('nobody', 'StatusUpdated', {}));
  ws.push({ ...serverMsg('ui', 'Pong', {}), to: 'coordinator:main' });
  ws.push(serverMsg('transport', 'SendToServer', { to: 'coordinator:main',
    msgType: 'CancelTask', from: 'x' }));
  await flush();
  assert.equal(ws.sent.length, 0, 'the server cannot make the client send');
  assert.equal(env.log.warnings.length, 3);
  assert.match(env.log.warnings.join('\n'), /nobody/);
  assert.match(env.log.warnings.join('\n'), /coordinator:main/);
  assert.equal(env.inbox.ui.length, 0);
});

test('malformed inbound frames are ignored with a warning; later ones still ' +
  'arrive', async (t) => {
  const env = setup(t);
  const ws = await connected(env);
  ws.push('{not json');
  ws.push('[1,2]');
  ws.push('"a string"');
  ws.push(JSON.stringify({ to: 'client:ui' }));
  ws.onmessage({ data: new ArrayBuffer(4) });
  ws.push(serverMsg('ui', 'Pong', { n: 1 }));
  await flush();
  assert.equal(env.log.warnings.length, 5);
  assert.equal(env.inbox.ui.length, 1);
  assert.equal(env.inbox.ui[0].type, 'Pong');
  assert.equal(env.states().at(-1).state, 'open', 'the connection stays up');
});

test('requests made while offline are queued and flushed in order on open',
  async (t) => {
    const env = setup(t);
    env.send({ type: 'Connect' });
    for (const n of [1, 2, 3])
      env.send({ type: 'SendToServer', to: 'coordinator:main',
        msgType: 'AssignTask', payload: { taskId: `t${n}` },
        from: 'coordinator-proxy' });
    await flush();
    const ws = FakeWebSocket.last();
    assert.deepEqual(ws.sent, [], 'nothing is written before open');
    assert.equal(env.lastState().queued, 3, 'the monitor sees the backlog');
    env.clock.tick(1000);
    ws.open();
    await flush();
    assert.deepEqual(ws.frames().map((f) => f.payload.taskId), ['t1', 't2', 't3']);
    assert.equal(ws.frames()[0].timestamp, NOW + 1000,
      'the timestamp is when it left');
    assert.equal(env.lastState().queued, 0);
  });

test('the offline queue is bounded: the oldest are dropped with a warning',
  async (t) => {
    const env = setup(t, { maxQueue: 3 });
    env.send({ type: 'Connect' });
    for (let n = 1; n <= 5; n++)
      env.send({ type: 'SendToServer', to: 'coordinator:main',
        msgType: 'AssignTask', payload: { taskId: `t${n}` },
        from: 'coordinator-proxy' });
    await flush();
    assert.equal(env.log.warnings.length, 2);
    assert.match(env.log.warnings[0], /queue full/);
    FakeWebSocket.last().open();
    await flush();
    assert.deepEqual(FakeWebSocket.last().frames().map((f) => f.payload.taskId),
      ['t3', 't4', 't5']);
  });

test('by default the offline queue holds DEFAULT_MAX_QUEUE (1000) requests',
  async (t) => {
    assert.equal(DEFAULT_MAX_QUEUE, 1000, 'the bound web/README.md gives');
    const env = setup(t);
    env.send({ type: 'Connect' });
    for (let n = 1; n <= DEFAULT_MAX_QUEUE + 1; n++)
      env.send({ type: 'SendToServer', to: 'coordinator:main',
        msgType: 'AssignTask', payload: { taskId: `t${n}` },
        from: 'coordinator-proxy' });
    await flush();
    assert.equal(env.lastState().queued, DEFAULT_MAX_QUEUE);
    assert.equal(env.log.warnings.length, 1);
    assert.match(env.log.warnings[0], /queue full \(1000\).*AssignTask/);
  });

test('reconnect delays double from 0.5 s with jitter and cap at 30 s',
  async (t) => {
    const env = setup(t, { random: () => 0.999999 });
    env.send({ type: 'Connect' });
    await flush();
    const delays = [];
    for (let i = 0; i < 10; i++) {
      const sockets = FakeWebSocket.instances.length;
      FakeWebSocket.last().drop();
      await flush();
      const s = env.lastState();
      assert.equal(s.state, 'closed');
      assert.equal(s.retryAt - env.clock.now(), s.retryInMs);
      delays.push(s.retryInMs);
      env.clock.tick(s.retryInMs - 1);
      await flush();
      assert.equal(FakeWebSocket.instances.length, sockets,
        'no reconnect before the delay');
      env.clock.tick(1);
      await flush();
      assert.equal(FakeWebSocket.instances.length, sockets + 1,
        'a reconnect once the delay passed');
      assert.equal(env.lastState().state, 'connecting');
    }
    assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
      30000, 30000]);
  });

test('a handshake that hangs is given up after 5 s and retried', async (t) => {
  const env = setup(t, { random: () => 0.999999 });
  env.send({ type: 'Connect' });
  await flush();
  const hung = FakeWebSocket.last();
  env.clock.tick(4999);
  await flush();
  assert.equal(env.lastState().state, 'connecting', 'still waiting at 4.999 s');
  env.clock.tick(1);
  await flush();
  assert.equal(env.lastState().state, 'closed');
  assert.ok(hung.closedByClient, 'the hung socket was closed');
  assert.match(env.log.warnings.at(-1), /no handshake within 5000 ms/);
  env.clock.tick(env.lastState().retryInMs);
  await flush();
  assert.equal(FakeWebSocket.instances.length, 2, 'a new attempt');
  FakeWebSocket.last().open();
  await flush();
  env.clock.tick(10000);
  await flush();
  assert.equal(env.lastState().state, 'open', 'an open socket has no deadline');
});

test('jitter keeps each delay in the upper half of its nominal value',
  () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const nominal = Math.min(30000, 500 * 2 ** attempt);
      assert.equal(backoffDelay(attempt, () => 0), nominal / 2);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt);
        assert.ok(d >= nominal / 2 && d <= nominal,
          `attempt ${attempt}: ${d} not in [${nominal / 2}, ${nominal}]`);
      }
    }
    assert.notEqual(new Set(Array.from({ length: 20 },
      () => backoffDelay(5))).size, 1, 'clients do not retry in lockstep');
  });

test('a session resets the backoff; ReconnectNow skips the wait', async (t) => {
  const env = setup(t, { random: () => 0.999999 });
  env.send({ type: 'Connect' });
  await flush();
  for (let i = 0; i < 3; i++) {
    FakeWebSocket.last().drop();
    await flush();
    env.clock.tick(env.lastState().retryInMs);
    await flush();
  }
  const ws = FakeWebSocket.last();
  ws.open();
  ws.push({ to: 'client:ui', from: 'session:s1', type: 'SessionEstablished',
    payload: { sessionId: 's1' }, id: 'x', timestamp: NOW });
  await flush();
  ws.drop(1001, 'going away');
  await flush();
  assert.equal(env.lastState().retryInMs, 500);
  assert.equal(env.lastState().closeCode, 1001);
  assert.equal(env.lastState().sessionId, null);
  const before = FakeWebSocket.instances.length;
  env.send({ type: 'ReconnectNow' });
  await flush();
  assert.equal(FakeWebSocket.instances.length, before + 1);
  env.clock.tick(500);
  await flush();
  assert.equal(FakeWebSocket.instances.length, before + 1,
    'the cancelled retry does not open a second socket');
});

test('subscriptions are renewed on every reconnect, with their latest payload',
  async (t) => {
    const env = setup(t, { random: () => 0 });
    env.send({ type: 'AddSubscription', to: 'coordinator:main',
      from: 'coordinator-proxy' });
    env.send({ type: 'AddSubscription', to: 'eventlog:main', from: 'event-log',
      payload: {} });
    const first = await connected(env);
    assert.deepEqual(first.frames().map((f) => [f.type, f.to, f.from]), [
      ['Subscribe', 'coordinator:main', 'client:coordinator-proxy'],
      ['Subscribe', 'eventlog:main', 'client:event-log'],
    ]);
    env.send({ type: 'UpdateSubscription', to: 'eventlog:main',
      from: 'event-log', payload: { since: 17 } });
    await flush();
    assert.equal(first.sent.length, 2, 'an update sends nothing by itself');

    first.drop();
    await flush();
    env.clock.tick(env.lastState().retryInMs);
    await flush();
    const second = FakeWebSocket.last();
    assert.notEqual(second, first);
    second.open();
    await flush();
    const again = second.frames();
    assert.deepEqual(again.map((f) => [f.type, f.to]), [
      ['Subscribe', 'coordinator:main'], ['Subscribe', 'eventlog:main'],
    ]);
    assert.deepEqual(again[1].payload, { since: 17 });
    assert.ok(!first.frames().some((f) => again.some((g) => g.id === f.id)),
      'renewals carry fresh ids');

    env.send({ type: 'RemoveSubscription', to: 'coordinator:main',
      from: 'coordinator-proxy' });
    await flush();
    assert.equal(second.frames().at(-1).type, 'Unsubscribe');
    second.drop();
    await flush();
    env.clock.tick(env.lastState().retryInMs);
    await flush();
    FakeWebSocket.last().open();
    await flush();
    assert.deepEqual(FakeWebSocket.last().frames().map((f) => f.to),
      ['eventlog:main'], 'an ended subscription is not renewed');
  });

test('subscriptions go out before the queued requests on open', async (t) => {
  const env = setup(t);
  env.send({ type: 'Connect' });
  env.send({ type: 'SendToServer', to: 'coordinator:main', msgType: 'AssignTask',
    payload: {}, from: 'coordinator-proxy' });
  env.send({ type: 'AddSubscription', to: 'coordinator:main',
    from: 'coordinator-proxy' });
  await flush();
  FakeWebSocket.last().open();
  await flush();
  assert.deepEqual(FakeWebSocket.last().frames().map((f) => f.type),
    ['Subscribe', 'AssignTask']);
});

test('a request over the server limit is refused locally with an Error',
  async (t) => {
    const env = setup(t);
    const ws = await connected(env);
    ws.push({ to: 'client:ui', from: 'session:s1', type: 'SessionEstablished',
      payload: { sessionId: 's1', limits: { maxMessageBytes: 200 } },
      id: 'x', timestamp: NOW });
    env.send({ type: 'SendToServer', to: 'coordinator:main',
      msgType: 'AssignTask', payload: { kind: 'echo',
        input: { value: 'x'.repeat(300) } }, from: 'coordinator-proxy',
      id: 'big-1' });
    await flush();
    assert.equal(ws.sent.length, 0);
    const [err] = env.inbox['coordinator-proxy'];
    assert.equal(err.type, 'Error');
    assert.equal(err.replyTo, 'big-1');
    assert.equal(err.payload.code, 'too_large');
  });

test('Disconnect closes the socket and stops reconnecting', async (t) => {
  const env = setup(t);
  const ws = await connected(env);
  env.send({ type: 'Disconnect' });
  await flush();
  assert.equal(ws.closedByClient.code, 1000);
  assert.equal(env.lastState().state, 'closed');
  assert.equal(env.lastState().retryAt, null);
  ws.drop(1000);
  env.clock.tick(60000);
  await flush();
  assert.equal(FakeWebSocket.instances.length, 1);
});

test('the socket URL is /ws on the page host, passing the page token', () => {
  assert.equal(defaultSocketUrl({ protocol: 'http:', host: '127.0.0.1:8787',
    search: '' }), 'ws://127.0.0.1:8787/ws');
  assert.equal(defaultSocketUrl({ protocol: 'https:', host: 'dash.example',
    search: '?token=a b&x=1' }), 'wss://dash.example/ws?token=a%20b');
});

test('without a WebSocket constructor the transport refuses to start', () => {
  assert.throws(() => new TransportActor({}), /WebSocket/);
});
