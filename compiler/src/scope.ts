/**
 * Which variables a word sees, Docker's way for one build stage: ARGs before FROM are global and
 * usable in FROM only (inside the stage, `ARG NAME` without a value brings one back); `--build-arg`
 * overrides a declared ARG's default; ENV shadows an ARG of the same name. The platform variables
 * (ARCH, TARGET*, BUILD*) are predefined everywhere, as sealer's `${ARCH}` is, except in a stage on
 * a fixed platform (`FROM --platform=$BUILDPLATFORM`): there, as in BuildKit, ARCH and TARGET* are
 * global ARGs that a bare `ARG TARGETARCH` brings into the stage, so what comes before it is the
 * same work in every target's plan.
 */
import { closestMatch, isInstruction, type Kubefile, type NameValue } from '@kubefile/grammar';

/** A copy of a scope's variables at one point of a plan (see `VariableScope.snapshot`). */
export interface ScopeState {
  globals: Map<string, string | undefined>;
  args: Map<string, string | undefined>;
  env: Map<string, string>;
  inStage: boolean;
  /** In a stage on a fixed platform (see the module comment). */
  fixed: boolean;
  usedBuildArgs: Set<string>;
}

/** One stage ARG (`env: false`) or ENV assignment, in order: what a RUN's environment is made of. */
export interface Assignment {
  env: boolean;
  name: string;
  value: string | undefined;
}

export class VariableScope {
  private globals = new Map<string, string | undefined>();
  private args = new Map<string, string | undefined>();
  private env = new Map<string, string>();
  private inStage = false;
  private fixed = false;
  /** The variables predefined where words are now: every platform variable, or BUILD* only in a fixed stage. */
  private predefined: Readonly<Record<string, string>>;
  /** The platform variables a fixed stage sees only once declared (ARCH, TARGET*). */
  private readonly targetOnly: Readonly<Record<string, string>>;
  private readonly buildOnly: Readonly<Record<string, string>>;
  /** Build args some ARG declared (the others are reported as unused). */
  usedBuildArgs = new Set<string>();

  constructor(
    private readonly buildArgs: ReadonlyMap<string, string>,
    private readonly platform: Readonly<Record<string, string>>,
  ) {
    this.predefined = platform;
    const buildOnly: Record<string, string> = {};
    const targetOnly: Record<string, string> = {};
    for (const [name, value] of Object.entries(platform)) (name.startsWith('BUILD') ? buildOnly : targetOnly)[name] = value;
    this.buildOnly = buildOnly;
    this.targetOnly = targetOnly;
  }

  /** The variables as they are now (copies), to resume planning from here later. */
  snapshot(): ScopeState {
    return {
      globals: new Map(this.globals),
      args: new Map(this.args),
      env: new Map(this.env),
      inStage: this.inStage,
      fixed: this.fixed,
      usedBuildArgs: new Set(this.usedBuildArgs),
    };
  }

  /** Goes back to a snapshot (of this scope or of one with the same build args and platform). */
  restore(state: ScopeState): void {
    this.globals = new Map(state.globals);
    this.args = new Map(state.args);
    this.env = new Map(state.env);
    this.inStage = state.inStage;
    this.fixed = state.fixed;
    this.predefined = state.inStage && state.fixed ? this.buildOnly : this.platform;
    this.usedBuildArgs = new Set(state.usedBuildArgs);
  }

  /**
   * The names whose values differ from `state`'s, when the rest is the same (the same names, in the
   * same order: undefined-variable suggestions and environments list them alike); undefined otherwise.
   */
  differingValues(state: ScopeState): string[] | undefined {
    if (this.inStage !== state.inStage || this.fixed !== state.fixed || this.usedBuildArgs.size !== state.usedBuildArgs.size) return undefined;
    if (![...this.usedBuildArgs].every((name) => state.usedBuildArgs.has(name))) return undefined;
    const differing: string[] = [];
    for (const [mine, theirs] of [
      [this.globals, state.globals],
      [this.args, state.args],
      [this.env, state.env],
    ] as const) {
      if (!sameNamesCollectingValues(mine, theirs, differing)) return undefined;
    }
    return differing;
  }

  /**
   * From here on, words are in a new stage (after FROM): no stage ARG is declared, and the ENV is
   * `env` (the base stage's when FROM names one). `fixed`: the stage is on a fixed platform.
   */
  enterStage(fixed = false, env: ReadonlyMap<string, string> = new Map()): void {
    this.inStage = true;
    this.fixed = fixed;
    this.predefined = fixed ? this.buildOnly : this.platform;
    this.args = new Map();
    this.env = new Map(env);
  }

  /** Back to the global scope, for the words of the next FROM. */
  leaveStage(): void {
    this.inStage = false;
    this.fixed = false;
    this.predefined = this.platform;
  }

  /** The stage's ENV now (a later stage based on this one starts with it). */
  stageEnv(): ReadonlyMap<string, string> {
    return new Map(this.env);
  }

  /** The variables predefined in the current stage, for RUN environments. */
  predefinedHere(): Readonly<Record<string, string>> {
    return this.predefined;
  }

  /** A target platform variable (ARCH, TARGET*) not declared in a fixed stage: BuildKit leaves it empty there. */
  isUndeclaredTargetVariable(name: string): boolean {
    return this.inStage && this.fixed && Object.hasOwn(this.targetOnly, name) && !this.args.has(name) && !this.env.has(name);
  }

  lookup = (name: string): string | undefined => {
    if (this.inStage) {
      const env = this.env.get(name);
      if (env !== undefined) return env;
    }
    if (Object.hasOwn(this.predefined, name)) return this.predefined[name];
    return (this.inStage ? this.args : this.globals).get(name);
  };

  /** Declares `ARG name[=default]` (default already expanded) and returns the value it takes. */
  declareArg(name: string, defaultValue: string | undefined): string | undefined {
    if (this.buildArgs.has(name)) this.usedBuildArgs.add(name);
    if (Object.hasOwn(this.predefined, name)) return this.predefined[name];
    // A fixed stage's `ARG TARGETARCH` takes the target's value, as a global ARG would.
    if (this.inStage && Object.hasOwn(this.targetOnly, name)) {
      this.args.set(name, this.targetOnly[name]);
      return this.targetOnly[name];
    }
    const inherited = this.inStage ? this.globals.get(name) : undefined;
    const value = this.buildArgs.get(name) ?? defaultValue ?? inherited;
    (this.inStage ? this.args : this.globals).set(name, value);
    return value;
  }

  /** Whether `ARG name=default` takes its value from elsewhere (a build arg or the platform), so BuildKit never expands the default. */
  isGiven(name: string): boolean {
    return this.buildArgs.has(name) || Object.hasOwn(this.platform, name);
  }

  /** Declared by an ARG in scope without a value (no default, no build arg), and no ENV of that name. */
  isDeclaredWithoutValue(name: string): boolean {
    if (Object.hasOwn(this.predefined, name) || (this.inStage && this.env.has(name))) return false;
    const declared = this.inStage ? this.args : this.globals;
    return declared.has(name) && declared.get(name) === undefined;
  }

  /** Declared before FROM only, so not visible in the stage. */
  isGlobalOnly(name: string): boolean {
    return this.inStage && this.globals.has(name) && !this.args.has(name) && !this.env.has(name);
  }

  setEnv(name: string, value: string): void {
    this.env.set(name, value);
  }

  /** The closest visible name to a misspelt one, if any is close enough to be the intended one. */
  suggest(name: string): string | undefined {
    const names = new Set([...Object.keys(this.predefined), ...(this.inStage ? [...this.args.keys(), ...this.env.keys()] : this.globals.keys())]);
    return closestMatch(name, names, Math.max(1, Math.floor(name.length / 3)));
  }
}

/**
 * `state` with the values `names` have in `source`, a state with the same names in each map (see
 * `VariableScope.differingValues`); the order of the names stays.
 */
export function withValuesOf(state: ScopeState, source: ScopeState, names: readonly string[]): ScopeState {
  const patched = <V>(mine: ReadonlyMap<string, V>, theirs: ReadonlyMap<string, V>): Map<string, V> => {
    const out = new Map(mine);
    for (const [name, value] of theirs) if (out.has(name) && names.includes(name)) out.set(name, value);
    return out;
  };
  return { ...state, globals: patched(state.globals, source.globals), args: patched(state.args, source.args), env: patched(state.env, source.env) };
}

/** Same keys in the same order; the keys whose values differ are added to `differing`. */
function sameNamesCollectingValues<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>, differing: string[]): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [key, value] of a) {
    const next = other.next().value as [string, V];
    if (next[0] !== key) return false;
    if (next[1] !== value) differing.push(key);
  }
  return true;
}

/**
 * A command's environment after `assignments` (the stage's ARGs and ENVs before it, in order): the
 * platform variables, the ARGs with a value, then ENV. Computed on demand: a long Kubefile has
 * thousands of RUNs, and copying the whole environment for each would make planning quadratic.
 */
export function environmentOf(predefined: Readonly<Record<string, string>>, assignments: readonly Assignment[], length: number): () => Record<string, string> {
  return () => {
    const args = new Map<string, string | undefined>();
    const env = new Map<string, string>();
    for (let i = 0; i < length; i++) {
      const entry = assignments[i];
      if (entry.env) env.set(entry.name, entry.value ?? '');
      else args.set(entry.name, entry.value);
    }
    const out: Record<string, string> = { ...predefined };
    for (const [name, value] of args) if (value !== undefined) out[name] = value;
    for (const [name, value] of env) out[name] = value;
    return out;
  };
}

/**
 * The `ARG name` without a default that a use of `name` at `offset` sees (the last declaration in
 * scope), or undefined when the one in scope has a default. In the stage, a bare `ARG name` that
 * brings back a global without a default either is the one returned (a default belongs there).
 */
export function argDeclarationWithoutValue(file: Kubefile, name: string, offset: number): NameValue | undefined {
  const list = file.instructions;
  const firstFrom = list.findIndex((i) => i.keyword === 'FROM');
  let current = list.findIndex((i) => i.range.start.offset <= offset && offset <= i.range.end.offset);
  if (current === -1) current = list.length;
  const inStage = firstFrom !== -1 && current > firstFrom;
  const lastDeclaration = (from: number, to: number): NameValue | undefined => {
    for (let i = to - 1; i >= from; i--) {
      const instruction = list[i];
      if (!isInstruction(instruction, 'ARG')) continue;
      for (let k = instruction.declarations.length - 1; k >= 0; k--) if (instruction.declarations[k].name.text === name) return instruction.declarations[k];
    }
    return undefined;
  };
  const found = inStage ? lastDeclaration(firstFrom + 1, current) : lastDeclaration(0, current);
  if (found?.value !== undefined) return undefined;
  if (found && inStage && lastDeclaration(0, firstFrom)?.value !== undefined) return undefined;
  return found;
}
