// Delayed tasks beside a million others (issue: scheduling O(log n) per
// event with 1,000,000 delayed tasks, and a task starting within 100 ms of
// its time).  One tree, 4 workers; on the empty tree and again once N
// tasks wait an hour (runAt = now + 1 h):
//
//   assign   AssignTask {delayMs: 1 h} round trip, one at a time: p50, p99
//   late     200 tasks due 300-500 ms ahead (runAt), watched: how late
//            each started (startedAt from GetTask - runAt): p50, p99, max
//
// Usage: node bench/delayed.mjs [N] (default 1,000,000).  Not a test.

import { pct, sessionClient as client, startTree }
  from '../tests/ws/lib.mjs';

const N = Number(process.argv[2] || 1000000);
const COORD = 'coordinator:main';
const HOUR = 3600 * 1000;

const ask = (c, type, payload = {}) =>
  c.reply(c.send({ to: COORD, type, payload }), 30000);

async function assignRtt(c, tag) {
  const t = [];
  for (let i = 0; i < 1100; i++) {
    const t0 = process.hrtime.bigint();
    const r = await ask(c, 'AssignTask', { taskId: `${tag}-${i}`,
      kind: 'echo', input: {}, delayMs: HOUR });
    if (r.type !== 'TaskAccepted') throw new Error(JSON.stringify(r));
    t.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return t.slice(100);
}

async function lateness(c, tag) {
  const due = new Map();
  const t0 = Date.now();
  for (let i = 0; i < 200; i++) {
    const id = `${tag}-${i}`;
    due.set(id, t0 + 300 + i);	/* all sent before the first is due */
    const r = await ask(c, 'AssignTask', { taskId: id, kind: 'echo',
      input: {}, runAt: due.get(id), watch: true });
    if (r.type !== 'TaskAccepted') throw new Error(JSON.stringify(r));
  }
  const late = [];
  for (const [id, runAt] of due) {
    await c.next((m) => m.type === 'TaskFinished' &&
      m.payload.taskId === id, 30000, `${id} finished`);
    const t = (await ask(c, 'GetTask', { taskId: id })).payload;
    if (t.startedAt < runAt)
      throw new Error(`${id} started ${runAt - t.startedAt} ms early`);
    late.push(t.startedAt - runAt);
  }
  return late;
}

// Fill: N tasks an hour ahead, from 4 connections, 256 unanswered each.
async function fill(cs) {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(cs.map(async (c, k) => {
    let sent = 0, done = 0;
    const share = Math.floor(N / cs.length) + (k < N % cs.length ? 1 : 0);
    while (done < share) {
      while (sent < share && sent - done < 256) {
        c.send({ to: COORD, type: 'AssignTask', payload: {
          taskId: `f${next++}`, kind: 'echo', input: {},
          runAt: t0 + HOUR } });
        sent++;
      }
      const m = await c.next(() => true, 60000, 'TaskAccepted');
      if (m.type !== 'TaskAccepted') throw new Error(JSON.stringify(m));
      done++;
    }
  }));
  return (Date.now() - t0) / 1000;
}

const report = (what, v, unit) => console.log(`  ${what}: p50 ` +
  `${pct(v, 0.5).toFixed(3)} ${unit}, p99 ${pct(v, 0.99).toFixed(3)} ` +
  `${unit}, max ${Math.max(...v).toFixed(3)} ${unit}`);

const tree = await startTree(['[session]', 'rate_limit = 1000000',
  'rate_burst = 1000000']);
try {
  const c = await client(tree.port);
  for (let i = 1; i <= 4; i++)
    await ask(c, 'RegisterWorker', { workerId: `w${i}` });
  console.log('empty tree:');
  report('AssignTask {delayMs: 1 h} round trip', await assignRtt(c, 'a0'),
    'ms');
  report('started after runAt', await lateness(c, 'l0'), 'ms');
  const cs = [];
  for (let i = 0; i < 4; i++) cs.push(await client(tree.port));
  const s = await fill(cs);
  console.log(`filled ${N} tasks an hour ahead in ${s.toFixed(1)} s ` +
    `(${(N / s).toFixed(0)}/s)`);
  const st = (await ask(c, 'GetStatus')).payload;
  console.log(`  status: ${JSON.stringify(st.tasks)}`);
  console.log(`with ${N} delayed:`);
  report('AssignTask {delayMs: 1 h} round trip', await assignRtt(c, 'a1'),
    'ms');
  report('started after runAt', await lateness(c, 'l1'), 'ms');
  console.log(`  coordinator RSS ${(tree.status().processes.find((p) =>
    p.name === 'coordinator').rss_bytes / 1048576).toFixed(1)} MiB`);
  for (const x of [c, ...cs]) await x.close();
} finally {
  await tree.stop();
}
