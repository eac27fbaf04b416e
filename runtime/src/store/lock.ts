/**
 * An exclusive lock between processes: a file created with O_EXCL that names its holder: the pid,
 * the process's start time (field 22 of /proc/<pid>/stat, so that a pid reused by another process
 * is not taken for the holder) and what the holder is (`kubefilec build`). Lock files of earlier
 * versions hold the pid alone; they are read as before.
 * A lock whose holder is gone (a build killed with SIGKILL) is broken by the next taker; breaking
 * is itself guarded by a second lock file so two takers cannot both break and then both enter.
 */
import { readFileSync } from 'node:fs';
import { readFile, unlink, writeFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode, RuntimeError, throwIfAborted } from '../errors.js';

export type Release = () => Promise<void>;

/** Who holds a lock, as its file says. */
export interface LockHolder {
  pid: number;
  /** Start time of the process in clock ticks after boot; undefined in lock files of earlier versions. */
  startTime?: number;
  /** `kubefilec build`, when the file says. */
  command?: string;
  /** When the lock was taken (the file's mtime). */
  since?: Date;
}

export interface LockOptions {
  /** Give up after this long (default 10 minutes: a lock is only held for index updates). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Called once per holder when the lock has been held by a live process for `waitNoticeMs`
   * (default 2 s). Without it the notice is a line on stderr.
   */
  onWait?: (holder: LockHolder, message: string) => void;
  waitNoticeMs?: number;
}

export async function acquireLock(path: string, options: LockOptions = {}): Promise<Release> {
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 600_000);
  const noticeAt = started + (options.waitNoticeMs ?? 2_000);
  let noticed: string | undefined;
  let wait = 2;
  for (;;) {
    throwIfAborted(options.signal);
    if (await tryCreate(path)) return () => unlink(path).catch(() => undefined);
    const holder = await breakIfStale(path);
    if (holder !== undefined && Date.now() >= noticeAt) {
      const key = `${holder.pid} ${holder.startTime ?? ''}`;
      if (key !== noticed) {
        noticed = key;
        const message = waitMessage(path, holder);
        if (options.onWait) options.onWait(holder, message);
        else process.stderr.write(`kubefilec: ${message}\n`);
      }
    }
    if (Date.now() > deadline) {
      const who = holder ? `pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}` : 'another process';
      throw new RuntimeError('LOCKED', `the store is locked by ${who} (${path}); remove the file if no kubefilec is running`);
    }
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

function waitMessage(path: string, holder: LockHolder): string {
  const what = basename(path) === 'index.lock' ? 'the store lock' : `the lock ${path}`;
  const details = [holder.command, holder.since ? `since ${holder.since.toISOString()}` : undefined].filter((d) => d !== undefined);
  return `waiting for ${what} held by pid ${holder.pid}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

let ownContent: string | undefined;

/** `PID START_TIME\nCOMMAND\n`: earlier versions read the leading pid and nothing else. */
function lockContent(): string {
  if (ownContent === undefined) {
    const start = processStartTime(process.pid);
    ownContent = `${process.pid}${start !== undefined ? ` ${start}` : ''}\n${commandName()}\n`;
  }
  return ownContent;
}

/** `kubefilec build`: the program and its first argument when that is a word (a subcommand, never a value). */
function commandName(): string {
  const program = basename(process.argv[1] ?? process.argv0).replace(/\.[cm]?[jt]s$/, '');
  const sub = process.argv[2];
  return sub !== undefined && /^[a-z][a-z-]*$/.test(sub) ? `${program} ${sub}` : program;
}

/** Field 22 of /proc/<pid>/stat (after the parenthesized name, which may hold spaces), or undefined without /proc. */
export function processStartTime(pid: number): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const value = Number.parseInt(fields[19], 10);
    return Number.isNaN(value) ? undefined : value;
  } catch {
    return undefined;
  }
}

async function tryCreate(path: string): Promise<boolean> {
  try {
    await writeFile(path, lockContent(), { flag: 'wx' });
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

/** True when the holder's process is gone, or its pid now names another process (a different start time). */
export function holderIsGone(holder: Pick<LockHolder, 'pid' | 'startTime'>): boolean {
  if (processIsDead(holder.pid)) return true;
  if (holder.startTime === undefined) return false;
  const now = processStartTime(holder.pid);
  return now !== undefined && now !== holder.startTime;
}

/** The file's text, undefined when it is gone. */
async function contentOf(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The holder a lock file names; pid NaN when the file is empty or unreadable as a pid. */
export function parseLockHolder(text: string): LockHolder {
  const [first = '', command] = text.split('\n');
  const [pid, start] = first.trim().split(/\s+/);
  const startTime = start !== undefined && /^\d+$/.test(start) ? Number.parseInt(start, 10) : undefined;
  return { pid: Number.parseInt(pid ?? '', 10), ...(startTime !== undefined ? { startTime } : {}), ...(command?.trim() ? { command: command.trim() } : {}) };
}

/** Breaks the lock when its holder is gone; returns the live holder it waits for, if any. */
async function breakIfStale(path: string): Promise<LockHolder | undefined> {
  const content = await contentOf(path);
  if (content === undefined) return undefined;
  const owner = parseLockHolder(content);
  // An empty file is a taker between create and write: give it a moment before calling it stale.
  if (Number.isNaN(owner.pid) && !(await olderThan(path, 5_000))) return undefined;
  if (!Number.isNaN(owner.pid) && !holderIsGone(owner)) {
    const since = await stat(path).then((s) => s.mtime, () => undefined);
    return since ? { ...owner, since } : owner;
  }
  const breaker = `${path}.break`;
  if (!(await tryCreate(breaker))) {
    const breakerContent = await contentOf(breaker);
    if (breakerContent !== undefined) {
      const breakerOwner = parseLockHolder(breakerContent);
      if (holderIsGone(breakerOwner) && (await olderThan(breaker, 1_000))) await unlink(breaker).catch(() => undefined);
    }
    return undefined;
  }
  try {
    // Still the same gone holder: nobody else broke it and re-took it meanwhile.
    if ((await contentOf(path)) === content || Number.isNaN(owner.pid)) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
  return undefined;
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}
