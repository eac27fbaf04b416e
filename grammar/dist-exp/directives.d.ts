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
export declare const KNOWN_DIRECTIVES: readonly string[];
export declare function scanDirectives(text: string): DirectiveScan;
//# sourceMappingURL=directives.d.ts.map