/**
 * Runs one RUN command as sealer does: on the build host, in the image root (the merged view of
 * the layers so far), with the root's `bin/` first on PATH and the environment of the step (ARG and
 * ENV values and the platform variables). Shell form goes to `/bin/sh -c`, heredocs included (the
 * shell reads them); exec form runs the program directly.
 *
 * `isolation: 'chroot'` runs it inside the root instead, the root as `/` (for images that are whole
 * OS trees), with a minimal `/dev` and `/proc` when the image has those directories.
 * `network: 'none'` gives the command a network namespace of its own, with no interface up.
 */
import { execa } from 'execa';
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunOp } from '@kubefile/compiler';
import { emulateNamedProgram, requireChrootEmulation, writeEmulationShims } from '../emulation/emulation.js';
import { RuntimeError } from '../errors.js';

export type Isolation = 'host' | 'chroot';
export type NetworkMode = 'host' | 'none';

const STANDARD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface RunCommandOptions {
  /** The image root the command runs in. */
  root: string;
  /** `linux/arm64/v8`, for messages. */
  platform: string;
  signal?: AbortSignal;
  /** Each line the command prints (stdout and stderr). */
  onOutput?: (line: string) => void;
  /** The platform's architecture (`arm64`): foreign programs run through qemu. */
  architecture: string;
  /** A directory of the step's own (emulation shims), outside the root. */
  scratch: string;
  isolation?: Isolation;
  network?: NetworkMode;
}

/** The argv a RUN op runs. */
export function commandLine(op: Pick<RunOp, 'command' | 'heredocs'>): string[] {
  if (Array.isArray(op.command)) return op.command;
  const heredocs = op.heredocs ?? [];
  // `RUN <<EOF` alone: the heredoc is the script.
  if (heredocs.length > 0 && /^\s*(\d?<<-?["']?\w+["']?\s*)+$/.test(op.command)) return ['/bin/sh', '-c', heredocs[0].content];
  // The shell reads the bodies after the command line, as written in the Kubefile.
  const script = heredocs.reduce((text, h) => `${text}\n${h.content}${h.name}`, op.command);
  return ['/bin/sh', '-c', script];
}

export async function runCommand(op: RunOp, options: RunCommandOptions): Promise<void> {
  if ((options.isolation === 'chroot' || options.network === 'none') && process.getuid?.() !== 0) {
    throw new RuntimeError('UNSUPPORTED', `RUN ${options.isolation === 'chroot' ? '--isolation chroot' : '--network none'} needs root`);
  }
  if (options.isolation === 'chroot') {
    await requireChrootEmulation(options.architecture, options.platform);
    const mounts = await mountSystemDirectories(options.root);
    try {
      const path = op.env.PATH ?? STANDARD_PATH;
      await spawnStep(op, [await hostProgram('chroot'), options.root, ...commandLine(op)], { ...op.env, PATH: path }, options);
    } finally {
      for (const point of mounts.reverse()) await execa('umount', [point]).catch(() => execa('umount', ['-l', point]));
    }
    return;
  }
  // Programs of the platform being built that this host cannot run go through qemu.
  const shims = join(options.scratch, 'shims');
  const emulated = await writeEmulationShims(options.root, shims, options.platform);
  const argv = await emulateNamedProgram(commandLine(op), options.root, options.platform);
  const path = `${[...(emulated > 0 ? [shims] : []), join(options.root, 'bin')].join(':')}:${op.env.PATH ?? process.env.PATH ?? STANDARD_PATH}`;
  await spawnStep(op, argv, { ...op.env, PATH: path }, options);
}

/**
 * A fresh `/dev` (a tmpfs with the usual character devices, so nothing the command does reaches the
 * host's) and `/proc`, where the image has those directories. Returns the mount points.
 */
async function mountSystemDirectories(root: string): Promise<string[]> {
  const mounted: string[] = [];
  const isDirectory = (path: string) => lstat(path).then((s) => s.isDirectory(), () => false);
  try {
    const dev = join(root, 'dev');
    if (await isDirectory(dev)) {
      await execa('mount', ['-t', 'tmpfs', '-o', 'nosuid,noexec,mode=755,size=64k', 'tmpfs', dev]);
      mounted.push(dev);
      const nodes = DEVICES.map(([name, major, minor]) => `mknod -m 666 ${name} c ${major} ${minor}`).join(' && ');
      await execa('sh', ['-c', `${nodes} && ln -s /proc/self/fd fd && ln -s fd/0 stdin && ln -s fd/1 stdout && ln -s fd/2 stderr`], { cwd: dev });
    }
    const proc = join(root, 'proc');
    if (await isDirectory(proc)) {
      await execa('mount', ['-t', 'proc', 'proc', proc]);
      mounted.push(proc);
    }
    return mounted;
  } catch (error) {
    for (const point of mounted.reverse()) await execa('umount', ['-l', point]).catch(() => undefined);
    throw new RuntimeError('UNSUPPORTED', `RUN --isolation chroot cannot prepare /dev and /proc in the image root: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
}

/** A host tool by absolute path: the step's PATH is the image's, not the host's. */
async function hostProgram(name: string): Promise<string> {
  for (const dir of STANDARD_PATH.split(':')) {
    if (await access(join(dir, name), constants.X_OK).then(() => true, () => false)) return join(dir, name);
  }
  throw new RuntimeError('UNSUPPORTED', `${name} is not installed on this host (it is part of Debian's util-linux/coreutils)`);
}

/** The devices every program may expect: name, major, minor. */
const DEVICES: readonly (readonly [string, number, number])[] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
];

/**
 * Runs `"$@"` (the command, by `exec`: same pid, same exit status) with a watchdog beside it in its
 * process group: a subshell that reads the pipe that is the step's stdin and, when the pipe closes
 * without a `done` (the build died, even by SIGKILL, before the step ended), kills the group: the
 * command and everything it started. The watchdog is forked before the command runs, so the
 * command never runs unwatched.
 */
const WATCHED = 'exec 3<&0; (read -r word <&3; [ "$word" = done ] || kill -s KILL 0) </dev/null >/dev/null 2>&1 & exec "$@" 3<&- </dev/null';

async function spawnStep(op: RunOp, argv: readonly string[], env: Record<string, string>, options: RunCommandOptions): Promise<void> {
  const [program, ...args] = options.network === 'none' ? [await hostProgram('unshare'), '--net', '--', ...argv] : argv;
  const child = execa('/bin/sh', ['-c', WATCHED, 'kubefile-run', program, ...args], {
    cwd: options.root,
    env,
    extendEnv: false,
    // The watchdog's pipe (the command itself gets /dev/null).
    stdin: 'pipe',
    all: true,
    reject: false,
    // Its own process group, so stopping the build stops everything the command started.
    detached: true,
    cleanup: true,
  });
  const stop = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  // Stopped while the command was being started: the listener came too late to hear it.
  if (options.signal?.aborted) stop();
  // The step is over: the watchdog leaves without killing anything, as the command's leftovers were always left.
  child.stdin?.on('error', () => undefined);
  child.once('exit', () => child.stdin?.end('done\n'));
  const output: string[] = [];
  child.all?.setEncoding('utf8');
  let pending = '';
  child.all?.on('data', (chunk: string) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      output.push(line);
      if (output.length > 20) output.shift();
      options.onOutput?.(line);
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
  });
  const result = await child.finally(() => options.signal?.removeEventListener('abort', stop));
  if (pending !== '') {
    output.push(pending);
    options.onOutput?.(pending);
  }
  if (options.signal?.aborted) throw new RuntimeError('INTERRUPTED', 'interrupted');
  if (result.failed) {
    const how = result.exitCode !== undefined ? `exit code ${result.exitCode}` : result.signal ? `signal ${result.signal}` : (result.originalMessage ?? 'failed to start');
    const tail = output.length > 0 ? `\n${output.slice(-10).map((line) => `  | ${line}`).join('\n')}` : '';
    throw new RuntimeError('RUN_FAILED', `RUN ${op.preview} failed on ${options.platform}: ${how}${tail}`);
  }
}
