/**
 * binfmt_misc: the kernel's table of interpreters for executable formats it cannot run itself.
 * With a `qemu-<arch>` entry, the kernel runs every `<arch>` ELF program through qemu, in any
 * directory tree, chroots included when the entry has the fix-binary flag (F: the kernel opens the
 * interpreter once, at registration, instead of looking it up in the program's root).
 *
 * `registerQemuHandlers` is what `kubefilec setup-qemu` does: it writes the entries that the
 * installed qemu-user-static package describes in binfmt.d files (the same lines systemd-binfmt
 * registers at boot), always with F, mounting binfmt_misc first when it is not mounted.
 */
import { execa } from 'execa';
import { access, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, RuntimeError } from '../errors.js';

export const BINFMT_MISC = '/proc/sys/fs/binfmt_misc';

/** Where distributions put systemd-binfmt definitions (qemu-user-static ships `qemu-<name>.conf`). */
export const BINFMT_CONFIG_DIRS: readonly string[] = ['/etc/binfmt.d', '/run/binfmt.d', '/usr/local/lib/binfmt.d', '/usr/lib/binfmt.d'];

/** qemu's name for each OCI architecture (`qemu-<name>-static`, binfmt entry `qemu-<name>`). */
export const QEMU_NAMES: Readonly<Record<string, string>> = {
  '386': 'i386',
  amd64: 'x86_64',
  arm: 'arm',
  arm64: 'aarch64',
  ppc64le: 'ppc64le',
  ppc64: 'ppc64',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loongarch64',
  mips: 'mips',
  mipsle: 'mipsel',
  mips64: 'mips64',
  mips64le: 'mips64el',
};

/** An entry of the kernel's table, as `/proc/sys/fs/binfmt_misc/<name>` describes it. */
export interface BinfmtHandler {
  name: string;
  enabled: boolean;
  interpreter: string;
  /** Flag letters, e.g. `POF`; `F` is fix-binary. */
  flags: string;
}

export function qemuHandlerName(arch: string): string | undefined {
  const name = QEMU_NAMES[arch];
  return name ? `qemu-${name}` : undefined;
}

/** The kernel's entry for `arch` programs, when there is one. */
export async function readBinfmtHandler(arch: string, dir = BINFMT_MISC): Promise<BinfmtHandler | undefined> {
  const name = qemuHandlerName(arch);
  if (!name) return undefined;
  const text = await readFile(join(dir, name), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const field = (key: string): string => text.match(new RegExp(`^${key}:? (.*)$`, 'm'))?.[1]?.trim() ?? '';
  return { name, enabled: text.startsWith('enabled'), interpreter: field('interpreter'), flags: field('flags') };
}

/** Whether the kernel already runs `arch` programs through qemu (an enabled entry). */
export async function binfmtHandles(arch: string): Promise<boolean> {
  return (await readBinfmtHandler(arch))?.enabled === true;
}

/** Mounts binfmt_misc where it is not mounted yet (containers and minimal hosts often lack it). */
export async function mountBinfmtMisc(dir = BINFMT_MISC): Promise<void> {
  if (await access(join(dir, 'register')).then(() => true, () => false)) return;
  try {
    await execa('mount', ['-t', 'binfmt_misc', 'binfmt_misc', dir]);
  } catch (error) {
    throw new RuntimeError('UNSUPPORTED', `cannot mount binfmt_misc on ${dir} (needs root): ${(error as { stderr?: string }).stderr?.trim() || String(error)}`);
  }
}

/** The registration line of the installed qemu-user-static for `arch` (from its binfmt.d file). */
export async function qemuRegistration(arch: string, configDirs: readonly string[] = BINFMT_CONFIG_DIRS): Promise<string | undefined> {
  const name = qemuHandlerName(arch);
  if (!name) return undefined;
  for (const dir of configDirs) {
    const text = await readFile(join(dir, `${name}.conf`), 'utf8').catch(() => undefined);
    const line = text?.split('\n').find((l) => l.startsWith(`:${name}:`));
    if (line) return withFixBinary(line.trim());
  }
  return undefined;
}

/** The architectures the installed qemu-user-static can register (those with a binfmt.d file). */
export async function registrableArchitectures(configDirs: readonly string[] = BINFMT_CONFIG_DIRS): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of configDirs) {
    for (const file of await readdir(dir).catch(() => [] as string[])) {
      const arch = Object.keys(QEMU_NAMES).find((a) => file === `${qemuHandlerName(a)}.conf`);
      if (arch) found.add(arch);
    }
  }
  return [...found].sort();
}

/** `:name:type:offset:magic:mask:interpreter:flags` with F among the flags. */
function withFixBinary(line: string): string {
  const fields = line.split(':');
  const flags = fields[fields.length - 1];
  if (!flags.includes('F')) fields[fields.length - 1] = `${flags}F`;
  return fields.join(':');
}

export type RegistrationOutcome = 'registered' | 'replaced' | 'unchanged';

/**
 * Registers (with the fix-binary flag) the kernel entry for each architecture. An entry that is
 * already enabled with F is left alone; one without F, or disabled, is replaced.
 */
export async function registerQemuHandlers(
  arches: readonly string[],
  options: { dir?: string; configDirs?: readonly string[] } = {},
): Promise<{ arch: string; outcome: RegistrationOutcome; interpreter: string }[]> {
  const dir = options.dir ?? BINFMT_MISC;
  await mountBinfmtMisc(dir);
  const done: { arch: string; outcome: RegistrationOutcome; interpreter: string }[] = [];
  for (const arch of arches) {
    const line = await qemuRegistration(arch, options.configDirs);
    if (!line) {
      throw new RuntimeError('QEMU_MISSING', `no qemu binfmt definition for ${arch} (${qemuHandlerName(arch) ?? 'unknown to qemu'}.conf in ${BINFMT_CONFIG_DIRS.join(', ')}): install the qemu-user-static package (apt-get install qemu-user-static)`);
    }
    const existing = await readBinfmtHandler(arch, dir);
    if (existing?.enabled && existing.flags.includes('F')) {
      done.push({ arch, outcome: 'unchanged', interpreter: existing.interpreter });
      continue;
    }
    if (existing) await writeFile(join(dir, existing.name), '-1');
    try {
      await writeFile(join(dir, 'register'), line);
    } catch (error) {
      throw new RuntimeError('UNSUPPORTED', `cannot register ${qemuHandlerName(arch)} in ${dir}: ${errnoCode(error) ?? String(error)} (needs root)`);
    }
    const interpreter = line.split(':').at(-2) ?? '';
    done.push({ arch, outcome: existing ? 'replaced' : 'registered', interpreter });
  }
  return done;
}

/** Removes the kernel entries for these architectures; returns those that were there. */
export async function removeQemuHandlers(arches: readonly string[], dir = BINFMT_MISC): Promise<string[]> {
  const removed: string[] = [];
  for (const arch of arches) {
    const existing = await readBinfmtHandler(arch, dir);
    if (!existing) continue;
    await writeFile(join(dir, existing.name), '-1');
    removed.push(arch);
  }
  return removed;
}
