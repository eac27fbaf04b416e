/**
 * The Kubefile instruction set: what each instruction accepts (flags, argument shape) and a short
 * description. The AST builder validates against it; the language server uses it for completion
 * and hover.
 */
export type Keyword =
  | 'FROM'
  | 'COPY'
  | 'ADD'
  | 'ARG'
  | 'RUN'
  | 'CMD'
  | 'ENV'
  | 'LABEL'
  | 'MAINTAINER'
  | 'APP'
  | 'APPCMDS'
  | 'APPENV'
  | 'LAUNCH'
  | 'CMDS'
  | 'CNI'
  | 'CSI'
  | 'KUBEVERSION';

export type FlagType = 'string' | 'strings' | 'bool';

export interface InstructionSpec {
  keyword: Keyword;
  /** One-line syntax, for hover and completion. */
  syntax: string;
  summary: string;
  flags: Record<string, FlagType>;
  /** Allowed values of string flags, where the set is closed. */
  flagValues?: Record<string, readonly string[]>;
  /** Whether RUN/COPY/ADD-style heredocs are recognised. */
  heredocs: boolean;
  deprecated?: string;
}

const spec = (keyword: Keyword, syntax: string, summary: string, rest: Partial<InstructionSpec> = {}): InstructionSpec => ({
  keyword,
  syntax,
  summary,
  flags: {},
  heredocs: false,
  ...rest,
});

export const INSTRUCTIONS: Record<Keyword, InstructionSpec> = {
  FROM: spec('FROM', 'FROM [--platform=<platform>] <image>', 'Sets the base cluster image (`scratch` for none). Must be the first instruction after leading ARGs.', {
    flags: { platform: 'string' },
  }),
  COPY: spec('COPY', 'COPY [--flags] <src>... <dest>', 'Copies files from the build context into the image root (`manifests`, `charts`, `images`, `bin`, `plugins`, ...).', {
    flags: { from: 'string', chown: 'string', chmod: 'string', link: 'bool', exclude: 'strings', parents: 'bool' },
    heredocs: true,
  }),
  ADD: spec('ADD', 'ADD [--flags] <src>... <dest>', 'Like COPY, and also takes URLs and unpacks local tar archives.', {
    flags: { chown: 'string', chmod: 'string', link: 'bool', 'keep-git-dir': 'bool', checksum: 'string', exclude: 'strings', unpack: 'bool' },
    heredocs: true,
  }),
  ARG: spec('ARG', 'ARG <name>[=<default>] ...', 'Declares build arguments (`--build-arg name=value`), usable as `${name}`. ARGs before FROM can be used in FROM.'),
  RUN: spec('RUN', 'RUN [--flags] <command> | RUN ["executable", "arg", ...]', 'Runs a command at build time in the image root; what it writes becomes a layer.', {
    flags: { mount: 'strings', network: 'string', security: 'string', device: 'strings' },
    flagValues: { network: ['default', 'none', 'host'], security: ['sandbox', 'insecure'] },
    heredocs: true,
  }),
  CMD: spec('CMD', 'CMD <command>', 'A command run when the cluster image is started (deprecated by sealer in favour of CMDS/LAUNCH). Several CMDs run in order.'),
  ENV: spec('ENV', 'ENV <name>=<value> ...', 'Sets environment variables for later instructions, RUN commands and the applications (`*.tmpl` rendering).'),
  LABEL: spec('LABEL', 'LABEL <key>=<value> ...', 'Adds metadata to the image (`sealer inspect` shows it).'),
  MAINTAINER: spec('MAINTAINER', 'MAINTAINER <name>', 'Sets the author field of the image.', {
    deprecated: 'use LABEL maintainer="<name>"',
  }),
  APP: spec('APP', 'APP <name> <local://path|http(s)://url> ...', 'Declares an application from files in the build context or URLs (Helm chart, YAML manifests or shell scripts).'),
  APPCMDS: spec('APPCMDS', 'APPCMDS <app> ["executable", "arg", ...]', 'Sets the command that launches an application (required when its type cannot be detected).'),
  APPENV: spec('APPENV', 'APPENV <app> <key>=<value> ...', 'Sets values for an application, used to render its `*.tmpl` files.'),
  LAUNCH: spec('LAUNCH', 'LAUNCH ["app", ...]', 'Applications to start, in order, when the image runs. Must be the last instruction.'),
  CMDS: spec('CMDS', 'CMDS ["command", ...]', 'Shell commands to run when the image starts. Must be the last instruction.'),
  CNI: spec('CNI', 'CNI <name> <local://path|http(s)://url> ...', 'Declares a CNI plugin application (labels the image with it); start it with LAUNCH.'),
  CSI: spec('CSI', 'CSI <name> <local://path|http(s)://url> ...', 'Declares a CSI plugin application (labels the image with it); start it with LAUNCH.'),
  KUBEVERSION: spec('KUBEVERSION', 'KUBEVERSION <semver range>', 'Kubernetes versions the application image supports, e.g. `1.22 - 1.24` (sets app.alpha.sealer.io/supported-kube-version).'),
};

export const KEYWORDS = Object.keys(INSTRUCTIONS) as Keyword[];

/** Dockerfile instructions that Kubefiles do not support, for clearer messages. */
export const DOCKERFILE_ONLY = ['ENTRYPOINT', 'EXPOSE', 'HEALTHCHECK', 'ONBUILD', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'];

const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);

export function isKeyword(word: string): word is Keyword {
  return KEYWORD_SET.has(word);
}

/** The closest keyword to `word` within a small edit distance, for "did you mean". */
export function suggestKeyword(word: string): Keyword | undefined {
  return closestMatch(word, KEYWORDS, word.length <= 3 ? 1 : 2);
}

/**
 * The candidate nearest to `word`, ignoring case, if at most `maxDistance` edits away: the one
 * "did you mean" rule for keywords, variable names and plugin fields.
 */
export function closestMatch<T extends string>(word: string, candidates: Iterable<T>, maxDistance: number): T | undefined {
  const lower = word.toLowerCase();
  let best: T | undefined;
  let bestDistance = maxDistance + 1;
  for (const candidate of candidates) {
    // The distance is at least the difference in length: a word of megabytes is never compared.
    if (Math.abs(candidate.length - word.length) > maxDistance) continue;
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Damerau-Levenshtein distance (adjacent transpositions count as one edit), in three rolling rows. */
export function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2] + 1);
      current[j] = d;
    }
    [before, previous, current] = [previous, current, before];
  }
  return previous[b.length];
}
