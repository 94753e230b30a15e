// Reconnection delays: exponential backoff with jitter.

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 30000;

// Delay before retry number `attempt` (0 for the first): the nominal delay
// doubles from base to cap and jitter picks a point in its upper half, so
// clients that lost the server together do not return together.
export function backoffDelay(attempt, random = Math.random,
  { baseMs = BACKOFF_BASE_MS, capMs = BACKOFF_CAP_MS } = {}) {
  const nominal = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 32));
  return Math.min(capMs, Math.round(nominal / 2 + random() * (nominal / 2)));
}
