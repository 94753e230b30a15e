// Rough figures for the front door, from one Node client on loopback (the
// client's own cost is in every number; bench/ has the real load
// generator).  Not a test: run it by hand.
//
//   node tests/ws/measure.mjs [rounds]
//
// Prints: /echo round trip (64-byte text, one connection, one in flight),
// time from connect to the first echo with the session pool and without
// it (fork+exec per connection), Ping to coordinator:main through the
// session, and the memory (PSS) of idle sessions.

import { readFileSync, readdirSync } from 'node:fs';
import { startGateway, startTree, RawWS, OP, sleep } from './lib.mjs';

const ROUNDS = Number(process.argv[2] || 5000);

function pct(a, p) {
  const s = a.map(Number).sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))];
}
const us = (ns) => (Number(ns) / 1000).toFixed(0);
function show(name, ns) {
  console.log(`${name}: n=${ns.length} p50 ${us(pct(ns, 50))} us, ` +
    `p90 ${us(pct(ns, 90))} us, p99 ${us(pct(ns, 99))} us`);
}

async function echoRtt(port) {
  const c = await RawWS.connect(port, '/echo');
  const p = Buffer.alloc(64, 0x61);
  const t = [];
  for (let i = 0; i < ROUNDS + 200; i++) {
    const t0 = process.hrtime.bigint();
    c.sendFrame({ opcode: OP.TEXT, payload: p });
    await c.message();
    if (i >= 200) t.push(process.hrtime.bigint() - t0);
  }
  c.destroy();
  return t;
}

async function firstEcho(port, n, pauseMs) {
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const c = await RawWS.connect(port, '/echo');
    c.sendFrame({ opcode: OP.TEXT, payload: 'x' });
    await c.message();
    t.push(process.hrtime.bigint() - t0);
    c.destroy();
    await sleep(pauseMs);
  }
  return t;
}

function children(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === pid)
        out.push(Number(d));
    } catch { /* gone */ }
  }
  return out;
}

// The gateway's children and theirs: the zygote's are the sessions.
const descendants = (pid) => children(pid).flatMap((c) =>
  [c, ...children(c)]);

function pss(pid) {
  const m = /Pss:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`,
    'utf8'));
  return m ? Number(m[1]) : 0;
}

async function memory(gw) {
  const held = [];
  const total = () => descendants(gw.child.pid)
    .reduce((s, p) => s + pss(p), 0);
  const at = {};
  for (const n of [100, 300]) {
    while (held.length < n) {
      const c = await RawWS.connect(gw.port, '/ws');
      await c.message();
      held.push(c);
    }
    await sleep(300);
    at[n] = { sessions: descendants(gw.child.pid).length, pss: total(),
      gateway: pss(gw.child.pid) };
  }
  held.forEach((c) => c.destroy());
  const slope = (at[300].pss - at[100].pss) / 200;
  console.log(`idle sessions: ${at[100].sessions} processes ${at[100].pss} kB ` +
    `PSS, ${at[300].sessions} processes ${at[300].pss} kB; marginal ` +
    `${slope.toFixed(1)} kB per session; gateway ${at[100].gateway} -> ` +
    `${at[300].gateway} kB`);
}

const gw = await startGateway(['session_pool = 8', 'max_sessions = 2000']);
await sleep(300);
show('/echo round trip, 64 B', await echoRtt(gw.port));
show('connect to first echo, pool (8 pre-started)',
  await firstEcho(gw.port, 300, 5));
await memory(gw);
await gw.stop();

const cold = await startGateway(['session_pool = 0']);
show('connect to first echo, a zygote fork (pool 0)',
  await firstEcho(cold.port, 300, 1));
await cold.stop();

const tree = await startTree(['session_pool = 4']);
{
  const c = await RawWS.connect(tree.port, '/ws');
  await c.message();
  const t = [];
  for (let i = 0; i < ROUNDS + 200; i++) {
    const t0 = process.hrtime.bigint();
    c.sendFrame({ opcode: OP.TEXT, payload: JSON.stringify({
      to: 'coordinator:main', from: 'client:m', type: 'Ping', id: `p${i}`,
      payload: {} }) });
    await c.message();
    if (i >= 200) t.push(process.hrtime.bigint() - t0);
  }
  show('Ping to coordinator:main via the session', t);
  const t2 = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    c.sendFrame({ opcode: OP.TEXT, payload: JSON.stringify({
      to: 'session', from: 'client:m', type: 'Ping', id: `s${i}`,
      payload: {} }) });
    await c.message();
    t2.push(process.hrtime.bigint() - t0);
  }
  show('Ping to the session itself', t2);
  c.destroy();
}
await tree.stop();
