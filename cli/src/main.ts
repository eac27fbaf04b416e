/**
 * kubefilec: the command line over the Kubefile toolkit. Each command is a thin shell over a package
 * function; errors a user can fix are printed once, here, without a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { compileCommand, type CompileCommandOptions } from './commands/compile.js';
import { lintCommand, type LintCommandOptions } from './commands/lint.js';
import { parseCommand } from './commands/parse.js';
import { processIO, type CommandIO } from './commands/io.js';
import { EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, UsageError } from './errors.js';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
export const VERSION = packageJson.version;

const collect = (value: string, previous: string[]): string[] => previous.concat(value.split(',').map((v) => v.trim()).filter(Boolean));

function fileOption(): Option {
  return new Option('-f, --file <FILE>', 'the Kubefile (default: Kubefile, then kubefile, then Dockerfile in CONTEXT; "-" reads standard input)');
}

/** --platform and --build-arg, shared by the commands that compile. */
function addTargetOptions(command: Command): Command {
  return command
    .option('--platform <PLATFORMS>', 'target platforms, e.g. linux/amd64,linux/arm64 (repeatable; default: this host\'s)', collect, [])
    .option('--build-arg <NAME=VALUE>', 'set an ARG (repeatable; the value may contain "=" and ","; NAME alone takes it from the environment)', (v: string, prev: string[]) => prev.concat(v), []);
}

function buildProgram(io: CommandIO, setExit: (code: number) => void): Command {
  const program = new Command('kubefilec')
    .description('Lint and parse Kubefiles, the build files of cluster images')
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
    .option('--enable <CODES>', 'also report these opt-in codes (e.g. KF2012); repeatable or comma-separated', collect, [])
    .option('--disable <CODES>', 'do not report these codes; repeatable or comma-separated', collect, [])
    .addHelpText('after', '\nText output is one line per problem: FILE:LINE:COL: SEVERITY CODE: MESSAGE\nCodes are listed in docs/diagnostics.md.')
    .action(async (contexts: string[], options: LintCommandOptions) => {
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
      setExit(await compileCommand(context, options, io));
    });

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
    if (error instanceof UsageError) {
      io.err(`kubefilec: error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    io.err(`kubefilec: internal error: ${error instanceof Error ? (process.env.KUBEFILEC_DEBUG ? error.stack : error.message) : String(error)}\n`);
    return EXIT_PROBLEMS;
  }
}
