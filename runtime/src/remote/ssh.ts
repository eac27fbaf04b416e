/**
 * A build node reached with the system's OpenSSH client (`ssh`), so known_hosts, the agent and
 * ~/.ssh/config work as users expect. One connection per node is shared by every command sent to
 * it (ControlMaster, in a private directory this process removes when it closes the node): a command
 * costs a round trip, not a handshake.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';

/** Where a node is: ssh://[user@]host[:port]. */
export interface SshDestination {
  user?: string;
  host: string;
  port?: number;
}

const USER = /^[A-Za-z_][A-Za-z0-9._-]{0,63}$/;
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;

/**
 * Reads `ssh://[user@]host[:port]`. Nothing else: no path, no option-like host (`-oProxyCommand=...`
 * would be an option to ssh), so a stored builder cannot make ssh run anything but a connection.
 */
export function parseSshUrl(url: string): SshDestination {
  const bad = (why: string): RuntimeError => new RuntimeError('BUILDER', `${JSON.stringify(url)} is not a node address: ${why} (expected ssh://[user@]host[:port])`);
  const match = /^ssh:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/]*)(?::([^/]*))?\/?$/.exec(url);
  if (!match) throw bad(url.startsWith('ssh://') ? 'it has a path or stray characters' : 'it does not start with ssh://');
  const [, user, rawHost, rawPort] = match;
  const destination: SshDestination = { host: rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost };
  if (user !== undefined) {
    if (!USER.test(user)) throw bad(`the user ${JSON.stringify(user)} is not a user name`);
    destination.user = user;
  }
  const validHost = rawHost.startsWith('[') ? IPV6.test(destination.host) && destination.host.includes(':') : HOST_NAME.test(destination.host);
  if (!validHost) throw bad(destination.host === '' ? 'the host is missing' : `the host ${JSON.stringify(destination.host)} is not a host name or address`);
  if (rawPort !== undefined) {
    const port = /^\d{1,5}$/.test(rawPort) ? Number(rawPort) : 0;
    if (port < 1 || port > 65535) throw bad(`the port ${JSON.stringify(rawPort)} is not 1 to 65535`);
    destination.port = port;
  }
  return destination;
}

/** The address again, as `parseSshUrl` reads it. */
export function formatSshUrl({ user, host, port }: SshDestination): string {
  return `ssh://${user ? `${user}@` : ''}${host.includes(':') ? `[${host}]` : host}${port ? `:${port}` : ''}`;
}

/** A word for the node's shell, as itself. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface SshOptions {
  /** A private key (ssh -i); default: ssh's own (agent, ~/.ssh/id_*, ssh_config). */
  identity?: string;
  /** An ssh_config file used instead of the user's (ssh -F); default: $KUBEFILEC_SSH_CONFIG, else ssh's own. */
  configFile?: string;
  /** A host key not yet known is learned (the first connection to a node being added), not refused. */
  acceptNewHostKey?: boolean;
  /** Seconds to wait for the connection: default 10. */
  connectTimeoutSeconds?: number;
}

export interface SshResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Standard input for the command. */
  input?: string | Uint8Array;
  /** Milliseconds before the command is stopped (default: none). */
  timeoutMs?: number;
  /** Output kept at most, per stream (default 1 MiB): a node that talks too much fails the command. */
  maxOutputBytes?: number;
  signal?: AbortSignal;
}

/** ssh's own failures (cannot connect, refused key, host key changed) exit 255. */
const SSH_FAILED = 255;
const DEFAULT_MAX_OUTPUT = 1 << 20;

/** One node: commands run on it through a shared connection until `close`. */
export class SshConnection {
  private controlDir: Promise<string> | undefined;

  constructor(
    readonly destination: SshDestination,
    private readonly options: SshOptions = {},
  ) {}

  /** What to call the node in messages. */
  get label(): string {
    return formatSshUrl(this.destination);
  }

  /** The shared connection's private directory, made on the first command. */
  private controlDirectory(): Promise<string> {
    this.controlDir ??= mkdtemp(join(controlBase(), 'kubefilec-ssh-'));
    return this.controlDir;
  }

  /** ssh's arguments up to the remote command, with the shared connection's socket in `dir`. */
  private sshArguments(dir: string): string[] {
    const { user, host, port } = this.destination;
    const config = this.options.configFile ?? process.env.KUBEFILEC_SSH_CONFIG;
    return [
      ...(config ? ['-F', config] : []),
      ...(this.options.identity ? ['-i', this.options.identity, '-o', 'IdentitiesOnly=yes'] : []),
      ...(port ? ['-p', String(port)] : []),
      ...(user ? ['-l', user] : []),
      // Never a password prompt: a node is reached with keys, or the command fails with ssh's reason.
      '-o', 'BatchMode=yes',
      '-o', `ConnectTimeout=${this.options.connectTimeoutSeconds ?? 10}`,
      // A node that stops answering (powered off, network gone) fails its commands within 45 s.
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=3',
      ...(this.options.acceptNewHostKey ? ['-o', 'StrictHostKeyChecking=accept-new'] : []),
      // %C: a hash of the connection, short enough for a socket path.
      '-o', 'ControlMaster=auto',
      '-o', `ControlPath=${join(dir, '%C')}`,
      '-o', 'ControlPersist=60',
      '-T',
      '--',
      host,
    ];
  }

  /** Runs `command` (a line for the node's shell) and gives back its exit code and output. */
  async run(command: string, options: RunOptions = {}): Promise<SshResult> {
    const args = [...this.sshArguments(await this.controlDirectory()), command];
    const limit = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    return new Promise<SshResult>((resolve, reject) => {
      const child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let sizes = [0, 0];
      let failure: RuntimeError | undefined;
      const stop = (error: RuntimeError): void => {
        failure ??= error;
        child.kill('SIGTERM');
      };
      const collect = (chunks: Buffer[], index: number) => (chunk: Buffer) => {
        sizes = sizes.map((size, i) => (i === index ? size + chunk.length : size));
        if (sizes[index] > limit) stop(new RuntimeError('BUILDER', `${this.label}: the command wrote more than ${limit} bytes`));
        else chunks.push(chunk);
      };
      child.stdout.on('data', collect(out, 0));
      child.stderr.on('data', collect(err, 1));
      const timer = options.timeoutMs ? setTimeout(() => stop(new RuntimeError('BUILDER', `${this.label}: no answer in ${options.timeoutMs! / 1000} s`)), options.timeoutMs) : undefined;
      child.on('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (error.name === 'AbortError') reject(new RuntimeError('INTERRUPTED', 'interrupted'));
        else if (error.code === 'ENOENT') reject(new RuntimeError('BUILDER', 'ssh is not installed: install OpenSSH\'s client (Debian: apt-get install openssh-client)'));
        else reject(error);
      });
      // A command stopped early: its output is no longer wanted. The shared connection holds our end of
      // the pipes (ssh passes them to it) until the node's command ends, so 'close' would wait for that.
      child.on('exit', () => {
        if (!failure) return;
        clearTimeout(timer);
        child.stdout.destroy();
        child.stderr.destroy();
        reject(failure);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (failure) return reject(failure);
        const result = { exitCode: code ?? SSH_FAILED, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
        if (result.exitCode === SSH_FAILED) return reject(new RuntimeError('BUILDER', `${this.label}: ${sshReason(result.stderr)}`));
        resolve(result);
      });
      // A node that closes its input early is not an error of ours: its exit code tells.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input ?? '');
    });
  }

  /**
   * Starts `command` on the node with its standard streams as the child's pipes, for a long
   * exchange (the build agent's). The caller ends it: closing its input is how the node hears a stop.
   */
  async start(command: string): Promise<ChildProcessWithoutNullStreams> {
    return spawn('ssh', [...this.sshArguments(await this.controlDirectory()), command], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Ends the shared connection and removes its directory. */
  async close(): Promise<void> {
    if (!this.controlDir) return;
    const dir = await this.controlDir;
    this.controlDir = undefined;
    await new Promise<void>((resolve) => {
      const child = spawn('ssh', ['-O', 'exit', ...this.sshArguments(dir)], { stdio: 'ignore' });
      child.on('error', () => resolve());
      child.on('close', () => resolve());
    });
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Where the shared connection's socket directory goes: a socket path holds at most 107 bytes, and
 * under the directory (`kubefilec-ssh-XXXXXX`, 21) ssh puts %C (40) and, while it makes the
 * socket, 17 more; a TMPDIR longer than what is left is passed over for /tmp.
 */
function controlBase(): string {
  const base = tmpdir();
  return base.length + 1 + 21 + 1 + 40 + 17 <= 107 ? base : '/tmp';
}

/** ssh's last line on standard error, which says why (Connection refused, Permission denied ...). */
function sshReason(stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('Warning: Permanently added'));
  const last = lines.at(-1) ?? 'ssh failed without a message';
  return last.length > 300 ? `${last.slice(0, 300)}...` : last;
}
