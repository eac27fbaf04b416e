/**
 * The stages of a Kubefile (one per FROM) and what their FROM and `COPY --from` name, from the AST
 * alone, with BuildKit's rules (frontend/dockerfile/dockerfile2llb/convert.go): names are
 * lower-cased and case-insensitive, a later duplicate name wins, FROM sees earlier stages only,
 * `COPY --from` sees every stage but its own, an integer is a stage index, anything else an image.
 */
import { closestMatch, type CopyInstruction, type Flag, type FromInstruction, type Instruction, type Kubefile, type Word } from '@kubefile/grammar';

/** `--target` names no stage; the message suggests the closest name. */
export class TargetError extends Error {
  readonly target: string;
  readonly suggestion?: string;

  constructor(target: string, table: StageTable) {
    const names = [...table.byName.keys()];
    const suggestion = closestMatch(target.toLowerCase(), names, Math.max(1, Math.floor(target.length / 3)));
    const known = names.length > 0 ? ` (stages: ${names.join(', ')})` : table.stages.length > 0 ? ' (no stage has a name)' : ' (the Kubefile has no FROM)';
    super(`target stage ${JSON.stringify(target)} could not be found${suggestion ? `: did you mean ${suggestion}?` : known}`);
    this.name = 'TargetError';
    this.target = target;
    if (suggestion !== undefined) this.suggestion = suggestion;
  }
}

/** Whether `error` is a TargetError, told by its name (see `isPlatformError`). */
export function isTargetError(error: unknown): error is TargetError {
  return error instanceof Error && error.name === 'TargetError';
}

/** The stage `--target` names (by name, case-insensitive, or index); the last stage without one. Throws `TargetError`. */
export function targetStage(table: StageTable, target: string | undefined): number {
  if (target === undefined) return table.stages.length - 1;
  const index = findStage(table, target);
  if (index === undefined) throw new TargetError(target, table);
  return index;
}

/** What a FROM or `COPY --from` names: a stage (its index), an image, or nothing valid. */
export type StageRef = { stage: number } | { image: string } | { error: 'variable' | 'index' | 'self' | 'cycle'; message: string };

export interface StageCopy {
  instruction: CopyInstruction;
  flag: Flag;
  ref: StageRef;
}

export interface StageInfo {
  index: number;
  /** The `AS` name, lower-cased (as BuildKit stores it). */
  name?: string;
  nameWord?: Word;
  from: FromInstruction;
  /** Its instructions: `file.instructions[first..end)`, its FROM first. */
  first: number;
  end: number;
  platformFlag?: Flag;
  /** `--platform` is present and is not `$TARGETPLATFORM`: the stage is built for that platform in every plan. */
  fixedPlatform: boolean;
  /** The earlier stage its FROM names. */
  baseStage?: number;
  /** Its `COPY --from` instructions. */
  copies: StageCopy[];
}

export interface StageTable {
  stages: StageInfo[];
  /** Lower-cased name to stage index; a later duplicate wins, as in BuildKit. */
  byName: ReadonlyMap<string, number>;
}

/** BuildKit's rule for a stage name, after lower-casing. */
export const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

const tables = new WeakMap<Kubefile, StageTable>();

/** The stages of a Kubefile, computed once per AST. */
export function stageTable(file: Kubefile): StageTable {
  let table = tables.get(file);
  if (!table) {
    table = buildTable(file);
    tables.set(file, table);
  }
  return table;
}

function buildTable(file: Kubefile): StageTable {
  const stages: StageInfo[] = [];
  const byName = new Map<string, number>();
  const list = file.instructions;
  list.forEach((instruction, i) => {
    if (!isFrom(instruction)) return;
    if (stages.length > 0) stages[stages.length - 1].end = i;
    const platformFlag = instruction.flags.find((f) => f.name === 'platform');
    const platformValue = platformFlag?.value?.trim();
    const stage: StageInfo = {
      index: stages.length,
      name: instruction.stageName?.text.toLowerCase(),
      nameWord: instruction.stageName,
      from: instruction,
      first: i,
      end: list.length,
      platformFlag,
      fixedPlatform: platformValue !== undefined && platformValue !== '$TARGETPLATFORM' && platformValue !== '${TARGETPLATFORM}',
      copies: [],
    };
    // Looked up before this stage is added: FROM sees earlier stages only.
    const image = instruction.image?.text.toLowerCase();
    const base = image === undefined ? undefined : byName.get(image);
    if (base !== undefined) stage.baseStage = base;
    stages.push(stage);
    if (stage.name !== undefined) byName.set(stage.name, stage.index);
  });
  const table: StageTable = { stages, byName };
  for (const stage of stages) {
    for (let i = stage.first + 1; i < stage.end; i++) {
      const instruction = list[i];
      if (instruction.keyword !== 'COPY') continue;
      const flag = instruction.flags.find((f) => f.name === 'from');
      if (flag) stage.copies.push({ instruction: instruction as CopyInstruction, flag, ref: copyRef(table, flag, stage.index) });
    }
  }
  markCycles(table);
  return table;
}

function isFrom(instruction: Instruction): instruction is FromInstruction {
  return instruction.keyword === 'FROM';
}

/** A stage by name (case-insensitive) or integer index (`0`, `+1`, as Go's strconv.Atoi reads it). */
export function findStage(table: StageTable, nameOrIndex: string): number | undefined {
  if (/^[+-]?\d+$/.test(nameOrIndex)) {
    const index = Number(nameOrIndex);
    return index >= 0 && index < table.stages.length ? index : undefined;
  }
  return table.byName.get(nameOrIndex.toLowerCase());
}

/**
 * What `value` names, seen from stage `atStage`. With `copy` (`COPY --from`), any stage but
 * `atStage` itself, an integer is an index (out of range is an error); otherwise (FROM) only the
 * stages before `atStage`, and anything else is an image.
 */
export function resolveFrom(table: StageTable, value: string, atStage: number, copy = false): StageRef {
  if (!copy) {
    const index = table.byName.get(value.toLowerCase());
    // byName holds the last of duplicates; FROM sees the last one before atStage.
    if (index !== undefined && index < atStage) return { stage: index };
    for (let i = Math.min(atStage, table.stages.length) - 1; i >= 0; i--) if (table.stages[i].name === value.toLowerCase()) return { stage: i };
    return { image: value };
  }
  if (/^[+-]?\d+$/.test(value)) {
    const index = findStage(table, value);
    if (index === undefined) return { error: 'index', message: `invalid stage index ${Number(value)}: the Kubefile has ${table.stages.length} stage${table.stages.length === 1 ? '' : 's'} (0 to ${table.stages.length - 1})` };
    return index === atStage ? selfError(value) : { stage: index };
  }
  const index = table.byName.get(value.toLowerCase());
  if (index === undefined) return { image: value };
  return index === atStage ? selfError(value) : { stage: index };
}

function selfError(value: string): StageRef {
  return { error: 'self', message: `--from=${value} names the stage it is in: a stage cannot copy from itself` };
}

function copyRef(table: StageTable, flag: Flag, atStage: number): StageRef {
  const value = flag.value ?? '';
  if (flag.valueWord?.parts?.some((p) => p.kind !== 'literal')) {
    return { error: 'variable', message: 'variable expansion is not supported for --from: name a stage, or define a stage with FROM using an ARG from the global scope' };
  }
  return resolveFrom(table, value, atStage, true);
}

/** The stages each stage reads (its FROM's stage and its `COPY --from` stages). */
function dependencies(stage: StageInfo): number[] {
  const out: number[] = [];
  if (stage.baseStage !== undefined) out.push(stage.baseStage);
  for (const copy of stage.copies) if ('stage' in copy.ref) out.push(copy.ref.stage);
  return out;
}

/** Turns each `COPY --from` ref that closes a cycle (its stage reaches back to the copying stage) into a `cycle` error, so no walk loops. */
function markCycles(table: StageTable): void {
  const cycles: { copy: StageCopy; path: number[] }[] = [];
  for (const stage of table.stages) {
    for (const copy of stage.copies) {
      if (!('stage' in copy.ref)) continue;
      const path = pathBetween(table, copy.ref.stage, stage.index);
      if (path) cycles.push({ copy, path: [stage.index, ...path] });
    }
  }
  for (const { copy, path } of cycles) {
    const names = path.map((i) => table.stages[i].name ?? String(i));
    copy.ref = { error: 'cycle', message: `--from=${copy.flag.value ?? ''} makes a cycle: ${names.join(' -> ')}` };
  }
}

/** A dependency path from stage `from` to stage `to` (both included), if there is one. */
function pathBetween(table: StageTable, from: number, to: number): number[] | undefined {
  const seen = new Set<number>();
  const walk = (index: number): number[] | undefined => {
    if (index === to) return [index];
    if (seen.has(index)) return undefined;
    seen.add(index);
    for (const next of dependencies(table.stages[index])) {
      const rest = walk(next);
      if (rest) return [index, ...rest];
    }
    return undefined;
  };
  return walk(from);
}

/** The stages `target` needs, dependencies first and `target` last (BuildKit builds only these). */
export function reachableStages(table: StageTable, target: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const visit = (index: number): void => {
    if (seen.has(index)) return;
    seen.add(index);
    for (const dependency of dependencies(table.stages[index])) visit(dependency);
    out.push(index);
  };
  if (target >= 0 && target < table.stages.length) visit(target);
  return out;
}
