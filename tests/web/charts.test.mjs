import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addSample, buckets, niceMax, pathOf, formatRate, BUCKETS,
  BUCKET_MS, WINDOW_MS, MAX_SAMPLES } from '../../web/js/charts.js';
import { ChartsActor } from '../../web/js/charts-actor.js';
import { flush, serverMsg, testRuntime } from './helpers.mjs';

const T0 = 1_000_000_000;
// The bucket of a sample `ago` ms before now.
const bucketOf = (ago) => Math.floor((WINDOW_MS - ago - 1) / BUCKET_MS);
const s = (t, completed, failed = 0, queued = 0, running = 0) =>
  ({ t, completed, failed, queued, running });

test('rates per second come from the counters\' increases', () => {
  const now = T0 + WINDOW_MS;
  const samples = [s(now - 12000, 10), s(now - 11000, 15, 1),
    s(now - 1000, 25, 1)];
  const b = buckets(samples, now);
  assert.equal(b.completed.length, BUCKETS);
  // +5 completed and +1 failed in the bucket of now - 11 s: 1 and 0.2 /s.
  const k = bucketOf(11000);
  assert.equal(b.completed[k], 5 * 1000 / BUCKET_MS);
  assert.equal(b.failed[k], 1000 / BUCKET_MS);
  assert.equal(b.completed[BUCKETS - 1], 10 * 1000 / BUCKET_MS);
  assert.equal(b.completed.reduce((a, v) => a + v, 0), 15 * 1000 / BUCKET_MS);
});

test('a counter that goes down (a new database) counts nothing', () => {
  const now = T0 + WINDOW_MS;
  const b = buckets([s(now - 3000, 100), s(now - 2000, 4)], now);
  assert.ok(b.completed.every((v) => v === 0));
});

test('gauges: the bucket\'s highest, carried forward; none before', () => {
  const now = T0 + WINDOW_MS;
  const b = buckets([s(now - 59000, 0, 0, 7, 2), s(now - 58000, 0, 0, 12, 1),
    s(now - 57000, 0, 0, 0, 0)], now);
  const k = bucketOf(59000);
  assert.equal(bucketOf(57000), k);
  assert.equal(b.queued[k - 1], null);
  assert.equal(b.queued[k], 12);
  assert.equal(b.running[k], 2);
  assert.equal(b.queued[k + 1], 0);
  assert.equal(b.queued[BUCKETS - 1], 0);
  assert.deepEqual(b.now, { queued: 0, running: 0 });
});

test('samples older than the window go, one stays as the rate\'s start',
  () => {
    const samples = [];
    addSample(samples, s(T0, 1));
    addSample(samples, s(T0 + 1000, 2));
    addSample(samples, s(T0 + WINDOW_MS + 5000, 3));
    assert.deepEqual(samples.map((x) => x.completed), [2, 3]);
    addSample(samples, s(T0, 9));        // the clock went back: ignored
    assert.equal(samples.length, 2);
    for (let i = 0; i < MAX_SAMPLES + 10; i++)
      addSample(samples, s(T0 + WINDOW_MS + 6000 + i, i));
    assert.equal(samples.length, MAX_SAMPLES);
  });

test('the y axis ends on a round number; paths leave gaps for null', () => {
  assert.equal(niceMax([]), 1);
  assert.equal(niceMax([0.3, null]), 1);
  assert.equal(niceMax([3]), 5);
  assert.equal(niceMax([17]), 20);
  assert.equal(niceMax([120]), 200);
  assert.equal(pathOf([null, 0, 1, null, 1], 1),
    'M75.0 80.0 L150.0 0.0 M300.0 0.0');
  assert.equal(formatRate(null), '–');
  assert.equal(formatRate(0.4), '0.4');
  assert.equal(formatRate(12.4), '12');
  assert.equal(formatRate(2500), '2.5k');
});

test('the actor subscribes, samples each push and redraws', async () => {
  const env = testRuntime(['transport']);
  const drawn = [];
  let now = T0;
  let tick = null;
  env.runtime.spawn('charts', new ChartsActor({
    view: { update: (p) => drawn.push(p) },
    now: () => now,
    setInterval: (fn, ms) => { tick = { fn, ms }; },
  }));
  env.runtime.send('charts', { type: 'Start' });
  await flush();
  assert.deepEqual(env.inbox.transport, [{ type: 'AddSubscription',
    to: 'coordinator:main', from: 'charts', payload: {} }]);
  assert.equal(tick.ms, BUCKET_MS);
  const push = (completed, length, running) => env.runtime.send('charts', {
    ...serverMsg('charts', 'StatusUpdated', { tasks: { completed,
      failed: 0, queued: length, running }, queue: { length } }),
    from: 'coordinator:main' });
  push(0, 5, 1);
  now += 1000;
  push(10, 3, 1);
  await flush();
  const last = drawn.at(-1);
  assert.equal(last.completed.at(-1), 10 * 1000 / BUCKET_MS);
  assert.equal(last.queued.at(-1), 5);    // the bucket's highest
  assert.equal(last.now.queued, 3);       // and the last, for the legend
  // The tick redraws with the time moved on: the rate slides left.
  now += BUCKET_MS;
  tick.fn();
  await flush();
  assert.equal(drawn.at(-1).completed.at(-1), 0);
  assert.equal(drawn.at(-1).completed.at(-2), 10 * 1000 / BUCKET_MS);
  // A malformed push is ignored.
  const n = drawn.length;
  env.runtime.send('charts', { ...serverMsg('charts', 'StatusUpdated', 7),
    from: 'coordinator:main' });
  await flush();
  assert.equal(drawn.length, n);
});
