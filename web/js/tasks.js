// TasksActor: the tasks view's side of coordinator:main.
//
// It pages through the coordinator's tasks (ListTasks: newest first,
// filtered, by cursor, PAGE_SIZE at a time: the page never holds more than
// one page, however many tasks there are), opens one task's details
// (WatchTask: its record now, one TaskFinished when it ends, and a running
// command's output as it comes), and sends the user's Retry, Cancel and
// Delete.
//
// What it shows follows the URL fragment (task-route.js): dom-view sends
// {type: 'Navigate', hash} when the page loads and on every hashchange, so
// back and forward work. The coordinator proxy, which holds the page's
// subscription to coordinator:main, hands on the pushes that concern tasks
// (TaskFinished, TaskOutput), says when the task counters of a
// StatusUpdated changed (TaskCountsChanged: the page is fetched again) and
// when the subscription was made again after a reconnect (Resync: a new
// session has no watches; the open task is watched again).
//
// One ListTasks at a time: a change that comes while one is on its way is
// fetched once it is answered, so the list asks at most once per
// StatusUpdated push, and only while the coordinator pushes. A filtered page
// whose matches are sparse may take several ListTasks (a page comes back
// short, with a cursor, when the coordinator has looked at enough tasks):
// at most MAX_HOPS, then it shows what it found and Older goes on; such a
// page is fetched again at most every HOPS_REFRESH_MS.

import { ACTOR, ADDRESS } from './names.js';
import { createIdGenerator } from './ids.js';
import { PendingRequests, errorNotice } from './notices.js';
import { FINAL_STATUSES, emptyFilters, parseRoute, sameFilters }
  from './task-route.js';

export const PAGE_SIZE = 50;
export const MAX_HOPS = 4;
export const HOPS_REFRESH_MS = 2000;
export const MAX_OUTPUT_CHARS = 64 * 1024;  /* kept per stream: the end */

const ACTIONS = { retry: 'RetryTask', cancel: 'CancelTask',
  delete: 'DeleteTask' };
const FINAL = new Set(FINAL_STATUSES);

// A number the coordinator sent, or null.
function num(n) {
  return Number.isFinite(n) ? n : null;
}

// A string it sent, or null.
function str(s) {
  return typeof s === 'string' ? s : null;
}

// One task of a Tasks page or a Task reply, checked: the fields the view
// reads, each of the right type or null (input, result and history only
// in a Task). Null when it is not a task.
export function normalizeTask(t) {
  if (t === null || typeof t !== 'object' || typeof t.taskId !== 'string')
    return null;
  const task = {
    taskId: t.taskId,
    kind: str(t.kind) ?? '',
    status: str(t.status) ?? 'unknown',
    queue: str(t.queue) ?? '',
    priority: num(t.priority),
    attempts: num(t.attempts) ?? 0,
    workerId: str(t.workerId),
    pinnedTo: str(t.pinnedTo),
    createdAt: num(t.createdAt),
    startedAt: num(t.startedAt),
    finishedAt: num(t.finishedAt),
    runAt: num(t.runAt),
    timeoutMs: num(t.timeoutMs),
    retry: t.retry && typeof t.retry === 'object' ? t.retry : null,
    error: str(t.error),
    errorCode: str(t.errorCode),
  };
  if ('input' in t || 'result' in t || 'history' in t) {
    task.input = t.input ?? null;
    task.result = t.result ?? null;
    task.history = Array.isArray(t.history) ? t.history
      .filter((h) => h !== null && typeof h === 'object')
      .map((h) => ({
        attempt: num(h.attempt),
        workerId: str(h.workerId),
        startedAt: num(h.startedAt),
        finishedAt: num(h.finishedAt),
        status: str(h.status) ?? 'unknown',
        error: str(h.error),
      })) : [];
  }
  return task;
}

// A Tasks payload: {tasks, nextCursor}, at most `max` tasks.
export function normalizeTaskPage(p, max = 500) {
  const tasks = Array.isArray(p?.tasks) ?
    p.tasks.slice(0, max).map(normalizeTask).filter((t) => t !== null) : [];
  return { tasks, nextCursor: typeof p?.nextCursor === 'string' &&
    p.nextCursor !== '' ? p.nextCursor : null };
}

// An empty output stream: the text received (its end, when long), the
// bytes of the stream that came (its next offset), and whether some were
// missed or dropped.
export function emptyOutput() {
  return { text: '', received: 0, cut: false, gap: false, decoder: null };
}

// The bytes of a TaskOutput's data: UTF-8 text, or base64.
function outputBytes(data, encoding) {
  if (encoding === 'base64') {
    try {
      return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    } catch {
      return new Uint8Array(0);
    }
  }
  return new TextEncoder().encode(data);
}

// Add a TaskOutput {offset, data, encoding?} to a stream: a chunk seen
// already (a watch made again) is skipped, one after a hole is marked,
// and only the last MAX_OUTPUT_CHARS are kept. Returns the new stream.
export function appendOutput(stream, { offset, data, encoding }) {
  if (typeof data !== 'string' || !Number.isFinite(offset) || offset < 0)
    return stream;
  let bytes = outputBytes(data, encoding);
  const end = offset + bytes.length;
  if (end <= stream.received)
    return stream;
  const s = { ...stream };
  let text = s.text;
  if (offset > s.received) {
    s.decoder = null;
    text += `\n[… ${offset - s.received} bytes not received …]\n`;
    s.gap = true;
  } else {
    bytes = bytes.subarray(s.received - offset);
  }
  s.decoder ??= new TextDecoder('utf-8');
  text += s.decoder.decode(bytes, { stream: true });
  s.received = end;
  if (text.length > MAX_OUTPUT_CHARS) {
    text = text.slice(text.length - MAX_OUTPUT_CHARS);
    s.cut = true;
  }
  s.text = text;
  return s;
}

export class TasksActor {
  // Options: actor names (transport, ui), the coordinator's address, newId
  // for message ids, now() and setTimer(fn, ms) for tests.
  constructor({ transport = ACTOR.transport, ui = ACTOR.ui,
    address = ADDRESS.coordinator, newId = createIdGenerator(),
    now = () => Date.now(), setTimer = (fn, ms) => setTimeout(fn, ms) } = {}) {
    this.transport = transport;
    this.ui = ui;
    this.address = address;
    this.newId = newId;
    this.now = now;
    this.setTimer = setTimer;
    this.pending = new PendingRequests(200);
    this.list = {
      filters: emptyFilters(),
      starts: [null],     /* the cursor each page up to this one began at */
      rows: [],
      next: null,         /* the cursor of the page below, or null */
      received: false,    /* a page has been shown */
      loading: false,
      error: null,
      reqId: null,        /* the ListTasks whose answer is awaited */
      found: [],          /* the tasks of the page being fetched */
      hops: 0,            /* its ListTasks so far */
    };
    this.stale = false;   /* the counters changed during a fetch */
    this.lastFetch = -Infinity;
    this.lastHops = 1;
    this.timer = false;   /* a refresh is waiting for HOPS_REFRESH_MS */
    this.detail = null;   /* {taskId, state, task, live, note, output} */
    this.subscriptions = 0;
  }

  // Handle an intent from the page, a note from the coordinator proxy, or
  // a reply.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      this.publishList(ctx);
      this.publishDetail(ctx);
      break;
    case 'Navigate':
      this.navigate(ctx, parseRoute(msg.hash));
      break;
    case 'ShowPage':
      this.showPage(ctx, msg.page);
      break;
    case 'TaskAction':
      if (ACTIONS[msg.action] !== undefined && typeof msg.taskId === 'string')
        this.request(ctx, ACTIONS[msg.action], { taskId: msg.taskId });
      break;
    case 'TaskCountsChanged':
      this.refreshSoon(ctx);
      break;
    case 'RefreshDue':
      this.timer = false;
      if (!this.list.loading)
        this.fetch(ctx);
      break;
    case 'Resync':
      this.resync(ctx);
      break;
    case 'Tasks':
      this.onTasks(ctx, msg);
      break;
    case 'Task':
      this.onTask(ctx, msg);
      break;
    case 'TaskFinished':
      this.onFinished(ctx, msg.payload);
      break;
    case 'TaskOutput':
      this.onOutput(ctx, msg.payload);
      break;
    case 'TaskAccepted':
    case 'TaskCancelled':
    case 'TaskDeleted':
      this.onDone(ctx, msg);
      break;
    case 'Error':
      this.onError(ctx, msg);
      break;
    default:
      console.warn(`tasks: unexpected ${msg.type}`);
    }
  }

  // Send one request to the coordinator; its id.
  request(ctx, type, payload, id = this.newId()) {
    this.pending.add(id, type, payload);
    ctx.send(this.transport, { type: 'SendToServer', to: this.address,
      msgType: type, payload, from: ctx.self, id });
    return id;
  }

  // Follow the fragment: the list's filters, and the open task.
  navigate(ctx, route) {
    const l = this.list;
    if (!sameFilters(route.filters, l.filters) || (!l.received &&
        !l.loading)) {
      l.filters = route.filters;
      l.starts = [null];
      l.rows = [];
      l.next = null;
      l.received = false;
      this.fetch(ctx);
    }
    if (route.taskId !== (this.detail?.taskId ?? null)) {
      this.detail = route.taskId === null ? null : { taskId: route.taskId,
        state: 'loading', task: null, live: false, note: '', error: '',
        output: { stdout: emptyOutput(), stderr: emptyOutput() } };
      if (route.taskId !== null)
        this.request(ctx, 'WatchTask', { taskId: route.taskId });
      this.publishDetail(ctx);
    }
    this.publishList(ctx);
  }

  // Newest, Newer (back up one page) or Older (on below this one).
  showPage(ctx, page) {
    const l = this.list;
    if (page === 'older' && l.next !== null && !l.loading)
      l.starts.push(l.next);
    else if (page === 'newer' && l.starts.length > 1)
      l.starts.pop();
    else if (page === 'newest' && l.starts.length > 1)
      l.starts = [null];
    else
      return;
    l.rows = [];
    l.next = null;
    this.fetch(ctx);
    this.publishList(ctx);
  }

  // Ask for the page that begins at the current start.
  fetch(ctx) {
    const l = this.list;
    l.loading = true;
    l.found = [];
    l.hops = 0;
    this.stale = false;
    this.lastFetch = this.now();
    this.ask(ctx, l.starts.at(-1), PAGE_SIZE);
  }

  // One ListTasks for the page being fetched.
  ask(ctx, cursor, limit) {
    const f = this.list.filters;
    const payload = { limit };
    if (f.status)
      payload.status = f.status;
    if (f.kind)
      payload.kind = f.kind;
    if (f.queue)
      payload.queue = f.queue;
    if (f.workerId)
      payload.workerId = f.workerId;
    if (cursor !== null)
      payload.cursor = cursor;
    this.list.reqId = this.request(ctx, 'ListTasks', payload);
  }

  // The counters changed: fetch the page again, now, or once the fetch
  // on its way is answered, or (a page of many hops) a little later.
  refreshSoon(ctx) {
    if (this.list.loading || this.timer) {
      this.stale = true;
      return;
    }
    const wait = this.lastHops > 1 ?
      this.lastFetch + HOPS_REFRESH_MS - this.now() : 0;
    if (wait > 0) {
      this.timer = true;
      this.setTimer(() => ctx.send(ctx.self, { type: 'RefreshDue' }), wait);
      return;
    }
    this.fetch(ctx);
  }

  // The subscription was made again: after the first, a new session,
  // which has no watches and never answers what the last one was asked.
  resync(ctx) {
    if (this.subscriptions++ === 0)
      return;
    const d = this.detail;
    if (d !== null && (d.task === null || !FINAL.has(d.task.status)) &&
        d.state !== 'not-found' && d.state !== 'deleted')
      this.request(ctx, 'WatchTask', { taskId: d.taskId });
    if (!this.timer)
      this.fetch(ctx);
  }

  // A page, or part of one.
  onTasks(ctx, msg) {
    this.pending.take(msg.replyTo);
    const l = this.list;
    if (msg.replyTo !== l.reqId)
      return;  /* a page no longer wanted */
    const page = normalizeTaskPage(msg.payload, PAGE_SIZE - l.found.length);
    l.found = l.found.concat(page.tasks);
    l.hops++;
    if (l.found.length < PAGE_SIZE && page.nextCursor !== null &&
        l.hops < MAX_HOPS) {
      this.ask(ctx, page.nextCursor, PAGE_SIZE - l.found.length);
      return;
    }
    l.rows = l.found;
    l.found = [];
    l.next = page.nextCursor;
    l.received = true;
    l.loading = false;
    l.error = null;
    l.reqId = null;
    this.lastHops = l.hops;
    this.publishList(ctx);
    if (this.stale) {
      this.stale = false;
      this.refreshSoon(ctx);
    }
  }

  // A task's record: the open one's details, or a row of the list.
  onTask(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    const task = normalizeTask(msg.payload);
    if (task === null)
      return;
    this.patchRow(ctx, task.taskId, task);
    const d = this.detail;
    if (d === null || d.taskId !== task.taskId)
      return;
    const watched = req?.type === 'WatchTask' || d.live;
    this.detail = { ...d, state: 'shown', task,
      live: watched && !FINAL.has(task.status) };
    this.publishDetail(ctx);
  }

  // TaskFinished: the row says so at once; the open task's whole record
  // (its result, its last attempt) is asked for.
  onFinished(ctx, p) {
    if (typeof p?.taskId !== 'string' || typeof p.status !== 'string')
      return;
    const change = { status: p.status, attempts: num(p.attempts) ?? 0,
      error: str(p.error), errorCode: str(p.errorCode) };
    this.patchRow(ctx, p.taskId, change);
    const d = this.detail;
    if (d === null || d.taskId !== p.taskId)
      return;
    const known = d.task !== null && d.task.status === p.status &&
      d.task.history !== undefined;
    this.detail = { ...d, live: false,
      task: d.task === null ? null : { ...d.task, ...change,
        ...('result' in p ? { result: p.result } : {}) } };
    if (!known)
      this.request(ctx, 'GetTask', { taskId: p.taskId });
    this.publishDetail(ctx);
  }

  // TaskOutput of the open task: added to its stream.
  onOutput(ctx, p) {
    const d = this.detail;
    if (d === null || p?.taskId !== d.taskId ||
        (p.stream !== 'stdout' && p.stream !== 'stderr'))
      return;
    const before = d.output[p.stream];
    const after = appendOutput(before, p);
    if (after === before)
      return;
    this.detail = { ...d, output: { ...d.output, [p.stream]: after } };
    this.publishDetail(ctx);
  }

  // Retry, Cancel or Delete done: say so, and show the task as it is now.
  onDone(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    const id = msg.payload?.taskId ?? req?.payload.taskId;
    let text;
    const d = this.detail;
    switch (msg.type) {
    case 'TaskAccepted':
      text = msg.payload?.status === 'assigned' ?
        `Task ${id} retried: running on ${msg.payload.workerId}.` :
        `Task ${id} retried: ${msg.payload?.status ?? 'queued'}` +
        (Number.isFinite(msg.payload?.position) ?
          ` (position ${msg.payload.position}).` : '.');
      this.patchRow(ctx, id, { status: msg.payload?.status === 'assigned' ?
        'running' : (msg.payload?.status ?? 'queued') });
      if (d !== null && d.taskId === id)
        this.request(ctx, 'WatchTask', { taskId: id });
      break;
    case 'TaskCancelled':
      text = `Task ${id} cancelled.`;
      if (d !== null && d.taskId === id && !d.live)
        this.request(ctx, 'GetTask', { taskId: id });
      break;
    default:
      text = `Task ${id} deleted.`;
      if (d !== null && d.taskId === id) {
        this.detail = { ...d, state: 'deleted', live: false };
        this.publishDetail(ctx);
      }
      if (this.list.rows.some((t) => t.taskId === id)) {
        this.list.rows = this.list.rows.filter((t) => t.taskId !== id);
        this.publishList(ctx);
      }
    }
    ctx.send(this.ui, { type: 'Notice', level: 'info', code: msg.type,
      text });
    this.refreshSoon(ctx);
  }

  // An Error: in the list or the details when it is about them, else a
  // notice naming the request.
  onError(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    const notice = errorNotice(msg.payload, req, msg.from);
    const code = msg.payload?.code;
    const d = this.detail;
    if (req?.type === 'ListTasks') {
      if (msg.replyTo !== this.list.reqId)
        return;
      const l = this.list;
      l.loading = false;
      l.reqId = null;
      l.error = notice.text;
      if (l.found.length > 0)
        l.rows = l.found;
      l.found = [];
      this.publishList(ctx);
      return;
    }
    if ((req?.type === 'WatchTask' || req?.type === 'GetTask') &&
        d !== null && d.taskId === req.payload.taskId) {
      if (req.type === 'WatchTask' && code === 'rate_limited') {
        /* too many watched tasks: shown, not followed */
        this.detail = { ...d, live: false,
          note: 'Not updated live: this page watches too many tasks.' };
        this.request(ctx, 'GetTask', { taskId: d.taskId });
      } else if (code === 'not_found') {
        this.detail = { ...d, state: d.state === 'deleted' ? 'deleted' :
          'not-found', live: false };
      } else {
        this.detail = { ...d, state: d.task === null ? 'error' : d.state,
          error: notice.text };
      }
      this.publishDetail(ctx);
      return;
    }
    ctx.send(this.ui, { type: 'Notice', ...notice });
  }

  // Bring a row of the list up to date with what is known of its task.
  patchRow(ctx, taskId, change) {
    const l = this.list;
    const i = l.rows.findIndex((t) => t.taskId === taskId);
    if (i === -1)
      return;
    const row = { ...l.rows[i] };
    for (const [k, v] of Object.entries(change))
      if (k in row)
        row[k] = v;
    l.rows = l.rows.slice();
    l.rows[i] = row;
    this.publishList(ctx);
  }

  // Send the UI the list as it stands.
  publishList(ctx) {
    const l = this.list;
    ctx.send(this.ui, { type: 'TaskList', list: {
      filters: { ...l.filters },
      rows: l.rows,
      page: l.starts.length,
      hasNewer: l.starts.length > 1,
      hasOlder: l.next !== null,
      received: l.received,
      loading: l.loading,
      error: l.error,
    } });
  }

  // Send the UI the open task (null when none).
  publishDetail(ctx) {
    const d = this.detail;
    ctx.send(this.ui, { type: 'TaskDetail', detail: d === null ? null : {
      taskId: d.taskId, state: d.state, task: d.task, live: d.live,
      note: d.note, error: d.error,
      output: { stdout: d.output.stdout.text, stderr: d.output.stderr.text,
        cut: d.output.stdout.cut || d.output.stderr.cut } } });
  }
}
