/**
 * Running another architecture's programs in a RUN step. The programs in the image's `bin/` that
 * are ELF executables for an architecture the host cannot run go through qemu user emulation:
 * when the host has a binfmt_misc handler for it, the kernel does that by itself; otherwise each
 * such program gets a shim, first on PATH, that execs `qemu-<arch>-static` on it. Shims need no
 * privilege and change nothing on the host.
 */
import { constants } from 'node:fs';
import { access, chmod, mkdir, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { elfArchitecture as elfHeaderArchitecture } from '@kubefile/compiler/elf';
import { RuntimeError } from './errors.js';

/** qemu's name for each architecture (`qemu-<name>-static`). */
const QEMU_NAMES: Record<string, string> = { '386': 'i386', amd64: 'x86_64', arm: 'arm', arm64: 'aarch64', ppc64le: 'ppc64le', ppc64: 'ppc64', s390x: 's390x', riscv64: 'riscv64', loong64: 'loongarch64', mips: 'mips', mipsle: 'mipsel', mips64: 'mips64', mips64le: 'mips64el' };

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

/** Whether the kernel already runs `arch` programs through qemu (an enabled binfmt_misc handler). */
export async function binfmtHandles(arch: string): Promise<boolean> {
  const name = QEMU_NAMES[arch];
  if (!name) return false;
  const status = await readFile(`/proc/sys/fs/binfmt_misc/qemu-${name}`, 'utf8').catch(() => '');
  return status.startsWith('enabled');
}

/** `qemu-<arch>-static` on PATH (or in /usr/bin); undefined when it is not installed. */
export async function findQemu(arch: string): Promise<string | undefined> {
  const name = QEMU_NAMES[arch];
  if (!name) return undefined;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/local/bin'];
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
    const qemu = await findQemu(arch);
    if (!qemu) {
      throw new RuntimeError(
        'QEMU_MISSING',
        `RUN for ${platform} needs qemu-${QEMU_NAMES[arch]}-static to run ${arch} programs (${name}) on this ${host} host: install the qemu-user-static package (apt-get install qemu-user-static)`,
      );
    }
    const shim = join(shims, name);
    await writeFile(shim, `#!/bin/sh\nexec ${shellQuote(qemu)} ${shellQuote(join(root, 'bin', name))} "$@"\n`);
    await chmod(shim, 0o755);
  }
  return foreign.length;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
