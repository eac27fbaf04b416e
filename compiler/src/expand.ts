/**
 * Word expansion as BuildKit's Dockerfile shell lexer does it (`frontend/dockerfile/shell/lex.go`),
 * evaluated over the parts the grammar already scanned: `$V`, `${V}`, `${V:-w}` `${V-w}`, `${V:+w}`
 * `${V+w}`, `${V:?m}` `${V?m}`, `${V#p}` `${V##p}` `${V%p}` `${V%%p}`, `${V/p/r}` `${V//p/r}`.
 *
 * BuildKit's rules, some of which differ from POSIX sh:
 * - Every operand is expanded before the variable is looked at, used or not: `${A:-${B:?x}}`
 *   fails when B is unset even if A is set.
 * - A pattern (`#`, `%`, `/`) is read with its escapes kept ("raw") and quotes removed, then turned
 *   into a regular expression: `*` and `?` are wildcards, `\*` `\?` `\\` are the literal characters,
 *   `\}` `\/` are `}` `/`, any other backslash escape is an error, and `[...]` is not a class but
 *   literal text. Quoting does not make `*` literal (`${V#'*'}` is `${V#*}`), and the values of
 *   variables in a pattern are pattern text (`\*` in a value is a literal star).
 * - The replacement of `/` and `//` keeps its escapes too (`${V//\//\/}` puts a backslash before
 *   each `/`), and for `//` it is a Go regexp template: `$0` (from a value or `\$0`) is the match.
 * - `${V#p}` whose expanded pattern starts with `#` is `${V##...}` (and `%` likewise).
 */
import type { AstVariable, AstWordPart, EscapeChar, Range, Word } from '@kubefile/grammar';

/** The value of a variable; undefined when it is unset. */
export type VariableLookup = (name: string) => string | undefined;

/**
 * The longest value a word expands to (1 MiB of UTF-16 code units): past it the expansion stops,
 * the value is cut there and a 'limit' problem is reported. `ARG B=$A$A` doubling ARGs would
 * otherwise reach gigabytes in thirty lines.
 */
export const MAX_EXPANDED_LENGTH = 1024 * 1024;

export interface ExpansionProblem {
  kind: 'undefined' | 'error' | 'limit';
  /**
   * 'undefined': `V` is referenced plainly ($V, ${V}, ${V#p}, ${V/p/r} ...) and unset. Not reported for
   * ${V:-w} ${V-w} ${V:+w} ${V+w} (the author handled unset), nor for ${V?m}/${V:?m} (those give
   * 'error'). 'error': a ${V?msg}/${V:?msg} failure, with BuildKit's message text, or a bad pattern.
   * 'limit': the value grew past MAX_EXPANDED_LENGTH at this reference (reported once per word).
   */
  message: string;
  name?: string;
  /** The variable's nameRange for 'undefined', the whole ${...} range for 'error'. */
  range: Range;
}

export interface Expansion {
  value: string;
  problems: ExpansionProblem[];
}

/**
 * The names of the variables a text may read: every `$NAME`, `${NAME...}` and `${#NAME}`, with the
 * name characters the word scanner takes (or more names, never fewer). For questions that need no
 * expansion: which instructions a variable reaches, which variables a shell command mentions.
 */
export function variableNamesIn(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/\$\{?#?([\p{L}\p{Nd}_]+)/gu)) names.add(match[1]!);
  return names;
}

/** Expands a word as BuildKit would (one word, one string: no word splitting). */
export function expandWord(word: Word, lookup: VariableLookup, escape: EscapeChar): Expansion {
  if (word.parts) return expandParts(word.parts, lookup, escape);
  // No quotes and no `$`, but the text may still hold escapes (`a\ b`), which BuildKit removes.
  return { value: removeEscapes(word.text, escape), problems: [] };
}

/** Expands scanned word parts (a word's `parts`, or an operand of a reference). */
export function expandParts(parts: readonly AstWordPart[], lookup: VariableLookup, escape: EscapeChar): Expansion {
  const expander = new Expander(lookup, escape);
  const value = expander.cooked(parts);
  const problems = expander.problems.sort((a, b) => a.range.start.offset - b.range.start.offset);
  return { value, problems };
}

function removeEscapes(text: string, escape: EscapeChar): string {
  if (!text.includes(escape)) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === escape) i++;
    if (i < text.length) out += text[i];
  }
  return out;
}

class Expander {
  readonly problems: ExpansionProblem[] = [];
  /** Set once the value passed MAX_EXPANDED_LENGTH: nothing more is expanded. */
  private overflowed = false;

  constructor(
    private readonly lookup: VariableLookup,
    private readonly escape: EscapeChar,
  ) {}

  /** Quotes and escapes removed: the value BuildKit gives a word or a `-`/`+`/`?` operand. */
  cooked(parts: readonly AstWordPart[]): string {
    let out = '';
    for (const part of parts) {
      if (this.overflowed) break;
      // Only references are bounded: literal text is as long as the Kubefile has it.
      out = part.kind === 'literal' ? out + part.value : this.bounded(out + this.variable(part), part);
    }
    return out;
  }

  /** `text`, cut to MAX_EXPANDED_LENGTH with a 'limit' problem at `part` when longer. */
  private bounded(text: string, part: AstVariable): string {
    if (text.length <= MAX_EXPANDED_LENGTH) return text;
    if (!this.overflowed) {
      this.overflowed = true;
      this.problems.push({
        kind: 'limit',
        message: `The expanded value is longer than ${MAX_EXPANDED_LENGTH} characters (1 MiB): it is cut there`,
        name: part.name,
        range: part.range,
      });
    }
    return text.slice(0, MAX_EXPANDED_LENGTH);
  }

  /**
   * Quotes removed but escape characters kept, as BuildKit reads a pattern or a replacement. The
   * literal parts' source text is walked again for that; double quotes may span several parts.
   */
  raw(parts: readonly AstWordPart[]): string {
    const esc = this.escape;
    let out = '';
    let inDouble = false;
    for (const part of parts) {
      if (this.overflowed) break;
      if (part.kind === 'variable') {
        out = this.bounded(out + this.variable(part), part);
        continue;
      }
      const text = part.text;
      for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (inDouble) {
          if (ch === '"') {
            inDouble = false;
          } else if (ch === esc) {
            // Kept, and it protects only `"`, `$` and itself; before anything else it is written twice.
            out += esc;
            const next = text[i + 1];
            if (next === undefined) continue;
            if (next === '"' || next === '$' || next === esc) {
              out += next;
              i++;
            } else {
              out += esc;
            }
          } else {
            out += ch;
          }
        } else if (ch === esc) {
          out += text.slice(i, i + 2);
          i++;
        } else if (ch === "'") {
          const close = text.indexOf("'", i + 1);
          const end = close === -1 ? text.length : close;
          out += text.slice(i + 1, end);
          i = end;
        } else if (ch === '"') {
          inDouble = true;
        } else {
          out += ch;
        }
      }
    }
    return out;
  }

  private get(v: AstVariable): string | undefined {
    return v.name === '' ? undefined : this.lookup(v.name);
  }

  /** The value, reporting an unset variable referenced without a default. */
  private plain(v: AstVariable): string {
    const value = this.get(v);
    if (value === undefined && v.name !== '') {
      this.problems.push({ kind: 'undefined', message: `variable '${v.name}' is not set`, name: v.name, range: v.nameRange });
    }
    return value ?? '';
  }

  private error(v: AstVariable, message: string): string {
    this.problems.push({ kind: 'error', message, name: v.name, range: v.range });
    return '';
  }

  variable(v: AstVariable): string {
    const modifier = v.modifier;
    switch (modifier) {
      case undefined:
        // `$V`, `${V}`, or a reference the parser rejected (its operand, if any, is not evaluated).
        return this.plain(v);
      case '-':
      case ':-':
      case '+':
      case ':+':
      case '?':
      case ':?': {
        const word = this.cooked(v.operand ?? []);
        const value = this.get(v);
        const colon = modifier.length === 2;
        const missing = value === undefined || (colon && value === '');
        switch (modifier[modifier.length - 1]) {
          case '-':
            return missing ? word : (value as string);
          case '+':
            return missing ? '' : word;
          default:
            if (value === undefined) return this.error(v, `${v.name}: ${word || 'is not allowed to be unset'}`);
            if (missing) return this.error(v, `${v.name}: ${word || 'is not allowed to be empty'}`);
            return value;
        }
      }
      case '#':
      case '##':
      case '%':
      case '%%': {
        let pattern = this.raw(v.operand ?? []);
        const value = this.plain(v);
        const ch = modifier[0];
        let greedy = modifier.length === 2;
        if (!greedy && pattern.startsWith(ch)) {
          // BuildKit decides shortest/longest on the expanded pattern text.
          greedy = true;
          pattern = pattern.slice(1);
        }
        const result = ch === '#' ? trimPrefix(pattern, value, greedy) : trimSuffix(pattern, value, greedy);
        return typeof result === 'string' ? result : this.error(v, result.error);
      }
      case '/':
      case '//': {
        const pattern = this.raw(v.operand ?? []);
        // No replacement: the parser found no second `/` and reported it.
        if (v.replacement === undefined) return this.plain(v);
        const replacement = this.raw(v.replacement);
        const value = this.plain(v);
        const re = patternRegExp(pattern, true, false, modifier === '//');
        if (!(re instanceof RegExp)) return this.error(v, `invalid pattern (${pattern}) in substitution: ${re.error}`);
        if (modifier === '//') return replaceAll(re, value, replacement);
        const m = re.exec(value);
        return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
      }
    }
  }
}

interface PatternError {
  error: string;
}

const REGEXP_SYNTAX = /[\^$\\.*+?()[\]{}|/]/;

/**
 * The regular expression of a shell pattern, as BuildKit's convertShellPatternToRegex builds it:
 * `*` is any run (lazy unless `greedy`), `?` any one character, backslash escapes only `*`, `?` and
 * itself (and is dropped before `}` and `/`), everything else is literal. Go's `.` excludes `\n`.
 */
function patternRegExp(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp | PatternError {
  const chars = Array.from(pattern);
  let source = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i];
    if (ch === '*') {
      source += greedy ? '[^\\n]*' : '[^\\n]*?';
    } else if (ch === '?') {
      source += '[^\\n]';
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next === '}' || next === '/') continue;
      i++;
      // Go prints the end of input as U+FFFD.
      if (next !== '*' && next !== '?' && next !== '\\') return { error: `invalid escape '\\${next ?? '\uFFFD'}'` };
      source += '\\' + next;
    } else {
      source += REGEXP_SYNTAX.test(ch) ? '\\' + ch : ch;
    }
  }
  return new RegExp(source, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string | PatternError {
  const re = patternRegExp(pattern, greedy, true);
  if (!(re instanceof RegExp)) return { error: `invalid pattern (${pattern}) in substitution: ${re.error}` };
  const m = re.exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** The shortest or longest suffix is the prefix of the reversed value, matched by the reversed pattern. */
function trimSuffix(pattern: string, value: string, greedy: boolean): string | PatternError {
  const result = trimPrefix(reversePattern(pattern), reverse(value), greedy);
  return typeof result === 'string' ? reverse(result) : result;
}

function reverse(text: string): string {
  return Array.from(text).reverse().join('');
}

/** Reverses a pattern by characters, keeping each backslash before the character it escapes. */
function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const tokens: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    if (chars[i] === '\\' && i !== chars.length - 1) {
      tokens.push(chars[i] + chars[i + 1]);
      i++;
    } else {
      tokens.push(chars[i]);
    }
  }
  return tokens.reverse().join('');
}

/** Go's Regexp.ReplaceAllString: an empty match right after a match is not replaced. */
function replaceAll(re: RegExp, value: string, template: string): string {
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= value.length) {
    // Past the limit the caller cuts the value anyway (`${A//?/$A}` squares A's length).
    if (out.length > MAX_EXPANDED_LENGTH) return out;
    re.lastIndex = searchPos;
    const m = re.exec(value);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    out += value.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expandTemplate(template, m[0]);
    lastMatchEnd = end;
    const width = searchPos < value.length ? (value.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + value.slice(lastMatchEnd);
}

const TEMPLATE_NAME = /^(?:\{([\p{L}\p{Nd}_]+)\}|([\p{L}\p{Nd}_]+))/u;

/**
 * Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0`/`${0}` the match, any other
 * `$name`/`${name}` empty, and a `$` not followed by a name stays.
 */
function expandTemplate(template: string, match: string): string {
  if (!template.includes('$')) return template;
  let out = '';
  let rest = template;
  for (let i = rest.indexOf('$'); i !== -1; i = rest.indexOf('$')) {
    out += rest.slice(0, i);
    rest = rest.slice(i + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const m = TEMPLATE_NAME.exec(rest);
    if (!m) {
      out += '$';
      continue;
    }
    rest = rest.slice(m[0].length);
    if ((m[1] ?? m[2]) === '0') out += match;
  }
  return out + rest;
}
