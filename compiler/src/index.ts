/**
 * @kubefile/compiler: checks Kubefiles (and, with the compiler issue, plans builds per platform).
 * Pure: file access is injected by the caller.
 *
 *   const { ast, diagnostics } = lint(text);
 */
import { isReported, parse, sortDiagnostics, type Diagnostic, type DiagnosticFilter, type Kubefile, type LineMap } from '@kubefile/grammar';
import { STRUCTURE_CHECKS, type Check } from './check.js';

export interface LintOptions extends DiagnosticFilter {
  /** Checks run after parsing; defaults to every structural check. */
  checks?: readonly Check[];
}

export interface LintResult {
  ast: Kubefile;
  /** Syntax and structure diagnostics, filtered by `enable`/`disable`, in source order. */
  diagnostics: Diagnostic[];
  lines: LineMap;
}

/** Runs the checks over a parsed Kubefile. */
export function check(ast: Kubefile, checks: readonly Check[] = STRUCTURE_CHECKS): Diagnostic[] {
  return checks.flatMap((c) => c(ast));
}

/** Parses and checks a Kubefile: everything `kubefilec lint` reports. */
export function lint(text: string, options: LintOptions = {}): LintResult {
  const parsed = parse(text);
  const all = parsed.diagnostics.concat(check(parsed.ast, options.checks));
  return { ast: parsed.ast, diagnostics: sortDiagnostics(all.filter((d) => isReported(d.code, options))), lines: parsed.lines };
}

export {
  STRUCTURE_CHECKS,
  checkApplications,
  checkDeprecated,
  checkDuplicateArgs,
  checkFrom,
  checkKeywordCase,
  checkLaunch,
  type Check,
} from './check.js';
