import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionMonitorActor, connectionView }
  from '../../web/js/connection-monitor.js';
import { fakeClock, flush, testRuntime } from './helpers.mjs';

const NOW = 1_700_000_000_000;

// A monitor sending its views to a recorder UI, on fake time.
function setup(t) {
  const clock = fakeClock(t, NOW);
  const env = testRuntime(['ui']);
  env.runtime.spawn('connection-monitor',
    new ConnectionMonitorActor({ now: clock.now }));
  env.clock = clock;
  env.send = (msg) => env.runtime.send('connection-monitor', msg);
  env.view = () => env.inbox.ui.at(-1).view;
  return env;
}

const closed = (env, retryInMs, extra = {}) => ({ type: 'ConnectionState',
  state: 'closed', sessionId: null, attempt: 3,
  retryAt: env.clock.now() + retryInMs,
  retryInMs, closeCode: 1006, closeReason: '', queued: 0, ...extra });

test('the countdown to the next reconnect ticks down each second',
  async (t) => {
    const env = setup(t);
    env.send(closed(env, 4000));
    await flush();
    const seen = [env.view().retryInSeconds];
    for (let i = 0; i < 6; i++) {
      env.clock.tick(1000);
      await flush();
      seen.push(env.view().retryInSeconds);
    }
    assert.deepEqual(seen, [4, 3, 2, 1, 0, 0, 0]);
    assert.equal(env.inbox.ui.length, 5, 'no updates once it reached 0');
    assert.equal(env.view().state, 'closed');
    assert.equal(env.view().label, 'Disconnected');
    assert.match(env.view().detail, /close code 1006/);
  });

test('a partial second rounds up and ticks on the second boundary',
  async (t) => {
    const env = setup(t);
    env.send(closed(env, 2300));
    await flush();
    assert.equal(env.view().retryInSeconds, 3);
    env.clock.tick(299);
    await flush();
    assert.equal(env.view().retryInSeconds, 3);
    env.clock.tick(1);
    await flush();
    assert.equal(env.view().retryInSeconds, 2);
  });

test('connecting stops the countdown; open shows the session id',
  async (t) => {
    const env = setup(t);
    env.send(closed(env, 8000));
    await flush();
    env.send({ type: 'ConnectionState', state: 'connecting', attempt: 4,
      retryAt: null, sessionId: null, queued: 2 });
    await flush();
    const count = env.inbox.ui.length;
    env.clock.tick(10000);
    await flush();
    assert.equal(env.inbox.ui.length, count, 'the old countdown is cancelled');
    assert.equal(env.view().state, 'connecting');
    assert.equal(env.view().retryInSeconds, null);
    assert.equal(env.view().detail, 'attempt 5; 2 waiting to send');
    env.send({ type: 'ConnectionState', state: 'open', sessionId: 'sess-9',
      server: { name: 'actord', version: '0.1' }, retryAt: null, queued: 0 });
    await flush();
    assert.deepEqual([env.view().state, env.view().label, env.view().sessionId],
      ['open', 'Connected', 'sess-9']);
  });

test('before any report the page says it is connecting', () => {
  const v = connectionView(null, NOW);
  assert.equal(v.state, 'connecting');
  assert.equal(v.sessionId, null);
});
