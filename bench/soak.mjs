// Soak load for bench/soak.sh, in two processes so that reading /proc
// for ten thousand processes never delays a round trip:
//
//   node soak.mjs clients PORT OUT     IDLE WebSocket sessions that only
//        stay connected (answering the server's pings) and ACTIVE ones
//        that each Ping coordinator:main once a second, for MINUTES.  Any
//        Error, timeout or lost connection counts as an error: nothing
//        reconnects.  Every SAMPLE_S seconds a line to OUT: the window's
//        round trips (p50, p99, max) and the errors so far.
//   node soak.mjs memory ACTORD_PID OUT   every SAMPLE_S seconds until
//        killed, a line to OUT: RSS of every process of the tree, PSS of
//        the sessions (every minute), the kernel's page tables, stacks
//        and slab, the machine's MemAvailable, and the machine's busiest
//        commands since the last line (% of one core).
//
//   env: IDLE (10000), ACTIVE (1000), MINUTES (10), SAMPLE_S (10),
//        RAMP (100: connections opened at once)
import { readdirSync, readFileSync, appendFileSync } from 'node:fs';
import WebSocket from 'ws';

const [mode, arg, out] = process.argv.slice(2);
const IDLE = Number(process.env.IDLE ?? 10000);
const ACTIVE = Number(process.env.ACTIVE ?? 1000);
const MINUTES = Number(process.env.MINUTES ?? 10);
const SAMPLE_S = Number(process.env.SAMPLE_S ?? 10);
const RAMP = Number(process.env.RAMP ?? 100);
const PAGE_KIB = 4;
const url = `ws://127.0.0.1:${arg}/ws`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const errors = { connect: 0, closed: 0, error: 0, timeout: 0, other: 0 };
let window = [];		// round trips (ms) of the current sample
let pings = 0;

function connect() {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: 30000 });
    const c = { ws, waiting: new Map(), open: false };
    ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'SessionEstablished') {
        c.open = true;
        resolve(c);
        return;
      }
      const w = m.replyTo && c.waiting.get(m.replyTo);
      if (w) {
        c.waiting.delete(m.replyTo);
        w(m);
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (!c.open) {
        resolve(null);
        return;
      }
      c.open = false;
      if (!stopping)
        errors.closed++;
    });
  });
}

// Open n connections, RAMP at a time; each failure is retried twice.
async function openMany(n, list) {
  let next = 0;
  await Promise.all(Array.from({ length: RAMP }, async () => {
    while (next < n) {
      next++;
      let c = null;
      for (let t = 0; t < 3 && c === null; t++) {
        c = await connect();
        if (c === null)
          errors.connect++;
      }
      if (c !== null)
        list.push(c);
    }
  }));
}

let stopping = false;
async function active(c, n) {
  await sleep(Math.random() * 1000);
  let seq = 0;
  while (!stopping && c.open) {
    const id = `p${n}-${seq++}`;
    const t0 = process.hrtime.bigint();
    const r = await new Promise((resolve) => {
      const t = setTimeout(() => { c.waiting.delete(id); resolve(null); },
        10000);
      c.waiting.set(id, (m) => { clearTimeout(t); resolve(m); });
      c.ws.send(JSON.stringify({ to: 'coordinator:main', from: 'client:soak',
        type: 'Ping', id, timestamp: Date.now(), payload: { n } }));
    });
    pings++;
    if (r === null)
      errors.timeout++;
    else if (r.type === 'Pong')
      window.push(Number(process.hrtime.bigint() - t0) / 1e6);
    else if (r.type === 'Error')
      errors.error++;
    else
      errors.other++;
    await sleep(1000);
  }
}

let lastAll = new Map();	// every process of the machine, last sample

// Every process under actord: pid -> { name, ppid, rssKiB, cpu }.
function tree() {
  const procs = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d))
      continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(d), { name, ppid: Number(f[1]),
        rssKiB: Number(f[21]) * PAGE_KIB,
        cpu: Number(f[11]) + Number(f[12]) });
    } catch {
      // gone meanwhile
    }
  }
  lastAll = procs;
  const mine = new Map();
  const root = Number(arg);
  let added = true;
  if (procs.has(root))
    mine.set(root, procs.get(root));
  while (added) {
    added = false;
    for (const [pid, p] of procs)
      if (!mine.has(pid) && mine.has(p.ppid)) {
        mine.set(pid, p);
        added = true;
      }
  }
  return mine;
}

function pssKiB(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
      .match(/^Pss:\s+(\d+)/m);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

// The machine's MemAvailable, and the kernel's own memory that grows
// with processes (page tables, kernel stacks, unreclaimable slab), MiB.
function meminfo() {
  const text = readFileSync('/proc/meminfo', 'utf8');
  const get = (k) => Math.round(Number(text.match(new RegExp(
    `^${k}:\\s+(\\d+)`, 'm'))[1]) / 1024);
  return { available: get('MemAvailable'), pageTables: get('PageTables'),
    kernelStack: get('KernelStack'), slabUnreclaim: get('SUnreclaim') };
}

function pct(a, p) {
  if (a.length === 0)
    return null;
  const s = [...a].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1,
    Math.floor(p / 100 * s.length))] * 100) / 100;
}

// One line of the client's timeline.
function clientSample(t0, phase, sessions) {
  const line = { t: Math.round((Date.now() - t0) / 1000), phase, sessions,
    pings, rtt: { n: window.length, p50: pct(window, 50),
      p99: pct(window, 99), max: pct(window, 100) },
    errors: { ...errors },
    clientRssKiB: Math.round(process.memoryUsage().rss / 1024) };
  window = [];
  appendFileSync(out, JSON.stringify(line) + '\n');
  console.log(JSON.stringify(line));
}

// CPU of the whole machine since the last sample, by command name, in
// percent of one core: who else was busy when a round trip was slow.
function cpuTop(before, after, ms) {
  const by = {};
  for (const [pid, p] of after) {
    const q = before.get(pid);
    const d = p.cpu - (q && q.name === p.name ? q.cpu : 0);
    if (d > 0)
      by[p.name] = (by[p.name] || 0) + d;
  }
  return Object.entries(by).sort((a, b) => b[1] - a[1]).slice(0, 6)
    .map(([n, j]) => [n, Math.round(j * 1000 / ms)]);
}

let lastSampleAt = 0;

// One line of the memory timeline.
function memorySample(t0, withPss) {
  const started = Date.now();
  const before = lastAll;
  const procs = tree();
  const top = lastSampleAt ? cpuTop(before, lastAll, started -
    lastSampleAt) : [];
  lastSampleAt = started;
  const byName = {};
  let sessions = 0, sessionRss = 0, sessionPss = 0;
  for (const [pid, p] of procs) {
    if (p.name === 'session') {
      sessions++;
      sessionRss += p.rssKiB;
      if (withPss)
        sessionPss += pssKiB(pid);
    } else {
      byName[p.name] = (byName[p.name] || 0) + p.rssKiB;
    }
  }
  appendFileSync(out, JSON.stringify({ t: Math.round((started - t0) /
    1000), sessions, rssKiB: byName, sessionRssKiB: sessionRss,
    sessionPssKiB: withPss ? sessionPss : undefined, memMiB: meminfo(),
    cpuTop: top, sampleMs: Date.now() - started }) + '\n');
}

async function clients() {
  const t0 = Date.now();
  const idle = [], act = [];
  clientSample(t0, 'before', 0);
  await openMany(ACTIVE, act);
  await openMany(IDLE, idle);
  console.log(`connected: ${act.length} active, ${idle.length} idle, ` +
    `${(Date.now() - t0) / 1000} s`);
  clientSample(t0, 'connected', act.length + idle.length);
  const runs = act.map((c, n) => active(c, n));
  const end = Date.now() + MINUTES * 60000;
  while (Date.now() < end) {
    await sleep(Math.min(SAMPLE_S * 1000, end - Date.now()));
    clientSample(t0, 'soak', [...act, ...idle].filter((c) => c.open)
      .length);
  }
  stopping = true;
  await Promise.all(runs);
  for (const c of [...act, ...idle])
    c.ws.close(1000);
  await sleep(3000);
  clientSample(t0, 'after', 0);
  process.exit(0);
}

async function memory() {
  const t0 = Date.now();
  const every = Math.max(1, Math.round(60 / SAMPLE_S));
  for (let k = 0; ; k++) {
    memorySample(t0, k % every === 0);
    await sleep(SAMPLE_S * 1000);
  }
}

(mode === 'clients' ? clients : memory)().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
