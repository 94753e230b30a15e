import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventLogActor, EventWindow } from '../../web/js/event-log.js';
import { eventRows } from '../../web/js/view-model.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

// An event log actor between recorder actors.
function setup(max) {
  const env = testRuntime(['transport', 'ui']);
  env.runtime.spawn('event-log', new EventLogActor({ max }));
  env.send = (msg) => env.runtime.send('event-log', msg);
  env.shown = () => env.inbox.ui.filter((m) => m.type === 'EventList').at(-1)
    .events.map((e) => e.seq);
  return env;
}

const ev = (seq, message = `event ${seq}`) =>
  ({ seq, timestamp: 1000 + seq, level: 'info', source: 'coordinator',
    message });

test('Start subscribes to eventlog:main', async () => {
  const env = setup();
  env.send({ type: 'Start' });
  await flush();
  assert.deepEqual(env.inbox.transport[0], { type: 'AddSubscription',
    to: 'eventlog:main', from: 'event-log', payload: {} });
});

test('pushed LogEvents appear in the log, newest first on the page',
  async () => {
    const env = setup();
    env.send(serverMsg('event-log', 'LogEvent', ev(1, 'worker w1 registered')));
    env.send(serverMsg('event-log', 'LogEvent', ev(2, 'task t1 assigned')));
    await flush();
    assert.deepEqual(env.shown(), [1, 2]);
    const rows = eventRows(env.inbox.ui.at(-1).events);
    assert.deepEqual(rows.map((r) => r.cells.find((c) => c.name === 'message')
      .text),
      ['task t1 assigned', 'worker w1 registered']);
    assert.deepEqual(rows.map((r) => r.key), ['2', '1']);
  });

test('the same event twice (push and fetch overlap) is shown once',
  async () => {
    const env = setup();
    env.send(serverMsg('event-log', 'LogEvent', ev(5)));
    env.send(serverMsg('event-log', 'Events',
      { events: [ev(3), ev(4), ev(5), ev(6)], lastSeq: 6 }));
    env.send(serverMsg('event-log', 'LogEvent', ev(6)));
    await flush();
    assert.deepEqual(env.shown(), [3, 4, 5, 6]);
  });

test('the log keeps only the newest events', () => {
  const w = new EventWindow(200);
  w.add(Array.from({ length: 1000 }, (_, i) => ev(i + 1)));
  assert.equal(w.events.length, 200);
  assert.equal(w.events[0].seq, 801);
  assert.equal(w.lastSeq, 1000);
  assert.equal(w.add([ev(5)]), false, 'an old event does not come back');
  assert.equal(w.events.length, 200);
  w.add([ev(1001)]);
  assert.equal(w.events[0].seq, 802);
  assert.equal(w.seqs.size, 200, 'the dedupe set is bounded too');
});

test('events arriving out of order are shown in order', () => {
  const w = new EventWindow(10);
  w.add([ev(3), ev(1), ev(2)]);
  assert.deepEqual(w.events.map((e) => e.seq), [1, 2, 3]);
  assert.equal(w.add([{ message: 'no seq' }, null]), false);
});

test('after (re)subscribing it fetches what it missed, and only that',
  async () => {
    const env = setup();
    env.send(serverMsg('event-log', 'Subscribed', { lastSeq: 950 }));
    await flush();
    assert.deepEqual(env.inbox.transport.at(-1), { type: 'SendToServer',
      to: 'eventlog:main', msgType: 'GetEvents',
      payload: { since: 750, limit: 200 }, from: 'event-log' });
    env.send(serverMsg('event-log', 'Events',
      { events: Array.from({ length: 200 }, (_, i) => ev(751 + i)),
        lastSeq: 950 }));
    await flush();
    assert.deepEqual(env.inbox.transport.at(-1), { type: 'UpdateSubscription',
      to: 'eventlog:main', from: 'event-log', payload: { since: 950 } },
    'a renewed subscription starts from the newest event held');
    const sent = env.inbox.transport.length;
    env.send(serverMsg('event-log', 'Subscribed', { lastSeq: 950 }));
    await flush();
    assert.equal(env.inbox.transport.length, sent, 'nothing missed, no fetch');
    env.send(serverMsg('event-log', 'Subscribed', { lastSeq: 953 }));
    await flush();
    assert.deepEqual(env.inbox.transport.at(-1).payload,
      { since: 950, limit: 200 });
  });

test('an Error the session pushes for the event log stays until it is back',
  async () => {
    const env = setup();
    env.send({ ...serverMsg('event-log', 'Error', { code: 'unavailable',
      error: "eventlog:main went away (out of this host's reach); its " +
        'pushes resume when it is back' }), from: 'eventlog:main' });
    env.send({ ...serverMsg('event-log', 'Error',
      { code: 'unavailable', error: 'eventlog:main' }), from: 'eventlog:main' });
    await flush();
    const [lost, bare] = env.inbox.ui.filter((m) => m.type === 'Notice');
    assert.deepEqual([lost.level, lost.code, lost.sticky, lost.key],
      ['error', 'unavailable', true, 'lost eventlog:main']);
    assert.match(lost.text, /^eventlog:main went away \(out of this host's/);
    assert.equal(bare.text, 'eventlog:main went away; its updates resume ' +
      'when it is back.');
    // The session subscribed again: Subscribed without replyTo.
    env.send({ ...serverMsg('event-log', 'Subscribed', { lastSeq: 0 }),
      from: 'eventlog:main' });
    await flush();
    const back = env.inbox.ui.filter((m) => m.type === 'Notice').at(-1);
    assert.deepEqual([back.level, back.clears], ['info', 'lost eventlog:main']);
    assert.equal(back.text, 'eventlog:main is back; its updates resume.');
  });

test('an Error that answers a request is not taken for a lost actor',
  async () => {
    const env = setup();
    env.send({ ...serverMsg('event-log', 'Error',
      { code: 'unavailable', error: 'eventlog:main' },
      { replyTo: 'x1' }), from: 'eventlog:main' });
    env.send({ ...serverMsg('event-log', 'Error', { code: 'unavailable',
      error: 'Actor unavailable: eventlog:main did not answer within 5000 ms' }),
      from: 'session:s1' });
    await flush();
    const [a, b] = env.inbox.ui.filter((m) => m.type === 'Notice');
    assert.match(a.text, /eventlog:main is unavailable/);
    assert.equal(a.sticky, undefined);
    assert.match(b.text, /did not answer within 5000 ms/);
    assert.equal(b.sticky, undefined);
  });
