import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UIActor, MAX_NOTICES_PER_FRAME } from '../../web/js/ui.js';
import { normalizeStatus } from '../../web/js/coordinator-proxy.js';
import { normalizeTree } from '../../web/js/process-tree.js';
import { connectionView } from '../../web/js/connection-monitor.js';
import { fakeClock, flush, serverMsg, testRuntime } from './helpers.mjs';

// A UIActor with a recording view and animation frames run by hand.
function setup(clock) {
  const env = testRuntime();
  const calls = [];
  const record = (name) => (...args) => calls.push([name, ...args]);
  const view = { connection: record('connection'),
    coordinator: record('coordinator'), tree: record('tree'),
    events: record('events'), workerDetails: record('workerDetails'),
    notices: record('notices') };
  const frames = [];
  env.runtime.spawn('ui', new UIActor({ view, now: clock?.now,
    requestFrame: (cb) => frames.push(cb) }));
  env.send = (msg) => env.runtime.send('ui', msg);
  env.calls = calls;
  env.frames = frames;
  // Run the pending animation frame and the render it triggers.
  env.frame = async () => {
    frames.splice(0).forEach((cb) => cb());
    await flush();
  };
  return env;
}

const status = (n) => normalizeStatus({ workers: Array.from({ length: n },
  (_, i) => ({ workerId: `w${i + 1}`, status: 'idle', processedCount: i })) });

test('a burst of pushes is rendered once, with the latest state', async () => {
  const env = setup();
  for (let n = 1; n <= 50; n++)
    env.send({ type: 'Coordinator', status: status(n) });
  await flush();
  assert.equal(env.frames.length, 1, 'one frame requested for the burst');
  assert.equal(env.calls.length, 0, 'nothing rendered before the frame');
  await env.frame();
  assert.equal(env.calls.length, 1);
  const [name, model] = env.calls[0];
  assert.equal(name, 'coordinator');
  assert.equal(model.workers.length, 50);
  assert.equal(model.summary['count-workers'], '50');
});

test('only the sections that changed are rendered', async () => {
  const env = setup();
  env.send({ type: 'Connection', view: connectionView({ state: 'open',
    sessionId: 's1' }, 0) });
  env.send({ type: 'EventList', events: [] });
  await flush();
  await env.frame();
  assert.deepEqual(env.calls.map((c) => c[0]).sort(), ['connection', 'events']);
  assert.equal(env.calls.find((c) => c[0] === 'connection')[1].sessionId, 's1');
});

test('workers are listed in natural id order with their counts', async () => {
  const env = setup();
  env.send({ type: 'Coordinator', status: normalizeStatus({ workers: [
    { workerId: 'w10', status: 'busy', currentTask: 't3', processedCount: 7 },
    { workerId: 'w2', status: 'idle', currentTask: null, processedCount: 0 },
  ] }) });
  await flush();
  await env.frame();
  const rows = env.calls[0][1].workers;
  assert.deepEqual(rows.map((r) => r.key), ['w2', 'w10']);
  assert.deepEqual(rows[1].cells.map((c) => c.text), ['w10', 'busy', 't3', '7']);
  assert.deepEqual(rows[0].cells.map((c) => c.text), ['w2', 'idle', '—', '0']);
});

test('notices are shown, at most a few per frame, with a count of the rest',
  async () => {
    const env = setup();
    for (let i = 1; i <= 8; i++)
      env.send({ type: 'Notice', level: 'info', code: 'TaskAccepted',
        text: `Task t${i} queued.` });
    await flush();
    await env.frame();
    const [, list, dropped] = env.calls.find((c) => c[0] === 'notices');
    assert.equal(list.length, MAX_NOTICES_PER_FRAME);
    assert.equal(list.at(-1).text, 'Task t8 queued.');
    assert.equal(dropped, 8 - MAX_NOTICES_PER_FRAME);
    env.send({ type: 'Notice', level: 'info', text: 'again' });
    await flush();
    await env.frame();
    assert.deepEqual(env.calls.at(-1)[1].map((n) => n.text), ['again'],
      'shown notices are not shown twice');
  });

test('the per-frame bound drops passing notices before one that stays or ' +
  'clears', async () => {
  const env = setup();
  env.send({ type: 'Notice', level: 'error', code: 'unavailable',
    text: 'coordinator:main went away', key: 'lost coordinator:main',
    sticky: true });
  for (let i = 1; i <= 4; i++)
    env.send({ type: 'Notice', level: 'error', code: 'unavailable',
      text: `AssignTask t${i} failed` });
  env.send({ type: 'Notice', level: 'info', code: 'back',
    clears: 'lost coordinator:main', silent: true });
  await flush();
  await env.frame();
  const [, list, dropped] = env.calls.find((c) => c[0] === 'notices');
  assert.deepEqual(list.map((n) => n.text), ['coordinator:main went away',
    'AssignTask t4 failed', undefined]);
  assert.deepEqual([list[0].sticky, list[2].clears, list[2].silent],
    [true, 'lost coordinator:main', true]);
  assert.equal(dropped, 3, 'the silent one is not counted');
});

test('an Error addressed to the ui becomes an error notice', async () => {
  const env = setup();
  env.send({ ...serverMsg('ui', 'Error', { code: 'bad_json',
    error: 'Invalid message format' }), from: 'session:s1' });
  await flush();
  await env.frame();
  const [, list] = env.calls.find((c) => c[0] === 'notices');
  assert.deepEqual([list[0].level, list[0].code], ['error', 'bad_json']);
  assert.match(list[0].text, /Invalid message format/);
});

test('process uptimes advance locally between pushes', async (t) => {
  const clock = fakeClock(t, 50_000);
  const env = setup(clock);
  env.send({ type: 'Start' });
  env.send({ type: 'Tree', tree: normalizeTree({ processes: [
    { name: 'coordinator', pid: 812, state: 'running', uptimeMs: 58_000,
      restarts: 2, lastExit: { code: 1 }, rssBytes: 3 * 1024 * 1024 },
    { name: 'worker', pid: null, state: 'backoff', uptimeMs: 0, restarts: 5,
      lastExit: 'signal 9' },
  ], sessions: 3 }, clock.now()) });
  await flush();
  await env.frame();
  const first = env.calls.filter((c) => c[0] === 'tree').at(-1)[1];
  assert.deepEqual(first.rows[0].cells.map((c) => c.text),
    ['coordinator', '812', 'running', '58 s', '2', 'exit 1', '3.0 MiB', '—']);
  assert.deepEqual(first.rows[1].cells.map((c) => c.text),
    ['worker', '—', 'backoff', '—', '5', 'signal 9', '—', '—']);
  assert.equal(first.sessions, 3);
  clock.tick(3000);
  await flush();
  await env.frame();
  const later = env.calls.filter((c) => c[0] === 'tree').at(-1)[1];
  assert.equal(later.rows[0].cells[3].text, '1 m 01 s');
  assert.equal(later.rows[1].cells[3].text, '—', 'a dead process does not age');
});

test('the tasks view: kinds, filters, the list and the open task render',
  async () => {
    const env = testRuntime();
    const calls = [];
    const view = {};
    for (const name of ['connection', 'coordinator', 'tree', 'events',
      'workerDetails', 'notices', 'kinds', 'taskFilters', 'tasks',
      'taskDetail'])
      view[name] = (...args) => calls.push([name, ...args]);
    const frames = [];
    env.runtime.spawn('ui', new UIActor({ view,
      requestFrame: (cb) => frames.push(cb) }));
    const send = (msg) => env.runtime.send('ui', msg);
    send({ type: 'KindList', kinds: [{ name: 'echo', builtin: true,
      input: 'builtin', timeoutMs: 0 }] });
    send({ type: 'TaskList', list: { filters: { status: 'failed',
      kind: '', queue: '', workerId: '' }, rows: [], page: 1,
      hasNewer: false, hasOlder: false, received: true, loading: false,
      error: null } });
    send({ type: 'TaskDetail', detail: null });
    await flush();
    assert.equal(frames.length, 1, 'one frame for all of it');
    frames.splice(0).forEach((cb) => cb());
    await flush();
    assert.deepEqual(calls.map((c) => c[0]).sort(), ['kinds', 'taskDetail',
      'taskFilters', 'tasks']);
    const filters = calls.find((c) => c[0] === 'taskFilters')[1];
    assert.equal(filters.status.value, 'failed');
    assert.deepEqual(filters.kind.options.map((o) => o.value), ['', 'echo']);
    assert.equal(calls.find((c) => c[0] === 'tasks')[1].empty,
      'No tasks match these filters.');
    assert.equal(calls.find((c) => c[0] === 'taskDetail')[1], null);
    assert.deepEqual(calls.find((c) => c[0] === 'kinds')[1].choices,
      [{ value: 'echo', label: 'echo' }]);
    // A queue appearing changes the filter's choices, not the list.
    calls.length = 0;
    send({ type: 'Coordinator', status: normalizeStatus({ queue: {
      length: 0, next: [], queues: [{ name: 'lane' }] } }) });
    await flush();
    frames.splice(0).forEach((cb) => cb());
    await flush();
    assert.deepEqual(calls.map((c) => c[0]).sort(), ['coordinator',
      'taskFilters']);
    assert.deepEqual(calls.find((c) => c[0] === 'taskFilters')[1].queue
      .options.map((o) => o.value), ['', 'lane']);
  });

test('in a cluster, the tree comes with every host\'s, and the workers ' +
  'with their hosts', async () => {
  const env = setup();
  const tree = normalizeTree({ host: 'h2', processes: [{ name: 'link',
    pid: 7, state: 'up', uptimeMs: 10 }], sessions: 1 }, 0);
  env.send({ type: 'Tree', tree, hosts: [
    { host: 'h2', local: true, up: true, roles: ['worker'], tree,
      stale: false, downAt: null },
    { host: 'h1', local: false, up: false, roles: [], tree: null,
      stale: true, downAt: null },
  ] });
  env.send({ type: 'Coordinator', status: normalizeStatus({
    hosts: [{ host: 'h1', up: true, roles: [] }],
    workers: [{ workerId: 'w1', status: 'idle' }] }) });
  await flush();
  await env.frame();
  const t = env.calls.find((c) => c[0] === 'tree')[1];
  assert.deepEqual(t.rows.map((r) => r.key), ['link']);
  assert.deepEqual(t.hosts.map((h) => [h.key, h.state, h.rows.length]),
    [['h2', 'up', 1], ['h1', 'down', 0]]);
  const c = env.calls.find((x) => x[0] === 'coordinator')[1];
  assert.equal(c.cluster, true);
  assert.equal(c.workers[0].cells.at(-1).text, 'h1');
});
