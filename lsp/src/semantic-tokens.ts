/**
 * Semantic tokens: keywords, variables (uses and declarations), application names, flags, quoted
 * strings, comments and parser directives, in the LSP's relative encoding.
 */
import { platformVariables, DEFAULT_PLATFORM } from '@kubefile/compiler';
import type { SemanticTokensLegend } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { SemanticTokensBuilder } from './languageserver.js';
import { symbolTable } from './symbols.js';

export const SEMANTIC_TOKEN_LEGEND = {
  tokenTypes: ['keyword', 'variable', 'parameter', 'string', 'comment', 'operator', 'macro', 'namespace'],
  tokenModifiers: ['declaration', 'readonly', 'defaultLibrary'],
} as const satisfies SemanticTokensLegend;

export type TokenType = (typeof SEMANTIC_TOKEN_LEGEND.tokenTypes)[number];
export type TokenModifier = (typeof SEMANTIC_TOKEN_LEGEND.tokenModifiers)[number];

interface Token {
  start: number;
  end: number;
  type: TokenType;
  modifiers: TokenModifier[];
}

/** The names the compiler predefines (ARCH, TARGETARCH ...): the same on every platform. */
const PREDEFINED = new Set(Object.keys(platformVariables(DEFAULT_PLATFORM, DEFAULT_PLATFORM)));

export function semanticTokens(analysis: Analysis): number[] {
  const { text, result } = analysis;
  const ast = result.ast;
  const lines = result.lines;
  // Strings (and directive lines) are the bottom layer: the tokens above cut holes in them.
  const base: Token[] = [];
  const top: Token[] = [];
  const token = (list: Token[], start: number, end: number, type: TokenType, modifiers: TokenModifier[] = []) => {
    if (end > start) list.push({ start, end, type, modifiers });
  };

  for (const directive of ast.directives) {
    token(base, directive.range.start.offset, directive.range.end.offset, 'comment');
    token(top, directive.nameRange.start.offset, directive.nameRange.end.offset, 'macro');
    token(top, directive.valueRange.start.offset, directive.valueRange.end.offset, 'string');
  }
  for (const comment of ast.comments) token(top, comment.range.start.offset, comment.range.end.offset, 'comment');

  for (const instruction of ast.instructions) {
    token(top, instruction.keywordRange.start.offset, instruction.keywordRange.end.offset, 'keyword');
    // `--name` is the parameter; its value is left plain
    for (const flag of instruction.flags) token(top, flag.range.start.offset, flag.nameRange.end.offset, 'parameter');
    for (const word of instruction.args) {
      const start = word.range.start.offset;
      const end = word.range.end.offset;
      if (instruction.form === 'exec' && text[start] === '"') token(base, start, end, 'string');
      else if (instruction.form === 'shell') for (const [s, e] of quotedRegions(text, start, end, ast.escapeChar)) token(base, s, e, 'string');
    }
  }

  for (const occurrence of symbolTable(analysis).occurrences) {
    const modifiers: TokenModifier[] = occurrence.declaration ? ['declaration'] : [];
    if (occurrence.symbol.namespace !== 'variable') {
      token(top, occurrence.start, occurrence.end, 'namespace', modifiers);
    } else {
      if (occurrence.symbol.declarations.length === 0 && PREDEFINED.has(occurrence.symbol.name)) modifiers.push('readonly', 'defaultLibrary');
      // a use's token starts at its `$` / `${`
      const start = occurrence.declaration ? occurrence.start : dollarBefore(text, occurrence.start);
      const end = !occurrence.declaration && text[start + 1] === '{' && text[occurrence.end] === '}' ? occurrence.end + 1 : occurrence.end;
      token(top, start, end, 'variable', modifiers);
    }
  }

  top.sort((a, b) => a.start - b.start);
  const tokens = [...top, ...base.flatMap((t) => subtract(t, top))].sort((a, b) => a.start - b.start);
  const builder = new SemanticTokensBuilder();
  for (const t of tokens) {
    // LSP tokens stay on one line: split the ones over a continuation or a heredoc
    const first = lines.position(t.start).line;
    const last = lines.position(t.end).line;
    for (let line = first; line <= last; line++) {
      const start = line === first ? t.start : lines.lineStarts[line];
      const end = line === last ? t.end : lines.lineEnd(line);
      if (end <= start) continue;
      builder.push(line, start - lines.lineStarts[line], end - start, typeIndex(t.type), modifierBits(t.modifiers));
    }
  }
  return builder.build().data;
}

function typeIndex(type: TokenType): number {
  return SEMANTIC_TOKEN_LEGEND.tokenTypes.indexOf(type);
}

function modifierBits(modifiers: readonly TokenModifier[]): number {
  return modifiers.reduce((bits, m) => bits | (1 << SEMANTIC_TOKEN_LEGEND.tokenModifiers.indexOf(m)), 0);
}

/** The offset of the `$` (or `${`, `${#`) that starts the reference whose name begins at `nameStart`. */
function dollarBefore(text: string, nameStart: number): number {
  let at = nameStart - 1;
  if (text[at] === '#' && text[at - 1] === '{') at--;
  if (text[at] === '{') at--;
  return text[at] === '$' ? at : nameStart;
}

/** `'...'` and `"..."` regions in source text (an escaped quote is not one; a region may be unclosed). */
function quotedRegions(text: string, start: number, end: number, escape: string): [number, number][] {
  const out: [number, number][] = [];
  let i = start;
  while (i < end) {
    const ch = text[i];
    if (ch === escape) {
      i += 2;
    } else if (ch === "'" || ch === '"') {
      let j = i + 1;
      while (j < end && text[j] !== ch) j += ch === '"' && text[j] === escape ? 2 : 1;
      const close = Math.min(j + 1, end);
      out.push([i, close]);
      i = close;
    } else {
      i++;
    }
  }
  return out;
}

/** The parts of `token` no token of `holes` (sorted, not overlapping) covers. */
function subtract(token: Token, holes: readonly Token[]): Token[] {
  const out: Token[] = [];
  let from = token.start;
  // binary search for the first hole ending after the token starts: a file has thousands of tokens
  let lo = 0;
  let hi = holes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (holes[mid].end <= token.start) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < holes.length && holes[i].start < token.end; i++) {
    const hole = holes[i];
    if (hole.start > from) out.push({ ...token, start: from, end: hole.start });
    from = Math.max(from, hole.end);
  }
  if (from < token.end) out.push({ ...token, start: from, end: token.end });
  return out;
}
