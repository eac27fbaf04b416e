/**
 * Which variables a word sees, Docker's way for one build stage: ARGs before FROM are global and
 * usable in FROM only (inside the stage, `ARG NAME` without a value brings one back); `--build-arg`
 * overrides a declared ARG's default; ENV shadows an ARG of the same name. The platform variables
 * (ARCH, TARGET*, BUILD*) are predefined everywhere, as sealer's `${ARCH}` is.
 */
import { closestMatch } from '@kubefile/grammar';

export class VariableScope {
  private readonly globals = new Map<string, string | undefined>();
  private readonly args = new Map<string, string | undefined>();
  private readonly env = new Map<string, string>();
  private inStage = false;
  /** Every stage ARG and ENV assignment in order, so an environment can be taken as a cheap snapshot. */
  private readonly log: { env: boolean; name: string; value: string | undefined }[] = [];
  /** Build args some ARG declared (the others are reported as unused). */
  readonly usedBuildArgs = new Set<string>();

  constructor(
    private readonly buildArgs: ReadonlyMap<string, string>,
    private readonly predefined: Readonly<Record<string, string>>,
  ) {}

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
    const length = this.log.length;
    return () => {
      const args = new Map<string, string | undefined>();
      const env = new Map<string, string>();
      for (const entry of this.log.slice(0, length)) {
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
