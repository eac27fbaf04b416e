/** A build killed with SIGKILL during RUN takes the RUN's processes with it; the next store open removes its mounts. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageStore, processIsDead } from '../src/index.js';
import { checkStore } from './build-helpers.js';
import { mountsUnder, useTempStore } from './fixtures.js';

const child = join(dirname(fileURLToPath(import.meta.url)), 'run-orphans-child.js');

async function readPid(path: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (/^\d+\n/.test(text)) return Number.parseInt(text, 10);
    if (Date.now() > deadline) throw new Error(`${path} was not written`);
    await sleep(50);
  }
}

/** Dead, or a zombie its new parent (init, which here may reap late) has not collected yet. */
async function ended(pid: number): Promise<boolean> {
  if (processIsDead(pid)) return true;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

async function gone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ended(pid)) return true;
    await sleep(50);
  }
  return ended(pid);
}

describe('RUN when the build is killed', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-run-orphans-');

  for (const mounter of ['overlay', 'copy'] as const) {
    it(`${mounter}: kill -9 of the build ends the RUN's command and what it started; the next store open unmounts its root`, async () => {
      const { store, dir } = temp;
      const pids = join(dir, 'pids');
      const context = join(dir, 'context');
      await mkdir(context, { recursive: true });
      // The shell, and a sleep it started in the background.
      await writeFile(join(context, 'Kubefile'), `FROM scratch\nRUN sleep 300 & echo $! > ${pids}.sleep; echo $$ > ${pids}.sh; wait\n`);
      const mountsBefore = await mountsUnder(store.root);
      const build = spawn(process.execPath, [child, store.root, context, mounter], { stdio: ['ignore', 'ignore', 'inherit'] });
      const exited = new Promise((resolve) => build.once('exit', resolve));
      const leftovers: number[] = [];
      try {
        const shell = await readPid(`${pids}.sh`, 30_000);
        const sleeper = await readPid(`${pids}.sleep`, 5_000);
        leftovers.push(shell, sleeper);
        assert.ok(!(await ended(shell)) && !(await ended(sleeper)), 'the RUN is running');
        build.kill('SIGKILL');
        await exited;
        assert.ok(await gone(shell, 5_000), `the RUN's shell (pid ${shell}) is gone`);
        assert.ok(await gone(sleeper, 5_000), `the sleep it started (pid ${sleeper}) is gone`);
      } finally {
        build.kill('SIGKILL');
        for (const pid of leftovers) if (!(await ended(pid))) process.kill(pid, 'SIGKILL');
        for (const pid of leftovers) await gone(pid, 5_000);
        // The next store open unmounts the killed build's RUN root, even when the test failed.
        await ImageStore.open(store.root);
      }
      assert.deepEqual(await mountsUnder(store.root), mountsBefore, 'the next store open unmounted the killed build\'s root');
      await checkStore(await ImageStore.open(store.root));
    });
  }
});
