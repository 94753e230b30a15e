// EventLogActor: the live activity log from eventlog:main.
//
// It subscribes for pushed LogEvents, and when the server's lastSeq shows it
// missed events (first load, or a reconnect) it fetches the most recent ones
// with GetEvents. Events are kept in seq order, without duplicates, and only
// the last `max` of them.

import { ACTOR, ADDRESS } from './names.js';
import { backNotice, serverErrorNotice } from './notices.js';

export const MAX_EVENTS = 200;

// A bounded, seq-ordered, duplicate-free list of events.
export class EventWindow {
  constructor(max = MAX_EVENTS) {
    this.max = max;
    this.events = [];
    this.seqs = new Set();
  }

  // The highest seq held, 0 when empty.
  get lastSeq() {
    return this.events.length === 0 ? 0 : this.events.at(-1).seq;
  }

  // Add events; returns true when the list changed.
  add(list) {
    let changed = false;
    let sorted = true;
    for (const raw of list) {
      const ev = normalizeEvent(raw);
      if (ev === null || this.seqs.has(ev.seq))
        continue;
      if (this.events.length >= this.max && ev.seq < this.events[0].seq)
        continue;  /* older than everything kept */
      if (this.events.length > 0 && ev.seq < this.lastSeq)
        sorted = false;
      this.events.push(ev);
      this.seqs.add(ev.seq);
      changed = true;
    }
    if (!sorted)
      this.events.sort((a, b) => a.seq - b.seq);
    while (this.events.length > this.max)
      this.seqs.delete(this.events.shift().seq);
    return changed;
  }
}

// Check one event from the server; null when it has no usable seq.
export function normalizeEvent(e) {
  if (e === null || typeof e !== 'object' || !Number.isSafeInteger(e.seq))
    return null;
  return {
    seq: e.seq,
    timestamp: Number.isFinite(e.timestamp) ? e.timestamp : null,
    level: typeof e.level === 'string' ? e.level : 'info',
    source: typeof e.source === 'string' ? e.source : '',
    message: typeof e.message === 'string' ? e.message : '',
    data: e.data,
  };
}

export class EventLogActor {
  // Options: actor names (transport, ui), the event log's address, max.
  constructor({ transport = ACTOR.transport, ui = ACTOR.ui,
    address = ADDRESS.eventlog, max = MAX_EVENTS } = {}) {
    this.transport = transport;
    this.ui = ui;
    this.address = address;
    this.window = new EventWindow(max);
  }

  // Handle Start, pushed LogEvents and the replies to Subscribe/GetEvents.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      this.publish(ctx);
      break;
    case 'Subscribed':
      ctx.send(this.ui, { type: 'Notice', ...backNotice(msg) });
      this.catchUp(ctx, msg.payload?.lastSeq);
      break;
    case 'LogEvent':
      this.take(ctx, [{ timestamp: msg.timestamp, ...msg.payload }]);
      break;
    case 'Events':
      this.take(ctx, Array.isArray(msg.payload?.events) ?
        msg.payload.events : []);
      break;
    case 'Error':
      ctx.send(this.ui, { type: 'Notice',
        ...serverErrorNotice(msg, null) });
      break;
    default:
      console.warn(`event-log: unexpected ${msg.type}`);
    }
  }

  // Fetch the events between what is held and the server's lastSeq.
  catchUp(ctx, lastSeq) {
    const have = this.window.lastSeq;
    if (!Number.isSafeInteger(lastSeq) || lastSeq <= have)
      return;
    const since = Math.max(have, lastSeq - this.window.max);
    ctx.send(this.transport, { type: 'SendToServer', to: this.address,
      msgType: 'GetEvents', payload: { since, limit: this.window.max },
      from: ctx.self });
  }

  // Add events and, when something new arrived, tell the UI and make the
  // next (re)subscription start from the newest one held.
  take(ctx, list) {
    if (!this.window.add(list))
      return;
    ctx.send(this.transport, { type: 'UpdateSubscription', to: this.address,
      from: ctx.self, payload: { since: this.window.lastSeq } });
    this.publish(ctx);
  }

  // Send the UI the current list (oldest first).
  publish(ctx) {
    ctx.send(this.ui, { type: 'EventList',
      events: this.window.events.slice() });
  }
}
