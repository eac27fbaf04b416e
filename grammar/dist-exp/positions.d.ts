/** Source positions. Lines and columns are 0-based (as in LSP), columns count UTF-16 code units. */
export interface Position {
    offset: number;
    line: number;
    column: number;
}
export interface Range {
    start: Position;
    end: Position;
}
/**
 * The ranges the parser creates: two offsets, with line and column worked out when asked.
 * A large file has hundreds of thousands of ranges; keeping them to one small object each is
 * what keeps parsing fast (position objects would be most of the AST's memory).
 */
export declare class SourceRange implements Range {
    #private;
    readonly startOffset: number;
    readonly endOffset: number;
    constructor(lines: LineMap, startOffset: number, endOffset: number);
    get start(): Position;
    get end(): Position;
    toJSON(): {
        start: Position;
        end: Position;
    };
}
/**
 * Maps offsets to line/column. Only `\n` ends a line, as in BuildKit's line scanner
 * (a `\r` before it belongs to the line's end, a lone `\r` is ordinary whitespace).
 */
export declare class LineMap {
    readonly text: string;
    /** Offset at which each line starts. */
    readonly lineStarts: number[];
    constructor(text: string);
    get lineCount(): number;
    /** The line of the last lookup: consumers mostly ask in source order. */
    private lastLine;
    position(offset: number): Position;
    range(start: number, end: number): SourceRange;
    /** Offset of a line/column pair (clamped to the text). */
    offsetAt(line: number, column: number): number;
    /** Offset just past the last character of `line`, before its `\r\n` or `\n`. */
    lineEnd(line: number): number;
}
//# sourceMappingURL=positions.d.ts.map