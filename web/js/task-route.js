// Where the tasks view is, in the page's URL fragment: the task whose
// details are open and the list's filters, as "#task=t1&status=failed".
// Opening a task, closing it and changing a filter each make a history
// entry, so back and forward step through them, and a fragment can be
// shared. No DOM here.

import { NAME_RE } from './catalogue.js';

// Every status a task may have, in the order the filter offers them.
export const TASK_STATUSES = Object.freeze(['queued', 'running',
  'scheduled', 'retrying', 'completed', 'failed', 'cancelled']);
// The statuses a task ends in.
export const FINAL_STATUSES = Object.freeze(['completed', 'failed',
  'cancelled']);
// The longest task kind (TASK_KIND_MAX in common/msg.h).
export const KIND_MAX_LEN = 32;

// The fragment when no task is open and no filter is set: the tasks card.
export const TASKS_ANCHOR = '#tasks';

// No filter: every task.
export function emptyFilters() {
  return { status: '', kind: '', queue: '', workerId: '' };
}

// Is a string a task kind's name as the coordinator takes it?
export function kindValid(s) {
  return typeof s === 'string' && s.length > 0 && s.length <= KIND_MAX_LEN &&
    !/[\u0000-\u001f\u007f]/.test(s);
}

// The route a fragment names; anything it does not understand (another
// anchor such as #main, a value that cannot be one) is left out.
export function parseRoute(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const route = { taskId: null, filters: emptyFilters() };
  const name = (key) => {
    const v = params.get(key);
    return v !== null && NAME_RE.test(v) ? v : null;
  };
  route.taskId = name('task');
  const status = params.get('status');
  if (TASK_STATUSES.includes(status))
    route.filters.status = status;
  const kind = params.get('kind');
  if (kindValid(kind))
    route.filters.kind = kind;
  route.filters.queue = name('queue') ?? '';
  route.filters.workerId = name('worker') ?? '';
  return route;
}

// The fragment of a route: "#task=t1&status=failed", or TASKS_ANCHOR.
export function formatRoute({ taskId = null, filters = emptyFilters() }) {
  const params = new URLSearchParams();
  if (taskId)
    params.set('task', taskId);
  for (const [key, value] of [['status', filters.status],
    ['kind', filters.kind], ['queue', filters.queue],
    ['worker', filters.workerId]])
    if (value)
      params.set(key, value);
  const s = params.toString();
  return s === '' ? TASKS_ANCHOR : `#${s}`;
}

// Do two sets of filters ask for the same tasks?
export function sameFilters(a, b) {
  return a.status === b.status && a.kind === b.kind && a.queue === b.queue &&
    a.workerId === b.workerId;
}
