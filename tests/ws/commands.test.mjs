// Command kinds seen from a WebSocket client, over the real tree: a
// watched task's live output (TaskOutput, offsets following on), its end
// (TaskFinished with the command's result and errorCode), timeouts from
// the kind and from the task, input refused by the kind's rule, GetKinds.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTree, jsonClient } from './lib.mjs';

const COORD = 'coordinator:main';
let tree, c, dir;

// An executable /bin/sh script in dir.
function script(name, body) {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'actord-ws-cmd-'));
  const talk = script('talk', 'echo one; sleep 0.6; echo two; sleep 0.6; ' +
    'echo three >&2');
  const slow = script('slow', 'sleep 10');
  tree = await startTree([
    '[kind.talk]', `argv = ${talk}`,
    '[kind.slow]', `argv = ${slow}`, 'timeout_ms = 300',
    'timeout_max_ms = 60000', 'grace_ms = 100',
    '[kind.words]', 'argv = /bin/echo', 'input = args', 'max_args = 2',
  ]);
  c = await jsonClient(tree.port, '/ws');
  await c.next((m) => m.type === 'SessionEstablished');
  assert.equal((await ask('RegisterWorker', { workerId: 'cw1' })).type,
    'WorkerRegistered');
});

after(async () => {
  await c.close();
  const r = await tree.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.code, 0, `actord exit ${JSON.stringify(r)}`);
});

async function ask(type, payload = {}, ms = 8000) {
  return c.reply(c.send({ to: COORD, type, payload }), ms);
}

function finished(id, ms = 15000) {
  return c.next((m) => m.type === 'TaskFinished' && m.payload.taskId === id,
    ms, `TaskFinished ${id}`);
}

describe('a command kind from a client', () => {
  it('streams a watched task\'s output, then its result', async () => {
    const acc = await ask('AssignTask', { taskId: 'talk1', kind: 'talk',
      watch: true });
    assert.equal(acc.type, 'TaskAccepted');
    const fin = await finished('talk1');
    const out = c.inbox.filter((m) => m.type === 'TaskOutput' &&
      m.payload.taskId === 'talk1').map((m) => m.payload);
    assert.equal(fin.payload.status, 'completed');
    assert.equal(fin.payload.result.stdout, 'one\ntwo\n');
    assert.equal(fin.payload.result.stderr, 'three\n');
    // As it came, a chunk at a time, each at its offset.
    const stdout = out.filter((o) => o.stream === 'stdout');
    assert.ok(stdout.length >= 2, JSON.stringify(out));
    assert.deepEqual(stdout.map((o) => [o.offset, o.data]),
      [[0, 'one\n'], [4, 'two\n']]);
    assert.deepEqual(out.filter((o) => o.stream === 'stderr')
      .map((o) => [o.offset, o.data]), [[0, 'three\n']]);
  });

  it('a task that asks no timeout gets the kind\'s: errorCode timeout',
    async () => {
      await ask('AssignTask', { taskId: 'slow1', kind: 'slow', watch: true });
      const fin = await finished('slow1');
      assert.equal(fin.payload.status, 'failed');
      assert.equal(fin.payload.error, 'timeout after 300 ms');
      assert.equal(fin.payload.errorCode, 'timeout');
      assert.equal(fin.payload.result.signal, 'SIGTERM');
      const t = await ask('GetTask', { taskId: 'slow1' });
      assert.equal(t.payload.errorCode, 'timeout');
    });

  it('a task\'s own timeoutMs, within the kind\'s cap', async () => {
    await ask('AssignTask', { taskId: 'slow2', kind: 'slow', watch: true,
      timeoutMs: 150 });
    const fin = await finished('slow2');
    assert.equal(fin.payload.error, 'timeout after 150 ms');
    const r = await ask('AssignTask', { taskId: 'slow3', kind: 'slow',
      timeoutMs: 120000 });
    assert.equal(r.type, 'Error');
    assert.equal(r.payload.code, 'bad_payload');
  });

  it('input that breaks the kind\'s rule is refused, naming the field',
    async () => {
      let r = await ask('AssignTask', { kind: 'words',
        input: ['a', 'b', 'c'] });
      assert.equal(r.payload.code, 'bad_payload');
      assert.match(r.payload.error, /'input' has 3 strings/);
      r = await ask('AssignTask', { kind: 'words', input: ['a', 7] });
      assert.match(r.payload.error, /'input\[1\]' must be a string/);
      r = await ask('AssignTask', { taskId: 'w1', kind: 'words',
        input: ['a b', 'c'], watch: true });
      assert.equal(r.type, 'TaskAccepted');
      const fin = await finished('w1');
      assert.equal(fin.payload.result.stdout, 'a b c\n');
    });

  it('lists the command kinds, never their programs', async () => {
    const r = await ask('GetKinds');
    const talk = r.payload.kinds.find((k) => k.name === 'talk');
    assert.equal(talk.builtin, false);
    assert.equal(talk.input, 'none');
    const words = r.payload.kinds.find((k) => k.name === 'words');
    assert.equal(words.input, 'args');
    assert.equal(words.maxArgs, 2);
    assert.ok(!JSON.stringify(r.payload).includes(dir));
  });
});
