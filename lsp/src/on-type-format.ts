/**
 * On-type formatting. After Enter at the end of a line that ends with the escape character (`\`,
 * or `` ` `` under `# escape=`` ` ``), the new continuation line is indented: like the continuation
 * line before it, or by one indent unit (the document formatter's, 4 spaces by default) for the
 * first. As in the formatter, only where indentation is invisible to the build: the escape has a
 * blank before it and no quote is open (BuildKit keeps a continuation line's leading whitespace).
 * Heredoc bodies are left alone.
 */
import type { FormattingOptions, Position, TextEdit } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { instructionAtLine } from './completion.js';
import { readQuotes, type Quoting } from './format.js';

export const ON_TYPE_TRIGGERS = ['\n'] as const;

export function onTypeFormat(analysis: Analysis, position: Position, ch: string, options: Pick<FormattingOptions, 'tabSize' | 'insertSpaces'>): TextEdit[] {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  if (ch !== '\n' || position.line === 0 || position.line >= lines.lineCount) return [];
  const previous = position.line - 1;
  const instruction = instructionAtLine(ast, previous);
  if (!instruction) return [];
  const previousStart = lines.lineStarts[previous];
  const previousEnd = lines.lineEnd(previous);
  if (instruction.heredocs.some((h) => h.range.start.line <= previous && previous <= h.range.end.line)) return [];
  const content = text.slice(previousStart, previousEnd).replace(/[ \t]+$/, '');
  if (!content.endsWith(ast.escapeChar) || /^[ \t]*#/.test(content)) return [];
  // Indentation would be inside a word or a quoted string: the build would see it.
  if (!/[ \t]$/.test(content.slice(0, -1))) return [];
  // Comment lines inside the continuation are dropped by BuildKit: their quotes do not count.
  const joined = text.slice(instruction.keywordRange.end.offset, previousStart + content.length - 1).replace(/^[ \t]*#.*$/gm, '');
  const shellOrJson = instruction.form === 'exec' || instruction.keyword === 'RUN' || instruction.keyword === 'CMD';
  if (openQuote(joined, shellOrJson ? '\\' : ast.escapeChar, instruction.form !== 'exec')) return [];

  const unit = options.insertSpaces === false ? '\t' : ' '.repeat(Math.max(1, options.tabSize || 4));
  const indent = previous > instruction.range.start.line ? (/^[ \t]*/.exec(text.slice(previousStart, previousEnd))?.[0] ?? unit) : unit;
  const lineStart = lines.lineStarts[position.line];
  const lineEnd = lines.lineEnd(position.line);
  let leading = lineStart;
  while (leading < lineEnd && (text[leading] === ' ' || text[leading] === '\t')) leading++;
  if (text.slice(lineStart, leading) === indent) return [];
  return [{ range: { start: { line: position.line, character: 0 }, end: { line: position.line, character: leading - lineStart } }, newText: indent }];
}

/**
 * Whether a quote is open at the end of `text`, read as the formatter reads joins (continuations
 * inside it count as escaped characters, which does not change quoting).
 */
function openQuote(text: string, escape: string, singleQuotes: boolean): boolean {
  const quoting: Quoting = { quote: '', pending: false };
  readQuotes(quoting, text, escape, singleQuotes);
  return quoting.quote !== '';
}
