/** `kubefilec lint`: every diagnostic of a Kubefile (syntax, structure and, per platform, the build context), as text, JSON or SARIF. */
import { applyRuleControl, deferredCatalog, shellCheck, ShellCheckCache, unknownFilterCodes, type ImageCatalog, type ShellChecker } from '@kubefile/compiler';
import { nodeShellChecker } from '@kubefile/compiler/node';
import { isReported, sortDiagnostics } from '@kubefile/grammar';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js';
import { formatReport, type FileDiagnostics, type ReportFormat } from '../report.js';
import { readKubefile } from '../source.js';
import { compileForTarget, compileOptions, type TargetOptions } from '../target.js';
import type { CommandIO } from './io.js';

export interface LintCommandOptions extends TargetOptions {
  file?: string;
  format: ReportFormat;
  enable: string[];
  disable: string[];
  /** `--shellcheck`: true requires ShellCheck, false (`--no-shellcheck`) skips it; undefined runs it when installed. */
  shellcheck?: boolean;
  /** The image store FROM is checked against (KF3023). */
  root?: string;
}

/** The store as the compiler asks it (FROM platforms, OS or cluster image), loaded only when a FROM names an image (lint does not load the runtime otherwise). */
function storeCatalog(root: string | undefined): ImageCatalog {
  return deferredCatalog(async () => {
    const { defaultStoreRoot, storeImageCatalog } = await import('@kubefile/runtime/catalog');
    return storeImageCatalog(root !== undefined && root !== '' ? root : defaultStoreRoot());
  });
}

/** Lints each context (or the one Kubefile named by -f) and reports them together. */
export async function lintCommand(contexts: string[], options: LintCommandOptions, io: CommandIO, version: string): Promise<number> {
  // Catalogue codes, and ShellCheck codes (`--disable SC2086`) for the findings reported under KF4001.
  for (const code of unknownFilterCodes(options)) throw new UsageError(`unknown diagnostic code ${code} (see docs/diagnostics.md)`);
  if (options.file !== undefined && contexts.length > 1) throw new UsageError('-f names one Kubefile: give at most one CONTEXT with it');
  const targets = contexts.length > 0 ? contexts : ['.'];
  const checker = await shellChecker(options);
  const cache = new ShellCheckCache();
  const failures = new Set<string>();
  const reports: FileDiagnostics[] = [];
  for (const context of targets) {
    const source = await readKubefile(options.file, context, io);
    const filter = { enable: options.enable, disable: options.disable };
    const compiled = await compileForTarget(source.text, { ...compileOptions(options, source.context), ...filter, images: storeCatalog(options.root) });
    let diagnostics = compiled.diagnostics;
    if (checker) {
      const checked = await shellCheck(compiled.ast, source.text, { checker, cache });
      for (const failure of checked.failures) failures.add(failure);
      // The same rule control as the compiler's (# check=skip, ignore comments, --disable SC2086); its own problems were reported by the compile.
      diagnostics = sortDiagnostics([...diagnostics, ...applyRuleControl(compiled.ast, checked.diagnostics, filter, { reportProblems: false })]);
    }
    reports.push({ file: source.displayPath, diagnostics });
  }
  // A ShellCheck that cannot run is said once; the rest of the report stands.
  for (const failure of failures) io.err(`kubefilec: warning: ${failure}\n`);
  io.out(formatReport(options.format, reports, version));
  return reports.some((r) => r.diagnostics.some((d) => d.severity === 'error')) ? EXIT_PROBLEMS : EXIT_OK;
}

/** ShellCheck when it is to run: installed, not turned off by --no-shellcheck or --disable KF4001. */
async function shellChecker(options: LintCommandOptions): Promise<ShellChecker | undefined> {
  if (options.shellcheck === false || !isReported('KF4001', options)) return undefined;
  const checker = await nodeShellChecker();
  if (!checker && options.shellcheck === true) throw new UsageError('--shellcheck: the shellcheck program is not installed (Debian: apt-get install shellcheck; or give --no-shellcheck)');
  return checker;
}
