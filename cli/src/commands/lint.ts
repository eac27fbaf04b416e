/** `kubefilec lint`: every diagnostic of a Kubefile (syntax, structure and, per platform, the build context), as text, JSON or SARIF. */
import { compile, unknownFilterCodes, type ImageCatalog } from '@kubefile/compiler';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js';
import { formatReport, type FileDiagnostics, type ReportFormat } from '../report.js';
import { readKubefile } from '../source.js';
import { compileOptions, type TargetOptions } from '../target.js';
import type { CommandIO } from './io.js';

export interface LintCommandOptions extends TargetOptions {
  file?: string;
  format: ReportFormat;
  enable: string[];
  disable: string[];
  /** The image store FROM is checked against (KF3023). */
  root?: string;
}

/** The store's platforms of a base, read only when a FROM names an image (lint does not load the runtime otherwise). */
function storeCatalog(root: string | undefined): ImageCatalog {
  return {
    async platforms(name) {
      const { defaultStoreRoot, storeImageCatalog } = await import('@kubefile/runtime');
      return storeImageCatalog(root !== undefined && root !== '' ? root : defaultStoreRoot()).platforms(name);
    },
  };
}

/** Lints each context (or the one Kubefile named by -f) and reports them together. */
export async function lintCommand(contexts: string[], options: LintCommandOptions, io: CommandIO, version: string): Promise<number> {
  // Catalogue codes, and ShellCheck codes (`--disable SC2086`) for the findings reported under KF4001.
  for (const code of unknownFilterCodes(options)) throw new UsageError(`unknown diagnostic code ${code} (see docs/diagnostics.md)`);
  if (options.file !== undefined && contexts.length > 1) throw new UsageError('-f names one Kubefile: give at most one CONTEXT with it');
  const targets = contexts.length > 0 ? contexts : ['.'];
  const reports: FileDiagnostics[] = [];
  for (const context of targets) {
    const source = await readKubefile(options.file, context, io.stdin);
    const compiled = await compile(source.text, { ...compileOptions(options, source.context), enable: options.enable, disable: options.disable, images: storeCatalog(options.root) });
    reports.push({ file: source.displayPath, diagnostics: compiled.diagnostics });
  }
  io.out(formatReport(options.format, reports, version));
  return reports.some((r) => r.diagnostics.some((d) => d.severity === 'error')) ? EXIT_PROBLEMS : EXIT_OK;
}
