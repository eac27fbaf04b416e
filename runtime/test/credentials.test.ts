import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { authFilePath, readCredentials, removeCredentials, saveCredentials } from '../src/registry/credentials.js';
import { RuntimeError } from '../src/errors.js';

const basic = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');

let dir: string;
let file: string;
/** Points only at the temp dir, so the real ~/.docker is never read or written. */
let env: NodeJS.ProcessEnv;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubefile-credentials-'));
  file = join(dir, 'auth.json');
  env = { REGISTRY_AUTH_FILE: file };
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function writeJson(content: unknown): Promise<void> {
  await writeFile(file, JSON.stringify(content));
}

async function readJson(): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
}

describe('authFilePath', () => {
  it('prefers REGISTRY_AUTH_FILE, then DOCKER_CONFIG, then HOME', () => {
    const all = { REGISTRY_AUTH_FILE: '/a/auth.json', DOCKER_CONFIG: '/b', HOME: '/c' };
    assert.equal(authFilePath(all), '/a/auth.json');
    assert.equal(authFilePath({ DOCKER_CONFIG: '/b', HOME: '/c' }), '/b/config.json');
    assert.equal(authFilePath({ HOME: '/c' }), '/c/.docker/config.json');
    assert.equal(authFilePath({ REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: '', HOME: '/c' }), '/c/.docker/config.json');
  });
});

describe('credentials', () => {
  it('reads back what it saved', async () => {
    await saveCredentials('registry.example:5000', { username: 'alice', password: 's3cret' }, env);
    assert.deepEqual(await readCredentials('registry.example:5000', env), { username: 'alice', password: 's3cret' });
    assert.equal(await readCredentials('registry.example', env), undefined);
    assert.deepEqual(await readJson(), { auths: { 'registry.example:5000': { auth: basic('alice', 's3cret') } } });
  });

  it('creates the file 0600 in a new 0700 directory, leaving no temp file', async () => {
    const configDir = join(dir, 'docker');
    const dockerEnv = { DOCKER_CONFIG: configDir, HOME: join(dir, 'home') };
    await saveCredentials('r.example', { username: 'u', password: 'p' }, dockerEnv);
    assert.equal((await stat(join(configDir, 'config.json'))).mode & 0o777, 0o600);
    assert.equal((await stat(configDir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(configDir), ['config.json']);
    assert.deepEqual(await readCredentials('r.example', dockerEnv), { username: 'u', password: 'p' });
  });

  it('keeps the mode of an existing file', async () => {
    await writeJson({});
    await chmod(file, 0o640);
    await saveCredentials('r.example', { username: 'u', password: 'p' }, env);
    assert.equal((await stat(file)).mode & 0o777, 0o640);
  });

  it('keeps every other key of the file', async () => {
    const other = { 'other.example': { auth: basic('bob', 'pw') }, 'token.example': { identitytoken: 'tok' } };
    await writeJson({ credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' }, auths: other, psFormat: 'table' });
    await saveCredentials('r.example', { username: 'u', password: 'p' }, env);
    assert.deepEqual(await readJson(), {
      credsStore: 'desktop',
      credHelpers: { 'gcr.io': 'gcloud' },
      auths: { ...other, 'r.example': { auth: basic('u', 'p') } },
      psFormat: 'table',
    });
  });

  it('updates a symlinked file where it points', async () => {
    const target = join(dir, 'dotfiles-auth.json');
    await writeFile(target, '{"auths": {}}');
    await symlink(target, file);
    await saveCredentials('r.example', { username: 'u', password: 'p' }, env);
    assert.equal((await stat(file)).isFile(), true);
    assert.deepEqual(JSON.parse(await readFile(target, 'utf8')), { auths: { 'r.example': { auth: basic('u', 'p') } } });
  });

  it('splits at the first colon only, so passwords may contain colons', async () => {
    await saveCredentials('r.example', { username: 'u', password: 'a:b::c:' }, env);
    assert.deepEqual(await readCredentials('r.example', env), { username: 'u', password: 'a:b::c:' });
  });

  it('matches keys written as URLs', async () => {
    await writeJson({
      auths: {
        'https://a.example': { auth: basic('a', '1') },
        'http://b.example:5000': { auth: basic('b', '2') },
        'c.example/v1/': { auth: basic('c', '3') },
        'https://d.example/v2/': { auth: basic('d', '4') },
      },
    });
    assert.deepEqual(await readCredentials('a.example', env), { username: 'a', password: '1' });
    assert.deepEqual(await readCredentials('b.example:5000', env), { username: 'b', password: '2' });
    assert.deepEqual(await readCredentials('c.example', env), { username: 'c', password: '3' });
    assert.deepEqual(await readCredentials('d.example', env), { username: 'd', password: '4' });
    assert.equal(await readCredentials('b.example', env), undefined);
  });

  it('does not use a repository-scoped key for the whole registry', async () => {
    await writeJson({ auths: { 'quay.io/team': { auth: basic('t', 'p') } } });
    assert.equal(await readCredentials('quay.io', env), undefined);
  });

  it('writes Docker Hub under its v1 URL and reads it by any alias', async () => {
    await saveCredentials('docker.io', { username: 'hub', password: 'pw' }, env);
    assert.deepEqual(Object.keys((await readJson()).auths as object), ['https://index.docker.io/v1/']);
    for (const alias of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      assert.deepEqual(await readCredentials(alias, env), { username: 'hub', password: 'pw' }, alias);
    }
    await writeJson({ auths: { 'registry-1.docker.io': { auth: basic('old', 'pw') } } });
    assert.deepEqual(await readCredentials('docker.io', env), { username: 'old', password: 'pw' });
    // Saving replaces the other spelling rather than leaving two entries that disagree.
    await saveCredentials('index.docker.io', { username: 'new', password: 'pw2' }, env);
    assert.deepEqual(await readJson(), { auths: { 'https://index.docker.io/v1/': { auth: basic('new', 'pw2') } } });
  });

  it('accepts entries with separate username and password fields', async () => {
    await writeJson({ auths: { 'r.example': { username: 'u', password: 'p:q' } } });
    assert.deepEqual(await readCredentials('r.example', env), { username: 'u', password: 'p:q' });
  });

  it('ignores identity tokens and credential helpers', async () => {
    await writeJson({
      credsStore: 'desktop',
      credHelpers: { 'helper.example': 'ecr-login' },
      auths: {
        'token.example': { identitytoken: 'refresh-token' },
        'docker-token.example': { auth: basic('<token>', ''), identitytoken: 'refresh-token' },
        'helper.example': {},
      },
    });
    assert.equal(await readCredentials('token.example', env), undefined);
    assert.equal(await readCredentials('docker-token.example', env), undefined);
    assert.equal(await readCredentials('helper.example', env), undefined);
  });

  it('removes an entry, returning whether there was one', async () => {
    await writeJson({ credsStore: 'desktop', auths: { 'https://r.example/v2/': { auth: basic('u', 'p') }, 'o.example': { auth: basic('o', 'p') } } });
    assert.equal(await removeCredentials('r.example', env), true);
    assert.equal(await readCredentials('r.example', env), undefined);
    assert.equal(await removeCredentials('r.example', env), false);
    assert.deepEqual(await readJson(), { credsStore: 'desktop', auths: { 'o.example': { auth: basic('o', 'p') } } });
  });

  it('finds nothing when there is no file', async () => {
    assert.equal(await readCredentials('r.example', env), undefined);
    assert.equal(await removeCredentials('r.example', env), false);
    await assert.rejects(stat(file), { code: 'ENOENT' });
    assert.equal(await readCredentials('r.example', { DOCKER_CONFIG: join(dir, 'missing') }), undefined);
  });

  it('reports a malformed file without quoting the password in it', async () => {
    const text = '{"auths": {"r.example": {"username": "u", "password": hunter2}}}';
    // V8 quotes the text around the error, so a naive message would leak the password.
    assert.throws(() => JSON.parse(text), /hunter2/);
    await writeFile(file, text);
    for (const action of [
      () => readCredentials('r.example', env),
      () => saveCredentials('r.example', { username: 'u', password: 'other' }, env),
      () => removeCredentials('r.example', env),
    ]) {
      await assert.rejects(action, (error: unknown) => {
        assert.ok(error instanceof RuntimeError);
        assert.equal(error.code, 'IO');
        assert.ok(error.message.startsWith(`${file} is not valid JSON: `), error.message);
        assert.doesNotMatch(error.message, /hunter2/);
        return true;
      });
    }
    // The broken file is left for the user to fix, not overwritten.
    assert.equal(await readFile(file, 'utf8'), text);
  });
});

describe('saveCredentials { private: true } (what login asks for): the file ends 0600, and the caller learns the mode it changed', () => {
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
