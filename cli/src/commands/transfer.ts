/** `pull`, `push`, `login`, `logout`: images to and from OCI registries. */
import { Command, Option } from 'commander';
import type { TransferEvent } from '@kubefile/runtime';
import { formatBytes } from '@kubefile/runtime/build-log';
import { UsageError } from '../errors.js';
import { collectList } from '../list-option.js';
import { loadRuntime } from '../runtime.js';
import { readAll } from '../source.js';
import { openStore, rootOption } from '../store-root.js';
import type { CommandIO } from './io.js';

interface TransferCommandOptions {
  platform: string[];
  tlsVerify: boolean;
  root?: string;
}

/** `--tls-verify=false` for registries on localhost that speak plain HTTP. */
export function tlsVerifyOption(): Option {
  return new Option('--tls-verify <BOOL>', 'use HTTPS and check certificates (false: plain HTTP, for a registry on localhost)').argParser(parseBoolean).default(true);
}

function parseBoolean(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new UsageError(`--tls-verify takes true or false, not ${JSON.stringify(value)}`);
}

/** One line per blob and a total: transfers are a handful of large blobs. */
function transferReporter(io: CommandIO, verb: string): (event: TransferEvent) => void {
  return (event) => {
    if (event.type === 'start') io.err(`${verb} ${event.reference} (${event.platforms.join(', ')}): ${event.blobs} blobs, ${formatBytes(event.bytes)}\n`);
    if (event.type === 'blob') {
      const how = event.outcome === 'resumed' ? `resumed at ${formatBytes(event.resumedAt ?? 0)}` : event.outcome;
      io.err(`  ${event.digest.slice(0, 19)}  ${formatBytes(event.size).padStart(9)}  ${how}\n`);
    }
  };
}

export function registerTransferCommands(program: Command, io: CommandIO): void {
  program
    .command('pull')
    .description('Copy an image from a registry into the store: every platform, or those named')
    .argument('<NAME>', 'registry/repository:tag (docker.io/library/ by default), or @sha256:...')
    .option('--platform <PLATFORMS>', 'only these platforms (repeatable or comma-separated)', collectList, [])
    .addOption(tlsVerifyOption())
    .addOption(rootOption())
    .addHelpText('after', '\nBlobs the store has are not fetched again; a pull that was stopped resumes its downloads.\nCredentials come from `kubefilec login` ($REGISTRY_AUTH_FILE, else ~/.docker/config.json).\nExamples:\n  kubefilec pull registry.example.com/team/app:v1 --platform linux/arm64\n  kubefilec pull 127.0.0.1:5000/app:v1 --tls-verify=false')
    .action(async (name: string, options: TransferCommandOptions) => {
      const store = await openStore(options.root);
      const { pullImage } = await loadRuntime();
      const pulled = await pullImage(store, name, { platforms: options.platform.length > 0 ? options.platform : undefined, tlsVerify: options.tlsVerify, onEvent: transferReporter(io, 'Pulling') });
      io.out(`${pulled.image.name} ${pulled.image.descriptor.digest}\n`);
    });

  program
    .command('push')
    .description('Copy a stored image to a registry: the whole index (digest unchanged), or the platforms named')
    .argument('<NAME>', 'the stored image')
    .argument('[DEST]', 'registry/repository:tag (default: NAME)')
    .option('--platform <PLATFORMS>', 'only these platforms (repeatable or comma-separated)', collectList, [])
    .addOption(tlsVerifyOption())
    .addOption(rootOption())
    .addHelpText('after', '\nBlobs the registry has are not sent again.\nExamples:\n  kubefilec push my-cluster:v1 registry.example.com/team/my-cluster:v1\n  kubefilec push my-cluster:v1 127.0.0.1:5000/my-cluster:v1 --tls-verify=false --platform linux/amd64')
    .action(async (name: string, destination: string | undefined, options: TransferCommandOptions) => {
      const store = await openStore(options.root);
      const { pushImage } = await loadRuntime();
      const pushed = await pushImage(store, name, destination ?? name, { platforms: options.platform.length > 0 ? options.platform : undefined, tlsVerify: options.tlsVerify, onEvent: transferReporter(io, 'Pushing') });
      io.out(`${pushed.destination} ${pushed.digest}\n`);
    });

  program
    .command('login')
    .description('Check credentials against a registry and save them for pull, push and build')
    .argument('<REGISTRY>', 'host[:port], e.g. registry.example.com or 127.0.0.1:5000')
    .requiredOption('-u, --username <USER>', 'user name')
    .option('-p, --password <PASSWORD>', 'password (visible to other users of this machine: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .addOption(tlsVerifyOption())
    .addHelpText('after', '\nSaved like Docker: $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json.\nExample: echo "$PASSWORD" | kubefilec login registry.example.com -u ann --password-stdin')
    .action(async (registry: string, options: { username: string; password?: string; passwordStdin?: boolean; tlsVerify: boolean }) => {
      if (options.password !== undefined && options.passwordStdin) throw new UsageError('give --password or --password-stdin, not both');
      if (options.password !== undefined) io.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      const password = options.passwordStdin ? (await readAll(io.stdin)).replace(/\r?\n$/, '') : options.password;
      if (password === undefined || password === '') throw new UsageError('a password is needed: --password-stdin (or -p PASSWORD)');
      const { parseRemoteReference, RegistryClient, saveCredentials } = await loadRuntime();
      const ref = parseRemoteReference(`${registry}/login-check`);
      const credentials = { username: options.username, password };
      await new RegistryClient(ref.registry, ref.host, { credentials, ...(options.tlsVerify ? {} : { tlsVerify: false }) }).ping();
      const saved = await saveCredentials(ref.registry, credentials, process.env, { private: true });
      if (saved.tightenedFrom !== undefined) io.err(`${saved.path} was mode ${saved.tightenedFrom.toString(8).padStart(4, '0')}: made it 0600, as it holds passwords\n`);
      io.err(`Login succeeded: ${options.username} at ${ref.registry}\n`);
    });

  program
    .command('logout')
    .description('Forget the saved credentials of a registry')
    .argument('<REGISTRY>', 'host[:port]')
    .addHelpText('after', '\nExample: kubefilec logout registry.example.com')
    .action(async (registry: string) => {
      const { parseRemoteReference, removeCredentials } = await loadRuntime();
      const ref = parseRemoteReference(`${registry}/logout-check`);
      const removed = await removeCredentials(ref.registry);
      io.err(removed ? `Removed the credentials for ${ref.registry}\n` : `Not logged in to ${ref.registry}\n`);
    });
}
