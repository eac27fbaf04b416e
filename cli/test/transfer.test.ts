/** `login`, `push`, `pull`, `logout` on the real binary against a real registry with a user. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');

interface RunningRegistry {
  host: string;
  stop(): Promise<void>;
}
// The runtime's test helper starts Debian's docker-registry (compiled next to the runtime's tests).
const { startRegistry } = (await import(pathToFileURL(join(repo, 'runtime/dist/test/registry-helpers.js')).href)) as {
  startRegistry(root: string, configDir: string, users?: Record<string, string>): Promise<RunningRegistry>;
};

describe('kubefilec login, push, pull, logout', function () {
  this.timeout(120_000);
  let dir: string;
  let registry: RunningRegistry;
  let env: NodeJS.ProcessEnv;

  const kubefilec = (args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [bin, ...args], { env }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      child.stdin?.end(input ?? '');
    });

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
    assert.equal(r.stderr.trim().split('\n').at(-1), `kubefilec: error: ${extra}:1: ${missing}; leave it out with --skip-missing-platform, or list it in --ignore-image-list`);

    r = await kubefilec(['build', ...both, '-t', 'cluster:v1', '--tls-verify=false', '--image-list', extra, '--skip-missing-platform', cluster]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[linux\/amd64\] STEP 3\/3: collect container images \(2 named\)/);
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
