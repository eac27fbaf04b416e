/**
 * One-line helpers for the grammar tests (in the spirit of Langium's `expectError`).
 *
 * Positions in the helpers are 1-BASED (line 1, column 1 is the first character), as editors show
 * them; the AST itself is 0-based. `span(range)` renders a range as `line:col-line:col`, 1-based.
 */
import assert from 'node:assert/strict';
import { isInstruction, parse, type Diagnostic, type Instruction, type Keyword, type InstructionOf, type ParseResult, type Range } from '@kubefile/grammar';

export interface ExpectedDiagnostic {
  code: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine?: number;
  endColumn?: number;
  severity?: Diagnostic['severity'];
  /** A substring of the message, or a pattern it must match. */
  message?: string | RegExp;
}

/** `1:5-1:9` (1-based, end exclusive). */
export function span(range: Range): string {
  return `${range.start.line + 1}:${range.start.column + 1}-${range.end.line + 1}:${range.end.column + 1}`;
}

/** The source text a range covers. */
export function sliceOf(text: string, range: Range): string {
  return text.slice(range.start.offset, range.end.offset);
}

/** Asserts the exact list of diagnostics (in source order). */
export function expectDiagnostics(text: string, expected: ExpectedDiagnostic[]): Diagnostic[] {
  const { diagnostics } = parse(text);
  const describe = (d: Diagnostic) => `${d.code}@${span(d.range)} ${d.message}`;
  assert.equal(diagnostics.length, expected.length, `expected ${expected.length} diagnostics, got:\n  ${diagnostics.map(describe).join('\n  ')}`);
  expected.forEach((e, i) => {
    const d = diagnostics[i];
    const where = `diagnostic #${i}: ${describe(d)}`;
    assert.equal(d.code, e.code, where);
    assert.equal(d.range.start.line + 1, e.line, `${where}: start line`);
    assert.equal(d.range.start.column + 1, e.column, `${where}: start column`);
    if (e.endLine !== undefined) assert.equal(d.range.end.line + 1, e.endLine, `${where}: end line`);
    if (e.endColumn !== undefined) assert.equal(d.range.end.column + 1, e.endColumn, `${where}: end column`);
    if (e.severity !== undefined) assert.equal(d.severity, e.severity, `${where}: severity`);
    if (typeof e.message === 'string') assert.ok(d.message.includes(e.message), `${where}: message should contain ${JSON.stringify(e.message)}`);
    else if (e.message) assert.match(d.message, e.message, where);
  });
  return diagnostics;
}

/** Asserts that `text` parses without any diagnostic. */
export function expectClean(text: string): ParseResult {
  const result = parse(text);
  assert.deepEqual(result.diagnostics.map((d) => `${d.code}@${span(d.range)} ${d.message}`), []);
  return result;
}

/** The codes of the diagnostics, in order. */
export function codesOf(text: string): string[] {
  return parse(text).diagnostics.map((d) => d.code);
}

/** The only diagnostic of `text` (asserts there is exactly one). */
export function oneDiagnostic(text: string): Diagnostic {
  const { diagnostics } = parse(text);
  assert.equal(diagnostics.length, 1, `expected one diagnostic, got ${JSON.stringify(diagnostics.map((d) => `${d.code} ${d.message}`))}`);
  return diagnostics[0];
}

/** The single instruction of `text` (asserts there is exactly one). */
export function parseOne(text: string): Instruction {
  const { ast } = parse(text);
  assert.equal(ast.instructions.length, 1, `expected one instruction, got ${ast.instructions.map((i) => i.keyword).join(', ')}`);
  return ast.instructions[0];
}

/** The argument texts of the single instruction of `text`. */
export function argsOf(text: string): string[] {
  return parseOne(text).args.map((a) => a.text);
}

/** Keywords of all instructions, in order. */
export function keywordsOf(text: string): string[] {
  return parse(text).ast.instructions.map((i) => i.keyword);
}

/** `[name, value]` of each flag of the single instruction. */
export function flagsOf(text: string): [string, string | undefined][] {
  return parseOne(text).flags.map((f) => [f.name, f.value]);
}

/** Narrows an instruction to one keyword's node type (fails the test otherwise). */
export function narrow<K extends Keyword>(instruction: Instruction, keyword: K): InstructionOf<K> {
  if (!isInstruction(instruction, keyword)) assert.fail(`expected ${keyword}, got ${instruction.keyword}`);
  return instruction;
}

/** The single instruction of `text`, narrowed to `keyword`. */
export function parseAs<K extends Keyword>(text: string, keyword: K): InstructionOf<K> {
  return narrow(parseOne(text), keyword);
}

/** Lines joined with `\n` (keeps backslashes at line ends readable). */
export function lines(...parts: string[]): string {
  return parts.join('\n');
}
