import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessTreeActor, messageRate } from '../../web/js/process-tree.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

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
