import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRuntime } from '../../web/js/runtime.js';
import { flush, recordingLog, testRuntime } from './helpers.mjs';

test('send delivers asynchronously, in the order sent', async () => {
  const { runtime, inbox } = testRuntime(['a']);
  runtime.send('a', { type: 'One' });
  runtime.send('a', { type: 'Two' });
  assert.deepEqual(inbox.a, [], 'nothing is delivered inside send()');
  await flush();
  assert.deepEqual(inbox.a.map((m) => m.type), ['One', 'Two']);
});

test('a sender never runs inside the receiver', async () => {
  const { runtime } = testRuntime();
  const trace = [];
  runtime.spawn('pinger', {
    receive(msg, ctx) {
      trace.push(`pinger got ${msg.type}`);
      if (msg.type === 'Go') {
        ctx.send('ponger', { type: 'Ping' });
        trace.push('pinger done');
      }
    },
  });
  runtime.spawn('ponger', {
    receive(msg, ctx) {
      trace.push(`ponger got ${msg.type}`);
      ctx.send('pinger', { type: 'Pong' });
    },
  });
  runtime.send('pinger', { type: 'Go' });
  await flush();
  assert.deepEqual(trace, ['pinger got Go', 'pinger done', 'ponger got Ping',
    'pinger got Pong']);
});

test('sending to a missing actor is logged, not thrown', async () => {
  const { runtime, log } = testRuntime();
  assert.doesNotThrow(() => runtime.send('nobody', { type: 'Hello' }));
  await flush();
  assert.equal(log.warnings.length, 1);
  assert.match(log.warnings[0], /nobody/);
});

test('ctx gives the actor its name, send and spawn', async () => {
  const { runtime, inbox } = testRuntime(['out']);
  runtime.spawn('parent', {
    receive(msg, ctx) {
      if (msg.type === 'MakeChild') {
        ctx.spawn('child', {
          receive(m, c) {
            c.send('out', { type: 'ChildGot', what: m.type, self: c.self });
          },
        });
        ctx.send('child', { type: 'Hi', from: ctx.self });
      }
    },
  });
  runtime.send('parent', { type: 'MakeChild' });
  await flush();
  assert.deepEqual(inbox.out, [{ type: 'ChildGot', what: 'Hi', self: 'child' }]);
  assert.equal(runtime.has('child'), true);
});

test('a duplicate name or an object without receive is refused at spawn', () => {
  const runtime = createRuntime({ log: recordingLog() });
  runtime.spawn('a', { receive() {} });
  assert.throws(() => runtime.spawn('a', { receive() {} }), /already exists/);
  assert.throws(() => runtime.spawn('b', {}), /receive/);
});

test('an actor that throws is logged and the others keep running', async () => {
  const { runtime, log, inbox } = testRuntime(['ok']);
  runtime.spawn('bad', { receive() { throw new Error('boom'); } });
  runtime.send('bad', { type: 'Crash' });
  runtime.send('ok', { type: 'StillHere' });
  await flush();
  assert.equal(inbox.ok.length, 1);
  assert.equal(log.errors.length, 1);
  assert.match(log.errors[0], /bad.*Crash/);
});

test('messages for a stopped actor are dropped with a warning', async () => {
  const { runtime, log, inbox } = testRuntime(['a']);
  runtime.send('a', { type: 'Late' });
  runtime.stop('a');
  await flush();
  assert.deepEqual(inbox.a, []);
  assert.equal(log.warnings.length, 1);
});
