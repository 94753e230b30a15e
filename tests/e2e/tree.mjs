// A real actord for the end-to-end tests: what tests/lib.sh's tree_start
// and tree_stop do, for node.
//
//   const tree = await startTree();   // temp dir, config, actord, gateway up
//   tree.url                          // http://127.0.0.1:<port>/
//   await tree.ctl('kill', 'coordinator', 'KILL');
//   await tree.stop();                // shutdown; kill what is left; rm -rf
//
// actord runs in a process group of its own (its children stay in it), so
// whatever happens to the test, killing the group leaves nothing behind.
// stopAllTrees() is called on exit and on SIGINT/SIGTERM as a last resort.

import { spawn, execFile } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync,
  rmSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = ((d) => (isAbsolute(d) ? d : join(ROOT, d)))(
  process.env.BINDIR || 'bin');
export const ACTORD = join(BIN, 'actord');
export const ACTORCTL = join(BIN, 'actorctl');

const trees = new Set();

// Run actorctl against a config; resolves to stdout, rejects with the
// exit code and stderr.
function actorctl(conf, args, { timeoutMs = 30000 } = {}) {
  return new Promise((resolveRun, reject) => {
    execFile(ACTORCTL, ['-c', conf, ...args], { timeout: timeoutMs },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `actorctl ${args.join(' ')}: exit ${err.code}` +
            `${err.signal ? ` (${err.signal})` : ''}: ${stderr.trim()}`;
          reject(err);
        } else {
          resolveRun(stdout);
        }
      });
  });
}

// Is any process of the group `pgid` still alive?
function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

// Wait until `cond()` holds, checking every 10 ms (for things no event
// announces: a socket file appearing, a process group emptying).
async function waitFor(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(10);
  }
}

// Start actord in a fresh temporary dir with the gateway on a free port.
// `config` is extra config text (e.g. "[session]\nactor_wait_ms = 1000").
export async function startTree({ config = '', logLevel = 'info' } = {}) {
  const tmp = mkdtempSync('/tmp/actord-e2e-');
  const conf = join(tmp, 'actord.conf');
  writeFileSync(conf, `[actord]
state_dir = ${tmp}/state
run_dir = ${tmp}/run
program_dir = ${process.env.PROGRAM_DIR || BIN}
web_dir = ${ROOT}/web
log_level = ${process.env.LOG_LEVEL || logLevel}

[gateway]
listen = 127.0.0.1:0
${config}
`);
  const log = join(tmp, 'actord.log');
  const fd = openSync(log, 'a');
  const child = spawn(ACTORD, ['-c', conf], {
    detached: true,                  /* its own process group */
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const tree = {
    tmp, conf, log, pid: child.pid, port: null, url: null, exited: false,
    ctl: (...args) => actorctl(conf, args),
    // `actorctl --json ARGS...`, parsed.
    ctlJson: async (...args) => JSON.parse(await actorctl(conf,
      ['--json', ...args])),
    // The last lines of actord's log, for failure messages.
    logTail: (n = 30) => {
      try {
        return readFileSync(log, 'utf8').split('\n').slice(-n - 1).join('\n');
      } catch {
        return '';
      }
    },
    stop: () => stopTree(tree),
  };
  tree.exitedPromise = new Promise((res) => child.once('exit', (code, sig) => {
    tree.exited = true;
    tree.exitStatus = sig ?? code;
    res();
  }));
  child.once('error', () => { tree.exited = true; });
  trees.add(tree);
  try {
    const sock = join(tmp, 'run', 'actord.sock');
    await waitFor(() => existsSync(sock) || tree.exited, 20000,
      'the control socket');
    if (tree.exited)
      throw new Error('actord exited');
    await actorctl(conf, ['-t', '20000', 'wait', 'gateway', 'up']);
    const status = await tree.ctlJson('status');
    tree.port = Number(String(status.listen).replace(/.*:/, ''));
    if (!(tree.port > 0))
      throw new Error(`no port in status: ${JSON.stringify(status.listen)}`);
    tree.url = `http://127.0.0.1:${tree.port}/`;
  } catch (e) {
    e.message += `\n# actord.log:\n${tree.logTail()}`;
    await stopTree(tree);
    throw e;
  }
  return tree;
}

// Orderly shutdown, then SIGKILL for anything left, then remove the temp
// dir. Resolves to true when the shutdown alone left nothing running.
export async function stopTree(tree) {
  if (!trees.has(tree))
    return true;
  let clean = false;
  try {
    if (!tree.exited) {
      await tree.ctl('shutdown').catch(() => {
        try { process.kill(tree.pid, 'SIGTERM'); } catch { /* gone */ }
      });
      await Promise.race([tree.exitedPromise,
        delay(20000, null, { ref: false })]);
    }
    await waitFor(() => !groupAlive(tree.pid), 10000, 'the tree to exit')
      .catch(() => {});
    clean = tree.exited && !groupAlive(tree.pid);
  } finally {
    killTree(tree);
  }
  return clean;
}

// Synchronous last resort: SIGKILL the whole group, remove the temp dir.
function killTree(tree) {
  try { process.kill(-tree.pid, 'SIGKILL'); } catch { /* none left */ }
  try { rmSync(tree.tmp, { recursive: true, force: true }); } catch { }
  trees.delete(tree);
}

// Kill every tree still running (on exit, or on a signal).
export function stopAllTrees() {
  for (const t of [...trees])
    killTree(t);
}

process.once('exit', stopAllTrees);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.once(sig, () => {
    stopAllTrees();
    process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]);
  });
