// CoordinatorProxyActor: the dashboard's side of coordinator:main.
//
// It subscribes to the coordinator's StatusUpdated pushes, keeps the latest
// snapshot, turns the user's requests ({type: 'UserRequest', msgType,
// payload}: one of REQUESTS, the payload as on the wire) into requests to
// the coordinator, and turns the replies into notices. Each time the
// subscription is made (the first connection, and every reconnect) it asks
// for the task kinds (GetKinds), which the assign form and the tasks
// view's filter offer, and tells the tasks actor (Resync).
//
// The subscription is this actor's, so the pushes about tasks come here
// too: TaskFinished and TaskOutput go on to the tasks actor as they are,
// and a StatusUpdated whose task counters changed becomes a
// TaskCountsChanged for it.

import { ACTOR, ADDRESS } from './names.js';
import { createIdGenerator } from './ids.js';
import { normalizeHosts } from './process-tree.js';
import { PendingRequests, backNotice, serverErrorNotice }
  from './notices.js';

export const MAX_RECENT = 200;
export const MAX_QUEUE_NEXT = 50;
export const MAX_QUEUES = 64;
export const MAX_KINDS = 100;

// The requests a UserRequest may make of the coordinator.
const REQUESTS = ['RegisterWorker', 'UnregisterWorker', 'AssignTask',
  'CancelTask'];

// An empty snapshot, shown before the first StatusUpdated arrives.
export function emptyStatus() {
  return {
    received: false,
    workers: [],
    queue: { length: 0, next: [] },
    tasks: { queued: 0, running: 0, completed: 0, failed: 0 },
    recent: [],
    delayed: { scheduled: 0, retrying: 0, cancelled: 0 },
    queues: [],
    hosts: null,  /* in a cluster: [{host, up, roles}], the coordinator's first */
  };
}

// Check and copy a StatusUpdated payload into the shape the UI relies on,
// bounding the lists; malformed entries are left out.
export function normalizeStatus(p) {
  const s = emptyStatus();
  s.received = true;
  if (p === null || typeof p !== 'object')
    return s;
  if (Array.isArray(p.hosts))
    s.hosts = normalizeHosts(p.hosts);
  if (Array.isArray(p.workers))
    s.workers = p.workers
      .filter((w) => w && typeof w.workerId === 'string')
      .map((w) => {
        const worker = {
          workerId: w.workerId,
          status: typeof w.status === 'string' ? w.status : 'unknown',
          currentTask: typeof w.currentTask === 'string' ? w.currentTask :
            null,
          processedCount: count(w.processedCount),
        };
        /* In a cluster a worker says its host unless it is the
           coordinator's. */
        if (s.hosts !== null)
          worker.host = typeof w.host === 'string' && w.host !== '' ?
            w.host : s.hosts[0]?.host ?? null;
        return worker;
      });
  if (p.queue && typeof p.queue === 'object') {
    const next = Array.isArray(p.queue.next) ?
      p.queue.next.filter((id) => typeof id === 'string') : [];
    s.queue = {
      length: count(p.queue.length ?? next.length),
      next: next.slice(0, MAX_QUEUE_NEXT),
    };
  }
  if (p.tasks && typeof p.tasks === 'object')
    for (const k of Object.keys(s.tasks))
      s.tasks[k] = count(p.tasks[k]);
  if (Array.isArray(p.recent))
    s.recent = p.recent
      .filter((t) => t && typeof t.taskId === 'string')
      .slice(0, MAX_RECENT)
      .map((t) => ({
        taskId: t.taskId,
        status: typeof t.status === 'string' ? t.status : 'unknown',
        workerId: typeof t.workerId === 'string' ? t.workerId : null,
        attempts: count(t.attempts),
        result: t.result,
        error: t.error,
      }));
  if (p.tasks && typeof p.tasks === 'object')
    for (const k of Object.keys(s.delayed))
      s.delayed[k] = count(p.tasks[k]);
  if (Array.isArray(p.queue?.queues))
    s.queues = p.queue.queues
      .filter((q) => q && typeof q.name === 'string')
      .slice(0, MAX_QUEUES)
      .map((q) => ({
        name: q.name,
        paused: q.paused === true,
        queued: count(q.queued),
        running: count(q.running),
        waiting: count(q.waiting),
        concurrency: count(q.concurrency),
      }));
  return s;
}

// Did the task counters change between two snapshots?
export function countsChanged(before, after) {
  for (const part of ['tasks', 'delayed'])
    for (const k of Object.keys(after[part]))
      if (before[part][k] !== after[part][k])
        return true;
  return false;
}

// The Kinds payload: [{name, builtin, input, timeoutMs}], the well-formed.
export function normalizeKinds(p) {
  if (!Array.isArray(p?.kinds))
    return [];
  return p.kinds
    .filter((k) => k && typeof k.name === 'string' && k.name !== '')
    .slice(0, MAX_KINDS)
    .map((k) => ({
      name: k.name,
      builtin: k.builtin === true,
      input: typeof k.input === 'string' ? k.input : 'builtin',
      timeoutMs: count(k.timeoutMs),
    }));
}

// Worker ids whose row differs between two snapshots (added, changed, gone).
export function changedWorkers(before, after) {
  const old = new Map(before.workers.map((w) => [w.workerId, w]));
  const changed = [];
  for (const w of after.workers) {
    const o = old.get(w.workerId);
    old.delete(w.workerId);
    if (o === undefined || o.status !== w.status ||
        o.currentTask !== w.currentTask ||
        o.processedCount !== w.processedCount || o.host !== w.host)
      changed.push(w.workerId);
  }
  return changed.concat([...old.keys()]);
}

// Where each worker runs, in a cluster: a Map of workerId to host.
export function workerHosts(status) {
  return new Map(status.workers.map((w) => [w.workerId, w.host ?? null]));
}

export class CoordinatorProxyActor {
  // Options: actor names (transport, ui, workerProxy, tasks), the
  // coordinator's address, and newId for message ids.
  constructor({ transport = ACTOR.transport, ui = ACTOR.ui,
    workerProxy = ACTOR.workerProxy, tasks = ACTOR.tasks,
    address = ADDRESS.coordinator, newId = createIdGenerator() } = {}) {
    this.transport = transport;
    this.ui = ui;
    this.workerProxy = workerProxy;
    this.tasks = tasks;
    this.address = address;
    this.newId = newId;
    this.status = emptyStatus();
    this.pending = new PendingRequests();
  }

  // Handle a user request or a message from coordinator:main.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'UserRequest':
      if (REQUESTS.includes(msg.msgType))
        this.request(ctx, msg.msgType, msg.payload ?? {});
      else
        console.warn(`coordinator-proxy: no user request ${msg.msgType}`);
      break;
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      ctx.send(this.ui, { type: 'Coordinator', status: this.status });
      break;
    case 'StatusUpdated':
      this.onStatus(ctx, msg.payload);
      break;
    case 'WorkerRegistered':
      this.done(ctx, msg, `Worker ${msg.payload?.workerId} registered.`);
      break;
    case 'WorkerUnregistered':
      this.done(ctx, msg, `Worker ${msg.payload?.workerId} unregistered.`);
      break;
    case 'TaskAccepted':
      this.done(ctx, msg, acceptedText(msg.payload));
      break;
    case 'TaskCancelled':
      this.done(ctx, msg, `Task ${msg.payload?.taskId} cancelled.`);
      break;
    case 'Error':
      ctx.send(this.ui, { type: 'Notice', ...serverErrorNotice(msg,
        this.pending.take(msg.replyTo)) });
      break;
    case 'Subscribed':
      ctx.send(this.ui, { type: 'Notice', ...backNotice(msg) });
      this.request(ctx, 'GetKinds', {});
      ctx.send(this.tasks, { type: 'Resync' });
      break;
    case 'Kinds':
      this.pending.take(msg.replyTo);
      ctx.send(this.ui, { type: 'KindList',
        kinds: normalizeKinds(msg.payload) });
      break;
    case 'TaskFinished':
    case 'TaskOutput':
      ctx.send(this.tasks, msg);
      break;
    case 'Unsubscribed':
    case 'Pong':
      break;
    default:
      console.warn(`coordinator-proxy: unexpected ${msg.type}`);
    }
  }

  // Send one request to the coordinator, remembering it for its reply.
  request(ctx, type, payload) {
    const id = this.newId();
    this.pending.add(id, type, payload);
    ctx.send(this.transport, { type: 'SendToServer', to: this.address,
      msgType: type, payload, from: ctx.self, id });
  }

  // Take in a new snapshot and pass it on to the UI (and the changed worker
  // ids to the worker proxy, which refreshes an inspected worker). In a
  // cluster the worker proxy gets where each worker runs, which its
  // address names.
  onStatus(ctx, payload) {
    const next = normalizeStatus(payload);
    const changed = changedWorkers(this.status, next);
    const counts = this.status.received && countsChanged(this.status, next);
    this.status = next;
    ctx.send(this.ui, { type: 'Coordinator', status: next });
    if (changed.length > 0 && next.hosts !== null)
      ctx.send(this.workerProxy, { type: 'WorkerHosts',
        hosts: workerHosts(next) });
    if (changed.length > 0)
      ctx.send(this.workerProxy, { type: 'WorkersChanged', workerIds: changed });
    if (counts)
      ctx.send(this.tasks, { type: 'TaskCountsChanged' });
  }

  // A successful reply: forget its request and tell the user.
  done(ctx, msg, text) {
    this.pending.take(msg.replyTo);
    ctx.send(this.ui, { type: 'Notice', level: 'info', code: msg.type, text });
  }
}

// "Task t7 assigned to w2." or "Task t7 queued (position 3)."
function acceptedText(p) {
  if (p?.status === 'assigned')
    return `Task ${p.taskId} assigned to ${p.workerId ?? 'a worker'}.`;
  const pos = Number.isFinite(p?.position) ? ` (position ${p.position})` : '';
  return `Task ${p?.taskId} ${p?.status ?? 'accepted'}${pos}.`;
}

// A non-negative integer from an untrusted number, 0 otherwise.
function count(n) {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
