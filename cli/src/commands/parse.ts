/** `kubefilec parse`: the parsed instructions as JSON, the contract other tools build on. */
import { parse, type Flag, type Instruction, type Kubefile, type Position } from '@kubefile/grammar';
import { EXIT_OK, EXIT_PROBLEMS } from '../errors.js';
import { formatText } from '../report.js';
import { readKubefile } from '../source.js';
import type { CommandIO } from './io.js';

export interface ParseOptions {
  file?: string;
  format: 'json' | 'text';
}

interface JsonPosition {
  line: number;
  column: number;
}

export interface ParsedInstructionJson {
  keyword: string;
  flags: string[];
  form: 'shell' | 'exec';
  args: string[];
  range: { start: JsonPosition; end: JsonPosition };
}

export interface ParseJson {
  directives: Record<string, string>;
  instructions: ParsedInstructionJson[];
}

const position = (p: Position): JsonPosition => ({ line: p.line + 1, column: p.column + 1 });

/** A flag as BuildKit reads it: quotes and escapes removed. */
const flagText = (flag: Flag): string => (flag.value === undefined ? `--${flag.name}` : `--${flag.name}=${flag.value}`);

export function instructionJson(instruction: Instruction): ParsedInstructionJson {
  return {
    keyword: instruction.keyword,
    flags: instruction.flags.map(flagText),
    form: instruction.form,
    args: instruction.args.map((a) => a.text),
    range: { start: position(instruction.range.start), end: position(instruction.range.end) },
  };
}

export function parseJson(ast: Kubefile): ParseJson {
  return {
    directives: Object.fromEntries(ast.directives.map((d) => [d.name, d.value])),
    instructions: ast.instructions.map(instructionJson),
  };
}

export async function parseCommand(context: string | undefined, options: ParseOptions, io: CommandIO): Promise<number> {
  const source = await readKubefile(options.file, context, io);
  const { ast, diagnostics } = parse(source.text);
  if (options.format === 'json') {
    io.out(JSON.stringify(parseJson(ast), null, 2) + '\n');
  } else {
    for (const i of ast.instructions) {
      io.out(`${i.range.start.line + 1}:${i.range.start.column + 1} ${i.keyword}${i.flags.map((f) => ' ' + flagText(f)).join('')} ${i.form} ${JSON.stringify(i.args.map((a) => a.text))}\n`);
    }
  }
  // Syntax errors go to stderr so stdout stays valid JSON.
  const errors = diagnostics.filter((d) => d.severity === 'error');
  io.err(formatText([{ file: source.displayPath, diagnostics }]));
  return errors.length > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
