import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateWorkerId, parseTaskForm, parseWorkerForm }
  from '../../web/js/forms.js';

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
