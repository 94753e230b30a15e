// WorkerProxyActor: asks one worker actor (worker:<id>) for its own state.
//
// The user picks a worker to inspect; the proxy sends it GetState and a Ping
// (for the round trip through gateway, session and worker process) and asks
// again whenever the coordinator reports that worker changed. No polling.
// In a cluster the coordinator proxy says where each worker runs
// (WorkerHosts), and the worker is asked at worker:<id>@<host>.

import { ACTOR, ADDRESS } from './names.js';
import { createIdGenerator } from './ids.js';
import { PendingRequests, errorNotice } from './notices.js';

export class WorkerProxyActor {
  // Options: actor names (transport, ui), newId, and now() for round trips.
  constructor({ transport = ACTOR.transport, ui = ACTOR.ui,
    newId = createIdGenerator(), now = () => performance.now() } = {}) {
    this.transport = transport;
    this.ui = ui;
    this.newId = newId;
    this.now = now;
    this.pending = new PendingRequests(100);
    this.details = null;  /* {workerId, state, error, rttMs, loading} */
    this.hosts = new Map(); /* workerId -> host, in a cluster */
  }

  // Handle an InspectWorker/CloseDetails intent, a coordinator change (of
  // the workers, or where they run), or a reply.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'InspectWorker':
      if (typeof msg.workerId !== 'string')
        return;
      this.details = { workerId: msg.workerId, state: null, error: null,
        rttMs: null, loading: true };
      this.ask(ctx);
      this.publish(ctx);
      break;
    case 'CloseDetails':
      this.details = null;
      this.publish(ctx);
      break;
    case 'WorkerHosts':
      this.hosts = msg.hosts;
      break;
    case 'WorkersChanged':
      if (this.details !== null &&
          msg.workerIds.includes(this.details.workerId))
        this.ask(ctx);
      break;
    case 'WorkerState':
      this.onState(ctx, msg);
      break;
    case 'Pong':
      this.onPong(ctx, msg);
      break;
    case 'Error':
      this.onError(ctx, msg);
      break;
    default:
      console.warn(`worker-proxy: unexpected ${msg.type}`);
    }
  }

  // Send GetState and Ping to the inspected worker, on its host.
  ask(ctx) {
    const to = ADDRESS.worker(this.details.workerId,
      this.hosts.get(this.details.workerId) ?? null);
    for (const [type, payload] of [['GetState', {}],
      ['Ping', { sentAt: this.now() }]]) {
      const id = this.newId();
      this.pending.add(id, type, { workerId: this.details.workerId, ...payload });
      ctx.send(this.transport, { type: 'SendToServer', to, msgType: type,
        payload, from: ctx.self, id });
    }
  }

  // Keep a WorkerState if it is about the worker being inspected.
  onState(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    const workerId = msg.payload?.workerId ?? req?.payload.workerId;
    if (this.details === null || workerId !== this.details.workerId)
      return;
    this.details = { ...this.details, state: msg.payload, error: null,
      loading: false };
    this.publish(ctx);
  }

  // Record the round trip of a Ping to the inspected worker.
  onPong(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    if (req === null || this.details === null ||
        req.payload.workerId !== this.details.workerId)
      return;
    this.details = { ...this.details,
      rttMs: Math.max(0, this.now() - req.payload.sentAt) };
    this.publish(ctx);
  }

  // Show an error reply, in the details panel when it is about that worker.
  onError(ctx, msg) {
    const req = this.pending.take(msg.replyTo);
    const notice = errorNotice(msg.payload, req, msg.from);
    if (req?.type === 'Ping')
      return;  /* GetState's Error tells the user the same thing */
    ctx.send(this.ui, { type: 'Notice', ...notice });
    if (this.details !== null && req?.payload.workerId === this.details.workerId) {
      this.details = { ...this.details, error: notice.text, loading: false };
      this.publish(ctx);
    }
  }

  // Send the UI the inspected worker's details (null when none).
  publish(ctx) {
    ctx.send(this.ui, { type: 'WorkerDetails', details: this.details });
  }
}
