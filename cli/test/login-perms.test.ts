/** `login` keeps the auth file private (0600, an existing one made so, said once) and warns about a password on the command line. */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubefilecWith, startRegistry, type RunningRegistry } from './registry-cli.js';

describe('kubefilec login: auth file mode and password warnings', function () {
  this.timeout(60_000);
  let dir: string;
  let auth: string;
  let registry: RunningRegistry;
  let env: NodeJS.ProcessEnv;

  const kubefilec = kubefilecWith(() => env);
  const modeOf = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefilec-login-'));
    auth = join(dir, 'auth.json');
    env = { ...process.env, REGISTRY_AUTH_FILE: auth };
    registry = await startRegistry(join(dir, 'registry'), dir, { ann: 'pw-of-ann' });
  });
  afterEach(async () => {
    await registry.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the auth file 0600, with no warning for --password-stdin', async () => {
    const r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'pw-of-ann\n');
    assert.deepEqual([r.code, r.stderr], [0, `Login succeeded: ann at ${registry.host}\n`]);
    assert.equal(await modeOf(auth), 0o600);
  });

  it('makes an existing 0644 auth file 0600, saying so once', async () => {
    await writeFile(auth, '{"auths":{"other.example.com":{"auth":"eDp5"}},"keep":1}\n');
    await chmod(auth, 0o644);
    let r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'pw-of-ann\n');
    assert.deepEqual([r.code, r.stderr], [0, `${auth} was mode 0644: made it 0600, as it holds passwords\nLogin succeeded: ann at ${registry.host}\n`]);
    assert.equal(await modeOf(auth), 0o600);
    r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'pw-of-ann\n');
    assert.deepEqual([r.code, r.stderr], [0, `Login succeeded: ann at ${registry.host}\n`], 'said once');
    assert.equal(await modeOf(auth), 0o600);
  });

  it('a failed login leaves the file and its mode alone', async () => {
    await writeFile(auth, '{}\n');
    await chmod(auth, 0o644);
    const r = await kubefilec(['login', registry.host, '-u', 'ann', '--password-stdin', '--tls-verify=false'], 'wrong\n');
    assert.notEqual(r.code, 0);
    assert.equal(await modeOf(auth), 0o644);
  });

  it('warns like Docker when the password is given with -p', async () => {
    const r = await kubefilec(['login', registry.host, '-u', 'ann', '-p', 'pw-of-ann', '--tls-verify=false']);
    assert.deepEqual([r.code, r.stderr], [0, `WARNING! Using --password via the CLI is insecure. Use --password-stdin.\nLogin succeeded: ann at ${registry.host}\n`]);
    assert.equal(await modeOf(auth), 0o600);
  });
});
