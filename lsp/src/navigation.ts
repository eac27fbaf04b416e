/**
 * Go to definition, find references, document highlights and rename for ARG/ENV variables,
 * application names and stage names, all read from the symbol table.
 */
import type { DocumentHighlight, Location, Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { STAGE_NAME } from '@kubefile/compiler';
import { offsetAt, type Analysis } from './analysis.js';
import { toLspRange } from './convert.js';
import { DocumentHighlightKind, ResponseError, ErrorCodes } from './languageserver.js';
import { occurrenceAt, resolvedDeclaration, symbolTable, type KubefileSymbol, type Occurrence } from './symbols.js';

/** An LSP range from two offsets. */
export function rangeOf(analysis: Analysis, start: number, end: number): Range {
  const lines = analysis.result.lines;
  const s = lines.position(start);
  const e = lines.position(end);
  return { start: { line: s.line, character: s.column }, end: { line: e.line, character: e.column } };
}

function at(analysis: Analysis, position: Position): Occurrence | undefined {
  return occurrenceAt(symbolTable(analysis), offsetAt(analysis, position));
}

function allOf(symbol: KubefileSymbol): Occurrence[] {
  return [...symbol.declarations, ...symbol.references].sort((a, b) => a.start - b.start);
}

/**
 * Where the name under the cursor is declared (for a stage without a name, its FROM); null for an
 * undeclared (shell or predefined) variable.
 */
export function definition(analysis: Analysis, position: Position, uri: string): Location[] | null {
  const occurrence = at(analysis, position);
  if (!occurrence) return null;
  const declaration = resolvedDeclaration(occurrence);
  if (declaration) return [{ uri, range: rangeOf(analysis, declaration.start, declaration.end) }];
  const stage = occurrence.symbol.stage;
  return stage ? [{ uri, range: toLspRange(stage.from.range) }] : null;
}

export function references(analysis: Analysis, position: Position, uri: string, includeDeclaration: boolean): Location[] | null {
  const occurrence = at(analysis, position);
  if (!occurrence) return null;
  return allOf(occurrence.symbol)
    .filter((o) => includeDeclaration || !o.declaration)
    .map((o) => ({ uri, range: rangeOf(analysis, o.start, o.end) }));
}

export function documentHighlight(analysis: Analysis, position: Position): DocumentHighlight[] {
  const occurrence = at(analysis, position);
  if (!occurrence) return [];
  return allOf(occurrence.symbol).map((o) => ({
    range: rangeOf(analysis, o.start, o.end),
    kind: o.declaration ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Application names as sealer stores them: a directory name without spaces or quotes. */
const APPLICATION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Why the symbol cannot be renamed, or undefined when it can. */
function renameProblem(occurrence: Occurrence | undefined): string | undefined {
  if (!occurrence) return 'Only ARG, ENV, application and stage names can be renamed';
  // An unnamed stage is only ever named by its index, so this covers it too.
  if (occurrence.stageIndex) return 'This names a stage by its index: rename the stage\'s AS name instead (indexes are left as they are)';
  if (occurrence.symbol.declarations.length === 0) {
    return occurrence.symbol.namespace === 'variable'
      ? `${occurrence.symbol.name} is not declared in this Kubefile (a predefined or shell variable) and cannot be renamed`
      : `Application "${occurrence.symbol.name}" is not declared in this Kubefile and cannot be renamed`;
  }
  return undefined;
}

/**
 * The range of the name to rename and its text, or a `ResponseError` the server returns as is
 * (the client shows its message).
 */
export function prepareRename(analysis: Analysis, position: Position): { range: Range; placeholder: string } | ResponseError<void> {
  const occurrence = at(analysis, position);
  const problem = renameProblem(occurrence);
  if (problem || !occurrence) return new ResponseError(ErrorCodes.InvalidRequest, problem ?? '');
  return { range: rangeOf(analysis, occurrence.start, occurrence.end), placeholder: occurrence.symbol.name };
}

/**
 * Renames every declaration and use of the symbol under the cursor (`${X}`, `$X`, APP names in
 * APPCMDS/APPENV/LAUNCH). Null when there is nothing to rename here; a `ResponseError` for an
 * undeclared symbol or an invalid new name.
 */
export function rename(analysis: Analysis, position: Position, newName: string, uri: string): WorkspaceEdit | ResponseError<void> | null {
  const occurrence = at(analysis, position);
  if (!occurrence) return null;
  const problem = renameProblem(occurrence);
  if (problem) return new ResponseError(ErrorCodes.InvalidRequest, problem);
  const symbol = occurrence.symbol;
  if (symbol.namespace === 'variable' && !VARIABLE_NAME.test(newName)) {
    return new ResponseError(ErrorCodes.InvalidParams, `"${newName}" is not a valid variable name: use letters, digits and _, not starting with a digit`);
  }
  if (symbol.namespace === 'application' && !APPLICATION_NAME.test(newName)) {
    return new ResponseError(ErrorCodes.InvalidParams, `"${newName}" is not a valid application name: use letters, digits, '.', '_' and '-', starting with a letter or digit`);
  }
  if (symbol.namespace === 'stage') {
    const problem = stageNameProblem(analysis, symbol, newName);
    if (problem) return new ResponseError(ErrorCodes.InvalidParams, problem);
  }
  // A stage named by its index keeps its index.
  const edits: TextEdit[] = allOf(symbol)
    .filter((o) => !o.stageIndex)
    .map((o) => ({ range: rangeOf(analysis, o.start, o.end), newText: newName }));
  return { changes: { [uri]: edits } };
}

/** Why `newName` cannot name the stage: BuildKit's rule (lower case, as StageNameCasing wants), or another stage has it. */
function stageNameProblem(analysis: Analysis, symbol: KubefileSymbol, newName: string): string | undefined {
  if (!STAGE_NAME.test(newName)) {
    return `"${newName}" is not a valid stage name: use lower-case letters, digits, '-', '_' and '.', starting with a letter`;
  }
  const other = symbolTable(analysis).symbols.find((s) => s.namespace === 'stage' && s !== symbol && s.stage?.name === newName);
  if (other?.stage) return `Stage "${newName}" already exists (line ${other.stage.from.range.start.line + 1})`;
  return undefined;
}
