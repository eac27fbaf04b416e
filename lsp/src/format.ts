/**
 * Document and range formatting. The formatter only touches whitespace the build never sees, and
 * keyword case:
 *
 * - the keyword is upper-cased (known instructions only) and starts its line;
 * - the gaps after the keyword, between flags and before the arguments become one space (BuildKit
 *   splits the instruction line on any run of blanks there);
 * - continuation lines get one indent unit, but only where the join point lies outside quotes and
 *   already has whitespace on one side (BuildKit keeps a continuation line's leading whitespace in
 *   the joined text, so `"a\` + `  b"` or `a\` + `b` would change meaning);
 * - trailing blanks are removed, except in heredoc bodies and delimiter lines;
 * - comments outside instructions lose their indentation; directives and heredoc bodies are kept.
 *
 * Arguments are never rewritten: shell-form RUN/CMD text goes to the shell as written.
 */
import { isKnown, type Instruction, type Kubefile, type LineMap } from '@kubefile/grammar';
import type { FormattingOptions, Range as LspRange, TextEdit } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';

/** LSP formatting options (only the indent settings are read), and the range for range formatting. */
export type FormatOptions = Pick<FormattingOptions, 'tabSize' | 'insertSpaces'> & { range?: LspRange };

interface OffsetEdit {
  start: number;
  end: number;
  newText: string;
}

const BLANKS = /^[ \t]+$/;

export function format(analysis: Analysis, options: FormatOptions): TextEdit[] {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  const indent = options.insertSpaces === false ? '\t' : ' '.repeat(Math.max(1, options.tabSize || 4));
  const owned = new Set<number>();
  const edits: OffsetEdit[] = [];
  const range = options.range;
  const inRange = (startLine: number, endLine: number) => !range || (startLine <= range.end.line && endLine >= range.start.line);

  for (const instruction of ast.instructions) {
    const first = instruction.range.start.line;
    const last = instruction.range.end.line;
    for (let line = first; line <= last; line++) owned.add(line);
    if (inRange(first, last)) edits.push(...formatInstruction(text, lines, ast, instruction, indent));
  }

  // Lines outside instructions: comments, directives, blank lines.
  const directiveLines = new Set(ast.directives.map((d) => d.range.start.line));
  for (let line = 0; line < lines.lineCount; line++) {
    if (owned.has(line) || !inRange(line, line)) continue;
    const start = lines.lineStarts[line];
    const end = lines.lineEnd(line);
    trimTrailing(text, start, end, edits);
    const leading = leadingBlanks(text, start, end);
    if (leading > start && leading < end && text[leading] === '#' && !directiveLines.has(line)) {
      edits.push({ start, end: leading, newText: '' });
    }
  }

  edits.sort((a, b) => a.start - b.start);
  return edits.map((e) => ({ range: toRange(lines, e.start, e.end), newText: e.newText }));
}

function formatInstruction(text: string, lines: LineMap, ast: Kubefile, instruction: Instruction, indent: string): OffsetEdit[] {
  const edits: OffsetEdit[] = [];
  const first = instruction.range.start.line;
  const last = instruction.range.end.line;
  const keywordStart = instruction.keywordRange.start.offset;
  const keywordEnd = instruction.keywordRange.end.offset;

  // The keyword starts its line.
  const lineStart = lines.lineStarts[first];
  if (keywordStart > lineStart && BLANKS.test(text.slice(lineStart, keywordStart))) edits.push({ start: lineStart, end: keywordStart, newText: '' });

  // Upper-case keyword (unknown words are left for the did-you-mean fix).
  if (isKnown(instruction) && instruction.keywordText !== instruction.keyword && text.slice(keywordStart, keywordEnd) === instruction.keywordText) {
    edits.push({ start: keywordStart, end: keywordEnd, newText: instruction.keyword });
  }

  // One space between keyword, flags and arguments, where the gap is blanks on one line.
  const stops: [number, number][] = instruction.flags.map((f) => [f.range.start.offset, f.range.end.offset]);
  if (instruction.argsText !== '') stops.push([instruction.argsRange.start.offset, instruction.argsRange.end.offset]);
  let previousEnd = keywordEnd;
  for (const [start, end] of stops) {
    const gap = text.slice(previousEnd, start);
    if (gap !== ' ' && BLANKS.test(gap)) edits.push({ start: previousEnd, end: start, newText: ' ' });
    previousEnd = end;
  }

  const heredocLines = new Set<number>();
  for (const heredoc of instruction.heredocs) {
    for (let line = heredoc.range.start.line; line <= heredoc.range.end.line; line++) heredocLines.add(line);
  }

  const reindent = instruction.heredocs.length === 0 ? safeJoins(text, lines, ast, instruction) : new Set<number>();
  for (let line = first; line <= last; line++) {
    if (heredocLines.has(line)) continue;
    const start = lines.lineStarts[line];
    const end = lines.lineEnd(line);
    trimTrailing(text, start, end, edits);
    if (line === first || !reindent.has(line)) continue;
    const leading = leadingBlanks(text, start, end);
    if (text.slice(start, leading) !== indent) edits.push({ start, end: leading, newText: indent });
  }
  return edits;
}

/** Instructions whose arguments BuildKit (or the shell) splits on whitespace, so blank runs between words are interchangeable. */
function whitespaceInsensitive(instruction: Instruction): boolean {
  if (!isKnown(instruction)) return false;
  switch (instruction.keyword) {
    case 'MAINTAINER':
    case 'KUBEVERSION':
      return false;
    case 'ENV':
    case 'LABEL':
    case 'APPENV':
      // The legacy `ENV name value words` form keeps the value's whitespace as written.
      return instruction.pairs.every((p) => p.separator !== ' ');
    default:
      return true;
  }
}

/**
 * The continuation lines whose indentation may change: the join with the text before lies outside
 * quotes and escapes, and already has whitespace on at least one side (so words never merge or split).
 */
function safeJoins(text: string, lines: LineMap, ast: Kubefile, instruction: Instruction): Set<number> {
  const safe = new Set<number>();
  if (!whitespaceInsensitive(instruction)) return safe;
  // The shell (shell-form RUN/CMD) and JSON both escape with a backslash; BuildKit's word splitting uses the file's escape.
  const shellOrJson = instruction.form === 'exec' || instruction.keyword === 'RUN' || instruction.keyword === 'CMD';
  const escape = shellOrJson ? '\\' : ast.escapeChar;
  const continuation = new RegExp(`${ast.escapeChar === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const quoting: Quoting = { quote: '', pending: false };
  let blankBefore = false;
  const first = instruction.range.start.line;
  for (let line = first; line <= instruction.range.end.line; line++) {
    const start = line === first ? instruction.keywordRange.end.offset : lines.lineStarts[line];
    const end = line === instruction.range.end.line ? instruction.range.end.offset : lines.lineEnd(line);
    let content = text.slice(start, end);
    if (line > first) {
      const trimmed = content.trimStart();
      // BuildKit drops comment and empty lines inside a continuation.
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const leading = content.length - content.replace(/^[ \t]+/, '').length;
      if (quoting.quote === '' && !quoting.pending && (leading > 0 || blankBefore)) safe.add(line);
    }
    if (line < instruction.range.end.line) content = content.replace(continuation, '');
    blankBefore = /[ \t]$/.test(content);
    readQuotes(quoting, content, escape, instruction.form !== 'exec');
  }
  return safe;
}

/** Where a word splitter is after some text: inside which quote, and whether an escape waits for its character. */
export interface Quoting {
  quote: string;
  pending: boolean;
}

/** Reads `text` into `quoting` as BuildKit splits words: the escape works outside single quotes; single quotes only count in shell form. */
export function readQuotes(quoting: Quoting, text: string, escape: string, singleQuotes: boolean): void {
  for (const ch of text) {
    if (quoting.quote === "'") {
      if (ch === "'") quoting.quote = '';
    } else if (quoting.pending) {
      quoting.pending = false;
    } else if (ch === escape) {
      quoting.pending = true;
    } else if (quoting.quote === '"') {
      if (ch === '"') quoting.quote = '';
    } else if (ch === '"' || (ch === "'" && singleQuotes)) {
      quoting.quote = ch;
    }
  }
}

function leadingBlanks(text: string, start: number, end: number): number {
  let i = start;
  while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
  return i;
}

function trimTrailing(text: string, start: number, end: number, edits: OffsetEdit[]): void {
  let i = end;
  while (i > start && (text[i - 1] === ' ' || text[i - 1] === '\t')) i--;
  if (i < end) edits.push({ start: i, end, newText: '' });
}

function toRange(lines: LineMap, start: number, end: number): LspRange {
  const s = lines.position(start);
  const e = lines.position(end);
  return { start: { line: s.line, character: s.column }, end: { line: e.line, character: e.column } };
}

/** Applies LSP text edits to a text (non-overlapping edits, any order): for tests and previews. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  const offset = (p: LspRange['start']) => (p.line >= starts.length ? text.length : Math.min(starts[p.line] + p.character, text.length));
  const sorted = edits.map((e) => ({ start: offset(e.range.start), end: offset(e.range.end), newText: e.newText })).sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const e of sorted) out = out.slice(0, e.start) + e.newText + out.slice(e.end);
  return out;
}
