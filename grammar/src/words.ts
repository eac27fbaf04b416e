/**
 * BuildKit's line parsers, applied to an instruction's logical line (continuations removed):
 * command/flag splitting, JSON exec form, whitespace and quote-aware word splitting, name=value
 * pairs and heredoc detection. Every piece carries its span in the logical text so the AST builder
 * can map it back to the source.
 */
import type { EscapeChar, Span } from './directives.js';
import { INSTRUCTIONS, isKeyword } from './instructions.js';
import { lastAtOrBefore } from './positions.js';

export interface TextPiece {
  text: string;
  span: Span;
}

const NO_SEGMENTS: number[] = [];

/**
 * A logical line: the source between two offsets with continuation spans cut out, and the map from
 * its offsets back to source offsets.
 */
export class LogicalText {
  readonly text: string;
  /** Logical and source start of each uncut segment (none when nothing was cut, the usual case). */
  private readonly logicalStarts: number[] = NO_SEGMENTS;
  private readonly sourceStarts: number[] = NO_SEGMENTS;

  constructor(source: string, private readonly start: number, end: number, cuts: readonly Span[]) {
    if (cuts.length === 0) {
      this.text = source.slice(start, end);
      return;
    }
    this.logicalStarts = [];
    this.sourceStarts = [];
    let text = '';
    let from = start;
    for (const cut of cuts) {
      if (cut.start > from) {
        this.logicalStarts.push(text.length);
        this.sourceStarts.push(from);
        text += source.slice(from, Math.min(cut.start, end));
      }
      from = Math.max(from, cut.end);
    }
    if (from < end) {
      this.logicalStarts.push(text.length);
      this.sourceStarts.push(from);
      text += source.slice(from, end);
    }
    this.text = text;
  }

  /** Source offset of the character at logical offset `i`. */
  sourceOffset(i: number): number {
    if (this.logicalStarts.length === 0) return this.start + i;
    if (i >= this.text.length) return this.sourceEnd(i);
    const s = this.segmentOf(i);
    return this.sourceStarts[s] + (i - this.logicalStarts[s]);
  }

  /** Source offset just past the character before logical offset `i` (for range ends). */
  sourceEnd(i: number): number {
    if (this.logicalStarts.length === 0) return this.start + i;
    if (i <= 0) return this.sourceStarts[0];
    const s = this.segmentOf(i - 1);
    return this.sourceStarts[s] + (i - this.logicalStarts[s]);
  }

  private segmentOf(i: number): number {
    return lastAtOrBefore(this.logicalStarts, i);
  }
}

/** Go's `reWhitespace`: the separators of whitespace-delimited arguments. */
export function isSeparator(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12 || code === 13;
}

/** Go's `unicode.IsSpace` (used by TrimSpace and parseWords). */
export function isSpace(code: number): boolean {
  return (
    (code >= 9 && code <= 13) || code === 32 || code === 0x85 || code === 0xa0 || code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 || code === 0x202f ||
    code === 0x205f || code === 0x3000
  );
}

export interface SplitCommand {
  command: TextPiece;
  flags: TextPiece[];
  /** Flag values as BuildKit reads them (quotes and escapes removed). */
  flagValues: string[];
  /** The rest of the line after the command and flags, trimmed. */
  args: TextPiece;
}

/** BuildKit's splitCommand: the command word, leading `--flags` and the trimmed rest. */
export function splitCommand(line: string, escape: EscapeChar): SplitCommand {
  let start = 0;
  let end = line.length;
  while (start < end && isSpace(line.charCodeAt(start))) start++;
  while (end > start && isSpace(line.charCodeAt(end - 1))) end--;
  let cmdEnd = start;
  while (cmdEnd < end && !isSeparator(line.charCodeAt(cmdEnd))) cmdEnd++;
  const command = { text: line.slice(start, cmdEnd), span: { start, end: cmdEnd } };
  let restStart = cmdEnd;
  while (restStart < end && isSeparator(line.charCodeAt(restStart))) restStart++;
  const extracted = extractBuilderFlags(line, restStart, end, escape);
  let argsStart = extracted.argsStart;
  while (argsStart < end && isSpace(line.charCodeAt(argsStart))) argsStart++;
  return {
    command,
    flags: extracted.flags,
    flagValues: extracted.values,
    args: { text: line.slice(argsStart, end), span: { start: argsStart, end } },
  };
}

/** BuildKit's extractBuilderFlags: leading words starting with `--`; a lone `--` ends them. */
function extractBuilderFlags(line: string, from: number, end: number, escape: EscapeChar) {
  const flags: TextPiece[] = [];
  const values: string[] = [];
  let pos = from;
  for (;;) {
    while (pos < end && isSpace(line.charCodeAt(pos))) pos++;
    if (pos >= end || !line.startsWith('--', pos)) return { flags, values, argsStart: pos };
    const wordStart = pos;
    let value = '';
    let quote = '';
    let blankOk = false;
    while (pos < end) {
      const ch = line[pos];
      if (quote === '') {
        if (isSpace(ch.charCodeAt(0))) break;
        if (ch === "'" || ch === '"') {
          quote = ch;
          blankOk = true;
          pos++;
          continue;
        }
      } else if (ch === quote) {
        quote = '';
        pos++;
        continue;
      }
      if (ch === escape) {
        if (pos + 1 === end) {
          pos++;
          continue;
        }
        pos++;
      }
      value += line[pos];
      pos++;
    }
    if (value === '--') return { flags, values, argsStart: pos };
    if (blankOk || value.length > 0) {
      flags.push({ text: line.slice(wordStart, pos), span: { start: wordStart, end: pos } });
      values.push(value);
    }
  }
}

export type JsonArrayResult =
  | { kind: 'array'; elements: TextPiece[] }
  | { kind: 'not-strings'; message: string }
  | { kind: 'not-json'; looksLikeJson: boolean; message?: string };

export const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/**
 * BuildKit's parseJSON: a JSON array of strings is exec form; a valid array with other values is an
 * error; anything else is shell form. `looksLikeJson` flags text that was probably meant as JSON.
 */
export function parseJsonArray(args: TextPiece): JsonArrayResult {
  const text = args.text;
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (text[start] !== '[') return { kind: 'not-json', looksLikeJson: false };
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start));
  } catch (error) {
    return { kind: 'not-json', looksLikeJson: looksLikeJsonArray(text.slice(start)), message: (error as Error).message };
  }
  if (!Array.isArray(value)) return { kind: 'not-json', looksLikeJson: false };
  if (!value.every((v) => typeof v === 'string')) return { kind: 'not-strings', message: NOT_STRING_ARRAY };
  return { kind: 'array', elements: jsonStringSpans(text, start, args.span.start, value as string[]) };
}

// `[` then quoted items separated by commas or spaces, then `]`: a JSON array in intent, e.g. ['a'] or ["a" "b"].
const JSON_LIKE = /^\[\s*(?:(?:"(?:[^"\\]|\\.)*"?|'[^']*'?)\s*,?\s*)*\]?\s*$/;

function looksLikeJsonArray(text: string): boolean {
  return JSON_LIKE.test(text) && /["']/.test(text);
}

/** Spans of the string literals of a JSON array already known to be valid. */
function jsonStringSpans(text: string, from: number, base: number, values: string[]): TextPiece[] {
  const pieces: TextPiece[] = [];
  let pos = from;
  for (const value of values) {
    pos = text.indexOf('"', pos);
    const start = pos;
    pos++;
    while (text[pos] !== '"') pos += text[pos] === '\\' ? 2 : 1;
    pos++;
    pieces.push({ text: value, span: { start: base + start, end: base + pos } });
  }
  return pieces;
}

/** BuildKit's parseStringsWhitespaceDelimited (FROM, COPY/ADD shell form). */
export function splitWhitespace(args: TextPiece): TextPiece[] {
  const words: TextPiece[] = [];
  const text = args.text;
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && isSeparator(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) break;
    const start = pos;
    while (pos < text.length && !isSeparator(text.charCodeAt(pos))) pos++;
    words.push({ text: text.slice(start, pos), span: { start: args.span.start + start, end: args.span.start + pos } });
  }
  return words;
}

export interface QuotedWord extends TextPiece {
  /** A quote was left open at the end of the text. */
  unterminatedQuote?: '"' | "'";
}

/**
 * BuildKit's parseWords (ARG, ENV, LABEL): splits at unquoted white space, keeping quotes and
 * escapes in the words (they are removed when the word is expanded).
 */
export function parseWords(args: TextPiece, escape: EscapeChar): QuotedWord[] {
  const words: QuotedWord[] = [];
  const text = args.text;
  const base = args.span.start;
  const esc = escape.charCodeAt(0);
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) break;
    const start = pos;
    let quote = 0;
    // The word is its source text, quotes and escapes included, except an escape ending the text.
    let dropLast = false;
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (quote === 0) {
        if (isSpace(c)) break;
        if (c === 39 || c === 34) quote = c;
      } else if (c === quote) {
        quote = 0;
        pos++;
        continue;
      }
      if (c === esc && quote !== 39) {
        if (pos + 1 === text.length) {
          dropLast = true;
          quote = 0;
          pos++;
          break;
        }
        pos += 2;
        continue;
      }
      pos++;
    }
    const piece: QuotedWord = { text: text.slice(start, dropLast ? pos - 1 : pos), span: { start: base + start, end: base + pos } };
    if (quote !== 0) piece.unterminatedQuote = quote === 34 ? '"' : "'";
    words.push(piece);
  }
  return words;
}

export interface NameValue {
  /** The whole `name=value` word (or, in the legacy form, the whole argument text). */
  word: TextPiece;
  name: TextPiece;
  /** Absent for `ARG name` without a default. */
  value?: TextPiece;
  separator: '=' | ' ' | '';
}

/** Splits a `name=value` word at its first `=`. */
export function splitNameValue(word: TextPiece): NameValue {
  const eq = word.text.indexOf('=');
  if (eq === -1) return { word, name: word, separator: '' };
  const s = word.span.start;
  return {
    word,
    name: { text: word.text.slice(0, eq), span: { start: s, end: s + eq } },
    value: { text: word.text.slice(eq + 1), span: { start: s + eq + 1, end: word.span.end } },
    separator: '=',
  };
}

export type NameValueResult =
  | { kind: 'pairs'; pairs: NameValue[]; words: QuotedWord[] }
  | { kind: 'error'; message: string; span: Span; words: QuotedWord[] };

/**
 * BuildKit's parseNameVal (ENV, LABEL): `name=value ...`, or the legacy `name value` form when the
 * first word has no `=` (then the value is the rest of the line, verbatim).
 */
export function parseNameValues(args: TextPiece, keyword: string, escape: EscapeChar): NameValueResult {
  const words = parseWords(args, escape);
  if (words.length === 0) return { kind: 'pairs', pairs: [], words };
  if (!words[0].text.includes('=')) {
    const name = splitWhitespace(args)[0];
    let valueStart = name.span.end - args.span.start;
    while (valueStart < args.text.length && isSeparator(args.text.charCodeAt(valueStart))) valueStart++;
    if (valueStart >= args.text.length) {
      return { kind: 'error', message: `${keyword} must have two arguments`, span: args.span, words };
    }
    const value = { text: args.text.slice(valueStart), span: { start: args.span.start + valueStart, end: args.span.end } };
    return { kind: 'pairs', pairs: [{ word: args, name, value, separator: ' ' }], words };
  }
  const pairs: NameValue[] = [];
  for (const word of words) {
    if (!word.text.includes('=')) {
      return {
        kind: 'error',
        message: `Syntax error - can't find = in ${JSON.stringify(word.text)}. Must be of the form: name=value`,
        span: word.span,
        words,
      };
    }
    pairs.push(splitNameValue(word));
  }
  return { kind: 'pairs', pairs, words };
}

export interface HeredocStart {
  name: string;
  chomp: boolean;
  /** False when any part of the delimiter was quoted: the body is then taken literally. */
  expand: boolean;
  fileDescriptor: number;
  span: Span;
}

const HEREDOC = /^(\d*)<<(-?)\s*([^<]*)$/;

/**
 * Heredocs announced on a RUN/COPY/ADD line (BuildKit's heredocsFromLine): each shell word that reads
 * `[fd]<<[-]delimiter`. Like BuildKit, a line whose quotes do not balance announces none.
 */
export function heredocsInLine(line: string): HeredocStart[] {
  const words = shellWords(line, true);
  if (!words) return [];
  const heredocs: HeredocStart[] = [];
  for (const word of words) {
    const match = HEREDOC.exec(word.text);
    if (!match || match[3].length === 0) continue;
    const unquoted = shellWords(match[3], false);
    if (!unquoted || unquoted.length !== 1) continue;
    const raw = shellWords(match[3], true);
    if (!raw || raw.length !== 1) continue;
    const name = unquoted[0].text;
    if (name.length === 0) continue;
    heredocs.push({
      name,
      chomp: match[2] === '-',
      expand: countQuotes(name) === countQuotes(raw[0].text),
      fileDescriptor: match[1] ? Number(match[1]) : 0,
      span: word.span,
    });
  }
  return heredocs;
}

/**
 * The heredocs a logical line announces. Only RUN, COPY and ADD take them, and not in exec form
 * (BuildKit's canContainHeredoc); the lexer and the AST builder both ask here, so they agree.
 */
export function announcedHeredocs(line: string, split: SplitCommand): HeredocStart[] {
  const keyword = split.command.text.toUpperCase();
  if (!isKeyword(keyword) || !INSTRUCTIONS[keyword].heredocs || !split.args.text.includes('<<')) return [];
  if (parseJsonArray(split.args).kind === 'array') return [];
  const heredocs = heredocsInLine(line);
  // BuildKit reads heredoc words from the untrimmed line, so an escaped trailing blank (`<<EOF\` then
  // a CR before another continuation) is part of the name; the arguments, and so the instruction,
  // end before it. The marker's span stops where the arguments do; the name stays BuildKit's.
  const argsEnd = split.args.span.end;
  for (const heredoc of heredocs) {
    if (heredoc.span.end > argsEnd) heredoc.span = { start: heredoc.span.start, end: argsEnd };
  }
  return heredocs;
}

function countQuotes(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '"' || ch === "'") n++;
  return n;
}

/**
 * Shell word splitting as BuildKit's lexer does it for heredoc detection (backslash escapes,
 * variables left as written); `rawQuotes` keeps quotes and escapes in the words. A `<<` (with an
 * optional `-`) swallows the blanks after it, so `<< EOF` is one word. Unbalanced quotes: null.
 */
function shellWords(text: string, rawQuotes: boolean): TextPiece[] | null {
  const words: TextPiece[] = [];
  let pos = 0;
  while (pos < text.length) {
    while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) break;
    const start = pos;
    let word = '';
    let quoted = false;
    while (pos < text.length && !isSpace(text.charCodeAt(pos))) {
      const ch = text[pos];
      if (ch === "'" || ch === '"') {
        const close = ch === "'" ? text.indexOf("'", pos + 1) : closingDoubleQuote(text, pos + 1);
        if (close === -1) return null;
        const inner = text.slice(pos + 1, close);
        word += rawQuotes ? text.slice(pos, close + 1) : ch === '"' ? unescapeDoubleQuoted(inner) : inner;
        quoted = true;
        pos = close + 1;
      } else if (ch === '\\') {
        if (pos + 1 < text.length) word += rawQuotes ? text.slice(pos, pos + 2) : text[pos + 1];
        pos = Math.min(pos + 2, text.length);
      } else if (ch === '<' && text[pos + 1] === '<') {
        word += '<<';
        pos += 2;
        if (text[pos] === '-') {
          word += '-';
          pos++;
        }
        while (pos < text.length && isSpace(text.charCodeAt(pos))) word += text[pos++];
      } else {
        word += ch;
        pos++;
      }
    }
    if (word.length > 0 || quoted) words.push({ text: word, span: { start, end: pos } });
  }
  return words;
}

function closingDoubleQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function unescapeDoubleQuoted(inner: string): string {
  return inner.replace(/\\([\\"$])/g, '$1');
}
