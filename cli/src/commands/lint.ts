/** `kubefilec lint`: every diagnostic of a Kubefile, as text, JSON or SARIF. */
import { lint } from '@kubefile/compiler';
import { DIAGNOSTIC_CODES } from '@kubefile/grammar';
import { EXIT_OK, EXIT_PROBLEMS, UsageError } from '../errors.js';
import { formatReport, type ReportFormat } from '../report.js';
import { readKubefile } from '../source.js';
import type { CommandIO } from './io.js';

export interface LintCommandOptions {
  file?: string;
  format: ReportFormat;
  enable: string[];
  disable: string[];
}

export async function lintCommand(context: string | undefined, options: LintCommandOptions, io: CommandIO, version: string): Promise<number> {
  for (const code of [...options.enable, ...options.disable]) {
    if (!(DIAGNOSTIC_CODES as string[]).includes(code)) throw new UsageError(`unknown diagnostic code ${code} (see docs/diagnostics.md)`);
  }
  const source = await readKubefile(options.file, context, io.stdin);
  const { diagnostics } = lint(source.text, { enable: options.enable, disable: options.disable });
  io.out(formatReport(options.format, [{ file: source.displayPath, diagnostics }], version));
  return diagnostics.some((d) => d.severity === 'error') ? EXIT_PROBLEMS : EXIT_OK;
}
