/** The store lock names its holder by pid and start time: a pid reused by another process does not hold it, and a wait on a live holder says what it waits for. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, processStartTime, type LockHolder } from '../src/index.js';

describe('store lock: stale holders and waits', function () {
  let dir: string;
  let sleeper: ChildProcess;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-lock-'));
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  });
  afterEach(async () => {
    sleeper.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('writes its pid, its start time and its command into the lock file', async () => {
    const lock = join(dir, 'index.lock');
    const release = await acquireLock(lock);
    const [first] = (await readFile(lock, 'utf8')).split('\n');
    assert.equal(first, `${process.pid} ${processStartTime(process.pid)}`);
    await release();
  });

  it('takes over at once a lock whose pid is alive but started at another time (a reused pid)', async () => {
    const lock = join(dir, 'index.lock');
    const start = processStartTime(sleeper.pid!);
    assert.ok(start !== undefined);
    await writeFile(lock, `${sleeper.pid} ${start - 1}\nkubefilec build\n`);
    const waits: LockHolder[] = [];
    const began = Date.now();
    const release = await acquireLock(lock, { timeoutMs: 3_000, onWait: (holder) => waits.push(holder) });
    assert.ok(Date.now() - began < 1_000, 'taken over at once');
    assert.deepEqual(waits, []);
    assert.equal((await readFile(lock, 'utf8')).split(' ')[0], String(process.pid));
    await release();
  });

  it('waits for a live holder with the right start time, saying whom it waits for', async () => {
    const lock = join(dir, 'index.lock');
    await writeFile(lock, `${sleeper.pid} ${processStartTime(sleeper.pid!)}\nkubefilec build\n`);
    const messages: string[] = [];
    await assert.rejects(acquireLock(lock, { timeoutMs: 600, waitNoticeMs: 100, onWait: (_holder, message) => messages.push(message) }), (error: Error) => {
      assert.match(error.message, new RegExp(`locked by pid ${sleeper.pid} \\(kubefilec build\\)`));
      return true;
    });
    assert.equal(messages.length, 1, 'said once');
    assert.match(messages[0], new RegExp(`^waiting for the store lock held by pid ${sleeper.pid} \\(kubefilec build, since \\d{4}-\\d\\d-\\d\\dT`));
  });

  it('still honours a lock file of the earlier format (the pid alone) while that pid lives, and breaks it when it is dead', async () => {
    const lock = join(dir, 'index.lock');
    await writeFile(lock, `${sleeper.pid}\n`);
    const messages: string[] = [];
    await assert.rejects(acquireLock(lock, { timeoutMs: 400, waitNoticeMs: 0, onWait: (_holder, message) => messages.push(message) }), /locked by pid/);
    assert.match(messages[0] ?? '', new RegExp(`held by pid ${sleeper.pid} \\(since `));
    sleeper.kill('SIGKILL');
    await new Promise((resolve) => sleeper.once('exit', resolve));
    const release = await acquireLock(lock, { timeoutMs: 2_000 });
    await release();
  });
});
