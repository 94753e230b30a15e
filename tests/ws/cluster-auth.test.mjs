// The links' credentials to NATS beyond a user and password (those are in
// cluster.test.mjs):
//  - TLS: a nats-server that takes clients only over TLS, with a
//    certificate from a CA made here; two hosts whose [cluster] ca_file
//    names that CA run a task across them, a host without it does not join;
//  - an nkey: a nats-server that knows one user nkey; two hosts with its
//    seed run a task across them, a host with another seed does not join.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionClient } from './lib.mjs';
import { startNats, startHost, until, nkeyPair } from './cluster.mjs';

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

// A task from a session on a (the coordinator's host) to a worker
// registered on host.
async function taskAcross(a, host, tag) {
  const c = await sessionClient(a.port);
  const ask = (type, payload) => c.reply(c.send({ to: COORD, type,
    payload }), 10000);
  await until(async () => (await ask('RegisterWorker', { workerId: tag,
    host })).type === 'WorkerRegistered', 10000, `${host} known`);
  const r = await ask('AssignTask', { taskId: `${tag}-1`, kind: 'echo',
    input: { value: tag }, watch: true });
  assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
  const f = await c.next((m) => m.type === 'TaskFinished', 10000,
    'TaskFinished');
  assert.equal(f.payload.result, tag);
  const t = (await ask('GetTask', { taskId: `${tag}-1` })).payload;
  assert.equal(t.workerId, tag);
  await c.close();
}

// A host that must not get in: its link up, refused by NATS.
async function refused(nats, lines) {
  const h = await startHost(nats, 0, 'hx', 'worker', lines,
    { waitFor: 'worker' });
  try {
    h.ctl('-t', '10000', 'wait', 'link', 'up');
    await until(() => /cannot connect/.test(h.log()), 10000,
      'the refusal in its log');
    const link = JSON.parse(h.ctl('--json', 'inspect', 'link'))
      .inspect.link;
    assert.equal(link.natsConnected, 0);
  } finally {
    await h.stop();
  }
}

describe('a cluster over TLS to NATS', () => {
  it('runs a task from h1 on a worker of h2',
    () => taskAcross(h1, 'h2', 'tls'));
  it('no worker on a host without the worker role', async () => {
    const c = await sessionClient(h1.port);
    const r = await c.reply(c.send({ to: COORD, type: 'RegisterWorker',
      payload: { workerId: 'nowhere', host: 'h1' } }));
    assert.equal(r.payload.code, 'bad_payload', JSON.stringify(r));
    assert.match(r.payload.error, /h1 runs no workers/);
    await c.close();
  });
  it('a host without the CA does not join', () => refused(nats, []));
});

describe('a cluster with an nkey', () => {
  let nk, h3, h4;
  const key = nkeyPair(), other = nkeyPair();
  const seedFile = (k, name) => {
    const f = join(dir, name);
    writeFileSync(f, `${k.seed}\n`, { mode: 0o600 });
    return f;
  };
  before(async () => {
    nk = await startNats(1, { config:
      `authorization { users = [ { nkey: ${key.pub} } ] }\n` });
    const lines = [`nkey = ${key.pub}`,
      `nkey_seed_file = ${seedFile(key, 'user.nk')}`];
    h3 = await startHost(nk, 0, 'h3', 'coordinator gateway', lines);
    h4 = await startHost(nk, 0, 'h4', 'worker gateway', lines);
  });
  after(async () => {
    for (const h of [h4, h3])
      if (h) await h.stop();
    await nk?.stop();
  });
  it('runs a task from h3 on a worker of h4',
    () => taskAcross(h3, 'h4', 'nkey'));
  it('a host with another seed does not join', () => refused(nk,
    [`nkey = ${other.pub}`,
      `nkey_seed_file = ${seedFile(other, 'other.nk')}`]));
});
