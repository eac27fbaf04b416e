/**
 * A build's options beyond its tag and platforms (`kubefilec build`'s build args, image lists,
 * ignore lists, skip-missing-platform, no-cache and pull policy): their defaults from the
 * `kubefile.build.*` settings, the options page's rows, the language server's arguments and
 * kubefilec's flags they become, and which option fixes a failed build. Pure.
 */
import type { BuildArguments } from '@kubefile/lsp/protocol';

export type PullPolicy = 'missing' | 'always' | 'never';
export const PULL_POLICIES: readonly PullPolicy[] = ['missing', 'always', 'never'];

export interface BuildOptions {
  /** Over the `kubefile.buildArgs` setting, for this build. */
  buildArgs: Record<string, string>;
  /** `--image-list` files, relative to the Kubefile's directory (or absolute). */
  imageLists: string[];
  /** `--ignore-image-list` files, likewise. */
  ignoreImageLists: string[];
  skipMissingPlatform: boolean;
  noCache: boolean;
  pull: PullPolicy;
}

/** The option a row of the options page changes. */
export type BuildOptionId = keyof BuildOptions;

export const NO_OPTIONS: BuildOptions = { buildArgs: {}, imageLists: [], ignoreImageLists: [], skipMissingPlatform: false, noCache: false, pull: 'missing' };

/** The `kubefile.build.*` settings as read, each possibly of the wrong type (typed by hand). */
export interface BuildOptionSettings {
  imageLists?: unknown;
  ignoreImageLists?: unknown;
  skipMissingPlatform?: unknown;
  noCache?: unknown;
  pull?: unknown;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string' && item.trim() !== '') : []);

/** The options a build starts from: the settings', with anything unreadable left at its default. */
export function optionsFromSettings(settings: BuildOptionSettings): BuildOptions {
  return {
    buildArgs: {},
    imageLists: strings(settings.imageLists),
    ignoreImageLists: strings(settings.ignoreImageLists),
    skipMissingPlatform: settings.skipMissingPlatform === true,
    noCache: settings.noCache === true,
    pull: PULL_POLICIES.includes(settings.pull as PullPolicy) ? (settings.pull as PullPolicy) : 'missing',
  };
}

/** Remembered options (workspace state, any version of this extension) over the defaults. */
export function readOptions(saved: unknown, defaults: BuildOptions): BuildOptions {
  if (typeof saved !== 'object' || saved === null) return defaults;
  const record = saved as Record<string, unknown>;
  const buildArgs = typeof record.buildArgs === 'object' && record.buildArgs !== null && !Array.isArray(record.buildArgs) ? record.buildArgs : {};
  return {
    buildArgs: Object.fromEntries(Object.entries(buildArgs).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    imageLists: Array.isArray(record.imageLists) ? strings(record.imageLists) : defaults.imageLists,
    ignoreImageLists: Array.isArray(record.ignoreImageLists) ? strings(record.ignoreImageLists) : defaults.ignoreImageLists,
    skipMissingPlatform: typeof record.skipMissingPlatform === 'boolean' ? record.skipMissingPlatform : defaults.skipMissingPlatform,
    noCache: typeof record.noCache === 'boolean' ? record.noCache : defaults.noCache,
    pull: PULL_POLICIES.includes(record.pull as PullPolicy) ? (record.pull as PullPolicy) : defaults.pull,
  };
}

/** The language server's `kubefile.build` arguments: only what differs from kubefilec's defaults. */
export function buildArguments(uri: string, tag: string, platforms: readonly string[], options: BuildOptions = NO_OPTIONS): BuildArguments {
  return {
    uri,
    tag: tag.trim(),
    platforms: [...platforms],
    ...(Object.keys(options.buildArgs).length > 0 ? { buildArgs: { ...options.buildArgs } } : {}),
    ...(options.imageLists.length > 0 ? { imageLists: [...options.imageLists] } : {}),
    ...(options.ignoreImageLists.length > 0 ? { ignoreImageLists: [...options.ignoreImageLists] } : {}),
    ...(options.skipMissingPlatform ? { skipMissingPlatform: true } : {}),
    ...(options.noCache ? { noCache: true } : {}),
    ...(options.pull !== 'missing' ? { pull: options.pull } : {}),
  };
}

/** The same options as `kubefilec build` flags (tasks run kubefilec). Build args are the caller's: tasks merge them with the setting. */
export function kubefilecBuildFlags(options: Omit<BuildOptions, 'buildArgs'>): string[] {
  const flags: string[] = [];
  if (options.noCache) flags.push('--no-cache');
  for (const list of options.imageLists) flags.push('--image-list', list);
  for (const list of options.ignoreImageLists) flags.push('--ignore-image-list', list);
  if (options.skipMissingPlatform) flags.push('--skip-missing-platform');
  if (options.pull !== 'missing') flags.push('--pull', options.pull);
  return flags;
}

/** A row of the options page: what it changes, and how it reads now. */
export interface OptionRow {
  id: BuildOptionId;
  label: string;
  description: string;
  detail: string;
}

const listText = (files: readonly string[]): string => (files.length === 0 ? 'none' : files.join(', '));

/** The options page, one row per option, each showing its current value. */
export function optionRows(options: BuildOptions): OptionRow[] {
  const args = Object.entries(options.buildArgs);
  return [
    { id: 'ignoreImageLists', label: 'Ignore image lists', description: listText(options.ignoreImageLists), detail: 'Files of container images not to carry (--ignore-image-list): builds offline when manifests or charts name images on Docker Hub' },
    { id: 'imageLists', label: 'Image lists', description: listText(options.imageLists), detail: 'Files of more container images to carry in registry/ (--image-list)' },
    { id: 'buildArgs', label: 'Build args', description: args.length === 0 ? 'none' : args.map(([name, value]) => `${name}=${value}`).join(' '), detail: 'ARG values for this build, over kubefile.buildArgs (--build-arg)' },
    { id: 'skipMissingPlatform', label: 'Skip missing platforms', description: options.skipMissingPlatform ? 'on' : 'off', detail: 'Leave out, with a warning, a container image that has no variant for a platform (--skip-missing-platform)' },
    { id: 'noCache', label: 'No cache', description: options.noCache ? 'on' : 'off', detail: 'Build every layer again (--no-cache)' },
    { id: 'pull', label: 'Pull policy', description: options.pull, detail: 'Pull base and container images when missing from the store, always, or never (--pull)' },
  ];
}

/** A one-line summary of the options that differ from kubefilec's defaults, or '' when none do. */
export function optionsSummary(options: BuildOptions): string {
  return optionRows(options)
    .filter((row) => row.description !== 'none' && row.description !== 'off' && !(row.id === 'pull' && row.description === 'missing'))
    .map((row) => `${row.label.toLowerCase()}: ${row.description}`)
    .join('; ');
}

/**
 * The options a failed build's message points at: kubefilec names the flag that fixes it
 * (`list it in an --ignore-image-list file`, `leave it out with --skip-missing-platform`,
 * `--pull never forbids pulling it`), and the options page has a row for each.
 */
export function remediesFor(message: string): BuildOptionId[] {
  const remedies: BuildOptionId[] = [];
  if (/--ignore-image-list\b/.test(message)) remedies.push('ignoreImageLists');
  if (/--skip-missing-platform\b/.test(message)) remedies.push('skipMissingPlatform');
  if (/--pull\b/.test(message)) remedies.push('pull');
  if (/--build-arg\b/.test(message)) remedies.push('buildArgs');
  return remedies;
}

/** What a failure's toast adds: the options page rows that fix it, by name. */
export function remedyText(remedies: readonly BuildOptionId[]): string {
  if (remedies.length === 0) return '';
  const labels = optionRows(NO_OPTIONS).filter((row) => remedies.includes(row.id)).map((row) => `"${row.label}"`);
  return `Build with Options... and set ${labels.join(' or ')}.`;
}
