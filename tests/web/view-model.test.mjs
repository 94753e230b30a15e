import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExit, hostTreeViews, queueRows, summaryView, taskRows,
  workerDetailsView, workerRows } from '../../web/js/view-model.js';
import { normalizeStatus } from '../../web/js/coordinator-proxy.js';
import { normalizeTree } from '../../web/js/process-tree.js';
import { formatBytes, formatClock, formatDuration, formatRate, summarize }
  from '../../web/js/format.js';

test('unfinished tasks can be cancelled, finished ones cannot', () => {
  const rows = taskRows(normalizeStatus({ recent: [
    { taskId: 't1', status: 'queued', attempts: 0 },
    { taskId: 't2', status: 'running', workerId: 'w1', attempts: 1 },
    { taskId: 't3', status: 'completed', workerId: 'w1', attempts: 1,
      result: { value: 'hi' } },
    { taskId: 't4', status: 'failed', workerId: 'w2', attempts: 3,
      error: 'boom' },
    { taskId: 't5', status: 'cancelled', attempts: 0 },
  ] }));
  assert.deepEqual(rows.map((r) => r.actions.map((a) => a.action)),
    [['cancel'], ['cancel'], [], [], []]);
  assert.deepEqual(rows[2].cells.map((c) => c.text),
    ['t3', 'completed', 'w1', '1', '{"value":"hi"}']);
  assert.equal(rows[3].cells[4].text, 'error: boom');
  assert.equal(rows[0].cells[2].text, '—');
  assert.equal(rows[1].actions[0].ariaLabel, 'Cancel task t2');
});

test('the queue shows its length, next ids and how many more wait', () => {
  const s = normalizeStatus({ queue: { length: 120, next: ['t1', 't2'] },
    tasks: { queued: 120, running: 4, completed: 900, failed: 3 } });
  assert.deepEqual(queueRows(s).map((r) => r.key), ['t1', 't2']);
  assert.deepEqual(summaryView(s), {
    'queue-length': '120', 'queue-more': 'and 118 more',
    'count-queued': '120', 'count-running': '4', 'count-completed': '900',
    'count-failed': '3', 'count-workers': '0',
  });
});

test('durations, sizes and values read naturally', () => {
  assert.equal(formatDuration(999), '0 s');
  assert.equal(formatDuration(61_000), '1 m 01 s');
  assert.equal(formatDuration(2 * 3600_000 + 5 * 60_000), '2 h 05 m');
  assert.equal(formatDuration(4 * 86400_000 + 3 * 3600_000), '4 d 03 h');
  assert.equal(formatDuration(null), '—');
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(undefined), '—');
  assert.deepEqual([0, 0.04, 2.46, 139.6, 12_345, null, -1].map(formatRate),
    ['0', '< 0.1', '2.5', '140', '12.3 k', '—', '—']);
  assert.equal(summarize('a\n  b'), 'a b');
  assert.equal(summarize('x'.repeat(300), 10), `${'x'.repeat(9)}…`);
  assert.equal(formatExit({ signal: 9 }), 'signal 9');
  assert.equal(formatExit(null), '—');
});

test('the process tree accepts sessions as a count or a list', () => {
  assert.equal(normalizeTree({ processes: [], sessions: ['a', 'b'] }, 0)
    .sessions, 2);
  assert.equal(normalizeTree({ processes: [], sessions: 7 }, 0).sessions, 7);
  assert.equal(normalizeTree({}, 0).sessions, null);
  assert.deepEqual(normalizeTree({ processes: [{ pid: 3 }, { name: 'gw',
    pid: -1 }] }, 0).processes.map((p) => [p.name, p.pid]), [['gw', null]]);
});

test('the inspected worker panel says what the worker reported', () => {
  assert.equal(workerDetailsView(null), null);
  assert.equal(workerDetailsView({ workerId: 'w1', state: null, error: null,
    rttMs: null }).text, 'Asking the worker…');
  const v = workerDetailsView({ workerId: 'w1', error: null, rttMs: 2.25,
    state: { workerId: 'w1', status: 'busy', currentTask: 't4',
      processedCount: 9 } });
  assert.equal(v.text, 'busy; current task t4; processed 9');
  assert.equal(v.rtt, 'round trip 2.3 ms');
});

test('in a cluster, each worker shows its host; with one host, no column',
  () => {
    const one = workerRows(normalizeStatus({ workers: [{ workerId: 'w1',
      status: 'idle', processedCount: 2 }] }));
    assert.deepEqual(one[0].cells.map((c) => c.name),
      ['id', 'status', 'current-task', 'processed']);
    const rows = workerRows(normalizeStatus({
      hosts: [{ host: 'h1', up: true, roles: ['coordinator'] },
        { host: 'h3', up: true, roles: ['worker'] }],
      workers: [{ workerId: 'w1', status: 'idle', processedCount: 2 },
        { workerId: 'w3', status: 'busy', currentTask: 't1',
          processedCount: 0, host: 'h3' }],
    }));
    assert.deepEqual(rows.map((r) => r.cells.map((c) => c.text)), [
      ['w1', 'idle', '—', '2', 'h1'],
      ['w3', 'busy', 't1', '0', 'h3'],
    ]);
  });

// A host as ProcessTreeActor lists it, its tree pushed at `at`.
function host(name, { local = false, up = true, stale = false, roles = [],
  downAt = null, at = 1000, processes = null, sessions = 0 } = {}) {
  return { host: name, local, up, roles, stale, downAt,
    tree: processes === null ? null : normalizeTree({ processes,
      sessions }, at) };
}

const LINK = { name: 'link', pid: 40, state: 'up', uptimeMs: 5000,
  restarts: 1, lastExit: { code: 1 }, rssBytes: 2048, msgsIn: 3,
  msgsOut: 3, countersAt: 900 };

test('every host\'s tree: this host first, the others by name, each ' +
  'labelled up or down', () => {
  const views = hostTreeViews([
    host('h10', { processes: [LINK] }),
    host('h2', { local: true, roles: ['worker', 'gateway'], sessions: 1,
      processes: [LINK] }),
    host('h1', { roles: ['coordinator', 'worker', 'gateway'], sessions: 2,
      processes: [LINK] }),
    host('h3', { up: true, stale: true }),
  ], 3000);
  assert.deepEqual(views.map((v) => [v.key, v.local, v.state, v.detail,
    v.empty]), [
    ['h2', true, 'up', 'this host · worker gateway · 1 session', ''],
    ['h1', false, 'up', 'coordinator worker gateway · 2 sessions', ''],
    ['h3', false, 'up', '', 'Waiting for h3\'s processes…'],
    ['h10', false, 'up', '0 sessions', ''],
  ]);
  assert.deepEqual(views[1].rows[0].cells.map((c) => c.text),
    ['link', '40', 'up', '7 s', '1', 'exit 1', '2.0 KiB', '—']);
});

test('a host that is down shows its last known processes, stale', () => {
  const [down, never] = hostTreeViews([
    host('h3', { up: false, stale: true, roles: ['worker'],
      downAt: 60_000, at: 59_000, processes: [LINK] }),
    host('h4', { up: false, stale: true }),
  ], 90_000);
  assert.equal(down.state, 'down');
  assert.equal(down.detail, `since ${formatClock(60_000)} · worker · ` +
    `last heard at ${formatClock(59_000)}`);
  assert.deepEqual(down.rows[0].cells.map((c) => c.text),
    ['link', '40', 'stale', '—', '1', 'exit 1', '2.0 KiB', '—']);
  assert.equal(down.rows[0].cells[2].status, 'stale');
  assert.equal(down.empty, '');
  assert.deepEqual([never.rows, never.empty],
    [[], 'h4 is down: its processes are not known.']);
  const back = hostTreeViews([host('h3', { up: true, stale: true,
    processes: [LINK] })], 90_000)[0];
  assert.equal(back.state, 'up');
  assert.equal(back.rows[0].cells[2].text, 'stale',
    'back up, but nothing from it yet');
});
