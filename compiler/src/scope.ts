/**
 * Which variables a word sees, Docker's way for one build stage: ARGs before FROM are global and
 * usable in FROM only (inside the stage, `ARG NAME` without a value brings one back); `--build-arg`
 * overrides a declared ARG's default; ENV shadows an ARG of the same name. The platform variables
 * (ARCH, TARGET*, BUILD*) are predefined everywhere, as sealer's `${ARCH}` is.
 */
import { closestMatch } from '@kubefile/grammar';

/** A copy of a scope's variables at one point of a plan (see `VariableScope.snapshot`). */
export interface ScopeState {
  globals: Map<string, string | undefined>;
  args: Map<string, string | undefined>;
  env: Map<string, string>;
  inStage: boolean;
  /** The log of the run the state was taken in (only ever appended to) and its length then. */
  log: readonly LogEntry[];
  logLength: number;
  usedBuildArgs: Set<string>;
}

interface LogEntry {
  env: boolean;
  name: string;
  value: string | undefined;
}

export class VariableScope {
  private globals = new Map<string, string | undefined>();
  private args = new Map<string, string | undefined>();
  private env = new Map<string, string>();
  private inStage = false;
  /** Every stage ARG and ENV assignment in order, so an environment can be taken as a cheap snapshot. */
  private log: LogEntry[] = [];
  /** Build args some ARG declared (the others are reported as unused). */
  usedBuildArgs = new Set<string>();

  constructor(
    private readonly buildArgs: ReadonlyMap<string, string>,
    private readonly predefined: Readonly<Record<string, string>>,
  ) {}

  /** The variables as they are now (copies), to resume planning from here later. */
  snapshot(): ScopeState {
    return {
      globals: new Map(this.globals),
      args: new Map(this.args),
      env: new Map(this.env),
      inStage: this.inStage,
      log: this.log,
      logLength: this.log.length,
      usedBuildArgs: new Set(this.usedBuildArgs),
    };
  }

  /** Goes back to a snapshot (of this scope or of one with the same build args and platform). */
  restore(state: ScopeState): void {
    this.globals = new Map(state.globals);
    this.args = new Map(state.args);
    this.env = new Map(state.env);
    this.inStage = state.inStage;
    // A new log: environments taken from the old one (by ops kept from an earlier plan) must not see later entries.
    this.log = state.log.slice(0, state.logLength);
    this.usedBuildArgs = new Set(state.usedBuildArgs);
  }

  /** Whether every later word would see what it sees in `state` (same variables, in the same order). */
  matches(state: ScopeState): boolean {
    return (
      this.inStage === state.inStage &&
      sameEntries(this.globals, state.globals) &&
      sameEntries(this.args, state.args) &&
      sameEntries(this.env, state.env) &&
      this.usedBuildArgs.size === state.usedBuildArgs.size &&
      [...this.usedBuildArgs].every((name) => state.usedBuildArgs.has(name))
    );
  }

  /** From here on, words are in the stage (after FROM). */
  enterStage(): void {
    this.inStage = true;
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
    const inherited = this.inStage ? this.globals.get(name) : undefined;
    const value = this.buildArgs.get(name) ?? defaultValue ?? inherited;
    (this.inStage ? this.args : this.globals).set(name, value);
    if (this.inStage) this.log.push({ env: false, name, value });
    return value;
  }

  /** Declared before FROM only, so not visible in the stage. */
  isGlobalOnly(name: string): boolean {
    return this.inStage && this.globals.has(name) && !this.args.has(name) && !this.env.has(name);
  }

  setEnv(name: string, value: string): void {
    this.env.set(name, value);
    this.log.push({ env: true, name, value });
  }

  /**
   * A command's environment as it is now: the platform variables, the stage's ARGs with a value,
   * then ENV. Returned as a function computed on demand, because a long Kubefile has thousands of
   * RUNs and copying the whole environment for each would make compiling quadratic.
   */
  environment(): () => Record<string, string> {
    // The array itself: `restore` replaces it, and this environment is of the entries up to now.
    const log = this.log;
    const length = log.length;
    return () => {
      const args = new Map<string, string | undefined>();
      const env = new Map<string, string>();
      for (const entry of log.slice(0, length)) {
        if (entry.env) env.set(entry.name, entry.value ?? '');
        else args.set(entry.name, entry.value);
      }
      const out: Record<string, string> = { ...this.predefined };
      for (const [name, value] of args) if (value !== undefined) out[name] = value;
      for (const [name, value] of env) out[name] = value;
      return out;
    };
  }

  /** The closest visible name to a misspelt one, if any is close enough to be the intended one. */
  suggest(name: string): string | undefined {
    const names = new Set([...Object.keys(this.predefined), ...(this.inStage ? [...this.args.keys(), ...this.env.keys()] : this.globals.keys())]);
    return closestMatch(name, names, Math.max(1, Math.floor(name.length / 3)));
  }
}

function sameEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false;
  const other = b.entries();
  for (const [key, value] of a) {
    const next = other.next().value as [string, V];
    if (next[0] !== key || next[1] !== value) return false;
  }
  return true;
}
