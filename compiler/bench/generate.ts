/**
 * Deterministic generator of realistic Kubefiles for the benchmark. The same seed and line count
 * always give the same text, so runs (and our parser vs. dockerfile-ast) are comparable.
 *
 * The content mixes every instruction the benchmark cares about: ARGs before FROM, COPY with
 * ${ARCH} and flags, RUN in shell form (continuations with comment lines inside), exec form and
 * heredocs, CMD, ENV/LABEL pairs, APP/APPENV/APPCMDS groups, comments and blank lines, and ends
 * with LAUNCH. About 2% of the blocks hold a mistake so the diagnostics paths are exercised.
 */

/** mulberry32: a small, fast, seeded PRNG returning floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Vocabulary the blocks draw from. */
const APP_KINDS = ['nginx', 'mysql', 'redis', 'prometheus', 'grafana', 'dashboard', 'ingress', 'cert-manager', 'calico', 'openebs'];
const TOOLS = ['helm', 'kubectl', 'sealctl', 'crictl', 'nerdctl', 'seautil', 'trivy'];
const DIRS = ['manifests', 'charts', 'images', 'bin', 'plugins', 'etc', 'scripts'];
const WORDS = ['install', 'configure', 'cluster', 'images', 'registry', 'the', 'binaries', 'for', 'each', 'architecture', 'offline', 'mirror', 'cache'];

class Writer {
  readonly lines: string[] = [];
  private app = 0;
  /** Application names declared so far (APP), for APPENV/APPCMDS/LAUNCH. */
  readonly apps: string[] = [];

  constructor(readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)];
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  sentence(words: number): string {
    return Array.from({ length: words }, () => this.pick(WORDS)).join(' ');
  }

  version(): string {
    return `v${1 + this.int(2)}.${this.int(30)}.${this.int(20)}`;
  }

  newApp(): string {
    const name = `${this.pick(APP_KINDS)}-${this.app++}`;
    this.apps.push(name);
    return name;
  }

  /** A declared application (or a fresh name when none is declared yet). */
  someApp(): string {
    return this.apps.length > 0 ? this.apps[this.apps.length - 1 - this.int(Math.min(this.apps.length, 8))] : this.newApp();
  }
}

type Block = (w: Writer) => string[];

const comment: Block = (w) => Array.from({ length: 1 + w.int(3) }, () => `# ${w.sentence(3 + w.int(8))}`);

const blank: Block = () => [''];

const copy: Block = (w) => {
  const tool = w.pick(TOOLS);
  switch (w.int(5)) {
    case 0:
      return [`COPY \${ARCH}/bin/${tool} bin`];
    case 1:
      return [`COPY --chown=1000:1000 charts/${w.pick(APP_KINDS)}-${w.int(100)} charts`];
    case 2:
      return [`COPY --chmod=0755 scripts/setup-\${ARCH}-${w.int(100)}.sh scripts/`];
    case 3:
      return [`COPY images/${tool}-\${ARCH}.tar manifests/${tool}.yaml imageList-${w.int(100)} ${w.pick(DIRS)}/`];
    default:
      return [`COPY ${w.pick(DIRS)}/${w.pick(APP_KINDS)}-${w.int(1000)}.yaml ${w.pick(DIRS)}`];
  }
};

/** RUN in shell form over several lines, with a comment line inside the continuation. */
const runShell: Block = (w) => {
  const tool = w.pick(TOOLS);
  const lines = [
    'RUN set -eux; \\',
    `    wget -q https://github.com/example/${tool}/releases/download/${w.version()}/${tool}-linux-\${ARCH}.tar.gz -O /tmp/${tool}.tgz && \\`,
  ];
  for (let i = w.int(4); i > 0; i--) {
    if (w.chance(0.4)) lines.push(`    # ${w.sentence(4)}`);
    lines.push(`    tar -xzf /tmp/${tool}.tgz -C bin --strip-components=${1 + w.int(2)} && \\`);
  }
  lines.push(`    chmod +x bin/${tool}`);
  return lines;
};

const runExec: Block = (w) => [`RUN ["/bin/sh", "-c", "${w.pick(TOOLS)} version --client > /tmp/version-${w.int(100)}.txt"]`];

const runHeredoc: Block = (w) => {
  const lines = [w.chance(0.5) ? 'RUN <<EOF' : 'RUN bash <<EOF', 'set -e'];
  for (let i = 1 + w.int(4); i > 0; i--) lines.push(`${w.pick(TOOLS)} pull registry.example.com/${w.pick(APP_KINDS)}:${w.version()}-\${ARCH}`);
  lines.push('EOF');
  return lines;
};

const cmd: Block = (w) => [`CMD kubectl apply -f manifests/${w.pick(APP_KINDS)}-${w.int(1000)}.yaml`];

const env: Block = (w) =>
  w.chance(0.3)
    ? ['ENV REGISTRY=registry.example.com \\', `    ${w.pick(APP_KINDS).toUpperCase().replace('-', '_')}_VERSION=${w.version()} \\`, `    NAMESPACE=ns-${w.int(50)}`]
    : [`ENV ${w.pick(TOOLS).toUpperCase()}_VERSION=${w.version()} PATH=/opt/bin:\${PATH}`];

const label: Block = (w) => [`LABEL app.example.com/component="${w.pick(APP_KINDS)}" app.example.com/revision=${w.int(10000)} description="${w.sentence(4)}"`];

const arg: Block = (w) => [`ARG ${w.pick(TOOLS).toUpperCase()}_VERSION_${w.int(1000)}=${w.version()}`];

/** An application: APP, then usually APPENV and APPCMDS for it. */
const app: Block = (w) => {
  const name = w.newApp();
  const lines = [`APP ${name} local://${name}/${name}.yaml${w.chance(0.3) ? ` local://${name}/values.yaml` : ''}`];
  if (w.chance(0.7)) lines.push(`APPENV ${name} replicas=${1 + w.int(5)} namespace=${name} image=registry.example.com/${name}:${w.version()}`);
  if (w.chance(0.7)) lines.push(`APPCMDS ${name} ["kubectl", "apply", "-f", "${name}.yaml", "-n", "${name}"]`);
  return lines;
};

/** Later APPENV for an already declared application. */
const appEnv: Block = (w) => [`APPENV ${w.someApp()} debug=${w.chance(0.5)} log_level=info`];

/** Mistakes: unknown instruction, bad ${, missing COPY destination. */
const mistake: Block = (w) => {
  switch (w.int(4)) {
    case 0:
      return [`COPPY manifests/${w.pick(APP_KINDS)}.yaml manifests`];
    case 1:
      return ['WORKDIR /root'];
    case 2:
      return [`COPY \${ARCH/${w.pick(TOOLS)} bin`];
    default:
      return [`COPY ${w.pick(APP_KINDS)}-${w.int(100)}.yaml`];
  }
};

/** Blocks with their relative weights. */
const BLOCKS: ReadonlyArray<readonly [Block, number]> = [
  [comment, 10],
  [blank, 12],
  [copy, 20],
  [runShell, 8],
  [runExec, 3],
  [runHeredoc, 4],
  [cmd, 2],
  [env, 6],
  [label, 3],
  [arg, 3],
  [app, 10],
  [appEnv, 3],
  [mistake, 1.5],
];
const TOTAL_WEIGHT = BLOCKS.reduce((sum, [, weight]) => sum + weight, 0);

function pickBlock(w: Writer): Block {
  let r = w.random() * TOTAL_WEIGHT;
  for (const [block, weight] of BLOCKS) {
    r -= weight;
    if (r < 0) return block;
  }
  return comment;
}

/** A Kubefile of exactly `lineCount` lines (plus the final newline). */
export function generateKubefile(lineCount: number, seed = 1): string {
  const w = new Writer(createRandom(seed));
  w.lines.push(
    '# Cluster image generated for the Kubefile benchmark',
    'ARG ARCH=amd64',
    `ARG KUBE_VERSION=${w.version()}`,
    'FROM kubernetes:${KUBE_VERSION}',
    '',
  );
  const body = lineCount - 1; // the last line is LAUNCH
  while (w.lines.length < body) {
    const block = pickBlock(w)(w);
    // Near the end, fill with one-line blocks so the count comes out exact.
    w.lines.push(...(w.lines.length + block.length <= body ? block : cmd(w)));
  }
  const launched = new Set(Array.from({ length: Math.min(3, w.apps.length) }, () => w.someApp()));
  w.lines.push(`LAUNCH [${[...launched].map((name) => JSON.stringify(name)).join(', ')}]`);
  return w.lines.join('\n') + '\n';
}
