/**
 * Langium-style one-line test helpers for the linter: state the diagnostics a text must produce
 * (code and 1-based line/column) and get a readable failure listing what was actually reported.
 */
import assert from 'node:assert/strict';
import type { Diagnostic, DiagnosticCode, Fix } from '@kubefile/grammar';
import { compile, lint, type CompileOptions, type CompileResult, type LintOptions, type LintResult } from '@kubefile/compiler';

export interface ExpectedDiagnostic {
  code: DiagnosticCode;
  /** 1-based line of the range start. */
  line: number;
  /** 1-based column of the range start; not compared when omitted. */
  column?: number;
  /** A substring the message must contain. */
  message?: string;
}

/** `KF2003 2:1 COPY comes before FROM ...`: how diagnostics are listed in failures. */
export function describeDiagnostic(d: Diagnostic): string {
  return `${d.code} ${d.range.start.line + 1}:${d.range.start.column + 1} ${d.message}`;
}

function matches(d: Diagnostic, e: ExpectedDiagnostic): boolean {
  return (
    d.code === e.code &&
    d.range.start.line + 1 === e.line &&
    (e.column === undefined || d.range.start.column + 1 === e.column) &&
    (e.message === undefined || d.message.includes(e.message))
  );
}

/**
 * Lints `text` and asserts the diagnostics are exactly `expected` (in any order): each expected one
 * is reported, and nothing else is. Returns the lint result for further checks.
 */
export function expectDiagnostics(text: string, expected: ExpectedDiagnostic[], options: LintOptions = {}): LintResult {
  const result = lint(text, options);
  assertDiagnostics(text, result.diagnostics, expected);
  return result;
}

/** Like `expectDiagnostics`, through the whole compiler (build context, platforms, build args). */
export async function expectCompileDiagnostics(text: string, expected: ExpectedDiagnostic[], options: CompileOptions = {}): Promise<CompileResult> {
  const result = await compile(text, options);
  assertDiagnostics(text, result.diagnostics, expected);
  return result;
}

function assertDiagnostics(text: string, diagnostics: readonly Diagnostic[], expected: ExpectedDiagnostic[]): void {
  const remaining = [...diagnostics];
  const missing: ExpectedDiagnostic[] = [];
  for (const e of expected) {
    const i = remaining.findIndex((d) => matches(d, e));
    if (i === -1) missing.push(e);
    else remaining.splice(i, 1);
  }
  if (missing.length > 0 || remaining.length > 0) {
    const want = missing.map((e) => `${e.code} ${e.line}${e.column === undefined ? '' : `:${e.column}`}${e.message ? ` "${e.message}"` : ''}`);
    assert.fail(
      [
        `Diagnostics differ for:\n${text.replace(/^/gm, '  | ')}`,
        missing.length > 0 ? `missing:\n${want.map((w) => `  ${w}`).join('\n')}` : '',
        remaining.length > 0 ? `unexpected:\n${remaining.map((d) => `  ${describeDiagnostic(d)}`).join('\n')}` : '',
        `reported:\n${diagnostics.map((d) => `  ${describeDiagnostic(d)}`).join('\n') || '  (none)'}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
}

/** Lints `text` and asserts nothing at all is reported. */
export function expectNoDiagnostics(text: string, options: LintOptions = {}): LintResult {
  return expectDiagnostics(text, [], options);
}

/** The one diagnostic with `code`; fails if there is not exactly one. */
export function only(result: LintResult, code: DiagnosticCode): Diagnostic {
  const found = result.diagnostics.filter((d) => d.code === code);
  assert.equal(found.length, 1, `expected one ${code}, got: ${result.diagnostics.map(describeDiagnostic).join('; ') || '(none)'}`);
  return found[0];
}

/** Applies a fix's edits to the text (edits must not overlap). */
export function applyFix(text: string, fix: Fix): string {
  const edits = [...fix.edits].sort((a, b) => b.range.start.offset - a.range.start.offset);
  let out = text;
  for (const edit of edits) out = out.slice(0, edit.range.start.offset) + edit.newText + out.slice(edit.range.end.offset);
  return out;
}

/** Applies the first fix of the one diagnostic with `code` and returns the new text. */
export function fixed(text: string, code: DiagnosticCode, options: LintOptions = {}): string {
  const diagnostic = only(lint(text, options), code);
  assert.ok(diagnostic.fixes && diagnostic.fixes.length > 0, `${code} has no fix`);
  return applyFix(text, diagnostic.fixes[0]);
}
