import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASKS_ANCHOR, emptyFilters, formatRoute, parseRoute, sameFilters }
  from '../../web/js/task-route.js';

test('a fragment names the open task and the filters, and back again', () => {
  const route = { taskId: 't-1.a_b', filters: { status: 'failed',
    kind: 'echo', queue: 'batch', workerId: 'w2' } };
  const hash = formatRoute(route);
  assert.equal(hash,
    '#task=t-1.a_b&status=failed&kind=echo&queue=batch&worker=w2');
  assert.deepEqual(parseRoute(hash), route);
  assert.deepEqual(parseRoute(formatRoute({ taskId: 'x',
    filters: emptyFilters() })), { taskId: 'x', filters: emptyFilters() });
});

test('no task and no filter: the tasks card\'s own anchor', () => {
  assert.equal(formatRoute({ taskId: null, filters: emptyFilters() }),
    TASKS_ANCHOR);
  for (const h of ['', '#', TASKS_ANCHOR, '#main', undefined])
    assert.deepEqual(parseRoute(h), { taskId: null,
      filters: emptyFilters() }, `${h}`);
});

test('what cannot be a task id, status, queue or worker is left out', () => {
  const r = parseRoute('#task=a%20b&status=lost&queue=q:1&worker=w%2F1' +
    '&kind=' + 'k'.repeat(33));
  assert.deepEqual(r, { taskId: null, filters: emptyFilters() });
  assert.equal(parseRoute('#kind=my%20job').filters.kind, 'my job',
    'a kind is any short text');
  assert.equal(parseRoute('#kind=a%0Ab').filters.kind, '',
    'but not one with a control character');
});

test('filters compare by value', () => {
  assert.ok(sameFilters(emptyFilters(), emptyFilters()));
  assert.ok(!sameFilters(emptyFilters(), { ...emptyFilters(),
    status: 'queued' }));
});
