/** Programs: the architecture an ELF executable is built for. No dependencies, so the runtime can load it alone (`@kubefile/compiler/elf`). */

/**
 * The OCI architecture of an ELF file from its first bytes (e_ident class and data, e_machine at
 * 18): amd64, 386, arm, arm64, ppc64le, ppc64, s390x, riscv64, mips, mipsle, mips64, mips64le,
 * loong64. Undefined when not ELF, or for a machine (or class/byte order of one) without an OCI
 * architecture name.
 */
export function elfArchitecture(header: Uint8Array): string | undefined {
  if (header.length < 20 || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) return undefined;
  const bits = header[4] === 1 ? 32 : header[4] === 2 ? 64 : undefined;
  const little = header[5] === 1 ? true : header[5] === 2 ? false : undefined;
  if (bits === undefined || little === undefined) return undefined;
  const machine = little ? header[18] | (header[19] << 8) : (header[18] << 8) | header[19];
  switch (machine) {
    case 3: // EM_386
      return bits === 32 && little ? '386' : undefined;
    case 62: // EM_X86_64 (class 32 is the x32 ABI, not amd64)
      return bits === 64 && little ? 'amd64' : undefined;
    case 40: // EM_ARM
      return bits === 32 && little ? 'arm' : undefined;
    case 183: // EM_AARCH64
      return bits === 64 && little ? 'arm64' : undefined;
    case 21: // EM_PPC64
      return bits === 64 ? (little ? 'ppc64le' : 'ppc64') : undefined;
    case 22: // EM_S390
      return bits === 64 && !little ? 's390x' : undefined;
    case 243: // EM_RISCV
      return bits === 64 && little ? 'riscv64' : undefined;
    case 8: // EM_MIPS
      return bits === 64 ? (little ? 'mips64le' : 'mips64') : little ? 'mipsle' : 'mips';
    case 258: // EM_LOONGARCH
      return bits === 64 && little ? 'loong64' : undefined;
    default:
      return undefined;
  }
}

/** True when the bytes start a script with a shebang (`#!`): such files run on any arch. */
export function isScript(header: Uint8Array): boolean {
  return header.length >= 2 && header[0] === 0x23 && header[1] === 0x21;
}
