/**
 * Signature help: the shape of the instruction under the cursor (`COPY [--chmod=<perms>] <src>...
 * <dest>`) with the flag or argument being written highlighted. Flags come from the grammar's
 * instruction table; the active parameter is read from the AST's flag and argument ranges.
 */
import { INSTRUCTIONS, isKeyword, type FlagType, type Instruction, type Keyword } from '@kubefile/grammar';
import type { ParameterInformation, Position, SignatureHelp } from 'vscode-languageserver';
import { offsetAt, type Analysis } from './analysis.js';
import { instructionAtLine } from './completion.js';
import { FLAG_DOCS } from './instruction-docs.js';
import { MarkupKind } from './languageserver.js';

/** What the value of a flag is, in `--flag=<placeholder>`. */
const FLAG_PLACEHOLDERS: Readonly<Record<string, string>> = {
  platform: 'platform',
  from: 'image',
  chown: 'user:group',
  chmod: 'perms',
  exclude: 'pattern',
  checksum: 'digest',
  mount: 'type=...,target=...',
  network: 'default|none|host',
  security: 'sandbox|insecure',
  device: 'name',
};

/** The arguments of each instruction after its flags; the last may repeat (`<src>...`). */
const ARGUMENTS: Readonly<Record<Keyword, readonly string[]>> = {
  FROM: ['<image>', '[AS <name>]'],
  COPY: ['<src>...', '<dest>'],
  ADD: ['<src>...', '<dest>'],
  ARG: ['<name>[=<default>] ...'],
  RUN: ['<command>'],
  CMD: ['<command>'],
  ENV: ['<name>=<value> ...'],
  LABEL: ['<key>=<value> ...'],
  MAINTAINER: ['<name>'],
  APP: ['<name>', '<src>...'],
  CNI: ['<name>', '<src>...'],
  CSI: ['<name>', '<src>...'],
  APPCMDS: ['<app>', '["cmd", ...]'],
  APPENV: ['<app>', '<key>=<value> ...'],
  LAUNCH: ['["app", ...]'],
  CMDS: ['["command", ...]'],
  KUBEVERSION: ['<semver range>'],
};

interface Signature {
  label: string;
  parameters: [number, number][];
  /** Flag name → its parameter index. */
  flagIndex: Map<string, number>;
  /** Index of the first argument parameter. */
  firstArgument: number;
}

const signatures = new Map<Keyword, Signature>();

/** The signature of a keyword: its flags (from the grammar's table), then its arguments. */
export function signatureOf(keyword: Keyword): Signature {
  let signature = signatures.get(keyword);
  if (signature) return signature;
  let label = keyword;
  const parameters: [number, number][] = [];
  const flagIndex = new Map<string, number>();
  const add = (text: string) => {
    label += ' ';
    parameters.push([label.length, label.length + text.length]);
    label += text;
  };
  for (const [name, type] of Object.entries(INSTRUCTIONS[keyword].flags)) {
    flagIndex.set(name, parameters.length);
    add(flagText(name, type));
  }
  const firstArgument = parameters.length;
  for (const argument of ARGUMENTS[keyword]) add(argument);
  signature = { label, parameters, flagIndex, firstArgument };
  signatures.set(keyword, signature);
  return signature;
}

function flagText(name: string, type: FlagType): string {
  if (type === 'bool') return `[--${name}]`;
  return `[--${name}=<${FLAG_PLACEHOLDERS[name] ?? 'value'}>]${type === 'strings' ? '...' : ''}`;
}

export function signatureHelp(analysis: Analysis, position: Position): SignatureHelp | null {
  const offset = offsetAt(analysis, position);
  const instruction = instructionContinuedTo(analysis, position.line);
  if (!instruction || !isKeyword(instruction.keyword)) return null;
  // Still on the keyword (or before it): nothing to help with yet.
  if (offset <= instruction.keywordRange.end.offset) return null;
  // A heredoc body is not part of the instruction line.
  if (instruction.heredocs.some((h) => h.range.start.offset <= offset && offset <= h.range.end.offset)) return null;
  const keyword = instruction.keyword;
  const signature = signatureOf(keyword);
  const flagNames = new Map([...signature.flagIndex].map(([name, index]) => [index, name]));
  const parameters: ParameterInformation[] = signature.parameters.map((label, index) => {
    const doc = FLAG_DOCS[flagNames.get(index) ?? ''];
    return doc ? { label, documentation: { kind: MarkupKind.Markdown, value: doc } } : { label };
  });
  const active = activeParameter(analysis, instruction, keyword, signature, offset);
  return {
    signatures: [{ label: signature.label, documentation: INSTRUCTIONS[keyword].summary, parameters, ...(active === undefined ? {} : { activeParameter: active }) }],
    activeSignature: 0,
    ...(active === undefined ? {} : { activeParameter: active }),
  };
}

/**
 * The instruction whose lines hold `line`, or that a continuation carries onto it (`COPY a \` then a
 * line not written yet: the AST's range ends at the last word).
 */
function instructionContinuedTo(analysis: Analysis, line: number): Instruction | undefined {
  const { ast, lines } = analysis.result;
  if (line >= lines.lineCount) return undefined;
  const within = instructionAtLine(ast, line);
  if (within) return within;
  const before = ast.instructions.filter((i) => i.range.end.line < line).pop();
  if (!before || before.heredocs.length > 0) return undefined;
  for (let l = before.range.end.line; l < line; l++) {
    if (!analysis.text.slice(lines.lineStarts[l], lines.lineEnd(l)).trimEnd().endsWith(ast.escapeChar)) return undefined;
  }
  return before;
}

/** The parameter the cursor is in: a flag it touches, else the argument by its position among the arguments. */
function activeParameter(analysis: Analysis, instruction: Instruction, keyword: Keyword, signature: Signature, offset: number): number | undefined {
  const flag = instruction.flags.find((f) => f.range.start.offset <= offset && offset <= f.range.end.offset);
  if (flag) return signature.flagIndex.get(flag.name) ?? [...signature.flagIndex].find(([name]) => name.startsWith(flag.name))?.[1];
  // `--` typed where flags go, before the arguments: a flag is coming.
  const before = analysis.text.slice(instruction.keywordRange.end.offset, offset);
  const firstArg = instruction.args[0];
  if ((!firstArg || offset <= firstArg.range.start.offset) && /(^|\s)--[\w-]*$/.test(before)) {
    return signature.flagIndex.size > 0 ? signature.firstArgument - signature.flagIndex.size : undefined;
  }
  // Arguments wholly before the cursor (one the cursor touches is the one being written).
  const index = instruction.args.filter((a) => a.range.end.offset < offset).length;
  const touching = instruction.args.some((a) => a.range.start.offset <= offset && offset <= a.range.end.offset);
  const count = ARGUMENTS[keyword].length;
  const argument = argumentParameter(keyword, index, instruction.args.length, touching);
  return signature.firstArgument + Math.min(argument, count - 1);
}

/** Which argument parameter the `index`-th argument is, given how many there are. */
function argumentParameter(keyword: Keyword, index: number, total: number, touching: boolean): number {
  switch (keyword) {
    case 'COPY':
    case 'ADD': {
      // The last of two or more words is the destination; a new word after the sources is one too.
      const words = touching ? total : Math.max(total, index + 1);
      return index >= 1 && index === words - 1 ? 1 : 0;
    }
    case 'FROM':
    case 'APP':
    case 'CNI':
    case 'CSI':
    case 'APPCMDS':
    case 'APPENV':
      return index === 0 ? 0 : 1;
    default:
      return 0;
  }
}
