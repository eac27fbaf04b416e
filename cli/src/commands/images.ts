/**
 * The image commands: `images`, `inspect`, `tag`, `delete` (`rmi`), `manifest create|add|remove|inspect`
 * and `prune`. Each is a thin shell over a runtime function; RuntimeErrors (unknown image or
 * platform ...) reach main's handler, which prints them once.
 */
import { Command, Option } from 'commander';
import type { DeleteResult, ImageSummary, InspectFormat } from '@kubefile/runtime';
import { humanSize, relativeTime } from '@kubefile/runtime/build-log';
import { loadRuntime } from '../runtime.js';
import { formatTable } from '../table.js';
import { openStore, rootOption, storeExists } from '../store-root.js';
import { collectList } from '../list-option.js';
import type { CommandIO } from './io.js';

interface RootOptions {
  root?: string;
}


const IMAGES_HELP = `
SIZE counts each blob of the image once, shared layers included; CREATED is when the name was set.

--format json: a list, one object per name:
  name, repository, tag, platforms (["linux/amd64", ...]), type (sealer's image type), size (bytes),
  created (when the name was set), digest (what the name points at), error (why a broken image cannot be read),
  manifests: one per platform, in index order:
    platform, digest (its manifest), size (config + layers, bytes), created (the config's),
    layers: [{ digest, size, instruction }] bottom first; instruction is the history's created_by
      (COPY ..., RUN ..., collect container images: ...), history entries without a layer skipped,
    sealer: { type, cmds, apps (names), launch { apps, cmds }, images (how many container images
      its registry/ carries) }, for images kubefilec or sealer built.

Example: kubefilec images --format json`;

/** As the runtime's INSPECT_FORMATS (the option's choices are needed before the runtime is loaded). */
const INSPECT_FORMATS = ['json', 'sealer', 'sealer-v0.8'] as const satisfies readonly InspectFormat[];

/** Adds the image commands to `program`; `version` goes into sealer's `sealer_version`. They exit 0 or throw. */
export function registerImageCommands(program: Command, io: CommandIO, version: string): void {
  program
    .command('images')
    .description('List the images in the store')
    .addOption(new Option('--format <FORMAT>', 'table: for people; json: every field, sizes in bytes').choices(['table', 'json']).default('table'))
    .addOption(rootOption())
    .addHelpText('after', IMAGES_HELP)
    .action(async (options: RootOptions & { format: 'table' | 'json' }) => {
      const images = (await storeExists(options.root)) ? await (await loadRuntime()).listImageSummaries(await openStore(options.root)) : [];
      io.out(options.format === 'json' ? `${JSON.stringify(images, null, 2)}\n` : imagesTable(images));
    });

  program
    .command('inspect')
    .description('Print an image: its OCI index, manifests and configs (json), as `sealer inspect` prints it (sealer), or as the design documents show a cloud image (sealer-v0.8)')
    .argument('<NAME>', 'image name (tag defaults to latest)')
    .option('--platform <PLATFORM>', 'only this platform, e.g. linux/arm64/v8')
    .addOption(
      new Option('--format <FORMAT>', 'json; sealer: what `sealer inspect` (v0.9 to v0.11) prints, one object per platform (a list for several); sealer-v0.8: the manifest-list JSON, then one `kind: Image` YAML document per platform')
        .choices([...INSPECT_FORMATS])
        .default('json'),
    )
    .addOption(rootOption())
    .addHelpText('after', '\nExample: kubefilec inspect my-cluster:v1 --platform linux/amd64 --format sealer')
    .action(async (name: string, options: RootOptions & { platform?: string; format: InspectFormat }) => {
      const store = await openStore(options.root);
      const { inspectImage, renderInspect } = await loadRuntime();
      const result = await inspectImage(store, name, { format: options.format, version, ...(options.platform !== undefined ? { platform: options.platform } : {}) });
      io.out(renderInspect(result));
    });

  program
    .command('tag')
    .description('Give an image another name (the blobs are shared, nothing is copied)')
    .argument('<SRC>', 'existing image name, or the digest of a stored image (sha256:..., as kubefilec load prints for an archive\'s unnamed image)')
    .argument('<DST>', 'new name; an image already called so is replaced')
    .addOption(rootOption())
    .addHelpText('after', '\nExamples:\n  kubefilec tag my-cluster:v1 registry.example.com/team/my-cluster:v1\n  kubefilec tag sha256:0f3c...(64 hex digits) app:v1')
    .action(async (src: string, dst: string, options: RootOptions) => {
      const store = await openStore(options.root);
      await (await loadRuntime()).tagImage(store, src, dst);
    });

  program
    .command('delete')
    .alias('rmi')
    .description('Remove an image name, or only some of its platforms (disk space is freed by prune)')
    .argument('<NAME>', 'image name (tag defaults to latest)')
    .option('--platform <PLATFORMS>', 'remove only these platforms (repeatable or comma-separated); removing the last one removes the name', collectList)
    .addOption(rootOption())
    .addHelpText('after', '\nExamples:\n  kubefilec delete my-cluster:v1\n  kubefilec rmi my-cluster:v1 --platform linux/arm64')
    .action(async (name: string, options: RootOptions & { platform?: string[] }) => {
      const store = await openStore(options.root);
      const { deleteImage } = await loadRuntime();
      io.out(deletedText(await deleteImage(store, name, options.platform ? { platforms: options.platform } : {})));
    });

  const manifest = program
    .command('manifest')
    .description('Make and change manifest lists (multi-platform images) from images in the store')
    .addHelpText('after', '\nExample: kubefilec manifest create my-cluster:v1 my-cluster:v1-amd64 my-cluster:v1-arm64');

  manifest
    .command('create')
    .description('Make NAME list the platforms of every IMAGE')
    .argument('<NAME>', 'name of the new manifest list')
    .argument('<IMAGE...>', 'images whose platforms it lists')
    .option('--amend', 'start from the existing NAME, and let a later image replace a platform an earlier one gave (without it, a platform given twice is an error)')
    .addOption(rootOption())
    .addHelpText('after', '\nExample: kubefilec manifest create my-cluster:v1 my-cluster:v1-amd64 my-cluster:v1-arm64')
    .action(async (name: string, images: string[], options: RootOptions & { amend?: boolean }) => {
      const store = await openStore(options.root);
      const { manifestCreate } = await loadRuntime();
      const created = await manifestCreate(store, name, images, { amend: options.amend === true });
      io.out(`${created.name} ${created.descriptor.digest}\n`);
    });

  manifest
    .command('add')
    .description("Add IMAGE's platforms to the list NAME (created when missing); a platform already listed is replaced")
    .argument('<NAME>', 'manifest list')
    .argument('<IMAGE>', 'image to add')
    .addOption(rootOption())
    .addHelpText('after', '\nExample: kubefilec manifest add my-cluster:v1 my-cluster:v1-arm64')
    .action(async (name: string, image: string, options: RootOptions) => {
      const store = await openStore(options.root);
      const { manifestAdd } = await loadRuntime();
      const updated = await manifestAdd(store, name, image);
      io.out(`${updated.name} ${updated.descriptor.digest}\n`);
    });

  manifest
    .command('remove')
    .description('Remove one platform from the list NAME (removing the last one removes NAME)')
    .argument('<NAME>', 'manifest list')
    .argument('<PLATFORM>', 'platform to remove, e.g. linux/arm64')
    .addOption(rootOption())
    .addHelpText('after', '\nExample: kubefilec manifest remove my-cluster:v1 linux/arm64')
    .action(async (name: string, platform: string, options: RootOptions) => {
      const store = await openStore(options.root);
      const { manifestRemove } = await loadRuntime();
      io.out(deletedText(await manifestRemove(store, name, platform)));
    });

  manifest
    .command('inspect')
    .description('Print the image index NAME points at, as stored')
    .argument('<NAME>', 'manifest list')
    .addOption(rootOption())
    .addHelpText('after', '\nExample: kubefilec manifest inspect my-cluster:v1')
    .action(async (name: string, options: RootOptions) => {
      const store = await openStore(options.root);
      const { manifestInspect } = await loadRuntime();
      io.out(`${JSON.stringify(await manifestInspect(store, name), null, 2)}\n`);
    });

  program
    .command('prune')
    .description('Free disk space: remove blobs no image name uses, and layer-cache entries whose layer is gone')
    .option('--dry-run', 'only report what would be removed')
    .addOption(rootOption())
    .addHelpText('after', '\nBlobs written since a running build began are kept; that build may still need them.\nExample: kubefilec prune --dry-run')
    .action(async (options: RootOptions & { dryRun?: boolean }) => {
      const store = await openStore(options.root);
      const { prune } = await loadRuntime();
      const result = await prune(store, { dryRun: options.dryRun === true });
      const verb = result.dryRun ? 'Would remove' : 'Removed';
      for (const digest of result.digests) io.out(`${verb} blob ${digest}\n`);
      io.out(`${verb} ${plural(result.blobs, 'blob')} (${humanSize(result.bytes)}) and ${plural(result.cacheEntries, 'layer-cache entry', 'layer-cache entries')}\n`);
    });
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

function deletedText(result: DeleteResult): string {
  if (result.untagged) return `Deleted ${result.name}\n`;
  return `Removed ${result.removedPlatforms.join(', ')} from ${result.name}\n`;
}

/** NAME TAG PLATFORMS SIZE CREATED, columns aligned as `docker images` does; a broken image says so (see --format json for why). */
export function imagesTable(images: readonly ImageSummary[], now = Date.now()): string {
  const rows = [['NAME', 'TAG', 'TYPE', 'PLATFORMS', 'SIZE', 'CREATED']];
  for (const image of images) rows.push([image.repository, image.tag, image.type ?? '-', image.error !== undefined ? '(broken)' : image.platforms.join(',') || '-', humanSize(image.size), relativeTime(image.created, now)]);
  return formatTable(rows);
}
