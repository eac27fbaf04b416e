/**
 * The ranges the parser creates: two offsets, with line and column worked out when asked.
 * A large file has hundreds of thousands of ranges; keeping them to one small object each is
 * what keeps parsing fast (position objects would be most of the AST's memory).
 */
export class SourceRange {
    startOffset;
    endOffset;
    #lines;
    constructor(lines, startOffset, endOffset) {
        this.startOffset = startOffset;
        this.endOffset = endOffset;
        this.#lines = lines;
    }
    get start() {
        return this.#lines.position(this.startOffset);
    }
    get end() {
        return this.#lines.position(this.endOffset);
    }
    toJSON() {
        return { start: this.start, end: this.end };
    }
}
/**
 * Maps offsets to line/column. Only `\n` ends a line, as in BuildKit's line scanner
 * (a `\r` before it belongs to the line's end, a lone `\r` is ordinary whitespace).
 */
export class LineMap {
    text;
    /** Offset at which each line starts. */
    lineStarts;
    constructor(text) {
        this.text = text;
        const starts = [0];
        let i = text.indexOf('\n');
        while (i !== -1) {
            starts.push(i + 1);
            i = text.indexOf('\n', i + 1);
        }
        this.lineStarts = starts;
    }
    get lineCount() {
        return this.lineStarts.length;
    }
    /** The line of the last lookup: consumers mostly ask in source order. */
    lastLine = 0;
    position(offset) {
        const starts = this.lineStarts;
        let line = this.lastLine;
        if (starts[line] <= offset && (line + 1 >= starts.length || offset < starts[line + 1])) {
            return { offset, line, column: offset - starts[line] };
        }
        line++;
        if (line < starts.length && starts[line] <= offset && (line + 1 >= starts.length || offset < starts[line + 1])) {
            this.lastLine = line;
            return { offset, line, column: offset - starts[line] };
        }
        let lo = 0;
        let hi = starts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (starts[mid] <= offset)
                lo = mid;
            else
                hi = mid - 1;
        }
        this.lastLine = lo;
        return { offset, line: lo, column: offset - starts[lo] };
    }
    range(start, end) {
        return new SourceRange(this, start, end);
    }
    /** Offset of a line/column pair (clamped to the text). */
    offsetAt(line, column) {
        if (line < 0)
            return 0;
        if (line >= this.lineStarts.length)
            return this.text.length;
        return Math.min(this.lineStarts[line] + Math.max(0, column), this.text.length);
    }
    /** Offset just past the last character of `line`, before its `\r\n` or `\n`. */
    lineEnd(line) {
        const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
        return next > this.lineStarts[line] && this.text.charCodeAt(next - 1) === 13 && next < this.text.length ? next - 1 : next;
    }
}
//# sourceMappingURL=positions.js.map