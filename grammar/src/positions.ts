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

/** Index of the last element of an ascending array that is <= value (0 when none is). */
export function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid] <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * What a group of ranges is measured against: the line map of the current text and a shift. The
 * parser gives each top-level item (instruction, comment) its own anchor, so an incremental reparse
 * moves every range of an unchanged item by updating one object (`reparse` in parse.ts).
 */
export class RangeAnchor {
  constructor(
    public lines: LineMap,
    /** Added to the offsets of the anchor's ranges. */
    public shift: number,
    /** Where the item starts, before the shift. */
    readonly origin: number,
  ) {}

  get start(): number {
    return this.origin + this.shift;
  }

  range(start: number, end: number): SourceRange {
    return new SourceRange(this, start, end);
  }
}

/**
 * The ranges the parser creates: two offsets, with line and column worked out when asked.
 * A large file has hundreds of thousands of ranges; keeping them to one small object each is
 * what keeps parsing fast (position objects would be most of the AST's memory).
 */
export class SourceRange implements Range {
  // Private (#): deep equality of two ASTs compares offsets, not the line maps behind them.
  readonly #anchor: RangeAnchor;

  constructor(
    anchor: RangeAnchor,
    private readonly from: number,
    private readonly to: number,
  ) {
    this.#anchor = anchor;
  }

  get anchor(): RangeAnchor {
    return this.#anchor;
  }

  get startOffset(): number {
    return this.from + this.#anchor.shift;
  }

  get endOffset(): number {
    return this.to + this.#anchor.shift;
  }

  get start(): Position {
    return this.#anchor.lines.position(this.startOffset);
  }

  get end(): Position {
    return this.#anchor.lines.position(this.endOffset);
  }

  /** From this range's start to the end of `last` (a range of the same item). */
  through(last: SourceRange): SourceRange {
    return new SourceRange(this.#anchor, this.from, last.to + last.#anchor.shift - this.#anchor.shift);
  }

  /** The part from character `from` to `to` of this range (relative to its start), moving with it. */
  slice(from: number, to: number): SourceRange {
    return new SourceRange(this.#anchor, this.from + from, this.from + to);
  }

  toJSON(): { start: Position; end: Position } {
    return { start: this.start, end: this.end };
  }
}

/**
 * Maps offsets to line/column. Only `\n` ends a line, as in BuildKit's line scanner
 * (a `\r` before it belongs to the line's end, a lone `\r` is ordinary whitespace).
 */
export class LineMap {
  /** Offset at which each line starts. */
  readonly lineStarts: number[];

  constructor(readonly text: string) {
    const starts = [0];
    let i = text.indexOf('\n');
    while (i !== -1) {
      starts.push(i + 1);
      i = text.indexOf('\n', i + 1);
    }
    this.lineStarts = starts;
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** The line of the last lookup: consumers mostly ask in source order. */
  private lastLine = 0;

  position(offset: number): Position {
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
    line = lastAtOrBefore(starts, offset);
    this.lastLine = line;
    return { offset, line, column: offset - starts[line] };
  }

  /** The anchor of ranges that never move (those of a whole parse). */
  readonly fixed: RangeAnchor = new RangeAnchor(this, 0, 0);

  range(start: number, end: number): SourceRange {
    return new SourceRange(this.fixed, start, end);
  }

  /** Offset of a line/column pair (clamped to the text). */
  offsetAt(line: number, column: number): number {
    if (line < 0) return 0;
    if (line >= this.lineStarts.length) return this.text.length;
    return Math.min(this.lineStarts[line] + Math.max(0, column), this.text.length);
  }

  /** Offset just past the last character of `line`, before its `\r\n` or `\n`. */
  lineEnd(line: number): number {
    const next = line + 1 < this.lineStarts.length ? this.lineStarts[line + 1] - 1 : this.text.length;
    return next > this.lineStarts[line] && this.text.charCodeAt(next - 1) === 13 && next < this.text.length ? next - 1 : next;
  }
}

/**
 * The part from character `from` to `to` of a range (relative to its start; on one line when it is
 * not a `SourceRange`). Parser ranges keep moving with their item when `reparse` moves it.
 */
export function subRange(range: Range, from: number, to: number): Range {
  if (range instanceof SourceRange) return range.slice(from, to);
  const at = (n: number): Position => ({ line: range.start.line, column: range.start.column + n, offset: range.start.offset + n });
  return { start: at(from), end: at(to) };
}

/** A range's offsets, without working out line and column when it is a `SourceRange`. */
export function startOffsetOf(range: Range): number {
  return range instanceof SourceRange ? range.startOffset : range.start.offset;
}

export function endOffsetOf(range: Range): number {
  return range instanceof SourceRange ? range.endOffset : range.end.offset;
}
