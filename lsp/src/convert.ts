/** Grammar ranges and diagnostics as LSP values (both count 0-based lines and UTF-16 columns). */
import type { Diagnostic, Range } from '@kubefile/grammar';
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic, type Range as LspRange } from 'vscode-languageserver';

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

export function toLspDiagnostic(diagnostic: Diagnostic): LspDiagnostic {
  // An outside checker's finding is shown under its own code, with its page (ShellCheck's SC2086).
  if (diagnostic.rule) {
    return {
      range: toLspRange(diagnostic.range),
      severity: SEVERITY[diagnostic.severity],
      code: diagnostic.rule.id,
      codeDescription: { href: diagnostic.rule.href },
      source: 'shellcheck',
      message: diagnostic.message,
    };
  }
  return {
    range: toLspRange(diagnostic.range),
    severity: SEVERITY[diagnostic.severity],
    code: diagnostic.code,
    source: 'kubefile',
    message: diagnostic.message,
  };
}
