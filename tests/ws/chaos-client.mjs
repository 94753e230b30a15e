// Chaos load for tests/it_chaos.sh: CLIENTS WebSocket clients in one
// process assign tasks steadily to a tree whose processes are being
// killed.  Each client reconnects when its session dies and retries every
// command until it gets an answer, always with the same message id and
// the same taskId (chosen here), so that
//   - a retry on the same session is deduplicated by the coordinator
//     (same sender, same id: the first reply again);
//   - a retry on a new session (a new sender) meets the existing taskId
//     with the same kind and input: TaskAccepted again, for the one task.
//
//   node chaos-client.mjs PORT OUT.json
//   env: CLIENTS (50), LOAD_SECONDS (60), WORKERS (4), DRAIN_MS (60000)
//
// Prints "ready" once the workers are registered and every client has a
// session, "draining" when the load stops, and writes OUT.json at the end:
// every task with its outcome, and the counters.  Bounded: the load lasts
// LOAD_SECONDS, the answers still due get DRAIN_MS more, then it exits.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const [port, outFile] = process.argv.slice(2);
const CLIENTS = Number(process.env.CLIENTS || 50);
const SECONDS = Number(process.env.LOAD_SECONDS || 60);
const WORKERS = Number(process.env.WORKERS || 4);
const DRAIN_MS = Number(process.env.DRAIN_MS || 60000);
const RESEND_MS = 8000;	// no answer on a live session: send again
const url = `ws://127.0.0.1:${port}/ws`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const jitter = (lo, hi) => lo + Math.random() * (hi - lo);

const stats = {
  connects: 0,		// sessions established
  reconnects: 0,	// connections lost while running
  handshakeErrors: 0,	// refused or failed upgrades
  sends: 0,		// frames sent, resends included
  resends: 0,		// a request sent again (new session, timeout)
  unavailable: 0,	// Error unavailable, retried
  errors: [],		// any other Error: the test fails on these
  latencies: [],	// ms from first send to TaskAccepted
};
const tasks = [];
let deadline = Infinity;	// after it, pending requests give up

class Client {
  constructor(n) {
    this.n = n;
    this.ready = false;
    this.pending = new Map();	// id -> { msg, resolve, sentAt }
    this.stopped = false;
    this.connect();
  }

  connect() {
    if (this.stopped)
      return;
    const ws = new WebSocket(url, { handshakeTimeout: 5000 });
    this.ws = ws;
    ws.on('message', (data) => this.onMessage(data));
    ws.on('error', (e) => {
      if (!this.ready && /Unexpected server response|handshake/i
        .test(e.message))
        stats.handshakeErrors++;
    });
    ws.on('close', () => {
      if (this.ws !== ws)
        return;
      this.ready = false;
      if (this.stopped)
        return;
      stats.reconnects++;
      setTimeout(() => this.connect(), jitter(20, 200));
    });
  }

  onMessage(data) {
    let m;
    try {
      m = JSON.parse(data);
    } catch {
      stats.errors.push({ client: this.n, error: 'unparsable frame' });
      return;
    }
    if (m.type === 'SessionEstablished') {
      this.ready = true;
      stats.connects++;
      for (const p of this.pending.values()) {
        stats.resends++;
        this.transmit(p);
      }
      return;
    }
    const p = m.replyTo && this.pending.get(m.replyTo);
    if (!p)
      return;	// a push, or an answer to an attempt given up
    this.pending.delete(m.replyTo);
    clearInterval(p.timer);
    p.resolve(m);
  }

  transmit(p) {
    if (!this.ready || this.ws.readyState !== WebSocket.OPEN)
      return;	// sent again on the next SessionEstablished
    p.sentAt = Date.now();
    stats.sends++;
    this.ws.send(JSON.stringify({ ...p.msg, timestamp: Date.now() }));
  }

  // One request until its answer: resent (same id) on every new session
  // and after RESEND_MS without one; null once past the deadline.
  request(msg) {
    return new Promise((resolve) => {
      const p = { msg, resolve, sentAt: 0 };
      p.timer = setInterval(() => {
        if (Date.now() > deadline) {
          clearInterval(p.timer);
          this.pending.delete(msg.id);
          resolve(null);
        } else if (this.ready && Date.now() - p.sentAt > RESEND_MS) {
          stats.resends++;
          this.transmit(p);
        }
      }, 250);
      this.pending.set(msg.id, p);
      this.transmit(p);
    });
  }

  // A command until it is applied: 'unavailable' is retried with the
  // same id; any other Error ends it.
  async command(type, id, payload, okType) {
    for (;;) {
      const r = await this.request({ to: 'coordinator:main',
        from: 'client:chaos', type, id, payload });
      if (r === null)
        return { outcome: 'unanswered' };
      if (r.type === okType)
        return { outcome: 'accepted', reply: r };
      if (r.type === 'Error' && r.payload.code === 'unavailable') {
        stats.unavailable++;
        await sleep(jitter(50, 150));
        continue;
      }
      return { outcome: 'error', reply: r };
    }
  }

  async assignOne(seq) {
    const taskId = `c${this.n}-${seq}`;
    const echo = Math.random() < 0.7;
    const t = { taskId, kind: echo ? 'echo' : 'sleep',
      input: echo ? { value: taskId } : { ms: Math.round(jitter(5, 40)) } };
    const start = Date.now();
    const r = await this.command('AssignTask', `assign-${taskId}`,
      t, 'TaskAccepted');
    t.outcome = r.outcome;
    if (r.outcome === 'accepted') {
      stats.latencies.push(Date.now() - start);
    } else if (r.outcome === 'error') {
      stats.errors.push({ taskId, reply: r.reply });
    }
    tasks.push(t);
  }

  async run(until) {
    for (let seq = 0; Date.now() < until; seq++) {
      await this.assignOne(seq);
      await sleep(jitter(200, 700));
    }
  }

  stop() {
    this.stopped = true;
    if (this.ws)
      this.ws.close(1000);
  }
}

function pct(a, p) {
  if (a.length === 0)
    return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}

async function main() {
  const clients = [];
  for (let i = 0; i < CLIENTS; i++)
    clients.push(new Client(i));
  const setupEnd = Date.now() + 30000;
  while (!clients.every((c) => c.ready)) {
    if (Date.now() > setupEnd)
      throw new Error('clients did not all connect within 30 s');
    await sleep(20);
  }
  deadline = setupEnd;
  for (let w = 1; w <= WORKERS; w++) {
    const r = await clients[0].command('RegisterWorker', `register-w${w}`,
      { workerId: `w${w}` }, 'WorkerRegistered');
    if (r.outcome !== 'accepted')
      throw new Error(`RegisterWorker w${w}: ${JSON.stringify(r)}`);
  }
  deadline = Infinity;
  console.log('ready');
  const until = Date.now() + SECONDS * 1000;
  const runs = clients.map((c) => c.run(until));
  await sleep(SECONDS * 1000);
  console.log('draining');
  deadline = Date.now() + DRAIN_MS;
  await Promise.all(runs);
  for (const c of clients)
    c.stop();
  const out = { ...stats, tasks,
    latency: { p50: pct(stats.latencies, 50), p99: pct(stats.latencies, 99),
      max: pct(stats.latencies, 100) } };
  delete out.latencies;
  writeFileSync(outFile, JSON.stringify(out));
  console.log(`done: ${tasks.length} tasks, ` +
    `${tasks.filter((t) => t.outcome === 'accepted').length} accepted, ` +
    `${stats.reconnects} reconnects, ` +
    `${stats.resends} resends, ${stats.unavailable} unavailable, ` +
    `${stats.errors.length} errors, ` +
    `accept latency p50 ${out.latency.p50} p99 ${out.latency.p99} ` +
    `max ${out.latency.max} ms`);
  // Give the close frames a moment to leave, then go.
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
