// The tasks view's view models (view-model.js): the list, the filters and
// the open task, as the page shows them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delayedSummary, kindChoices, taskActions, taskDetailView,
  taskFilterView, taskListView } from '../../web/js/view-model.js';
import { normalizeStatus } from '../../web/js/coordinator-proxy.js';
import { normalizeTask } from '../../web/js/tasks.js';
import { emptyFilters } from '../../web/js/task-route.js';
import { formatElapsed, formatTime } from '../../web/js/format.js';

const NOW = new Date(2026, 10, 26, 15, 0, 0).getTime();

const task = (id, extra = {}) => normalizeTask({ taskId: id, kind: 'echo',
  status: 'completed', queue: 'default', priority: 0, attempts: 1,
  workerId: 'w1', createdAt: NOW - 60_000, ...extra });

function list(rows, extra = {}) {
  return { filters: emptyFilters(), rows, page: 1, hasNewer: false,
    hasOlder: false, received: true, loading: false, error: null, ...extra };
}

test('a row per task: its id links to its details, its buttons fit it',
  () => {
    const v = taskListView(list([
      task('t3', { status: 'failed', error: 'boom' }),
      task('t2', { status: 'scheduled', workerId: null, attempts: 0,
        runAt: NOW + 3_600_000 }),
      task('t1'),
    ], { filters: { ...emptyFilters(), status: 'failed' } }), NOW);
    assert.deepEqual(v.rows.map((r) => r.key), ['t3', 't2', 't1']);
    const [failed, later, done] = v.rows;
    assert.deepEqual(failed.cells.map((c) => c.text), ['t3', 'failed', 'echo',
      'default', '0', 'w1', '1', '14:59:00', 'error: boom']);
    assert.equal(failed.cells[0].href, '#task=t3&status=failed',
      'the link keeps the filters');
    assert.deepEqual(failed.actions.map((a) => a.action), ['retry', 'delete']);
    assert.equal(failed.actions[0].ariaLabel, 'Retry task t3');
    assert.deepEqual(later.actions.map((a) => a.action), ['cancel']);
    assert.equal(later.cells[8].text, 'runs at 16:00:00');
    assert.equal(later.cells[5].text, '—');
    assert.deepEqual(done.actions.map((a) => a.action), ['delete']);
  });

test('what each status allows', () => {
  const acts = (status) => taskActions({ taskId: 't', status })
    .map((a) => a.action);
  assert.deepEqual(acts('queued'), ['cancel']);
  assert.deepEqual(acts('running'), ['cancel']);
  assert.deepEqual(acts('retrying'), ['cancel']);
  assert.deepEqual(acts('cancelled'), ['retry', 'delete']);
  assert.deepEqual(acts('completed'), ['delete']);
});

test('the list says what it is waiting for, or why it is empty', () => {
  assert.equal(taskListView(list([], { received: false }), NOW).empty,
    'Loading tasks…');
  assert.equal(taskListView(list([]), NOW).empty, 'No tasks yet.');
  assert.equal(taskListView(list([], { filters: { ...emptyFilters(),
    kind: 'x' } }), NOW).empty, 'No tasks match these filters.');
  assert.equal(taskListView(list([], { page: 3 }), NOW).empty,
    'No more tasks.');
  const v = taskListView(list([task('t1')], { page: 2, hasNewer: true,
    loading: true, error: 'ListTasks failed: x' }), NOW);
  assert.deepEqual([v.page, v.hasNewer, v.hasOlder, v.empty, v.error],
    ['page 2, loading…', true, false, '', 'ListTasks failed: x']);
});

test('the filters offer the statuses, the kinds and the queues', () => {
  const kinds = [{ name: 'echo', builtin: true },
    { name: 'backup', builtin: false }];
  const v = taskFilterView({ ...emptyFilters(), kind: 'gone',
    queue: 'default' }, kinds, [{ name: 'default' }, { name: 'lane' }]);
  assert.deepEqual(v.status.options.map((o) => o.value), ['', 'queued',
    'running', 'scheduled', 'retrying', 'completed', 'failed', 'cancelled']);
  assert.deepEqual(v.kind.options.map((o) => o.value),
    ['', 'echo', 'backup', 'gone'], 'the chosen one even when not listed');
  assert.equal(v.kind.value, 'gone');
  assert.deepEqual(v.queue.options.map((o) => o.label),
    ['any queue', 'default', 'lane']);
  assert.deepEqual(kindChoices(kinds), [{ value: 'echo', label: 'echo' },
    { value: 'backup', label: 'backup (command)' }]);
});

test('the open task: its fields, input, result, attempts and buttons', () => {
  const t = normalizeTask({ taskId: 't9', kind: 'echo', status: 'failed',
    queue: 'lane', priority: 4, attempts: 2, workerId: 'w2',
    pinnedTo: 'w2', createdAt: NOW - 10_000, startedAt: NOW - 9_000,
    finishedAt: NOW - 8_750, runAt: null, timeoutMs: 30_000,
    retry: { maxAttempts: 2, backoff: 'exponential', baseMs: 500 },
    error: 'its worker w2 died', errorCode: 'died', input: { value: 'x' },
    result: null, history: [
      { attempt: 1, workerId: 'w2', startedAt: NOW - 9_900,
        finishedAt: NOW - 9_500, status: 'failed', error: 'boom' },
      { attempt: 2, workerId: 'w2', startedAt: NOW - 9_000,
        finishedAt: NOW - 8_750, status: 'failed', error: 'died' }] });
  const v = taskDetailView({ taskId: 't9', state: 'shown', task: t,
    live: false, note: '', error: '',
    output: { stdout: '', stderr: '', cut: false } }, [], NOW);
  const f = Object.fromEntries(v.fields.map((x) => [x.name, x.text]));
  assert.deepEqual(f, { kind: 'echo', queue: 'lane', priority: '4',
    attempts: '2', worker: 'w2', pinned: 'w2', created: '14:59:50',
    started: '14:59:51', finished: '14:59:51', waited: '1.0 s',
    ran: '250 ms', timeout: '30 s',
    retry: 'at most 2 attempts, exponential backoff, from 500 ms' });
  assert.equal(v.input, '{\n  "value": "x"\n}');
  assert.equal(v.result, '');
  assert.equal(v.error, 'its worker w2 died (died)');
  assert.deepEqual(v.history.map((h) => h.cells.map((c) => c.text)), [
    ['1', 'w2', '14:59:50', '400 ms', 'failed', 'boom'],
    ['2', 'w2', '14:59:51', '250 ms', 'failed', 'died']]);
  assert.deepEqual(v.actions, ['retry', 'delete']);
  assert.equal(v.live, '');
});

test('the open task before, without, or after its record', () => {
  const base = { taskId: 't1', task: null, live: false, note: '', error: '',
    output: { stdout: '', stderr: '', cut: false } };
  assert.equal(taskDetailView(null, [], NOW), null);
  assert.equal(taskDetailView({ ...base, state: 'loading' }, [], NOW).message,
    'Loading…');
  const nf = taskDetailView({ ...base, state: 'not-found' }, [], NOW);
  assert.deepEqual([nf.message, nf.actions], ['No task with the id t1.', []]);
  assert.equal(taskDetailView({ ...base, state: 'deleted' }, [], NOW).message,
    'Task t1 was deleted.');
});

test('a running command: its output, or a word on where it will show', () => {
  const t = normalizeTask({ taskId: 'c1', kind: 'backup', status: 'running',
    input: ['--full'], result: null, history: [] });
  const d = (stdout, stderr) => taskDetailView({ taskId: 'c1',
    state: 'shown', task: t, live: true, note: '', error: '',
    output: { stdout, stderr, cut: false } },
  [{ name: 'backup', builtin: false }], NOW);
  assert.match(d('', '').outputNote, /as the command writes it/);
  assert.equal(d('', '').live, 'updated live');
  assert.equal(d('a\n', 'b\n').output, 'a\n\n--- stderr ---\nb\n');
  assert.equal(d('a\n', '').outputNote, '');
});

test('times and spans read naturally', () => {
  assert.equal(formatTime(NOW, NOW), '15:00:00');
  assert.equal(formatTime(NOW - 86_400_000 * 2, NOW), '2026-11-24 15:00:00');
  assert.equal(formatTime(null, NOW), '—');
  assert.equal(formatElapsed(42), '42 ms');
  assert.equal(formatElapsed(1500), '1.5 s');
  assert.equal(formatElapsed(90_000), '1 m 30 s');
  assert.deepEqual(delayedSummary(normalizeStatus({ tasks: { scheduled: 4,
    retrying: 1, cancelled: 2 } })), { 'count-scheduled': '4',
    'count-retrying': '1', 'count-cancelled': '2' });
});
