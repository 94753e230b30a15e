// Message ids: unique per page load, short, and ordered by creation.

// Return a function producing ids "<prefix>-<counter>"; the random prefix
// keeps two tabs (or a reloaded page) from reusing each other's ids.
export function createIdGenerator(prefix = randomPrefix()) {
  let counter = 0;
  return () => `${prefix}-${(++counter).toString(36)}`;
}

// Eight random base-36 characters, from the platform's CSPRNG when present.
function randomPrefix() {
  const bytes = new Uint8Array(8);
  if (globalThis.crypto?.getRandomValues)
    globalThis.crypto.getRandomValues(bytes);
  else
    for (let i = 0; i < bytes.length; i++)
      bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => (b % 36).toString(36)).join('');
}
