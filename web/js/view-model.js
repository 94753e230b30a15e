// Pure functions from actor state to what the page shows; no DOM here.
//
// Tables and lists are given as rows: {key, cells: [{name, text, status?}],
// actions: [{action, label, ariaLabel}]}. The DOM code updates only the rows
// whose description changed, keyed by `key`.

import { formatBytes, formatClock, formatDuration, summarize } from './format.js';

const byId = new Intl.Collator(undefined, { numeric: true });
const CANCELLABLE = new Set(['queued', 'assigned', 'running', 'pending']);

// Workers, in natural id order (w2 before w10).
export function workerRows(status) {
  return status.workers
    .slice()
    .sort((a, b) => byId.compare(a.workerId, b.workerId))
    .map((w) => ({
      key: w.workerId,
      cells: [
        { name: 'id', text: w.workerId },
        { name: 'status', text: w.status, status: w.status },
        { name: 'current-task', text: w.currentTask ?? '—' },
        { name: 'processed', text: String(w.processedCount) },
      ],
      actions: [
        { action: 'inspect', label: 'Inspect',
          ariaLabel: `Inspect worker ${w.workerId}` },
        { action: 'unregister', label: 'Unregister',
          ariaLabel: `Unregister worker ${w.workerId}` },
      ],
    }));
}

// Recent tasks as the coordinator orders them; unfinished ones cancellable.
export function taskRows(status) {
  return status.recent.map((t) => ({
    key: t.taskId,
    cells: [
      { name: 'id', text: t.taskId },
      { name: 'status', text: t.status, status: t.status },
      { name: 'worker', text: t.workerId ?? '—' },
      { name: 'attempts', text: String(t.attempts) },
      { name: 'outcome', text: outcome(t) },
    ],
    actions: CANCELLABLE.has(t.status) ? [{ action: 'cancel', label: 'Cancel',
      ariaLabel: `Cancel task ${t.taskId}` }] : [],
  }));
}

// The next queued task ids, each cancellable.
export function queueRows(status) {
  return status.queue.next.map((taskId) => ({
    key: taskId,
    cells: [{ name: 'id', text: taskId }],
    actions: [{ action: 'cancel', label: 'Cancel',
      ariaLabel: `Cancel task ${taskId}` }],
  }));
}

// Queue length and the task counters, as text by element name.
export function summaryView(status) {
  const more = status.queue.length - status.queue.next.length;
  return {
    'queue-length': String(status.queue.length),
    'queue-more': more > 0 ? `and ${more} more` : '',
    'count-queued': String(status.tasks.queued),
    'count-running': String(status.tasks.running),
    'count-completed': String(status.tasks.completed),
    'count-failed': String(status.tasks.failed),
    'count-workers': String(status.workers.length),
  };
}

// Processes of the tree at time `now`; a live process's uptime advances
// from the last push.
export function treeRows(tree, now) {
  return tree.processes.map((p) => {
    const up = p.pid !== null && p.uptimeMs !== null ?
      p.uptimeMs + Math.max(0, now - tree.receivedAt) : null;
    return {
      key: p.name,
      cells: [
        { name: 'name', text: p.name },
        { name: 'pid', text: p.pid === null ? '—' : String(p.pid) },
        { name: 'state', text: p.state, status: p.state },
        { name: 'uptime', text: formatDuration(up) },
        { name: 'restarts', text: String(p.restarts) },
        { name: 'last-exit', text: formatExit(p.lastExit) },
        { name: 'memory', text: formatBytes(p.rssBytes) },
      ],
      actions: [],
    };
  });
}

// Events newest first.
export function eventRows(events) {
  const rows = [];
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    const data = summarize(e.data, 160);
    rows.push({
      key: String(e.seq),
      cells: [
        { name: 'time', text: formatClock(e.timestamp) },
        { name: 'level', text: e.level, status: e.level },
        { name: 'source', text: e.source },
        { name: 'message', text: e.message },
        { name: 'data', text: data },
      ],
      actions: [],
    });
  }
  return rows;
}

// The inspected worker's panel, or null when none is inspected.
export function workerDetailsView(d) {
  if (d === null)
    return null;
  const s = d.state;
  let text = 'Asking the worker…';
  if (d.error !== null)
    text = d.error;
  else if (s !== null)
    text = `${s.status ?? 'unknown'}; current task ` +
      `${s.currentTask ?? 'none'}; processed ${s.processedCount ?? 0}`;
  return {
    workerId: d.workerId,
    text,
    rtt: d.rttMs === null ? '' : `round trip ${d.rttMs.toFixed(1)} ms`,
  };
}

// "exit 1", "signal 9", or the server's own text.
export function formatExit(e) {
  if (e === null || e === undefined)
    return '—';
  if (typeof e === 'string')
    return e;
  if (typeof e === 'object') {
    if (Number.isFinite(e.signal) || typeof e.signal === 'string')
      return `signal ${e.signal}`;
    if (Number.isFinite(e.code))
      return `exit ${e.code}`;
  }
  return summarize(e, 40);
}

// A task's result or error as one short line.
function outcome(t) {
  if (t.error !== undefined && t.error !== null)
    return `error: ${summarize(t.error, 100)}`;
  return summarize(t.result, 100);
}
