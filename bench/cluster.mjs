// The cluster's cost, in one run (docs/benchmarks.md, docs/cluster.md):
//
//   rtt     AssignTask round trip, one at a time, from a session on h1 (the
//           coordinator's host) and from one on h2 taking turns: p50 and
//           p99 each
//   cycles  full task cycles per second (AssignTask with watch, the task
//           run, TaskFinished) with the workers on h1, then spread over h2
//           and h3, taking turns three times (medians): 2 workers (each
//           waits a round trip between tasks), 8 and 32
//   link    bench_link: a Ping to coordinator:main from h2's link.sock
//           against a raw libnats request/reply between h2's and h1's
//           nats-servers (build/rel/bench/bench_link)
//
// Three nats-servers clustered on loopback, three actord trees (h1:
// coordinator worker gateway, h2 and h3: worker gateway), as
// tests/ws/cluster.mjs starts them.
// Usage: node bench/cluster.mjs [rounds] (default 2000).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pct, sessionClient as client, ROOT } from '../tests/ws/lib.mjs';
import { startNats, startHost, meshed, until }
  from '../tests/ws/cluster.mjs';

const N = Number(process.argv[2] || 2000);
const COORD = 'coordinator:main';
const lines = ['[session]', 'rate_limit = 1000000', 'rate_burst = 1000000'];

async function ask(c, type, payload = {}) {
  return c.reply(c.send({ to: COORD, type, payload }), 10000);
}

// The round trips of the sessions cs, taking turns one request each, so
// that all see the same machine from one moment to the next.
async function rtt(cs) {
  const t = cs.map(() => []);
  for (let i = 0; i < N; i++)
    for (const [k, c] of cs.entries()) {
      const t0 = process.hrtime.bigint();
      const r = await ask(c, 'AssignTask', { taskId: `r${k}-${i}`,
        kind: 'echo', input: { i }, delayMs: 3600000 });
      t[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (r.type !== 'TaskAccepted') throw new Error(JSON.stringify(r));
    }
  return t.map((x) => x.slice(Math.floor(N / 10)));	// without the warm-up
}

// Cycles with a window of 256 outstanding, workers named ws.
async function cycles(c, tag, n) {
  const t0 = process.hrtime.bigint();
  let sent = 0, done = 0;
  const window = 256;
  while (done < n) {
    while (sent < n && sent - done < window)
      c.send({ to: COORD, type: 'AssignTask', payload: {
        taskId: `${tag}-${sent++}`, kind: 'echo', input: {}, watch: true } });
    // Every message taken, so that the inbox stays short.
    const m = await c.next(() => true, 30000, 'TaskFinished');
    if (m.type === 'TaskFinished') done++;
    else if (m.type !== 'TaskAccepted') throw new Error(JSON.stringify(m));
  }
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

// Everything started is stopped, also on Ctrl-C and when the output's
// reader goes away (| head): a closed pipe ends the output, not the run.
let nats = null, h1 = null, h2 = null, h3 = null, stopping = null;
const stopAll = () => (stopping ??= (async () => {
  for (const h of [h3, h2, h1])
    await h?.stop();
  await nats?.stop();
})());
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => stopAll().finally(() => process.exit(130)));
process.stdout.on('error', () => {});

nats = await startNats(3);
h1 = await startHost(nats, 0, 'h1', 'coordinator worker gateway', lines);
h2 = await startHost(nats, 1, 'h2', 'worker gateway', lines);
h3 = await startHost(nats, 2, 'h3', 'worker gateway', lines);
try {
  await meshed([h1, h2, h3]);
  const c1 = await client(h1.port), c2 = await client(h2.port);
  await until(async () => (await ask(c1, 'RegisterWorker', {
    workerId: 'r2', host: 'h2' })).type === 'WorkerRegistered', 10000,
  'h2 up');
  // Delayed by an hour: accepted, never run while we measure.
  const [a, b] = await rtt([c1, c2]);
  console.log(`AssignTask round trip, ${a.length} each (ms):`);
  console.log(`  session on h1: p50 ${pct(a, 0.5).toFixed(3)} ` +
    `p99 ${pct(a, 0.99).toFixed(3)}`);
  console.log(`  session on h2: p50 ${pct(b, 0.5).toFixed(3)} ` +
    `p99 ${pct(b, 0.99).toFixed(3)}`);
  console.log(`  h2 - h1 at p50: ${(pct(b, 0.5) - pct(a, 0.5)).toFixed(3)}`);

  await until(async () => (await ask(c1, 'RegisterWorker', {
    workerId: 'r3', host: 'h3' })).type === 'WorkerRegistered', 10000,
  'h3 up');
  for (const w of ['r2', 'r3'])
    await ask(c1, 'UnregisterWorker', { workerId: w });
  const idle = (n) => until(async () => (await ask(c1, 'GetStatus'))
    .payload.workers.filter((w) => w.status === 'idle').length === n,
  10000, `${n} idle workers`);
  // n workers spread over hosts, the cycles, the workers gone again.
  let round = 0;
  const run = async (hosts, n) => {
    const ids = [];
    for (let i = 0; i < n; i++) {
      ids.push(`w${round}-${i}`);
      await ask(c1, 'RegisterWorker', { workerId: ids[i],
        host: hosts[i % hosts.length] });
    }
    await idle(n);
    const rate = await cycles(c1, `c${round++}`, N * 2);
    for (const id of ids)
      await ask(c1, 'UnregisterWorker', { workerId: id });
    return rate;
  };
  // Local and remote take turns, three times; the medians.
  const median = (xs) => pct(xs, 0.5);
  console.log(`task cycles/s, window 256, ${N * 2} tasks, medians of 3:`);
  for (const n of (process.env.WORKERS || '2,8,32').split(',').map(Number)) {
    const local = [], remote = [];
    for (let k = 0; k < 3; k++) {
      local.push(await run(['h1'], n));
      remote.push(await run(['h2', 'h3'], n));
    }
    console.log(`  ${n} workers on h1 (local): ${median(local).toFixed(0)}; `
      + `on h2 and h3: ${median(remote).toFixed(0)} (${(median(remote) /
        median(local)).toFixed(2)}x; runs ${local.map((x, i) =>
        (remote[i] / x).toFixed(2)).join(' ')})`);
  }
  process.stdout.write(execFileSync(join(ROOT, 'build/rel/bench/bench_link'),
    ['-r', join(h2.dir, 'run'), '-a', nats.url(0), '-b', nats.url(1),
      '-n', String(N * 2)], { encoding: 'utf8' }));
  await c1.close();
  await c2.close();
} finally {
  await stopAll();
}
