/**
 * `kubefilec builder add|ls|rm|inspect`: the machines `build --builder` sends platforms to, each
 * reached over SSH with the system's ssh client. Thin shells over the runtime's remote/builders.
 */
import { Command, Option } from 'commander';
import type { BuilderNode } from '@kubefile/runtime';
import { collectList } from '../list-option.js';
import { loadRuntime } from '../runtime.js';
import { formatTable } from '../table.js';
import type { CommandIO } from './io.js';

const BUILDER_HELP = `
A builder is a Linux machine reached over SSH with the system's ssh client (so ~/.ssh/config, the
agent and known_hosts work as usual; KUBEFILEC_SSH_CONFIG names another ssh_config file). It builds
the platforms it declares, each natively; it needs Node.js 20 or newer and the programs RUN steps call.
Builders are kept in kubefilec-builders.json next to the registry credentials (~/.docker/).`;

export function registerBuilderCommands(program: Command, io: CommandIO): void {
  const builder = program.command('builder').description('Machines that build platforms natively, over SSH (for build --builder)').addHelpText('after', BUILDER_HELP);

  builder
    .command('add')
    .description('Add a machine: connect to it, learn its host key, check Node.js there, and read its platform unless given')
    .argument('<NAME>', 'what to call it (lower-case letters, digits, . _ -)')
    .argument('<URL>', 'ssh://[user@]host[:port]')
    .option('--platform <PLATFORMS>', 'the platforms it builds (repeatable or comma-separated; default: its own, from uname -m)', collectList, [])
    .option('--identity <FILE>', 'the private key to connect with (default: ssh\'s own choice)')
    .option('--root <DIR>', 'the image store on the machine, an absolute path there (default: kubefilec\'s default for the user it logs in as)')
    .addHelpText(
      'after',
      '\nThe first connection accepts the machine\'s host key when ssh does not know it yet (and remembers it in known_hosts);\n' +
        'a changed key is refused as ssh refuses it.\n' +
        'Examples:\n  kubefilec builder add arm1 ssh://builder@10.0.0.7\n  kubefilec builder add arm2 ssh://root@arm2.example.com:2222 --platform linux/arm64 --identity ~/.ssh/build_ed25519',
    )
    .action(async (name: string, url: string, options: { platform: string[]; identity?: string; root?: string }) => {
      const { addBuilder } = await loadRuntime();
      const { builder: added, facts } = await addBuilder(name, url, { ...(options.platform.length > 0 ? { platforms: options.platform } : {}), ...(options.identity ? { identity: options.identity } : {}), ...(options.root ? { root: options.root } : {}) });
      io.out(`${added.name}\t${added.url}\t${added.platforms.join(',')}\n`);
      io.err(`Added builder ${added.name}: a ${facts.platform} machine with Node.js ${facts.nodeVersion ?? '?'}, building ${added.platforms.join(', ')}\n`);
    });

  builder
    .command('ls')
    .alias('list')
    .description('List the builders')
    .addOption(new Option('--format <FORMAT>', 'table: for people; json: every field').choices(['table', 'json']).default('table'))
    .action(async (options: { format: 'table' | 'json' }) => {
      const builders = await (await loadRuntime()).listBuilders();
      io.out(options.format === 'json' ? `${JSON.stringify(builders, null, 2)}\n` : buildersTable(builders));
    });

  builder
    .command('rm')
    .alias('remove')
    .description('Remove builders (nothing on the machines is touched)')
    .argument('<NAME...>', 'the builders')
    .action(async (names: string[]) => {
      await (await loadRuntime()).removeBuilders(names);
      for (const name of names) io.out(`${name}\n`);
    });

  builder
    .command('inspect')
    .description('Show a builder and check it now: reachable, its platform, its Node.js')
    .argument('<NAME>', 'the builder')
    .action(async (name: string) => {
      const { connectBuilder, getBuilder, nodeProblem, probeNode } = await loadRuntime();
      const found = await getBuilder(name);
      const connection = connectBuilder(found);
      try {
        const facts = await probeNode(connection);
        const problem = nodeProblem(facts.nodeVersion);
        io.out(`${JSON.stringify({ ...found, reachable: true, machine: facts.platform, nodeVersion: facts.nodeVersion ?? null, ...(problem ? { problem } : {}) }, null, 2)}\n`);
      } finally {
        await connection.close();
      }
    });
}

function buildersTable(builders: readonly BuilderNode[]): string {
  return formatTable([['NAME', 'URL', 'PLATFORMS', 'IDENTITY'], ...builders.map((b) => [b.name, b.url, b.platforms.join(','), b.identity ?? '-'])]);
}
