/** `save` and `load`: images to OCI archives (a tar of an OCI image layout), readable by every OCI tool, and from OCI archives or docker-archives. */
import { Command } from 'commander';
import { loadArchive, saveArchive } from '@kubefile/runtime';
import { openStore, rootOption } from '../store-root.js';
import { collectList } from '../list-option.js';
import type { CommandIO } from './io.js';

export function registerArchiveCommands(program: Command, io: CommandIO): void {
  program
    .command('save')
    .description('Write images, all their platforms or only some, to an OCI archive')
    .argument('<NAME...>', 'image names (tag defaults to latest)')
    .requiredOption('-o, --output <FILE>', 'the archive to write (replaced only once it is complete)')
    .option('--platform <PLATFORMS>', 'only these platforms (repeatable or comma-separated)', collectList)
    .addOption(rootOption())
    .addHelpText('after', '\nExamples:\n  kubefilec save -o my-cluster.tar my-cluster:v1\n  kubefilec save -o my-cluster-arm64.tar my-cluster:v1 --platform linux/arm64\nOther tools read it too: skopeo inspect oci-archive:my-cluster.tar')
    .action(async (names: string[], options: { output: string; platform?: string[]; root?: string }) => {
      const store = await openStore(options.root);
      const saved = await saveArchive(store, names, options.output, options.platform ? { platforms: options.platform } : {});
      io.err(`Saved ${saved.images.join(', ')} to ${options.output} (${saved.bytes} bytes)\n`);
    });

  program
    .command('load')
    .description('Read images from an OCI archive or a docker-archive into the store, checking every digest')
    .requiredOption(
      '-i, --input <FILE>',
      'an OCI archive, from kubefilec save or another OCI tool (e.g. skopeo copy ... oci-archive:FILE:name:tag), or a docker-archive (docker save, skopeo copy ... docker-archive:FILE:name:tag)',
    )
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nImages are named as the archive names them (index.json ref.name, or docker\'s RepoTags).\nNothing is stored unless the whole archive is valid: unsafe paths, links out of the archive, devices and wrong digests are refused.\nExamples:\n  kubefilec load -i my-cluster.tar\n  docker save -o app.tar example.com/app:v1 && kubefilec load -i app.tar',
    )
    .action(async (options: { input: string; root?: string }) => {
      const store = await openStore(options.root);
      const images = await loadArchive(store, options.input);
      for (const image of images) io.out(`Loaded ${image.name} ${image.descriptor.digest}\n`);
    });
}
