// One task system under load, over its own client protocol on loopback,
// from one node producer: actord (AssignTask {watch: true} over the
// WebSocket, completion learned from TaskFinished) or BullMQ (Queue.add,
// a Worker of concurrency W with a no-op processor, completion learned
// from QueueEvents).  Prints one JSON line per measurement:
//
//   throughput  N no-op jobs, F in flight from one producer, W workers:
//               enqueue to completion, jobs per second
//   latency     one job at a time, M of them: enqueue to the submitter
//               learning of its completion, p50 and p99 in ms
//
//   node bench/tasks_load.mjs actord PORT [N F W M]
//   node bench/tasks_load.mjs bullmq PORT [N F W M]
//
// Not a test: it measures and prints; bench/tasks_peers.sh runs it.

import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [sys, portArg, nArg, fArg, wArg, mArg] = process.argv.slice(2);
const PORT = Number(portArg);
const N = Number(nArg || 20000);
const F = Number(fArg || 100);
const W = Number(wArg || 100);
const M = Number(mArg || 2000);

function pct(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

function report(o) { console.log(JSON.stringify({ system: sys, ...o })); }

// The two measurements, job(id) resolving when the submitter learns that
// job id completed: a warm-up of F, then N with F in flight, then M one
// at a time.
async function measure(job) {
  const run = `${process.pid}-${Date.now()}`;
  await Promise.all(Array.from({ length: F }, (_, i) => job(`w${run}-${i}`)));
  let next = 0, done = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const one = () => {
      const i = next++;
      job(`t${run}-${i}`).then(() => {
        if (++done === N)
          resolve();
        else if (next < N)
          one();
      });
    };
    for (let k = 0; k < F && next < N; k++)
      one();
  });
  const secs = (performance.now() - t0) / 1000;
  report({ test: 'throughput', jobs: N, inflight: F, workers: W,
    perSec: Math.round(N / secs) });
  const lat = [];
  for (let i = 0; i < M; i++) {
    const s = performance.now();
    await job(`l${run}-${i}`);
    lat.push(performance.now() - s);
  }
  report({ test: 'latency', jobs: M, p50: +pct(lat, 0.5).toFixed(3),
    p99: +pct(lat, 0.99).toFixed(3) });
}

async function actord() {
  const require = createRequire(join(here, '../package.json'));
  const WebSocket = require('ws');
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}/ws`);
  const waiting = new Map();	// reply id or task id -> resolve
  let n = 0;
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString());
    const key = m.type === 'TaskFinished' ? `f:${m.payload.taskId}` :
      m.replyTo ? `r:${m.replyTo}` : null;
    const r = key && waiting.get(key);
    if (r) {
      waiting.delete(key);
      r(m);
    }
  });
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const send = (type, payload) => {
    const id = `b${++n}`;
    ws.send(JSON.stringify({ to: 'coordinator:main', from: 'client:bench',
      type, id, timestamp: Date.now(), payload }));
    return id;
  };
  const ask = (type, payload) => new Promise((r) => {
    waiting.set(`r:${send(type, payload)}`, r);
  });
  const job = (tid) => new Promise((r) => {
    waiting.set(`f:${tid}`, r);
    send('AssignTask', { taskId: tid, kind: 'echo', watch: true });
  });
  for (let i = 0; i < W; i++)
    await ask('RegisterWorker', { workerId: `bw${i}` });
  await measure(job);
  ws.close();
}

async function bullmq() {
  const require = createRequire(join(here, 'peers/package.json'));
  const { Queue, Worker, QueueEvents } = require('bullmq');
  const connection = { host: '127.0.0.1', port: PORT };
  const name = `bench${process.pid}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = new Worker(name, async () => null,
    { connection, concurrency: W });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(),
    worker.waitUntilReady()]);
  const waiting = new Map();
  events.on('completed', ({ jobId }) => {
    const r = waiting.get(jobId);
    if (r) {
      waiting.delete(jobId);
      r();
    }
  });
  const job = (jid) => new Promise((r) => {
    waiting.set(jid, r);
    queue.add('noop', {}, { jobId: jid, removeOnComplete: true });
  });
  await measure(job);
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
}

if (sys === 'actord')
  await actord();
else if (sys === 'bullmq')
  await bullmq();
else {
  console.error('usage: tasks_load.mjs actord|bullmq PORT [N F W M]');
  process.exit(100);
}
