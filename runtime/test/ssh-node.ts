/**
 * A build node for tests: Debian's OpenSSH server, started on a 127.0.0.1 port of its own with a
 * host key made in a temp directory. One client key and one ssh_config (KUBEFILEC_SSH_CONFIG) per
 * test process reach every node, and keep their host keys out of the user's known_hosts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, rm, writeFile, readFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mountsUnder, tempDir } from './fixtures.js';

const run = promisify(execFile);

export interface SshNode {
  /** ssh://root@127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  /** The ssh_config to pass as KUBEFILEC_SSH_CONFIG (the same for every node of the process). */
  sshConfig: string;
  /** The client's private key (also named in sshConfig; the same for every node). */
  identity: string;
  /** Stops the server (as a node going away would); `remove` deletes its directory too. */
  stop(options?: { remove?: boolean }): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const keygen = (path: string) => run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kubefile-test', '-f', path]);

/** The client side, shared by the nodes of this process: its key, known_hosts and ssh_config. */
let client: Promise<{ identity: string; sshConfig: string }> | undefined;

function sshClient(): Promise<{ identity: string; sshConfig: string }> {
  client ??= (async () => {
    const dir = await tempDir('kubefile-ssh-client-');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const identity = join(dir, 'client_key');
    await keygen(identity);
    const sshConfig = join(dir, 'ssh_config');
    await writeFile(sshConfig, ['Host *', `  UserKnownHostsFile ${join(dir, 'known_hosts')}`, `  IdentityFile ${identity}`, '  IdentitiesOnly yes', '  LogLevel ERROR', ''].join('\n'));
    return { identity, sshConfig };
  })();
  return client;
}

/** Starts a node; the test stops it. Needs root (sshd's privilege separation) and openssh-server. */
export async function startSshNode(): Promise<SshNode> {
  const dir = await tempDir('kubefile-ssh-node-');
  const { identity, sshConfig } = await sshClient();
  await keygen(join(dir, 'host_key'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${identity}.pub`));
  // sshd checks that its privilege separation directory exists.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    `PidFile ${join(dir, 'sshd.pid')}`,
    'LogLevel ERROR',
    // The node's home is its directory: the machine's own ~/.bashrc (pyenv here: ~1 s) is not run at each command.
    `SetEnv HOME=${dir}`,
  ];
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`);
  const server: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  for (let waited = 0; !(await accepting(port)); waited += 20) {
    if (server.exitCode !== null || waited > 10_000) {
      server.kill();
      throw new Error(`sshd did not start on port ${port}: ${log.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `ssh://root@127.0.0.1:${port}`,
    port,
    dir,
    sshConfig,
    identity,
    async stop({ remove = true } = {}) {
      if (server.exitCode === null && server.signalCode === null) {
        server.kill('SIGTERM');
        await exited;
      }
      if (!remove) return;
      // A node killed mid-build leaves its RUN mounts, as a machine that dies would.
      for (const point of await mountsUnder(dir)) await run('umount', ['-l', point]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
