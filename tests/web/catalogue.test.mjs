// web/js/catalogue.js is generated from the C catalogue (`make catalogue`);
// these tests keep the committed file in step with the generator, and the
// dashboard in step with the catalogue.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ACTOR_KINDS, INTERNAL_TYPES, MESSAGE_TYPES, NAME_MAX_LEN, NAME_RE,
  TASK_KINDS } from '../../web/js/catalogue.js';
import { INPUT_HINTS } from '../../web/js/forms.js';
import { TransportActor } from '../../web/js/transport.js';
import { CoordinatorProxyActor } from '../../web/js/coordinator-proxy.js';
import { WorkerProxyActor } from '../../web/js/worker-proxy.js';
import { EventLogActor } from '../../web/js/event-log.js';
import { ProcessTreeActor } from '../../web/js/process-tree.js';
import { TasksActor } from '../../web/js/tasks.js';
import { FakeWebSocket, flush, serverMsg, testRuntime } from './helpers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JS = path.join(ROOT, 'web/js');
/* The build directory of `make tests`, as tests/run-all passes it. */
const GEN = path.resolve(ROOT, process.env.BUILD ?? 'build/rel',
  'scripts/gen-catalogue');

test('web/js/catalogue.js is what the generator prints from the C', () => {
  assert.ok(existsSync(GEN), `${GEN} is not built: run \`make tests\``);
  const want = execFileSync(GEN, { encoding: 'utf8' });
  const have = readFileSync(path.join(JS, 'catalogue.js'), 'utf8');
  const a = have.split('\n');
  const b = want.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  assert.ok(have === want, 'web/js/catalogue.js differs from the C ' +
    'catalogue: run `make catalogue` and commit the result (first ' +
    `difference at line ${line + 1}: ${JSON.stringify(a[line])} in the ` +
    `file, ${JSON.stringify(b[line])} from ${GEN})`);
});

test('the name rule is name_valid(): 1-64 of [A-Za-z0-9._-], any first',
  () => {
    assert.equal(NAME_MAX_LEN, 64);
    for (const ok of ['w1', '.w', '_', '-x-', 'a.b_c-D9', 'x'.repeat(64)])
      assert.match(ok, NAME_RE);
    for (const bad of ['', 'x'.repeat(65), 'worker:1', 'a b', 'é', 'w1\n',
      'a/b'])
      assert.doesNotMatch(bad, NAME_RE);
  });

test('the page offers the task kinds and id lengths of the catalogue', () => {
  const html = readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
  const select = html.match(/<select id="task-kind"[^]*?<\/select>/)[0];
  const offered = [...select.matchAll(/<option value="([^"]*)"/g)]
    .map((m) => m[1]);
  assert.deepEqual([...offered].sort(), [...TASK_KINDS].sort(),
    'index.html #task-kind');
  assert.deepEqual(Object.keys(INPUT_HINTS).sort(), [...TASK_KINDS].sort(),
    'forms.js INPUT_HINTS');
  for (const id of ['worker-id', 'task-worker', 'task-id']) {
    const input = html.match(new RegExp(`<input id="${id}"[^>]*>`))[0];
    assert.equal(input.match(/maxlength="(\d+)"/)?.[1], String(NAME_MAX_LEN),
      `index.html #${id} maxlength`);
  }
});

// The `type` of every message the dashboard's modules build, by file.
function localTypes() {
  const found = [];
  for (const file of readdirSync(JS).filter((f) => f.endsWith('.js') &&
      f !== 'catalogue.js')) {
    const text = readFileSync(path.join(JS, file), 'utf8');
    for (const m of text.matchAll(/\btype: '([A-Za-z]+)'/g))
      found.push([file, m[1]]);
  }
  return found;
}

test('no local message takes the name of a wire type', () => {
  const wire = new Set([...Object.keys(MESSAGE_TYPES), ...INTERNAL_TYPES]);
  const found = localTypes();
  assert.ok(found.length > 20, 'the scan finds the local messages');
  /* The transport answers a request it refuses with an Error envelope, as
     the server would: the one wire message built outside the transport's
     envelope(). */
  const clashes = found.filter(([file, type]) => wire.has(type) &&
    !(file === 'transport.js' && type === 'Error'));
  assert.deepEqual(clashes, []);
});

test('every frame the dashboard sends is a request a client may send to ' +
  'that kind of actor', async () => {
  FakeWebSocket.reset();
  const env = testRuntime(['ui', 'connection-monitor']);
  const rt = env.runtime;
  let n = 0;
  const newId = () => `id-${++n}`;
  rt.spawn('transport', new TransportActor({ WebSocket: FakeWebSocket,
    url: 'ws://dash.test/ws', log: env.log, newId }));
  rt.spawn('coordinator-proxy', new CoordinatorProxyActor({ newId }));
  rt.spawn('worker-proxy', new WorkerProxyActor({ newId }));
  rt.spawn('event-log', new EventLogActor());
  rt.spawn('process-tree', new ProcessTreeActor());
  for (const name of ['coordinator-proxy', 'event-log', 'process-tree'])
    rt.send(name, { type: 'Start' });
  rt.send('transport', { type: 'Connect' });
  await flush();
  const ws = FakeWebSocket.last();
  ws.open();
  await flush();
  for (const [msgType, payload] of [
    ['RegisterWorker', { workerId: 'w1' }],
    ['AssignTask', { kind: TASK_KINDS[0], input: {} }],
    ['CancelTask', { taskId: 't1' }],
    ['UnregisterWorker', { workerId: 'w1' }],
  ])
    rt.send('coordinator-proxy', { type: 'UserRequest', msgType, payload });
  rt.send('worker-proxy', { type: 'InspectWorker', workerId: 'w1' });
  rt.send('event-log', serverMsg('event-log', 'Subscribed', { lastSeq: 9 }));
  rt.send('transport', { type: 'RemoveSubscription', to: 'system:supervisor',
    from: 'process-tree' });
  await flush();
  const frames = ws.frames();
  assert.deepEqual([...new Set(frames.map((f) => f.type))].sort(), [
    'AssignTask', 'CancelTask', 'GetEvents', 'GetState', 'Ping',
    'RegisterWorker', 'Subscribe', 'UnregisterWorker', 'Unsubscribe']);
  for (const f of frames) {
    const kind = f.to.slice(0, f.to.indexOf(':'));
    assert.ok(ACTOR_KINDS.includes(kind), `${f.to}: a known kind`);
    assert.equal(MESSAGE_TYPES[f.type]?.who, 'client',
      `${f.type} is a request a client may send`);
    assert.ok(MESSAGE_TYPES[f.type].kinds.includes(kind),
      `${f.type} may be sent to ${f.to}`);
  }
});

test('every frame of the tasks view is a request a client may send to ' +
  'the coordinator', async () => {
  FakeWebSocket.reset();
  const env = testRuntime(['ui', 'connection-monitor', 'worker-proxy']);
  const rt = env.runtime;
  let n = 0;
  const newId = () => `id-${++n}`;
  rt.spawn('transport', new TransportActor({ WebSocket: FakeWebSocket,
    url: 'ws://dash.test/ws', log: env.log, newId }));
  rt.spawn('coordinator-proxy', new CoordinatorProxyActor({ newId }));
  rt.spawn('tasks', new TasksActor({ newId }));
  rt.send('coordinator-proxy', { type: 'Start' });
  rt.send('tasks', { type: 'Start' });
  rt.send('transport', { type: 'Connect' });
  await flush();
  const ws = FakeWebSocket.last();
  ws.open();
  await flush();
  rt.send('tasks', { type: 'Navigate', hash: '#task=t1&status=failed' });
  rt.send('coordinator-proxy', serverMsg('coordinator-proxy', 'Subscribed',
    {}));
  rt.send('tasks', { type: 'ShowPage', page: 'older' });
  for (const action of ['retry', 'cancel', 'delete'])
    rt.send('tasks', { type: 'TaskAction', action, taskId: 't1' });
  rt.send('tasks', serverMsg('tasks', 'TaskFinished', { taskId: 't1',
    status: 'failed', attempts: 1 }));
  await flush();
  const frames = ws.frames().filter((f) => f.type !== 'Subscribe');
  assert.deepEqual([...new Set(frames.map((f) => f.type))].sort(), [
    'CancelTask', 'DeleteTask', 'GetKinds', 'GetTask', 'ListTasks',
    'RetryTask', 'WatchTask']);
  for (const f of frames) {
    assert.equal(f.to, 'coordinator:main');
    assert.equal(MESSAGE_TYPES[f.type]?.who, 'client',
      `${f.type} is a request a client may send`);
    assert.ok(MESSAGE_TYPES[f.type].kinds.includes('coordinator'));
  }
  assert.equal(MESSAGE_TYPES.PauseQueue, undefined,
    'pausing a queue is the operator\'s (actorctl), not the page\'s');
});
