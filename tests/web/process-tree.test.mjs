import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessTreeActor, messageRate, senderHost }
  from '../../web/js/process-tree.js';
import { fakeClock, flush, serverMsg, testRuntime } from './helpers.mjs';

// A process tree actor between recorder actors.
function setup() {
  const env = testRuntime(['transport', 'ui']);
  env.runtime.spawn('process-tree', new ProcessTreeActor());
  env.send = (msg) => env.runtime.send('process-tree', msg);
  return env;
}

test('Start subscribes to the supervisor; each push updates the tree',
  async () => {
    const env = setup();
    env.send({ type: 'Start' });
    env.send({ ...serverMsg('process-tree', 'TreeUpdated', { processes: [
      { name: 'eventlog', pid: 101, state: 'running', uptimeMs: 1000,
        restarts: 0, lastExit: null, rssBytes: 2048 },
      { name: 'coordinator', pid: 102, state: 'running', uptimeMs: 900,
        restarts: 1, lastExit: 'exit 1', rssBytes: 4096 },
    ], sessions: 2 }), from: 'system:supervisor' });
    await flush();
    assert.deepEqual(env.inbox.transport, [{ type: 'AddSubscription',
      to: 'system:supervisor', from: 'process-tree', payload: {} }]);
    const { tree } = env.inbox.ui.at(-1);
    assert.deepEqual(tree.processes.map((p) => [p.name, p.pid, p.restarts]),
      [['eventlog', 101, 0], ['coordinator', 102, 1]]);
    assert.equal(tree.sessions, 2);
  });

test('a supervisor that is unavailable is reported to the user', async () => {
  const env = setup();
  env.send({ ...serverMsg('process-tree', 'Error', { code: 'unavailable',
    error: 'system:supervisor' }), from: 'system:supervisor' });
  await flush();
  const [n] = env.inbox.ui;
  assert.deepEqual([n.type, n.level, n.code], ['Notice', 'error',
    'unavailable']);
  assert.match(n.text, /system:supervisor is unavailable/);
});

// A push of one process's counters, as the supervisor packs it.
function push(env, { pid = 102, msgsIn, msgsOut, countersAt,
  state = 'up' }) {
  env.send({ ...serverMsg('process-tree', 'TreeUpdated', { processes: [
    { name: 'coordinator', pid, state, uptimeMs: 1000, restarts: 0,
      lastExit: null, rssBytes: 4096, msgsIn, msgsOut, mailboxBytes: 0,
      countersAt },
  ], sessions: 1 }), from: 'system:supervisor' });
}

test('the message rate: messages in and out a second between two samples',
  () => {
    const at = (countersAt, msgsIn, msgsOut, pid = 7, rate = null) =>
      ({ pid, msgsIn, msgsOut, countersAt, rate });
    assert.equal(messageRate(undefined, at(1000, 5, 5)), null, 'no sample');
    assert.equal(messageRate(at(1000, 5, 5), at(1500, 15, 20)), 50);
    assert.equal(messageRate(at(1000, 5, 5), at(3000, 5, 5)), 0);
    assert.equal(messageRate(at(1000, 5, 5, 7, 12), at(1000, 5, 5)), 12,
      'the same sample again keeps its rate');
    assert.equal(messageRate(at(1000, 50, 50), at(2000, 3, 60)), null,
      'a counter that went down: restarted, no negative rate');
    assert.equal(messageRate(at(1000, 5, 5, 7), at(2000, 9, 9, 8)), null,
      'another pid');
    assert.equal(messageRate(at(2000, 5, 5), at(1000, 9, 9)), null,
      'the clock went back');
    assert.equal(messageRate(at(null, 0, 0), at(1000, 9, 9)), null,
      'counters never taken');
  });

test('each push gives each process its message rate since the last one',
  async () => {
    const env = setup();
    const rate = () => env.inbox.ui.at(-1).tree.processes[0].rate;
    push(env, { msgsIn: 10, msgsOut: 8, countersAt: 1_000_000 });
    await flush();
    assert.equal(rate(), null, 'one sample is no rate');
    push(env, { msgsIn: 40, msgsOut: 28, countersAt: 1_002_000 });
    await flush();
    assert.equal(rate(), 25);
    push(env, { msgsIn: 40, msgsOut: 28, countersAt: 1_002_000,
      state: 'stopping' });
    await flush();
    assert.equal(rate(), 25, 'a push for a state keeps the rate');
    push(env, { msgsIn: 40, msgsOut: 28, countersAt: 1_003_000 });
    await flush();
    assert.equal(rate(), 0, 'counters at rest');
    push(env, { pid: 103, msgsIn: 2, msgsOut: 1, countersAt: 1_004_000 });
    await flush();
    assert.equal(rate(), null, 'restarted: no rate, never a negative one');
    push(env, { pid: 103, msgsIn: 6, msgsOut: 3, countersAt: 1_004_500 });
    await flush();
    assert.equal(rate(), 12);
  });

// A cluster's push: `host`'s tree, from its supervisor's address; this
// host's (local) lists the hosts as its link sees them.
function hostPush(env, host, local, processes, list = hosts()) {
  env.send({ ...serverMsg('process-tree', 'TreeUpdated', { host, processes,
    sessions: 0, ...(local ? { hosts: list } : {}) }),
  from: local ? 'system:supervisor' : `system:supervisor@${host}` });
}

const proc = (name, pid, extra = {}) => ({ name, pid, state: 'up',
  uptimeMs: 1000, restarts: 0, lastExit: null, rssBytes: 4096, ...extra });
const hosts = (up3 = true) => [
  { host: 'h1', up: true, roles: ['coordinator', 'worker', 'gateway'] },
  { host: 'h2', up: true, roles: ['worker', 'gateway'] },
  { host: 'h3', up: up3, roles: ['worker', 'gateway'] },
];

test('the push of another host is told by its sender\'s address', () => {
  assert.equal(senderHost('system:supervisor'), null);
  assert.equal(senderHost('system:supervisor@h1'), 'h1');
  assert.equal(senderHost('system:supervisor@'), null);
  assert.equal(senderHost(undefined), null);
});

test('one host: no hosts, no other subscription', async () => {
  const env = setup();
  env.send({ type: 'Start' });
  push(env, { msgsIn: 1, msgsOut: 1, countersAt: 1000 });
  await flush();
  assert.equal(env.inbox.transport.length, 1);
  assert.equal(env.inbox.ui.at(-1).hosts, null);
});

test('in a cluster, every other host this host\'s tree lists is followed, ' +
  'each under its host', async () => {
  const env = setup();
  env.send({ type: 'Start' });
  hostPush(env, 'h2', true, [proc('link', 20), proc('worker', 21)]);
  await flush();
  assert.deepEqual(env.inbox.transport.slice(1).map((m) => [m.type, m.to]), [
    ['AddSubscription', 'system:supervisor@h1'],
    ['AddSubscription', 'system:supervisor@h3'],
  ]);
  hostPush(env, 'h1', false, [proc('coordinator', 10), proc('link', 11)]);
  await flush();
  const { tree, hosts: all } = env.inbox.ui.at(-1);
  assert.deepEqual(tree.processes.map((p) => p.name), ['link', 'worker'],
    'this host\'s tree stays the tree');
  assert.deepEqual(all.map((h) => [h.host, h.local, h.up, h.stale,
    h.tree?.processes.map((p) => p.name) ?? null]), [
    ['h2', true, true, false, ['link', 'worker']],
    ['h1', false, true, false, ['coordinator', 'link']],
    ['h3', false, true, true, null],
  ]);
  assert.deepEqual(all[1].roles, ['coordinator', 'worker', 'gateway']);
});

test('a host that goes down keeps its tree, stale, and is followed again ' +
  'when it is back', async (t) => {
  const clock = fakeClock(t, 5_000_000);
  const env = testRuntime(['transport', 'ui']);
  env.runtime.spawn('process-tree', new ProcessTreeActor({ now: clock.now }));
  env.send = (msg) => env.runtime.send('process-tree', msg);
  const h3 = () => env.inbox.ui.at(-1).hosts.find((h) => h.host === 'h3');
  const subscriptions = () => env.inbox.transport.filter((m) =>
    m.to === 'system:supervisor@h3').length;
  const local = (list) => hostPush(env, 'h2', true, [proc('link', 20)], list);
  local(hosts());
  hostPush(env, 'h3', false, [proc('link', 30, { msgsIn: 5, msgsOut: 5,
    countersAt: 4_999_000 })]);
  await flush();
  assert.equal(subscriptions(), 1);
  clock.tick(2000);
  local(hosts(false));
  await flush();
  assert.deepEqual([h3().up, h3().stale, h3().downAt], [false, true,
    5_002_000]);
  assert.deepEqual(h3().tree.processes.map((p) => p.pid), [30],
    'the last known tree, not nothing');
  local(hosts(false));
  await flush();
  assert.equal(subscriptions(), 1, 'nothing asked of a host that is down');
  local(hosts(true));
  await flush();
  assert.equal(subscriptions(), 2, 'a tree that restarted does not know us');
  assert.deepEqual([h3().up, h3().stale], [true, true],
    'stale until it pushes');
  hostPush(env, 'h3', false, [proc('link', 31, { msgsIn: 1, msgsOut: 1,
    countersAt: 5_003_000 })]);
  await flush();
  assert.deepEqual([h3().stale, h3().tree.processes[0].pid,
    h3().tree.processes[0].rate], [false, 31, null]);
});

test('a host back as a new incarnation before it was seen down is ' +
  'followed again, its old tree stale', async () => {
  const env = setup();
  const inc = (i3) => hosts().map((h) => ({ ...h,
    incarnation: h.host === 'h3' ? i3 : 'x' }));
  const h3 = () => env.inbox.ui.at(-1).hosts.find((h) => h.host === 'h3');
  const subscriptions = () => env.inbox.transport.filter((m) =>
    m.to === 'system:supervisor@h3').length;
  const local = (i3) => hostPush(env, 'h2', true, [proc('link', 20)],
    inc(i3));
  env.send({ type: 'Start' });
  local('100-1');
  hostPush(env, 'h3', false, [proc('link', 30)]);
  await flush();
  assert.equal(subscriptions(), 1);
  local('100-1');
  await flush();
  assert.equal(subscriptions(), 1, 'the same life: nothing asked again');
  local('200-7');
  await flush();
  assert.equal(subscriptions(), 2, 'a new life: asked again');
  assert.equal(h3().stale, true);
  hostPush(env, 'h3', false, [proc('link', 31)]);
  await flush();
  assert.deepEqual([h3().stale, h3().tree.processes[0].pid], [false, 31]);
});
