/** `login`, `push`, `pull`, `logout` on the real binary against a real registry with a user; `save` and `load` of sealer saves and unnamed archives. */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bin, kubefilecWith, repo, startRegistry, type RunningRegistry } from './registry-cli.js';

describe('kubefilec login, push, pull, logout', function () {
  this.timeout(120_000);
  let dir: string;
  let registry: RunningRegistry;
  let env: NodeJS.ProcessEnv;

  const kubefilec = kubefilecWith(() => env);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-transfer-'));
    env = { ...process.env, REGISTRY_AUTH_FILE: join(dir, 'auth.json') };
    registry = await startRegistry(join(dir, 'registry'), dir, { ann: 'pw-of-ann' });
  });
  afterEach(async () => {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Builds `app:v1` (amd64 and arm64, one tool each) into a store in `dir`; returns the store. */
  async function buildApp(): Promise<string> {
    const context = join(dir, 'context');
    for (const arch of ['amd64', 'arm64']) {
      await mkdir(join(context, arch), { recursive: true });
      await writeFile(join(context, arch, 'tool'), `tool for ${arch}\n`);
    }
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY ${ARCH}/tool bin/\n');
    const store = join(dir, 'store');
    assert.equal((await kubefilec(['build', '--root', store, '-t', 'app:v1', '--platform', 'linux/amd64,linux/arm64', '--progress', 'plain', context])).code, 0);
    return store;
  }

  it('needs a login, refuses a wrong password, then pushes and pulls one platform back', async () => {
    const store = await buildApp();
    const target = `${registry.host}/team/app:v1`;

    let r = await kubefilec(['push', 'app:v1', target, '--tls-verify=false', '--root', store]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').at(-1), `kubefilec: error: ${registry.host} requires authentication: run \`kubefilec login ${registry.host}\``);

    r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'wrong\n');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refused the credentials of ann/);
    await assert.rejects(readFile(join(dir, 'auth.json')), 'nothing saved');

    r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'pw-of-ann\n');
    assert.deepEqual([r.code, r.stderr], [0, `Login succeeded: ann at ${registry.host}\n`]);
    const auth = JSON.parse(await readFile(join(dir, 'auth.json'), 'utf8')) as { auths: Record<string, { auth: string }> };
    assert.equal(Buffer.from(auth.auths[registry.host].auth, 'base64').toString(), 'ann:pw-of-ann');

    r = await kubefilec(['push', 'app:v1', target, '--tls-verify=false', '--root', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^${registry.host}/team/app:v1 sha256:[0-9a-f]{64}\\n$`));
    assert.match(r.stderr, /^Pushing .*team\/app:v1 \(linux\/amd64, linux\/arm64\/v8\): 4 blobs/);
    assert.doesNotMatch(r.stderr, /pw-of-ann/);

    const other = join(dir, 'other');
    r = await kubefilec(['pull', target, '--platform', 'linux/arm64', '--tls-verify=false', '--root', other]);
    assert.equal(r.code, 0, r.stderr);
    r = await kubefilec(['images', '--root', other]);
    assert.match(r.stdout, new RegExp(`${registry.host}/team/app +v1 .*linux/arm64/v8`));
    assert.doesNotMatch(r.stdout, /linux\/amd64/);

    r = await kubefilec(['logout', registry.host]);
    assert.deepEqual([r.code, r.stderr], [0, `Removed the credentials for ${registry.host}\n`]);
    r = await kubefilec(['pull', target, '--tls-verify=false', '--root', other]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /requires authentication/);
  });

  it('build carries the images its manifests and --image-list name, with the saved login; a missing platform is an error or a warning', async () => {
    const store = await buildApp();
    const both = ['--platform', 'linux/amd64,linux/arm64', '--root', store, '--progress', 'plain'];
    assert.equal((await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'pw-of-ann\n')).code, 0);
    assert.equal((await kubefilec(['push', 'app:v1', `${registry.host}/team/app:v1`, '--tls-verify=false', '--root', store])).code, 0);
    assert.equal((await kubefilec(['push', 'app:v1', `${registry.host}/team/amd:1`, '--platform', 'linux/amd64', '--tls-verify=false', '--root', store])).code, 0);

    const cluster = join(dir, 'cluster');
    await mkdir(join(cluster, 'manifests'), { recursive: true });
    await writeFile(join(cluster, 'manifests', 'app.yaml'), `kind: Pod\nspec:\n  containers:\n    - image: ${registry.host}/team/app:v1\n`);
    await writeFile(join(cluster, 'Kubefile'), 'FROM scratch\nCOPY manifests manifests\n');
    const extra = join(dir, 'extra.txt');
    await writeFile(extra, `${registry.host}/team/amd:1\n`);
    const missing = `no manifest for linux/arm64/v8 in ${registry.host}/team/amd:1 (it has: linux/amd64)`;

    let r = await kubefilec(['build', ...both, '-t', 'cluster:v1', '--tls-verify=false', '--image-list', extra, cluster]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split('\n').at(-1), `${extra}:1:1: error: ${missing} (named by the --image-list file); leave it out with --skip-missing-platform, or list it in --ignore-image-list`);

    r = await kubefilec(['build', ...both, '-t', 'cluster:v1', '--tls-verify=false', '--image-list', extra, '--skip-missing-platform', cluster]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stderr.includes(`[linux/amd64] STEP 3/3: collect container images: ${registry.host}/team/app:v1, ${registry.host}/team/amd:1 (2 named)\n`), r.stderr);
    assert.ok(r.stderr.includes(`[linux/arm64/v8] warning: ${extra}:1: ${missing}; left out (--skip-missing-platform)\n`), r.stderr);
    r = await kubefilec(['inspect', 'cluster:v1', '--platform', 'linux/arm64', '--format', 'sealer-v0.8', '--root', store]);
    assert.match(r.stdout, new RegExp(`containerImageList:\\n\\s+- imageName: ${registry.host}/team/app:v1\\n`));
    assert.doesNotMatch(r.stdout, /team\/amd:1/);

    r = await kubefilec(['build', ...both, '-t', 'cluster:v1', '--image-list', join(dir, 'nothing.txt'), cluster]);
    assert.deepEqual([r.code, r.stderr], [2, `kubefilec: error: cannot read image list ${join(dir, 'nothing.txt')}: no such file\n`]);
    const help = await kubefilec(['build', '--help']);
    for (const option of ['--image-list <FILE>', '--ignore-image-list <FILE>', '--skip-missing-platform']) assert.ok(help.stdout.includes(option), option);
  });

  it('every transfer command has --help with an example; a bad --tls-verify is a usage error', async () => {
    for (const command of ['pull', 'push', 'login', 'logout']) {
      const help = await kubefilec([command, '--help']);
      assert.match(help.stdout, new RegExp(`^Usage: kubefilec ${command} `, 'm'));
      assert.match(help.stdout, /Examples?:/);
    }
    const bad = await kubefilec(['pull', 'x:v1', '--tls-verify=maybe']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--tls-verify takes true or false/);
  });
});

describe('kubefilec save and load: sealer saves, unnamed archives', function () {
  this.timeout(300_000);
  const fixture = join(repo, 'runtime/test/fixtures/sealer/multi-platform-save.tar');
  const multi = 'localhost/fixture-save-multi:v1';
  let dir: string;

  const kubefilec = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  const tarPaths = (file: string): string[] => execFileSync('tar', ['tf', file]).toString().trim().split('\n');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-archive-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("loads sealer's multi-platform save as one image of both platforms, and saves it back in sealer's format", async () => {
    const store = join(dir, 'store');
    let r = await kubefilec(['load', '--root', store, '-i', fixture]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Loaded ${multi} sha256:[a-f0-9]{64}\\n$`));
    r = await kubefilec(['images', '--root', store, '--format', 'json']);
    const [image] = JSON.parse(r.stdout) as { name: string; platforms: string[] }[];
    assert.deepEqual([image.name, [...image.platforms].sort()], [multi, ['linux/amd64', 'linux/arm64/v8']]);
    const file = join(dir, 'again.tar');
    r = await kubefilec(['save', '--root', store, '--format', 'sealer', '-o', file, multi]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(tarPaths(file), [...tarPaths(fixture).filter((path) => path.endsWith('.tar')).sort(), 'Metadata']);
    assert.equal(execFileSync('tar', ['xOf', file, 'Metadata']).toString(), multi);
    // One image per sealer archive; formats are checked.
    r = await kubefilec(['save', '--root', store, '--format', 'sealer', '-o', join(dir, 'two.tar'), multi, 'other:v1']);
    assert.deepEqual([r.code, r.stderr], [1, 'kubefilec: error: a sealer archive holds one image, but 2 are named (localhost/fixture-save-multi:v1, other:v1); save them one by one\n']);
    r = await kubefilec(['save', '--root', store, '--format', 'tarball', '-o', join(dir, 'x.tar'), multi]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /argument 'tarball' is invalid\. Allowed choices are oci, sealer\./);
  });

  it('loads an archive without names untagged, saying how to name it; tag DIGEST names it; --tag names it at once', async () => {
    const store = join(dir, 'store');
    assert.equal((await kubefilec(['load', '--root', store, '-i', fixture])).code, 0);
    // As skopeo writes it from an OCI layout: no org.opencontainers.image.ref.name.
    const unnamed = join(dir, 'unnamed.tar');
    execFileSync('skopeo', ['copy', '--all', '--preserve-digests', `oci:${store}:${multi}`, `oci-archive:${unnamed}`], { stdio: 'pipe' });
    const other = join(dir, 'other');
    let r = await kubefilec(['load', '--root', other, '-i', unnamed]);
    assert.equal(r.code, 0, r.stderr);
    const digest = /^Loaded (sha256:[a-f0-9]{64}) /.exec(r.stdout)?.[1];
    assert.equal(r.stdout, `Loaded ${digest} untagged (the archive gives it no name): name it with kubefilec tag ${digest} NAME\n`);
    assert.equal((await kubefilec(['images', '--root', other, '--format', 'json'])).stdout.trim(), '[]');
    r = await kubefilec(['tag', '--root', other, digest ?? '', 'app:v1']);
    assert.equal(r.code, 0, r.stderr);
    const [image] = JSON.parse((await kubefilec(['images', '--root', other, '--format', 'json'])).stdout) as { name: string; digest: string; platforms: string[] }[];
    assert.deepEqual([image.name, image.digest, image.platforms.length], ['app:v1', digest, 2]);
    r = await kubefilec(['load', '--root', other, '-i', unnamed, '--tag', 'app:v2']);
    assert.equal(r.stdout, `Loaded app:v2 ${digest}\n`);
  });

  it('save and load --help tell of --format sealer and --tag', async () => {
    const save = await kubefilec(['save', '--help']);
    assert.match(save.stdout, /--format <FORMAT>/);
    assert.match(save.stdout, /kubefilec save --format sealer -o /);
    const load = await kubefilec(['load', '--help']);
    assert.match(load.stdout, /--tag <NAME>/);
    assert.match(load.stdout, /sealer save -o cluster\.tar my-cluster:v1 && kubefilec load -i cluster\.tar/);
    const tag = await kubefilec(['tag', '--help']);
    assert.match(tag.stdout, /digest of a stored image/);
  });

  const sealerBin = process.env.SEALER_BIN && existsSync(process.env.SEALER_BIN) ? process.env.SEALER_BIN : undefined;
  if (!sealerBin) {
    console.log('kubefilec save --format sealer against the real sealer skipped: SEALER_BIN is not set (e.g. SEALER_BIN=/work/shared/tools/sealer/sealer)');
  } else {
    it('sealer load of kubefilec save --format sealer keeps both platforms (real sealer)', async () => {
      const { startSealer } = (await import(pathToFileURL(join(repo, 'runtime/dist/test/sealer-helpers.js')).href)) as {
        startSealer(bin: string): Promise<{ run(args: string[]): Promise<{ stdout: string }>; cleanup(): Promise<void> }>;
      };
      const store = join(dir, 'store');
      assert.equal((await kubefilec(['load', '--root', store, '-i', fixture, '--tag', 'roundtrip:v1'])).code, 0);
      const file = join(dir, 'roundtrip.tar');
      assert.equal((await kubefilec(['save', '--root', store, '--format', 'sealer', '-o', file, 'roundtrip:v1'])).code, 0);
      const session = await startSealer(sealerBin);
      try {
        await session.run(['load', '-i', file]);
        const list = JSON.parse((await session.run(['alpha', 'manifest', 'inspect', 'roundtrip:v1'])).stdout) as { manifests: { platform: { architecture: string } }[] };
        assert.deepEqual(list.manifests.map((m) => m.platform.architecture).sort(), ['amd64', 'arm64']);
      } finally {
        await session.cleanup();
      }
    });
  }
});
