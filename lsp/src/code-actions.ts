/**
 * Code actions: the catalogue's fixes as quick fixes, plus fixes the grammar and compiler do not
 * attach (declaring a missing ARG, correcting a misspelt variable, stringifying JSON elements) and
 * keyword-case / exec-form rewrites for the instructions in the requested range.
 */
import { isKnown, type Diagnostic, type Fix, type Instruction, type TextEdit as GrammarEdit } from '@kubefile/grammar';
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic, type Range as LspRange, type TextEdit } from 'vscode-languageserver';
import type { Analysis } from './analysis.js';
import { toLspRange } from './convert.js';

export function codeActions(analysis: Analysis, range: LspRange, diagnostics: readonly LspDiagnostic[], uri: string): CodeAction[] {
  const actions: CodeAction[] = [];
  const action = (title: string, kind: string, edits: readonly GrammarEdit[], linked?: LspDiagnostic, preferred?: boolean): CodeAction => {
    const out: CodeAction = { title, kind, edit: { changes: { [uri]: edits.map((e): TextEdit => ({ range: toLspRange(e.range), newText: e.newText })) } } };
    if (linked) out.diagnostics = [linked];
    if (preferred) out.isPreferred = true;
    return out;
  };

  const fixedKeywords = new Set<number>();
  for (const lsp of diagnostics) {
    if (!intersects(lsp.range, range)) continue;
    const diagnostic = analysis.result.diagnostics.find((d) => d.code === lsp.code && sameRange(toLspRange(d.range), lsp.range));
    if (!diagnostic) continue;
    const fixes = [...(diagnostic.fixes ?? []), ...extraFixes(analysis, diagnostic)];
    for (const fix of fixes) actions.push(action(fix.title, CodeActionKind.QuickFix, fix.edits, lsp, fixes.length === 1));
    if (diagnostic.code === 'KF2012') fixedKeywords.add(diagnostic.range.start.offset);
  }

  // Rewrites offered without a diagnostic (KF2012 is off by default).
  for (const instruction of analysis.result.ast.instructions) {
    if (!intersects(toLspRange(instruction.range), range)) continue;
    if (isKnown(instruction) && instruction.keywordText !== instruction.keyword && !fixedKeywords.has(instruction.keywordRange.start.offset)) {
      actions.push(action(`Change to ${instruction.keyword}`, CodeActionKind.RefactorRewrite, [{ range: instruction.keywordRange, newText: instruction.keyword }]));
    }
    const exec = toExecForm(instruction);
    if (exec) actions.push(action('Convert to exec form (JSON array)', CodeActionKind.RefactorRewrite, [exec]));
  }
  return actions;
}

/** Fixes for diagnostics that come without one. */
function extraFixes(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  switch (diagnostic.code) {
    case 'KF3001':
      return undefinedVariableFixes(analysis, diagnostic);
    case 'KF1005':
      return stringifyFix(analysis, diagnostic);
    default:
      return [];
  }
}

/** KF3001: use the suggested name, or declare the variable with ARG where it is in scope. */
function undefinedVariableFixes(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  const { text } = analysis;
  const { ast, lines } = analysis.result;
  const start = diagnostic.range.start.offset;
  // The range is the variable's name; a `$NAME` / `${NAME...}` range is read too.
  const reference = /^\$?\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(text.slice(start, diagnostic.range.end.offset));
  if (!reference) return [];
  const name = reference[1];
  const fixes: Fix[] = [];
  const suggestion = /did you mean ([A-Za-z_][A-Za-z0-9_]*)\?/.exec(diagnostic.message)?.[1];
  if (suggestion && suggestion !== name) {
    const nameStart = start + reference[0].length - name.length;
    fixes.push({ title: `Change to ${suggestion}`, edits: [{ range: lines.range(nameStart, nameStart + name.length), newText: suggestion }] });
  }

  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const instructions = ast.instructions;
  const user = instructions.findIndex((i) => i.range.start.offset <= start && start <= i.range.end.offset);
  const from = instructions.findIndex((i) => i.keyword === 'FROM');
  let edit: GrammarEdit;
  let where: string;
  if (user === -1) return fixes;
  if (from === -1 || user <= from) {
    // Used in FROM (or before it): only an ARG before FROM is in scope there.
    const at = instructions[user].range.start.offset - instructions[user].range.start.column;
    edit = { range: lines.range(at, at), newText: `ARG ${name}${eol}` };
    where = 'before';
  } else {
    // After FROM, on the line after the FROM instruction (and its heredocs, continuations).
    const end = instructions[from].range.end;
    const nextLine = end.line + 1 < lines.lineCount ? lines.lineStarts[end.line + 1] : undefined;
    edit = nextLine === undefined ? { range: lines.range(text.length, text.length), newText: `${eol}ARG ${name}` } : { range: lines.range(nextLine, nextLine), newText: `ARG ${name}${eol}` };
    where = 'after';
  }
  fixes.push({ title: `Declare ARG ${name} ${where} FROM`, edits: [edit] });
  return fixes;
}

/** KF1005: `["sleep", 10]` → `["sleep", "10"]` (numbers, booleans and null written as strings). */
function stringifyFix(analysis: Analysis, diagnostic: Diagnostic): Fix[] {
  const source = analysis.text.slice(diagnostic.range.start.offset, diagnostic.range.end.offset);
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const elements: unknown[] = parsed;
  if (elements.some((e) => typeof e === 'object' && e !== null)) return [];
  const fixed = `[${elements.map((e) => JSON.stringify(String(e))).join(', ')}]`;
  return [{ title: 'Write the elements as strings', edits: [{ range: diagnostic.range, newText: fixed }] }];
}

/** Characters that make a shell command more than a list of words (expansion, redirection, quoting, globbing, operators). */
const SHELL_SPECIAL = /[\s\\$`"'|&;<>(){}*?[\]~#!]/;

/**
 * Shell form → exec form for RUN and CMD, offered only when the command is plain words: then the
 * shell would just split it on blanks and exec it, so the JSON array means the same.
 */
function toExecForm(instruction: Instruction): GrammarEdit | undefined {
  if ((instruction.keyword !== 'RUN' && instruction.keyword !== 'CMD') || instruction.form !== 'shell' || instruction.heredocs.length > 0) return undefined;
  const words = instruction.argsText.split(/[ \t]+/).filter((w) => w !== '');
  if (words.length === 0 || words.some((w) => SHELL_SPECIAL.test(w) || w.includes('='))) return undefined;
  // `a=b cmd` would set a variable in the shell; `=` anywhere is left alone to be safe.
  return { range: instruction.argsRange, newText: JSON.stringify(words).replace(/","/g, '", "') };
}

function sameRange(a: LspRange, b: LspRange): boolean {
  return a.start.line === b.start.line && a.start.character === b.start.character && a.end.line === b.end.line && a.end.character === b.end.character;
}

function before(a: LspRange['start'], b: LspRange['start']): boolean {
  return a.line < b.line || (a.line === b.line && a.character < b.character);
}

/** Touching counts: a cursor (empty range) at a diagnostic's end still gets its fixes. */
function intersects(a: LspRange, b: LspRange): boolean {
  return !before(a.end, b.start) && !before(b.end, a.start);
}
