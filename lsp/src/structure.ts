/** Document outline, folding ranges and document links. */
import { stageTable } from '@kubefile/compiler';
import { isInstruction, type Instruction, type NameValue, type Word } from '@kubefile/grammar';
import type { DocumentLink, DocumentSymbol, FoldingRange } from 'vscode-languageserver';
import type { Analysis, FeatureContext } from './analysis.js';
import { toLspRange } from './convert.js';
import { FoldingRangeKind, SymbolKind } from './languageserver.js';
import { rangeOf } from './navigation.js';

const SYMBOL_KIND: Record<string, SymbolKind> = {
  FROM: SymbolKind.Module,
  ARG: SymbolKind.Variable,
  ENV: SymbolKind.Variable,
  LABEL: SymbolKind.Property,
  COPY: SymbolKind.File,
  ADD: SymbolKind.File,
  RUN: SymbolKind.Function,
  CMD: SymbolKind.Function,
  CMDS: SymbolKind.Function,
  APP: SymbolKind.Package,
  CNI: SymbolKind.Package,
  CSI: SymbolKind.Package,
  APPCMDS: SymbolKind.Method,
  APPENV: SymbolKind.Property,
  LAUNCH: SymbolKind.Event,
  KUBEVERSION: SymbolKind.Constant,
  MAINTAINER: SymbolKind.String,
};

/** How much of the arguments an outline entry shows. */
const MAX_ARGS = 40;

function shortArgs(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_ARGS ? oneLine.slice(0, MAX_ARGS - 1) + '…' : oneLine;
}

function pairSymbol(pair: NameValue, kind: SymbolKind): DocumentSymbol {
  return {
    name: pair.name.text,
    ...(pair.value ? { detail: shortArgs(pair.value.text) } : {}),
    kind,
    range: toLspRange(pair.range),
    selectionRange: toLspRange(pair.name.range),
  };
}

function pairsOf(instruction: Instruction): { pairs: readonly NameValue[]; kind: SymbolKind } | undefined {
  if (isInstruction(instruction, 'ARG')) return { pairs: instruction.declarations, kind: SymbolKind.Variable };
  if (isInstruction(instruction, 'ENV')) return { pairs: instruction.pairs, kind: SymbolKind.Variable };
  if (isInstruction(instruction, 'LABEL') || isInstruction(instruction, 'APPENV')) return { pairs: instruction.pairs, kind: SymbolKind.Property };
  return undefined;
}

/**
 * One symbol per instruction, named by its keyword and (shortened) arguments. The names an ARG,
 * ENV, LABEL or APPENV sets are its children, so the outline's filter finds a variable by name.
 *
 * With several stages, each is a symbol (its `AS` name or `stage N`, its FROM as detail) holding its
 * instructions, its FROM first; the global ARGs before the first FROM stay top level. A single-stage
 * Kubefile (every sealer one) keeps a flat outline. The VS Code extension's Build CodeLens finds the
 * FROM symbols at either level.
 */
export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const instructions = analysis.result.ast.instructions;
  const stages = stageTable(analysis.result.ast).stages;
  if (stages.length < 2) return instructions.map(instructionSymbol);
  return [
    ...instructions.slice(0, stages[0].first).map(instructionSymbol),
    ...stages.map((stage): DocumentSymbol => {
      const last = instructions[stage.end - 1];
      return {
        name: stage.name ?? `stage ${stage.index}`,
        detail: shortArgs(instructionLine(stage.from)),
        kind: SymbolKind.Module,
        range: toLspRange({ start: stage.from.range.start, end: last.range.end }),
        selectionRange: toLspRange(stage.nameWord?.range ?? stage.from.keywordRange),
        children: instructions.slice(stage.first, stage.end).map(instructionSymbol),
      };
    }),
  ];
}

/** An instruction on one line, flags included (`FROM --platform=$BUILDPLATFORM busybox AS build`). */
export function instructionLine(instruction: Instruction): string {
  return [instruction.keyword, ...instruction.flags.map((f) => f.text), instruction.argsText].join(' ').replace(/\s+/g, ' ').trim();
}

function instructionSymbol(instruction: Instruction): DocumentSymbol {
  const args = shortArgs(instruction.argsText);
  const symbol: DocumentSymbol = {
    name: args ? `${instruction.keyword} ${args}` : instruction.keyword,
    kind: SYMBOL_KIND[instruction.keyword] ?? SymbolKind.Key,
    range: toLspRange(instruction.range),
    selectionRange: toLspRange(instruction.keywordRange),
  };
  const pairs = pairsOf(instruction);
  if (pairs && pairs.pairs.length > 0) symbol.children = pairs.pairs.map((p) => pairSymbol(p, pairs.kind));
  return symbol;
}

/** Instructions over several lines, heredoc bodies, and runs of 2+ comment lines. */
export function foldingRanges(analysis: Analysis): FoldingRange[] {
  const out: FoldingRange[] = [];
  const seen = new Set<string>();
  const add = (startLine: number, endLine: number, kind?: FoldingRangeKind) => {
    const key = `${startLine}:${endLine}`;
    if (endLine <= startLine || seen.has(key)) return;
    seen.add(key);
    out.push({ startLine, endLine, ...(kind ? { kind } : {}) });
  };
  const ast = analysis.result.ast;
  for (const instruction of ast.instructions) {
    add(instruction.range.start.line, instruction.range.end.line);
    // A heredoc folds from the line its body follows (the instruction or the previous delimiter).
    for (const heredoc of instruction.heredocs) add(heredoc.contentRange.start.line - 1, heredoc.range.end.line);
  }
  let blockStart = -1;
  let previous = -2;
  const flush = () => {
    if (blockStart >= 0) add(blockStart, previous, FoldingRangeKind.Comment);
  };
  for (const comment of ast.comments) {
    const line = comment.range.start.line;
    if (line !== previous + 1) {
      flush();
      blockStart = line;
    }
    previous = line;
  }
  flush();
  return out.sort((a, b) => a.startLine - b.startLine || a.endLine - b.endLine);
}

/** http(s) URLs; one with a `$` is left alone (its expanded value is not what is written). */
const URL = /https?:\/\/[^\s"'<>`\\]+/g;

/** A context-relative path, as the compiler's context wants it (no `./` or leading `/`). */
function contextPath(text: string): string | undefined {
  if (/[*?[\]$]/.test(text) || /^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return undefined;
  const path = text
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
  return path === '' || path.split('/').includes('..') ? undefined : path;
}

/** COPY/ADD sources found in the build context, and http(s) URLs in arguments and comments. */
export async function documentLinks(analysis: Analysis, context: FeatureContext): Promise<DocumentLink[]> {
  const links: DocumentLink[] = [];
  const text = analysis.text;
  // a comment line inside a continued instruction is in both the instruction's and its own range
  const seen = new Set<number>();
  const urls = (start: number, end: number) => {
    for (const match of text.slice(start, end).matchAll(URL)) {
      const url = match[0].replace(/[.,;:)\]}]+$/, '');
      const from = start + (match.index ?? 0);
      if (url.includes('$') || seen.has(from)) continue;
      seen.add(from);
      links.push({ range: rangeOf(analysis, from, from + url.length), target: url });
    }
  };
  const ast = analysis.result.ast;
  for (const instruction of ast.instructions) {
    if (context.buildContext && context.contextUri && (isInstruction(instruction, 'COPY') || isInstruction(instruction, 'ADD'))) {
      // --from copies from an image, not the context
      if (!instruction.flags.some((f) => f.name === 'from')) {
        for (const source of instruction.sources) await linkSource(source, context, links, analysis);
      }
    }
    urls(instruction.argsRange.start.offset, instruction.range.end.offset);
  }
  for (const comment of ast.comments) urls(comment.range.start.offset, comment.range.end.offset);
  return links.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
}

async function linkSource(source: Word, context: FeatureContext, links: DocumentLink[], analysis: Analysis): Promise<void> {
  if (!context.buildContext || !context.contextUri) return;
  const { start, end } = { start: source.range.start.offset, end: source.range.end.offset };
  const quoted = end - start >= 2 && analysis.text[start] === '"' && analysis.text[end - 1] === '"';
  const path = contextPath(source.text);
  if (path === undefined) return;
  if (!(await context.buildContext.stat(path))) return;
  links.push({
    range: quoted ? rangeOf(analysis, start + 1, end - 1) : toLspRange(source.range),
    target: context.contextUri(path),
    tooltip: `Open ${path} in the build context`,
  });
}
