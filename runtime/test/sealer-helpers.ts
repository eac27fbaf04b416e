/**
 * Test helpers: the real sealer (v0.11.0) as a reference client, run in a session that keeps all of
 * its state under one temp dir.
 *
 * What sealer touches, and how a session deals with it:
 * - Images: containers/storage. sealer honours CONTAINERS_STORAGE_CONF, so each session points it at
 *   its own `storage.conf` (graphroot and runroot under the session's dir). But sealer also writes
 *   `/etc/containers/storage.conf` (and policy.json, registries.conf) whenever they are missing, and
 *   reads that storage.conf once to probe overlay support (creating `<graphroot>/overlay` of the
 *   default one, /var/lib/containers/storage). So when /etc/containers/storage.conf is missing the
 *   session writes one pointing into its dir (with a marker line), and removes it in cleanup.
 * - `~/.sealer/auth.json`: sealer finds HOME through $HOME; the session sets HOME to its dir.
 * - Temporary files: $TMPDIR (set to the session's dir); the parsed Kubefile goes to /tmp/sealer-dockerfile*
 *   (removed by sealer itself).
 * - `/var/lib/sealer/log`: not written with `--log-to-file=false`, which every run passes (with `--color never`).
 * - `/var/lib/containers/cache` (the blob info cache of containers/image, fixed for root).
 * Whatever of /etc/containers/{storage.conf,policy.json,registries.conf}, /var/lib/sealer,
 * /var/lib/containers(/cache,/storage), /root/.sealer did not exist at the start is removed in cleanup,
 * as is every mount left under the session's dir (overlay's private bind mount of its home, layers
 * left mounted by a failed build).
 *
 * RUN: buildah needs runc, unless BUILDAH_ISOLATION=chroot, which the session sets (the image then needs /bin/sh).
 *
 * Sessions are serialised across processes by an exclusive lock file (/tmp/kubefile-sealer.lock, created
 * with O_EXCL, holding the owner's pid); a lock whose pid is gone is taken over, and then the dirs of
 * sessions that died without cleanup are cleaned too.
 */
import { spawn, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mountsUnder } from './fixtures.js';

export { mountsUnder };

const execFileAsync = promisify(execFile);

/** process.env.SEALER_BIN when that file exists, else undefined (sealer tests are skipped). */
export const SEALER_BIN: string | undefined = process.env.SEALER_BIN && existsSync(process.env.SEALER_BIN) ? process.env.SEALER_BIN : undefined;

/** The lock file that serialises sealer sessions across processes. */
/**
 * A suite that needs the real sealer: defined when SEALER_BIN names it; otherwise not defined at
 * all, and one line says so (no skipped suite hides a missing part).
 */
export function describeWithSealer(title: string, suite: (this: Mocha.Suite, bin: string) => void): void {
  const bin = SEALER_BIN;
  if (!bin) {
    console.log(`${title}: skipped, SEALER_BIN is not set (e.g. SEALER_BIN=/work/shared/tools/sealer/sealer)`);
    return;
  }
  describe(title, function () {
    suite.call(this, bin);
  });
}

export const SEALER_LOCK = '/tmp/kubefile-sealer.lock';
const SESSION_PREFIX = 'kubefile-sealer-';
const MARKER = '# written by kubefile runtime/test/sealer-helpers.ts';
const STORAGE_CONF = '/etc/containers/storage.conf';
/** What sealer creates outside the session when missing; removed in cleanup when it was missing at the start (deepest first). */
const GLOBAL_PATHS = [
  '/etc/containers/storage.conf',
  '/etc/containers/policy.json',
  '/etc/containers/registries.conf',
  '/etc/containers',
  '/var/lib/sealer',
  '/var/lib/containers/cache',
  '/var/lib/containers/storage',
  '/var/lib/containers',
  '/root/.sealer',
];
/** Global flags put before every command: no ANSI colours, no log file under /var/lib/sealer. */
const GLOBAL_FLAGS = ['--color', 'never', '--log-to-file=false'];

export interface SealerRunOptions {
  /** Working directory (default: the session's dir). `sealer build` resolves APP `local://` paths against it: run builds in the context. */
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
}

export interface SealerResult {
  stdout: string;
  stderr: string;
}

/** A failed sealer command: the message carries its stderr. */
export class SealerError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`sealer ${args.join(' ')} exited with ${exitCode}:\n${stderr.trim() || stdout.trim()}`);
    this.name = 'SealerError';
  }
}

export interface SealerSession {
  /** The session's temp dir; sealer's storage is `dir/storage` (graphroot) and `dir/run` (runroot). */
  dir: string;
  /** The containers/storage config the session points sealer at. */
  storageConf: string;
  /** The environment every run gets (on top of process.env). */
  env: Record<string, string>;
  /** Runs `sealer ...args`; throws a SealerError on a non-zero exit. */
  run(args: string[], opts?: SealerRunOptions): Promise<SealerResult>;
  /** A skopeo/containers-image reference to `name` in the session's store: `containers-storage:[overlay@GRAPH+RUN]name`. */
  storageRef(name: string): string;
  /** Unmounts, removes the dir and what sealer created outside it, releases the lock. Safe to call twice. */
  cleanup(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquireLock(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const handle = await open(SEALER_LOCK, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const content = await readFile(SEALER_LOCK, 'utf8').catch(() => undefined);
    if (content !== undefined) {
      const pid = Number.parseInt(content, 10);
      let stale = Number.isInteger(pid) && pid > 0 ? !pidAlive(pid) : false;
      // An empty or garbled lock: its writer died between create and write (give it a moment).
      if (!(Number.isInteger(pid) && pid > 0)) {
        const age = await stat(SEALER_LOCK).then((s) => Date.now() - s.mtimeMs, () => 0);
        stale = age > 5000;
      }
      // Re-check the content before removing, so that a lock just re-taken by someone else survives.
      if (stale && (await readFile(SEALER_LOCK, 'utf8').catch(() => undefined)) === content) {
        await unlink(SEALER_LOCK).catch(() => undefined);
        continue;
      }
    }
    if (Date.now() > deadline) throw new Error(`sealer lock ${SEALER_LOCK} is held by pid ${content?.trim()} for too long`);
    await sleep(200);
  }
}

async function releaseLock(): Promise<void> {
  const content = await readFile(SEALER_LOCK, 'utf8').catch(() => undefined);
  if (content?.trim() === String(process.pid)) await unlink(SEALER_LOCK).catch(() => undefined);
}

async function unmountAll(dir: string): Promise<void> {
  // A point can be mounted several times (stacked): repeat until none is left.
  for (let round = 0; round < 10; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const point of points) {
      await execFileAsync('umount', [point]).catch(() => execFileAsync('umount', ['-l', point]).catch(() => undefined));
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0) throw new Error(`could not unmount ${left.join(', ')}`);
}

async function removeDir(dir: string): Promise<void> {
  await unmountAll(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Dirs of sessions that died without cleanup (only called while holding the lock, so none is live). */
async function removeStaleSessions(): Promise<void> {
  const base = tmpdir();
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (name.startsWith(SESSION_PREFIX)) await removeDir(join(base, name)).catch(() => undefined);
  }
}

async function existedBefore(path: string): Promise<boolean> {
  if (!existsSync(path)) return false;
  // Our own storage.conf left by a session that died: not the machine's.
  if (path === STORAGE_CONF) return !(await readFile(path, 'utf8').catch(() => '')).includes(MARKER);
  return true;
}

/** Starts a session (waiting for the lock up to `lockTimeoutMs`, default 10 minutes). */
export async function startSealer(bin: string, { lockTimeoutMs = 10 * 60_000 } = {}): Promise<SealerSession> {
  await acquireLock(lockTimeoutMs);
  try {
    await removeStaleSessions();
    const dir = await mkdtemp(join(tmpdir(), SESSION_PREFIX));
    const graph = join(dir, 'storage');
    const runroot = join(dir, 'run');
    const storageConf = join(dir, 'storage.conf');
    const conf = `${MARKER}\n[storage]\ndriver = "overlay"\nrunroot = "${runroot}"\ngraphroot = "${graph}"\n`;
    await writeFile(storageConf, conf);
    for (const sub of ['home', 'tmp']) await mkdir(join(dir, sub));

    const missing: string[] = [];
    for (const path of GLOBAL_PATHS) if (!(await existedBefore(path))) missing.push(path);
    if (missing.includes(STORAGE_CONF)) {
      await mkdir('/etc/containers', { recursive: true });
      await writeFile(STORAGE_CONF, conf);
    }

    const env: Record<string, string> = {
      HOME: join(dir, 'home'),
      TMPDIR: join(dir, 'tmp'),
      CONTAINERS_STORAGE_CONF: storageConf,
      BUILDAH_ISOLATION: 'chroot',
    };

    let cleaned = false;
    const session: SealerSession = {
      dir,
      storageConf,
      env,
      storageRef: (name) => `containers-storage:[overlay@${graph}+${runroot}]${name}`,
      run(args, opts = {}) {
        const fullArgs = [...GLOBAL_FLAGS, ...args];
        return new Promise<SealerResult>((resolve, reject) => {
          const child = spawn(bin, fullArgs, { cwd: opts.cwd ?? dir, env: { ...process.env, ...env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
          child.once('error', reject);
          child.once('close', (code) => (code === 0 ? resolve({ stdout, stderr }) : reject(new SealerError(args, code, stdout, stderr))));
          child.stdin.end(opts.input ?? '');
        });
      },
      async cleanup() {
        if (cleaned) return;
        cleaned = true;
        try {
          await removeDir(dir);
          // Deepest first (the list is ordered so); a path that was there at the start stays.
          for (const path of missing) {
            if (existsSync(path)) {
              await unmountAll(path);
              await rm(path, { recursive: true, force: true });
            }
          }
        } finally {
          await releaseLock();
        }
      },
    };
    return session;
  } catch (error) {
    await releaseLock();
    throw error;
  }
}
