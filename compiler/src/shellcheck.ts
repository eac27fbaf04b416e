/**
 * ShellCheck in Kubefiles (KF4001): the shell code of RUN, CMD, CMDS, APPCMDS and the heredocs a
 * shell runs, checked one script per command, with each finding mapped back to its exact source
 * range (across continuation lines, JSON string escapes and heredoc bodies). Pure: ShellCheck itself
 * is reached through an injected `ShellChecker` (`nodeShellChecker` from `@kubefile/compiler/node`).
 */
import { createDiagnostic, endOffsetOf, isInstruction, LineMap, sortDiagnostics, startOffsetOf, type Diagnostic, type EscapeChar, type Heredoc, type Instruction, type Kubefile, type Range, type Severity, type Word } from '@kubefile/grammar';
import { execFormCommands, isCommandLineList, keepWord } from './cmd.js';
import { variableNamesIn } from './expand.js';
import { DEFAULT_PLATFORM, platformVariables } from './platform.js';

/** The shells ShellCheck knows (`--shell=`). */
export type ShellDialect = 'sh' | 'bash' | 'dash' | 'ksh';

/** One finding, as in ShellCheck's `--format=json1`: lines and columns 1-based, columns in code points, a tab one column, ends exclusive. */
export interface ShellCheckComment {
  line: number;
  endLine: number;
  column: number;
  endColumn: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

/** ShellCheck's `--format=json1` output. */
export interface ShellCheckOutput {
  comments: ShellCheckComment[];
}

/** Runs ShellCheck on one script. Rejects with a one-line message when ShellCheck cannot run. */
export interface ShellChecker {
  check(script: string, dialect: ShellDialect): Promise<ShellCheckOutput>;
}

/**
 * Codes that are noise for Kubefiles: SC1090/SC1091 say a sourced file was not followed, and the
 * files a RUN sources are in the image being built, never beside the Kubefile for ShellCheck to read.
 */
const EXCLUDED_CODES: ReadonlySet<number> = new Set([1090, 1091]);

const SEVERITY: Record<ShellCheckComment['level'], Severity> = { error: 'error', warning: 'warning', info: 'info', style: 'hint' };

/** Platform variables every command sees (ARCH, TARGETARCH, BUILDOS ...). */
const PLATFORM_VARIABLES: readonly string[] = Object.keys(platformVariables(DEFAULT_PLATFORM, DEFAULT_PLATFORM));

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A script and where each of its UTF-16 code units comes from in the Kubefile. Kept as segments: a
 * copied run of source (character i at `source + i`), or text spelled by a source span (a JSON
 * escape, a whole string that cannot be mapped finer) whose every character maps to that span.
 * Characters the Kubefile does not spell out (the blank joining APPCMDS strings, a heredoc's
 * delimiter line) get an empty span next to the text they follow.
 */
export class MappedScript {
  text = '';
  /** Per segment: its start in the script, its source span, and whether it is a copy. */
  private readonly starts: number[] = [];
  private readonly sourceStarts: number[] = [];
  private readonly sourceEnds: number[] = [];
  private readonly copies: boolean[] = [];

  /** `source[start, end)` as it is: one script character per source character. */
  appendSource(source: string, start: number, end: number): void {
    if (end <= start) return;
    const last = this.starts.length - 1;
    // A copy right after a copy of the text before it extends it.
    if (last >= 0 && this.copies[last] && this.sourceEnds[last] === start) this.sourceEnds[last] = end;
    else this.push(start, end, true);
    this.text += source.slice(start, end);
  }

  /** `text` written by `source[start, end)` (a JSON escape, or a whole string when it cannot be mapped finer). */
  appendSpelled(text: string, start: number, end: number): void {
    if (text === '') return;
    this.push(start, end, false);
    this.text += text;
  }

  /** `from`'s characters `[start, end)` with their source spans. */
  appendFrom(from: MappedScript, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const s = lastAtOrBefore(from.starts, i);
      const segmentEnd = Math.min(end, s + 1 < from.starts.length ? from.starts[s + 1]! : from.text.length);
      if (from.copies[s]) {
        const at = from.sourceStarts[s]! + (i - from.starts[s]!);
        this.appendCopied(from.text.slice(i, segmentEnd), at);
      } else {
        this.appendSpelled(from.text.slice(i, segmentEnd), from.sourceStarts[s]!, from.sourceEnds[s]!);
      }
      i = segmentEnd;
    }
  }

  private appendCopied(text: string, at: number): void {
    const last = this.starts.length - 1;
    if (last >= 0 && this.copies[last] && this.sourceEnds[last] === at) this.sourceEnds[last] = at + text.length;
    else this.push(at, at + text.length, true);
    this.text += text;
  }

  private push(start: number, end: number, copy: boolean): void {
    this.starts.push(this.text.length);
    this.sourceStarts.push(start);
    this.sourceEnds.push(end);
    this.copies.push(copy);
  }

  /** The source span of script character `i` (the last one's end when `i` is past the text). */
  private spanOf(i: number): { start: number; end: number } {
    const s = lastAtOrBefore(this.starts, i);
    if (!this.copies[s]) return { start: this.sourceStarts[s]!, end: this.sourceEnds[s]! };
    const at = this.sourceStarts[s]! + (i - this.starts[s]!);
    return { start: at, end: at + 1 };
  }

  /** The source offsets of script offsets `[start, end)`. */
  sourceSpan(start: number, end: number): { start: number; end: number } {
    const n = this.text.length;
    if (n === 0) return { start: 0, end: 0 };
    const from = start >= n ? this.spanOf(n - 1).end : this.spanOf(start).start;
    if (end <= start) return { start: from, end: from };
    return { start: from, end: Math.max(from, this.spanOf(Math.min(end, n) - 1).end) };
  }
}

/** Index of the last element of an ascending list that is <= value (0 when none is). */
function lastAtOrBefore(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (sorted[mid]! <= value) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** One command to check: the script (a declaration header then the command) and its dialect. */
export interface ShellScript {
  instruction: Instruction;
  dialect: ShellDialect;
  /** The command, mapped to the source. */
  command: MappedScript;
  /** The variables declared to ShellCheck before the command (`export ARCH ...`). */
  variables: readonly string[];
}

/**
 * The header line declaring the known variables the command mentions: exported, so ShellCheck takes
 * them as set from outside. Only those: a big Kubefile knows thousands of names, and a header of all
 * of them made each check slower the later its command came (minutes for 27k lines).
 */
function headerOf(variables: readonly string[], command: string): string {
  const mentioned = variableNamesIn(command);
  const declared = variables.filter((name) => mentioned.has(name));
  // Line 1 is always the header (findings map from line 2); `:` does nothing when nothing is declared.
  return declared.length > 0 ? `export ${declared.join(' ')}\n` : ':\n';
}

/** The whole text handed to ShellCheck. */
export function scriptText(script: ShellScript): string {
  return headerOf(script.variables, script.command.text) + script.command.text;
}

/**
 * The logical text of `source[start, end)` (continuations cut out as the lexer does: an escape that
 * is not part of a run of escapes, then blanks to the end of the line, then the blank and comment
 * lines BuildKit drops), appended to `out` with each character's source offset.
 */
function appendLogical(out: MappedScript, source: string, start: number, end: number, escape: EscapeChar): void {
  let i = start;
  while (i < end) {
    const at = source.indexOf(escape, i);
    if (at === -1 || at >= end) {
      out.appendSource(source, i, end);
      return;
    }
    let run = 1;
    while (at + run < end && source[at + run] === escape) run++;
    if (run === 1 && endsLine(source, at)) {
      out.appendSource(source, i, at);
      i = continuationEnd(source, at);
    } else {
      out.appendSource(source, i, at + run);
      i = at + run;
    }
  }
}

/** The lexer's rule: an escape followed by `[ \t]*\r*` then a newline (or the end). */
function endsLine(text: string, i: number): boolean {
  let j = i + 1;
  while (text.charCodeAt(j) === 32 || text.charCodeAt(j) === 9) j++;
  while (text.charCodeAt(j) === 13) j++;
  return j >= text.length || text.charCodeAt(j) === 10;
}

/** Just past a continuation starting at the escape `offset`: its newline, then blank and comment lines. */
function continuationEnd(text: string, offset: number): number {
  let i = text.indexOf('\n', offset);
  i = i === -1 ? text.length : i + 1;
  while (i < text.length) {
    let j = i;
    while (j < text.length && /\s/.test(text[j]!) && text[j] !== '\n') j++;
    if (text.charCodeAt(j) === 35) {
      const nl = text.indexOf('\n', j);
      j = nl === -1 ? text.length : nl;
    }
    if (j >= text.length) return j;
    if (text.charCodeAt(j) !== 10) break;
    i = j + 1;
  }
  return i;
}

/** A shell-form word (its logical text), mapped through its continuations; the whole word when that fails. */
function mapShellWord(out: MappedScript, source: string, word: Word, escape: EscapeChar): void {
  const start = startOffsetOf(word.range);
  const end = endOffsetOf(word.range);
  const mapped = new MappedScript();
  appendLogical(mapped, source, start, end, escape);
  if (mapped.text === word.text) out.appendFrom(mapped, 0, mapped.text.length);
  else out.appendSpelled(word.text, start, end);
}

const JSON_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A JSON string word (its range covers the literal, quotes included), decoded with each character
 * mapped to what spells it: `\"` and `\u00e9` map to their whole escape. When the literal does not
 * decode to the word's text (it should not happen), every character maps to the whole literal.
 */
function mapJsonString(out: MappedScript, source: string, word: Word, escape: EscapeChar, text = word.text): void {
  const start = startOffsetOf(word.range);
  const end = endOffsetOf(word.range);
  const literal = new MappedScript();
  appendLogical(literal, source, start, end, escape);
  const decoded = new MappedScript();
  const raw = literal.text;
  let ok = raw.length >= 2 && raw[0] === '"' && raw[raw.length - 1] === '"';
  for (let i = 1; ok && i < raw.length - 1; ) {
    if (raw[i] !== '\\') {
      // A run of plain characters, copied with their source offsets.
      let j = raw.indexOf('\\', i);
      if (j === -1) j = raw.length - 1;
      decoded.appendFrom(literal, i, j);
      i = j;
      continue;
    }
    // An escape: one character (a UTF-16 unit for `\\uXXXX`) spelled by the whole escape.
    const next = raw[i + 1] ?? '';
    let value: string;
    let length: number;
    if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(raw.slice(i + 2, i + 6))) {
      value = String.fromCharCode(parseInt(raw.slice(i + 2, i + 6), 16));
      length = 6;
    } else if (Object.hasOwn(JSON_ESCAPES, next)) {
      value = JSON_ESCAPES[next]!;
      length = 2;
    } else {
      ok = false;
      break;
    }
    const span = literal.sourceSpan(i, i + length);
    decoded.appendSpelled(value, span.start, span.end);
    i += length;
  }
  if (ok && decoded.text === word.text) {
    // `text` is the word as the command uses it: trimmed (CMD's command lines) or the same.
    const at = decoded.text.indexOf(text);
    out.appendFrom(decoded, at, at + text.length);
  } else {
    out.appendSpelled(text, start, end);
  }
}

/** A heredoc body (CRLF read as LF), mapped character for character. */
function mapHeredocBody(out: MappedScript, source: string, heredoc: Heredoc): void {
  const start = startOffsetOf(heredoc.contentRange);
  const end = endOffsetOf(heredoc.contentRange);
  let i = start;
  for (let cr = source.indexOf('\r\n', i); cr !== -1 && cr < end; cr = source.indexOf('\r\n', i)) {
    out.appendSource(source, i, cr);
    i = cr + 1;
  }
  out.appendSource(source, i, end);
}

/** `RUN <<EOF` with no other command: the body is the script (as the runtime runs it). */
const HEREDOC_ONLY = /^\s*(\d?<<-?["']?\w+["']?\s*)+$/;

/** A shell that runs a heredoc body as its script: `bash <<EOF`, `sh -s <<EOF`, `FOO=1 /bin/sh -eu <<EOF`. */
function heredocShell(commandLine: string, heredoc: Heredoc, index: number): ShellDialect | undefined {
  // The index-th `<<` of the line: the text before it up to the previous command separator.
  const starts = [...commandLine.matchAll(/\d?<<-?\s*["']?\w+["']?/g)];
  const at = starts[index];
  if (!at || at.index === undefined || !at[0].includes(heredoc.name)) return undefined;
  const before = commandLine.slice(0, at.index);
  const segment = before.split(/&&|\|\||[;|&(\n]/).pop() ?? '';
  const words = segment.trim().split(/\s+/).filter((w) => w !== '');
  while (words.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=\S*$/.test(words[0]!)) words.shift();
  if (words.length === 0) return undefined;
  const dialect = dialectOfProgram(words[0]!);
  if (!dialect) return undefined;
  // Options only (`-s`, `-eux`, `+x`); `-c` makes the body the shell's input, not its script.
  const options = words.slice(1);
  if (!options.every((w) => /^[-+][a-z]+$/i.test(w) && !w.includes('c'))) return undefined;
  return dialect;
}

function dialectOfProgram(program: string): ShellDialect | undefined {
  const name = program.slice(program.lastIndexOf('/') + 1);
  if (name === 'sh' || name === 'ash') return 'sh';
  if (name === 'bash' || name === 'dash' || name === 'ksh') return name;
  return undefined;
}

/**
 * The dialect a script's `#!` line names; `undefined` for another language (a python heredoc is not
 * shell code), `fallback` when there is no `#!` line.
 */
function shebangDialect(body: string, fallback: ShellDialect): ShellDialect | undefined {
  if (!body.startsWith('#!')) return fallback;
  const words = body.slice(2, body.indexOf('\n') === -1 ? body.length : body.indexOf('\n')).trim().split(/\s+/);
  const program = words[0]?.endsWith('/env') ? words.find((w, i) => i > 0 && !w.startsWith('-')) : words[0];
  return program === undefined ? undefined : dialectOfProgram(program);
}

/** Variables known before each instruction: the platform variables, then every ARG and ENV (and APPENV) name declared so far. */
function knownVariables(file: Kubefile): Map<Instruction, readonly string[]> {
  const known = new Map<Instruction, readonly string[]>();
  const names = new Set(PLATFORM_VARIABLES);
  let current: readonly string[] = [...names];
  for (const instruction of file.instructions) {
    known.set(instruction, current);
    const declared = isInstruction(instruction, 'ARG')
      ? instruction.declarations.map((d) => d.name.text)
      : isInstruction(instruction, 'ENV') || isInstruction(instruction, 'APPENV')
        ? instruction.pairs.map((p) => p.name.text)
        : [];
    const fresh = declared.filter((name) => SHELL_NAME.test(name) && !names.has(name));
    if (fresh.length > 0) {
      for (const name of fresh) names.add(name);
      current = [...names];
    }
  }
  return known;
}

/** Whether a word is a JSON string literal (exec form), told by its first source character. */
function isJsonString(source: string, word: Word): boolean {
  return source.charCodeAt(startOffsetOf(word.range)) === 34;
}

/** Every command of the Kubefile that a shell runs, one script each, mapped to the source. */
export function shellScripts(file: Kubefile, source: string): ShellScript[] {
  const scripts: ShellScript[] = [];
  const known = knownVariables(file);
  const escape = file.escapeChar;
  for (const instruction of file.instructions) {
    const variables = known.get(instruction) ?? PLATFORM_VARIABLES;
    const add = (dialect: ShellDialect, command: MappedScript) => {
      if (command.text.trim() !== '') scripts.push({ instruction, dialect, command, variables });
    };
    if (isInstruction(instruction, 'RUN') && instruction.command) {
      // RUN runs under /bin/sh -c (runtime/src/build/run.ts).
      const command = new MappedScript();
      mapShellWord(command, source, instruction.command, escape);
      const heredocs = instruction.heredocs;
      if (heredocs.length > 0 && HEREDOC_ONLY.test(instruction.command.text)) {
        const body = new MappedScript();
        mapHeredocBody(body, source, heredocs[0]!);
        const dialect = shebangDialect(body.text, 'sh');
        if (dialect) add(dialect, body);
        continue;
      }
      // The shell reads the bodies after the command line, each closed by its delimiter line.
      for (const heredoc of heredocs) {
        command.appendSpelled('\n', endOffsetOf(instruction.command.range), endOffsetOf(instruction.command.range));
        mapHeredocBody(command, source, heredoc);
        const at = endOffsetOf(heredoc.contentRange);
        command.appendSpelled(heredoc.name, at, at);
      }
      add('sh', command);
      heredocs.forEach((heredoc, i) => {
        const shell = heredocShell(instruction.command!.text, heredoc, i);
        if (!shell) return;
        const body = new MappedScript();
        mapHeredocBody(body, source, heredoc);
        const dialect = shebangDialect(body.text, shell);
        if (dialect) add(dialect, body);
      });
    } else if (isInstruction(instruction, 'CMD')) {
      // Launch commands run on the cluster's hosts, under bash (as sealer runs them).
      if (instruction.command) {
        const command = new MappedScript();
        mapShellWord(command, source, instruction.command, escape);
        add('bash', command);
      } else if (instruction.form === 'exec') {
        addExecFormCommands(instruction.args, source, escape, (command) => add('bash', command));
      }
    } else if (isInstruction(instruction, 'CMDS') && instruction.form === 'exec') {
      for (const word of instruction.commands) {
        if (!isJsonString(source, word)) continue;
        const command = new MappedScript();
        mapJsonString(command, source, word, escape);
        add('bash', command);
      }
    } else if (isInstruction(instruction, 'APPCMDS') && instruction.command.length > 0) {
      // The strings joined by blanks form one command.
      const command = new MappedScript();
      instruction.command.forEach((word, i) => {
        if (i > 0) command.appendSpelled(' ', endOffsetOf(instruction.command[i - 1]!.range), endOffsetOf(instruction.command[i - 1]!.range));
        if (isJsonString(source, word)) mapJsonString(command, source, word, escape);
        else mapShellWord(command, source, word, escape);
      });
      add('bash', command);
    }
  }
  return scripts;
}

/** CMD's exec form, read as `execFormCommands` reads it: one command per string, or one argv joined by blanks. */
function addExecFormCommands(words: readonly Word[], source: string, escape: EscapeChar, add: (command: MappedScript) => void): void {
  const strings = words.map((w) => w.text);
  const expected = execFormCommands(strings);
  if (isCommandLineList(strings)) {
    for (const word of words) {
      const text = word.text.trim();
      if (text === '' || !isJsonString(source, word)) continue;
      const command = new MappedScript();
      mapJsonString(command, source, word, escape, text);
      add(command);
    }
    return;
  }
  // One program's argv: each word as it is, or quoted as execFormCommands quotes it (then mapped as a whole).
  const command = new MappedScript();
  words.forEach((word, i) => {
    if (i > 0) {
      const at = endOffsetOf(words[i - 1]!.range);
      command.appendSpelled(' ', at, at);
    }
    const kept = keepWord(word.text);
    if (kept === word.text && isJsonString(source, word)) mapJsonString(command, source, word, escape);
    else command.appendSpelled(kept, startOffsetOf(word.range), endOffsetOf(word.range));
  });
  if (command.text === expected[0]) add(command);
}

/**
 * ShellCheck's results by script text and dialect, kept across checks: an editor re-checks only the
 * commands that changed. Failed runs are not kept. The oldest entries go past `limit`.
 */
export class ShellCheckCache {
  private readonly entries = new Map<string, { result: Promise<ShellCheckOutput>; output?: ShellCheckOutput }>();

  constructor(private readonly limit = 2000) {}

  get(checker: ShellChecker, script: string, dialect: ShellDialect): Promise<ShellCheckOutput> {
    const key = `${dialect}\0${script}`;
    const cached = this.entries.get(key);
    if (cached) {
      // Most recently used last, so the oldest go first.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.result;
    }
    const entry: { result: Promise<ShellCheckOutput>; output?: ShellCheckOutput } = { result: checker.check(script, dialect) };
    entry.result.then(
      (output) => (entry.output = output),
      () => this.entries.delete(key),
    );
    this.entries.set(key, entry);
    while (this.entries.size > this.limit) this.entries.delete(this.entries.keys().next().value as string);
    return entry.result;
  }

  /** A finished result, without starting a run. */
  peek(script: string, dialect: ShellDialect): ShellCheckOutput | undefined {
    return this.entries.get(`${dialect}\0${script}`)?.output;
  }
}

/**
 * The findings the cache already has for this version, at once and without running ShellCheck: an
 * editor shows them with the compile's diagnostics (unchanged commands keep their findings while
 * typing). `complete` is false when some command has no result yet.
 */
export function cachedShellCheck(file: Kubefile, source: string, cache: ShellCheckCache): { diagnostics: Diagnostic[]; complete: boolean } {
  const lines = new LineMap(source);
  let complete = true;
  const diagnostics: Diagnostic[] = [];
  for (const script of shellScripts(file, source)) {
    const output = cache.peek(scriptText(script), script.dialect);
    if (output) diagnostics.push(...findingsOf(script, output, lines));
    else complete = false;
  }
  return { diagnostics: sortDiagnostics(diagnostics), complete };
}

export interface ShellCheckOptions {
  checker: ShellChecker;
  /** Results kept from earlier checks (a new cache per call otherwise). */
  cache?: ShellCheckCache;
  /** Stops starting new runs (an editor's newer version makes this one's results useless). */
  signal?: { readonly aborted: boolean };
}

export interface ShellCheckResult {
  /** KF4001 diagnostics, in source order. */
  diagnostics: Diagnostic[];
  /** Why ShellCheck could not run, one line per distinct reason (empty when every run worked). */
  failures: string[];
}

/** Runs ShellCheck on every shell command of a Kubefile and reports its findings as KF4001 diagnostics. */
export async function shellCheck(file: Kubefile, source: string, options: ShellCheckOptions): Promise<ShellCheckResult> {
  const cache = options.cache ?? new ShellCheckCache();
  const scripts = shellScripts(file, source);
  const lines = new LineMap(source);
  const failures = new Set<string>();
  const results = await Promise.all(
    scripts.map(async (script) => {
      if (options.signal?.aborted) return [];
      try {
        const output = await cache.get(options.checker, scriptText(script), script.dialect);
        return findingsOf(script, output, lines);
      } catch (error) {
        failures.add(error instanceof Error ? error.message : String(error));
        return [];
      }
    }),
  );
  return { diagnostics: sortDiagnostics(results.flat()), failures: [...failures] };
}

/** ShellCheck's findings on one script as diagnostics; those in the header are dropped. */
export function findingsOf(script: ShellScript, output: ShellCheckOutput, lines: LineMap): Diagnostic[] {
  const text = script.command.text;
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  // Line 1 is the header; the command's line n is ShellCheck's line n + 1.
  const offsetOf = (line: number, column: number): number => {
    const lineStart = starts[Math.min(Math.max(line - 2, 0), starts.length - 1)]!;
    const lineEnd = line - 1 < starts.length ? starts[line - 1]! - 1 : text.length;
    // json1 columns count characters (code points), a tab as one: the legacy `json` format is the one
    // that counts a tab to the next multiple of 8. A JavaScript string counts UTF-16 units.
    let offset = lineStart;
    for (let n = 1; n < column && offset < lineEnd; n++) offset += (text.codePointAt(offset) ?? 0) > 0xffff ? 2 : 1;
    return offset;
  };
  const out: Diagnostic[] = [];
  for (const comment of output.comments) {
    if (comment.line < 2 || EXCLUDED_CODES.has(comment.code)) continue;
    const start = offsetOf(comment.line, comment.column);
    const end = Math.max(start, offsetOf(comment.endLine, comment.endColumn));
    const span = script.command.sourceSpan(start, end);
    const id = `SC${comment.code}`;
    const diagnostic = createDiagnostic('KF4001', lines.range(span.start, span.end) as Range, comment.message);
    diagnostic.severity = SEVERITY[comment.level] ?? 'warning';
    diagnostic.rule = { id, href: `https://www.shellcheck.net/wiki/${id}` };
    out.push(diagnostic);
  }
  return out;
}
