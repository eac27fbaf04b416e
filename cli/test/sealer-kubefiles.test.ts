/**
 * sealer's own Kubefiles (applications/* at v0.8.5, the build fixtures of v0.8.5 and v0.11.0), copied
 * with their context files into fixtures/sealer-kubefiles (cases.json says where each came from, the
 * base it needs, and why a case does not build offline). Each buildable case lints without errors and
 * builds with kubefilec, on the stand-in base examples/kubernetes tagged with the name it asks for.
 * With SEALER_BIN, each is built by the real sealer too (on a stand-in base that sealer builds, in the
 * sealer harness): where sealer succeeds kubefilec must too, where only kubefilec succeeds the reason
 * is in cases.json, sealer's `sealer.image.extension` (applications as a set, launch, type, env)
 * must equal ours but for the differences cases.json lists, and sealer must find the container images
 * kubefilec finds (both build offline, with the images the contexts name left out).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFormCommands } from '@kubefile/compiler';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');
const fixtures = join(repo, 'cli/test/fixtures/sealer-kubefiles');

interface Case {
  path: string;
  source: { repository: string; tag: string; path: string };
  from: string;
  buildable: boolean;
  notBuildable?: string;
  imageList?: string;
  ignoreImages?: string[];
  sealerPlatforms?: string[];
  knownDifferences?: string[];
  sealerFailure?: string;
  knownFailure?: string;
}
interface Cases {
  bases: { standIn: string; names: string[] };
  differences: Record<string, { intended: boolean; reason: string }>;
  cases: Case[];
}
const spec = JSON.parse(readFileSync(join(fixtures, 'cases.json'), 'utf8')) as Cases;
const buildable = spec.cases.filter((c) => c.buildable);
const PLATFORMS = 'linux/amd64,linux/arm64';

/** The parts of sealer's image extension compared here (buildClient and inspect's labels are not). */
interface Application {
  name: string;
  [key: string]: unknown;
}
interface Extension {
  type?: string;
  applications?: Application[];
  env?: Record<string, string>;
  launch?: { cmds?: string[]; app_names?: string[] };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const kubefilec = (args: string[]): Promise<Run> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** The sealer harness's session (runtime/test/sealer-helpers.ts, compiled with the runtime's tests). */
interface SealerSession {
  dir: string;
  run(args: string[], opts?: { cwd?: string }): Promise<{ stdout: string; stderr: string }>;
  cleanup(): Promise<void>;
}
/** The sealer binary, read as the harness reads it: SEALER_BIN when that file exists. */
const SEALER_BIN = process.env.SEALER_BIN && existsSync(process.env.SEALER_BIN) ? process.env.SEALER_BIN : undefined;

interface Diagnostic {
  file: string;
  line: number;
  severity: string;
  code: string;
  message: string;
}
interface KubefilecResult {
  build: Run;
  /** The sealer.image.extension of each platform's manifest, when the build succeeded. */
  extensions?: Record<string, Extension>;
}
interface SealerResult {
  error?: string;
  extension?: Extension;
  /** The container images sealer found to collect (from its debug log), before the ignore list. */
  images: string[];
}

const imageName = (c: Case) => `sealer-kubefiles/${c.path}:v1`;

/** Runs `task` on each item, `limit` at a time. */
async function pool<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

const ignoreFile = async (dir: string, c: Case): Promise<string | undefined> => {
  if (!c.ignoreImages) return undefined;
  const file = join(dir, `${c.path}.ignore`);
  await writeFile(file, c.ignoreImages.join('\n') + '\n');
  return file;
};

/** `kubefilec lint` of every case at once: each case's diagnostics. */
async function lintAll(): Promise<Map<string, Diagnostic[]>> {
  const lint = await kubefilec(['lint', '--format', 'json', '--platform', PLATFORMS, ...spec.cases.map((c) => join(fixtures, c.path))]);
  const diagnostics = (JSON.parse(lint.stdout) as { diagnostics: Diagnostic[] }).diagnostics;
  const byCase = new Map<string, Diagnostic[]>(spec.cases.map((c) => [c.path, []]));
  for (const d of diagnostics) {
    const c = spec.cases.find((c) => resolve(repo, d.file).startsWith(join(fixtures, c.path) + sep));
    assert.ok(c, `a diagnostic outside the cases: ${JSON.stringify(d)}`);
    byCase.get(c.path)?.push(d);
  }
  return byCase;
}

/** Builds the stand-in base and every buildable case; returns the base's launch commands. */
async function buildWithKubefilec(dir: string, results: Map<string, KubefilecResult>): Promise<string[]> {
  const root = join(dir, 'store');
  const base = await kubefilec(['build', '--root', root, '--progress', 'plain', '-t', spec.bases.standIn, '--platform', PLATFORMS, join(repo, 'examples/kubernetes')]);
  assert.equal(base.code, 0, base.stderr);
  for (const name of spec.bases.names.filter((n) => n !== spec.bases.standIn)) {
    const tagged = await kubefilec(['tag', '--root', root, spec.bases.standIn, name]);
    assert.equal(tagged.code, 0, tagged.stderr);
  }
  const inspected = await kubefilec(['inspect', '--root', root, '--format', 'json', spec.bases.standIn]);
  assert.equal(inspected.code, 0, inspected.stderr);
  const baseCmds = extensionsOf(inspected.stdout)['linux/amd64'].launch?.cmds ?? [];

  await pool(buildable, 2, async (c) => {
    const context = join(fixtures, c.path);
    const ignore = await ignoreFile(dir, c);
    const build = await kubefilec([
      'build', '--root', root, '--progress', 'plain', '--pull', 'never', '-t', imageName(c), '--platform', PLATFORMS,
      ...(ignore ? ['--ignore-image-list', ignore] : []),
      ...(c.imageList ? ['--image-list', join(context, c.imageList)] : []),
      context,
    ]);
    const result: KubefilecResult = { build };
    if (build.code === 0) {
      const inspect = await kubefilec(['inspect', '--root', root, '--format', 'json', imageName(c)]);
      assert.equal(inspect.code, 0, inspect.stderr);
      result.extensions = extensionsOf(inspect.stdout);
    }
    results.set(c.path, result);
  });
  return baseCmds;
}

/** `kubefilec inspect --format json`: each platform's sealer.image.extension annotation. */
function extensionsOf(json: string): Record<string, Extension> {
  const inspected = JSON.parse(json) as { manifests: { platform: string; manifest: { annotations?: Record<string, string> } }[] };
  const out: Record<string, Extension> = {};
  for (const { platform, manifest } of inspected.manifests) {
    const annotation = manifest.annotations?.['sealer.image.extension'];
    assert.ok(annotation, `no sealer.image.extension on ${platform}`);
    out[platform] = JSON.parse(annotation) as Extension;
  }
  return out;
}

async function buildWithSealer(sealerBin: string, results: Map<string, SealerResult>): Promise<void> {
  // The harness: one sealer session at a time (a lock), all its state under a temp dir, cleaned up after.
  const { startSealer } = (await import(pathToFileURL(join(repo, 'runtime/dist/test/sealer-helpers.js')).href)) as {
    startSealer(bin: string): Promise<SealerSession>;
  };
  const session = await startSealer(sealerBin);
  try {
    // The stand-in base: examples/kubernetes, plus a static busybox as bin/sh for RUN (sealer runs RUN
    // through buildah with BUILDAH_ISOLATION=chroot, in the image root, with the image's /bin/sh), and a
    // manifests/ directory as sealer's bases have (buildah copies `COPY imageList manifests` into it
    // only when it exists: else the image gets a file named manifests).
    const base = join(session.dir, 'base');
    await cp(join(repo, 'examples/kubernetes'), base, { recursive: true });
    await copyFile(join(repo, 'examples/multi-arch/amd64/busybox'), join(base, 'amd64/bin/busybox'));
    await symlink('busybox', join(base, 'amd64/bin/sh'));
    await mkdir(join(base, 'manifests'));
    await writeFile(join(base, 'manifests/.keep'), '');
    await writeFile(join(base, 'Kubefile'), 'FROM scratch\nCOPY ${ARCH}/bin bin\nCOPY etc etc\nCOPY scripts scripts\nCOPY manifests manifests\nCMD sh scripts/init.sh\n');
    await session.run(['build', '--type', 'kube-installer', '--platform', 'linux/amd64', '-t', spec.bases.standIn, '.'], { cwd: base });
    for (const name of spec.bases.names.filter((n) => n !== spec.bases.standIn)) await session.run(['tag', spec.bases.standIn, name]);

    for (const c of buildable) {
      // sealer resolves APP local:// paths against its cwd: it builds in (a copy of) the context.
      const context = join(session.dir, 'cases', c.path);
      await cp(join(fixtures, c.path), context, { recursive: true });
      const ignore = await ignoreFile(session.dir, c);
      try {
        // --debug: sealer logs each container image it finds ("get container image(NAME) with platform(P) from ...").
        const built = await session.run([
          'build', '--debug', '-t', imageName(c), '--platform', (c.sealerPlatforms ?? ['linux/amd64']).join(','),
          ...(ignore ? ['--ignored-image-list', ignore] : []),
          ...(c.imageList ? ['--image-list', c.imageList] : []),
          '.',
        ], { cwd: context });
        const inspected = JSON.parse((await session.run(['inspect', imageName(c)])).stdout) as { imageExtension: Extension };
        results.set(c.path, { extension: inspected.imageExtension, images: foundImages(built.stderr) });
      } catch (error) {
        // The debug log is long: its error lines, else its end.
        const stderr = (error as { stderr?: string }).stderr ?? (error as Error).message;
        const lines = stderr.trim().split('\n');
        const errors = lines.filter((line) => line.includes('[ERROR]'));
        results.set(c.path, { error: (errors.length > 0 ? errors : lines.slice(-5)).join('\n'), images: foundImages(stderr) });
      }
    }
  } finally {
    await session.cleanup();
  }
}

/** The container images sealer's debug log says it found, each once. */
const foundImages = (log: string): string[] => [...new Set([...log.matchAll(/get container image\((\S+?)\) with platform\(/g)].map((m) => m[1]))].sort();

/** Applications as a set (sealer writes them in random order): sorted by name. */
const applications = (extension: Extension) => [...(extension.applications ?? [])].sort((a, b) => a.name.localeCompare(b.name));

/** What each difference cases.json may list makes of sealer's launch: the launch kubefilec writes instead. */
const DIFFERENCES: Record<string, (launch: Extension['launch'], baseCmds: string[]) => Extension['launch']> = {
  'base-cmd-first': (launch, baseCmds) => ({ ...launch, cmds: [...baseCmds, ...(launch?.cmds ?? [])] }),
  'cmd-whitespace': (launch) => ({ ...launch, cmds: launch?.cmds?.map((cmd) => cmd.trim()) }),
  // sealer keeps an exec-form CMD's raw text; kubefilec launches its strings as sealer v0.8 did (compiler/src/cmd.ts).
  'exec-form-cmd': (launch) => ({ ...launch, cmds: launch?.cmds?.flatMap((cmd) => (cmd.startsWith('[') ? execFormCommands(JSON.parse(cmd) as string[]) : [cmd])) }),
};

describe("sealer's own Kubefiles build with kubefilec (and sealer, with SEALER_BIN)", function () {
  this.timeout(300_000);
  let dir: string;
  const ours = new Map<string, KubefilecResult>();
  const sealers = new Map<string, SealerResult>();
  let lints = new Map<string, Diagnostic[]>();
  let baseCmds: string[] = [];

  before(async function () {
    // The sealer harness may wait (up to 10 minutes) for another process's sealer session.
    if (SEALER_BIN) this.timeout(900_000);
    if (!SEALER_BIN) console.log("sealer's Kubefiles: built with kubefilec only (SEALER_BIN is not set)");
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-sealer-kubefiles-'));
    lints = await lintAll();
    // kubefilec and sealer build side by side: they share nothing but the (read-only) fixtures.
    // allSettled: a failure of one still lets the other finish (and the sealer session clean up).
    const [mine, theirs] = await Promise.allSettled([buildWithKubefilec(dir, ours), SEALER_BIN ? buildWithSealer(SEALER_BIN, sealers) : undefined]);
    if (mine.status === 'rejected') throw mine.reason;
    if (theirs.status === 'rejected') throw theirs.reason;
    baseCmds = mine.value;
  });
  after(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('cases.json lists every fixture directory once, each with a Kubefile, its source and FROM', () => {
    const dirs = readdirSync(fixtures, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    assert.deepEqual(spec.cases.map((c) => c.path).sort(), dirs);
    for (const c of spec.cases) {
      const kubefile = readFileSync(join(fixtures, c.path, 'Kubefile'), 'utf8');
      assert.equal(/^FROM\s+(\S+)/im.exec(kubefile)?.[1], c.from, c.path);
      assert.match(c.source.tag, /^v\d+\.\d+\.\d+$/);
      assert.equal(c.buildable, c.notBuildable === undefined, `${c.path}: a case is buildable, or says why not`);
      for (const d of c.knownDifferences ?? []) assert.ok(spec.differences[d] && DIFFERENCES[d], `${c.path}: difference ${d} is described and known to the test`);
      if (c.buildable && c.from !== 'scratch') assert.ok(spec.bases.names.includes(c.from), `${c.path}: ${c.from} gets a stand-in`);
    }
  });

  for (const c of spec.cases.filter((c) => !c.buildable)) {
    it(`${c.path} lints: no error but its missing context files (not built offline: ${c.notBuildable})`, () => {
      const errors = lints.get(c.path)?.filter((d) => d.severity === 'error' && d.code !== 'KF3004') ?? [];
      assert.deepEqual(errors, []);
    });
  }

  for (const c of buildable) {
    it(`${c.path} (${c.source.tag} ${c.source.path})`, () => {
      const result = ours.get(c.path);
      assert.ok(result, 'kubefilec ran');
      assert.deepEqual(lints.get(c.path)?.filter((d) => d.severity === 'error'), [], 'kubefilec lint: no errors');

      const sealer = sealers.get(c.path);
      if (c.knownFailure) {
        assert.notEqual(result.build.code, 0, `kubefilec now builds it: remove knownFailure (${c.knownFailure})`);
        if (sealer) assert.equal(sealer.error, undefined, 'sealer builds it (that is what makes it a kubefilec bug)');
        return;
      }
      assert.equal(result.build.code, 0, `kubefilec build failed${sealer && !sealer.error ? ' where sealer succeeds' : ''}:\n${result.build.stderr}`);
      const extensions = Object.values(result.extensions ?? {});
      assert.equal(extensions.length, 2, 'one manifest per platform');
      assert.deepEqual(extensions[1], extensions[0], 'the platforms carry the same extension');
      if (!SEALER_BIN) return;

      assert.ok(sealer, 'sealer ran');
      if (sealer.error !== undefined) {
        assert.ok(c.sealerFailure, `sealer fails where kubefilec succeeds, and cases.json does not say why:\n${sealer.error}`);
        return;
      }
      assert.equal(c.sealerFailure, undefined, `sealer now builds it: remove sealerFailure (${c.sealerFailure})`);
      // kubefilec built offline with ignoreImages left out, so it found no other image; sealer finds these.
      assert.deepEqual(sealer.images, [...(c.ignoreImages ?? [])].sort(), 'the container images sealer finds are the ones kubefilec finds');
      const mine = extensions[0];
      const theirs = sealer.extension as Extension;
      assert.deepEqual(applications(mine), applications(theirs), 'applications');
      // Each listed difference turns sealer's launch into ours, and must change it (else it is stale, or fixed).
      let launch = theirs.launch;
      for (const d of c.knownDifferences ?? []) {
        const before = launch;
        launch = DIFFERENCES[d](launch, baseCmds);
        assert.notDeepEqual(launch, before, `difference ${d} is not seen here any more: remove it from cases.json${spec.differences[d].intended ? '' : ' (the bug is fixed)'}`);
      }
      assert.deepEqual(mine.launch, launch, 'launch');
      assert.equal(mine.type, theirs.type, 'type');
      assert.deepEqual(mine.env, theirs.env, 'env');
    });
  }
});
