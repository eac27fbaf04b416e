/**
 * Splits a word into literal text and variable references (`$V`, `${V}`, `${V:-word}` ...), with
 * BuildKit's shell-lexer rules: single quotes are literal, double quotes allow `$`, the escape
 * character protects the next character, and the same syntax errors BuildKit reports.
 * In `shell` mode (RUN/CMD text, which the shell expands, not BuildKit) references are recorded with
 * POSIX sh's escape character and only an unclosed `${` is an error: sh accepts forms BuildKit does not.
 */
import type { EscapeChar, Span } from './directives.js';

/** `L` is the location type: offsets in a logical line while scanning, source ranges in the AST. */
export interface LiteralPart<L = Span> {
  kind: 'literal';
  /** Source text, quotes and escapes included. */
  text: string;
  /** The text with quotes and escapes removed. */
  value: string;
  range: L;
}

export type VariableModifier = ':-' | '-' | ':+' | '+' | ':?' | '?' | '#' | '##' | '%' | '%%' | '/' | '//';

export interface VariablePart<L = Span> {
  kind: 'variable';
  name: string;
  braced: boolean;
  /** Inside double quotes: the value is not split into words. */
  quoted: boolean;
  modifier?: VariableModifier;
  /** The word after the modifier (for `/` and `//`, the pattern). */
  operand?: WordPart<L>[];
  /** For `/` and `//`: the replacement. */
  replacement?: WordPart<L>[];
  range: L;
  nameRange: L;
}

export type WordPart<L = Span> = LiteralPart<L> | VariablePart<L>;

export interface WordProblem {
  message: string;
  span: Span;
  kind: 'substitution' | 'quote';
}

export interface ScannedWord {
  parts: WordPart[];
  problems: WordProblem[];
}

export type ScanMode = 'expand' | 'shell';

const SPECIAL_PARAMS = '@*#?-$!0';

/** How deep `${V:-${W:-...}}` may nest (BuildKit has no limit; its scanner, like this one, recurses). */
export const MAX_SUBSTITUTION_DEPTH = 64;
const NAME_CHAR = /[\p{L}\p{Nd}_]/u;
const LETTER_OR_DIGIT = /[\p{L}\p{Nd}]/u;

class WordScanner {
  pos = 0;
  readonly problems: WordProblem[] = [];

  constructor(
    private readonly text: string,
    private readonly base: number,
    private readonly escape: string,
    private readonly mode: ScanMode,
    /** How many `${...}` operands enclose this scanner's text. */
    private readonly depth = 0,
  ) {}

  /** Parts up to `stop` (not consumed) or the end. `stopped` tells whether `stop` was found. */
  scan(stop: string | undefined, quoted: boolean): { parts: WordPart[]; stopped: boolean } {
    const parts: WordPart[] = [];
    let litStart = -1;
    let litValue = '';
    const flush = (end: number) => {
      if (litStart !== -1) {
        parts.push({ kind: 'literal', text: this.text.slice(litStart, end), value: litValue, range: this.span(litStart, end) });
        litStart = -1;
        litValue = '';
      }
    };
    const literal = (from: number, value: string) => {
      if (litStart === -1) litStart = from;
      litValue += value;
    };
    const text = this.text;
    while (this.pos < text.length) {
      const ch = text[this.pos];
      const at = this.pos;
      if (stop !== undefined && ch === stop) {
        flush(at);
        return { parts, stopped: true };
      }
      if (ch === '$') {
        const variable = this.dollar(quoted);
        if (variable) {
          flush(at);
          parts.push(variable);
        } else {
          literal(at, '$');
        }
      } else if (ch === this.escape) {
        this.pos++;
        if (this.pos < text.length) {
          literal(at, text[this.pos]);
          this.pos++;
        } else {
          literal(at, '');
        }
      } else if (ch === "'" && !quoted) {
        const close = text.indexOf("'", at + 1);
        if (close === -1) {
          this.problem('quote', 'unexpected end of statement while looking for matching single-quote', at, text.length);
          literal(at, text.slice(at + 1));
          this.pos = text.length;
        } else {
          literal(at, text.slice(at + 1, close));
          this.pos = close + 1;
        }
      } else if (ch === '"' && !quoted) {
        this.pos++;
        literal(at, '');
        flush(this.pos);
        const inner = this.doubleQuoted();
        for (const part of inner) parts.push(part);
        // the closing quote (if any) joins the next literal
        if (text[this.pos] === '"') {
          literal(this.pos, '');
          this.pos++;
        } else {
          this.problem('quote', 'unexpected end of statement while looking for matching double-quote', at, text.length);
        }
      } else {
        // A run of ordinary characters is added in one piece.
        let end = at + 1;
        while (end < text.length && !this.isSpecial(text[end], stop, quoted)) end++;
        literal(at, text.slice(at, end));
        this.pos = end;
      }
    }
    flush(text.length);
    return { parts, stopped: false };
  }

  private isSpecial(ch: string, stop: string | undefined, quoted: boolean): boolean {
    return ch === '$' || ch === this.escape || ch === stop || (!quoted && (ch === "'" || ch === '"'));
  }

  /** The inside of "...": `$` expands, the escape protects only `"`, `$` and itself. */
  private doubleQuoted(): WordPart[] {
    const parts: WordPart[] = [];
    const text = this.text;
    let litStart = -1;
    let litValue = '';
    const flush = (end: number) => {
      if (litStart !== -1) {
        parts.push({ kind: 'literal', text: text.slice(litStart, end), value: litValue, range: this.span(litStart, end) });
        litStart = -1;
        litValue = '';
      }
    };
    while (this.pos < text.length && text[this.pos] !== '"') {
      const at = this.pos;
      const ch = text[at];
      if (ch === '$') {
        const variable = this.dollar(true);
        if (variable) {
          flush(at);
          parts.push(variable);
          continue;
        }
        if (litStart === -1) litStart = at;
        litValue += '$';
        continue;
      }
      if (litStart === -1) litStart = at;
      if (ch === this.escape && at + 1 < text.length && (text[at + 1] === '"' || text[at + 1] === '$' || text[at + 1] === this.escape)) {
        litValue += text[at + 1];
        this.pos += 2;
      } else {
        let end = at + 1;
        while (end < text.length && text[end] !== '"' && text[end] !== '$' && text[end] !== this.escape) end++;
        litValue += text.slice(at, end);
        this.pos = end;
      }
    }
    flush(this.pos);
    return parts;
  }

  /** At a `$`: a variable reference, or undefined when the `$` is literal. Advances past it. */
  private dollar(quoted: boolean): VariablePart | undefined {
    const text = this.text;
    const start = this.pos;
    this.pos++;
    if (text[this.pos] !== '{') {
      const nameStart = this.pos;
      const name = this.name();
      if (name === '') return undefined;
      return { kind: 'variable', name, braced: false, quoted, range: this.span(start, this.pos), nameRange: this.span(nameStart, this.pos) };
    }
    this.pos++;
    const next = text[this.pos];
    if (next === undefined) return this.fail('syntax error: missing \'}\'', start, quoted);
    if (this.mode === 'expand' && (next === '{' || next === '}' || next === ':')) {
      this.pos++;
      return this.fail('syntax error: bad substitution', start, quoted);
    }
    if (this.mode === 'expand' && this.depth >= MAX_SUBSTITUTION_DEPTH) return this.tooDeep(start, quoted);
    if (this.mode === 'shell' && next === '#' && NAME_CHAR.test(text[this.pos + 1] ?? '')) this.pos++; // ${#V}: length of V
    const nameStart = this.pos;
    const name = this.name();
    const variable: VariablePart = {
      kind: 'variable',
      name,
      braced: true,
      quoted,
      range: this.span(start, start),
      nameRange: this.span(nameStart, this.pos),
    };
    if (this.mode === 'shell') return this.shellBraced(variable, start);
    const ch = text[this.pos];
    if (ch === undefined) return this.fail('syntax error: missing \'}\'', start, quoted, variable);
    this.pos++;
    if (ch === '}') return this.finish(variable, start);
    let modifier = ch;
    if (ch === ':') {
      const second = text[this.pos] ?? '';
      if (second !== '') this.pos++;
      modifier = ':' + second;
      if (second === '#' || second === '%' || !'+-?'.includes(second) || second === '') {
        this.operand(variable);
        return this.fail(`unsupported modifier (${modifier}) in substitution`, start, quoted, variable);
      }
    } else if (ch === '#' || ch === '%') {
      if (text[this.pos] === ch) {
        modifier = ch + ch;
        this.pos++;
      }
    } else if (ch === '/') {
      if (text[this.pos] === '/') {
        modifier = '//';
        this.pos++;
      }
      variable.modifier = modifier as VariableModifier;
      const pattern = new WordScanner(text, this.base, this.escape, this.mode, this.depth + 1);
      pattern.pos = this.pos;
      const p = pattern.scan('/', quoted);
      for (const problem of pattern.problems) this.problems.push(problem);
      variable.operand = p.parts;
      this.pos = pattern.pos;
      if (!p.stopped) return this.fail("syntax error: missing '/' in ${}", start, quoted, variable);
      this.pos++;
      return this.operand(variable, 'replacement') ? this.finish(variable, start) : this.fail("syntax error: missing '}'", start, quoted, variable);
    } else if (!'+-?'.includes(ch)) {
      this.pos--;
      this.operand(variable);
      return this.fail(`unsupported modifier (${ch}) in substitution`, start, quoted, variable);
    }
    variable.modifier = modifier as VariableModifier;
    return this.operand(variable) ? this.finish(variable, start) : this.fail("syntax error: missing '}'", start, quoted, variable);
  }

  /** In RUN/CMD text: any `${...}` sh may accept; only a missing `}` is reported. */
  private shellBraced(variable: VariablePart, start: number): VariablePart {
    const text = this.text;
    const ch = text[this.pos];
    if (ch === '}') {
      this.pos++;
      return this.finish(variable, start);
    }
    const m = /^(:?[-+?=]|##?|%%?|\/\/?)/.exec(text.slice(this.pos, this.pos + 2));
    if (m && ['-', '+', '?', ':-', ':+', ':?', '#', '##', '%', '%%', '/', '//'].includes(m[1])) variable.modifier = m[1] as VariableModifier;
    let depth = 1;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === '\\') this.pos++;
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
      this.pos++;
    }
    if (this.pos >= text.length) {
      this.pos = text.length;
      return this.fail("syntax error: missing '}'", start, variable.quoted, variable);
    }
    this.pos++;
    return this.finish(variable, start);
  }

  /** Reads the word after a modifier up to `}`. False when the text ends first. */
  private operand(variable: VariablePart, field: 'operand' | 'replacement' = 'operand'): boolean {
    const inner = new WordScanner(this.text, this.base, this.escape, this.mode, this.depth + 1);
    inner.pos = this.pos;
    const result = inner.scan('}', variable.quoted);
    for (const problem of inner.problems) this.problems.push(problem);
    variable[field] = result.parts;
    this.pos = inner.pos;
    if (result.stopped) this.pos++;
    return result.stopped;
  }

  private finish(variable: VariablePart, start: number): VariablePart {
    variable.range = this.span(start, this.pos);
    return variable;
  }

  /** A `${` nested too deep: skipped up to its matching `}` (by counting braces) and reported. */
  private tooDeep(start: number, quoted: boolean): VariablePart {
    const text = this.text;
    let open = 1;
    while (this.pos < text.length) {
      const c = text[this.pos];
      if (c === this.escape) this.pos++;
      else if (c === '{') open++;
      else if (c === '}' && --open === 0) break;
      this.pos++;
    }
    this.pos = Math.min(this.pos + 1, text.length);
    return this.fail(`syntax error: more than ${MAX_SUBSTITUTION_DEPTH} nested \${...} (not expanded)`, start, quoted);
  }

  private fail(message: string, start: number, quoted: boolean, variable?: VariablePart): VariablePart {
    this.problem('substitution', message, start, this.pos);
    const v = variable ?? { kind: 'variable' as const, name: '', braced: true, quoted, range: this.span(start, start), nameRange: this.span(this.pos, this.pos) };
    v.range = this.span(start, this.pos);
    return v;
  }

  /** BuildKit's processName: digits-only if it starts with a digit, one special character, or a name. */
  private name(): string {
    const text = this.text;
    const start = this.pos;
    const first = text[start];
    if (first === undefined) return '';
    if (/\d/.test(first)) {
      while (this.pos < text.length && /\d/.test(text[this.pos])) this.pos++;
      return text.slice(start, this.pos);
    }
    if (SPECIAL_PARAMS.includes(first)) {
      this.pos++;
      return first;
    }
    while (this.pos < text.length && (LETTER_OR_DIGIT.test(text[this.pos]) || text[this.pos] === '_')) this.pos++;
    return text.slice(start, this.pos);
  }

  private problem(kind: WordProblem['kind'], message: string, start: number, end: number): void {
    this.problems.push({ kind, message, span: this.span(start, end) });
  }

  private span(start: number, end: number): Span {
    return { start: this.base + start, end: this.base + end };
  }
}

/**
 * Parts of `text`, whose first character is at offset `base` of the logical line. `escape` is the
 * Kubefile's escape character in `expand` mode; `shell` mode always uses sh's backslash.
 */
export function scanWord(text: string, base: number, escape: EscapeChar, mode: ScanMode = 'expand'): ScannedWord {
  const scanner = new WordScanner(text, base, mode === 'shell' ? '\\' : escape, mode);
  const { parts } = scanner.scan(undefined, false);
  return { parts, problems: mode === 'shell' ? scanner.problems.filter((p) => p.kind === 'substitution') : scanner.problems };
}

/** Every variable reference in `parts`, nested operands included, in source order. */
export function variablesOf<L>(parts: readonly WordPart<L>[]): VariablePart<L>[] {
  const out: VariablePart<L>[] = [];
  const visit = (list: readonly WordPart<L>[] | undefined) => {
    for (const part of list ?? []) {
      if (part.kind !== 'variable') continue;
      out.push(part);
      visit(part.operand);
      visit(part.replacement);
    }
  };
  visit(parts);
  return out;
}
