import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoordinatorProxyActor, changedWorkers, normalizeStatus }
  from '../../web/js/coordinator-proxy.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

// A coordinator proxy between recorder actors, with predictable ids.
function setup() {
  const env = testRuntime(['transport', 'ui', 'worker-proxy']);
  let n = 0;
  env.runtime.spawn('coordinator-proxy',
    new CoordinatorProxyActor({ newId: () => `id-${++n}` }));
  env.send = (msg) => env.runtime.send('coordinator-proxy', msg);
  env.notices = () => env.inbox.ui.filter((m) => m.type === 'Notice');
  env.lastStatus = () =>
    env.inbox.ui.filter((m) => m.type === 'Coordinator').at(-1).status;
  return env;
}

// A user's request, as dom-view sends it.
const request = (msgType, payload) => ({ type: 'UserRequest', msgType,
  payload });

const SNAPSHOT = {
  workers: [
    { workerId: 'w10', status: 'idle', currentTask: null, processedCount: 4 },
    { workerId: 'w2', status: 'busy', currentTask: 't9', processedCount: 1 },
  ],
  queue: { length: 12, next: ['t10', 't11'] },
  tasks: { queued: 12, running: 1, completed: 5, failed: 1 },
  recent: [
    { taskId: 't9', status: 'running', workerId: 'w2', attempts: 1 },
    { taskId: 't8', status: 'failed', workerId: 'w10', attempts: 2,
      error: 'boom' },
  ],
};

test('Start subscribes to coordinator:main through the transport', async () => {
  const env = setup();
  env.send({ type: 'Start' });
  await flush();
  assert.deepEqual(env.inbox.transport, [{ type: 'AddSubscription',
    to: 'coordinator:main', from: 'coordinator-proxy', payload: {} }]);
});

test('StatusUpdated becomes the state the UI shows', async () => {
  const env = setup();
  env.send(serverMsg('coordinator-proxy', 'StatusUpdated', SNAPSHOT));
  await flush();
  const s = env.lastStatus();
  assert.equal(s.received, true);
  assert.deepEqual(s.workers.map((w) => [w.workerId, w.status, w.currentTask,
    w.processedCount]), [['w10', 'idle', null, 4], ['w2', 'busy', 't9', 1]]);
  assert.deepEqual(s.queue, { length: 12, next: ['t10', 't11'] });
  assert.deepEqual(s.tasks, { queued: 12, running: 1, completed: 5, failed: 1 });
  assert.equal(s.recent[1].error, 'boom');
  assert.deepEqual(env.inbox['worker-proxy'],
    [{ type: 'WorkersChanged', workerIds: ['w10', 'w2'] }]);
});

test('a malformed snapshot does not break the view', () => {
  const s = normalizeStatus({ workers: [null, { status: 'idle' },
    { workerId: 'w1', processedCount: -3 }], queue: 'x', tasks: null,
  recent: 'nope' });
  assert.deepEqual(s.workers, [{ workerId: 'w1', status: 'unknown',
    currentTask: null, processedCount: 0 }]);
  assert.deepEqual(s.queue, { length: 0, next: [] });
  assert.deepEqual(s.recent, []);
  assert.deepEqual(normalizeStatus(null).workers, []);
});

test('big snapshots are bounded before they reach the page', () => {
  const recent = Array.from({ length: 5000 }, (_, i) => ({ taskId: `t${i}`,
    status: 'completed' }));
  const next = Array.from({ length: 5000 }, (_, i) => `q${i}`);
  const s = normalizeStatus({ recent, queue: { length: 5000, next } });
  assert.equal(s.recent.length, 200);
  assert.equal(s.queue.next.length, 50);
  assert.equal(s.queue.length, 5000, 'the true queue length is still shown');
});

test('only workers that changed are reported to the worker proxy', () => {
  const a = normalizeStatus(SNAPSHOT);
  const b = normalizeStatus({ ...SNAPSHOT, workers: [
    { workerId: 'w10', status: 'busy', currentTask: 't10', processedCount: 4 },
    { workerId: 'w3', status: 'idle', currentTask: null, processedCount: 0 },
  ] });
  assert.deepEqual(changedWorkers(a, b), ['w10', 'w3', 'w2']);
  assert.deepEqual(changedWorkers(b, b), []);
});

test('user intents become coordinator requests', async () => {
  const env = setup();
  env.send(request('RegisterWorker', { workerId: 'w1' }));
  env.send(request('AssignTask', { kind: 'echo',
    input: { value: 1 }, workerId: 'w1' }));
  env.send(request('CancelTask', { taskId: 't1' }));
  env.send(request('UnregisterWorker', { workerId: 'w1' }));
  await flush();
  assert.deepEqual(env.inbox.transport.map((m) =>
    [m.type, m.to, m.msgType, m.from, m.id]), [
    ['SendToServer', 'coordinator:main', 'RegisterWorker', 'coordinator-proxy', 'id-1'],
    ['SendToServer', 'coordinator:main', 'AssignTask', 'coordinator-proxy', 'id-2'],
    ['SendToServer', 'coordinator:main', 'CancelTask', 'coordinator-proxy', 'id-3'],
    ['SendToServer', 'coordinator:main', 'UnregisterWorker', 'coordinator-proxy', 'id-4'],
  ]);
  assert.deepEqual(env.inbox.transport[1].payload,
    { kind: 'echo', input: { value: 1 }, workerId: 'w1' });
});

test('replies tell the user what happened', async () => {
  const env = setup();
  env.send(serverMsg('coordinator-proxy', 'TaskAccepted',
    { taskId: 't1', status: 'queued', position: 3 }));
  env.send(serverMsg('coordinator-proxy', 'TaskAccepted',
    { taskId: 't2', status: 'assigned', workerId: 'w1' }));
  env.send(serverMsg('coordinator-proxy', 'WorkerRegistered',
    { workerId: 'w1' }));
  await flush();
  assert.deepEqual(env.notices().map((n) => [n.level, n.text]), [
    ['info', 'Task t1 queued (position 3).'],
    ['info', 'Task t2 assigned to w1.'],
    ['info', 'Worker w1 registered.'],
  ]);
});

test('an Error reply names the request it answers', async () => {
  const env = setup();
  env.send(request('AssignTask', { taskId: 't5', workerId: 'nope' }));
  await flush();
  env.send(serverMsg('coordinator-proxy', 'Error',
    { code: 'unknown_actor', error: 'Unknown worker: nope' },
    { replyTo: 'id-1' }));
  await flush();
  const [n] = env.notices();
  assert.equal(n.level, 'error');
  assert.equal(n.code, 'unknown_actor');
  assert.equal(n.text, 'AssignTask t5 failed: Unknown worker: nope');
});

test('an unavailable coordinator is explained, not just coded', async () => {
  const env = setup();
  env.send(request('RegisterWorker', { workerId: 'w1' }));
  await flush();
  env.send(serverMsg('coordinator-proxy', 'Error',
    { code: 'unavailable', error: 'coordinator:main' }, { replyTo: 'id-1' }));
  env.send(serverMsg('coordinator-proxy', 'Error',
    { code: 'rate_limited', error: '100 messages/s' }));
  await flush();
  const [a, b] = env.notices();
  assert.equal(a.code, 'unavailable');
  assert.match(a.text, /^RegisterWorker w1 failed: coordinator:main is unavailable/);
  assert.match(a.text, /try again/);
  assert.match(b.text, /^Request refused: too many messages \(100 messages\/s\)/);
});

test('the session\'s own unavailable text is shown as it is', async () => {
  const env = setup();
  env.send(request('AssignTask', { taskId: 't9' }));
  await flush();
  env.send(serverMsg('coordinator-proxy', 'Error', { code: 'unavailable',
    error: 'Actor unavailable: coordinator:main did not answer within ' +
      '5000 ms' }, { replyTo: 'id-1', from: 'session:s1' }));
  await flush();
  assert.equal(env.notices()[0].text, 'AssignTask t9 failed: Actor ' +
    'unavailable: coordinator:main did not answer within 5000 ms (its ' +
    'process is down or restarting); try again in a moment.');
});

test('each subscription asks for the kinds and tells the tasks actor',
  async () => {
    const env = setup();
    env.runtime.spawn('tasks', { receive: (m) => (env.tasks ??= []).push(m) });
    env.send(serverMsg('coordinator-proxy', 'Subscribed', { lastSeq: 0 }));
    await flush();
    const [req] = env.inbox.transport;
    assert.deepEqual([req.msgType, req.to, req.payload],
      ['GetKinds', 'coordinator:main', {}]);
    assert.deepEqual(env.tasks, [{ type: 'Resync' }]);
    env.send(serverMsg('coordinator-proxy', 'Kinds', { kinds: [
      { name: 'echo', builtin: true, input: 'builtin', timeoutMs: 0 },
      { name: 'backup', builtin: false, input: 'args', timeoutMs: 60000 },
      { name: '', builtin: false }, null,
    ] }, { replyTo: req.id }));
    await flush();
    const kinds = env.inbox.ui.filter((m) => m.type === 'KindList');
    assert.deepEqual(kinds.at(-1).kinds, [
      { name: 'echo', builtin: true, input: 'builtin', timeoutMs: 0 },
      { name: 'backup', builtin: false, input: 'args', timeoutMs: 60000 },
    ]);
  });

test('pushes about tasks go on to the tasks actor', async () => {
  const env = setup();
  env.runtime.spawn('tasks', { receive: (m) => (env.tasks ??= []).push(m) });
  const fin = serverMsg('coordinator-proxy', 'TaskFinished', { taskId: 't1',
    status: 'completed', attempts: 1 });
  const out = serverMsg('coordinator-proxy', 'TaskOutput', { taskId: 't1',
    stream: 'stdout', offset: 0, data: 'hi' });
  env.send(fin);
  env.send(out);
  await flush();
  assert.deepEqual(env.tasks, [fin, out]);
});

test('a StatusUpdated whose task counters changed: TaskCountsChanged',
  async () => {
    const env = setup();
    env.runtime.spawn('tasks', { receive: (m) => (env.tasks ??= []).push(m) });
    const push = (tasks) => env.send(serverMsg('coordinator-proxy',
      'StatusUpdated', { ...SNAPSHOT, tasks }));
    const counts = { queued: 1, running: 1, completed: 5, failed: 1,
      cancelled: 0, scheduled: 2, retrying: 0 };
    push(counts);             /* the first: the page asks for itself */
    push(counts);             /* nothing changed */
    push({ ...counts, scheduled: 1, queued: 2 });
    push({ ...counts, scheduled: 1, queued: 2, cancelled: 1 });
    await flush();
    assert.deepEqual(env.tasks, [{ type: 'TaskCountsChanged' },
      { type: 'TaskCountsChanged' }]);
    const s = env.lastStatus();
    assert.deepEqual(s.delayed, { scheduled: 1, retrying: 0, cancelled: 1 });
  });

test('the queues of a snapshot, checked', () => {
  const s = normalizeStatus({ queue: { length: 3, next: [], queues: [
    { name: 'default', paused: false, queued: 3, running: 1, waiting: 0,
      concurrency: 0 },
    { name: 'lane', paused: true, queued: -1, running: 'x' },
    { paused: true }, null] } });
  assert.deepEqual(s.queues, [
    { name: 'default', paused: false, queued: 3, running: 1, waiting: 0,
      concurrency: 0 },
    { name: 'lane', paused: true, queued: 0, running: 0, waiting: 0,
      concurrency: 0 }]);
  assert.deepEqual(s.queue, { length: 3, next: [] });
});

// A cluster's status (docs/cluster.md): the hosts, the coordinator's
// first; a worker on another host says which.
const CLUSTER = {
  hosts: [
    { host: 'h1', up: true, roles: ['coordinator', 'worker', 'gateway'],
      incarnation: '' },
    { host: 'h2', up: true, roles: ['worker', 'gateway'],
      incarnation: '40-7' },
    { host: 'h3', up: false, roles: ['worker', 'gateway'],
      incarnation: '41-9' },
  ],
  workers: [
    { workerId: 'w1', status: 'idle', processedCount: 0 },
    { workerId: 'w2', status: 'idle', processedCount: 0, host: 'h2' },
    { workerId: 'w3', status: 'offline', processedCount: 5, host: 'h3' },
  ],
};

test('in a cluster, the status keeps the hosts and where each worker runs',
  () => {
    const s = normalizeStatus(CLUSTER);
    assert.deepEqual(s.hosts, CLUSTER.hosts);
    assert.deepEqual(s.workers.map((w) => [w.workerId, w.host]),
      [['w1', 'h1'], ['w2', 'h2'], ['w3', 'h3']],
      'a worker without a host runs on the coordinator\'s');
    const odd = normalizeStatus({ hosts: [null, { host: '' },
      { host: 'h1', up: 'yes', roles: ['worker', 7] }] });
    assert.deepEqual(odd.hosts, [{ host: 'h1', up: false,
      roles: ['worker'], incarnation: '' }]);
    assert.equal(normalizeStatus(SNAPSHOT).hosts, null, 'one host: none');
    assert.equal('host' in normalizeStatus(SNAPSHOT).workers[0], false);
  });

test('a worker that moved to another host counts as changed', () => {
  const a = normalizeStatus(CLUSTER);
  const b = normalizeStatus({ ...CLUSTER, workers: CLUSTER.workers.map((w) =>
    (w.workerId === 'w3' ? { ...w, host: 'h2' } : w)) });
  assert.deepEqual(changedWorkers(a, b), ['w3']);
});

// A coordinator proxy between recorders, given each status in turn.
async function afterStatuses(...statuses) {
  const env = testRuntime(['transport', 'ui', 'worker-proxy', 'tasks']);
  env.runtime.spawn('coordinator-proxy', new CoordinatorProxyActor());
  for (const p of statuses)
    env.runtime.send('coordinator-proxy', serverMsg('coordinator-proxy',
      'StatusUpdated', p));
  await flush();
  return env;
}

test('in a cluster, the worker proxy learns where the workers run',
  async () => {
    const env = await afterStatuses(CLUSTER,
      { ...CLUSTER, tasks: { queued: 1 } });
    const where = env.inbox['worker-proxy'].filter((m) =>
      m.type === 'WorkerHosts');
    assert.equal(where.length, 1, 'only when a worker changed');
    assert.deepEqual([...where[0].hosts], [['w1', 'h1'], ['w2', 'h2'],
      ['w3', 'h3']]);
    assert.equal(env.inbox['worker-proxy'].indexOf(where[0]), 0,
      'before WorkersChanged, which asks again where it runs');
    assert.deepEqual(env.log.warnings, []);
  });

test('one host: no worker hosts are passed on', async () => {
  const env = await afterStatuses(SNAPSHOT);
  assert.deepEqual(env.inbox['worker-proxy'].map((m) => m.type),
    ['WorkersChanged']);
});

test('the coordinator lost and back: a notice that stays, then one that ' +
  'clears it', async () => {
  const env = setup();
  env.runtime.spawn('tasks', { receive: () => {} });
  env.send(serverMsg('coordinator-proxy', 'Error', { code: 'unavailable',
    error: 'coordinator:main went away (its process stopped); its pushes ' +
      'resume when it is back' }));
  env.send(serverMsg('coordinator-proxy', 'Subscribed', {},
    { replyTo: 'id-0' }));
  env.send(serverMsg('coordinator-proxy', 'Subscribed', {}));
  await flush();
  const [lost, reply, back, ...rest] = env.notices();
  assert.deepEqual([lost.level, lost.sticky, lost.key],
    ['error', true, 'lost coordinator:main']);
  assert.match(lost.text, /^coordinator:main went away \(its process stopped\)/);
  // The answer to our own Subscribe (after a reconnect, say) clears it
  // without a word; the one the session pushes says so.
  assert.deepEqual([reply.silent, reply.clears, reply.text],
    [true, 'lost coordinator:main', undefined]);
  assert.deepEqual([back.level, back.clears, back.text], ['info',
    'lost coordinator:main', 'coordinator:main is back; its updates resume.']);
  assert.equal(back.silent, undefined);
  assert.deepEqual(rest, []);
});
