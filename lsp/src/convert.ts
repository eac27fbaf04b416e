/** Grammar ranges and diagnostics as LSP values (both count 0-based lines and UTF-16 columns). */
import { diagnosticHref, type Diagnostic, type DiagnosticTag as GrammarTag, type Range } from '@kubefile/grammar';
import type { Diagnostic as LspDiagnostic, Range as LspRange } from 'vscode-languageserver';
import { DiagnosticSeverity, DiagnosticTag } from './languageserver.js';

export function toLspRange(range: Range): LspRange {
  const { start, end } = range;
  return { start: { line: start.line, character: start.column }, end: { line: end.line, character: end.column } };
}

const SEVERITY: Record<Diagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  info: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const TAG: Record<GrammarTag, DiagnosticTag> = {
  unnecessary: DiagnosticTag.Unnecessary,
  deprecated: DiagnosticTag.Deprecated,
};

/**
 * A finding of an outside checker (`rule`, ShellCheck's under KF4001) shows its own code, source and
 * page; code actions find it again by range and `rule.id` (see `grammarDiagnosticOf`).
 */
export function toLspDiagnostic(diagnostic: Diagnostic): LspDiagnostic {
  const out: LspDiagnostic = {
    range: toLspRange(diagnostic.range),
    severity: SEVERITY[diagnostic.severity],
    code: diagnostic.rule?.id ?? diagnostic.code,
    codeDescription: { href: diagnostic.rule?.href ?? diagnosticHref(diagnostic.code) },
    source: diagnostic.rule ? 'shellcheck' : 'kubefile',
    message: diagnostic.message,
  };
  if (diagnostic.tags && diagnostic.tags.length > 0) out.tags = diagnostic.tags.map((tag) => TAG[tag]);
  return out;
}

/** The code a client's diagnostic is shown with: the catalogue code, or an outside checker's rule id. */
export function shownCode(diagnostic: Diagnostic): string {
  return diagnostic.rule?.id ?? diagnostic.code;
}
