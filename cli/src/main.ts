/**
 * kubefilec: the command line over the Kubefile toolkit. Each command is a thin shell over a package
 * function; errors a user can fix are printed once, here, without a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { isPlatformError } from '@kubefile/compiler/platform';
import type { RuntimeError } from '@kubefile/runtime/errors';
import { registerArchiveCommands } from './commands/archive.js';
import { registerBuilderCommands } from './commands/builder.js';
import type { BuildCommandOptions } from './commands/build.js';
import type { CompileCommandOptions } from './commands/compile.js';
import { registerImageCommands } from './commands/images.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerTransferCommands, tlsVerifyOption } from './commands/transfer.js';
import { registerSetupQemuCommand } from './commands/setup-qemu.js';
import { collectList } from './list-option.js';
import { loadRuntime } from './runtime.js';
import { resolveStoreRoot, rootOption } from './store-root.js';
import type { LintCommandOptions } from './commands/lint.js';
import { processIO, type CommandIO } from './commands/io.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './errors.js';
import { VERSION } from './version.js';

export { VERSION };


function fileOption(): Option {
  return new Option('-f, --file <FILE>', 'the Kubefile (default: Kubefile, then kubefile, then Dockerfile in CONTEXT; "-" reads standard input)');
}

/** --platform and --build-arg, shared by the commands that compile. */
function addTargetOptions(command: Command): Command {
  return command
    .option('--platform <PLATFORMS>', 'target platforms, e.g. linux/amd64,linux/arm64 (repeatable; default: this host\'s)', collectList, [])
    .option('--build-arg <NAME=VALUE>', 'set an ARG (repeatable; the value may contain "=" and ","; NAME alone takes it from the environment)', (v: string, prev: string[]) => prev.concat(v), [])
    .option('--target <STAGE>', 'the stage to build, by name or index (default: the last); only the stages it needs are planned');
}

function buildProgram(io: CommandIO, setExit: (code: number) => void): Command {
  const program = new Command('kubefilec')
    .description('Lint, compile and build Kubefiles, the build files of cluster images, and manage the images they make')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  const lint = program
    .command('lint')
    .description('Report problems in a Kubefile, including missing build-context files per platform (exit 1 when any error is found)')
    .argument('[CONTEXT...]', 'build context directories, or Kubefiles themselves (default: .)')
    .addOption(fileOption());
  addTargetOptions(lint)
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--enable <CODES>', 'also report these opt-in codes (e.g. KF2012); repeatable or comma-separated', collectList, [])
    .option('--disable <CODES>', 'do not report these codes (ShellCheck codes too, e.g. SC2086); repeatable or comma-separated', collectList, [])
    .option('--shellcheck', 'require ShellCheck: fail when the shellcheck program is not installed (default: run it when installed)')
    .option('--no-shellcheck', 'do not run ShellCheck on RUN, CMD, CMDS and APPCMDS commands (KF4001)')
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nText output is one line per problem: FILE:LINE:COL: SEVERITY CODE: MESSAGE\n' +
        'ShellCheck findings (KF4001) add their own code: FILE:LINE:COL: SEVERITY KF4001 SC2086: MESSAGE\n' +
        'Codes are listed in docs/diagnostics.md.\n' +
        'In the Kubefile, `# check=skip=CODE,...;error=true` (first lines) and `# kubefile-lint ignore=CODE,...` (above an instruction) choose what is reported too.',
    )
    .action(async (contexts: string[], options: LintCommandOptions) => {
      // Loaded on use: the parser takes most of kubefilec's start-up, and image commands do not need it.
      const { lintCommand } = await import('./commands/lint.js');
      setExit(await lintCommand(contexts, options, io, VERSION));
    });

  program
    .command('parse')
    .description('Print the parsed instructions (exit 1 when the Kubefile has syntax errors, reported on stderr)')
    .argument('[CONTEXT]', 'build context directory, or the Kubefile itself', '.')
    .addOption(fileOption())
    .addOption(new Option('--format <FORMAT>', 'output format').choices(['json', 'text']).default('json'))
    .addHelpText(
      'after',
      '\nJSON: {"directives":{...},"instructions":[{"keyword","flags","form":"shell"|"exec","args","range"}]}\n' +
        'Lines and columns are 1-based; a range ends just past its last character.',
    )
    .action(async (context: string, options: { file?: string; format: 'json' | 'text' }) => {
      const { parseCommand } = await import('./commands/parse.js');
      setExit(await parseCommand(context, options, io));
    });

  const compile = program
    .command('compile')
    .description('Print the build plan of each target platform (exit 1, with diagnostics on stderr, when there are errors)')
    .argument('[CONTEXT]', 'build context directory, or the Kubefile itself', '.')
    .addOption(fileOption());
  addTargetOptions(compile)
    .addOption(new Option('--emit <FORM>', 'ir: the versioned JSON plans (docs/ir.schema.json); text: one line per op').choices(['ir', 'text']).default('ir'))
    .addHelpText('after', '\nExample: kubefilec compile --platform linux/amd64,linux/arm64 --build-arg Version=v1.2 examples/multi-arch')
    .action(async (context: string, options: CompileCommandOptions) => {
      const { compileCommand } = await import('./commands/compile.js');
      setExit(await compileCommand(context, options, io));
    });

  const build = program
    .command('build')
    .description('Build a cluster image for each target platform and store it as one multi-platform image')
    .argument('[CONTEXT]', 'build context directory, or the Kubefile itself', '.')
    .addOption(fileOption())
    .requiredOption('-t, --tag <NAME:TAG>', 'name of the image to store (tag defaults to latest)');
  addTargetOptions(build)
    .option('--no-cache', 'build every layer again, ignoring the layer cache')
    .option('--compress', 'gzip the layers (smaller images, slower builds)')
    .addOption(new Option('--progress <MODE>', 'auto: live view on a terminal, plain lines otherwise; json: one event per line').choices(['auto', 'plain', 'json']).default('auto'))
    .option('--parallel <N>', 'platforms built at once (default: the CPU count)')
    .addOption(new Option('--mounter <KIND>', 'how RUN steps get the image root: overlay (kernel overlayfs), fuse-overlayfs, or copy (no privilege); default: the first of these that works here').choices(['overlay', 'fuse-overlayfs', 'copy']))
    .addOption(
      new Option(
        '--isolation <KIND>',
        'auto: each stage as its base asks (RUN on this host for cluster images and scratch, as sealer; inside the root for OS images); host: RUN runs on this host in the image root, with its bin/ first on PATH; chroot: inside the root as / (needs root, and `kubefilec setup-qemu` for foreign platforms)',
      )
        .choices(['auto', 'host', 'chroot'])
        .default('auto'),
    )
    .addOption(new Option('--pull <POLICY>', 'FROM a registry image: pull it when it is not in the store (missing), always, or never').choices(['always', 'missing', 'never']).default('missing'))
    .addOption(tlsVerifyOption())
    .addOption(new Option('--network <MODE>', 'RUN\'s network: host, or none (a network namespace of its own; needs root)').choices(['host', 'none']).default('host'))
    .option('--image-list <FILE>', 'more container images to carry in the image\'s registry, one per line (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--ignore-image-list <FILE>', 'container images not to carry, one per line (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--skip-missing-platform', 'leave out, with a warning, a container image that has no variant for a platform being built (default: an error)')
    .addOption(new Option('--type <TYPE>', 'sealer\'s image type: kube-installer (a cluster: `sealer run` installs Kubernetes) or app-installer (applications for a running cluster); default: the base image\'s, else kube-installer').choices(['kube-installer', 'app-installer']))
    .option('--builder <NAMES>', 'build each platform a builder declares on that machine, over SSH (kubefilec builder add; repeatable or comma-separated; the first builder declaring a platform builds it)', collectList, [])
    .option('--no-emulation', 'with --builder: fail instead of emulating here a platform no builder declares')
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nExample: kubefilec build -t my-cluster:v1 --platform linux/amd64,linux/arm64 examples/multi-arch\n' +
        'With --builder, a builder gets kubefilec (copied once per version), its platforms\' plans and the context files it lacks,\n' +
        'builds in its own store, and sends back the blobs this store lacks; the image is assembled here.\n' +
        'After the instructions, the container images named in manifests/ (YAML image: values, imageList files), charts/ (values and templates),\n' +
        'images/ (docker-archive or OCI archives) and --image-list are stored for each platform in the image\'s registry/.\n' +
        'COPY layers are cached by the content of their sources; a rebuild with nothing changed reuses every layer.\n' +
        'Ctrl-C stops the build cleanly: nothing is stored and no temporary file is left.',
    )
    .action(async (context: string, options: BuildCommandOptions) => {
      const { buildCommand } = await import('./commands/build.js');
      setExit(await buildCommand(context, options, io));
    });

  // Image store commands: images, inspect, tag, delete (rmi), manifest, prune.
  program
    .command('lsp')
    .description('Start the Kubefile language server (for editors: VS Code, neovim, any LSP client)')
    .option('--stdio', 'talk LSP over standard input and output (the default)')
    .option('--node-ipc', 'talk over Node IPC (when started by vscode-languageclient)')
    .option('--socket <PORT>', 'talk over a TCP socket on 127.0.0.1')
    .option('--clientProcessId <PID>', 'exit when this process exits (set by clients)')
    .addHelpText('after', '\nExample (neovim): vim.lsp.start({ name = "kubefile", cmd = { "kubefilec", "lsp", "--stdio" } })\nSettings: kubefile.platforms, kubefile.buildArgs, kubefile.root.')
    .action(async () => {
      // The bundled server, from its code cache (lsp/src/start.cts): one file loads several times faster than its hundreds of modules.
      const { startServer } = await import('@kubefile/lsp/main');
      await startServer();
      // The connection keeps the process alive; the server exits on the client's `exit`.
      await new Promise<never>(() => undefined);
    });

  program
    .command('node-agent', { hidden: true })
    .description('Serve one build of `build --builder` over standard input and output (kubefilec starts it over ssh)')
    .addOption(rootOption())
    .action(async (options: { root?: string }) => {
      const { serveNodeBuild } = await loadRuntime();
      setExit(await serveNodeBuild({ input: process.stdin, output: process.stdout, root: await resolveStoreRoot(options.root) }));
    });

  registerImageCommands(program, io, VERSION);
  registerArchiveCommands(program, io);
  registerSetupQemuCommand(program, io);
  registerRegistryCommands(program, io);
  registerTransferCommands(program, io);
  registerBuilderCommands(program, io);

  return program;
}

/** Runs kubefilec with `argv` (without node and script) and returns the exit code. */
export async function main(argv: string[], io: CommandIO = processIO): Promise<number> {
  let exitCode = EXIT_OK;
  const program = buildProgram(io, (code) => (exitCode = code));
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version requests are successes; every other parse failure is a usage error.
      return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof UsageError || isPlatformError(error)) {
      io.err(`kubefilec: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    const runtimeError = await asRuntimeError(error);
    if (runtimeError) {
      // A user can fix these (unknown image or platform, broken archive ...): one line, no stack.
      // With a location, the compiler's form (FILE:LINE:COL: error: ...) so editors can jump to it.
      const { location, message } = runtimeError;
      io.err(location ? `${location.file}:${location.line}:${location.column}: error: ${message}\n` : `kubefilec: error: ${message}\n`);
      return EXIT_PROBLEMS;
    }
    const environment = environmentError(error);
    if (environment !== undefined) {
      // The machine's doing (a full disk, a read-only or forbidden path): the user's to fix, not a bug.
      io.err(`kubefilec: error: ${environment}\n`);
      return EXIT_PROBLEMS;
    }
    io.err(`kubefilec: internal error: ${error instanceof Error ? (process.env.KUBEFILEC_DEBUG ? error.stack : error.message) : String(error)}\n`);
    return EXIT_PROBLEMS;
  }
}

/**
 * `error` when the runtime threw it. Its class is loaded here, not at start: a command that loaded
 * no runtime threw none, and one that did gets the same module instance back.
 */
async function asRuntimeError(error: unknown): Promise<RuntimeError | undefined> {
  if (!(error instanceof Error)) return undefined;
  const { RuntimeError } = await import('@kubefile/runtime/errors');
  return error instanceof RuntimeError ? error : undefined;
}

/** System errors that come from the environment, not from a bug in kubefilec. */
const ENVIRONMENT_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOTDIR', 'EISDIR', 'EIO', 'EMFILE', 'ENFILE', 'ENAMETOOLONG', 'ELOOP']);

/** `PATH: cause` for a system error caused by the environment (`/x/tmp/1.a: no space left on device`), else undefined. */
function environmentError(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === undefined || !ENVIRONMENT_ERRORS.has(code)) return undefined;
  const cause = /^E[A-Z]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message;
  return path ? `${path}: ${cause}` : cause;
}

/**
 * Runs kubefilec as this process: its arguments, its exit code. A reader that goes away
 * (`kubefilec images | head`) ends the output, not in a crash.
 */
export async function runProcess(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.exitCode = await main(process.argv.slice(2));
}
