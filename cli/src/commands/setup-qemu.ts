/**
 * `kubefilec setup-qemu`: registers qemu with the kernel's binfmt_misc (with the fix-binary flag),
 * for hosts that want every foreign program run through qemu, inside chroots too
 * (`build --isolation chroot`). Builds do not need it otherwise: RUN puts qemu in front of
 * foreign programs by itself.
 */
import { Command } from 'commander';
import { parsePlatformList, platformFromNode } from '@kubefile/compiler/platform';
import { loadRuntime } from '../runtime.js';
import { collectList } from '../list-option.js';
import type { CommandIO } from './io.js';

interface SetupQemuOptions {
  platform: string[];
  remove?: boolean;
  status?: boolean;
}

export function registerSetupQemuCommand(program: Command, io: CommandIO): void {
  program
    .command('setup-qemu')
    .description('Register qemu-user-static with the kernel (binfmt_misc, fix-binary flag) so foreign-architecture programs run anywhere, chroots included')
    .option('--platform <PLATFORMS>', 'only these platforms\' architectures (repeatable or comma-separated; default: every one qemu-user-static provides)', collectList, [])
    .option('--remove', 'remove the entries instead')
    .option('--status', 'only show the entries')
    .addHelpText(
      'after',
      '\nNeeds root; mounts binfmt_misc when it is not mounted. The entries are those the installed qemu-user-static\n' +
        'package describes (binfmt.d files), registered with the F flag; an existing entry without it is replaced.\n' +
        'Examples:\n  kubefilec setup-qemu --platform linux/arm64\n  kubefilec setup-qemu --status\n  kubefilec setup-qemu --remove --platform linux/arm64',
    )
    .action(async (options: SetupQemuOptions) => {
      const { hostArchitecture, qemuHandlerName, readBinfmtHandler, registerQemuHandlers, registrableArchitectures, removeQemuHandlers } = await loadRuntime();
      const host = hostArchitecture();
      const arches =
        options.platform.length > 0
          ? [...new Set(parsePlatformList(options.platform, platformFromNode(process.platform, process.arch)).map((p) => p.architecture))].filter((a) => a !== host)
          : (await registrableArchitectures()).filter((a) => a !== host);
      if (options.status) {
        for (const arch of arches) {
          const entry = await readBinfmtHandler(arch);
          io.out(entry ? `${arch}: ${entry.name} ${entry.enabled ? 'enabled' : 'disabled'}, flags ${entry.flags || '-'}, ${entry.interpreter}\n` : `${arch}: no entry (${qemuHandlerName(arch)})\n`);
        }
        return;
      }
      if (options.remove) {
        const removed = await removeQemuHandlers(arches);
        io.err(removed.length > 0 ? `Removed the binfmt_misc entries for ${removed.join(', ')}\n` : 'No entries to remove\n');
        return;
      }
      for (const done of await registerQemuHandlers(arches)) {
        io.err(`${done.arch}: ${done.outcome === 'unchanged' ? 'already registered' : done.outcome} (${done.interpreter}, fix-binary)\n`);
      }
    });
}
