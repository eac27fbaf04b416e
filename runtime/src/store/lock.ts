/**
 * An exclusive lock between processes: a file created with O_EXCL that holds the owner's pid.
 * A lock whose owner is dead (a build killed with SIGKILL) is broken by the next taker; breaking
 * is itself guarded by a second lock file so two takers cannot both break and then both enter.
 */
import { readFile, unlink, writeFile, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, RuntimeError, throwIfAborted } from '../errors.js';

export type Release = () => Promise<void>;

export interface LockOptions {
  /** Give up after this long (default 10 minutes: a lock is only held for index updates). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let wait = 2;
  for (;;) {
    throwIfAborted(options.signal);
    if (await tryCreate(path)) return () => unlink(path).catch(() => undefined);
    await breakIfStale(path);
    if (Date.now() > deadline) throw new RuntimeError('LOCKED', `the store is locked by another process (${path}); remove the file if no kubefilec is running`);
    await sleep(wait);
    wait = Math.min(wait * 2, 50);
  }
}

export async function withLock<T>(path: string, work: () => Promise<T>, options?: LockOptions): Promise<T> {
  const release = await acquireLock(path, options);
  try {
    return await work();
  } finally {
    await release();
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  }
}

/** True when the process is gone. EPERM means it exists but belongs to someone else. */
export function processIsDead(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errnoCode(error) === 'ESRCH';
  }
}

async function ownerOf(path: string): Promise<number | undefined> {
  try {
    return Number.parseInt(await readFile(path, 'utf8'), 10);
  } catch {
    return undefined;
  }
}

async function breakIfStale(path: string): Promise<void> {
  const owner = await ownerOf(path);
  // An empty file is a taker between create and write: give it a moment before calling it stale.
  if (owner === undefined || (Number.isNaN(owner) && !(await olderThan(path, 5_000)))) return;
  if (!Number.isNaN(owner) && !processIsDead(owner)) return;
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker))) {
    const breakerOwner = await ownerOf(breaker);
    if (breakerOwner !== undefined && processIsDead(breakerOwner) && (await olderThan(breaker, 1_000))) await unlink(breaker).catch(() => undefined);
    return;
  }
  try {
    // Still the same dead owner: nobody else broke it and re-took it meanwhile.
    if ((await ownerOf(path)) === owner || Number.isNaN(owner)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}
