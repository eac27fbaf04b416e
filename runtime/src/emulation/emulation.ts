/**
 * Running another architecture's programs in a RUN step. The programs in the image's `bin/` that
 * are ELF executables for an architecture the host cannot run go through qemu user emulation:
 * when the host has a binfmt_misc handler for it, the kernel does that by itself; otherwise each
 * such program gets a shim, first on PATH, that execs `qemu-<arch>-static` on it, and a foreign
 * program the command names by path gets qemu put in front of it. Neither needs privilege or
 * changes anything on the host. `--isolation chroot` runs inside the root, where only a kernel
 * entry with the fix-binary flag can bring qemu in (`kubefilec setup-qemu`).
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, open, readdir, writeFile } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { elfArchitecture as elfHeaderArchitecture } from '@kubefile/compiler/elf';
import { binfmtHandles, QEMU_NAMES, readBinfmtHandler } from './binfmt.js';
import { RuntimeError } from '../errors.js';

const NODE_ARCHES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };

export function hostArchitecture(): string {
  return NODE_ARCHES[process.arch] ?? process.arch;
}

/** The architecture of an ELF executable, or undefined for anything else. */
export async function elfArchitecture(path: string): Promise<string | undefined> {
  const file = await open(path, 'r').catch(() => undefined);
  if (!file) return undefined;
  try {
    const header = Buffer.alloc(20);
    const { bytesRead } = await file.read(header, 0, 20, 0);
    return elfHeaderArchitecture(header.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

/**
 * `qemu-<arch>-static` in `$KUBEFILE_QEMU_PATH` when set (a qemu kept elsewhere), else on PATH or
 * in /usr/bin; undefined when it is not installed.
 */
export async function findQemu(arch: string): Promise<string | undefined> {
  const name = QEMU_NAMES[arch];
  if (!name) return undefined;
  const own = process.env.KUBEFILE_QEMU_PATH;
  const dirs = own !== undefined ? own.split(delimiter).filter(Boolean) : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, `qemu-${name}-static`);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/**
 * Writes a shim into `shims` for every foreign program in `root/bin` the kernel cannot run by
 * itself. Returns how many; throws (naming the package) when qemu is needed and missing.
 */
export async function writeEmulationShims(root: string, shims: string, platform: string): Promise<number> {
  const host = hostArchitecture();
  const names = await readdir(join(root, 'bin')).catch(() => [] as string[]);
  const foreign: { name: string; arch: string }[] = [];
  for (const name of names) {
    const arch = await elfArchitecture(join(root, 'bin', name));
    if (arch && arch !== host && !(await binfmtHandles(arch))) foreign.push({ name, arch });
  }
  if (foreign.length === 0) return 0;
  await mkdir(shims, { recursive: true });
  for (const { name, arch } of foreign) {
    const qemu = await requireQemu(arch, platform, name);
    const shim = join(shims, name);
    await writeFile(shim, `#!/bin/sh\nexec ${shellQuote(qemu)} ${shellQuote(join(root, 'bin', name))} "$@"\n`);
    await chmod(shim, 0o755);
  }
  return foreign.length;
}

/** The first word of a shell command when it names a program by path (`./bin/helm`, `bin/x`). */
const PATH_FIRST_WORD = /^(\s*)((?:[\w.+-]*\/)+[\w.+-]+)(?=\s|$)/;

/**
 * The argv with qemu put in front when its program, named by path (`bin/helm version`,
 * `["./tool"]`), is a foreign ELF the kernel cannot run: PATH shims cover only names looked up on
 * PATH. Relative paths are the image root's; absolute ones the host's, where the command runs.
 */
export async function emulateNamedProgram(argv: readonly string[], root: string, platform: string): Promise<string[]> {
  const shell = argv.length === 3 && argv[0] === '/bin/sh' && argv[1] === '-c';
  const named = shell ? PATH_FIRST_WORD.exec(argv[2])?.[2] : argv[0]?.includes('/') ? argv[0] : undefined;
  if (named === undefined) return [...argv];
  const path = isAbsolute(named) ? named : join(root, named);
  const arch = await elfArchitecture(path);
  if (!arch || arch === hostArchitecture() || (await binfmtHandles(arch))) return [...argv];
  const qemu = await requireQemu(arch, platform, named);
  if (!shell) return [qemu, ...argv];
  return [argv[0], argv[1], argv[2].replace(PATH_FIRST_WORD, (_, space: string, word: string) => `${space}${shellQuote(qemu)} ${word}`)];
}

/**
 * For `--isolation chroot`: a foreign root's programs (its shell first) can only run through a
 * kernel entry with the fix-binary flag, since qemu is not inside the root. Throws when missing.
 */
export async function requireChrootEmulation(arch: string, platform: string): Promise<void> {
  if (arch === hostArchitecture()) return;
  const handler = await readBinfmtHandler(arch);
  if (handler?.enabled && handler.flags.includes('F')) return;
  const state = !handler ? 'no binfmt_misc entry' : !handler.enabled ? `the binfmt_misc entry ${handler.name} is disabled` : `the binfmt_misc entry ${handler.name} lacks the fix-binary flag (F)`;
  throw new RuntimeError(
    'QEMU_MISSING',
    `RUN --isolation chroot for ${platform} runs ${arch} programs inside the image root, which needs a qemu binfmt_misc entry with the fix-binary flag; this host has ${state}: run \`kubefilec setup-qemu --platform ${platform}\` (as root), or build with --isolation host`,
  );
}

/** The path of qemu for `arch`, or the error naming the package, the platform and the program. */
async function requireQemu(arch: string, platform: string, program: string): Promise<string> {
  const qemu = await findQemu(arch);
  if (qemu) return qemu;
  throw new RuntimeError(
    'QEMU_MISSING',
    `RUN for ${platform} needs qemu-${QEMU_NAMES[arch] ?? arch}-static to run ${arch} programs (${program}) on this ${hostArchitecture()} host: install the qemu-user-static package (apt-get install qemu-user-static)`,
  );
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
