/** saveCredentials with `private` (what `login` asks for): the auth file ends 0600, and the caller learns the mode it changed. */
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCredentials, saveCredentials } from '../src/registry/credentials.js';

describe('saveCredentials { private: true }', () => {
  let dir: string;
  let file: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-credentials-private-'));
    file = join(dir, 'auth.json');
    env = { REGISTRY_AUTH_FILE: file };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const modeOf = async (): Promise<number> => (await stat(file)).mode & 0o777;

  it('creates a new file 0600 and reports no change of mode', async () => {
    assert.deepEqual(await saveCredentials('r.example.com', { username: 'ann', password: 'pw' }, env, { private: true }), { path: file });
    assert.equal(await modeOf(), 0o600);
  });

  it('makes an existing 0644 file 0600, keeping its other keys, and reports the old mode; then nothing more', async () => {
    await writeFile(file, '{"auths":{},"credsStore":"x"}\n');
    await chmod(file, 0o644);
    assert.deepEqual(await saveCredentials('r.example.com', { username: 'ann', password: 'pw' }, env, { private: true }), { path: file, tightenedFrom: 0o644 });
    assert.equal(await modeOf(), 0o600);
    assert.equal(JSON.parse(await readFile(file, 'utf8')).credsStore, 'x');
    assert.deepEqual(await readCredentials('r.example.com', env), { username: 'ann', password: 'pw' });
    assert.deepEqual(await saveCredentials('r.example.com', { username: 'ann', password: 'pw2' }, env, { private: true }), { path: file });
  });

  it('without it, an existing file keeps its mode', async () => {
    await writeFile(file, '{}\n');
    await chmod(file, 0o644);
    assert.deepEqual(await saveCredentials('r.example.com', { username: 'ann', password: 'pw' }, env), { path: file });
    assert.equal(await modeOf(), 0o644);
  });
});
