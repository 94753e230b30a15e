import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_HOPS, MAX_OUTPUT_CHARS, PAGE_SIZE, TasksActor, appendOutput,
  emptyOutput, normalizeTask } from '../../web/js/tasks.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

// A TasksActor between recorder actors, with predictable ids and a clock
// and timers run by hand.
function setup() {
  const env = testRuntime(['transport', 'ui']);
  let n = 0;
  env.clock = 1_000_000;
  env.timers = [];
  env.runtime.spawn('tasks', new TasksActor({ newId: () => `id-${++n}`,
    now: () => env.clock,
    setTimer: (fn, ms) => env.timers.push({ fn, ms }) }));
  env.send = (msg) => env.runtime.send('tasks', msg);
  env.sent = () => env.inbox.transport.filter((m) => m.type === 'SendToServer');
  env.requests = (type) => env.sent().filter((m) => m.msgType === type);
  env.lists = () => env.inbox.ui.filter((m) => m.type === 'TaskList')
    .map((m) => m.list);
  env.list = () => env.lists().at(-1);
  env.detail = () => env.inbox.ui.filter((m) => m.type === 'TaskDetail')
    .at(-1).detail;
  env.notices = () => env.inbox.ui.filter((m) => m.type === 'Notice');
  // The coordinator answers a request (by its id) with type and payload.
  env.reply = (req, type, payload) => env.send(serverMsg('tasks', type,
    payload, { replyTo: req.id }));
  return env;
}

// A task summary as ListTasks gives it.
function summary(i, extra = {}) {
  return { taskId: `t${i}`, kind: i % 1000 === 0 ? 'fail' : 'echo',
    status: 'completed', queue: 'default', priority: 0, attempts: 1,
    workerId: 'w1', pinnedTo: null, createdAt: 1_700_000_000_000 + i,
    startedAt: null, finishedAt: null, runAt: null, timeoutMs: null,
    retry: null, error: null, errorCode: null, ...extra };
}

// A coordinator holding `count` tasks (t1 oldest ... t<count> newest) that
// answers ListTasks as coordinator_records.c does: newest first, below the
// cursor (the rowid, here i), and with a kind filter it looks at `scan`
// tasks at most per request, coming back short with a cursor.
function fakeCoordinator(count, { scan = 10000 } = {}) {
  const answered = [];
  return {
    answered,
    answer(env, req) {
      const p = req.payload;
      const below = p.cursor === undefined ? count + 1 : Number(p.cursor);
      const floor = p.kind ? Math.max(0, below - 1 - scan) : 0;
      const tasks = [];
      let i = below - 1;
      for (; i > floor && tasks.length < p.limit; i--) {
        const t = summary(i);
        if (!p.kind || t.kind === p.kind)
          tasks.push(t);
      }
      const more = tasks.length === p.limit ? i > 0 : floor > 0;
      const nextCursor = !more ? null : String(tasks.length === p.limit ?
        i + 1 : floor + 1);
      answered.push({ limit: p.limit, cursor: p.cursor, n: tasks.length });
      env.reply(req, 'Tasks', { tasks, nextCursor });
    },
    // Answer every ListTasks not answered yet, until none is left.
    async drain(env) {
      for (;;) {
        await flush();
        const open = env.requests('ListTasks').slice(answered.length);
        if (open.length === 0)
          return;
        for (const req of open)
          this.answer(env, req);
      }
    },
  };
}

test('the first page: ListTasks to coordinator:main, newest first, one page',
  async () => {
    const env = setup();
    env.send({ type: 'Navigate', hash: '' });
    await flush();
    const [req] = env.requests('ListTasks');
    assert.deepEqual([req.to, req.from, req.payload],
      ['coordinator:main', 'tasks', { limit: PAGE_SIZE }]);
    assert.equal(env.list().loading, true);
    assert.equal(env.list().received, false);
    const fake = fakeCoordinator(120);
    await fake.drain(env);
    const l = env.list();
    assert.deepEqual(l.rows.map((t) => t.taskId).slice(0, 3),
      ['t120', 't119', 't118']);
    assert.equal(l.rows.length, PAGE_SIZE);
    assert.deepEqual([l.page, l.hasNewer, l.hasOlder, l.loading, l.received],
      [1, false, true, false, true]);
  });

test('100,000 tasks: pages of 50 by cursor, never more than a page held',
  async () => {
    const env = setup();
    const fake = fakeCoordinator(100_000);
    env.send({ type: 'Navigate', hash: '#tasks' });
    await fake.drain(env);
    const seen = [];
    for (let page = 1; page <= 20; page++) {
      const l = env.list();
      assert.equal(l.page, page);
      assert.equal(l.rows.length, PAGE_SIZE);
      seen.push(...l.rows.map((t) => t.taskId));
      env.send({ type: 'ShowPage', page: 'older' });
      await fake.drain(env);
    }
    assert.equal(seen.length, 20 * PAGE_SIZE);
    assert.equal(new Set(seen).size, seen.length, 'no task twice');
    assert.deepEqual([seen[0], seen.at(-1)], ['t100000', 't99001'],
      'newest first, no gap');
    assert.ok(env.lists().every((l) => l.rows.length <= PAGE_SIZE),
      'no TaskList holds more than a page');
    assert.ok(fake.answered.every((a) => a.limit <= PAGE_SIZE));
    assert.equal(fake.answered.length, 21, 'one ListTasks per page');
    // Back up two pages and to the newest: the same tasks as before.
    env.send({ type: 'ShowPage', page: 'newer' });
    await fake.drain(env);
    env.send({ type: 'ShowPage', page: 'newer' });
    await fake.drain(env);
    assert.equal(env.list().page, 19);
    assert.equal(env.list().rows[0].taskId, `t${100_000 - 18 * PAGE_SIZE}`);
    env.send({ type: 'ShowPage', page: 'newest' });
    await fake.drain(env);
    assert.deepEqual([env.list().page, env.list().hasNewer,
      env.list().rows[0].taskId], [1, false, 't100000']);
  });

test('a sparse filter: short pages followed, at most MAX_HOPS per page',
  async () => {
    const env = setup();
    // One task in 1000 is a "fail"; the coordinator looks at 10,000 per
    // request: 10 per request, so a page of 50 would take 5.
    const fake = fakeCoordinator(100_000);
    env.send({ type: 'Navigate', hash: '#kind=fail' });
    await fake.drain(env);
    const l = env.list();
    assert.equal(fake.answered.length, MAX_HOPS);
    assert.equal(l.rows.length, 10 * MAX_HOPS, 'what it found');
    assert.ok(l.rows.every((t) => t.kind === 'fail'));
    assert.equal(l.hasOlder, true, 'Older goes on from where it stopped');
    assert.deepEqual(env.requests('ListTasks').map((r) => r.payload.limit),
      [50, 40, 30, 20]);
    env.send({ type: 'ShowPage', page: 'older' });
    await fake.drain(env);
    assert.equal(env.list().rows[0].taskId,
      `t${100_000 - 10 * MAX_HOPS * 1000}`);
    // Only the page being shown: a filter change forgets the old one.
    env.send({ type: 'Navigate', hash: '#status=failed' });
    await flush();
    assert.deepEqual(env.list().rows, []);
    assert.deepEqual(env.requests('ListTasks').at(-1).payload,
      { limit: PAGE_SIZE, status: 'failed' });
  });

test('a reply to a page no longer wanted is dropped', async () => {
  const env = setup();
  env.send({ type: 'Navigate', hash: '#status=queued' });
  await flush();
  const old = env.requests('ListTasks')[0];
  env.send({ type: 'Navigate', hash: '#status=failed' });
  await flush();
  env.reply(old, 'Tasks', { tasks: [summary(1, { status: 'queued' })],
    nextCursor: null });
  await flush();
  assert.equal(env.list().received, false);
  assert.equal(env.list().filters.status, 'failed');
});

test('counters that change fetch the page again, one ListTasks at a time',
  async () => {
    const env = setup();
    const fake = fakeCoordinator(10);
    env.send({ type: 'Navigate', hash: '' });
    await fake.drain(env);
    assert.equal(fake.answered.length, 1);
    env.send({ type: 'TaskCountsChanged' });
    await flush();
    assert.equal(env.requests('ListTasks').length, 2, 'fetched at once');
    for (let i = 0; i < 10; i++)
      env.send({ type: 'TaskCountsChanged' });
    await flush();
    assert.equal(env.requests('ListTasks').length, 2,
      'not again while one is on its way');
    await fake.drain(env);
    assert.equal(fake.answered.length, 3, 'once more after its answer');
    await flush();
    assert.equal(env.requests('ListTasks').length, 3, 'and then rest');
    assert.equal(env.timers.length, 0, 'no timer for a one-request page');
  });

test('a page of many hops is fetched again at most every HOPS_REFRESH_MS',
  async () => {
    const env = setup();
    const fake = fakeCoordinator(100_000);
    env.send({ type: 'Navigate', hash: '#kind=fail' });
    await fake.drain(env);
    const before = fake.answered.length;
    env.send({ type: 'TaskCountsChanged' });
    env.send({ type: 'TaskCountsChanged' });
    await flush();
    assert.equal(env.requests('ListTasks').length, before, 'not at once');
    assert.equal(env.timers.length, 1);
    env.clock += env.timers[0].ms;
    env.timers[0].fn();
    await fake.drain(env);
    assert.equal(fake.answered.length, before + MAX_HOPS, 'then once');
  });

test('a task opened by its fragment is watched, and follows its end',
  async () => {
    const env = setup();
    const fake = fakeCoordinator(3);
    env.send({ type: 'Navigate', hash: '#task=t2' });
    await fake.drain(env);
    const [watch] = env.requests('WatchTask');
    assert.deepEqual(watch.payload, { taskId: 't2' });
    assert.equal(env.detail().state, 'loading');
    env.reply(watch, 'Task', { ...summary(2, { status: 'running',
      startedAt: 5 }), input: { value: 1 }, result: null, history: [] });
    await flush();
    assert.deepEqual([env.detail().state, env.detail().live,
      env.detail().task.status, env.detail().task.input],
    ['shown', true, 'running', { value: 1 }]);
    assert.equal(env.list().rows.find((t) => t.taskId === 't2').status,
      'running', 'the row follows the record');
    // The end, pushed: the row at once, the whole record asked for.
    env.send(serverMsg('tasks', 'TaskFinished', { taskId: 't2',
      status: 'failed', error: 'boom', errorCode: 'exit', attempts: 1 }));
    await flush();
    const row = env.list().rows.find((t) => t.taskId === 't2');
    assert.deepEqual([row.status, row.error], ['failed', 'boom']);
    assert.equal(env.detail().live, false);
    const [get] = env.requests('GetTask');
    assert.deepEqual(get.payload, { taskId: 't2' });
    env.reply(get, 'Task', { ...summary(2, { status: 'failed',
      error: 'boom' }), input: { value: 1 }, result: null, history: [
      { attempt: 1, workerId: 'w1', startedAt: 5, finishedAt: 9,
        status: 'failed', error: 'boom' }] });
    await flush();
    assert.deepEqual(env.detail().task.history.map((h) => h.status),
      ['failed']);
    assert.equal(env.detail().live, false);
    // Closed by the fragment: no task.
    env.send({ type: 'Navigate', hash: '#tasks' });
    await flush();
    assert.equal(env.detail(), null);
    assert.equal(env.requests('ListTasks').length, 1,
      'the list stays: the filters did not change');
  });

test('a finished task opened: one WatchTask, no second request', async () => {
  const env = setup();
  env.send({ type: 'Navigate', hash: '#task=t9' });
  await flush();
  const [watch] = env.requests('WatchTask');
  env.reply(watch, 'Task', { ...summary(9), input: null, result: 9,
    history: [] });
  env.send(serverMsg('tasks', 'TaskFinished', { taskId: 't9',
    status: 'completed', result: 9, attempts: 1 }));
  await flush();
  assert.equal(env.requests('GetTask').length, 0);
  assert.deepEqual([env.detail().state, env.detail().task.result], ['shown',
    9]);
});

test('an unknown task id says so in the details, not as a notice',
  async () => {
    const env = setup();
    env.send({ type: 'Navigate', hash: '#task=nope' });
    await flush();
    env.reply(env.requests('WatchTask')[0], 'Error', { code: 'not_found',
      error: 'Unknown task: nope' });
    await flush();
    assert.equal(env.detail().state, 'not-found');
    assert.deepEqual(env.notices(), []);
  });

test('too many watched tasks: the record is shown, not followed', async () => {
  const env = setup();
  env.send({ type: 'Navigate', hash: '#task=t1' });
  await flush();
  env.reply(env.requests('WatchTask')[0], 'Error', { code: 'rate_limited',
    error: 'Too many watched tasks: at most 1000' });
  await flush();
  const [get] = env.requests('GetTask');
  env.reply(get, 'Task', { ...summary(1, { status: 'running' }),
    input: null, result: null, history: [] });
  await flush();
  assert.deepEqual([env.detail().state, env.detail().live], ['shown', false]);
  assert.match(env.detail().note, /not updated live/i);
});

test('a running command\'s output is shown as it comes', async () => {
  const env = setup();
  env.send({ type: 'Navigate', hash: '#task=c1' });
  await flush();
  const out = (stream, offset, data, extra = {}) => env.send(serverMsg(
    'tasks', 'TaskOutput', { taskId: 'c1', stream, offset, data, ...extra }));
  out('stdout', 0, 'hello ');
  out('stdout', 6, 'wörld\n');
  out('stdout', 0, 'hello ');           /* seen already: a watch again */
  out('stderr', 0, Buffer.from('warn\n').toString('base64'),
    { encoding: 'base64' });
  out('stdout', 100, 'late\n');         /* after a hole */
  env.send(serverMsg('tasks', 'TaskOutput', { taskId: 'other',
    stream: 'stdout', offset: 0, data: 'not ours' }));
  await flush();
  const o = env.detail().output;
  assert.equal(o.stdout, 'hello wörld\n\n[… 87 bytes not received …]\nlate\n');
  assert.equal(o.stderr, 'warn\n');
});

test('output: overlaps trimmed, split characters joined, the end kept', () => {
  let s = emptyOutput();
  const bytes = Buffer.from('añb');       /* ñ is two bytes */
  s = appendOutput(s, { offset: 0, data: bytes.subarray(0, 2)
    .toString('base64'), encoding: 'base64' });
  s = appendOutput(s, { offset: 2, data: bytes.subarray(2)
    .toString('base64'), encoding: 'base64' });
  assert.equal(s.text, 'añb');
  s = appendOutput(s, { offset: 3, data: 'bcd' });   /* overlaps one byte */
  assert.equal(s.text, 'añbcd');
  assert.equal(s.received, 6);
  s = appendOutput(s, { offset: 6, data: 'x'.repeat(MAX_OUTPUT_CHARS) });
  assert.equal(s.text.length, MAX_OUTPUT_CHARS);
  assert.equal(s.cut, true);
  assert.equal(appendOutput(s, { offset: -1, data: 'y' }), s);
});

test('Retry, Cancel and Delete: requests, notices, the task as it is now',
  async () => {
    const env = setup();
    env.send({ type: 'Navigate', hash: '#task=t4' });
    await flush();
    env.reply(env.requests('WatchTask')[0], 'Task', { ...summary(4, {
      status: 'failed', error: 'boom' }), input: null, result: null,
    history: [] });
    await flush();
    env.send({ type: 'TaskAction', action: 'retry', taskId: 't4' });
    env.send({ type: 'TaskAction', action: 'nuke', taskId: 't4' });
    await flush();
    const [retry] = env.requests('RetryTask');
    assert.deepEqual(retry.payload, { taskId: 't4' });
    assert.equal(env.sent().length, 3, 'no request for an unknown action');
    env.reply(retry, 'TaskAccepted', { taskId: 't4', status: 'queued',
      position: 2 });
    await flush();
    assert.equal(env.notices().at(-1).text, 'Task t4 retried: queued ' +
      '(position 2).');
    assert.equal(env.requests('WatchTask').length, 2,
      'the open task is watched again');
    env.send({ type: 'TaskAction', action: 'cancel', taskId: 't4' });
    await flush();
    env.reply(env.requests('CancelTask')[0], 'TaskCancelled',
      { taskId: 't4' });
    await flush();
    assert.equal(env.notices().at(-1).code, 'TaskCancelled');
    env.send({ type: 'TaskAction', action: 'delete', taskId: 't4' });
    await flush();
    env.reply(env.requests('DeleteTask')[0], 'TaskDeleted', { taskId: 't4' });
    await flush();
    assert.deepEqual([env.notices().at(-1).text, env.detail().state],
      ['Task t4 deleted.', 'deleted']);
  });

test('a refused action is a notice naming it', async () => {
  const env = setup();
  env.send({ type: 'TaskAction', action: 'delete', taskId: 't7' });
  await flush();
  env.reply(env.requests('DeleteTask')[0], 'Error', { code: 'bad_payload',
    error: 'Task t7 is running: cancel it first' });
  await flush();
  const [n] = env.notices();
  assert.deepEqual([n.level, n.code, n.text], ['error', 'bad_payload',
    'DeleteTask t7 failed: Task t7 is running: cancel it first']);
});

test('a list that cannot be fetched says why in the list', async () => {
  const env = setup();
  env.send({ type: 'Navigate', hash: '' });
  await flush();
  env.reply(env.requests('ListTasks')[0], 'Error', { code: 'unavailable',
    error: 'coordinator:main' });
  await flush();
  assert.match(env.list().error, /ListTasks failed: .*unavailable/);
  assert.equal(env.list().loading, false);
  assert.deepEqual(env.notices(), []);
});

test('after a reconnect the open task is watched again and the page fetched',
  async () => {
    const env = setup();
    env.send({ type: 'Navigate', hash: '#task=t1' });
    await flush();
    env.send({ type: 'Resync' });        /* the first subscription */
    await flush();
    assert.equal(env.requests('WatchTask').length, 1);
    assert.equal(env.requests('ListTasks').length, 1);
    env.reply(env.requests('WatchTask')[0], 'Task', { ...summary(1, {
      status: 'running' }), input: null, result: null, history: [] });
    env.send({ type: 'Resync' });        /* a new session */
    await flush();
    assert.equal(env.requests('WatchTask').length, 2);
    assert.equal(env.requests('ListTasks').length, 2);
  });

test('a malformed task is left out; fields of the wrong type are null', () => {
  assert.equal(normalizeTask(null), null);
  assert.equal(normalizeTask({ status: 'queued' }), null);
  const t = normalizeTask({ taskId: 't1', attempts: 'x', workerId: 3,
    history: [null, { attempt: 1, status: 5 }] });
  assert.deepEqual([t.attempts, t.workerId, t.status, t.history],
    [0, null, 'unknown', [{ attempt: 1, workerId: null, startedAt: null,
      finishedAt: null, status: 'unknown', error: null }]]);
  assert.equal('input' in normalizeTask({ taskId: 't2' }), false,
    'a summary has no input');
});
