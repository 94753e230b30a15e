import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProcessTreeActor } from '../../web/js/process-tree.js';
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
