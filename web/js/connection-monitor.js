// ConnectionMonitorActor: what the user is told about the connection.
//
// The transport reports every change (ConnectionState); the monitor turns it
// into a view (state, session id, reconnect countdown) for the UI and, while
// a reconnect is pending, updates the countdown once per second. The
// countdown is kept out of `detail`, which the page reads out on change.

import { ACTOR } from './names.js';

// The connection view for a ConnectionState message at time `now` (ms).
export function connectionView(cs, now) {
  const state = cs?.state ?? 'connecting';
  const view = {
    state,                                 /* open, connecting, closed */
    label: 'Connecting…',
    sessionId: cs?.sessionId ?? null,
    server: cs?.server ?? null,
    retryInSeconds: null,
    queued: cs?.queued ?? 0,
    detail: '',
  };
  if (state === 'open') {
    view.label = 'Connected';
    view.detail = view.sessionId === null ? 'waiting for the session' : '';
  } else if (state === 'closed') {
    view.label = 'Disconnected';
    if (Number.isFinite(cs.retryAt))
      view.retryInSeconds = Math.max(0, Math.ceil((cs.retryAt - now) / 1000));
    if (Number.isFinite(cs.closeCode))
      view.detail = `close code ${cs.closeCode}`;
  } else if (cs?.attempt > 0) {
    view.detail = `attempt ${cs.attempt + 1}`;
  }
  if (view.queued > 0)
    view.detail += `${view.detail ? '; ' : ''}${view.queued} waiting to send`;
  return view;
}

export class ConnectionMonitorActor {
  // Options: the UI actor's name, now() for tests.
  constructor({ ui = ACTOR.ui, now = () => Date.now() } = {}) {
    this.ui = ui;
    this.now = now;
    this.current = null;  /* the last ConnectionState */
    this.timer = null;    /* the countdown's next tick */
  }

  // Handle a transport report or a countdown tick.
  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      this.publish(ctx);
      break;
    case 'ConnectionState':
      this.current = msg;
      this.publish(ctx);
      break;
    case 'Tick':
      if (msg.timer === this.timer) {
        this.timer = null;
        this.publish(ctx);
      }
      break;
    default:
      console.warn(`connection-monitor: unexpected ${msg.type}`);
    }
  }

  // Send the view, and plan the next tick while a countdown is running.
  publish(ctx) {
    const now = this.now();
    const view = connectionView(this.current, now);
    ctx.send(this.ui, { type: 'Connection', view });
    if (this.timer !== null)
      clearTimeout(this.timer);
    this.timer = null;
    if (view.retryInSeconds !== null && view.retryInSeconds > 0) {
      const untilNextSecond = (this.current.retryAt - now) % 1000 || 1000;
      const timer = setTimeout(() =>
        ctx.send(ctx.self, { type: 'Tick', timer }), untilNextSecond);
      this.timer = timer;
    }
  }
}
