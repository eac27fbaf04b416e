/**
 * The typed Kubefile AST. Every node, argument and variable reference carries its exact source
 * range, so tools never re-parse text. Argument text is the logical text: line continuations
 * removed, quotes kept (BuildKit removes them when it expands a word).
 */
import type { EscapeChar } from './directives.js';
import type { Keyword } from './instructions.js';
import type { Range } from './positions.js';
import type { LiteralPart, VariablePart, WordPart } from './variables.js';

export type AstWordPart = WordPart<Range>;
export type AstLiteral = LiteralPart<Range>;
export type AstVariable = VariablePart<Range>;

export interface Kubefile {
  type: 'Kubefile';
  range: Range;
  escapeChar: EscapeChar;
  directives: Directive[];
  comments: Comment[];
  instructions: Instruction[];
}

export interface Directive {
  type: 'Directive';
  /** Lower-cased: `escape`, `syntax` or `check`. */
  name: string;
  /** The name as written. */
  nameText: string;
  value: string;
  range: Range;
  nameRange: Range;
  valueRange: Range;
}

export interface Comment {
  type: 'Comment';
  /** The text after `#`. */
  text: string;
  range: Range;
}

/** One argument. For a JSON array element, `text` is the decoded string and `range` covers the literal. */
export interface Word {
  text: string;
  range: Range;
  /**
   * Literal text and variable references. Absent when the word has neither references nor quotes
   * (it is then one literal), and where nothing is expanded (exec form, names).
   */
  parts?: AstWordPart[];
}

export interface Flag {
  /** The flag name without `--`. */
  name: string;
  /** The value after `=` with quotes and escapes removed; undefined for `--flag` alone. */
  value?: string;
  /** The flag as written (logical text). */
  text: string;
  range: Range;
  nameRange: Range;
  valueRange?: Range;
  /**
   * The value after `=` as a word (quotes kept, range = `valueRange`) with its literal and variable
   * parts, so tools see `$BUILDPLATFORM` in `--platform=$BUILDPLATFORM`. Syntax problems inside it
   * are not reported by the parser: which flags BuildKit expands is the compiler's business.
   */
  valueWord?: Word;
}

export interface Heredoc {
  /** The delimiter, unquoted. */
  name: string;
  /** `<<-`: leading tabs are stripped from the body and the delimiter line. */
  chomp: boolean;
  /** False when the delimiter was quoted: the body is taken literally. */
  expand: boolean;
  fileDescriptor: number;
  /** The `<<EOF` word on the instruction line. */
  startRange: Range;
  /** The body lines, newline-terminated (CRLF read as LF). */
  content: string;
  contentRange: Range;
  /** Body and delimiter line. */
  range: Range;
  terminated: boolean;
}

export interface NameValue {
  /** The whole `name=value` word. */
  range: Range;
  name: Word;
  /** Absent for a bare name (`ARG name`). */
  value?: Word;
  /** `=` for `k=v`, ` ` for the legacy `ENV k v` form, `` for a bare name. */
  separator: '=' | ' ' | '';
}

interface InstructionBase {
  type: 'Instruction';
  /** Upper-cased keyword, or the upper-cased unknown word. */
  keyword: string;
  /** The keyword as written. */
  keywordText: string;
  keywordRange: Range;
  /** From the keyword to the end of the instruction's last line (its last heredoc included). */
  range: Range;
  flags: readonly Flag[];
  /** Everything after the keyword and flags, as one string (continuations removed, trimmed). */
  argsText: string;
  argsRange: Range;
  /** `exec` when the arguments are a JSON array of strings. */
  form: 'shell' | 'exec';
  /** Arguments as BuildKit's parser splits them for this instruction (see `kubefilec parse`). */
  args: readonly Word[];
  heredocs: readonly Heredoc[];
}

export interface FromInstruction extends InstructionBase {
  keyword: 'FROM';
  image?: Word;
  /** `FROM image AS name` (accepted for Dockerfile compatibility). */
  stageName?: Word;
}

export interface CopyInstruction extends InstructionBase {
  keyword: 'COPY' | 'ADD';
  sources: Word[];
  destination?: Word;
}

export interface CommandInstruction extends InstructionBase {
  keyword: 'RUN' | 'CMD';
  /** Shell form: the command text exactly as BuildKit hands it to the shell. */
  command?: Word;
}

export interface ArgInstruction extends InstructionBase {
  keyword: 'ARG';
  declarations: NameValue[];
}

export interface PairsInstruction extends InstructionBase {
  keyword: 'ENV' | 'LABEL';
  pairs: NameValue[];
}

export interface MaintainerInstruction extends InstructionBase {
  keyword: 'MAINTAINER';
  maintainer?: Word;
}

export interface AppInstruction extends InstructionBase {
  keyword: 'APP' | 'CNI' | 'CSI';
  name?: Word;
  sources: Word[];
}

export interface AppCmdsInstruction extends InstructionBase {
  keyword: 'APPCMDS';
  app?: Word;
  /** The JSON array's strings (joined with spaces, they form the launch command). */
  command: Word[];
}

export interface AppEnvInstruction extends InstructionBase {
  keyword: 'APPENV';
  app?: Word;
  pairs: NameValue[];
}

export interface LaunchInstruction extends InstructionBase {
  keyword: 'LAUNCH';
  apps: Word[];
}

export interface CmdsInstruction extends InstructionBase {
  keyword: 'CMDS';
  commands: Word[];
}

export interface KubeVersionInstruction extends InstructionBase {
  keyword: 'KUBEVERSION';
  constraint?: Word;
}

export interface UnknownInstruction extends InstructionBase {
  keyword: string;
  unknown: true;
}

export type KnownInstruction =
  | FromInstruction
  | CopyInstruction
  | CommandInstruction
  | ArgInstruction
  | PairsInstruction
  | MaintainerInstruction
  | AppInstruction
  | AppCmdsInstruction
  | AppEnvInstruction
  | LaunchInstruction
  | CmdsInstruction
  | KubeVersionInstruction;

export type Instruction = KnownInstruction | UnknownInstruction;

export function isKnown(instruction: Instruction): instruction is KnownInstruction {
  return !('unknown' in instruction);
}

/** The node type of a keyword: the union members whose keyword can be K (COPY → CopyInstruction). */
export type InstructionOf<K extends Keyword> = KnownInstruction extends infer T ? (T extends { keyword: infer W } ? (K extends W ? T : never) : never) : never;

/** Narrows an instruction to the node type of one keyword. */
export function isInstruction<K extends Keyword>(instruction: Instruction, keyword: K): instruction is InstructionOf<K> {
  return instruction.keyword === keyword && isKnown(instruction);
}
