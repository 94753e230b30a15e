// Pure functions from actor state to what the page shows; no DOM here.
//
// Tables and lists are given as rows: {key, cells: [{name, text, status?}],
// actions: [{action, label, ariaLabel}]}. The DOM code updates only the rows
// whose description changed, keyed by `key`.

import { formatBytes, formatClock, formatDuration, formatElapsed, formatRate,
  formatTime, summarize } from './format.js';
import { FINAL_STATUSES, TASK_STATUSES, formatRoute } from './task-route.js';

const byId = new Intl.Collator(undefined, { numeric: true });
const CANCELLABLE = new Set(['queued', 'assigned', 'running', 'pending']);

// Workers, in natural id order (w2 before w10); in a cluster, each with
// the host it runs on.
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
        ...(status.hosts ? [{ name: 'host', text: w.host ?? '—' }] : []),
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
// from the last push. A stale tree (its host is down, or has not pushed
// since it came back) shows what was last known, its states 'stale',
// without uptimes or rates.
export function treeRows(tree, now, stale = false) {
  return tree.processes.map((p) => {
    const up = !stale && p.pid !== null && p.uptimeMs !== null ?
      p.uptimeMs + Math.max(0, now - tree.receivedAt) : null;
    const state = stale ? 'stale' : p.state;
    return {
      key: p.name,
      cells: [
        { name: 'name', text: p.name },
        { name: 'pid', text: p.pid === null ? '—' : String(p.pid) },
        { name: 'state', text: state, status: state },
        { name: 'uptime', text: formatDuration(up) },
        { name: 'restarts', text: String(p.restarts) },
        { name: 'last-exit', text: formatExit(p.lastExit) },
        { name: 'memory', text: formatBytes(p.rssBytes) },
        { name: 'rate', text: formatRate(stale ? null : p.rate) },
      ],
      actions: [],
    };
  });
}

// "1 session", "3 sessions"; '' when not known.
function sessionsText(n) {
  if (n === null)
    return '';
  return `${n} session${n === 1 ? '' : 's'}`;
}

// In a cluster, the tree of each host (ProcessTreeActor's list): this
// host's first, the others in natural name order, each with its state (up
// or down), a line about it (this host, its roles, its sessions, since
// when it is down), its rows, and what to say while it has none.
export function hostTreeViews(hosts, now) {
  return hosts
    .slice()
    .sort((a, b) => Number(b.local) - Number(a.local) ||
      byId.compare(a.host, b.host))
    .map((h) => {
      const stale = !h.up || h.stale;
      const detail = [];
      if (h.local)
        detail.push('this host');
      if (!h.up && h.downAt !== null)
        detail.push(`since ${formatClock(h.downAt)}`);
      if (h.roles.length > 0)
        detail.push(h.roles.join(' '));
      if (h.tree !== null && !stale)
        detail.push(sessionsText(h.tree.sessions));
      if (h.tree !== null && stale)
        detail.push(`last heard at ${formatClock(h.tree.receivedAt)}`);
      let empty = '';
      if (h.tree === null)
        empty = h.up ? `Waiting for ${h.host}'s processes…` :
          `${h.host} is down: its processes are not known.`;
      return {
        key: h.host,
        local: h.local,
        state: h.up ? 'up' : 'down',
        detail: detail.filter((d) => d !== '').join(' · '),
        rows: h.tree === null ? [] : treeRows(h.tree, now, stale),
        empty,
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

// The counters beside summaryView's: tasks waiting for their time, and
// cancelled ones.
export function delayedSummary(status) {
  return {
    'count-scheduled': String(status.delayed.scheduled),
    'count-retrying': String(status.delayed.retrying),
    'count-cancelled': String(status.delayed.cancelled),
  };
}

// The assign form's kinds, as the coordinator lists them (GetKinds); an
// operator's command kind says so.
export function kindChoices(kinds) {
  return kinds.map((k) => ({ value: k.name,
    label: k.builtin ? k.name : `${k.name} (command)` }));
}

// One <select>'s options: "any" first, then the values, with the chosen
// one among them even when the list does not have it (yet).
function choices(any, values, chosen) {
  const all = [...new Set([...values, ...(chosen ? [chosen] : [])])];
  return [{ value: '', label: any }, ...all.map((v) => ({ value: v,
    label: v }))];
}

// The tasks view's filters: each select's options and value, and the
// worker typed.
export function taskFilterView(filters, kinds, queues) {
  return {
    status: { value: filters.status,
      options: choices('any status', TASK_STATUSES, filters.status) },
    kind: { value: filters.kind, options: choices('any kind',
      (kinds ?? []).map((k) => k.name), filters.kind) },
    queue: { value: filters.queue, options: choices('any queue',
      queues.map((q) => q.name), filters.queue) },
    workerId: filters.workerId,
  };
}

const FINAL = new Set(FINAL_STATUSES);

// What can be done to a task: Retry (failed or cancelled), Cancel (not
// ended) and Delete (ended).
export function taskActions(t) {
  const actions = [];
  const add = (action, label) => actions.push({ action, label,
    ariaLabel: `${label} task ${t.taskId}` });
  if (t.status === 'failed' || t.status === 'cancelled')
    add('retry', 'Retry');
  if (!FINAL.has(t.status))
    add('cancel', 'Cancel');
  else
    add('delete', 'Delete');
  return actions;
}

// Is any filter set?
function filtered(f) {
  return f.status !== '' || f.kind !== '' || f.queue !== '' ||
    f.workerId !== '';
}

// The tasks view's list (TasksActor's TaskList): a row per task of the
// page, its id a link to its details, and the pager.
export function taskListView(list, now) {
  const rows = list.rows.map((t) => {
    let outcome = '';
    if (t.error !== null)
      outcome = `error: ${summarize(t.error, 100)}`;
    else if ((t.status === 'scheduled' || t.status === 'retrying') &&
        t.runAt !== null)
      outcome = `runs at ${formatTime(t.runAt, now)}`;
    return {
      key: t.taskId,
      cells: [
        { name: 'id', text: t.taskId,
          href: formatRoute({ taskId: t.taskId, filters: list.filters }) },
        { name: 'status', text: t.status, status: t.status },
        { name: 'kind', text: t.kind },
        { name: 'queue', text: t.queue },
        { name: 'priority', text: t.priority === null ? '—' :
          String(t.priority) },
        { name: 'worker', text: t.workerId ?? '—' },
        { name: 'attempts', text: String(t.attempts) },
        { name: 'created', text: formatTime(t.createdAt, now) },
        { name: 'outcome', text: outcome },
      ],
      actions: taskActions(t),
    };
  });
  let empty = '';
  if (!list.received)
    empty = list.error ?? 'Loading tasks…';
  else if (rows.length === 0)
    empty = list.page > 1 ? 'No more tasks.' : filtered(list.filters) ?
      'No tasks match these filters.' : 'No tasks yet.';
  return {
    rows,
    page: `page ${list.page}${list.loading ? ', loading…' : ''}`,
    hasNewer: list.hasNewer,
    hasOlder: list.hasOlder,
    loading: list.loading,
    empty,
    error: list.received ? list.error ?? '' : '',
  };
}

// A value as the details show it: JSON, indented; '' for none.
function pretty(v) {
  if (v === null || v === undefined)
    return '';
  try {
    return typeof v === 'string' ? v : JSON.stringify(v, null, 2);
  } catch {
    return String(v);
  }
}

// A retry policy in words.
function retryText(r) {
  if (r === null)
    return '—';
  const parts = [];
  if (Number.isFinite(r.maxAttempts))
    parts.push(`at most ${r.maxAttempts} attempt${r.maxAttempts === 1 ?
      '' : 's'}`);
  if (typeof r.backoff === 'string')
    parts.push(`${r.backoff} backoff`);
  if (Number.isFinite(r.baseMs))
    parts.push(`from ${formatElapsed(r.baseMs)}`);
  if (Number.isFinite(r.maxMs))
    parts.push(`up to ${formatElapsed(r.maxMs)}`);
  if (Number.isFinite(r.jitter) && r.jitter > 0)
    parts.push(`jitter ${r.jitter}`);
  return parts.length > 0 ? parts.join(', ') : summarize(r, 80);
}

const ELAPSED = (a, b) => (a !== null && b !== null ? formatElapsed(b - a) :
  '—');

// The open task's panel (TasksActor's TaskDetail), or null when none is
// open. `kinds` tell an operator's command kind, whose output is shown.
export function taskDetailView(detail, kinds, now) {
  if (detail === null)
    return null;
  const t = detail.task;
  const v = {
    taskId: detail.taskId,
    state: detail.state,
    status: t?.status ?? '',
    message: '',
    live: detail.live ? 'updated live' : detail.note,
    fields: [],
    input: '',
    result: '',
    error: '',
    output: '',
    outputNote: '',
    history: [],
    actions: [],
  };
  switch (detail.state) {
  case 'loading':
    v.message = 'Loading…';
    return v;
  case 'not-found':
    v.message = `No task with the id ${detail.taskId}.`;
    return v;
  case 'deleted':
    v.message = `Task ${detail.taskId} was deleted.`;
    v.status = '';
    return v;
  case 'error':
    v.message = detail.error;
    return v;
  }
  v.message = detail.error;
  const field = (name, label, text) => v.fields.push({ name, label, text });
  field('kind', 'Kind', t.kind);
  field('queue', 'Queue', t.queue);
  field('priority', 'Priority', t.priority === null ? '—' :
    String(t.priority));
  field('attempts', 'Attempts', String(t.attempts));
  field('worker', 'Worker', t.workerId ?? '—');
  if (t.pinnedTo !== null)
    field('pinned', 'Pinned to', t.pinnedTo);
  field('created', 'Created', formatTime(t.createdAt, now));
  if (t.runAt !== null)
    field('run-at', 'Runs at', formatTime(t.runAt, now));
  field('started', 'Started', formatTime(t.startedAt, now));
  field('finished', 'Finished', formatTime(t.finishedAt, now));
  field('waited', 'Waited', ELAPSED(t.createdAt, t.startedAt));
  field('ran', 'Ran', ELAPSED(t.startedAt, t.finishedAt));
  field('timeout', 'Timeout', t.timeoutMs === null ? '—' :
    formatElapsed(t.timeoutMs));
  field('retry', 'Retry policy', retryText(t.retry));
  v.input = t.input === undefined ? '' : pretty(t.input) || '—';
  v.result = pretty(t.result);
  if (t.error !== null)
    v.error = t.errorCode !== null ? `${t.error} (${t.errorCode})` : t.error;
  const out = detail.output;
  v.output = [out.stdout, out.stderr].filter((s) => s !== '').join(
    out.stdout !== '' && out.stderr !== '' ? '\n--- stderr ---\n' : '');
  const command = (kinds ?? []).some((k) => k.name === t.kind && !k.builtin);
  if (v.output === '' && command && t.status === 'running')
    v.outputNote = 'The output shows here as the command writes it.';
  else if (out.cut)
    v.outputNote = 'Only the end of the output is kept here.';
  v.history = (t.history ?? []).map((h, i) => ({
    key: String(h.attempt ?? i + 1),
    cells: [
      { name: 'attempt', text: h.attempt === null ? '—' : String(h.attempt) },
      { name: 'worker', text: h.workerId ?? '—' },
      { name: 'started', text: formatTime(h.startedAt, now) },
      { name: 'ran', text: ELAPSED(h.startedAt, h.finishedAt) },
      { name: 'status', text: h.status, status: h.status },
      { name: 'error', text: h.error ?? '' },
    ],
    actions: [],
  }));
  v.actions = taskActions(t).map((a) => a.action);
  return v;
}
