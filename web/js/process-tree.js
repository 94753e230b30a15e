// ProcessTreeActor: the supervisor's process tree, pushed by
// system:supervisor as TreeUpdated on every change, and while it is
// watched, when a process's message counters moved.
//
// In a cluster (docs/cluster.md) the tree says whose it is (`host`) and
// lists the hosts as this host's link sees them, also when the
// coordinator's host is the one out of reach. The actor then follows
// every other host's tree as well, at system:supervisor@<host>:
// subscribed while the host is up, and again when it comes back (a
// restarted tree does not know the page). A host that went down keeps its
// last tree, marked stale until it pushes again.

import { ACTOR, ADDRESS } from './names.js';
import { errorNotice } from './notices.js';

const count = (n) => (Number.isSafeInteger(n) && n >= 0 ? n : null);

export const MAX_HOSTS = 64;

// Check and copy a list of hosts ({host, up, roles, incarnation}, as a
// tree and the coordinator's status carry it), bounded.
export function normalizeHosts(list) {
  return list
    .filter((h) => h && typeof h.host === 'string' && h.host !== '')
    .slice(0, MAX_HOSTS)
    .map((h) => ({
      host: h.host,
      up: h.up === true,
      roles: Array.isArray(h.roles) ?
        h.roles.filter((r) => typeof r === 'string') : [],
      incarnation: typeof h.incarnation === 'string' ? h.incarnation : '',
    }));
}

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

// The host a push comes from: the one its sender's address names
// (system:supervisor@h1), null for this host's own supervisor.
export function senderHost(from) {
  const at = typeof from === 'string' ? from.indexOf('@') : -1;
  return at < 0 || at === from.length - 1 ? null : from.slice(at + 1);
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
    this.host = null;       /* this host's name, in a cluster */
    this.hosts = null;      /* this tree's list, in a cluster */
    this.others = new Map(); /* host -> {host, up, roles, tree, stale,
                               downAt, subscribed}: every other host's */
  }

  // Handle Start and the supervisors' pushes.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      break;
    case 'TreeUpdated':
      this.onTree(ctx, msg);
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

  // A push from this host's supervisor or, in a cluster, another host's.
  onTree(ctx, msg) {
    const from = senderHost(msg.from);
    if (from === null) {
      this.tree = normalizeTree(msg.payload, this.now(), this.tree);
      if (typeof msg.payload?.host === 'string' &&
          Array.isArray(msg.payload.hosts)) {
        this.host = msg.payload.host;
        this.hosts = normalizeHosts(msg.payload.hosts);
        this.follow(ctx);
      }
    } else {
      const h = this.other(from);
      h.tree = normalizeTree(msg.payload, this.now(), h.tree);
      h.stale = false;
    }
    this.publish(ctx);
  }

  // The entry of another host, made on first mention.
  other(host) {
    let h = this.others.get(host);
    if (h === undefined) {
      h = { host, up: false, roles: [], tree: null, stale: true,
        downAt: null, subscribed: false, incarnation: null };
      this.others.set(host, h);
    }
    return h;
  }

  // Follow this tree's list of hosts: subscribe to each other host's tree
  // while it is up (once more when it comes back, or comes back as a new
  // incarnation faster than it was seen down), and mark the tree of one
  // that went down stale.  A host the list no longer names keeps what was
  // last known of it.
  follow(ctx) {
    if (this.hosts === null || this.host === null)
      return;
    for (const { host, up, roles, incarnation = '' } of this.hosts) {
      if (host === this.host)
        continue;
      const h = this.other(host);
      h.roles = roles;
      if (!up) {
        if (h.up)
          h.downAt = this.now();
        h.stale = true;
        h.subscribed = false;   /* asked again once it is back */
      } else if (!h.subscribed || h.incarnation !== incarnation) {
        // A tree that restarted knows us no more, and what we have of
        // it is its last life's.
        if (h.incarnation !== null && h.incarnation !== incarnation)
          h.stale = true;
        ctx.send(this.transport, { type: 'AddSubscription',
          to: `${this.address}@${host}`, from: ctx.self, payload: {} });
        h.subscribed = true;
      }
      h.incarnation = incarnation;
      h.up = up;
    }
  }

  // Send the UI this host's tree and, in a cluster, every host's.
  publish(ctx) {
    if (this.tree === null)
      return;
    ctx.send(this.ui, { type: 'Tree', tree: this.tree, hosts: this.cluster() });
  }

  // Every host's tree, this one's first, or null outside a cluster:
  // [{host, local, up, roles, tree, stale, downAt}].
  cluster() {
    if (this.hosts === null || this.host === null)
      return null;
    const self = this.hosts.find((h) => h.host === this.host);
    return [{ host: this.host, local: true, up: true,
      roles: self?.roles ?? [], tree: this.tree, stale: false,
      downAt: null },
    ...[...this.others.values()].map((h) => ({ host: h.host, local: false,
      up: h.up, roles: h.roles, tree: h.tree, stale: h.stale,
      downAt: h.downAt }))];
  }
}
