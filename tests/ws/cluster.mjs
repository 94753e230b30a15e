// A cluster on one machine for the tests: nats-servers clustered by routes
// on loopback ports, and actord trees with their own run and state
// directories and gateway ports, each a host of the cluster.

import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTree, until } from './lib.mjs';

// A port nobody listens on now (the kernel's choice, released).
export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen({ port: 0, host: '127.0.0.1' }, r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

async function listening(port) {
  return new Promise((r) => {
    const c = net.connect({ port, host: '127.0.0.1' });
    c.once('connect', () => { c.destroy(); r(true); });
    c.once('error', () => r(false));
  });
}

// n nats-servers, clustered: each routes to every other.  opts.user and
// opts.pass: clients must give them; opts.tls {cert, key}: clients must
// speak TLS; opts.config: more of nats-server's configuration (text).
export async function startNats(n, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'actord-nats-'));
  const ports = [], cports = [];
  for (let i = 0; i < n; i++) {
    ports.push(await freePort());
    cports.push(await freePort());
  }
  const servers = [];
  const conf = join(dir, 'nats.conf');
  if (opts.config) writeFileSync(conf, opts.config);
  const start = (i) => {
    const routes = cports.filter((_, j) => j !== i)
      .map((p) => `nats://127.0.0.1:${p}`).join(',');
    const child = spawn('nats-server', ['-a', '127.0.0.1',
      '-p', String(ports[i]), '--cluster_name', 'test',
      '--cluster', `nats://127.0.0.1:${cports[i]}`, '--routes', routes,
      '--pid', join(dir, `nats${i}.pid`),
      ...(opts.user ? ['--user', opts.user, '--pass', opts.pass] : []),
      ...(opts.tls ? ['--tls', '--tlscert', opts.tls.cert, '--tlskey',
        opts.tls.key] : []),
      ...(opts.config ? ['-c', conf] : [])],
    { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr.on('data', (d) => { log += d; });
    const exited = new Promise((r) => child.on('exit', (code, sig) =>
      r({ code, sig })));
    servers[i] = { child, exited, port: ports[i], log: () => log };
  };
  for (let i = 0; i < n; i++) start(i);
  for (let i = 0; i < n; i++)
    await until(() => listening(ports[i]), 10000, `nats-server ${i}`);
  // Every route up: each server logs one per peer.
  await until(() => servers.every((s) =>
    (s.log().match(/Route connection created/g) || []).length >= n - 1),
  10000, 'the routes');
  return {
    servers, ports, dir,
    url: (i) => `nats://127.0.0.1:${ports[i]}`,
    // Server i again, on its ports, once it listens.
    async restart(i) {
      start(i);
      await until(() => listening(ports[i]), 10000, `nats-server ${i}`);
    },
    async kill(i) {
      servers[i].child.kill('SIGKILL');
      await servers[i].exited;
    },
    async stop() {
      for (const s of servers)
        if (s.child.exitCode === null && s.child.signalCode === null)
          s.child.kill('SIGTERM');
      await Promise.all(servers.map((s) => s.exited));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A host of the cluster: an actord tree with [cluster] set.  opts: as
// startTree's (dir: the directory of a host killed before).
export function startHost(nats, i, host, roles, lines = [], opts = {}) {
  return startTree(['[cluster]', `host = ${host}`, 'name = test',
    `nats = ${nats.url(i)}`, `roles = ${roles}`, 'announce_ms = 200',
    'host_down_after_ms = 1000', ...lines], opts);
}

// Until the link of each of hosts hears every other one: the routes
// between their nats-servers carry messages both ways.  nats-servers
// started together may each close a different one of a pair of routes as
// the duplicate and be left with none between them until one connects
// again, a second later: a frame sent meanwhile is lost, as NATS loses
// what no subscriber hears.
export async function meshed(hosts, ms = 10000) {
  const up = (h) => JSON.parse(h.ctl('--json', 'inspect', 'link'))
    .inspect.link.hostsUp;
  await until(() => hosts.every((h) => up(h) === hosts.length - 1), ms,
    'every host hearing the others');
}

// kill -9 of a host's whole tree: each of its processes, by pid, and
// actord; what they started dies with them (parent-death signals).
export async function killHost(h) {
  const pids = h.status().processes.map((p) => p.pid).filter((p) => p > 0);
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone already */ }
  }
  h.child.kill('SIGKILL');
  await h.exited;
  // Its children are gone once their pids are (each was ours to kill).
  const gone = (pid) => {
    try {
      return /^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`,
        'utf8'));
    } catch { return true; }
  };
  await until(() => pids.every(gone), 5000, 'the killed tree gone');
}

// A user nkey pair as NATS writes them: the public key ("U...") and its
// seed ("SU..."), base32 with a CRC-16 (XMODEM) of their bytes, from an
// Ed25519 key made by node.
export function nkeyPair() {
  const crc16 = (buf) => {
    let crc = 0;
    for (const b of buf) {
      crc ^= b << 8;
      for (let i = 0; i < 8; i++)
        crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff :
          (crc << 1) & 0xffff;
    }
    return crc;
  };
  const base32 = (buf) => {
    const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    let bits = 0, v = 0, out = '';
    for (const b of buf) {
      v = ((v << 8) | b) & 0xffff;
      bits += 8;
      while (bits >= 5) {
        out += abc[(v >>> (bits - 5)) & 31];
        bits -= 5;
      }
    }
    return bits > 0 ? out + abc[(v << (5 - bits)) & 31] : out;
  };
  const encode = (bytes) => {
    const c = crc16(bytes);
    return base32(Buffer.concat([bytes, Buffer.from([c & 0xff, c >> 8])]));
  };
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' })
    .subarray(-32);
  return {
    pub: encode(Buffer.concat([Buffer.from([20 << 3]), pub])),   /* U */
    seed: encode(Buffer.concat([Buffer.from([(18 << 3) | (20 << 3 >> 5),
      (20 << 3 & 31) << 3]), seed])),                         /* SU */
  };
}

export { until };
export { writeFileSync };
