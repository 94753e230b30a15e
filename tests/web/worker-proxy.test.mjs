import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerProxyActor } from '../../web/js/worker-proxy.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

// A worker proxy between recorders, with predictable ids and clock.
function setup() {
  const env = testRuntime(['transport', 'ui']);
  let n = 0;
  let clock = 100;
  env.advance = (ms) => { clock += ms; };
  env.runtime.spawn('worker-proxy', new WorkerProxyActor({
    newId: () => `id-${++n}`, now: () => clock }));
  env.send = (msg) => env.runtime.send('worker-proxy', msg);
  env.details = () => env.inbox.ui.filter((m) => m.type === 'WorkerDetails')
    .at(-1).details;
  return env;
}

test('inspecting a worker asks worker:<id> for its state and a ping',
  async () => {
    const env = setup();
    env.send({ type: 'InspectWorker', workerId: 'w7' });
    await flush();
    assert.deepEqual(env.inbox.transport.map((m) => [m.to, m.msgType, m.from]),
      [['worker:w7', 'GetState', 'worker-proxy'],
        ['worker:w7', 'Ping', 'worker-proxy']]);
    assert.equal(env.details().loading, true);
    env.advance(4);
    env.send({ ...serverMsg('worker-proxy', 'WorkerState', { workerId: 'w7',
      status: 'busy', currentTask: 't1', processedCount: 3 },
    { replyTo: 'id-1' }), from: 'worker:w7' });
    env.send({ ...serverMsg('worker-proxy', 'Pong', { sentAt: 100 },
      { replyTo: 'id-2' }), from: 'worker:w7' });
    await flush();
    assert.equal(env.details().state.processedCount, 3);
    assert.equal(env.details().rttMs, 4);
  });

test('a change reported by the coordinator refreshes only the inspected ' +
  'worker', async () => {
  const env = setup();
  env.send({ type: 'InspectWorker', workerId: 'w7' });
  await flush();
  env.send({ type: 'WorkersChanged', workerIds: ['w1', 'w2'] });
  await flush();
  assert.equal(env.inbox.transport.length, 2);
  env.send({ type: 'WorkersChanged', workerIds: ['w7'] });
  await flush();
  assert.equal(env.inbox.transport.length, 4);
  env.send({ type: 'CloseDetails' });
  env.send({ type: 'WorkersChanged', workerIds: ['w7'] });
  await flush();
  assert.equal(env.inbox.transport.length, 4);
  assert.equal(env.details(), null);
});

test('an unknown worker is reported in a notice and in the panel',
  async () => {
    const env = setup();
    env.send({ type: 'InspectWorker', workerId: 'ghost' });
    await flush();
    env.send(serverMsg('worker-proxy', 'Error', { code: 'unknown_actor',
      error: 'Unknown actor type: worker' }, { replyTo: 'id-1' }));
    env.send(serverMsg('worker-proxy', 'Error', { code: 'unknown_actor',
      error: 'Unknown actor type: worker' }, { replyTo: 'id-2' }));
    await flush();
    const notices = env.inbox.ui.filter((m) => m.type === 'Notice');
    assert.equal(notices.length, 1, 'one notice, not one per request');
    assert.match(notices[0].text, /GetState ghost failed/);
    assert.equal(env.details().error, notices[0].text);
  });

test('in a cluster, a worker is asked on its host, worker:<id>@<host>',
  async () => {
    const env = setup();
    env.send({ type: 'WorkerHosts', hosts: new Map([['w1', 'h1'],
      ['w3', 'h3']]) });
    env.send({ type: 'InspectWorker', workerId: 'w3' });
    await flush();
    assert.deepEqual(env.inbox.transport.map((m) => [m.to, m.msgType]),
      [['worker:w3@h3', 'GetState'], ['worker:w3@h3', 'Ping']]);
    env.send({ ...serverMsg('worker-proxy', 'WorkerState', { workerId: 'w3',
      status: 'idle', processedCount: 2 }, { replyTo: 'id-1' }),
    from: 'worker:w3@h3' });
    await flush();
    assert.equal(env.details().state.processedCount, 2);
    // It moved: the next question goes to its new host.
    env.send({ type: 'WorkerHosts', hosts: new Map([['w3', 'h2']]) });
    env.send({ type: 'WorkersChanged', workerIds: ['w3'] });
    await flush();
    assert.equal(env.inbox.transport.at(-1).to, 'worker:w3@h2');
  });
