/**
 * The symbol table of one analysis: every declaration and use of an ARG/ENV variable, of an
 * application name and of a stage name, with the source offsets of the name itself (what rename edits).
 *
 * Variables follow Docker's scoping: ARGs before the first FROM form a global scope visible only to
 * FROM (and to later global ARG defaults); each FROM starts a stage scope. Inside a stage, every
 * ARG or ENV of one name is the same variable (a later one reassigns it), and a bare `ARG X` that
 * brings a global X back into the stage is the same symbol as that global. A use resolves to the
 * latest declaration visible before its instruction; uses that resolve to nothing (shell or
 * predefined variables, global-only names used in a stage) share one undeclared symbol per name.
 *
 * Stages follow BuildKit (through the compiler's stage table): one symbol per FROM, declared by its
 * `AS name`, used (case-insensitively) by `COPY --from=name` and by a later `FROM name`; an index
 * (`--from=0`) is a use too, but is not a name to rename.
 */
import { stageTable, type StageInfo } from '@kubefile/compiler';
import { isInstruction, isKnown, scanWord, variablesOf, type AstVariable, type Instruction, type NameValue, type Word } from '@kubefile/grammar';
import type { Analysis } from './analysis.js';

export type SymbolNamespace = 'variable' | 'application' | 'stage';

export interface Occurrence {
  /** Offsets of the name (no `$`, braces or quotes). */
  start: number;
  end: number;
  declaration: boolean;
  /** The instruction keyword the occurrence is in (ARG, ENV, APP ...). */
  keyword: string;
  symbol: KubefileSymbol;
  /** For a use: the declaration it resolves to (undefined for an undeclared variable or an unnamed stage). */
  resolved?: Occurrence;
  /** A stage named by its index (`COPY --from=0`): found, but not renamed. */
  stageIndex?: true;
}

export interface KubefileSymbol {
  name: string;
  namespace: SymbolNamespace;
  /** `global`, `stage N` (0-based) or `undeclared`/`file` (applications and stages). */
  scope: string;
  /** For a stage symbol: the stage (its FROM is where an unnamed stage is defined). */
  stage?: StageInfo;
  declarations: Occurrence[];
  references: Occurrence[];
}

export interface SymbolTable {
  symbols: KubefileSymbol[];
  /** Every occurrence, sorted by offset. */
  occurrences: Occurrence[];
}

/** Names a user can declare and rename (`$1`, `$@` and the like are shell parameters). */
const VARIABLE_NAME = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;

const tables = new WeakMap<Analysis, SymbolTable>();

/** The analysis' symbol table, built once per analysis (features ask for it repeatedly). */
export function symbolTable(analysis: Analysis): SymbolTable {
  let table = tables.get(analysis);
  if (!table) {
    table = buildSymbolTable(analysis);
    tables.set(analysis, table);
  }
  return table;
}

function buildSymbolTable(analysis: Analysis): SymbolTable {
  const symbols: KubefileSymbol[] = [];
  const occurrences: Occurrence[] = [];
  const newSymbol = (name: string, namespace: SymbolNamespace, scope: string): KubefileSymbol => {
    const symbol: KubefileSymbol = { name, namespace, scope, declarations: [], references: [] };
    symbols.push(symbol);
    return symbol;
  };
  const record = (symbol: KubefileSymbol, start: number, end: number, declaration: boolean, keyword: string, resolved?: Occurrence, stageIndex?: true) => {
    const occurrence: Occurrence = { start, end, declaration, keyword, symbol, ...(resolved ? { resolved } : {}), ...(stageIndex ? { stageIndex } : {}) };
    (declaration ? symbol.declarations : symbol.references).push(occurrence);
    occurrences.push(occurrence);
    return occurrence;
  };

  // name → its latest declaration in the scope
  const globals = new Map<string, Occurrence>();
  let stage: Map<string, Occurrence> | undefined;
  let stageIndex = -1;
  const undeclared = new Map<string, KubefileSymbol>();
  const seen = new Set<number>();

  const resolve = (variable: AstVariable, keyword: string, fromScope: boolean) => {
    resolveName(variable.name, variable.nameRange.start.offset, variable.nameRange.end.offset, keyword, fromScope);
    // In RUN/CMD text the grammar leaves `${V:-$W}`'s operand to the shell: scan it here.
    if (variable.braced && variable.modifier && !variable.operand && !variable.replacement) {
      const from = variable.nameRange.end.offset + variable.modifier.length;
      const to = variable.range.end.offset - 1;
      scanShell(from, to, keyword, fromScope);
    }
  };
  /** References in source text the grammar does not split, when the source is the logical text. */
  const scanShell = (from: number, to: number, keyword: string, fromScope: boolean) => {
    const source = analysis.text.slice(from, to);
    if (to <= from || source.includes('\n')) return;
    for (const inner of variablesOf(scanWord(source, from, '\\', 'shell').parts)) {
      resolveName(inner.name, inner.nameRange.start, inner.nameRange.end, keyword, fromScope);
      if (inner.braced && inner.modifier && !inner.operand) scanShell(inner.nameRange.end + inner.modifier.length, inner.range.end - 1, keyword, fromScope);
    }
  };
  const resolveName = (name: string, start: number, end: number, keyword: string, fromScope: boolean) => {
    if (seen.has(start) || !VARIABLE_NAME.test(name)) return;
    seen.add(start);
    // FROM sees only the global ARGs, even after an earlier stage.
    const scope = fromScope || !stage ? globals : stage;
    const declaration = scope.get(name);
    let symbol = declaration?.symbol;
    if (!symbol) {
      symbol = undeclared.get(name);
      if (!symbol) {
        symbol = newSymbol(name, 'variable', 'undeclared');
        undeclared.set(name, symbol);
      }
    }
    record(symbol, start, end, false, keyword, declaration);
  };
  const resolveWord = (word: Word | undefined, keyword: string, fromScope = false) => {
    for (const variable of variablesOf(word?.parts ?? [])) resolve(variable, keyword, fromScope);
  };
  const declare = (pair: NameValue, keyword: string) => {
    const name = pair.name.text;
    if (!VARIABLE_NAME.test(name)) return;
    const scope = stage ?? globals;
    let symbol = scope.get(name)?.symbol;
    if (!symbol && stage && keyword === 'ARG' && !pair.value) symbol = globals.get(name)?.symbol;
    symbol ??= newSymbol(name, 'variable', stage ? `stage ${stageIndex}` : 'global');
    scope.set(name, record(symbol, pair.name.range.start.offset, pair.name.range.end.offset, true, keyword));
  };

  const apps = new Map<string, KubefileSymbol>();
  const app = (name: string) => {
    let symbol = apps.get(name);
    if (!symbol) {
      symbol = newSymbol(name, 'application', 'file');
      apps.set(name, symbol);
    }
    return symbol;
  };
  const appWord = (word: Word | undefined, keyword: string, declaration: boolean) => {
    if (!word || word.text.trim() === '') return;
    const { start, end } = unquotedName(analysis.text, word);
    const symbol = app(word.text);
    // A use refers to the first declaration, as the compiler's check does (a later one replaces it).
    record(symbol, start, end, declaration, keyword, declaration ? undefined : symbol.declarations[0]);
  };

  for (const instruction of analysis.result.ast.instructions) {
    const keyword = instruction.keyword;
    if (isInstruction(instruction, 'FROM')) {
      for (const word of [...flagWords(instruction), ...instruction.args]) resolveWord(word, keyword, true);
      stage = new Map();
      stageIndex++;
      continue;
    }
    if (isInstruction(instruction, 'ARG')) {
      // Each declaration sees the ones before it in the same instruction.
      for (const pair of instruction.declarations) {
        resolveWord(pair.value, keyword);
        declare(pair, keyword);
      }
    } else if (isInstruction(instruction, 'ENV')) {
      // An ENV's values are expanded before any of its names is set.
      for (const pair of instruction.pairs) resolveWord(pair.value, keyword);
      for (const pair of instruction.pairs) declare(pair, keyword);
    } else if (isInstruction(instruction, 'APP') || isInstruction(instruction, 'CNI') || isInstruction(instruction, 'CSI')) {
      appWord(instruction.name, keyword, true);
    } else if (isInstruction(instruction, 'APPCMDS') || isInstruction(instruction, 'APPENV')) {
      appWord(instruction.app, keyword, false);
      if (isInstruction(instruction, 'APPENV')) for (const pair of instruction.pairs) resolveWord(pair.value, keyword);
    } else if (isInstruction(instruction, 'LAUNCH')) {
      for (const word of instruction.apps) appWord(word, keyword, false);
    }
    for (const word of wordsOf(instruction)) resolveWord(word, keyword);
    // The shell expands an unquoted heredoc's body; `<<-` and CRLF bodies differ from the source, so are skipped.
    for (const heredoc of instruction.heredocs) {
      const { start, end } = { start: heredoc.contentRange.start.offset, end: heredoc.contentRange.end.offset };
      if (!heredoc.expand || analysis.text.slice(start, end) !== heredoc.content) continue;
      for (const [lineStart, line] of linesOf(heredoc.content, start)) scanShell(lineStart, lineStart + line.length, keyword, false);
    }
  }
  recordStages(analysis, newSymbol, record);
  occurrences.sort((a, b) => a.start - b.start);
  return { symbols, occurrences };
}

/** One symbol per stage: its `AS` name, the `COPY --from` values and later FROM images that resolve to it. */
function recordStages(
  analysis: Analysis,
  newSymbol: (name: string, namespace: SymbolNamespace, scope: string) => KubefileSymbol,
  record: (symbol: KubefileSymbol, start: number, end: number, declaration: boolean, keyword: string, resolved?: Occurrence, stageIndex?: true) => Occurrence,
): void {
  const table = stageTable(analysis.result.ast);
  const stages = table.stages.map((stage) => {
    const symbol = newSymbol(stage.name ?? String(stage.index), 'stage', 'file');
    symbol.stage = stage;
    const declaration = stage.nameWord ? record(symbol, stage.nameWord.range.start.offset, stage.nameWord.range.end.offset, true, 'FROM') : undefined;
    return { symbol, declaration };
  });
  const use = (index: number, word: Word, keyword: string, byIndex: boolean) => {
    const { symbol, declaration } = stages[index];
    const { start, end } = unquotedName(analysis.text, word);
    record(symbol, start, end, false, keyword, declaration, byIndex ? true : undefined);
  };
  for (const stage of table.stages) {
    if (stage.baseStage !== undefined && stage.from.image) use(stage.baseStage, stage.from.image, 'FROM', false);
    for (const copy of stage.copies) {
      if ('stage' in copy.ref && copy.flag.valueWord) use(copy.ref.stage, copy.flag.valueWord, copy.instruction.keyword, /^[+-]?\d+$/.test(copy.flag.value ?? ''));
    }
  }
}

/** The lines of `text` (starting at offset `base`) with their offsets. */
function linesOf(text: string, base: number): [number, string][] {
  const out: [number, string][] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    out.push([base + at, line]);
    at += line.length + 1;
  }
  return out;
}

/** The values of an instruction's flags (`--platform=$BUILDPLATFORM`, `--chmod=${MODE}`). */
export function flagWords(instruction: Instruction): Word[] {
  const words: Word[] = [];
  for (const flag of instruction.flags) if (flag.valueWord) words.push(flag.valueWord);
  return words;
}

/** Every word of an instruction that may hold variable references. */
function wordsOf(instruction: Instruction): Word[] {
  const words = [...flagWords(instruction), ...instruction.args];
  if (isKnown(instruction)) {
    if (instruction.keyword === 'LABEL' || instruction.keyword === 'ENV' || instruction.keyword === 'APPENV') {
      for (const pair of instruction.pairs) if (pair.value) words.push(pair.value);
    }
  }
  return words;
}

/** The name inside a word: a JSON string's range includes its quotes, which rename must keep. */
export function unquotedName(text: string, word: Word): { start: number; end: number } {
  const start = word.range.start.offset;
  const end = word.range.end.offset;
  if (end - start >= 2 && text[start] === '"' && text[end - 1] === '"') return { start: start + 1, end: end - 1 };
  return { start, end };
}

/** The occurrence whose name contains (or touches) `offset`. */
export function occurrenceAt(table: SymbolTable, offset: number): Occurrence | undefined {
  return table.occurrences.find((o) => o.start <= offset && offset <= o.end);
}

/** The declaration a use resolves to; for applications declared after their use, the declaration (none for an unnamed stage). */
export function resolvedDeclaration(occurrence: Occurrence): Occurrence | undefined {
  if (occurrence.declaration) return occurrence;
  return occurrence.resolved ?? (occurrence.symbol.namespace === 'application' ? occurrence.symbol.declarations[0] : undefined);
}
