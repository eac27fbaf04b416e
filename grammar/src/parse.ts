/**
 * The front end's entry points: `parse(text)` for a whole file, and `reparse(previous, text)` for
 * the next version of a file being edited, which lexes and builds only the lines around the change.
 *
 * Kubefile lexing restarts cleanly at any line where the lexer is back in its line-start mode with
 * no heredoc body pending (a "cut"). A reparse takes the old cut at or before the change and lexes
 * the new text from there until its own cuts meet an old cut past the change; from that point the
 * text, and so every token, is what it was, and the old nodes are kept, moved by the length
 * difference (one `RangeAnchor` per item, so moving an item is one assignment).
 */
import type { IToken } from 'chevrotain';
import type { Kubefile } from './ast.js';
import { createDiagnostic, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { scanDirectives, type DirectiveScan } from './directives.js';
import { parseTokens } from './parser.js';
import { lastAtOrBefore, LineMap, type Range, type RangeAnchor, type SourceRange } from './positions.js';
import { buildAst, directiveNodes } from './toAst.js';
import { HeredocBody, lex, LineBreak, InstructionEnd } from './tokens.js';

export interface ParseResult {
  ast: Kubefile;
  /** Syntax diagnostics (KF1xxx), in source order. */
  diagnostics: Diagnostic[];
  lines: LineMap;
}

/** What a reparse needs of the previous result. */
interface Reusable {
  text: string;
  scan: DirectiveScan;
  /** Offsets (ascending, each < text.length) where lexing can restart. */
  cuts: number[];
  anchors: RangeAnchor[];
  /** Diagnostics of the items (not the directives'). */
  itemDiagnostics: Diagnostic[];
  /** The text has no control character: an edit that brings none needs no scan of the whole text. */
  controlFree: boolean;
}

const reusable = new WeakMap<ParseResult, Reusable>();

const BLOCK = 4096;

/** Parses a Kubefile. Never throws: problems come back as diagnostics next to a complete AST. */
export function parse(text: string): ParseResult {
  const lines = new LineMap(text);
  const scan = scanDirectives(text);
  const piece = parsePiece(text, 0, scan, lines);
  const ast = piece.ast;
  const control = controlCharacters(text, lines);
  const diagnostics = sortDiagnostics(piece.directiveDiagnostics.concat(piece.diagnostics, piece.faults, control));
  const result: ParseResult = { ast, diagnostics, lines };
  // Lexer and parser errors would be internal faults: such a result is not worth reusing.
  if (piece.faults.length === 0) reusable.set(result, { text, scan, cuts: piece.cuts, anchors: piece.anchors, itemDiagnostics: piece.diagnostics, controlFree: control.length === 0 });
  return result;
}

/**
 * Parses `text`, the next version of the file `previous` was parsed from, reusing what the edit did
 * not touch. The result equals `parse(text)`. It takes over the nodes of `previous` (their ranges
 * now measure the new text): do not use `previous` afterwards. An unchanged text gives `previous` back.
 */
export function reparse(previous: ParseResult, text: string): ParseResult {
  const old = reusable.get(previous);
  if (!old) return parse(text);
  if (old.text === text) return previous;
  reusable.delete(previous);
  const scan = scanDirectives(text);
  if (!sameScan(scan, old.scan)) return parse(text);

  // The changed span: [prefix, old.text.length - suffix) in the old text, [prefix, text.length - suffix) in the new one.
  const limit = Math.min(text.length, old.text.length);
  // Compared a block at a time first: comparing flat strings is a memory compare.
  let prefix = 0;
  while (prefix + BLOCK <= limit && text.slice(prefix, prefix + BLOCK) === old.text.slice(prefix, prefix + BLOCK)) prefix += BLOCK;
  while (prefix < limit && text.charCodeAt(prefix) === old.text.charCodeAt(prefix)) prefix++;
  let suffix = 0;
  while (suffix + BLOCK <= limit - prefix && text.slice(text.length - suffix - BLOCK, text.length - suffix) === old.text.slice(old.text.length - suffix - BLOCK, old.text.length - suffix)) suffix += BLOCK;
  while (suffix < limit - prefix && text.charCodeAt(text.length - 1 - suffix) === old.text.charCodeAt(old.text.length - 1 - suffix)) suffix++;
  const delta = text.length - old.text.length;
  const changeEnd = old.text.length - suffix;

  const cuts = old.cuts;
  const first = lastAtOrBefore(cuts, prefix);
  const from = cuts[first];
  const directivesEnd = scan.directives.reduce((end, d) => Math.max(end, d.span.end), 0);
  // A fragment never holds a directive line; a byte order mark is one only at offset 0.
  if (from <= directivesEnd && scan.directives.length > 0) return parse(text);
  if (from > 0 && text.charCodeAt(from) === 0xfeff) return parse(text);

  // Old cuts past the change: the fragment ends a few items after the first, where it may meet the old text again;
  // an edit that opens a heredoc or a continuation swallows more, so each try reaches further.
  let next = first;
  while (next < cuts.length && cuts[next] < changeEnd) next++;
  const lines = new LineMap(text);
  for (const extra of [2, 32, 512]) {
    const end = next + extra < cuts.length ? cuts[next + extra] + delta : text.length;
    const piece = parsePiece(text.slice(from, end), from, scan, lines);
    if (piece.faults.length > 0) return parse(text);
    // An unterminated heredoc's empty body sits at the end of the file, which a fragment cannot place:
    // a wider fragment may hold its terminator (an edit to "EOF" reaches the next heredoc's).
    if (end < text.length && piece.diagnostics.some((d) => d.code === 'KF1009')) continue;
    const pieceCuts = new Set(piece.cuts);
    // The first old cut (past the change) that is also a cut of the new text: the rest is unchanged.
    let meet = -1;
    for (let k = next; k < cuts.length && cuts[k] + delta < end; k++) {
      const at = cuts[k] + delta;
      // Only at offset 0 is a byte order mark skipped: the old text cannot take over across that.
      const movedToOrFromStart = (at === 0) !== (cuts[k] === 0) && text.charCodeAt(at) === 0xfeff;
      if (at >= from && pieceCuts.has(at) && !movedToOrFromStart) {
        meet = k;
        break;
      }
    }
    if (meet === -1 && end < text.length) continue;
    return splice(previous, old, text, lines, scan, { from, meet, delta, piece, changed: text.slice(prefix, text.length - suffix) });
  }
  return parse(text);
}

interface Splice {
  /** Where the fragment starts (same offset in both texts). */
  from: number;
  /** Index of the old cut where the old text takes over again; -1: the fragment runs to the end. */
  meet: number;
  delta: number;
  piece: Piece;
  /** The new text of the changed span. */
  changed: string;
}

/** Old items before the fragment, the fragment's items, then the old items after it, moved. */
function splice(previous: ParseResult, old: Reusable, text: string, lines: LineMap, scan: DirectiveScan, s: Splice): ParseResult {
  const oldMeet = s.meet === -1 ? Infinity : old.cuts[s.meet];
  const newMeet = oldMeet + s.delta;
  // Classify by item start before anything moves.
  const oldAst = previous.ast;
  const instructions = keep(oldAst.instructions, s.piece.ast.instructions, s.from, oldMeet, newMeet);
  const comments = keep(oldAst.comments, s.piece.ast.comments, s.from, oldMeet, newMeet);
  const isBefore = (range: Range) => anchorOf(range).start < s.from;
  const itemDiagnostics = old.itemDiagnostics.filter((d) => isBefore(d.range) || anchorOf(d.range).start >= oldMeet);
  itemDiagnostics.push(...s.piece.diagnostics.filter((d) => anchorOf(d.range).start < newMeet));
  const anchors: RangeAnchor[] = [];
  for (const anchor of old.anchors) {
    if (anchor.start < s.from) {
      anchor.lines = lines;
      anchors.push(anchor);
    } else if (anchor.start >= oldMeet) {
      anchor.lines = lines;
      anchor.shift += s.delta;
      anchors.push(anchor);
    }
  }
  for (const anchor of s.piece.anchors) if (anchor.start < newMeet) anchors.push(anchor);
  const cuts = old.cuts.filter((c) => c < s.from);
  for (const c of s.piece.cuts) if (c < newMeet) cuts.push(c);
  if (s.meet !== -1) for (let k = s.meet; k < old.cuts.length; k++) cuts.push(old.cuts[k] + s.delta);

  const directives = directiveNodes(scan, lines);
  const ast: Kubefile = { type: 'Kubefile', range: lines.range(0, text.length), escapeChar: scan.escape, directives: directives.directives, comments, instructions };
  const control = old.controlFree && !hasControlCharacter(s.changed) ? [] : controlCharacters(text, lines);
  const result: ParseResult = { ast, diagnostics: sortDiagnostics(directives.diagnostics.concat(itemDiagnostics, control)), lines };
  reusable.set(result, { text, scan, cuts, anchors, itemDiagnostics, controlFree: control.length === 0 });
  return result;
}

/**
 * The old nodes before and after the fragment around the fragment's own (up to where the old ones
 * resume). Nodes are in source order, so the old ones kept are a head and a tail, found by bisection.
 */
function keep<T extends { range: Range }>(oldNodes: readonly T[], pieceNodes: readonly T[], from: number, oldMeet: number, newMeet: number): T[] {
  const out = oldNodes.slice(0, startingBefore(oldNodes, from));
  for (const node of pieceNodes) if (anchorOf(node.range).start < newMeet) out.push(node);
  for (let i = startingBefore(oldNodes, oldMeet); i < oldNodes.length; i++) out.push(oldNodes[i]);
  return out;
}

/** How many of the nodes (in source order) start before `offset`. */
function startingBefore(nodes: readonly { range: Range }[], offset: number): number {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (anchorOf(nodes[mid].range).start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function anchorOf(range: Range): RangeAnchor {
  return (range as SourceRange).anchor;
}

interface Piece {
  ast: Kubefile;
  directiveDiagnostics: Diagnostic[];
  diagnostics: Diagnostic[];
  /** Lexer and parser errors (internal faults). */
  faults: Diagnostic[];
  /** Absolute offsets where lexing can restart. */
  cuts: number[];
  anchors: RangeAnchor[];
}

/** Lexes, parses and builds `text`, found at offset `shift` of the text `lines` maps. */
function parsePiece(text: string, shift: number, scan: DirectiveScan, lines: LineMap): Piece {
  const lexed = lex(text, scan.escape);
  const { cst, errors } = parseTokens(lexed.tokens);
  const pieceScan = shift === 0 ? scan : { escape: scan.escape, directives: [], problems: [] };
  const built = buildAst(cst, text, lexed.continuations, pieceScan, lines, shift);
  const faults: Diagnostic[] = [];
  // The lexer and grammar accept any text; these would be internal faults, kept visible all the same.
  for (const e of lexed.errors) faults.push(createDiagnostic('KF1001', lines.range(shift + e.offset, shift + e.offset + e.length), e.message));
  for (const e of errors) {
    const offset = Number.isFinite(e.token.startOffset) ? e.token.startOffset : text.length;
    faults.push(createDiagnostic('KF1001', lines.range(shift + offset, shift + offset + (e.token.image?.length ?? 0)), e.message));
  }
  return { ast: built.ast, directiveDiagnostics: built.directiveDiagnostics, diagnostics: built.diagnostics, faults, cuts: cutsOf(lexed.tokens, text.length, shift), anchors: built.anchors };
}

/**
 * Where lexing can restart: the start, and after every newline token (the lexer is then at a line
 * start) unless a heredoc body follows. The end of the text is not one: a heredoc announced on the
 * last line may get its body there.
 */
function cutsOf(tokens: readonly IToken[], length: number, shift: number): number[] {
  const cuts = [shift];
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i].tokenType;
    if (type !== LineBreak && type !== InstructionEnd) continue;
    const after = tokens[i].startOffset + tokens[i].image.length;
    if (after >= length || tokens[i + 1]?.tokenType === HeredocBody) continue;
    cuts.push(shift + after);
  }
  return cuts;
}

/** C0 control characters other than tab, newline, vertical tab, form feed and carriage return, and DEL. */
const CONTROL = /[\0-\x08\x0e-\x1f\x7f]+/g;

/** How many runs of control characters are reported, at most (a binary file would give millions). */
export const MAX_CONTROL_DIAGNOSTICS = 100;

/** Whether the text holds any character `CONTROL` finds. */
function hasControlCharacter(text: string): boolean {
  return /[\0-\x08\x0e-\x1f\x7f]/.test(text);
}

/**
 * NUL (KF1017) and the other control characters (KF1018), wherever they are: one diagnostic per run.
 * Found over the whole text; a reparse skips it when the old text had none and the edit brings none.
 */
function controlCharacters(text: string, lines: LineMap): Diagnostic[] {
  const found: Diagnostic[] = [];
  CONTROL.lastIndex = 0;
  for (let m = CONTROL.exec(text); m && found.length < MAX_CONTROL_DIAGNOSTICS; m = CONTROL.exec(text)) {
    const run = m[0];
    const range = lines.range(m.index, m.index + run.length);
    const names = [...new Set(run)].map((c) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`).join(', ');
    if (run.includes('\0')) found.push(createDiagnostic('KF1017', range, `NUL character${run.length > 1 ? 's' : ''} (${names}) in the Kubefile: programs and the image config cannot carry NUL; remove ${run.length > 1 ? 'them' : 'it'}`));
    else found.push(createDiagnostic('KF1018', range, `Control character${run.length > 1 ? 's' : ''} (${names}) in the Kubefile; write ${run.length > 1 ? 'them' : 'it'} as an escape (printf '\\033') if meant`));
  }
  return found;
}

function sameScan(a: DirectiveScan, b: DirectiveScan): boolean {
  return a.escape === b.escape && JSON.stringify(a.directives) === JSON.stringify(b.directives) && JSON.stringify(a.problems) === JSON.stringify(b.problems);
}
