// ProcessTreeActor: the supervisor's process tree, pushed by
// system:supervisor as TreeUpdated on every change, and while it is
// watched, when a process's message counters moved.

import { ACTOR, ADDRESS } from './names.js';
import { errorNotice } from './notices.js';

const count = (n) => (Number.isSafeInteger(n) && n >= 0 ? n : null);

// Messages a second, in and out together, of a process between the
// earlier push's sample of its counters (`prev`, as normalized, with its
// rate) and this one's: null without an earlier sample of the same pid,
// or when a counter went down (it restarted) or the time went back; the
// earlier rate when it is the same sample again (a push for a change of
// state carries the counters as they were last taken).
export function messageRate(prev, cur) {
  if (!prev || prev.pid !== cur.pid || prev.countersAt === null ||
      cur.countersAt === null || prev.msgsIn === null ||
      prev.msgsOut === null || cur.msgsIn === null || cur.msgsOut === null)
    return null;
  const ms = cur.countersAt - prev.countersAt;
  if (ms === 0)
    return prev.rate;
  if (ms < 0 || cur.msgsIn < prev.msgsIn || cur.msgsOut < prev.msgsOut)
    return null;
  return (cur.msgsIn - prev.msgsIn + cur.msgsOut - prev.msgsOut) * 1000 / ms;
}

// Check and copy a TreeUpdated payload; `receivedAt` (ms) lets the view
// advance each uptime locally between pushes, and `prev` (the tree as
// the last push left it) gives each process's message rate.
export function normalizeTree(p, receivedAt, prev = null) {
  const before = new Map((prev?.processes ?? []).map((x) => [x.name, x]));
  const processes = Array.isArray(p?.processes) ? p.processes
    .filter((x) => x && typeof x.name === 'string')
    .map((x) => {
      const proc = {
        name: x.name,
        pid: Number.isSafeInteger(x.pid) && x.pid > 0 ? x.pid : null,
        state: typeof x.state === 'string' ? x.state : 'unknown',
        uptimeMs: Number.isFinite(x.uptimeMs) ? x.uptimeMs : null,
        restarts: Number.isFinite(x.restarts) ? x.restarts : 0,
        lastExit: x.lastExit ?? null,
        rssBytes: Number.isFinite(x.rssBytes) ? x.rssBytes : null,
        msgsIn: count(x.msgsIn),
        msgsOut: count(x.msgsOut),
        countersAt: Number.isSafeInteger(x.countersAt) && x.countersAt > 0 ?
          x.countersAt : null,
      };
      proc.rate = messageRate(before.get(x.name), proc);
      return proc;
    }) : [];
  let sessions = null;
  if (Array.isArray(p?.sessions))
    sessions = p.sessions.length;
  else if (Number.isFinite(p?.sessions))
    sessions = p.sessions;
  return { received: true, processes, sessions, receivedAt };
}

export class ProcessTreeActor {
  // Options: actor names (transport, ui), the supervisor's address, now().
  constructor({ transport = ACTOR.transport, ui = ACTOR.ui,
    address = ADDRESS.supervisor, now = () => Date.now() } = {}) {
    this.now = now;
    this.transport = transport;
    this.ui = ui;
    this.address = address;
    this.tree = null;       /* the last push's, for the rates */
  }

  // Handle Start and the supervisor's pushes.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      break;
    case 'TreeUpdated':
      this.tree = normalizeTree(msg.payload, this.now(), this.tree);
      ctx.send(this.ui, { type: 'Tree', tree: this.tree });
      break;
    case 'Subscribed':
      break;
    case 'Error':
      ctx.send(this.ui, { type: 'Notice',
        ...errorNotice(msg.payload, null, msg.from) });
      break;
    default:
      console.warn(`process-tree: unexpected ${msg.type}`);
    }
  }
}
