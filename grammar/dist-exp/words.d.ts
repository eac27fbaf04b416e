/**
 * BuildKit's line parsers, applied to an instruction's logical line (continuations removed):
 * command/flag splitting, JSON exec form, whitespace and quote-aware word splitting, name=value
 * pairs and heredoc detection. Every piece carries its span in the logical text so the AST builder
 * can map it back to the source.
 */
import type { EscapeChar, Span } from './directives.js';
export interface TextPiece {
    text: string;
    span: Span;
}
/**
 * A logical line: the source between two offsets with continuation spans cut out, and the map from
 * its offsets back to source offsets.
 */
export declare class LogicalText {
    private readonly start;
    readonly text: string;
    /** Logical and source start of each uncut segment (none when nothing was cut, the usual case). */
    private readonly logicalStarts;
    private readonly sourceStarts;
    constructor(source: string, start: number, end: number, cuts: readonly Span[]);
    /** Source offset of the character at logical offset `i`. */
    sourceOffset(i: number): number;
    /** Source offset just past the character before logical offset `i` (for range ends). */
    sourceEnd(i: number): number;
    private segmentOf;
}
/** Joins the source between `start` and `end`, leaving out `cuts` (sorted, non-overlapping). */
export declare function joinSpans(source: string, start: number, end: number, cuts: readonly Span[]): LogicalText;
/** Go's `reWhitespace`: the separators of whitespace-delimited arguments. */
export declare function isSeparator(code: number): boolean;
/** Go's `unicode.IsSpace` (used by TrimSpace and parseWords). */
export declare function isSpace(code: number): boolean;
export interface SplitCommand {
    command: TextPiece;
    flags: TextPiece[];
    /** Flag values as BuildKit reads them (quotes and escapes removed). */
    flagValues: string[];
    /** The rest of the line after the command and flags, trimmed. */
    args: TextPiece;
}
/** BuildKit's splitCommand: the command word, leading `--flags` and the trimmed rest. */
export declare function splitCommand(line: string, escape: EscapeChar): SplitCommand;
export type JsonArrayResult = {
    kind: 'array';
    elements: TextPiece[];
} | {
    kind: 'not-strings';
    message: string;
} | {
    kind: 'not-json';
    looksLikeJson: boolean;
    message?: string;
};
export declare const NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only";
/**
 * BuildKit's parseJSON: a JSON array of strings is exec form; a valid array with other values is an
 * error; anything else is shell form. `looksLikeJson` flags text that was probably meant as JSON.
 */
export declare function parseJsonArray(args: TextPiece): JsonArrayResult;
/** BuildKit's parseStringsWhitespaceDelimited (FROM, COPY/ADD shell form). */
export declare function splitWhitespace(args: TextPiece): TextPiece[];
export interface QuotedWord extends TextPiece {
    /** A quote was left open at the end of the text. */
    unterminatedQuote?: '"' | "'";
}
/**
 * BuildKit's parseWords (ARG, ENV, LABEL): splits at unquoted white space, keeping quotes and
 * escapes in the words (they are removed when the word is expanded).
 */
export declare function parseWords(args: TextPiece, escape: EscapeChar): QuotedWord[];
export interface NameValue {
    /** The whole `name=value` word (or, in the legacy form, the whole argument text). */
    word: TextPiece;
    name: TextPiece;
    /** Absent for `ARG name` without a default. */
    value?: TextPiece;
    separator: '=' | ' ' | '';
}
/** Splits a `name=value` word at its first `=`. */
export declare function splitNameValue(word: TextPiece): NameValue;
export type NameValueResult = {
    kind: 'pairs';
    pairs: NameValue[];
    words: QuotedWord[];
} | {
    kind: 'error';
    message: string;
    span: Span;
    words: QuotedWord[];
};
/**
 * BuildKit's parseNameVal (ENV, LABEL): `name=value ...`, or the legacy `name value` form when the
 * first word has no `=` (then the value is the rest of the line, verbatim).
 */
export declare function parseNameValues(args: TextPiece, keyword: string, escape: EscapeChar): NameValueResult;
export interface HeredocStart {
    name: string;
    chomp: boolean;
    /** False when any part of the delimiter was quoted: the body is then taken literally. */
    expand: boolean;
    fileDescriptor: number;
    span: Span;
}
/**
 * Heredocs announced on a RUN/COPY/ADD line (BuildKit's heredocsFromLine): each shell word that reads
 * `[fd]<<[-]delimiter`. Like BuildKit, a line whose quotes do not balance announces none.
 */
export declare function heredocsInLine(line: string, _escape?: EscapeChar): {
    heredocs: HeredocStart[];
};
//# sourceMappingURL=words.d.ts.map