// ProcessTreeActor: the supervisor's process tree, pushed by
// system:supervisor as TreeUpdated on every change.

import { ACTOR, ADDRESS } from './names.js';
import { errorNotice } from './notices.js';

// Check and copy a TreeUpdated payload; `receivedAt` (ms) lets the view
// advance each uptime locally between pushes.
export function normalizeTree(p, receivedAt) {
  const processes = Array.isArray(p?.processes) ? p.processes
    .filter((x) => x && typeof x.name === 'string')
    .map((x) => ({
      name: x.name,
      pid: Number.isSafeInteger(x.pid) && x.pid > 0 ? x.pid : null,
      state: typeof x.state === 'string' ? x.state : 'unknown',
      uptimeMs: Number.isFinite(x.uptimeMs) ? x.uptimeMs : null,
      restarts: Number.isFinite(x.restarts) ? x.restarts : 0,
      lastExit: x.lastExit ?? null,
      rssBytes: Number.isFinite(x.rssBytes) ? x.rssBytes : null,
    })) : [];
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
  }

  // Handle Start and the supervisor's pushes.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      break;
    case 'TreeUpdated':
      ctx.send(this.ui, { type: 'Tree',
        tree: normalizeTree(msg.payload, this.now()) });
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
