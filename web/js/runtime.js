// A small actor runtime for the browser: named actors, asynchronous sends.
//
// An actor is an object with receive(msg, ctx). Each send is delivered in
// its own microtask, so a sender never runs inside the receiver's call stack
// and messages between two actors arrive in the order they were sent.

// Create a runtime; `log` receives warnings and errors (console by default).
export function createRuntime({ log = console } = {}) {
  const actors = new Map();

  // Deliver one message now, if its addressee still exists.
  function deliver(to, msg) {
    const entry = actors.get(to);
    if (entry === undefined) {
      log.warn(`actor runtime: no actor named '${to}', dropped`, msg);
      return;
    }
    try {
      entry.actor.receive(msg, entry.ctx);
    } catch (err) {
      log.error(`actor runtime: '${to}' failed on ${describe(msg)}`, err);
    }
  }

  // Queue a message for the actor named `to`; never throws.
  function send(to, msg) {
    queueMicrotask(() => deliver(to, msg));
  }

  // Register `actor` under `name` and return its context.
  function spawn(name, actor) {
    if (typeof name !== 'string' || name === '')
      throw new TypeError('actor name must be a non-empty string');
    if (actors.has(name))
      throw new Error(`actor '${name}' already exists`);
    if (actor === null || typeof actor.receive !== 'function')
      throw new TypeError(`actor '${name}' has no receive(msg, ctx)`);
    const ctx = { self: name, send, spawn };
    actors.set(name, { actor, ctx });
    return ctx;
  }

  // Remove an actor; messages already queued for it are then dropped.
  function stop(name) {
    return actors.delete(name);
  }

  return { spawn, send, stop, has: (name) => actors.has(name) };
}

// Name a message in a log line without dumping it whole.
function describe(msg) {
  return msg !== null && typeof msg === 'object' && typeof msg.type === 'string'
    ? msg.type : typeof msg;
}
