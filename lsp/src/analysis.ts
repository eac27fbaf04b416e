/**
 * One analysed version of a Kubefile: the compiler's result (AST with ranges, diagnostics, one plan
 * per platform) for the configured platforms and build args. Every language feature reads it; none
 * re-parses text.
 */
import { compileParsed, DEFAULT_PLATFORM, type CompileMemo, type BuildContext, type CompileResult, type ImageCatalog, type Platform, type Sha256Hex } from '@kubefile/compiler';
import { parse, type ParseResult, type Severity } from '@kubefile/grammar';
import type { Position as LspPosition } from 'vscode-languageserver';

export interface LanguageSettings {
  /** Target platforms (`kubefile.platforms`); the host's when empty. */
  platforms: Platform[];
  /** The machine builds run on (for BUILD* variables). */
  buildPlatform: Platform;
  /** `kubefile.buildArgs`. */
  buildArgs: Record<string, string>;
  /** `kubefile.lint.enable`: opt-in codes to report. */
  enable?: string[];
  /** `kubefile.lint.disable`: codes not to report. */
  disable?: string[];
  /** `kubefile.lint.severity`: a severity (or `off`) per code or ShellCheck code. */
  severity?: Record<string, Severity | 'off'>;
  /** A native SHA-256 for op digests (the server passes Node's; the default is portable JavaScript). */
  sha256?: Sha256Hex;
}

export const DEFAULT_SETTINGS: LanguageSettings = { platforms: [DEFAULT_PLATFORM], buildPlatform: DEFAULT_PLATFORM, buildArgs: {} };

export interface Analysis {
  text: string;
  result: CompileResult;
  settings: LanguageSettings;
}

/** What the features may consult beyond the document: the build context and the image store. */
export interface FeatureContext {
  settings: LanguageSettings;
  /** The Kubefile's build context (its directory), when the document is on disk. */
  buildContext?: BuildContext;
  /** A URI for a path in the build context (document links, hover). */
  contextUri?(path: string): string;
  /** The platforms of an image in the local store, or undefined when it is not there (FROM hover). */
  imagePlatforms?(name: string): Promise<readonly string[] | undefined>;
  /** The images of the local store (none when there is no store), for FROM completion. */
  images?(): Promise<{ name: string; platforms?: string[] }[]>;
}

/**
 * Analyses a text, or a parse of it. The server keeps, per document, the parse up to date with
 * `reparse` and a `memo` of the last compile, so an edit is parsed and planned again only around it.
 */
export async function analyze(source: string | ParseResult, settings: LanguageSettings = DEFAULT_SETTINGS, context?: BuildContext, memo?: CompileMemo, images?: ImageCatalog): Promise<Analysis> {
  const parsed = typeof source === 'string' ? parse(source) : source;
  const text = parsed.lines.text;
  const result = await compileParsed(parsed, {
    platforms: settings.platforms.length > 0 ? settings.platforms : [settings.buildPlatform],
    buildPlatform: settings.buildPlatform,
    buildArgs: settings.buildArgs,
    ...(context ? { context } : {}),
    ...(settings.enable ? { enable: settings.enable } : {}),
    ...(settings.disable ? { disable: settings.disable } : {}),
    ...(settings.severity ? { severity: settings.severity } : {}),
    ...(settings.sha256 ? { sha256: settings.sha256 } : {}),
    ...(memo ? { memo } : {}),
    ...(images ? { images } : {}),
    // Every stage, not only those the last one needs: the editor shows problems wherever they are.
    allStages: true,
  });
  return { text, result, settings };
}

/** The offset of an LSP position (clamped to the text), through the AST's line map. */
export function offsetAt(analysis: Analysis, position: LspPosition): number {
  const starts = analysis.result.lines.lineStarts;
  if (position.line >= starts.length) return analysis.text.length;
  const lineStart = starts[position.line];
  const lineEnd = position.line + 1 < starts.length ? starts[position.line + 1] - 1 : analysis.text.length;
  return Math.min(lineStart + Math.max(0, position.character), lineEnd);
}
