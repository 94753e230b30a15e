// RFC 6455 conformance of /echo, in the manner of the Autobahn|Testsuite
// cases 1-7, 9 and 10 (Autobahn itself cannot be installed here).  Each
// test speaks raw TCP to a gateway started for this file, so that it can
// send what no well-behaved client would: unmasked frames, reserved bits
// and opcodes, broken fragmentation, invalid UTF-8 split anywhere, bad
// close frames, messages over the limit.
//
// Expectations are Autobahn's strict ones: the right close code, a close
// frame before the TCP connection drops, and fail-fast on invalid UTF-8
// (the close arrives before the rest of the message is even sent).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, RawWS, OP, frame, closePayload, sleep } from './lib.mjs';

let gw;
before(async () => { gw = await startGateway(['[session]',
  'echo_max_message_bytes = 16M']); });
after(async () => {
  const r = await gw.stop();
  assert.equal(r.code, 0, `gateway exit ${JSON.stringify(r)}\n${gw.log()}`);
});

const connect = () => RawWS.connect(gw.port, '/echo');

// The server fails the connection with code: a close frame, then TCP goes.
async function expectFail(c, code, ms = 3000) {
  const f = await c.closeFrame(ms);
  assert.ok(f, `expected a close frame with ${code}, the connection ` +
    'dropped without one');
  assert.equal(f.code, code, `close code ${f.code} (${f.reason})`);
  assert.ok(await c.tcpClosed(3000), 'the server did not close TCP');
  c.destroy();
}

// A clean close from our side: we get our code back and TCP ends.
async function closeClean(c, code = 1000) {
  c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(code) });
  const f = await c.closeFrame();
  assert.ok(f, 'no close frame in answer to ours');
  assert.equal(f.code, code);
  assert.ok(await c.tcpClosed(3000), 'the server did not close TCP');
  c.destroy();
}

async function expectEcho(c, opcode, payload, ms = 10000) {
  const m = await c.message(ms);
  assert.ok(m, 'connection closed instead of an echo');
  assert.equal(m.opcode, opcode);
  assert.ok(Buffer.compare(m.payload, Buffer.from(payload)) === 0,
    `echo differs (${m.payload.length} vs ${Buffer.from(payload).length} ` +
    'bytes)');
}

// Send bytes in pieces of n with a pause, as Autobahn's "chopped" cases.
async function chopped(c, bytes, n = 1, pauseMs = 0) {
  for (let i = 0; i < bytes.length; i += n) {
    c.send(bytes.subarray(i, i + n));
    if (pauseMs) await sleep(pauseMs);
  }
}

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('1 framing', () => {
  for (const op of [OP.TEXT, OP.BINARY]) {
    const name = op === OP.TEXT ? 'text' : 'binary';
    for (const n of [0, 125, 126, 127, 128, 65535, 65536]) {
      it(`${name} message of ${n} bytes is echoed`, async () => {
        const c = await connect();
        const p = Buffer.alloc(n, op === OP.TEXT ? 0x2a : 0xfe);
        c.sendFrame({ opcode: op, payload: p });
        await expectEcho(c, op, p);
        await closeClean(c);
      });
    }
    it(`${name} message of 65536 bytes sent in chunks of 997`, async () => {
      const c = await connect();
      const p = Buffer.alloc(65536, 0x2a);
      await chopped(c, frame({ opcode: op, payload: p }), 997);
      await expectEcho(c, op, p);
      await closeClean(c);
    });
  }
});

describe('2 pings and pongs', () => {
  it('ping without payload gets a pong without payload', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.PING });
    const f = await c.read();
    assert.equal(f.opcode, OP.PONG);
    assert.equal(f.payload.length, 0);
    await closeClean(c);
  });
  for (const [what, p] of [['text', Buffer.from('Hello, world!')],
    ['binary', hex('00fffefdfcfbfaf9')], ['125-byte', Buffer.alloc(125, 0xfe)]]) {
    it(`ping with ${what} payload gets it back in the pong`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.PING, payload: p });
      const f = await c.read();
      assert.equal(f.opcode, OP.PONG);
      assert.deepEqual(f.payload, p);
      await closeClean(c);
    });
  }
  it('ping with a 126-byte payload fails with 1002', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.PING, payload: Buffer.alloc(126, 0xfe) });
    await expectFail(c, 1002);
  });
  it('ping of 125 bytes sent byte by byte', async () => {
    const c = await connect();
    const p = Buffer.alloc(125, 0xfe);
    await chopped(c, frame({ opcode: OP.PING, payload: p }), 1, 1);
    const f = await c.read();
    assert.equal(f.opcode, OP.PONG);
    assert.deepEqual(f.payload, p);
    await closeClean(c);
  });
  it('unsolicited pongs are ignored', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.PONG });
    c.sendFrame({ opcode: OP.PONG, payload: 'unsolicited pong payload' });
    c.sendFrame({ opcode: OP.PING, payload: 'ping payload' });
    const f = await c.read();
    assert.equal(f.opcode, OP.PONG);
    assert.equal(f.payload.toString(), 'ping payload');
    await closeClean(c);
  });
  for (const chop of [0, 1]) {
    it(`10 pings get 10 pongs in order${chop ? ', chopped' : ''}`,
      async () => {
        const c = await connect();
        const all = [];
        for (let i = 0; i < 10; i++)
          all.push(frame({ opcode: OP.PING, payload: `payload-${i}` }));
        if (chop) await chopped(c, Buffer.concat(all), 1);
        else c.send(Buffer.concat(all));
        for (let i = 0; i < 10; i++) {
          const f = await c.read();
          assert.equal(f.opcode, OP.PONG);
          assert.equal(f.payload.toString(), `payload-${i}`);
        }
        await closeClean(c);
      });
  }
});

describe('3 reserved bits', () => {
  it('RSV1 on a text frame fails with 1002', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.TEXT, payload: 'Hello', rsv: 4 });
    await expectFail(c, 1002);
  });
  for (const [rsv, op] of [[2, OP.TEXT], [1, OP.TEXT], [3, OP.TEXT],
    [5, OP.BINARY], [6, OP.PING], [7, OP.CLOSE]]) {
    it(`RSV ${rsv} on opcode ${op} after a valid message: echo, then 1002`,
      async () => {
        const c = await connect();
        c.send(Buffer.concat([frame({ opcode: OP.TEXT, payload: 'Hello' }),
          frame({ opcode: op, payload: op === OP.CLOSE ?
            closePayload(1000) : 'Hello', rsv }),
          frame({ opcode: OP.PING, payload: 'x' })]));
        await expectEcho(c, OP.TEXT, 'Hello');
        await expectFail(c, 1002);
      });
  }
});

describe('4 opcodes', () => {
  for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    it(`reserved opcode ${op} fails with 1002`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: op, payload: op < 8 ? 'reserved' : '' });
      await expectFail(c, 1002);
    });
  }
  it('reserved opcode after a valid message: echo, then 1002', async () => {
    const c = await connect();
    c.send(Buffer.concat([frame({ opcode: OP.TEXT, payload: 'Hello' }),
      frame({ opcode: 5, payload: 'Hello' }),
      frame({ opcode: OP.PING })]));
    await expectEcho(c, OP.TEXT, 'Hello');
    await expectFail(c, 1002);
  });
});

describe('5 fragmentation', () => {
  it('fragmented ping fails with 1002', async () => {
    const c = await connect();
    c.send(Buffer.concat([frame({ opcode: OP.PING, fin: false,
      payload: 'fragment1' }), frame({ opcode: OP.CONT,
      payload: 'fragment2' })]));
    await expectFail(c, 1002);
  });
  it('fragmented pong fails with 1002', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.PONG, fin: false, payload: 'fragment1' });
    await expectFail(c, 1002);
  });
  for (const mode of ['whole', 'chopped', 'byte by byte']) {
    it(`text in two fragments is echoed as one (${mode})`, async () => {
      const c = await connect();
      const bytes = Buffer.concat([frame({ opcode: OP.TEXT, fin: false,
        payload: 'fragment1' }), frame({ opcode: OP.CONT,
        payload: 'fragment2' })]);
      if (mode === 'whole') c.send(bytes);
      else await chopped(c, bytes, mode === 'chopped' ? 7 : 1, 1);
      await expectEcho(c, OP.TEXT, 'fragment1fragment2');
      await closeClean(c);
    });
    it(`ping between two fragments is answered first (${mode})`,
      async () => {
        const c = await connect();
        const bytes = Buffer.concat([frame({ opcode: OP.TEXT, fin: false,
          payload: 'fragment1' }), frame({ opcode: OP.PING,
          payload: 'ping' }), frame({ opcode: OP.CONT,
          payload: 'fragment2' })]);
        if (mode === 'whole') c.send(bytes);
        else await chopped(c, bytes, mode === 'chopped' ? 5 : 1, 1);
        const f = await c.read();
        assert.equal(f.opcode, OP.PONG);
        assert.equal(f.payload.toString(), 'ping');
        await expectEcho(c, OP.TEXT, 'fragment1fragment2');
        await closeClean(c);
      });
  }
  it('binary in three fragments, a ping between each', async () => {
    const c = await connect();
    c.send(Buffer.concat([
      frame({ opcode: OP.BINARY, fin: false, payload: hex('0102') }),
      frame({ opcode: OP.PING, payload: 'a' }),
      frame({ opcode: OP.CONT, fin: false, payload: hex('0304') }),
      frame({ opcode: OP.PING, payload: 'b' }),
      frame({ opcode: OP.CONT, payload: hex('05') })]));
    assert.equal((await c.read()).payload.toString(), 'a');
    assert.equal((await c.read()).payload.toString(), 'b');
    await expectEcho(c, OP.BINARY, hex('0102030405'));
    await closeClean(c);
  });
  for (const fin of [false, true]) {
    it(`continuation (fin=${fin}) without a start fails with 1002`,
      async () => {
        const c = await connect();
        c.send(Buffer.concat([frame({ opcode: OP.CONT, fin,
          payload: 'non-continuation payload' }),
        frame({ opcode: OP.TEXT, payload: 'Hello, world!' })]));
        await expectFail(c, 1002);
      });
  }
  it('a continuation after a finished message fails with 1002', async () => {
    const c = await connect();
    c.send(Buffer.concat([
      frame({ opcode: OP.TEXT, fin: false, payload: 'fragment1' }),
      frame({ opcode: OP.CONT, payload: 'fragment2' }),
      frame({ opcode: OP.CONT, fin: false, payload: 'fragment3' }),
      frame({ opcode: OP.TEXT, payload: 'fragment4' })]));
    await expectEcho(c, OP.TEXT, 'fragment1fragment2');
    await expectFail(c, 1002);
  });
  it('a new text frame inside a fragmented message fails with 1002',
    async () => {
      const c = await connect();
      c.send(Buffer.concat([
        frame({ opcode: OP.TEXT, fin: false, payload: 'fragment1' }),
        frame({ opcode: OP.TEXT, payload: 'fragment2' })]));
      await expectFail(c, 1002);
    });
  it('fragments with pings between them, sent slowly', async () => {
    const c = await connect();
    const parts = ['fragment1', 'fragment2', 'fragment3', 'fragment4',
      'fragment5'];
    for (let i = 0; i < parts.length; i++) {
      c.sendFrame({ opcode: i ? OP.CONT : OP.TEXT,
        fin: i === parts.length - 1, payload: parts[i] });
      c.sendFrame({ opcode: OP.PING, payload: `pongme ${i}` });
      // The last fragment completes the message: its echo comes first.
      if (i === parts.length - 1)
        await expectEcho(c, OP.TEXT, parts.join(''));
      const f = await c.read();
      assert.equal(f.opcode, OP.PONG);
      assert.equal(f.payload.toString(), `pongme ${i}`);
      await sleep(20);
    }
    await closeClean(c);
  });
  it('empty fragments make an empty or whole message', async () => {
    const c = await connect();
    c.send(Buffer.concat([
      frame({ opcode: OP.TEXT, fin: false }),
      frame({ opcode: OP.CONT, fin: false }),
      frame({ opcode: OP.CONT })]));
    await expectEcho(c, OP.TEXT, '');
    c.send(Buffer.concat([
      frame({ opcode: OP.TEXT, fin: false }),
      frame({ opcode: OP.CONT, fin: false, payload: 'middle' }),
      frame({ opcode: OP.CONT })]));
    await expectEcho(c, OP.TEXT, 'middle');
    await closeClean(c);
  });
});

// Autobahn 6.x: valid texts are echoed, whole, fragmented per frame or
// split at every byte; invalid ones fail with 1007.
const VALID = {
  'Hello-µ@ßöäüàá-UTF-8!!': Buffer.from('Hello-µ@ßöäüàá-UTF-8!!'),
  'kosme': hex('cebae1bdb9cf83cebcceb5'),
  'first sequences of each length': hex('00 c280 e0a080 f0908080'),
  'last sequences of each length': hex('7f dfbf efbfbf f48fbfbf'),
  'boundaries': hex('ed9fbf ee8080 efbfbd f48fbfbf'),
  'noncharacters U+FFFE U+FFFF U+FDD0 U+10FFFE': hex('efbfbe efbfbf ' +
    'efb790 f48fbfbe'),
};
const INVALID = {
  'kosme with a surrogate': hex('cebae1bdb9cf83cebcceb5eda080656469746564'),
  'over U+10FFFF': hex('f4908080'),
  '5-byte sequence': hex('f888808080'),
  '6-byte sequence': hex('fc8480808080'),
  'lone continuation 0x80': hex('80'),
  'lone continuation 0xbf': hex('bf'),
  'continuations 80 bf 80 bf': hex('80bf80bf'),
  'lonely start bytes': hex('c020c120df20'),
  'truncated 2-byte': hex('41df'),
  'truncated 3-byte': hex('41efbf'),
  'truncated 4-byte': hex('41f7bfbf'),
  'impossible fe ff': hex('fefeffff'),
  'overlong slash c0af': hex('c0af'),
  'overlong slash e080af': hex('e080af'),
  'overlong slash f08080af': hex('f08080af'),
  'maximal overlong c1bf': hex('c1bf'),
  'maximal overlong e09fbf': hex('e09fbf'),
  'maximal overlong f08fbfbf': hex('f08fbfbf'),
  'overlong NUL c080': hex('c080'),
  'single surrogate U+D800': hex('eda080'),
  'single surrogate U+DFFF': hex('edbfbf'),
  'paired surrogates': hex('eda080edb080'),
};

describe('6 UTF-8', () => {
  for (const [name, p] of Object.entries(VALID)) {
    it(`valid: ${name}`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.TEXT, payload: p });
      await expectEcho(c, OP.TEXT, p);
      for (let cut = 1; cut < p.length; cut++) {
        c.send(Buffer.concat([frame({ opcode: OP.TEXT, fin: false,
          payload: p.subarray(0, cut) }), frame({ opcode: OP.CONT,
          payload: p.subarray(cut) })]));
        await expectEcho(c, OP.TEXT, p);
      }
      // One frame per byte.
      const frames = [];
      for (let i = 0; i < p.length; i++)
        frames.push(frame({ opcode: i ? OP.CONT : OP.TEXT,
          fin: i === p.length - 1, payload: p.subarray(i, i + 1) }));
      c.send(Buffer.concat(frames));
      await expectEcho(c, OP.TEXT, p);
      await closeClean(c);
    });
  }
  for (const [name, p] of Object.entries(INVALID)) {
    it(`invalid: ${name} fails with 1007`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.TEXT, payload: p });
      await expectFail(c, 1007);
    });
    it(`invalid: ${name}, one frame per byte, fails with 1007`,
      async () => {
        const c = await connect();
        const frames = [];
        for (let i = 0; i < p.length; i++)
          frames.push(frame({ opcode: i ? OP.CONT : OP.TEXT,
            fin: i === p.length - 1, payload: p.subarray(i, i + 1) }));
        c.send(Buffer.concat(frames));
        await expectFail(c, 1007);
      });
  }
  it('fail fast: invalid second fragment, third never needed', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.TEXT, fin: false,
      payload: hex('cebae1bdb9cf83cebcceb5') });
    c.sendFrame({ opcode: OP.CONT, fin: false, payload: hex('f4908080') });
    await expectFail(c, 1007, 1000);
  });
  it('fail fast: invalid bytes inside a frame not yet complete',
    async () => {
      const c = await connect();
      const f = frame({ opcode: OP.TEXT, payload: Buffer.concat([
        hex('cebae1bdb9cf83cebcceb5'), hex('f4908080'),
        Buffer.from('edited'.repeat(100))]) });
      // Everything up to the bad byte, and nothing more.
      c.send(f.subarray(0, 4 + 4 + 11 + 2));
      await expectFail(c, 1007, 1000);
    });
  it('fail fast: an impossible byte arriving alone', async () => {
    const c = await connect();
    const f = frame({ opcode: OP.TEXT, payload: Buffer.concat([
      Buffer.from('abc'), hex('ff'), Buffer.from('def')]) });
    await chopped(c, f.subarray(0, 8 + 4), 1, 2);
    await expectFail(c, 1007, 1000);
  });
  it('a character split across fragments with a ping between', async () => {
    const c = await connect();
    c.send(Buffer.concat([
      frame({ opcode: OP.TEXT, fin: false, payload: hex('41f0') }),
      frame({ opcode: OP.PING, payload: 'p' }),
      frame({ opcode: OP.CONT, fin: false, payload: hex('9080') }),
      frame({ opcode: OP.CONT, payload: hex('8042') })]));
    assert.equal((await c.read()).opcode, OP.PONG);
    await expectEcho(c, OP.TEXT, hex('41f090808042'));
    await closeClean(c);
  });
});

describe('7 closing', () => {
  it('a message, then close 1000: echo, close 1000, TCP closed',
    async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.TEXT, payload: 'Hello World!' });
      await expectEcho(c, OP.TEXT, 'Hello World!');
      await closeClean(c);
    });
  it('close twice: one close answered, nothing after it', async () => {
    const c = await connect();
    c.send(Buffer.concat([frame({ opcode: OP.CLOSE,
      payload: closePayload(1000) }), frame({ opcode: OP.CLOSE,
      payload: closePayload(1000) })]));
    const f = await c.closeFrame();
    assert.equal(f.code, 1000);
    assert.equal(await c.read(), null, 'a frame after the close');
  });
  for (const [what, after] of [
    ['ping', frame({ opcode: OP.PING, payload: 'Hello World!' })],
    ['text', frame({ opcode: OP.TEXT, payload: 'Hello World!' })],
    ['fragment', frame({ opcode: OP.CONT, payload: 'fragment2' })]]) {
    it(`a ${what} after our close is ignored`, async () => {
      const c = await connect();
      if (what === 'fragment')
        c.sendFrame({ opcode: OP.TEXT, fin: false, payload: 'fragment1' });
      c.send(Buffer.concat([frame({ opcode: OP.CLOSE,
        payload: closePayload(1000) }), after]));
      const f = await c.read();
      assert.equal(f.opcode, OP.CLOSE);
      assert.equal(f.code, 1000);
      assert.equal(await c.read(), null);
    });
  }
  it('a 256 KiB message, then close: echo, then close', async () => {
    const c = await connect();
    const p = Buffer.alloc(256 * 1024, 0x2a);
    c.send(Buffer.concat([frame({ opcode: OP.TEXT, payload: p }),
      frame({ opcode: OP.CLOSE, payload: closePayload(1000) })]));
    await expectEcho(c, OP.TEXT, p);
    const f = await c.read();
    assert.equal(f.code, 1000);
  });
  it('close without a payload is answered without a code', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.CLOSE });
    const f = await c.closeFrame();
    assert.equal(f.payload.length, 0);
    assert.ok(await c.tcpClosed());
  });
  it('close with a 1-byte payload fails with 1002', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.CLOSE, payload: hex('03') });
    await expectFail(c, 1002);
  });
  for (const n of [0, 10, 123]) {
    it(`close 1000 with a ${n}-byte reason`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.CLOSE,
        payload: closePayload(1000, '*'.repeat(n)) });
      const f = await c.closeFrame();
      assert.equal(f.code, 1000);
      assert.ok(await c.tcpClosed());
    });
  }
  it('close with a 124-byte reason (126 bytes) fails with 1002',
    async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.CLOSE,
        payload: closePayload(1000, '*'.repeat(124)) });
      await expectFail(c, 1002);
    });
  it('close with a reason that is not UTF-8 fails with 1007', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(1000,
      hex('cebae1bdb9cf83cebcceb5eda080656469746564')) });
    await expectFail(c, 1007);
  });
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011,
    3000, 3999, 4000, 4999]) {
    it(`valid close code ${code} is echoed`, async () => {
      const c = await connect();
      await closeClean(c, code);
    });
  }
  // 1012-1014 were registered after RFC 6455; wslay, like Autobahn's
  // older releases, refuses them (1002).  Not asserted either way.
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
    5000, 65535]) {
    it(`invalid close code ${code} fails with 1002`, async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.CLOSE, payload: closePayload(code) });
      await expectFail(c, 1002);
    });
  }
  it('an unmasked client frame fails with 1002', async () => {
    const c = await connect();
    c.sendFrame({ opcode: OP.TEXT, payload: 'Hello', mask: false });
    await expectFail(c, 1002);
  });
  it('a 64-bit length with the top bit set fails with 1002', async () => {
    const c = await connect();
    const f = frame({ opcode: OP.BINARY, payload: 'x' });
    const bad = Buffer.concat([Buffer.from([0x82, 0xff]),
      Buffer.from('8000000000000001', 'hex'), f.subarray(2)]);
    c.send(bad);
    await expectFail(c, 1002);
  });
  it('a non-minimal length encoding fails with 1002', async () => {
    const c = await connect();
    // 5 bytes announced with the 16-bit form.
    c.send(Buffer.concat([Buffer.from([0x81, 0xfe, 0x00, 0x05, 0, 0, 0, 0]),
      Buffer.from('Hello')]));
    await expectFail(c, 1002);
  });
  it('the client going away without a close frame ends the session',
    async () => {
      const c = await connect();
      c.sendFrame({ opcode: OP.TEXT, payload: 'bye' });
      await expectEcho(c, OP.TEXT, 'bye');
      c.destroy();
    });
});

describe('9 limits and large messages', () => {
  for (const n of [64 << 10, 256 << 10, 1 << 20, 4 << 20, 16 << 20]) {
    it(`text message of ${n} bytes is echoed`, async () => {
      const c = await connect();
      const p = Buffer.alloc(n, 0x2a);
      c.sendFrame({ opcode: OP.TEXT, payload: p });
      await expectEcho(c, OP.TEXT, p, 30000);
      await closeClean(c);
    });
  }
  it('binary message of 16 MiB is echoed', async () => {
    const c = await connect();
    const p = Buffer.alloc(16 << 20);
    for (let i = 0; i < p.length; i += 4096) p[i] = i & 0xff;
    c.sendFrame({ opcode: OP.BINARY, payload: p });
    await expectEcho(c, OP.BINARY, p, 30000);
    await closeClean(c);
  });
  for (const size of [64, 1024, 65536, 1 << 20]) {
    it(`4 MiB text in fragments of ${size} bytes`, async () => {
      const c = await connect();
      const p = Buffer.alloc(4 << 20, 0x41);
      const frames = [];
      for (let i = 0; i < p.length; i += size)
        frames.push(frame({ opcode: i ? OP.CONT : OP.TEXT,
          fin: i + size >= p.length, payload: p.subarray(i, i + size) }));
      c.send(Buffer.concat(frames));
      await expectEcho(c, OP.TEXT, p, 30000);
      await closeClean(c);
    });
  }
  it('1 MiB binary sent in chunks of 1 KiB', async () => {
    const c = await connect();
    const p = Buffer.alloc(1 << 20, 0x7);
    await chopped(c, frame({ opcode: OP.BINARY, payload: p }), 1024);
    await expectEcho(c, OP.BINARY, p, 30000);
    await closeClean(c);
  });
  for (const [n, size] of [[1000, 16], [1000, 1024], [100, 65536]]) {
    it(`${n} messages of ${size} bytes, one in flight`, async () => {
      const c = await connect();
      const p = Buffer.alloc(size, 0x2a);
      for (let i = 0; i < n; i++) {
        c.sendFrame({ opcode: OP.TEXT, payload: p });
        await expectEcho(c, OP.TEXT, p);
      }
      await closeClean(c);
    });
  }
  it('1000 messages sent at once come back in order', async () => {
    const c = await connect();
    const all = [];
    for (let i = 0; i < 1000; i++)
      all.push(frame({ opcode: OP.TEXT, payload: `message ${i}` }));
    c.send(Buffer.concat(all));
    for (let i = 0; i < 1000; i++)
      await expectEcho(c, OP.TEXT, `message ${i}`);
    await closeClean(c);
  });
  it('a frame announcing more than the limit fails at once with 1009',
    async () => {
      const c = await connect();
      // The header and one byte of the 16 MiB + 1 announced.
      const head = frame({ opcode: OP.BINARY, payload: Buffer.alloc(0),
        len: (16 << 20) + 1 });
      c.send(Buffer.concat([head, Buffer.from('x')]));
      await expectFail(c, 1009, 2000);
    });
  it('fragments adding up to more than the limit fail with 1009',
    async () => {
      const c = await connect();
      const p = Buffer.alloc(9 << 20, 0x41);
      c.sendFrame({ opcode: OP.TEXT, fin: false, payload: p });
      c.sendFrame({ opcode: OP.CONT, fin: false, payload: p });
      await expectFail(c, 1009, 10000);
    });
});

describe('10 miscellaneous', () => {
  it('64 KiB text in frames of 1300 bytes', async () => {
    const c = await connect();
    const p = Buffer.alloc(65536, 0x2a);
    const frames = [];
    for (let i = 0; i < p.length; i += 1300)
      frames.push(frame({ opcode: i ? OP.CONT : OP.TEXT,
        fin: i + 1300 >= p.length, payload: p.subarray(i, i + 1300) }));
    c.send(Buffer.concat(frames));
    await expectEcho(c, OP.TEXT, p);
    await closeClean(c);
  });
  it('the server sends no frame before the client does', async () => {
    const c = await connect();
    await sleep(100);
    assert.equal(c.len, 0, 'the echo endpoint spoke first');
    await closeClean(c);
  });
});
