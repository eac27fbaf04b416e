/**
 * CST → AST. For each instruction the builder joins its physical tokens into the logical line
 * (continuations cut out), applies BuildKit's argument rules for the keyword, validates the
 * instruction's shape against the instruction table, and maps every piece back to source ranges.
 */
import type { CstNode, IToken } from 'chevrotain';
import type {
  AstWordPart,
  Comment,
  Directive,
  Flag,
  Heredoc,
  Instruction,
  Kubefile,
  NameValue as AstNameValue,
  Word,
} from './ast.js';
import { createDiagnostic, type Diagnostic, type DiagnosticCode, type Fix } from './diagnostics.js';
import type { DirectiveScan, EscapeChar, Span } from './directives.js';
import { DOCKERFILE_ONLY, editDistance, INSTRUCTIONS, isKeyword, suggestKeyword, type InstructionSpec, type Keyword } from './instructions.js';
import { RangeAnchor, type LineMap, type Range, type SourceRange } from './positions.js';
import type { HeredocBodyPayload } from './tokens.js';
import { scanWord, type ScanMode, type WordPart } from './variables.js';
import {
  announcedHeredocs,
  LogicalText,
  parseJsonArray,
  parseNameValues,
  parseWords,
  splitCommand,
  splitNameValue,
  splitWhitespace,
  type HeredocStart,
  type NameValue,
  type QuotedWord,
  type SplitCommand,
  type TextPiece,
} from './words.js';

interface InstructionCtx {
  InstructionName: IToken[];
  Arguments?: IToken[];
  Newline?: IToken[];
  heredoc?: CstNode[];
}

const APP_SOURCE = /^(local|https?):\/\//;

/** Shared by every node without flags, arguments or heredocs (most have no flags or heredocs). */
const NONE: readonly never[] = Object.freeze([]);

/** Builds one instruction: the logical line, its pieces, and the problems found on the way. */
class InstructionBuilder {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly anchor: RangeAnchor,
    private readonly logical: LogicalText,
    readonly escape: EscapeChar,
  ) {}

  range(span: Span): Range {
    // An empty span sits just after the character before it (not after a continuation that follows).
    if (span.end === span.start) {
      const at = this.logical.sourceEnd(span.start);
      return this.anchor.range(at, at);
    }
    const start = this.logical.sourceOffset(span.start);
    return this.anchor.range(start, Math.max(start, this.logical.sourceEnd(span.end)));
  }

  report(code: DiagnosticCode, span: Span | Range, message: string, fixes?: Fix[]): void {
    const range = typeof span.start === 'number' ? this.range(span as Span) : (span as Range);
    this.diagnostics.push(createDiagnostic(code, range, message, fixes));
  }

  /** A word; `mode` says how its variable references are read (`none`: not at all). */
  word(piece: TextPiece, mode: ScanMode | 'none' = 'expand'): Word {
    const word: Word = { text: piece.text, range: this.range(piece.span) };
    if (mode === 'none' || !needsScan(piece.text, mode)) return word;
    const scanned = scanWord(piece.text, piece.span.start, this.escape, mode);
    word.parts = scanned.parts.map((p) => this.part(p));
    for (const problem of scanned.problems) {
      this.report(problem.kind === 'quote' ? 'KF1008' : 'KF1007', problem.span, problem.message);
    }
    return word;
  }

  /** A flag's value: located like an argument, its scan problems left to the checks that expand it. */
  flagValueWord(piece: TextPiece): Word {
    const word: Word = { text: piece.text, range: this.range(piece.span) };
    if (!needsScan(piece.text, 'expand')) return word;
    word.parts = scanWord(piece.text, piece.span.start, this.escape, 'expand').parts.map((p) => this.part(p));
    return word;
  }

  /** A JSON string element: variables are located only when the literal has no escapes. */
  jsonWord(piece: TextPiece, mode: ScanMode | 'none'): Word {
    const word: Word = { text: piece.text, range: this.range(piece.span) };
    const raw = this.logical.text.slice(piece.span.start + 1, piece.span.end - 1);
    if (mode !== 'none' && raw === piece.text) {
      const inner = this.word({ text: raw, span: { start: piece.span.start + 1, end: piece.span.end - 1 } }, mode);
      if (inner.parts) word.parts = inner.parts;
    }
    return word;
  }

  private part(part: WordPart): AstWordPart {
    if (part.kind === 'literal') return { kind: 'literal', text: part.text, value: part.value, range: this.range(part.range) };
    const out: AstWordPart = {
      kind: 'variable',
      name: part.name,
      braced: part.braced,
      quoted: part.quoted,
      range: this.range(part.range),
      nameRange: this.range(part.nameRange),
    };
    if (part.modifier) out.modifier = part.modifier;
    if (part.operand) out.operand = part.operand.map((p) => this.part(p));
    if (part.replacement) out.replacement = part.replacement.map((p) => this.part(p));
    return out;
  }

  nameValue(pair: NameValue, valueMode: ScanMode | 'none' = 'expand'): AstNameValue {
    const node: AstNameValue = {
      range: this.range(pair.word.span),
      name: this.word(pair.name, 'none'),
      separator: pair.separator,
    };
    if (pair.value) node.value = this.word(pair.value, valueMode);
    return node;
  }
}

export interface AstResult {
  ast: Kubefile;
  /** Problems of the directives. */
  directiveDiagnostics: Diagnostic[];
  /** Problems of the instructions, each ranged by its item's anchor. */
  diagnostics: Diagnostic[];
  /** One per top-level item (instruction, comment), for incremental reparsing. */
  anchors: RangeAnchor[];
}

/**
 * Builds the AST of `text`, which starts at offset `shift` of the text `lines` maps (0 for a
 * whole file; a fragment's start when reparsing one).
 */
export function buildAst(cst: CstNode, text: string, continuations: IToken[], scan: DirectiveScan, lines: LineMap, shift = 0): AstResult {
  const builder = new AstBuilder(text, continuations, scan, lines, shift);
  builder.kubefile(cst.children as KubefileCtx);
  return { ast: builder.kubefile(), directiveDiagnostics: builder.directiveDiagnostics, diagnostics: builder.diagnostics, anchors: builder.anchors };
}

/** The AST nodes of a directive scan (fixed ranges: directives only live at the top of a whole file). */
export function directiveNodes(scan: DirectiveScan, lines: LineMap): { directives: Directive[]; diagnostics: Diagnostic[] } {
  return {
    directives: scan.directives.map((d) => ({
      type: 'Directive',
      name: d.name,
      nameText: d.nameText,
      value: d.value,
      range: lines.range(d.span.start, d.span.end),
      nameRange: lines.range(d.nameSpan.start, d.nameSpan.end),
      valueRange: lines.range(d.valueSpan.start, d.valueSpan.end),
    })),
    diagnostics: scan.problems.map((problem) => createDiagnostic('KF1012', lines.range(problem.span.start, problem.span.end), problem.message)),
  };
}

/** The children of the CST's root, the `kubefile` rule (parser.ts). */
interface KubefileCtx {
  instruction?: CstNode[];
  Comment?: IToken[];
}

/**
 * Builds the AST from the CST. Not a Chevrotain CST visitor: only the root is visited, and its
 * instructions are built directly, so the parser's visitor class (which needs the parser built) is
 * not needed to load this module.
 */
class AstBuilder {
  readonly diagnostics: Diagnostic[] = [];
  readonly directiveDiagnostics: Diagnostic[];
  readonly anchors: RangeAnchor[] = [];
  private readonly instructions: Instruction[] = [];
  private readonly comments: Comment[] = [];
  private readonly directives: Directive[];
  private continuationIndex = 0;

  constructor(
    private readonly text: string,
    private readonly continuations: IToken[],
    private readonly scan: DirectiveScan,
    private readonly lines: LineMap,
    private readonly shift: number,
  ) {
    const directives = directiveNodes(scan, lines);
    this.directives = directives.directives;
    this.directiveDiagnostics = directives.diagnostics;
  }

  /** A new item starting at `origin` (an offset of `text`). */
  private anchorAt(origin: number): RangeAnchor {
    const anchor = new RangeAnchor(this.lines, this.shift, origin);
    this.anchors.push(anchor);
    return anchor;
  }

  kubefile(): Kubefile;
  kubefile(ctx: KubefileCtx): void;
  kubefile(ctx?: KubefileCtx): Kubefile | void {
    if (!ctx) {
      return {
        type: 'Kubefile',
        range: this.lines.range(this.shift, this.shift + this.text.length),
        escapeChar: this.scan.escape,
        directives: this.directives,
        comments: this.comments.sort((a, b) => a.range.start.offset - b.range.start.offset),
        instructions: this.instructions,
      };
    }
    const directiveStarts = new Set(this.scan.directives.map((d) => d.span.start));
    for (const token of ctx.Comment ?? []) {
      if (directiveStarts.has(token.startOffset)) continue;
      this.comments.push(this.comment(token.startOffset, token.image));
    }
    for (const node of ctx.instruction ?? []) this.instruction(node.children as unknown as InstructionCtx);
    this.cutsWithin(this.text.length + 1, this.text.length + 1);
  }

  comment(offset: number, image: string, anchor = this.anchorAt(offset)): Comment {
    return { type: 'Comment', text: image.slice(1), range: anchor.range(offset, offset + image.length) };
  }

  instruction(ctx: InstructionCtx): void {
    const nameToken = ctx.InstructionName[0];
    const start = nameToken.startOffset;
    const lineEnd = ctx.Newline ? ctx.Newline[0].startOffset : this.text.length;
    const anchor = this.anchorAt(start);
    const cuts = this.cutsWithin(start, lineEnd, anchor);
    const logical = new LogicalText(this.text, start, lineEnd, cuts);
    const b = new InstructionBuilder(anchor, logical, this.scan.escape);
    const split = splitCommand(logical.text, this.scan.escape);
    const upper = split.command.text.toUpperCase();
    const spec = isKeyword(upper) ? INSTRUCTIONS[upper] : undefined;
    // Known keywords share the table's string instead of keeping one copy per instruction.
    const keyword = spec ? spec.keyword : upper;
    const bodies = ctx.heredoc ? ctx.heredoc.map((h) => (h.children.HeredocBody as IToken[])[0]) : NONE;
    const lastBody = bodies[bodies.length - 1];
    const lastPiece = split.args.text.length > 0 ? split.args.span : split.flags.length > 0 ? split.flags[split.flags.length - 1].span : split.command.span;
    const end = lastBody ? lastBody.startOffset + lastBody.image.length : logical.sourceEnd(lastPiece.end);

    const node = {
      type: 'Instruction',
      keyword,
      keywordText: split.command.text,
      keywordRange: b.range(split.command.span),
      range: anchor.range(start, end),
      flags: NONE,
      argsText: split.args.text,
      argsRange: b.range(split.args.span),
      form: 'shell',
      args: NONE,
      heredocs: NONE,
    } as Instruction;

    this.reportEmptyContinuationLines(cuts, b);
    if (spec) {
      node.flags = this.flags(split, spec, b);
      const starts = announcedHeredocs(logical.text, split);
      if (starts.length > 0) node.heredocs = this.heredocs(starts, bodies, b);
      buildInstruction(node, spec.keyword, split, b);
    } else {
      (node as { unknown?: true }).unknown = true;
      node.flags = this.flags(split, undefined, b);
      node.args = splitWhitespace(split.args).map((w) => b.word(w, 'none'));
      this.reportUnknown(split, b);
    }
    // One at a time: a continuation over a million blank lines has a million of them.
    for (const d of b.diagnostics) this.diagnostics.push(d);
    this.instructions.push(node);
  }

  /**
   * Continuation spans inside [start, end) (the instruction whose item is `anchor`); they come in
   * source order, as instructions do. Those before `start` belong to no instruction.
   */
  private cutsWithin(start: number, end: number, anchor?: RangeAnchor): Span[] {
    const cuts: Span[] = [];
    const list = this.continuations;
    while (this.continuationIndex < list.length && list[this.continuationIndex].startOffset < start) {
      this.continuationComments(list[this.continuationIndex]);
      this.continuationIndex++;
    }
    while (this.continuationIndex < list.length && list[this.continuationIndex].startOffset < end) {
      const token = list[this.continuationIndex++];
      this.continuationComments(token, anchor);
      cuts.push({ start: token.startOffset, end: token.startOffset + token.image.length });
    }
    return cuts;
  }

  /** Comment lines dropped inside a continuation are still comments for the outline and folding. */
  private continuationComments(token: IToken, anchor = this.anchorAt(token.startOffset)): void {
    const image = token.image;
    if (image.indexOf('#') === -1) return;
    let lineStart = image.indexOf('\n') + 1;
    while (lineStart > 0 && lineStart < image.length) {
      let lineEnd = image.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = image.length;
      const hash = image.indexOf('#', lineStart);
      if (hash !== -1 && hash < lineEnd && image.slice(lineStart, hash).trim() === '') {
        const contentEnd = image[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
        this.comments.push(this.comment(token.startOffset + hash, image.slice(hash, contentEnd), anchor));
      }
      lineStart = lineEnd + 1;
    }
  }

  private reportEmptyContinuationLines(cuts: Span[], b: InstructionBuilder): void {
    for (const cut of cuts) {
      const image = this.text.slice(cut.start, cut.end);
      let lineStart = image.indexOf('\n') + 1;
      while (lineStart > 0 && lineStart < image.length) {
        let lineEnd = image.indexOf('\n', lineStart);
        if (lineEnd === -1) lineEnd = image.length;
        if (/^[ \t\v\f\r]*$/.test(image.slice(lineStart, lineEnd)) && lineEnd < image.length) {
          const at = cut.start + lineStart;
          b.report('KF1013', b.anchor.range(at, cut.start + lineEnd), 'Empty continuation line: it will become an error in a future release of BuildKit', [
            { title: 'Remove the empty line', edits: [{ range: b.anchor.range(at, cut.start + lineEnd + 1), newText: '' }] },
          ]);
        }
        lineStart = lineEnd + 1;
      }
    }
  }

  private flags(split: SplitCommand, spec: InstructionSpec | undefined, b: InstructionBuilder): readonly Flag[] {
    if (split.flags.length === 0) return NONE;
    const seen = new Set<string>();
    return split.flags.map((piece, i) => {
      const value = split.flagValues[i];
      const eq = value.indexOf('=');
      const name = (eq === -1 ? value : value.slice(0, eq)).slice(2);
      const rawEq = piece.text.indexOf('=');
      const flag: Flag = {
        name,
        text: piece.text,
        range: b.range(piece.span),
        nameRange: b.range({ start: piece.span.start + 2, end: rawEq === -1 ? piece.span.end : piece.span.start + rawEq }),
      };
      if (eq !== -1) {
        flag.value = value.slice(eq + 1);
        const valueSpan = { start: piece.span.start + rawEq + 1, end: piece.span.end };
        flag.valueRange = b.range(valueSpan);
        flag.valueWord = b.flagValueWord({ text: piece.text.slice(rawEq + 1), span: valueSpan });
      }
      if (spec) this.checkFlag(flag, spec, seen, b);
      return flag;
    });
  }

  private checkFlag(flag: Flag, spec: InstructionSpec, seen: Set<string>, b: InstructionBuilder): void {
    const names = Object.keys(spec.flags);
    const type = spec.flags[flag.name];
    if (!type) {
      const near = names.find((n) => editDistance(n, flag.name) <= 2);
      const message =
        names.length === 0
          ? `${spec.keyword} does not take flags (--${flag.name})`
          : near
            ? `unknown flag: --${flag.name} (did you mean --${near}?)`
            : `unknown flag: --${flag.name} (${spec.keyword} accepts ${names.map((n) => `--${n}`).join(', ')})`;
      b.report('KF1010', flag.range, message);
      return;
    }
    if (seen.has(flag.name) && type !== 'strings') b.report('KF1011', flag.range, `duplicate flag specified: --${flag.name}`);
    seen.add(flag.name);
    if (type === 'bool') {
      if (flag.value !== undefined && flag.value === '') b.report('KF1011', flag.range, `missing a value on flag: --${flag.name}`);
      else if (flag.value !== undefined && !/^(true|false)$/i.test(flag.value)) {
        b.report('KF1011', flag.valueRange ?? flag.range, `expecting boolean value for flag --${flag.name}, not: ${flag.value}`);
      }
      return;
    }
    if (flag.value === undefined) {
      b.report('KF1011', flag.range, `missing a value on flag: --${flag.name} (write --${flag.name}=<value>)`);
      return;
    }
    const allowed = spec.flagValues?.[flag.name];
    if (allowed && !allowed.includes(flag.value)) {
      b.report('KF1011', flag.valueRange ?? flag.range, `invalid value "${flag.value}" for --${flag.name}: expected one of ${allowed.join(', ')}`);
    }
  }

  private heredocs(starts: HeredocStart[], bodies: readonly IToken[], b: InstructionBuilder): Heredoc[] {
    return starts.map((start, i) => {
      const body = bodies[i];
      const startRange = b.range(start.span);
      if (!body) {
        b.report('KF1009', startRange, `unterminated heredoc: the file ends before the delimiter line "${start.name}"`);
        const at = b.anchor.range(this.text.length, this.text.length);
        return { ...heredocFields(start), startRange, content: '', contentRange: at, range: at, terminated: false };
      }
      const payload = body.payload as HeredocBodyPayload;
      const bodyEnd = body.startOffset + body.image.length;
      if (!payload.terminated) {
        b.report('KF1009', startRange, `unterminated heredoc: the file ends before the delimiter line "${start.name}"`);
      }
      return {
        ...heredocFields(start),
        startRange,
        content: this.text.slice(body.startOffset, payload.terminatorStart),
        contentRange: b.anchor.range(body.startOffset, payload.terminatorStart),
        range: b.anchor.range(body.startOffset, bodyEnd),
        terminated: payload.terminated,
      };
    });
  }

  private reportUnknown(split: SplitCommand, b: InstructionBuilder): void {
    const word = split.command.text;
    const upper = word.toUpperCase();
    if (DOCKERFILE_ONLY.includes(upper)) {
      b.report('KF1001', split.command.span, `${upper} is a Dockerfile instruction that Kubefiles do not support`);
      return;
    }
    const suggestion = suggestKeyword(word);
    if (suggestion) {
      const fix: Fix = { title: `Change to ${suggestion}`, edits: [{ range: b.range(split.command.span), newText: suggestion }] };
      b.report('KF1001', split.command.span, `unknown instruction: ${word} (did you mean ${suggestion}?)`, [fix]);
    } else {
      b.report('KF1001', split.command.span, `unknown instruction: ${word}`);
    }
  }
}

/** Only references and quotes need the scanner; a plain word is its own single literal. */
function needsScan(text: string, mode: ScanMode): boolean {
  return text.indexOf('$') !== -1 || (mode === 'expand' && (text.indexOf('"') !== -1 || text.indexOf("'") !== -1));
}

function heredocFields(start: { name: string; chomp: boolean; expand: boolean; fileDescriptor: number }) {
  return { name: start.name, chomp: start.chomp, expand: start.expand, fileDescriptor: start.fileDescriptor };
}

/** Fills the keyword-specific fields of `node` and checks the argument shape. */
function buildInstruction(node: Instruction, keyword: Keyword, split: SplitCommand, b: InstructionBuilder): void {
  const args = split.args;
  const at = args.text.length > 0 ? args.span : split.command.span;
  const fields = node as unknown as Record<string, unknown>;
  switch (keyword) {
    case 'FROM': {
      const words = splitWhitespace(args).map((w) => b.word(w));
      node.args = words;
      fields.image = words[0];
      if (words.length === 0) b.report('KF1002', at, 'FROM requires the base image (FROM scratch for an image built from nothing)');
      else if (words.length === 3 && words[1].text.toUpperCase() === 'AS') {
        fields.stageName = words[2];
        // BuildKit lower-cases the name, then requires this shape (instructions/parse.go).
        if (!/^[a-z][a-z0-9-_.]*$/.test(words[2].text.toLowerCase())) {
          b.report('KF1019', words[2].range, `Invalid name for build stage: "${words[2].text}", name can't start with a number or contain symbols`);
        }
      }
      else if (words.length > 1) {
        b.report('KF1003', rangeOf(words.slice(1)), `FROM takes one argument (the base image), but ${words.length} were given`);
      }
      return;
    }
    case 'COPY':
    case 'ADD': {
      const words = listArgs(node, args, b, 'expand');
      node.args = words;
      if (words.length === 0) {
        b.report('KF1002', at, `${keyword} requires at least two arguments: the source(s) and the destination`);
        fields.sources = [];
        return;
      }
      fields.sources = words.slice(0, -1);
      fields.destination = words[words.length - 1];
      if (words.length === 1 && node.heredocs.length === 0) {
        b.report('KF1002', words[0].range, `${keyword} requires at least two arguments, but only one was provided: the destination is missing`);
        fields.sources = words;
        fields.destination = undefined;
      }
      if (node.heredocs.length > 0) {
        const last = words[words.length - 1];
        if (node.heredocs.some((h) => h.startRange.start.offset === last.range.start.offset)) {
          b.report('KF1016', last.range, `${keyword} cannot accept a heredoc as a destination`);
        }
      }
      return;
    }
    case 'RUN':
    case 'CMD': {
      const json = jsonOrShell(args, b);
      if (json) {
        node.form = 'exec';
        node.args = json.map((e) => b.jsonWord(e, 'none'));
        if (json.length === 0) b.report('KF1002', at, `${keyword} requires a command`);
        return;
      }
      if (args.text.length === 0) {
        b.report('KF1002', at, `${keyword} requires a command`);
        return;
      }
      const command = b.word(args, 'shell');
      fields.command = command;
      node.args = [command];
      return;
    }
    case 'ARG': {
      const words = parseWords(args, b.escape);
      node.args = words.map((w) => b.word(w, 'none'));
      if (words.length === 0) b.report('KF1002', at, 'ARG requires at least one argument: ARG <name>[=<default>]');
      fields.declarations = words.map((w) => {
        const pair = splitNameValue(w);
        if (pair.name.text.length === 0) b.report('KF1006', w.span, 'ARG names can not be blank');
        return b.nameValue(pair);
      });
      return;
    }
    case 'ENV':
    case 'LABEL':
    case 'APPENV': {
      let rest = args;
      if (keyword === 'APPENV') {
        const app = splitWhitespace(args)[0];
        fields.app = app ? b.word(app, 'none') : undefined;
        rest = app ? restAfter(args, app) : { text: '', span: { start: args.span.end, end: args.span.end } };
        if (!app || rest.text.length === 0) {
          b.report('KF1002', at, 'APPENV requires an application name and at least one key=value pair');
        }
      }
      const result = parseNameValues(rest, keyword, b.escape);
      node.args = (keyword === 'APPENV' && fields.app ? [fields.app as Word] : []).concat(result.words.map((w) => b.word(w, 'none')));
      if (result.kind === 'error') {
        reportOpenQuotes(result.words, b);
        b.report('KF1006', result.span, result.message);
        fields.pairs = [];
        return;
      }
      if (keyword !== 'APPENV' && result.pairs.length === 0) b.report('KF1002', at, `${keyword} requires at least one argument: ${keyword} <name>=<value> ...`);
      if (result.pairs[0]?.separator === ' ') node.args = [b.word(result.pairs[0].name, 'none'), b.word(result.pairs[0].value!, 'none')];
      fields.pairs = result.pairs.map((pair) => {
        if (pair.name.text.length === 0) b.report('KF1006', pair.word.span, `${keyword} names can not be blank`);
        return b.nameValue(pair);
      });
      // After the values are scanned: an open quote inside a value is reported there already.
      reportOpenQuotes(result.words, b);
      return;
    }
    case 'MAINTAINER':
    case 'KUBEVERSION': {
      if (args.text.length === 0) {
        b.report('KF1002', at, keyword === 'MAINTAINER' ? 'MAINTAINER requires a name' : 'KUBEVERSION requires a version range, e.g. KUBEVERSION 1.22 - 1.24');
        return;
      }
      const word = b.word(args, 'none');
      node.args = [word];
      fields[keyword === 'MAINTAINER' ? 'maintainer' : 'constraint'] = word;
      return;
    }
    case 'APP':
    case 'CNI':
    case 'CSI': {
      const words = listArgs(node, args, b, 'expand');
      node.args = words;
      fields.name = words[0];
      fields.sources = words.slice(1);
      if (words.length < 2) {
        b.report('KF1002', words.length === 0 ? at : words[0].range, `${keyword} requires an application name and at least one source: ${INSTRUCTIONS[keyword].syntax}`);
      }
      for (const source of words.slice(1)) {
        if (!APP_SOURCE.test(source.text)) {
          // A path gets the obvious fix; something URL-like (`http:/x`, `oss://x`) needs a person.
          const fixes = source.text.includes(':') ? undefined : [{ title: `Change to local://${source.text}`, edits: [{ range: source.range, newText: `local://${source.text}` }] }];
          b.report('KF1015', source.range, `source "${source.text}" must start with local://, http:// or https://`, fixes);
        }
      }
      return;
    }
    case 'APPCMDS': {
      const app = splitWhitespace(args)[0];
      fields.app = app ? b.word(app, 'none') : undefined;
      fields.command = [];
      if (!app) {
        b.report('KF1002', at, `APPCMDS requires an application name and a command: ${INSTRUCTIONS.APPCMDS.syntax}`);
        return;
      }
      const rest = restAfter(args, app);
      const json = parseJsonArray(rest);
      if (json.kind === 'array') {
        node.form = 'exec';
        fields.command = json.elements.map((e) => b.jsonWord(e, 'shell'));
        if (json.elements.length === 0) b.report('KF1002', rest.span, 'APPCMDS requires a non-empty command array');
      } else if (json.kind === 'not-strings') {
        b.report('KF1005', rest.span, json.message);
      } else {
        const fix = rest.text.length > 0 ? [{ title: 'Wrap the command in a JSON array', edits: [{ range: b.range(rest.span), newText: JSON.stringify([rest.text]) }] }] : undefined;
        b.report('KF1014', rest.text.length > 0 ? rest.span : app.span, `APPCMDS takes its command as a JSON array: ${INSTRUCTIONS.APPCMDS.syntax}`, fix);
      }
      node.args = [fields.app as Word, ...(fields.command as Word[])];
      return;
    }
    case 'LAUNCH':
    case 'CMDS': {
      const before = b.diagnostics.length;
      const json = jsonOrShell(args, b);
      // A broken JSON array (KF1004/KF1005 just reported) is not meant as a list of words.
      const brokenJson = b.diagnostics.length > before;
      const words = json ? json.map((e) => b.jsonWord(e, keyword === 'CMDS' ? 'shell' : 'none')) : splitWhitespace(args).map((w) => b.word(w, 'none'));
      if (json) node.form = 'exec';
      node.args = words;
      fields[keyword === 'LAUNCH' ? 'apps' : 'commands'] = words;
      if (words.length === 0) {
        b.report('KF1002', at, keyword === 'LAUNCH' ? 'LAUNCH requires at least one application: LAUNCH ["app", ...]' : 'CMDS requires at least one command: CMDS ["command", ...]');
      } else if (!json && !brokenJson && keyword === 'CMDS' && words.length > 1) {
        b.report('KF1004', args.span, 'CMDS without a JSON array runs every word as a separate command; write CMDS ["command args", ...]', [
          { title: 'Make it one command', edits: [{ range: b.range(args.span), newText: JSON.stringify([args.text]) }] },
        ]);
      }
      return;
    }
  }
}

/** KF1008 for words left with an open quote, unless scanning a value already reported it. */
function reportOpenQuotes(words: QuotedWord[], b: InstructionBuilder): void {
  for (const w of words) {
    if (!w.unterminatedQuote) continue;
    const range = b.range(w.span);
    const reported = b.diagnostics.some((d) => d.code === 'KF1008' && d.range.start.offset >= range.start.offset && d.range.end.offset <= range.end.offset);
    if (!reported) b.report('KF1008', w.span, `unterminated ${w.unterminatedQuote === '"' ? 'double' : 'single'} quote`);
  }
}

/** JSON array elements when the arguments are exec form; reports near-JSON and non-string arrays. */
function jsonOrShell(args: TextPiece, b: InstructionBuilder): TextPiece[] | undefined {
  const json = parseJsonArray(args);
  if (json.kind === 'array') return json.elements;
  if (json.kind === 'not-strings') b.report('KF1005', args.span, json.message);
  else if (json.looksLikeJson) {
    const fixed = singleToDoubleQuotes(args.text);
    const fixes = fixed ? [{ title: 'Use double quotes (JSON)', edits: [{ range: b.range(args.span), newText: fixed }] }] : undefined;
    const hint = args.text.includes("'") ? 'JSON strings need double quotes' : 'check the quotes and commas';
    b.report('KF1004', args.span, `invalid JSON array (${hint}); it is treated as shell form`, fixes);
  }
  return undefined;
}

/** `['a', 'b']` → `["a", "b"]` when that is valid JSON. */
function singleToDoubleQuotes(text: string): string | undefined {
  if (!text.includes("'") || text.includes('"')) return undefined;
  const candidate = text.replace(/'/g, '"');
  try {
    const value: unknown = JSON.parse(candidate);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? candidate : undefined;
  } catch {
    return undefined;
  }
}

/** BuildKit's parseMaybeJSONToList: JSON array elements (exec form), else whitespace-separated words. */
function listArgs(node: Instruction, args: TextPiece, b: InstructionBuilder, mode: ScanMode | 'none'): Word[] {
  const json = jsonOrShell(args, b);
  if (json) {
    node.form = 'exec';
    return json.map((e) => b.jsonWord(e, mode));
  }
  return splitWhitespace(args).map((w) => b.word(w, mode));
}

function restAfter(args: TextPiece, first: TextPiece): TextPiece {
  let start = first.span.end - args.span.start;
  while (start < args.text.length && /\s/.test(args.text[start])) start++;
  return { text: args.text.slice(start), span: { start: args.span.start + start, end: args.span.end } };
}

function rangeOf(words: Word[]): Range {
  return (words[0].range as SourceRange).through(words[words.length - 1].range as SourceRange);
}
