import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INPUT_RULE_HINTS, generateWorkerId, inputHint, parseTaskForm,
  parseWorkerForm } from '../../web/js/forms.js';

test('an empty worker id registers a generated one', () => {
  const r = parseWorkerForm({ workerId: '  ' }, () => 0.5);
  assert.deepEqual(r, { ok: true, payload: { workerId: 'w-iiiiii' } });
  assert.match(generateWorkerId(), /^w-[0-9a-z]{6}$/);
  assert.notEqual(generateWorkerId(), generateWorkerId());
});

test('a typed worker id is trimmed and checked', () => {
  assert.deepEqual(parseWorkerForm({ workerId: ' w1 ' }),
    { ok: true, payload: { workerId: 'w1' } });
  const bad = parseWorkerForm({ workerId: 'worker:1' });
  assert.equal(bad.ok, false);
  assert.equal(bad.field, 'worker-id');
  assert.equal(parseWorkerForm({ workerId: 'x'.repeat(65) }).ok, false);
});

test('sleep takes milliseconds or a JSON object; empty means 1000 ms', () => {
  assert.deepEqual(parseTaskForm({ kind: 'sleep', input: '' }).payloads,
    [{ kind: 'sleep', input: { ms: 1000 } }]);
  assert.deepEqual(parseTaskForm({ kind: 'sleep', input: '250' }).payloads,
    [{ kind: 'sleep', input: { ms: 250 } }]);
  assert.deepEqual(parseTaskForm({ kind: 'sleep', input: '{"ms": 5}' })
    .payloads[0].input, { ms: 5 });
  const bad = parseTaskForm({ kind: 'sleep', input: 'soon' });
  assert.deepEqual([bad.ok, bad.field], [false, 'task-input']);
});

test('echo echoes JSON or text; fail takes a message', () => {
  assert.deepEqual(parseTaskForm({ kind: 'echo', input: '[1,2]' })
    .payloads[0].input, { value: [1, 2] });
  assert.deepEqual(parseTaskForm({ kind: 'echo', input: 'hello' })
    .payloads[0].input, { value: 'hello' });
  assert.deepEqual(parseTaskForm({ kind: 'fail', input: 'boom' })
    .payloads[0].input, { message: 'boom' });
  assert.deepEqual(parseTaskForm({ kind: 'fail', input: '' })
    .payloads[0].input, { message: 'failed on purpose' });
});

test('worker, task id and count are optional and checked', () => {
  const r = parseTaskForm({ kind: 'echo', input: '1', workerId: 'w2',
    taskId: 'job', count: '3' });
  assert.deepEqual(r.payloads.map((p) => [p.taskId, p.workerId]),
    [['job-1', 'w2'], ['job-2', 'w2'], ['job-3', 'w2']]);
  assert.equal(parseTaskForm({ kind: 'echo', taskId: 'one', count: '1' })
    .payloads[0].taskId, 'one');
  assert.equal(parseTaskForm({ kind: 'echo', count: '' }).payloads.length, 1);
  assert.equal(parseTaskForm({ kind: 'echo', count: '0' }).field, 'task-count');
  assert.equal(parseTaskForm({ kind: 'echo', count: '1001' }).field,
    'task-count');
  assert.equal(parseTaskForm({ kind: 'echo', workerId: 'a b' }).field,
    'task-worker');
  assert.equal(parseTaskForm({ kind: 'nuke' }).field, 'task-kind');
});

test('ids follow the server\'s name rule (catalogue.js NAME_RE)', () => {
  for (const id of ['.w', '_w', '-1', 'w.1_a-B'])
    assert.deepEqual(parseWorkerForm({ workerId: id }),
      { ok: true, payload: { workerId: id } }, `${id} is a name`);
  assert.equal(parseTaskForm({ kind: 'echo', taskId: 't'.repeat(64) }).ok,
    true);
  const long = parseTaskForm({ kind: 'echo', taskId: 't'.repeat(65) });
  assert.deepEqual([long.ok, long.field], [false, 'task-id']);
  assert.match(long.error, /at most 64 characters/);
  const bad = parseWorkerForm({ workerId: 'w/1' });
  assert.match(bad.error, /uses only letters, digits/);
});

test('with a count, every task id sent is still a name', () => {
  const base = 't'.repeat(61);
  assert.equal(parseTaskForm({ kind: 'echo', taskId: base, count: '99' })
    .payloads.at(-1).taskId.length, 64);
  const r = parseTaskForm({ kind: 'echo', taskId: base, count: '100' });
  assert.deepEqual([r.ok, r.field], [false, 'task-id']);
  assert.match(r.error, /count of 100, a task id has at most 60 characters/);
});

test('the kinds the coordinator lists are the ones accepted', () => {
  const kinds = [{ name: 'echo', builtin: true, input: 'builtin' },
    { name: 'report', builtin: false, input: 'stdin' },
    { name: 'backup', builtin: false, input: 'args' },
    { name: 'rotate', builtin: false, input: 'none' }];
  const one = (kind, input) => parseTaskForm({ kind, input }, kinds);
  assert.equal(one('sleep', '').field, 'task-kind',
    'a built-in this coordinator does not list');
  assert.deepEqual(one('echo', 'x').payloads[0], { kind: 'echo',
    input: { value: 'x' } });
  assert.deepEqual(one('report', '{"day": 3}').payloads[0].input,
    { day: 3 }, 'stdin: JSON as it is');
  assert.equal(one('report', 'plain words').payloads[0].input,
    'plain words', 'or text, as a string');
  assert.deepEqual(one('report', '').payloads[0], { kind: 'report' },
    'empty: no input');
  assert.deepEqual(one('backup', '--full  /srv').payloads[0].input,
    ['--full', '/srv'], 'args: words');
  assert.deepEqual(one('backup', '["a b", "c"]').payloads[0].input,
    ['a b', 'c'], 'or a JSON array of strings');
  assert.equal(one('backup', '[1, 2]').field, 'task-input');
  assert.deepEqual(one('rotate', '').payloads[0], { kind: 'rotate' });
  assert.match(one('rotate', 'x').error, /takes no input/);
  assert.equal(inputHint('backup', kinds), INPUT_RULE_HINTS.args);
  assert.match(inputHint('echo', kinds), /value to echo/);
  assert.equal(inputHint('gone', kinds), '');
});

test('queue, priority, delay and attempts are sent only when set', () => {
  const p = (o) => parseTaskForm({ kind: 'echo', input: '1', ...o });
  assert.deepEqual(p({ queue: ' batch ', priority: '7', delay: '1500',
    attempts: '2' }).payloads[0], { kind: 'echo', input: { value: 1 },
    queue: 'batch', priority: 7, delayMs: 1500, retry: { maxAttempts: 2 } });
  assert.deepEqual(p({ queue: '', priority: '', delay: '0', attempts: '' })
    .payloads[0], { kind: 'echo', input: { value: 1 } });
  assert.equal(p({ queue: 'a b' }).field, 'task-queue');
  assert.equal(p({ priority: '10' }).field, 'task-priority');
  assert.equal(p({ priority: '1.5' }).field, 'task-priority');
  assert.equal(p({ delay: '-1' }).field, 'task-delay');
  assert.equal(p({ attempts: '0' }).field, 'task-attempts');
  assert.match(p({ attempts: '0' }).error, /from 1 to 1000/);
});
