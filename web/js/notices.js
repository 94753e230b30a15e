// Turning server replies into short notices a person can act on.

import { summarize } from './format.js';

// Requests awaiting a reply, by message id, so a reply can name its request.
export class PendingRequests {
  // Keep at most `max` entries; the oldest are forgotten first.
  constructor(max = 500) {
    this.max = max;
    this.byId = new Map();
  }

  // Remember a request sent with `id`.
  add(id, type, payload) {
    this.byId.set(id, { type, payload });
    if (this.byId.size > this.max)
      this.byId.delete(this.byId.keys().next().value);
  }

  // Forget and return the request a reply answers, or null.
  take(replyTo) {
    const req = this.byId.get(replyTo);
    if (req === undefined)
      return null;
    this.byId.delete(replyTo);
    return req;
  }
}

// The notice for an Error reply: {level, code, text}. `request` is the
// request it answers ({type, payload}) when known; `from` the replying actor.
export function errorNotice(payload, request, from) {
  const code = typeof payload?.code === 'string' ? payload.code : 'error';
  const detail = summarize(payload?.error ?? '', 200);
  const what = request === null || request === undefined ? 'Request' :
    `${request.type}${subject(request.payload)}`;
  let text;
  if (code === 'unavailable')
    text = `${what} failed: ${unavailable(detail, from)} (its process is ` +
      'down or restarting); try again in a moment.';
  else if (code === 'rate_limited')
    text = `${what} refused: too many messages (${detail}).`;
  else
    text = `${what} failed: ${detail || code}`;
  return { level: 'error', code, text };
}

// Is this Error the session's word that a subscribed actor went away: no
// replyTo, code unavailable, and from the actor itself (the session's own
// Errors come from session:<id>)?
function isLost(msg) {
  return !msg.replyTo && msg.payload?.code === 'unavailable' &&
    typeof msg.from === 'string' && !msg.from.startsWith('session:');
}

// The notice for an Error message from the server: lostNotice() for an
// actor that went away, else errorNotice() for the request it answers.
export function serverErrorNotice(msg, request) {
  return isLost(msg) ? lostNotice(msg.payload, msg.from) :
    errorNotice(msg.payload, request, msg.from);
}

// The notice for such an Error: `from` went away (its process, or its
// host) and its pushes stop until it is back. It stays until
// backNotice(from) takes it away.
function lostNotice(payload, from) {
  const code = typeof payload?.code === 'string' ? payload.code : 'error';
  const detail = summarize(payload?.error ?? '', 200);
  const text = detail !== '' && !/^[a-z]+:\S+$/.test(detail) ? detail :
    `${detail || from} went away; its updates resume when it is back.`;
  return { level: 'error', code, text, key: `lost ${from}`, sticky: true };
}

// The notice for a Subscribed from `from`: pushed without replyTo, the
// session subscribed again for us once it was back, and says so; a reply
// (our own Subscribe, after a reconnect say) only clears lostNotice.
export function backNotice(msg) {
  const from = msg.from;
  if (msg.replyTo)
    return { level: 'info', code: 'back', clears: `lost ${from}`,
      silent: true };
  return { level: 'info', code: 'back',
    text: `${from} is back; its updates resume.`, clears: `lost ${from}` };
}

// Why an actor is unavailable: the server's text when it says more than
// the actor's address (the session says "Actor unavailable: coordinator:main
// did not answer within 5000 ms"), else "<actor> is unavailable".
function unavailable(detail, from) {
  if (detail !== '' && !/^[a-z]+:\S+$/.test(detail))
    return detail;
  return `${detail || from || 'the actor'} is unavailable`;
}

// " w1" or " t42": the worker or task a request is about, for messages.
function subject(payload) {
  if (payload === null || typeof payload !== 'object')
    return '';
  if (typeof payload.taskId === 'string')
    return ` ${payload.taskId}`;
  if (typeof payload.workerId === 'string')
    return ` ${payload.workerId}`;
  return '';
}
