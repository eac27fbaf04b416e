/**
 * One-line feature tests: Kubefile text with `|` marking the cursor, an optional in-memory build
 * context, and the expected result.
 *
 *   const { analysis, position, context } = await setup('FROM scratch\nCO|', { files: { 'a.txt': 'a' } });
 */
import { memoryContext, parsePlatform, type MemoryEntry } from '@kubefile/compiler';
import type { Position } from 'vscode-languageserver';
import { analyze, DEFAULT_SETTINGS, type Analysis, type FeatureContext, type LanguageSettings } from '../src/analysis.js';

export interface SetupOptions {
  /** Build-context files (path → content), as `memoryContext` takes them. */
  files?: Record<string, MemoryEntry>;
  platforms?: string[];
  buildArgs?: Record<string, string>;
  /** Images "in the store" (name → platforms), for FROM hover and completion. */
  images?: Record<string, string[]>;
  /** What the store's images are (default: cluster images), for where RUN runs. */
  kinds?: Record<string, 'cluster' | 'os'>;
}

export interface Setup {
  analysis: Analysis;
  /** Where `|` was (it is removed from the text); line 0, character 0 when there is none. */
  position: Position;
  context: FeatureContext;
}

/** Splits `text|more` into the text without the marker and the marker's position. */
export function cursor(marked: string): { text: string; position: Position } {
  const at = marked.indexOf('|');
  if (at === -1) return { text: marked, position: { line: 0, character: 0 } };
  const before = marked.slice(0, at);
  const line = before.split('\n').length - 1;
  return { text: before + marked.slice(at + 1), position: { line, character: at - (before.lastIndexOf('\n') + 1) } };
}

export async function setup(marked: string, options: SetupOptions = {}): Promise<Setup> {
  const { text, position } = cursor(marked);
  const settings: LanguageSettings = {
    ...DEFAULT_SETTINGS,
    platforms: (options.platforms ?? ['linux/amd64']).map((p) => parsePlatform(p)),
    buildArgs: options.buildArgs ?? {},
  };
  const buildContext = options.files ? memoryContext(options.files) : undefined;
  const context: FeatureContext = {
    settings,
    ...(buildContext ? { buildContext, contextUri: (path: string) => `file:///context/${path}` } : {}),
    imagePlatforms: async (name) => options.images?.[name],
    images: async () => Object.entries(options.images ?? {}).map(([name, platforms]) => ({ name, platforms })),
  };
  // The fake store's images are cluster images unless `kinds` says otherwise; the others are not known.
  const images = {
    platforms: async (name: string) => options.images?.[name],
    kind: async (name: string) => (options.images?.[name] ? (options.kinds?.[name] ?? 'cluster') : undefined),
  };
  return { analysis: await analyze(text, settings, buildContext, undefined, images), position, context };
}

/** The labels `completion` offers at the `|` of `marked` (feature passed in to keep helpers feature-agnostic). */
export async function labelsAt<T extends { label: string }>(
  feature: (analysis: Analysis, position: Position, context: FeatureContext) => Promise<T[]>,
  marked: string,
  options: SetupOptions = {},
): Promise<string[]> {
  const { analysis, position, context } = await setup(marked, options);
  return (await feature(analysis, position, context)).map((item) => item.label);
}

/** The markdown of a hover at the `|` of `marked`, or undefined when there is none. */
export async function hoverTextAt(
  feature: (analysis: Analysis, position: Position, context: FeatureContext) => Promise<{ contents: unknown } | null>,
  marked: string,
  options: SetupOptions = {},
): Promise<string | undefined> {
  const { analysis, position, context } = await setup(marked, options);
  const result = await feature(analysis, position, context);
  if (!result) return undefined;
  const contents = result.contents;
  return typeof contents === 'object' && contents !== null && 'value' in contents && typeof contents.value === 'string' ? contents.value : String(contents);
}
