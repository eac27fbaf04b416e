/**
 * `save` and `load`: images to OCI archives (a tar of an OCI image layout), readable by every OCI
 * tool, or to sealer's multi-platform save format; and from OCI archives, docker-archives or
 * sealer saves.
 */
import { Command, Option } from 'commander';
import type { ArchiveFormat } from '@kubefile/runtime';
import { loadRuntime } from '../runtime.js';
import { openStore, rootOption } from '../store-root.js';
import { collectList } from '../list-option.js';
import type { CommandIO } from './io.js';

/** As the runtime's ARCHIVE_FORMATS (the option's choices are needed before the runtime is loaded). */
const ARCHIVE_FORMATS = ['oci', 'sealer'] as const satisfies readonly ArchiveFormat[];

export function registerArchiveCommands(program: Command, io: CommandIO): void {
  program
    .command('save')
    .description('Write images, all their platforms or only some, to an OCI archive, or one image as `sealer save` does')
    .argument('<NAME...>', 'image names (tag defaults to latest)')
    .requiredOption('-o, --output <FILE>', 'the archive to write (replaced only once it is complete; through a symbolic link, its target), a FIFO or device to stream it to, or - for standard output')
    .option('--platform <PLATFORMS>', 'only these platforms (repeatable or comma-separated)', collectList)
    .addOption(
      new Option('--format <FORMAT>', 'oci: an OCI archive, for any OCI tool; sealer: sealer\'s multi-platform save (one OCI archive per platform and a Metadata file), which `sealer load` loads with every platform (one image)')
        .choices([...ARCHIVE_FORMATS])
        .default('oci'),
    )
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nExamples:\n  kubefilec save -o my-cluster.tar my-cluster:v1\n  kubefilec save -o - my-cluster:v1 | ssh host \'cat > my-cluster.tar\'\n  kubefilec save -o my-cluster-arm64.tar my-cluster:v1 --platform linux/arm64\n  kubefilec save --format sealer -o my-cluster.sealer.tar my-cluster:v1 && sealer load -i my-cluster.sealer.tar\n' +
        'Other tools read the OCI archive too: skopeo inspect oci-archive:my-cluster.tar\n' +
        '(sealer load keeps only its own platform of an OCI archive of several: give sealer --format sealer.)',
    )
    .action(async (names: string[], options: { output: string; platform?: string[]; format: ArchiveFormat; root?: string }) => {
      const store = await openStore(options.root);
      const { saveArchive } = await loadRuntime();
      const saved = await saveArchive(store, names, options.output, { format: options.format, ...(options.platform ? { platforms: options.platform } : {}) });
      io.err(`Saved ${saved.images.join(', ')} to ${options.output === '-' ? 'standard output' : options.output} (${saved.bytes} bytes)\n`);
    });

  program
    .command('load')
    .description('Read images from an OCI archive, a docker-archive or a sealer save into the store, checking every digest')
    .requiredOption(
      '-i, --input <FILE>',
      'an OCI archive, from kubefilec save or another OCI tool (e.g. skopeo copy ... oci-archive:FILE:name:tag), a docker-archive (docker save, skopeo copy ... docker-archive:FILE:name:tag), or a sealer save (sealer save, kubefilec save --format sealer)',
    )
    .option('--tag <NAME>', 'store the archive\'s image (it must hold one) under this name instead of the one it gives')
    .addOption(rootOption())
    .addHelpText(
      'after',
      '\nImages are named as the archive names them (index.json ref.name, docker\'s RepoTags, or sealer\'s Metadata), or --tag.\n' +
        'A sealer save becomes one image index with every platform. An image without a name is stored untagged: its digest is printed, and\n' +
        '`kubefilec tag DIGEST NAME` names it.\n' +
        'Nothing is stored unless the whole archive is valid: unsafe paths, links out of the archive, devices and wrong digests are refused.\n' +
        'Examples:\n  kubefilec load -i my-cluster.tar\n  docker save -o app.tar example.com/app:v1 && kubefilec load -i app.tar\n  sealer save -o cluster.tar my-cluster:v1 && kubefilec load -i cluster.tar\n' +
        '  skopeo copy oci:dir oci-archive:app.tar && kubefilec load -i app.tar --tag app:v1',
    )
    .action(async (options: { input: string; tag?: string; root?: string }) => {
      const store = await openStore(options.root);
      const { loadArchiveImages } = await loadRuntime();
      const loaded = await loadArchiveImages(store, options.input, options.tag !== undefined ? { tag: options.tag } : {});
      for (const image of loaded.images) io.out(`Loaded ${image.name} ${image.descriptor.digest}\n`);
      for (const image of loaded.untagged) io.out(`Loaded ${image.digest} untagged (the archive gives it no name): name it with kubefilec tag ${image.digest} NAME\n`);
    });
}
