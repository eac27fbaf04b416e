/**
 * OCI platform specifiers (`linux/arm64/v8`, `arm64`, `linux`): parsing, normalization and the
 * predefined build variables. Parsing follows containerd's `platforms.Parse`/`Normalize`, so the
 * same `--platform` value means the same thing here as in Docker, BuildKit and sealer, except
 * where this project decides otherwise:
 *
 * - `arm64` always carries its variant (`v8` unless another is given) and `arm` keeps `v7`, so a
 *   formatted platform never hides a default variant;
 * - components are plain words (`[a-z0-9_-]`, no `windows(10.0)` OS versions, no dots);
 * - a specifier with an empty component, or too many, is an error instead of a guess.
 *
 * Pure: no Node APIs. The host platform is passed in by the caller (see `platformFromNode`).
 */
// The instruction table's module alone: the platform helpers are read by the runtime's store too, without the parser.
import { closestMatch } from '@kubefile/grammar/instructions';

export interface Platform {
  os: string;
  architecture: string;
  /** Absent when the architecture has none (`amd64`, `386`, `ppc64le` ...). */
  variant?: string;
}

/** A specifier that cannot be parsed; the message names the specifier and what is wrong with it. */
export class PlatformError extends Error {
  readonly specifier: string;
  readonly reason: string;

  constructor(specifier: string, reason: string) {
    super(`invalid platform ${JSON.stringify(specifier)}: ${reason}`);
    this.name = 'PlatformError';
    this.specifier = specifier;
    this.reason = reason;
  }
}

/**
 * Whether `error` is a PlatformError, told by its name: a program may hold two copies of this
 * module (kubefilec's bundle, and the runtime it loads beside it), and `instanceof` sees only its own.
 */
export function isPlatformError(error: unknown): error is PlatformError {
  return error instanceof Error && error.name === 'PlatformError';
}

/** What a build targets when nothing says otherwise. */
export const DEFAULT_PLATFORM: Platform = Object.freeze({ os: 'linux', architecture: 'amd64' });

/** Platforms offered for completion and pickers: what cluster images are commonly built for. */
export const COMMON_PLATFORMS: readonly string[] = Object.freeze([
  'linux/amd64',
  'linux/386',
  'linux/arm/v6',
  'linux/arm/v7',
  'linux/arm64/v8',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
  'windows/amd64',
]);

/** Go's GOOS values (go/build/syslist.go), as containerd knows them: a lone word is tried as these first. */
const KNOWN_OS = new Set([
  'aix', 'android', 'darwin', 'dragonfly', 'freebsd', 'hurd', 'illumos', 'ios', 'js', 'linux',
  'nacl', 'netbsd', 'openbsd', 'plan9', 'solaris', 'wasip1', 'windows', 'zos',
]);

/** Go's GOARCH values, as containerd knows them: a lone word that is not an OS must be one of these. */
const KNOWN_ARCH = new Set([
  '386', 'amd64', 'amd64p32', 'arm', 'armbe', 'arm64', 'arm64be', 'loong64', 'mips', 'mipsle',
  'mips64', 'mips64le', 'mips64p32', 'mips64p32le', 'ppc', 'ppc64', 'ppc64le', 'riscv', 'riscv64',
  's390', 's390x', 'sparc', 'sparc64', 'wasm',
]);

const COMPONENT = /^[a-z0-9_-]+$/i;
const COMPONENT_NAMES = ['operating system', 'architecture', 'variant'] as const;

function normalizeOS(os: string): string {
  os = os.toLowerCase();
  return os === 'macos' ? 'darwin' : os;
}

/** containerd's `normalizeArch`, with our defaults: `arm64` → `v8`, `arm` → `v7` kept. */
function normalizeArch(arch: string, variant = ''): { architecture: string; variant?: string } {
  arch = arch.toLowerCase();
  variant = variant.toLowerCase();
  switch (arch) {
    case 'i386':
      return { architecture: '386' };
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
      return withVariant('amd64', variant === 'v1' ? '' : variant);
    case 'aarch64':
    case 'arm64':
      if (variant === '' || variant === '8') variant = 'v8';
      else if (variant === '9') variant = 'v9';
      return withVariant('arm64', variant);
    case 'armhf':
      return { architecture: 'arm', variant: 'v7' };
    case 'armel':
      return { architecture: 'arm', variant: 'v6' };
    case 'arm':
      if (variant === '') variant = 'v7';
      else if (/^[5-8]$/.test(variant)) variant = 'v' + variant;
      return withVariant('arm', variant);
    default:
      return withVariant(arch, variant);
  }
}

/** Leaves `variant` off entirely when empty, so `{ os, architecture }` compares equal with deepEqual. */
function withVariant(architecture: string, variant: string): { architecture: string; variant?: string } {
  return variant === '' ? { architecture } : { architecture, variant };
}

function normalize(p: Platform): Platform {
  return { os: normalizeOS(p.os), ...normalizeArch(p.architecture, p.variant) };
}

/**
 * Parses `os/arch[/variant]`, a lone architecture (the OS is the host's) or a lone OS (the
 * architecture and variant are the host's) into a normalized platform. Case-insensitive.
 * Throws `PlatformError`.
 */
export function parsePlatform(specifier: string, host: Platform = DEFAULT_PLATFORM): Platform {
  const fail = (reason: string): never => {
    throw new PlatformError(specifier, reason);
  };
  if (specifier === '') fail('the specifier is empty');
  if (specifier.includes('*')) fail('wildcards are not supported');

  const parts = specifier.split('/');
  if (parts.length > 3) fail(`expected os/arch[/variant], got ${parts.length} components`);
  parts.forEach((part, i) => {
    const what = parts.length === 1 ? 'operating system or architecture' : COMPONENT_NAMES[i];
    if (part === '') fail(`the ${what} is empty`);
    if (!COMPONENT.test(part)) fail(`the ${what} ${JSON.stringify(part)} may only contain letters, digits, "_" and "-"`);
  });

  if (parts.length === 1) {
    // Like containerd: an OS first, then an architecture; an unknown word is rejected rather
    // than taken as an architecture nobody has heard of.
    const os = normalizeOS(parts[0]);
    if (KNOWN_OS.has(os)) return { os, ...normalizeArch(host.architecture, host.variant) };
    const arch = normalizeArch(parts[0]);
    if (KNOWN_ARCH.has(arch.architecture)) return { os: normalizeOS(host.os), ...arch };
    return fail(`${JSON.stringify(parts[0])} is neither a known operating system nor a known architecture`);
  }
  // Two or three components: taken as given (after normalization), known or not, as containerd does.
  return { os: normalizeOS(parts[0]), ...normalizeArch(parts[1], parts[2]) };
}

/** `os/arch[/variant]`: `linux/arm64/v8`, `linux/amd64`. */
export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/**
 * Parses `--platform` values: each string may be a comma-separated list (`linux/amd64,linux/arm64`).
 * Blank items are skipped; platforms that normalize to the same one are kept once, first first.
 */
export function parsePlatformList(specifiers: string | readonly string[], host: Platform = DEFAULT_PLATFORM): Platform[] {
  const result: Platform[] = [];
  const seen = new Set<string>();
  for (const value of typeof specifiers === 'string' ? [specifiers] : specifiers) {
    for (const item of value.split(',')) {
      const specifier = item.trim();
      if (specifier === '') continue;
      const platform = parsePlatform(specifier, host);
      const key = formatPlatform(platform);
      if (seen.has(key)) continue;
      seen.add(key);
      result.push(platform);
    }
  }
  return result;
}

const NODE_OS: Readonly<Record<string, string>> = { win32: 'windows', cygwin: 'windows', sunos: 'solaris' };
const NODE_ARCH: Readonly<Record<string, string>> = { x64: 'amd64', ia32: '386', ppc64: 'ppc64le', mipsel: 'mipsle' };

/**
 * The platform of a Node process, from `process.platform` and `process.arch` (passed in, so this
 * module stays free of Node APIs). 32-bit `arm` is assumed to be `v7`, the common case.
 */
export function platformFromNode(nodePlatform: string, nodeArch: string): Platform {
  const os = NODE_OS[nodePlatform] ?? nodePlatform;
  const arch = NODE_ARCH[nodeArch] ?? nodeArch;
  return normalize({ os, architecture: arch });
}

/**
 * Why a platform specifier names no platform an image can have (a parse error, or an operating
 * system or architecture Go does not know, such as `linux/arm65`), or undefined when it is one.
 */
export function platformProblem(specifier: string, host: Platform = DEFAULT_PLATFORM): string | undefined {
  let platform: Platform;
  try {
    platform = parsePlatform(specifier, host);
  } catch (error) {
    return isPlatformError(error) ? error.reason : String(error);
  }
  const unknown = (what: string, value: string, known: ReadonlySet<string>) => {
    const near = closestMatch(value, known, Math.max(1, Math.floor(value.length / 3)));
    return `unknown ${what} ${JSON.stringify(value)}${near ? ` (did you mean ${near}?)` : ''}`;
  };
  if (!KNOWN_OS.has(platform.os)) return unknown('operating system', platform.os, KNOWN_OS);
  if (!KNOWN_ARCH.has(platform.architecture)) return unknown('architecture', platform.architecture, KNOWN_ARCH);
  return undefined;
}

/** Whether two platforms are the same once normalized (`arm64` and `arm64/v8` are). */
export function samePlatform(a: Platform, b: Platform): boolean {
  return formatPlatform(normalize(a)) === formatPlatform(normalize(b));
}

/** sealer's ARCH value for a platform: the architecture alone (amd64, arm64, arm, 386, ppc64le, ...) */
export function sealerArch(p: Platform): string {
  return p.architecture;
}

/**
 * The predefined build variables: ARCH, TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT
 * (empty string when none), BUILDPLATFORM, BUILDOS, BUILDARCH, BUILDVARIANT, with BuildKit's
 * values. ARCH is sealer's, so `COPY ${ARCH}/helm bin` picks the target's binaries.
 */
export function platformVariables(target: Platform, build: Platform): Record<string, string> {
  return {
    ARCH: sealerArch(target),
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? '',
  };
}

/**
 * False for platforms where nothing can run on a Linux build host (windows/*, darwin/*): their
 * RUN steps cannot be emulated, so a build for them can only copy files.
 */
export function canRunOnLinux(p: Platform): boolean {
  const os = normalizeOS(p.os);
  return os !== 'windows' && os !== 'darwin';
}
