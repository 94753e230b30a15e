// Shared test helpers: a fake WebSocket, a recording logger, recorder actors.

import { createRuntime } from '../../web/js/runtime.js';

// The real setImmediate, even while a test mocks the timers.
const realSetImmediate = globalThis.setImmediate;

// Resolve once every queued microtask (every pending actor delivery) ran.
export function flush() {
  return new Promise((resolve) => realSetImmediate(resolve));
}

// A logger that keeps what it was given instead of printing it.
export function recordingLog() {
  const log = { warnings: [], errors: [] };
  log.warn = (...args) => log.warnings.push(args.map(String).join(' '));
  log.error = (...args) => log.errors.push(args.map(String).join(' '));
  return log;
}

// A runtime whose warnings are recorded, plus recorder actors by name.
export function testRuntime(recorders = []) {
  const log = recordingLog();
  const runtime = createRuntime({ log });
  const inbox = {};
  for (const name of recorders) {
    inbox[name] = [];
    runtime.spawn(name, { receive: (msg) => inbox[name].push(msg) });
  }
  return { runtime, log, inbox };
}

// A stand-in for the browser's WebSocket that a test drives by hand.
export class FakeWebSocket {
  static instances = [];

  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    this.closedByClient = null;
    FakeWebSocket.instances.push(this);
  }

  static reset() {
    FakeWebSocket.instances = [];
  }

  static last() {
    return FakeWebSocket.instances.at(-1);
  }

  send(text) {
    if (this.readyState !== 1)
      throw new Error('InvalidStateError: not open');
    this.sent.push(text);
  }

  close(code, reason) {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // The parsed frames the client sent.
  frames() {
    return this.sent.map((t) => JSON.parse(t));
  }

  // Server side: accept the connection.
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }

  // Server side: send a frame (objects are JSON-encoded).
  push(frame) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame :
      JSON.stringify(frame) });
  }

  // Server side: the connection ends (or never opened).
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

// A server envelope addressed to a client actor.
export function serverMsg(to, type, payload, extra = {}) {
  return { to: `client:${to}`, from: 'coordinator:main', type, payload,
    id: `s-${Math.random().toString(36).slice(2)}`, timestamp: 1, ...extra };
}

// Fake time for a test: node:test's mocked setTimeout/setInterval, and a
// now() that advances with them (passed to the actors as their clock).
export function fakeClock(t, start = 1_700_000_000_000) {
  const apis = ['setTimeout', 'setInterval'];
  const [major, minor] = process.versions.node.split('.').map(Number);
  /* node 20.11 changed enable(apis) into enable({apis}) */
  t.mock.timers.enable(major > 20 || (major === 20 && minor >= 11) ?
    { apis } : apis);
  let elapsed = 0;
  return {
    now: () => start + elapsed,
    tick(ms) {
      elapsed += ms;
      t.mock.timers.tick(ms);
    },
  };
}
