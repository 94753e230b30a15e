// TLS between the links and NATS: a nats-server that takes clients only
// over TLS, with a certificate from a CA made here; two hosts whose
// [cluster] ca_file names that CA run a task across them, and a host
// without it does not join.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonClient } from './lib.mjs';
import { startNats, startHost, until } from './cluster.mjs';

const COORD = 'coordinator:main';
let dir, nats, h1, h2;

// A CA and a server certificate for 127.0.0.1, by openssl.
function certificates() {
  const d = mkdtempSync(join(tmpdir(), 'actord-tls-'));
  const ssl = (...args) => execFileSync('openssl', args, { cwd: d,
    stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key',
    '-out', 'ca.pem', '-days', '1', '-subj', '/CN=actord test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'srv.key', '-out',
    'srv.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(d, 'ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'srv.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'srv.pem', '-days', '1', '-extfile', 'ext');
  return d;
}

before(async () => {
  dir = certificates();
  nats = await startNats(1, { tls: { cert: join(dir, 'srv.pem'),
    key: join(dir, 'srv.key') } });
  const ca = `ca_file = ${join(dir, 'ca.pem')}`;
  h1 = await startHost(nats, 0, 'h1', 'coordinator gateway', [ca]);
  h2 = await startHost(nats, 0, 'h2', 'worker gateway', [ca]);
});

after(async () => {
  for (const h of [h2, h1])
    if (h) await h.stop();
  await nats?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a cluster over TLS to NATS', () => {
  it('runs a task from h1 on a worker of h2', async () => {
    const c = await jsonClient(h1.port, '/ws');
    await c.next((m) => m.type === 'SessionEstablished');
    const ask = (type, payload) => c.reply(c.send({ to: COORD, type,
      payload }), 10000);
    await until(async () => (await ask('RegisterWorker', { workerId: 't2',
      host: 'h2' })).type === 'WorkerRegistered', 10000, 'h2 known');
    const r = await ask('AssignTask', { taskId: 'tls-1', kind: 'echo',
      input: { value: 'over tls' }, watch: true });
    assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
    const f = await c.next((m) => m.type === 'TaskFinished', 10000,
      'TaskFinished');
    assert.equal(f.payload.result, 'over tls');
    const t = (await ask('GetTask', { taskId: 'tls-1' })).payload;
    assert.equal(t.workerId, 't2');
    await c.close();
  });

  it('a host without the CA does not join', async () => {
    const h3 = await startHost(nats, 0, 'h3', 'worker', [],
      { waitFor: 'worker' });
    try {
      h3.ctl('-t', '10000', 'wait', 'link', 'up');
      await until(() => /cannot connect/.test(h3.log()), 10000,
        'the refusal in its log');
      const link = JSON.parse(h3.ctl('--json', 'inspect', 'link'))
        .inspect.link;
      assert.equal(link.natsConnected, 0);
    } finally {
      await h3.stop();
    }
  });
});
