/** `kubefilec registry export`: the registry view of a cluster image, ready for docker-registry to serve. */
import { Command } from 'commander';
import { loadRuntime } from '../runtime.js';
import { openStore, rootOption } from '../store-root.js';
import type { CommandIO } from './io.js';

export function registerRegistryCommands(program: Command, io: CommandIO): void {
  const registry = program.command('registry').description('The container images a cluster image carries in its registry/ directory');
  registry
    .command('export')
    .description("Write the merged registry storage of every platform's registry/ to DIR (docker-registry's filesystem layout)")
    .argument('<NAME>', 'the cluster image (tag defaults to latest)')
    .argument('<DIR>', 'where to write docker/registry/v2/...; created when missing')
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nA tag whose platforms name different manifests (nginx:1.25 collected for amd64 and for arm64) becomes one\n' +
        'multi-platform index, so each node pulls its own architecture; blobs shared by platforms are stored once.\n' +
        'Examples:\n  kubefilec registry export my-cluster:v1 /var/lib/registry\n  docker-registry serve config.yml   (storage.filesystem.rootdirectory: /var/lib/registry)',
    )
    .action(async (name: string, dir: string, options: { root?: string }) => {
      const store = await openStore(options.root);
      const image = await store.getImage(name);
      const { writeRegistryView } = await loadRuntime();
      const summary = await writeRegistryView(store, image.descriptor, dir);
      for (const tag of summary.tags) io.out(`${tag.reference}\t${tag.platforms.join(',') || '-'}${tag.merged ? '\t(merged)' : ''}\n`);
      const count = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;
      io.err(`Wrote ${count(summary.tags.length, 'tag')} and ${count(summary.blobs, 'blob')} to ${dir}\n`);
    });
}
