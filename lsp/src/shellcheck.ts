/**
 * ShellCheck in the editor, off the edit path: a version's diagnostics are published at once from
 * the compile (with the findings already known for its unchanged commands), then ShellCheck runs on
 * the rest a moment after the last change, and the version is published again when its findings
 * arrive. A newer version makes an older run's results unwanted; they stay cached by command text.
 */
import { cachedShellCheck, shellCheck, ShellCheckCache, type ShellChecker } from '@kubefile/compiler';
import { nodeShellChecker } from '@kubefile/compiler/node';
import type { Diagnostic, Kubefile } from '@kubefile/grammar';

export interface ShellCheckSettings {
  /** `kubefile.shellcheck.enable`. */
  enable: boolean;
  /** `kubefile.shellcheck.path`: the program (default `shellcheck` on PATH). */
  path?: string;
}

/** How long after the last change ShellCheck starts. */
export const SHELLCHECK_DELAY_MS = 250;

/**
 * Up to this many instructions, the cached findings of unchanged commands go out with the compile's
 * diagnostics (mapping them costs about a millisecond per hundred commands); a longer file gets all
 * its findings after the delay, so typing in it never pays for them.
 */
const CACHED_FINDINGS_LIMIT = 500;

interface Run {
  version: number;
  cancelled: { aborted: boolean };
  timer?: ReturnType<typeof setTimeout>;
}

export class ShellCheckRunner {
  private settings: ShellCheckSettings = { enable: true };
  private readonly cache = new ShellCheckCache();
  private checker: Promise<ShellChecker | undefined> | undefined;
  /** The program was looked for and is not there: nothing to wait for. */
  private missing = false;
  /** The run scheduled or going on per document. */
  private readonly runs = new Map<string, Run>();
  /** Each document's findings of its last finished run. */
  private readonly results = new Map<string, { version: number; diagnostics: Diagnostic[] }>();
  /** Problems already said (once each). */
  private readonly said = new Set<string>();

  constructor(
    /** Says a problem to the user's log: a missing or failing ShellCheck. */
    private readonly log: (message: string) => void,
    private readonly delayMs = SHELLCHECK_DELAY_MS,
  ) {}

  configure(settings: ShellCheckSettings): void {
    if (settings.path !== this.settings.path) {
      this.checker = undefined;
      this.missing = false;
      this.said.clear();
    }
    this.settings = settings;
    this.results.clear();
  }

  get enabled(): boolean {
    return this.settings.enable;
  }

  /**
   * The findings to publish now with version `version`'s compile diagnostics: its run's when it
   * finished, else those the cache has; `complete` false when ShellCheck still has to run.
   */
  known(uri: string, version: number, file: Kubefile, text: string): { diagnostics: Diagnostic[]; complete: boolean } {
    if (!this.settings.enable || this.missing) return { diagnostics: [], complete: true };
    const result = this.results.get(uri);
    if (result?.version === version) return { diagnostics: result.diagnostics, complete: true };
    if (file.instructions.length > CACHED_FINDINGS_LIMIT) return { diagnostics: [], complete: false };
    return cachedShellCheck(file, text, this.cache);
  }

  /** Runs ShellCheck on `version` after the delay (a later call for the document replaces it); `done` when its findings are in. */
  schedule(uri: string, version: number, file: Kubefile, text: string, done: () => void): void {
    if (!this.settings.enable) return;
    const previous = this.runs.get(uri);
    if (previous?.version === version) return;
    this.cancel(uri);
    const run: Run = { version, cancelled: { aborted: false } };
    this.runs.set(uri, run);
    run.timer = setTimeout(() => void this.run(uri, run, file, text, done), this.delayMs);
  }

  private async run(uri: string, run: Run, file: Kubefile, text: string, done: () => void): Promise<void> {
    run.timer = undefined;
    try {
      const checker = await this.checkerOf();
      if (!checker || run.cancelled.aborted) return;
      const result = await shellCheck(file, text, { checker, cache: this.cache, signal: run.cancelled });
      for (const failure of result.failures) this.sayOnce(`ShellCheck: ${failure}`);
      if (run.cancelled.aborted || this.runs.get(uri) !== run) return;
      this.results.set(uri, { version: run.version, diagnostics: result.diagnostics });
      this.runs.delete(uri);
      done();
    } catch (error) {
      this.sayOnce(`ShellCheck: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The findings of `file` now, running ShellCheck on what the cache lacks (for `kubefile.lint`, which answers once). */
  async findings(file: Kubefile, text: string): Promise<Diagnostic[]> {
    if (!this.settings.enable) return [];
    const checker = await this.checkerOf();
    if (!checker) return [];
    const result = await shellCheck(file, text, { checker, cache: this.cache });
    for (const failure of result.failures) this.sayOnce(`ShellCheck: ${failure}`);
    return result.diagnostics;
  }

  private checkerOf(): Promise<ShellChecker | undefined> {
    this.checker ??= nodeShellChecker(this.settings.path ? { path: this.settings.path } : {}).then((checker) => {
      if (!checker) {
        this.missing = true;
        this.sayOnce(
          this.settings.path
            ? `ShellCheck: ${this.settings.path} (kubefile.shellcheck.path) is not an executable program; shell commands are not checked`
            : 'ShellCheck: the shellcheck program is not installed (Debian: apt-get install shellcheck); shell commands are not checked',
        );
      }
      return checker;
    });
    return this.checker;
  }

  private sayOnce(message: string): void {
    if (this.said.has(message)) return;
    this.said.add(message);
    this.log(message);
  }

  /** Stops the document's scheduled or running check (its results would be for an older version). */
  cancel(uri: string): void {
    const run = this.runs.get(uri);
    if (!run) return;
    if (run.timer) clearTimeout(run.timer);
    run.cancelled.aborted = true;
    this.runs.delete(uri);
  }

  forget(uri: string): void {
    this.cancel(uri);
    this.results.delete(uri);
  }
}
