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
/**
 * Parts of `text`, whose first character is at offset `base` of the logical line. `escape` is the
 * Kubefile's escape character in `expand` mode; `shell` mode always uses sh's backslash.
 */
export declare function scanWord(text: string, base: number, escape: EscapeChar, mode?: ScanMode): ScannedWord;
/** Every variable reference in `parts`, nested operands included, in source order. */
export declare function variablesOf<L>(parts: readonly WordPart<L>[]): VariablePart<L>[];
//# sourceMappingURL=variables.d.ts.map