// TransportActor: the only code that knows about the WebSocket.
//
// Local actors ask it to send ({type: 'SendToServer', to, msgType, payload,
// from}) and register subscriptions ({type: 'AddSubscription', to, from,
// payload}; UpdateSubscription, RemoveSubscription). It wraps requests in
// the wire envelope of PROTOCOL.md, routes each inbound frame to the local
// actor its `to` names (client:<actor>), reconnects with exponential backoff
// and jitter, queues what is sent while it is offline, renews every
// subscription on each (re)connect, and tells the connection monitor about
// every change of state.
//
// Socket and timer callbacks only post messages to the actor itself, so all
// of its state changes inside receive(), one message at a time.

import { backoffDelay } from './backoff.js';
import { createIdGenerator } from './ids.js';

export const CLIENT_PREFIX = 'client:';
// A handshake that has not completed in this long is given up and retried:
// while the gateway restarts, actord keeps its listening socket, so the TCP
// connect succeeds and the WebSocket handshake would just wait.
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
// The most requests kept while offline; beyond it the oldest is dropped.
export const DEFAULT_MAX_QUEUE = 1000;

// The dashboard's WebSocket URL: /ws on the page's own host, with the page's
// ?token= passed along as `token`.
export function defaultSocketUrl(location) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = new URLSearchParams(location.search).get('token');
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `${scheme}://${location.host}/ws${query}`;
}

export class TransportActor {
  // Options: WebSocket (constructor, required), url, monitor (actor name),
  // maxQueue, connectTimeoutMs, random, newId and now (for tests), log,
  // backoff ({baseMs, capMs}).
  constructor({ WebSocket, url, monitor = 'connection-monitor',
    maxQueue = DEFAULT_MAX_QUEUE,
    connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS, random = Math.random,
    newId = createIdGenerator(), now = () => Date.now(), log = console,
    backoff = {} }) {
    if (typeof WebSocket !== 'function')
      throw new TypeError('TransportActor needs a WebSocket constructor');
    this.WebSocket = WebSocket;
    this.url = url;
    this.monitor = monitor;
    this.maxQueue = maxQueue;
    this.connectTimeoutMs = connectTimeoutMs;
    this.connectTimer = null; /* pending handshake deadline */
    this.random = random;
    this.newId = newId;
    this.now = now;
    this.log = log;
    this.backoff = backoff;

    this.ctx = null;
    this.socket = null;
    this.state = 'idle';      /* idle, connecting, open, closed */
    this.wanted = false;      /* false after Disconnect: no reconnecting */
    this.attempt = 0;         /* failed connections since the last session */
    this.timer = null;        /* pending reconnect */
    this.retryAt = null;      /* ms since epoch of that reconnect */
    this.closeInfo = null;    /* {code, reason} of the last close */
    this.sessionId = null;
    this.server = null;       /* {name, version} from SessionEstablished */
    this.maxMessageBytes = null;
    this.queue = [];          /* envelopes waiting for a connection */
    this.subscriptions = new Map(); /* "from to" -> {to, from, msgType, payload} */
  }

  // Handle one message: local requests, and socket and timer events.
  receive(msg, ctx) {
    this.ctx = ctx;
    switch (msg.type) {
    case 'Connect':
      this.wanted = true;
      if (this.state === 'idle' || this.state === 'closed')
        this.connect();
      break;
    case 'ReconnectNow':
      this.wanted = true;
      if (this.state === 'closed' || this.state === 'idle') {
        this.cancelRetry();
        this.connect();
      }
      break;
    case 'Disconnect':
      this.disconnect();
      break;
    case 'SendToServer':
      this.sendToServer(msg);
      break;
    case 'AddSubscription':
      this.subscribe(msg);
      break;
    case 'UpdateSubscription':
      this.updateSubscription(msg);
      break;
    case 'RemoveSubscription':
      this.unsubscribe(msg);
      break;
    case 'SocketOpen':
      if (msg.socket === this.socket)
        this.onOpen();
      break;
    case 'ConnectTimeout':
      if (msg.socket === this.socket && this.state === 'connecting')
        this.abandon(msg.socket);
      break;
    case 'SocketMessage':
      if (msg.socket === this.socket)
        this.onFrame(msg.data);
      break;
    case 'SocketClosed':
      if (msg.socket === this.socket)
        this.onClose(msg.code, msg.reason);
      break;
    case 'RetryTimer':
      if (msg.timer === this.timer) {
        this.timer = null;
        this.retryAt = null;
        if (this.wanted)
          this.connect();
      }
      break;
    default:
      this.log.warn(`transport: unknown local message type '${msg.type}'`);
    }
  }

  // Open a new socket and wire its events back to this actor's mailbox.
  connect() {
    const { send, self } = this.ctx;
    let socket;
    this.state = 'connecting';
    this.publish();
    try {
      socket = new this.WebSocket(this.url);
    } catch (err) {
      this.log.warn('transport: cannot create WebSocket', err);
      this.socket = null;
      this.scheduleRetry(null, String(err?.message ?? err));
      return;
    }
    this.socket = socket;
    this.clearConnectTimer();
    this.connectTimer = setTimeout(() =>
      send(self, { type: 'ConnectTimeout', socket }), this.connectTimeoutMs);
    socket.onopen = () => send(self, { type: 'SocketOpen', socket });
    socket.onmessage = (ev) =>
      send(self, { type: 'SocketMessage', socket, data: ev.data });
    socket.onclose = (ev) => send(self, {
      type: 'SocketClosed', socket, code: ev?.code ?? null,
      reason: ev?.reason ?? '',
    });
    socket.onerror = () => {};  /* a close event always follows */
  }

  // Stop for good: close the socket and cancel any retry.
  disconnect() {
    this.wanted = false;
    this.cancelRetry();
    this.clearConnectTimer();
    const socket = this.socket;
    this.socket = null;
    this.sessionId = null;
    this.state = 'closed';
    this.closeInfo = null;
    if (socket !== null) {
      try { socket.close(1000, 'client disconnect'); } catch { /* closing */ }
    }
    this.publish();
  }

  // The handshake took too long: drop that socket and retry after backoff.
  abandon(socket) {
    this.log.warn(`transport: no handshake within ${this.connectTimeoutMs} ms;` +
      ' trying again');
    this.socket = null;
    try { socket.close(); } catch { /* never opened */ }
    this.scheduleRetry(null, 'connection timed out');
  }

  clearConnectTimer() {
    if (this.connectTimer !== null)
      clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  // The socket is open: renew subscriptions, then flush the queue in order.
  onOpen() {
    this.clearConnectTimer();
    this.state = 'open';
    this.closeInfo = null;
    for (const sub of this.subscriptions.values())
      this.transmit(this.envelope(sub.to, sub.from, sub.msgType, sub.payload));
    const pending = this.queue;
    this.queue = [];
    for (const env of pending)
      this.transmit(env);
    this.publish();
  }

  // The socket closed (or never opened): forget the session, plan a retry.
  onClose(code, reason) {
    this.clearConnectTimer();
    this.socket = null;
    this.sessionId = null;
    this.scheduleRetry(code, reason);
  }

  // Enter the closed state with a reconnect planned after the backoff delay.
  scheduleRetry(code, reason) {
    this.state = 'closed';
    this.closeInfo = { code, reason };
    this.cancelRetry();
    if (this.wanted) {
      const delay = backoffDelay(this.attempt, this.random, this.backoff);
      this.attempt++;
      this.retryAt = this.now() + delay;
      const timer = setTimeout(() =>
        this.ctx.send(this.ctx.self, { type: 'RetryTimer', timer }), delay);
      this.timer = timer;
    }
    this.publish();
  }

  // Cancel a planned reconnect, if any.
  cancelRetry() {
    if (this.timer !== null)
      clearTimeout(this.timer);
    this.timer = null;
    this.retryAt = null;
  }

  // Parse one inbound frame and hand it to the local actor it is for.
  onFrame(data) {
    if (typeof data !== 'string') {
      this.log.warn('transport: ignoring a non-text frame');
      return;
    }
    let env;
    try {
      env = JSON.parse(data);
    } catch {
      this.log.warn('transport: ignoring a frame that is not JSON',
        data.slice(0, 200));
      return;
    }
    if (env === null || typeof env !== 'object' || Array.isArray(env) ||
        typeof env.type !== 'string' || typeof env.to !== 'string') {
      this.log.warn('transport: ignoring a frame without type and to',
        data.slice(0, 200));
      return;
    }
    const local = env.to.slice(CLIENT_PREFIX.length);
    if (!env.to.startsWith(CLIENT_PREFIX) || local === '' ||
        local === this.ctx.self) {
      this.log.warn(`transport: ignoring a frame for '${env.to}'`);
      return;
    }
    if (env.type === 'SessionEstablished')
      this.onSession(env.payload);
    this.ctx.send(local, env);
  }

  // Record the session the server announced; the connection counts as
  // successful from here on, so the backoff starts over.
  onSession(payload) {
    if (payload === null || typeof payload !== 'object')
      return;
    if (typeof payload.sessionId === 'string')
      this.sessionId = payload.sessionId;
    this.server = payload.server ?? null;
    const max = payload.limits?.maxMessageBytes;
    this.maxMessageBytes = Number.isFinite(max) && max > 0 ? max : null;
    this.attempt = 0;
    this.publish();
  }

  // Build and send (or queue) one request from a local actor.
  sendToServer({ to, msgType, payload, from, id }) {
    if (typeof to !== 'string' || typeof msgType !== 'string' ||
        typeof from !== 'string') {
      this.log.warn('transport: SendToServer needs to, msgType and from');
      return;
    }
    const env = this.envelope(to, from, msgType, payload, id);
    if (this.state === 'open')
      this.transmit(env);
    else
      this.enqueue(env);
  }

  // Register a subscription, renewed on every connect; sent now if open.
  subscribe({ to, from, payload = {}, msgType = 'Subscribe' }) {
    if (typeof to !== 'string' || typeof from !== 'string') {
      this.log.warn('transport: AddSubscription needs to and from');
      return;
    }
    const sub = { to, from, msgType, payload };
    this.subscriptions.set(`${from} ${to}`, sub);
    if (this.state === 'open')
      this.transmit(this.envelope(to, from, msgType, payload));
  }

  // Change the payload a subscription is renewed with (e.g. `since`),
  // without sending anything now.
  updateSubscription({ to, from, payload }) {
    const sub = this.subscriptions.get(`${from} ${to}`);
    if (sub !== undefined)
      sub.payload = payload;
  }

  // Drop a subscription and tell the server, if connected.
  unsubscribe({ to, from }) {
    if (!this.subscriptions.delete(`${from} ${to}`))
      return;
    if (this.state === 'open')
      this.transmit(this.envelope(to, from, 'Unsubscribe', {}));
  }

  // The wire envelope for a request; the timestamp is set when it leaves.
  envelope(to, from, type, payload, id) {
    return {
      to,
      from: from.startsWith(CLIENT_PREFIX) ? from : CLIENT_PREFIX + from,
      type,
      payload: payload === undefined ? {} : payload,
      id: typeof id === 'string' && id !== '' ? id : this.newId(),
      timestamp: 0,
    };
  }

  // Keep an envelope until the next connect, dropping the oldest when full.
  enqueue(env) {
    if (this.queue.length >= this.maxQueue) {
      const dropped = this.queue.shift();
      this.log.warn(`transport: offline queue full (${this.maxQueue}), ` +
        `dropped ${dropped.type} ${dropped.id} to ${dropped.to}`);
    }
    this.queue.push(env);
    this.publish();
  }

  // Write one envelope to the open socket; refuse one over the size limit.
  transmit(env) {
    env.timestamp = this.now();
    const text = JSON.stringify(env);
    if (this.maxMessageBytes !== null) {
      const bytes = new TextEncoder().encode(text).length;
      if (bytes > this.maxMessageBytes) {
        this.refuse(env, 'too_large',
          `message is ${bytes} bytes, the server's limit is ` +
          `${this.maxMessageBytes}`);
        return;
      }
    }
    try {
      this.socket.send(text);
    } catch (err) {
      this.log.warn('transport: send failed, queued for the next connection',
        err);
      this.enqueue(env);
    }
  }

  // Answer a local sender with an Error, as the server would.
  refuse(env, code, error) {
    this.log.warn(`transport: ${env.type} ${env.id} refused: ${error}`);
    this.ctx.send(env.from.slice(CLIENT_PREFIX.length), {
      to: env.from, from: 'client:transport', type: 'Error',
      payload: { code, error }, id: this.newId(), timestamp: this.now(),
      replyTo: env.id,
    });
  }

  // Tell the connection monitor where the connection stands.
  publish() {
    if (this.ctx === null || this.monitor === null)
      return;
    this.ctx.send(this.monitor, {
      type: 'ConnectionState',
      state: this.state === 'idle' ? 'closed' : this.state,
      sessionId: this.sessionId,
      server: this.server,
      attempt: this.attempt,
      retryAt: this.retryAt,
      retryInMs: this.retryAt === null ? null :
        Math.max(0, this.retryAt - this.now()),
      closeCode: this.closeInfo?.code ?? null,
      closeReason: this.closeInfo?.reason ?? '',
      queued: this.queue.length,
    });
  }
}
