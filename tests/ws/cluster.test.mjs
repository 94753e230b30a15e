// Three hosts on one machine, joined through three clustered nats-servers:
// h1 runs the coordinator (and a worker, a gateway), h2 and h3 workers and
// gateways.  Through a session on h3: workers spread over the hosts, 1,000
// tasks that run on all three and complete exactly once; kill -9 of h2's
// whole tree mid-task: its workers go offline, its tasks complete
// elsewhere after host_dead_after_s, and when h2 comes back its stale task
// is aborted; kill -9 of a nats-server not on the coordinator's host: the
// host's link reconnects to another and no task is lost.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { sessionClient as client, startTree, httpGet, ROOT }
  from './lib.mjs';
import { startNats, startHost, killHost, meshed, until, writeFileSync }
  from './cluster.mjs';

const COORD = 'coordinator:main';
let nats, h1, h2, h3, c, single;

async function ask(cl, type, payload = {}, ms = 10000) {
  return cl.reply(cl.send({ to: COORD, type, payload }), ms);
}

async function status(cl) {
  return (await ask(cl, 'GetStatus')).payload;
}

const inspect = (h, name) =>
  JSON.parse(h.ctl('--json', 'inspect', name)).inspect[name];

// A task assigned from h3 (once the coordinator answers there again),
// seen in the status pushed to the dashboard d.
async function pushedTo(d, taskId) {
  await until(async () => (await ask(c, 'AssignTask', { taskId,
    kind: 'echo', input: taskId })).type === 'TaskAccepted', 10000,
  'the coordinator from h3 again');
  await d.next((m) => m.type === 'StatusUpdated' && !m.replyTo &&
    m.payload.recent.some((x) => x.taskId === taskId), 10000,
  `${taskId} in the status pushed`);
}

// A dashboard's subscriptions, from a session on a host: h1's singletons
// and its tree.
async function subscribe(cl) {
  for (const to of [COORD, 'eventlog:main', 'system:supervisor@h1']) {
    const r = await cl.reply(cl.send({ to, type: 'Subscribe' }));
    assert.notEqual(r.type, 'Error', JSON.stringify(r));
  }
}

// The session of cl told it that each actor of `actors` went away, then
// answered for it when it had subscribed again: an Error and a Subscribed,
// each pushed (no replyTo) from the actor.
async function lostAndBack(cl, actors) {
  for (const a of actors) {
    const lost = await cl.next((m) => m.type === 'Error' && m.from === a &&
      !m.replyTo, 10000, `${a} went away`);
    assert.equal(lost.payload.code, 'unavailable');
    assert.match(lost.payload.error,
      new RegExp(`^${a} went away \\(out of this host's reach\\)`));
    await cl.next((m) => m.type === 'Subscribed' && m.from === a &&
      !m.replyTo, 10000, `${a} subscribed again`);
  }
}

const DEAD_S = 3;
// Every tree started, each life of a host, for CLUSTER_LOGS.
const lives = [];
const host = async (i, roles, opts, more = []) => {
  const h = await startHost(nats, i, `h${i + 1}`, roles, [
    `host_dead_after_s = ${DEAD_S}`, 'wait_ms = 1000',
    'user = actord', 'password = cluster-secret',
    // each host's link may fail over to the other servers
    `nats = ${nats.url(i)} ${nats.url((i + 1) % 3)}`, ...more,
    '[session]', 'rate_limit = 100000', 'rate_burst = 100000'], opts);
  lives.push([`h${i + 1}`, h]);
  return h;
};

// How many times h's link said it told `host` again of the sessions gone
// while that host could not hear (some: of at least one session).
const toldAgain = (h, host, some = false) => h.log().split('\n')
  .filter((l) => l.includes(`host ${host}: heard again after a gap`) &&
    (!some || !/; 0 sessions /.test(l))).length;

// A dashboard of h1 on h2's tree closes while h2 cannot hear it (cut(),
// undone by back()): h1's link tells h2 at once if it sees h2 up, where
// nobody listens, or not at all if it sees h2 down.  Once h2 is heard
// again, h1 tells it again, and h2 forgets the session.
async function goneWhileCut(cut, back) {
  const visitors = () => inspect(h2, 'link').remoteSessions;
  const sessions = () => inspect(h1, 'link').sessions;
  const told = toldAgain(h1, 'h2', true);
  const base = visitors(), alone = sessions();
  const d = await client(h1.port);
  const r = await d.reply(d.send({ to: 'system:supervisor@h2',
    type: 'Subscribe' }));
  assert.equal(r.type, 'Subscribed', JSON.stringify(r));
  await until(() => visitors() === base + 1, 5000, 'h2 knowing it');
  assert.equal(sessions(), alone + 1);
  try {
    await cut();
    await d.close();
    await until(() => sessions() === alone, 5000, 'h1 knowing it gone');
    assert.ok(inspect(h1, 'link').sessionsGoneKept >= 1);
  } finally {
    await back();
  }
  await until(() => visitors() === base, 10000, 'h2 forgetting it');
  await until(() => toldAgain(h1, 'h2', true) > told, 5000,
    'h1 to say it told h2 again');
}

const on = (st, h) => st.workers.filter((w) => (w.host || 'h1') === h);

before(async () => {
  nats = await startNats(3, { user: 'actord', pass: 'cluster-secret' });
  h1 = await host(0, 'coordinator worker gateway');
  h2 = await host(1, 'worker gateway');
  h3 = await host(2, 'worker gateway', {}, ['remote_sessions_max = 16']);
  await meshed([h1, h2, h3]);
  c = await client(h3.port);
  single = await startTree([]);
});

after(async () => {
  if (process.env.CLUSTER_LOGS)
    lives.forEach(([n, h], k) =>
      writeFileSync(`${process.env.CLUSTER_LOGS}/${n}-${k}.log`, h.log()));
  await c?.close();
  for (const h of [single, h3, h2, h1])
    if (h) await h.stop();
  await nats?.stop();
});

describe('a cluster of three hosts', () => {
  it('runs only the processes of its roles, and the link', () => {
    const names = (h) => h.status().processes.map((p) => p.name).sort();
    assert.deepEqual(names(h1),
      ['coordinator', 'eventlog', 'gateway', 'link', 'worker']);
    assert.deepEqual(names(h2), ['gateway', 'link', 'worker']);
  });

  it("shows each host's tree, by address, and the hosts in the status",
    async () => {
      for (const h of ['h1', 'h2', 'h3']) {
        const r = await c.reply(c.send({ to: `system:supervisor@${h}`,
          type: 'GetTree' }));
        assert.equal(r.type, 'TreeUpdated', JSON.stringify(r));
        assert.equal(r.payload.host, h);
        assert.ok(r.payload.processes.some((p) => p.name === 'link' &&
          p.state === 'up'), JSON.stringify(r.payload));
      }
      // Each tree lists the hosts as its own link sees them, itself first.
      const seen = await until(async () => {
        const r = await c.reply(c.send({ to: 'system:supervisor',
          type: 'GetTree' }));
        return r.payload.hosts.length === 3 &&
          r.payload.hosts.every((x) => x.up) && r.payload.hosts;
      }, 10000, "h3's tree listing three hosts up");
      const roles = seen.map((x) => [x.host, x.roles.join(' ')]);
      assert.deepEqual(roles[0], ['h3', 'worker gateway']);
      assert.deepEqual(roles.slice(1).sort(), [
        ['h1', 'coordinator worker gateway'], ['h2', 'worker gateway']]);
      const st = await until(async () => {
        const s = await status(c);
        return s.hosts.length === 3 && s.hosts.every((h) => h.up) && s;
      }, 10000, 'three hosts up');
      // A host nobody announced (h3's link is past host_down_after_ms):
      // unavailable at once, from the link.
      await until(() => h3.status().processes.find((p) =>
        p.name === 'link').uptime_ms > 1500, 5000, "h3's link settled");
      const t0 = Date.now();
      const u = await c.reply(c.send({ to: 'system:supervisor@h9',
        type: 'GetTree' }), 3000);
      assert.equal(u.payload.code, 'unavailable', JSON.stringify(u));
      assert.match(u.payload.error, /host h9 is not up/);
      assert.ok(Date.now() - t0 < 1000);
      assert.deepEqual(st.hosts.map((h) => [h.host, h.roles.join(' ')])
        .sort(), [['h1', 'coordinator worker gateway'],
        ['h2', 'worker gateway'], ['h3', 'worker gateway']]);
      // The operator's view from h2: every host's processes.
      const all = JSON.parse(h2.ctl('--json', 'status', '--cluster'));
      assert.deepEqual(all.hosts.map((h) => h.host).sort(),
        ['h1', 'h2', 'h3']);
      const names = (h) => all.hosts.find((x) => x.host === h).processes
        .map((p) => p.name).sort();
      assert.deepEqual(names('h1'),
        ['coordinator', 'eventlog', 'gateway', 'link', 'worker']);
      assert.deepEqual(names('h3'), ['gateway', 'link', 'worker']);
      const text = h2.ctl('status', '--cluster');
      assert.match(text, /^h1 +coordinator +up /m);
      assert.match(text, /^h3 +link +up /m);
      // Each host's /metrics: its own processes, its link's families,
      // valid for promtool; the coordinator's only on h1.
      const m2 = await until(async () => {
        const b = (await httpGet(h2.port, '/metrics')).body;
        return /^actord_link_hosts_up 2$/m.test(b) && b;
      }, 5000, 'h2 seeing two other hosts');
      assert.match(m2, /^actord_link_nats_connected 1$/m);
      assert.match(m2, /^actord_link_host_up\{host="h1"\} 1$/m);
      assert.match(m2, /^actord_link_host_up\{host="h3"\} 1$/m);
      assert.match(m2, /^actord_link_frames_total\{direction="out"\} [1-9]/m);
      assert.match(m2, /^actord_up\{process="link"\} 1$/m);
      assert.doesNotMatch(m2, /process="coordinator"/);
      execFileSync('promtool', ['check', 'metrics'], { input: m2 });
      assert.match((await httpGet(h1.port, '/metrics')).body,
        /^actord_up\{process="coordinator"\} 1$/m);
      // One host: no cluster to show.
      assert.throws(() => single.ctl('status', '--cluster'),
        /not a cluster/);
    });

  it('spreads workers registered from h3 over the live hosts', async () => {
    // Every host must be known up to the coordinator first.
    await until(async () => {
      const r = await ask(c, 'RegisterWorker', { workerId: 'probe',
        host: 'h2' });
      return r.type === 'WorkerRegistered';
    }, 10000, 'h2 known to the coordinator');
    // From a shell on h2, by actorctl: a worker placed on h3.
    await until(() => {
      try {
        h2.ctl('worker', 'add', 'probe3', '--host', 'h3');
        return true;
      } catch {
        return false;
      }
    }, 10000, 'h3 known to the coordinator');
    const listed = JSON.parse(h2.ctl('--json', 'worker', 'list'));
    assert.ok(listed.some((w) => w.workerId === 'probe3' &&
      w.host === 'h3'), JSON.stringify(listed));
    h2.ctl('worker', 'remove', 'probe3');
    const r = await ask(c, 'UnregisterWorker', { workerId: 'probe' });
    assert.equal(r.type, 'WorkerUnregistered', JSON.stringify(r));
    for (let i = 1; i <= 6; i++) {
      const r = await ask(c, 'RegisterWorker', { workerId: `w${i}` });
      assert.equal(r.type, 'WorkerRegistered', JSON.stringify(r));
    }
    const st = await until(async () => {
      const s = await status(c);
      return s.workers.filter((w) => w.status === 'idle').length === 6 && s;
    }, 10000, 'six idle workers');
    const per = {};
    for (const w of st.workers) per[w.host || 'h1'] =
      (per[w.host || 'h1'] || 0) + 1;
    assert.deepEqual(per, { h1: 2, h2: 2, h3: 2 });
  });

  it('runs 1,000 tasks from h3 on all three hosts, each once', async () => {
    const before = await status(c);
    const done0 = Object.fromEntries(before.workers.map((w) =>
      [w.workerId, w.processedCount]));
    const ids = [];
    for (let i = 0; i < 1000; i++)
      ids.push(c.send({ to: COORD, type: 'AssignTask',
        payload: { taskId: `t${i}`, kind: 'echo', input: { i } } }));
    for (const id of ids) {
      const r = await c.reply(id, 20000);
      assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
    }
    const st = await until(async () => {
      const s = await status(c);
      const n = s.workers.reduce((a, w) => a + w.processedCount -
        done0[w.workerId], 0);
      return n >= 1000 && s;
    }, 60000, '1,000 tasks done');
    const per = {};
    let sum = 0;
    for (const w of st.workers) {
      const n = w.processedCount - done0[w.workerId];
      per[w.host || 'h1'] = (per[w.host || 'h1'] || 0) + n;
      sum += n;
    }
    assert.equal(sum, 1000, JSON.stringify(per));
    for (const h of ['h1', 'h2', 'h3'])
      assert.ok(per[h] > 0, `no task ran on ${h}: ${JSON.stringify(per)}`);
    const t = await ask(c, 'GetTask', { taskId: 't999' });
    assert.equal(t.payload.status, 'completed');
    assert.equal(t.payload.attempts, 1);
  });

  it('a link remembers at most remote_sessions_max sessions of other '
    + 'hosts, and forgets each one that goes', async () => {
    // h3's bound is 16; sessions on h2 that asked for h3's tree.
    const l3 = () => inspect(h3, 'link');
    const base = l3().remoteSessions;
    const cs = [];
    for (let i = 0; i < 17; i++) {
      cs.push(await client(h2.port));
      const r = await cs[i].reply(cs[i].send({
        to: 'system:supervisor@h3', type: 'GetTree' }));
      assert.equal(r.type, 'TreeUpdated', JSON.stringify(r));
    }
    assert.equal(l3().remoteSessions, 16);
    // The warning reaches this process through a pipe of its own, so it
    // may come after the link's answer to inspect.
    await until(() => /more than remote_sessions_max \(16\) sessions/
      .test(h3.log()), 5000, 'the warning in its log');
    for (const x of cs)
      await x.close();
    await until(() => l3().remoteSessions === base, 5000,
      'the closed sessions forgotten');
  });

  it("a session of h2 that goes while h2's link is down: the other hosts "
    + 'are told when the link is back', async () => {
    const subs = () => inspect(h1, 'coordinator').subscribers;
    const base = subs();
    const [keep, d] = [await client(h2.port), await client(h2.port)];
    await subscribe(keep);
    await subscribe(d);
    assert.equal(subs(), base + 2);
    const others = async () => (await keep.reply(keep.send({
      to: 'system:supervisor', type: 'GetTree' }))).payload.hosts.slice(1);
    h2.ctl('stop', 'link');
    // Without its link, no other host is within h2's reach.
    const cut = await others();
    assert.equal(cut.length, 2, JSON.stringify(cut));
    assert.ok(cut.every((x) => !x.up), JSON.stringify(cut));
    await d.close();
    h2.ctl('start', 'link');
    await until(async () => (await others()).every((x) => x.up), 10000,
      "h2's tree listing h1 and h3 up again");
    await until(() => /1 session of this host went away while the link was /
      .test(h2.log()), 15000, 'the link to tell of the one closed');
    // The closed one forgotten on h1; the other, which connected to the
    // new link again, still subscribed and pushed to.
    await until(() => subs() === base + 1, 5000,
      'the closed session forgotten on h1');
    await pushedTo(keep, 'kept');
    await keep.close();
  });

  it("a session of h1 that goes while h2's link restarts: h2 hears of it "
    + 'once its link is back', () => goneWhileCut(() => {
    h2.ctl('stop', 'link');
  }, () => {
    h2.ctl('start', 'link');
    h2.ctl('-t', '10000', 'wait', 'link', 'up');
  }));

  it('a session of h1 that goes while h2 is cut off (its link stopped by '
    + 'SIGSTOP): h2 hears of it when it is back', () => {
    const pid = h2.pidOf('link');
    return goneWhileCut(async () => {
      process.kill(pid, 'SIGSTOP');
      await until(() => inspect(h1, 'link').hostsUp === 1, 10000,
        'h2 down for h1');
    }, async () => {
      process.kill(pid, 'SIGCONT');
      await until(() => inspect(h1, 'link').hostsUp === 2, 10000,
        'h2 back for h1');
    });
  });

  it('kill -9 of h2: its workers offline, its tasks done elsewhere after '
    + 'host_dead_after_s, its stale runs aborted when it returns',
  async () => {
    // A dashboard on h2, subscribed to h1's actors, dies with its host: h1
    // forgets it then, instead of keeping a subscriber that never reads;
    // also when h1's link restarted after it subscribed.
    const d2 = await client(h2.port);
    await subscribe(d2);
    const subs = (name) => inspect(h1, name).subscribers;
    const before = { coordinator: subs('coordinator'),
      eventlog: subs('eventlog') };
    const remote = inspect(h1, 'link').remoteSessions;
    assert.ok(remote >= 1);
    h1.ctl('restart', 'link');
    await until(() => inspect(h1, 'link').hostsUp === 2, 10000,
      "h1's link back, with h2 and h3 up");
    assert.equal(inspect(h1, 'link').remoteSessions, remote);
    const ids = [];
    for (let i = 0; i < 6; i++) {
      const r = await ask(c, 'AssignTask', { taskId: `k${i}`, kind: 'sleep',
        input: { ms: 2500 } });
      assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
      ids.push(`k${i}`);
    }
    const busy = await until(async () => {
      const s = await status(c);
      return on(s, 'h2').every((w) => w.status === 'busy') && s;
    }, 10000, "h2's workers busy");
    const h2tasks = on(busy, 'h2').map((w) => w.currentTask);
    const h2done = on(busy, 'h2').map((w) => w.processedCount);
    assert.equal(h2tasks.length, 2);
    const dir = h2.dir;
    await killHost(h2);
    const killedAt = Date.now();
    await until(async () => on(await status(c), 'h2')
      .every((w) => w.status === 'offline'), 5000, "h2's workers offline");
    // Every task completes, h2's after it is dead, on another host.
    for (const id of ids)
      await until(async () => (await ask(c, 'GetTask', { taskId: id }))
        .payload.status === 'completed', 30000, `${id} completed`);
    for (const id of h2tasks) {
      const t = (await ask(c, 'GetTask', { taskId: id })).payload;
      assert.equal(t.attempts, 2, JSON.stringify(t));
      assert.ok(t.finishedAt - killedAt >= DEAD_S * 1000, JSON.stringify(t));
      assert.ok(!on(busy, 'h2').some((w) => w.workerId === t.workerId),
        `${id} ran again on h2: ${JSON.stringify(t)}`);
    }
    assert.equal(subs('coordinator'), before.coordinator - 1);
    assert.equal(subs('eventlog'), before.eventlog - 1);
    assert.ok(inspect(h1, 'link').remoteSessionsPurged >= 1);
    // h2 comes back, from its own state: its workers online again, idle,
    // their old runs aborted, not finished a second time.
    h2 = await host(1, 'worker gateway', { dir });
    const back = await until(async () => {
      const s = await status(c);
      return on(s, 'h2').every((w) => w.status === 'idle') && s;
    }, 15000, "h2's workers back");
    assert.deepEqual(on(back, 'h2').map((w) => w.processedCount), h2done);
    // Its link starts afresh: the sessions its last link knew died with
    // the tree, and nothing of them is told or kept.
    assert.doesNotMatch(h2.log(), /link\[\d+\]: info: restarted:/);
    for (const id of h2tasks) {
      const t = (await ask(c, 'GetTask', { taskId: id })).payload;
      assert.equal(t.status, 'completed');
      assert.equal(t.attempts, 2);
    }
  });

  it('bad input from NATS: logged and dropped, the link goes on',
    async () => {
      const pub = (subject, bytes) => execFileSync(join(ROOT,
        process.env.BUILD || 'build/rel', 'tests/nats_pub'),
      [nats.url(1), subject, 'actord', 'cluster-secret'], { input: bytes });
      const link = () => h2.status().processes.find((p) => p.name === 'link');
      const link1 = () => h1.status().processes.find((p) => p.name ===
        'link');
      const before = link().pid;
      const restarts1 = link1().restarts;
      const frame = (body) => Buffer.concat([Buffer.from([0, 0, 0,
        body.length]), body]);
      pub('test.host.h2', frame(Buffer.from('not msgpack')));
      pub('test.host.h2', Buffer.concat([Buffer.from([0, 0x10, 0, 0]),
        Buffer.from('short')]));
      pub('test.host.h2', Buffer.from([0, 0, 0]));
      pub('test.presence', Buffer.from('garbage'));
      pub('test.one.coordinator', frame(Buffer.from([0x81, 0xa1, 0x61,
        0x01])));
      await until(() => /a frame that is not an envelope; dropped/
        .test(h2.log()) && /a batch with a bad frame length/.test(h2.log())
        && /ends inside a frame header/.test(h2.log())
        && /an announcement that does not parse/.test(h2.log()) &&
        /a frame that is not an envelope; dropped/.test(h1.log()), 5000,
      'the lines that say so');
      assert.equal(link().pid, before, 'the same link');
      assert.equal(link1().restarts, restarts1);
      const c2 = await client(h2.port);
      assert.notEqual((await ask(c2, 'GetStatus')).type, 'Error');
      await c2.close();
    });

  it('a host without the cluster credentials does not join', async () => {
    const h4 = await startHost(nats, 0, 'h4', 'worker', ['user = actord',
      'password = wrong'], { waitFor: 'worker' });
    try {
      const link4 = () => JSON.parse(h4.ctl('--json', 'inspect', 'link'))
        .inspect.link;
      // The server's reason, unless libnats closed the connection for
      // good before the link could read it.
      await until(() => /Authorization Violation|closed for good/i
        .test(h4.log()), 10000, 'the refusal in its log');
      h4.ctl('-t', '10000', 'wait', 'link', 'up');
      assert.equal(link4().natsConnected, 0);
      assert.ok(!(await status(c)).hosts.some((h) => h.host === 'h4'));
    } finally {
      await h4.stop();
    }
  });

  it("kill -9 of h2's worker process mid-task: the coordinator hears it "
    + 'through the link, and the task runs again', async () => {
    const st = await status(c);
    const w = on(st, 'h2')[0].workerId;
    const r = await ask(c, 'AssignTask', { taskId: 'wk1', kind: 'sleep',
      input: { ms: 1000 }, workerId: w });
    assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
    await until(async () => (await ask(c, 'GetTask', { taskId: 'wk1' }))
      .payload.status === 'running', 5000, 'wk1 running');
    const pid = h2.pidOf('worker');
    process.kill(pid, 'SIGKILL');
    // Offline and back within milliseconds (actord restarts the worker
    // process at once): the task's second run is what shows it.
    const t = await until(async () => {
      const p = (await ask(c, 'GetTask', { taskId: 'wk1' })).payload;
      return p.status === 'completed' && p;
    }, 15000, 'wk1 completed');
    assert.equal(t.attempts, 2, JSON.stringify(t));
    assert.notEqual(h2.pidOf('worker'), pid);
    await until(async () => on(await status(c), 'h2')
      .every((x) => x.status === 'idle'), 10000, "h2's workers back");
  });

  it('kill -9 of the nats-server h3 uses: its link reconnects to another, '
    + 'no task lost', async () => {
    const link = () => JSON.parse(h3.ctl('--json', 'inspect', 'link'))
      .inspect.link;
    const was = link();
    const told = toldAgain(h1, 'h3');
    assert.equal(was.natsServer, nats.url(2));
    await nats.kill(2);
    // The others see h3's link connected anew, and tell it again of
    // their sessions gone meanwhile (PeerGone sent while it had no
    // server).
    await until(() => toldAgain(h1, 'h3') > told, 10000,
      'h1 seeing h3 connected anew');
    // NATS itself keeps nothing: a request or a reply on the wire in the
    // moment the link changes servers is gone, and the client sends the
    // same message again, as a client does after `unavailable`; the
    // dedupe window answers the same, and each task exists once.
    const msg = (i) => ({ to: COORD, type: 'AssignTask', id: `nk-${i}`,
      payload: { taskId: `n${i}`, kind: 'echo', input: { value: i } } });
    for (let i = 0; i < 100; i++)
      c.send(msg(i));
    let again = 0;
    for (let i = 0; i < 100; i++) {
      let r = await c.reply(`nk-${i}`, 20000);
      while (r.type === 'Error' && r.payload.code === 'unavailable' &&
        again++ < 20)
        r = await c.reply(c.send(msg(i)), 20000);
      assert.equal(r.type, 'TaskAccepted', JSON.stringify(r));
    }
    for (let i = 0; i < 100; i++) {
      const t = await until(async () => {
        const p = (await ask(c, 'GetTask', { taskId: `n${i}` })).payload;
        return p.status === 'completed' && p;
      }, 20000, `n${i} completed`);
      assert.equal(t.attempts, 1, JSON.stringify(t));
      assert.equal(t.result, i);
    }
    // The link went over to h3's other server.
    const now = await until(() => {
      const l = link();
      return l.natsConnects > was.natsConnects && l.natsConnected && l;
    }, 10000, "h3's link reconnected");
    assert.equal(now.natsServer, nats.url(0));
  });

  it('NATS away: what h2 sends elsewhere is answered unavailable after '
    + 'wait_ms, its own work goes on, and all works when NATS is back',
  async () => {
    const c2 = await client(h2.port);
    const link2 = () => JSON.parse(h2.ctl('--json', 'inspect', 'link'))
      .inspect.link;
    // Every server (2 died before): a link also knows the servers its
    // cluster told of, beyond its own list.
    await nats.kill(1);
    await nats.kill(0);
    await until(() => !link2().natsConnected, 5000, "h2's link cut off");
    const t0 = Date.now();
    const r = await ask(c2, 'GetStatus');
    assert.equal(r.type, 'Error', JSON.stringify(r));
    assert.equal(r.payload.code, 'unavailable');
    assert.match(r.payload.error, /no connection to NATS/);
    assert.ok(Date.now() - t0 < 4000, `answered after ${Date.now() - t0} ms`);
    // h2's own tree still answers.
    const t = await c2.reply(c2.send({ to: 'system:supervisor',
      type: 'GetTree' }));
    assert.equal(t.type, 'TreeUpdated');
    assert.ok(link2().unavailable >= 1);
    await nats.restart(0);
    await nats.restart(1);
    await until(() => link2().natsConnected, 15000, "h2's link back");
    await until(async () => (await ask(c2, 'GetStatus')).type !== 'Error',
      10000, 'the coordinator from h2 again');
    await c2.close();
  });

  it("the coordinator's process restarts: a dashboard on h2 subscribed to "
    + 'it is pushed the status again without subscribing again', async () => {
    const d2 = await client(h2.port);
    await subscribe(d2);
    await d2.next((m) => m.type === 'StatusUpdated' && !m.replyTo, 5000,
      'the first push');
    h1.ctl('restart', 'coordinator');
    h1.ctl('-t', '10000', 'wait', 'coordinator', 'up');
    await lostAndBack(d2, [COORD]);
    await pushedTo(d2, 'again');
    await d2.close();
  });

  it("the coordinator's host dies and comes back: a dashboard on h2 hears "
    + 'from the new coordinator and event log without subscribing again',
  async () => {
    await until(() => inspect(h2, 'link').hostsUp === 2, 10000,
      'h1 and h3 up for h2');
    const d2 = await client(h2.port);
    await subscribe(d2);
    const own = await d2.reply(d2.send({ to: 'system:supervisor',
      type: 'Subscribe' }));
    assert.equal(own.type, 'Subscribed', JSON.stringify(own));
    const h1of = (m) => m.payload.hosts.find((x) => x.host === 'h1');
    const h1in = (m) => m.type === 'TreeUpdated' && !m.replyTo &&
      m.from === 'system:supervisor' && h1of(m);
    const dir = h1.dir;
    const was = h1of(await d2.reply(d2.send({ to: 'system:supervisor',
      type: 'GetTree' })));
    assert.equal(was?.up, true);
    await killHost(h1);
    await until(() => inspect(h2, 'link').hostsUp === 1, 5000,
      'h1 down for h2');
    assert.match((await httpGet(h2.port, '/metrics')).body,
      /^actord_link_host_up\{host="h1"\} 0$/m);
    // h2's own tree says so, with the coordinator out of reach.
    await d2.next((m) => h1in(m)?.up === false, 5000,
      "h1 down in h2's tree, pushed");
    // And so does the operator's view from h2, exit 1 for h1's silence.
    let out = null;
    assert.throws(() => h2.ctl('--json', 'status', '--cluster'), (e) => {
      out = JSON.parse(e.stdout);
      return e.status === 1;
    });
    assert.deepEqual(out.hosts.map((x) => [x.host, x.up, x.error ?? 'ok'])
      .sort(), [['h1', false, 'no answer'], ['h2', true, 'ok'],
      ['h3', true, 'ok']]);
    // Meanwhile the coordinator is unavailable at once, by name.
    const d3 = await client(h2.port);
    const t0 = Date.now();
    const r = await d3.reply(d3.send({ to: COORD, type: 'Subscribe' }));
    assert.equal(r.payload.code, 'unavailable', JSON.stringify(r));
    assert.match(r.payload.error, /the coordinator's host is not up/);
    assert.ok(Date.now() - t0 < 1000, `answered in ${Date.now() - t0} ms`);
    await d3.close();
    h1 = await host(0, 'coordinator worker gateway', { dir });
    // (earlier pushes, from before the kill, wait in the inbox too)
    await d2.next((m) => h1in(m)?.up === true &&
      h1in(m).incarnation !== was.incarnation, 10000,
    "h1 up again in h2's tree, a new incarnation");
    await lostAndBack(d2, [COORD, 'eventlog:main']);
    // A task assigned on h3 shows in what h2's dashboard is pushed.
    await pushedTo(d2, 'back');
    await d2.next((m) => m.type === 'LogEvent' && !m.replyTo &&
      JSON.stringify(m.payload).includes('back'), 10000,
    'the event log pushed to h2 after the restart');
    await d2.close();
  });
});
