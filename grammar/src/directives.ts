/**
 * Parser directives (`# escape=`, `# syntax=`, `# check=`), read before lexing because the escape
 * directive decides how the rest of the file is lexed. Rules follow BuildKit: directives are only
 * recognised on the leading lines of the file; the first line that is not a known directive
 * (a blank line, another comment, an instruction, an unknown directive name) ends them.
 */
export type EscapeChar = '\\' | '`';

export interface Span {
  start: number;
  end: number;
}

export interface ScannedDirective {
  /** Lower-cased directive name. */
  name: string;
  /** The name as written. */
  nameText: string;
  value: string;
  span: Span;
  nameSpan: Span;
  valueSpan: Span;
}

export interface DirectiveProblem {
  kind: 'duplicate-directive' | 'invalid-escape';
  message: string;
  span: Span;
}

export interface DirectiveScan {
  directives: ScannedDirective[];
  escape: EscapeChar;
  problems: DirectiveProblem[];
}

export const KNOWN_DIRECTIVES: readonly string[] = ['syntax', 'escape', 'check'];

const DIRECTIVE = /^#[ \t\v\f\r]*([a-zA-Z][a-zA-Z0-9]*)[ \t\v\f\r]*=[ \t\v\f\r]*(.+?)[ \t\v\f\r]*$/;

export function scanDirectives(text: string): DirectiveScan {
  const directives: ScannedDirective[] = [];
  const problems: DirectiveProblem[] = [];
  let escape: EscapeChar = '\\';
  let lineStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    let contentEnd = lineEnd;
    if (contentEnd > lineStart && text.charCodeAt(contentEnd - 1) === 13) contentEnd--;
    let start = lineStart;
    while (start < contentEnd && isBlank(text.charCodeAt(start))) start++;
    const line = text.slice(start, contentEnd);
    const match = DIRECTIVE.exec(line);
    if (!match) break;
    const name = match[1].toLowerCase();
    if (!KNOWN_DIRECTIVES.includes(name)) break;
    const nameStart = start + line.indexOf(match[1]);
    const valueStart = start + line.indexOf(match[2], nameStart - start + match[1].length);
    const directive: ScannedDirective = {
      name,
      nameText: match[1],
      value: match[2],
      span: { start, end: contentEnd },
      nameSpan: { start: nameStart, end: nameStart + match[1].length },
      valueSpan: { start: valueStart, end: valueStart + match[2].length },
    };
    if (directives.some((d) => d.name === name)) {
      problems.push({
        kind: 'duplicate-directive',
        message: `only one ${name} parser directive can be used`,
        span: directive.span,
      });
    } else if (name === 'escape' && match[2] !== '\\' && match[2] !== '`') {
      problems.push({
        kind: 'invalid-escape',
        message: `invalid escape token '${match[2]}' does not match \` or \\`,
        span: directive.valueSpan,
      });
      directives.push(directive);
    } else {
      if (name === 'escape') escape = match[2] as EscapeChar;
      directives.push(directive);
    }
    lineStart = lineEnd + 1;
  }
  return { directives, escape, problems };
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12 || code === 13;
}
