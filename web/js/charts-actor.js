// ChartsActor: the last ten minutes of the coordinator, for the charts.
//
// It subscribes to coordinator:main itself (through the transport, as
// client:charts), so every StatusUpdated push reaches it: each one is a
// sample of the counters (completed, failed, queue length, running).
// Nothing is polled; a local tick only slides the time axis between
// pushes, so that a quiet minute shows as a flat line, not as nothing.
// After a reconnect the transport renews the subscription and the next
// snapshot goes on where the samples stopped.

import { ACTOR, ADDRESS } from './names.js';
import { addSample, buckets, BUCKET_MS } from './charts.js';

export class ChartsActor {
  // Options: the view (createChartsView), the transport's name, the
  // coordinator's address, a clock and setInterval (tests pass their own).
  constructor({ view, transport = ACTOR.transport,
    address = ADDRESS.coordinator, now = () => Date.now(),
    setInterval: every = globalThis.setInterval } = {}) {
    this.view = view;
    this.transport = transport;
    this.address = address;
    this.now = now;
    this.every = every;
    this.samples = [];
  }

  receive(msg, ctx) {
    switch (msg.type) {
    case 'Start':
      ctx.send(this.transport, { type: 'AddSubscription', to: this.address,
        from: ctx.self, payload: {} });
      if (typeof this.every === 'function')
        this.every(() => ctx.send(ctx.self, { type: 'Tick' }), BUCKET_MS);
      this.draw();
      break;
    case 'StatusUpdated':
      this.onStatus(msg.payload);
      break;
    case 'Tick':
      this.draw();
      break;
    default:
      break;              // Subscribed, Error: nothing to draw
    }
  }

  // One push: a sample, and the charts redrawn.
  onStatus(p) {
    if (p === null || typeof p !== 'object' || p.tasks === null ||
        typeof p.tasks !== 'object')
      return;
    const n = (v) => (Number.isFinite(v) && v >= 0 ? v : 0);
    addSample(this.samples, {
      t: this.now(),
      completed: n(p.tasks.completed),
      failed: n(p.tasks.failed),
      queued: n(p.queue?.length ?? p.tasks.queued),
      running: n(p.tasks.running),
    });
    this.draw();
  }

  draw() {
    if (this.view)
      this.view.update(buckets(this.samples, this.now()));
  }
}
