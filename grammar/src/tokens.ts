/**
 * Tokens and the lexer. Kubefile lexing is line oriented, as in BuildKit:
 *
 *  - at the start of a line ("start" modes): blank lines, full-line comments, heredoc bodies and the
 *    instruction name;
 *  - after the instruction name ("line" modes): the argument text up to the end of the logical line,
 *    split only by line continuations.
 *
 * Like BuildKit, arguments are parsed per instruction once the logical line is assembled (words.ts
 * holds BuildKit's line parsers), so the lexer does not split them into words: `fi\⏎le` is one word
 * `file` only after the continuation is cut out. The escape character (`\` or a backtick, chosen by
 * the `# escape=` directive) decides where continuations are, so every mode exists once per escape
 * character; `lex()` picks the pair.
 */
import { createToken, Lexer, type CustomPatternMatcherReturn, type ILexerConfig, type IMultiModeLexerDefinition, type IToken, type TokenType } from 'chevrotain';
import type { EscapeChar, Span } from './directives.js';
import { announcedHeredocs, LogicalText, splitCommand, type HeredocStart } from './words.js';

// Categories the parser consumes; each has one concrete token per escape character.
export const Newline = createToken({ name: 'Newline', pattern: Lexer.NA });
export const InstructionName = createToken({ name: 'InstructionName', pattern: Lexer.NA });
export const Arguments = createToken({ name: 'Arguments', pattern: Lexer.NA });
export const Continuation = createToken({ name: 'Continuation', pattern: Lexer.NA });

/** A newline that ends a blank line, a comment or a heredoc body. */
export const LineBreak = createToken({
  name: 'LineBreak',
  pattern: /\r?\n/,
  line_breaks: true,
  categories: [Newline],
});
/** The newline that ends an instruction's logical line (returns to the line-start mode). */
export const InstructionEnd = createToken({
  name: 'InstructionEnd',
  pattern: /\r?\n/,
  line_breaks: true,
  categories: [Newline],
  pop_mode: true,
});
export const Whitespace = createToken({ name: 'Whitespace', pattern: /[ \t\v\f\r]+/, group: Lexer.SKIPPED });
/** BuildKit trims a line's leading white space with unicode.IsSpace (no-break space, U+3000 ...). */
const UNICODE_BLANKS = '\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
export const LeadingWhitespace = createToken({
  name: 'LeadingWhitespace',
  pattern: new RegExp(`[ \\t\\v\\f\\r${UNICODE_BLANKS}]+`),
  group: Lexer.SKIPPED,
});
/**
 * `#` up to the end of the line (a `\r` only when not before `\n`). Token patterns are loops, not
 * regular expressions with repeated groups: V8 backtracks such a group once per iteration and a long
 * line (megabytes) overflows its stack.
 */
export const Comment = createToken({
  name: 'Comment',
  pattern: { exec: (text: string, offset: number) => (text.charCodeAt(offset) === 35 ? match(text, offset, lineTextEnd(text, offset + 1)) : null) },
  start_chars_hint: ['#'],
});

/** The end of a line's text from `i`: the next `\n`, or the `\r` before it. */
function lineTextEnd(text: string, i: number): number {
  const nl = text.indexOf('\n', i);
  const end = nl === -1 ? text.length : nl;
  return end > i && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
}

function match(text: string, start: number, end: number): CustomPatternMatcherReturn | null {
  return end > start ? ([text.slice(start, end)] as CustomPatternMatcherReturn) : null;
}

const BLANK_CODES = new Set([0x20, 0x09, 0x0b, 0x0c, 0x0d, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);

function isUnicodeBlank(code: number): boolean {
  return BLANK_CODES.has(code) || (code >= 0x2000 && code <= 0x200a);
}
export const ByteOrderMark = createToken({
  name: 'ByteOrderMark',
  pattern: (text: string, offset: number) => (offset === 0 && text.charCodeAt(0) === 0xfeff ? ['\ufeff'] : null),
  start_chars_hint: ['\ufeff'],
  group: Lexer.SKIPPED,
});

export interface HeredocBodyPayload {
  /** The delimiter, unquoted. */
  name: string;
  /** False when the file ended before the delimiter line. */
  terminated: boolean;
  /** Offset where the terminator line starts (equals the token end when unterminated). */
  terminatorStart: number;
}

/** The lines of a heredoc, from the line after the instruction through the delimiter line. */
export const HeredocBody = createToken({
  name: 'HeredocBody',
  pattern: { exec: matchHeredocBody },
  line_breaks: true,
});

/** Whether an escape at `i` starts a continuation: `[ \t]*\r*` then a newline or the end. */
function endsLine(text: string, i: number): boolean {
  let j = i + 1;
  while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
  while (text.charCodeAt(j) === 13) j++;
  return j >= text.length || text.charCodeAt(j) === 10;
}

/**
 * `escape [ \t]* newline`, then the comment and blank lines BuildKit drops from continuations.
 * Carriage returns before the newline (or the end of the file) do not count: BuildKit trims them.
 * BuildKit also requires the escape not to follow another escape (`([^\\])\\[ \t]*$|^\\[ \t]*$`):
 * instruction names and argument text take runs of escapes whole, so this is never tried after one.
 * A loop (one iteration per dropped line), like `Comment`.
 */
function continuationMatcher(escape: EscapeChar) {
  const e = escape.charCodeAt(0);
  return (text: string, offset: number): CustomPatternMatcherReturn | null => {
    if (text.charCodeAt(offset) !== e || !endsLine(text, offset)) return null;
    let i = text.indexOf('\n', offset);
    i = i === -1 ? text.length : i + 1;
    while (i < text.length) {
      let j = i;
      while (j < text.length && isUnicodeBlank(text.charCodeAt(j))) j++;
      if (text.charCodeAt(j) === 35) {
        const nl = text.indexOf('\n', j);
        j = nl === -1 ? text.length : nl;
      }
      if (j >= text.length) {
        i = j;
        break;
      }
      if (text.charCodeAt(j) !== 10) break;
      i = j + 1;
    }
    return match(text, offset, i);
  };
}

/**
 * The text of a physical line up to its end or a continuation. A run of two or more escapes is taken
 * whole: its last escape follows an escape, so it never starts a continuation. Without `blanks` it
 * stops at white space (an instruction name). A loop, like `Comment`.
 */
function textMatcher(escape: EscapeChar, blanks: boolean) {
  const e = escape.charCodeAt(0);
  return (text: string, offset: number): CustomPatternMatcherReturn | null => {
    let i = offset;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 10) break;
      if (c === 13) {
        if (!blanks || text.charCodeAt(i + 1) === 10) break;
      } else if (c === e) {
        let run = 1;
        while (text.charCodeAt(i + run) === e) run++;
        if (run === 1 && endsLine(text, i)) break;
        i += run;
        continue;
      } else if (!blanks && (c === 32 || c === 9 || c === 11 || c === 12)) {
        break;
      }
      i++;
    }
    return match(text, offset, i);
  };
}

interface EscapeTokens {
  continuation: TokenType;
  instructionName: TokenType;
  arguments: TokenType;
}

function escapeTokens(escape: EscapeChar, suffix: string): EscapeTokens {
  return {
    continuation: createToken({
      name: `Continuation${suffix}`,
      pattern: { exec: continuationMatcher(escape) },
      start_chars_hint: [escape],
      line_breaks: true,
      group: 'continuation',
      categories: [Continuation],
    }),
    instructionName: createToken({
      name: `InstructionName${suffix}`,
      pattern: { exec: textMatcher(escape, false) },
      line_breaks: false,
      categories: [InstructionName],
      push_mode: `line${suffix}`,
    }),
    arguments: createToken({ name: `Arguments${suffix}`, pattern: { exec: textMatcher(escape, true) }, line_breaks: false, categories: [Arguments] }),
  };
}

const backslash = escapeTokens('\\', 'Backslash');
const backtick = escapeTokens('`', 'Backtick');

function startMode(t: EscapeTokens): TokenType[] {
  return [ByteOrderMark, HeredocBody, LineBreak, LeadingWhitespace, t.continuation, Comment, t.instructionName];
}

function lineMode(t: EscapeTokens): TokenType[] {
  return [InstructionEnd, Whitespace, t.continuation, t.arguments];
}

/** Every token type, categories included: the parser's vocabulary. */
export const allTokens: TokenType[] = [
  Newline,
  InstructionName,
  Arguments,
  Continuation,
  LineBreak,
  InstructionEnd,
  Whitespace,
  LeadingWhitespace,
  Comment,
  ByteOrderMark,
  HeredocBody,
  ...Object.values(backslash),
  ...Object.values(backtick),
];

const START_MODE: Record<EscapeChar, string> = { '\\': 'startBackslash', '`': 'startBacktick' };

/** The lexer's modes: a start and a line mode per escape character. */
export const lexerDefinition: IMultiModeLexerDefinition = {
  modes: {
    startBackslash: startMode(backslash),
    lineBackslash: lineMode(backslash),
    startBacktick: startMode(backtick),
    lineBacktick: lineMode(backtick),
  },
  defaultMode: 'startBackslash',
};

/**
 * Chevrotain's checks of the definition and its first-character analysis are skipped when the lexer
 * is built, which every process that parses does (about 15 ms of a `kubefilec lint`): no mode could
 * use that analysis (instruction names and argument text may start with any character; it is off
 * either way), and grammar/test/definition.test.ts runs the checks.
 */
export const lexerConfig: ILexerConfig = { positionTracking: 'onlyOffset', safeMode: true, skipValidations: true };

/** Built on the first lex (the definition's analysis is work a process that never parses need not do). */
let kubefileLexer: Lexer | undefined;

export interface LexResult {
  tokens: IToken[];
  /** Line continuations (escape, newline and the comment/blank lines dropped with them), in order. */
  continuations: IToken[];
  errors: { offset: number; length: number; message: string }[];
}

export function lex(text: string, escape: EscapeChar): LexResult {
  heredocCache.text = undefined;
  kubefileLexer ??= new Lexer(lexerDefinition, lexerConfig);
  const result = kubefileLexer.tokenize(text, START_MODE[escape]);
  return {
    tokens: result.tokens,
    continuations: (result.groups.continuation as IToken[] | undefined) ?? [],
    errors: result.errors.map((e) => ({ offset: e.offset, length: e.length, message: e.message })),
  };
}

// The heredocs announced by the last instruction line, so each body line does not recompute them.
const heredocCache: { text?: string; lineStart?: number; starts?: HeredocStart[] } = {};

/**
 * Matches a heredoc body when the previous logical line was a RUN/COPY/ADD announcing heredocs
 * that have not all been read yet. The tokens since that line tell which heredoc comes next.
 */
function matchHeredocBody(text: string, offset: number, tokens: IToken[], groups: { [g: string]: IToken[] }): CustomPatternMatcherReturn | null {
  let i = tokens.length - 1;
  if (i < 1 || !isNewline(tokens[i])) return null;
  let done = 0;
  while (i >= 2 && tokens[i - 1].tokenType === HeredocBody) {
    done++;
    i -= 2;
  }
  if (tokens[i].tokenType !== InstructionEnd) {
    // A body that ends at end of file has no newline after it; nothing can follow it anyway.
    return null;
  }
  const lineEnd = tokens[i].startOffset;
  let j = i - 1;
  while (j >= 0 && !isInstructionName(tokens[j])) j--;
  if (j < 0) return null;
  const lineStart = tokens[j].startOffset;
  const continuations = continuationsWithin(groups.continuation ?? [], lineStart, lineEnd);
  if (!containsHeredocMarker(text, lineStart, lineEnd, continuations)) return null;
  if (heredocCache.text !== text || heredocCache.lineStart !== lineStart) {
    const escape: EscapeChar = tokens[j].tokenType === backtick.instructionName ? '`' : '\\';
    const logical = new LogicalText(text, lineStart, lineEnd, continuations);
    heredocCache.text = text;
    heredocCache.lineStart = lineStart;
    heredocCache.starts = announcedHeredocs(logical.text, splitCommand(logical.text, escape));
  }
  const starts = heredocCache.starts ?? [];
  if (done >= starts.length || offset >= text.length) return null;
  const { name, chomp } = starts[done];
  let lineFrom = offset;
  for (;;) {
    let nl = text.indexOf('\n', lineFrom);
    const atEnd = nl === -1;
    if (atEnd) nl = text.length;
    const contentEnd = nl > lineFrom && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
    let candidateStart = lineFrom;
    if (chomp) while (candidateStart < contentEnd && text.charCodeAt(candidateStart) === 9) candidateStart++;
    if (contentEnd - candidateStart === name.length && text.startsWith(name, candidateStart)) {
      return bodyMatch(text.slice(offset, contentEnd), { name, terminated: true, terminatorStart: lineFrom });
    }
    if (atEnd) return bodyMatch(text.slice(offset), { name, terminated: false, terminatorStart: text.length });
    lineFrom = nl + 1;
  }
}

/**
 * Whether `<<` occurs between two offsets (without searching past `end`), also split by line
 * continuations (`<\` newline `<`): BuildKit looks for it in the joined line.
 */
function containsHeredocMarker(text: string, start: number, end: number, continuations: readonly Span[]): boolean {
  let c = 0;
  for (let k = start; k < end - 1; k++) {
    if (text.charCodeAt(k) !== 60) continue;
    let next = k + 1;
    while (c < continuations.length && continuations[c].start < next) c++;
    for (let d = c; d < continuations.length && continuations[d].start === next; d++) next = continuations[d].end;
    if (next < end && text.charCodeAt(next) === 60) return true;
  }
  return false;
}

/** The continuations of the line just lexed: the last ones of the (ordered) continuation group. */
function continuationsWithin(continuations: IToken[], start: number, end: number): Span[] {
  const spans: Span[] = [];
  for (let k = continuations.length - 1; k >= 0 && continuations[k].startOffset >= start; k--) {
    const c = continuations[k];
    if (c.startOffset < end) spans.unshift({ start: c.startOffset, end: c.startOffset + c.image.length });
  }
  return spans;
}

function bodyMatch(image: string, payload: HeredocBodyPayload): CustomPatternMatcherReturn | null {
  if (image.length === 0) return null;
  const match = [image] as CustomPatternMatcherReturn;
  match.payload = payload;
  return match;
}

function isNewline(token: IToken): boolean {
  return token.tokenType === LineBreak || token.tokenType === InstructionEnd;
}

function isInstructionName(token: IToken): boolean {
  return token.tokenType === backslash.instructionName || token.tokenType === backtick.instructionName;
}
