/**
 * Rule control: which diagnostics a run reports, and at which severity. The last phase of `lint`
 * and `compile`, over everything the parser, the checks and the compiler found. Three sources:
 *
 * - the options (`--enable`/`--disable`, the editor's `kubefile.lint.*` settings): any code;
 * - BuildKit's `# check=` parser directive: `skip=CODE,...|all`, `error=true|false` (warnings become
 *   errors, as BuildKit fails the build on check violations) and `experimental=CODE,...|all`
 *   (BuildKit's opt-in rules: here the off-by-default codes), separated by `;`;
 * - `# kubefile-lint ignore=CODE,...` on the line(s) above an instruction: that instruction only.
 *
 * The directive and the comment never silence an error (a build must not start on a broken file
 * because a comment says so); the options can. Problems in them are KF2025, and what can be read
 * still applies.
 */
import {
  CATALOGUE,
  createDiagnostic,
  isReported,
  type Comment,
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticFilter,
  type Directive,
  type Instruction,
  type Kubefile,
  type Position,
  type Range,
  type Severity,
} from '@kubefile/grammar';

/** The comment that ignores codes on the next instruction: `# kubefile-lint ignore=KF3001,SC2086`. */
export const IGNORE_COMMENT_PREFIX = 'kubefile-lint';

/** A ShellCheck code, reported as `Diagnostic.rule.id` under KF4001. */
const SHELLCHECK_CODE = /^SC\d{4}$/;

/** A catalogue code or a ShellCheck code: what the directive, the comment and the options may name. */
export function isRuleCode(code: string): boolean {
  return Object.hasOwn(CATALOGUE, code) || SHELLCHECK_CODE.test(code);
}

/** The codes of a filter that name no rule (for the CLI's and the editor's messages). */
export function unknownFilterCodes(filter: DiagnosticFilter): string[] {
  const codes = [...(filter.enable ?? []), ...(filter.disable ?? []), ...Object.keys(filter.severity ?? {})];
  return [...new Set(codes.filter((code) => !isRuleCode(code)))];
}

/** What the `# check=` directive says, as read. */
export interface CheckDirective {
  skipAll: boolean;
  skip: Set<string>;
  experimentalAll: boolean;
  experimental: Set<string>;
  /** `error=true`: warnings are reported as errors. */
  error: boolean;
}

/** The codes an ignore comment silences, on the lines of the instruction it stands above. */
interface IgnoreScope {
  codes: Set<string>;
  firstLine: number;
  lastLine: number;
}

export interface RuleControlOptions {
  /**
   * Whether to add KF2025 for what the directive and comments cannot read (default true). False
   * for findings filtered after the compile (ShellCheck's), whose KF2025s the compile reported.
   */
  reportProblems?: boolean;
}

/**
 * Filters and re-grades `diagnostics` by the options, the file's `# check=` directive and its
 * ignore comments; adds KF2025 for what cannot be read. Returns new objects where a severity
 * changes (the input may be cached by an editor).
 */
export function applyRuleControl(file: Kubefile, diagnostics: readonly Diagnostic[], filter: DiagnosticFilter = {}, options: RuleControlOptions = {}): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const directive = file.directives.find((d) => d.name === 'check');
  const check = directive ? readCheckDirective(directive, problems) : undefined;
  // Only for a file with ignore comments: an editor runs this on every keystroke.
  let layout: Layout | undefined;
  const layoutOf = () => (layout ??= new Layout(file));
  const scopes: IgnoreScope[] = [];
  for (const comment of file.comments) {
    const scope = ignoreScope(layoutOf, comment, problems);
    if (scope) scopes.push(scope);
  }
  const ignored = scopes.length > 0 ? ignoredCodes(scopes) : undefined;

  const out: Diagnostic[] = [];
  for (const diagnostic of options.reportProblems === false ? diagnostics : diagnostics.concat(problems)) {
    const code = diagnostic.code;
    const id = diagnostic.rule?.id;
    const optionSeverity = severityOption(filter, id) ?? severityOption(filter, code);
    if (optionSeverity === 'off' || (id !== undefined && filter.disable?.includes(id))) continue;
    const enabled = check && (check.experimentalAll || check.experimental.has(code)) ? { ...filter, enable: [...(filter.enable ?? []), code] } : filter;
    if (!isReported(code, enabled)) continue;
    const skippable = CATALOGUE[code].severity !== 'error';
    if (skippable && check && (check.skipAll || check.skip.has(code) || (id !== undefined && check.skip.has(id)))) continue;
    const codes = ignored?.(diagnostic.range.start.line);
    if (skippable && codes && (codes.has(code) || (id !== undefined && codes.has(id)))) continue;
    let severity = optionSeverity ?? diagnostic.severity;
    if (check?.error && severity === 'warning') severity = 'error';
    out.push(severity === diagnostic.severity ? diagnostic : { ...diagnostic, severity });
  }
  return out;
}

/** The codes ignored on a line: the scopes of stacked comments merged per instruction, found by binary search. */
function ignoredCodes(scopes: readonly IgnoreScope[]): (line: number) => Set<string> | undefined {
  const byFirstLine = new Map<number, IgnoreScope>();
  for (const scope of scopes) {
    const merged = byFirstLine.get(scope.firstLine);
    if (merged) for (const code of scope.codes) merged.codes.add(code);
    else byFirstLine.set(scope.firstLine, { ...scope, codes: new Set(scope.codes) });
  }
  const sorted = [...byFirstLine.values()].sort((a, b) => a.firstLine - b.firstLine);
  const firstLines = sorted.map((s) => s.firstLine);
  return (line) => {
    const scope = sorted[Layout.firstAfter(firstLines, line) - 1];
    return scope && line <= scope.lastLine ? scope.codes : undefined;
  };
}

function severityOption(filter: DiagnosticFilter, key: string | undefined): Severity | 'off' | undefined {
  return key !== undefined && filter.severity && Object.hasOwn(filter.severity, key) ? filter.severity[key] : undefined;
}

/** A position `delta` code units further on the same line (directives and comments are one line each). */
function along(start: Position, delta: number): Position {
  return { offset: start.offset + delta, line: start.line, column: start.column + delta };
}

function span(start: Position, from: number, to: number): Range {
  return { start: along(start, from), end: along(start, to) };
}

/** One `a,b,c` list: its trimmed items with their places, relative to the list's start. */
function listItems(text: string): { item: string; from: number; to: number }[] {
  const items: { item: string; from: number; to: number }[] = [];
  let at = 0;
  for (const raw of text.split(',')) {
    const lead = raw.length - raw.trimStart().length;
    const item = raw.trim();
    items.push({ item, from: at + lead, to: at + lead + item.length });
    at += raw.length + 1;
  }
  return items;
}

/** Reads codes into `into`; unknown ones (and, where `skippable`, error codes) become KF2025. */
function readCodes(text: string, at: Position, offset: number, into: Set<string>, problems: Diagnostic[], where: string, skippable: boolean): void {
  for (const { item, from, to } of listItems(text)) {
    const range = span(at, offset + from, offset + to);
    if (item === '') {
      problems.push(createDiagnostic('KF2025', range, `Empty code in ${where}`));
    } else if (!isRuleCode(item)) {
      const upper = item.toUpperCase();
      const hint = isRuleCode(upper) ? ` (codes are case-sensitive: ${upper})` : ' (see docs/diagnostics.md)';
      problems.push(createDiagnostic('KF2025', range, `Unknown code ${item} in ${where}${hint}`));
    } else if (skippable && Object.hasOwn(CATALOGUE, item) && CATALOGUE[item as DiagnosticCode].severity === 'error') {
      problems.push(createDiagnostic('KF2025', range, `${item} is an error: ${where} cannot silence it (fix the problem, or use --disable ${item})`));
    } else {
      into.add(item);
    }
  }
}

/** BuildKit's `ParseLintOptions`, reading on past a bad option (BuildKit stops at the first). */
export function readCheckDirective(directive: Directive, problems: Diagnostic[]): CheckDirective {
  const check: CheckDirective = { skipAll: false, skip: new Set(), experimentalAll: false, experimental: new Set(), error: false };
  const at = directive.valueRange.start;
  let offset = 0;
  for (const part of directive.value.split(';')) {
    const partOffset = offset;
    offset += part.length + 1;
    const equals = part.indexOf('=');
    const lead = part.length - part.trimStart().length;
    if (equals === -1) {
      const range = part.trim() === '' ? span(at, partOffset, partOffset) : span(at, partOffset + lead, partOffset + part.trimEnd().length);
      problems.push(createDiagnostic('KF2025', range, `Invalid check option "${part.trim()}": options are skip=CODE,..., error=true|false and experimental=CODE,..., separated by ;`));
      continue;
    }
    const key = part.slice(0, equals).trim();
    const value = part.slice(equals + 1);
    const valueOffset = partOffset + equals + 1;
    const keyRange = span(at, partOffset + lead, partOffset + lead + key.length);
    if (key === 'skip' || key === 'experimental') {
      if (value.trim() === 'all') {
        if (key === 'skip') check.skipAll = true;
        else check.experimentalAll = true;
      } else {
        readCodes(value, at, valueOffset, key === 'skip' ? check.skip : check.experimental, problems, `the check directive's ${key}`, key === 'skip');
      }
    } else if (key === 'error') {
      const flag = parseGoBool(value.trim());
      if (flag === undefined) {
        const lead2 = value.length - value.trimStart().length;
        problems.push(createDiagnostic('KF2025', span(at, valueOffset + lead2, valueOffset + value.trimEnd().length), `Invalid value "${value.trim()}" for error: true or false`));
      } else {
        check.error = flag;
      }
    } else {
      problems.push(createDiagnostic('KF2025', keyRange, `Unknown check option "${key}": options are skip, error and experimental`));
    }
  }
  return check;
}

/** Go's strconv.ParseBool, which BuildKit reads `error=` with. */
function parseGoBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Where instructions and comment lines are, for finding what an ignore comment stands above in log time. */
class Layout {
  readonly starts: number[];
  readonly commentLines: number[];

  constructor(readonly file: Kubefile) {
    this.starts = file.instructions.map((i) => i.range.start.offset);
    this.commentLines = file.comments.map((c) => c.range.start.line).sort((a, b) => a - b);
  }

  /** Index of the first element of an ascending array greater than `value` (its length when none is). */
  static firstAfter(sorted: readonly number[], value: number): number {
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid] <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The instruction an ignore comment at `offset` on `line` stands above: the next one, with nothing
   * but comment lines between them (so several ignore comments may be stacked); none from inside an instruction.
   */
  instructionBelow(offset: number, line: number): Instruction | undefined {
    const index = Layout.firstAfter(this.starts, offset);
    const next = this.file.instructions[index];
    const previous = this.file.instructions[index - 1];
    if (!next || (previous && previous.range.end.offset > offset)) return undefined;
    const between = Layout.firstAfter(this.commentLines, next.range.start.line - 1) - Layout.firstAfter(this.commentLines, line);
    return between === next.range.start.line - line - 1 ? next : undefined;
  }
}

function ignoreScope(layoutOf: () => Layout, comment: Comment, problems: Diagnostic[]): IgnoreScope | undefined {
  if (!comment.text.includes(IGNORE_COMMENT_PREFIX)) return undefined;
  const match = /^([ \t]*)kubefile-lint(?=[ \t]|$)/.exec(comment.text);
  if (!match) return undefined;
  // Relative to `#`: the comment's text starts one code unit after it.
  const at = comment.range.start;
  const codes = new Set<string>();
  const words = /[^ \t]+/g;
  words.lastIndex = match[0].length;
  let named = false;
  let unknownOption = false;
  for (let word = words.exec(comment.text); word; word = words.exec(comment.text)) {
    // `# kubefile-lint ignore=SC2086 # why`: the rest is the reason.
    if (word[0].startsWith('#')) break;
    const from = 1 + word.index;
    if (word[0].startsWith('ignore=')) {
      named = true;
      readCodes(word[0].slice('ignore='.length), at, from + 'ignore='.length, codes, problems, 'the ignore comment', true);
    } else {
      unknownOption = true;
      problems.push(createDiagnostic('KF2025', span(at, from, from + word[0].length), `Unknown option "${word[0]}" in the ignore comment: write # ${IGNORE_COMMENT_PREFIX} ignore=CODE,...`));
    }
  }
  const commentRange = span(at, 0, 1 + comment.text.length);
  if (!named) {
    // An unknown option is already reported: one problem per mistake.
    if (!unknownOption) problems.push(createDiagnostic('KF2025', commentRange, `The ignore comment names no code: write # ${IGNORE_COMMENT_PREFIX} ignore=CODE,...`));
    return undefined;
  }
  const next = layoutOf().instructionBelow(at.offset, at.line);
  if (!next) {
    problems.push(createDiagnostic('KF2025', commentRange, 'The ignore comment applies to nothing: it must stand on the line above an instruction'));
    return undefined;
  }
  return { codes, firstLine: next.range.start.line, lastLine: next.range.end.line };
}
