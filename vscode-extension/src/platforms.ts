/**
 * Target platforms as the extension offers them: the quick pick's items, the choice it remembers,
 * and the status bar's text. Pure (no `vscode`), so it is tested without an editor.
 */
import { formatPlatform, parsePlatformList, platformProblem, type Platform } from '@kubefile/compiler/platform';

/** Offered in every pick: what cluster images are built for in practice (sealer ships amd64 and arm64). */
export const KNOWN_PLATFORMS: readonly string[] = ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7', 'linux/ppc64le', 'linux/s390x', 'linux/riscv64', 'linux/386'];

export interface PlatformPickItem {
  label: string;
  description?: string;
  picked: boolean;
}

/** Where the extension looks for the platforms to build, first first. */
export interface PlatformSources {
  /** The platforms picked last time (remembered per workspace). */
  last?: readonly string[];
  /** The `kubefile.platforms` setting. */
  configured: readonly string[];
  /** This machine's platform. */
  host: Platform;
}

/**
 * Normalizes platform specifiers as kubefilec reads them (`arm64` → `linux/arm64/v8`, duplicates
 * dropped). Throws the compiler's PlatformError for one it cannot read.
 */
export function normalizePlatforms(specifiers: readonly string[], host: Platform): string[] {
  return parsePlatformList(specifiers, host).map(formatPlatform);
}

/** Like normalizePlatforms, but an unreadable specifier is dropped instead of thrown (settings typed by hand). */
function readablePlatforms(specifiers: readonly string[] | undefined, host: Platform): string[] {
  const result: string[] = [];
  for (const specifier of specifiers ?? []) {
    try {
      for (const platform of normalizePlatforms([specifier], host)) if (!result.includes(platform)) result.push(platform);
    } catch {
      // Reported by the language server, which reads the same setting.
    }
  }
  return result;
}

/** The platforms a build uses unless the user picks others: the last pick, else the setting, else this machine. */
export function defaultPlatforms(sources: PlatformSources): string[] {
  const last = readablePlatforms(sources.last, sources.host);
  if (last.length > 0) return last;
  const configured = readablePlatforms(sources.configured, sources.host);
  return configured.length > 0 ? configured : [formatPlatform(sources.host)];
}

/** The quick pick: the known platforms plus any configured or picked before, the defaults ticked. */
export function platformPickItems(sources: PlatformSources): PlatformPickItem[] {
  const host = formatPlatform(sources.host);
  const configured = readablePlatforms(sources.configured, sources.host);
  const picked = new Set(defaultPlatforms(sources));
  const labels = [...KNOWN_PLATFORMS];
  for (const platform of [host, ...configured, ...picked]) if (!labels.includes(platform)) labels.push(platform);
  return labels.map((label) => {
    const notes = [label === host ? 'this machine' : undefined, configured.includes(label) ? 'kubefile.platforms' : undefined].filter((note) => note !== undefined);
    return { label, ...(notes.length > 0 ? { description: notes.join(', ') } : {}), picked: picked.has(label) };
  });
}

/** The status bar item's text: the architectures, short (`amd64, arm64`), after a server icon. */
export function platformStatusText(platforms: readonly string[]): string {
  const short = platforms.map((platform) => {
    const [os, ...arch] = platform.split('/');
    return os === 'linux' ? arch.join('/') : platform;
  });
  return `$(server-environment) ${short.join(', ')}`;
}

export function platformStatusTooltip(platforms: readonly string[]): string {
  return `Kubefile target platforms: ${platforms.join(', ')}. Click to change.`;
}

/**
 * What is wrong with the `kubefile.platforms` entries, one line each (`"linux/arm65": unknown
 * architecture "arm65" (did you mean arm64?)`); none when every entry names a platform.
 */
export function platformSettingProblems(configured: readonly unknown[], host: Platform): string[] {
  return configured.flatMap((entry) => {
    if (typeof entry !== 'string') return [`${JSON.stringify(entry)} is not a string`];
    const problem = entry.split(',').map((item) => item.trim()).filter((item) => item !== '').map((item) => platformProblem(item, host)).find((p) => p !== undefined);
    return problem ? [`${JSON.stringify(entry)}: ${problem}`] : [];
  });
}
