/**
 * The Bearer token flow against Debian's docker-registry in token auth mode, with a token server
 * of our own (registry-helpers): tokens asked for with the user's credentials and the right
 * scopes, reused per scope, and refusals reported as AUTH errors that never show the password.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pullImage, pushImage, RuntimeError, type ImageStore } from '../src/index.js';
import { makeImage, useTempStore } from './fixtures.js';
import { startRegistry, startTokenServer, type RunningRegistry, type RunningTokenServer } from './registry-helpers.js';

describe('token auth (docker-registry with a token server)', function () {
  this.timeout(60_000);
  const password = 's3cret-token-pw';
  const credentials = { username: 'ann', password };
  let store: ImageStore;
  let tokens: RunningTokenServer;
  let registry: RunningRegistry;
  let target: string;
  const temp = useTempStore('kubefile-token-');
  beforeEach(async () => {
    store = temp.store;
    await makeImage(store, 'app:v1', [
      { platform: 'linux/amd64', layers: [{ 'bin/tool': 'amd64 tool\n' }] },
      { platform: 'linux/arm64', layers: [{ 'bin/tool': 'arm64 tool\n' }] },
    ]);
    tokens = await startTokenServer(join(temp.dir, 'token'), { ann: password });
    registry = await startRegistry(join(temp.dir, 'registry'), temp.dir, tokens.auth);
    target = `${registry.host}/team/app:v1`;
  });
  afterEach(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  const authError = (expected: RegExp) => (error: RuntimeError) => {
    assert.ok(error instanceof RuntimeError, String(error));
    assert.equal(error.code, 'AUTH');
    assert.match(error.message, expected);
    assert.doesNotMatch(error.message, new RegExp(password));
    return true;
  };

  it('pushes and pulls with a token for the user, one token request per scope', async () => {
    const pushed = await pushImage(store, 'app:v1', target, { tlsVerify: false, credentials });
    assert.equal(pushed.digest, (await store.getImage('app:v1')).descriptor.digest);
    // The blob checks start together and all meet a 401: they share one token request.
    assert.deepEqual(tokens.requests, [{ user: 'ann', service: 'test-registry', scopes: ['repository:team/app:pull,push'] }]);

    tokens.requests.length = 0;
    const pulled = await pullImage(await temp.anotherStore(), target, { tlsVerify: false, credentials });
    assert.equal(pulled.image.descriptor.digest, pushed.digest);
    assert.deepEqual(pulled.platforms, ['linux/amd64', 'linux/arm64/v8']);
    // Index, two manifests, four blobs: one token, fetched for the index and reused.
    assert.deepEqual(tokens.requests, [{ user: 'ann', service: 'test-registry', scopes: ['repository:team/app:pull'] }]);
  });

  it('without credentials: an anonymous token gets no access, and login is asked for', async () => {
    await pushImage(store, 'app:v1', target, { tlsVerify: false, credentials });
    tokens.requests.length = 0;
    await assert.rejects(pullImage(await temp.anotherStore(), target, { tlsVerify: false }), authError(new RegExp(`^${registry.host} requires authentication: run \`kubefilec login ${registry.host}\`$`)));
    assert.deepEqual(tokens.requests, [{ user: undefined, service: 'test-registry', scopes: ['repository:team/app:pull'] }]);
  });

  it('a wrong password is refused by the token server, and never shown', async () => {
    const wrong = { username: 'ann', password: `${password}-wrong` };
    await assert.rejects(pushImage(store, 'app:v1', target, { tlsVerify: false, credentials: wrong }), authError(/refused the credentials of ann/));
    await assert.rejects(pullImage(await temp.anotherStore(), target, { tlsVerify: false, credentials: wrong }), authError(/refused the credentials of ann/));
    // The push's parallel blob checks may each meet the refusal: at least one request each, all as ann.
    assert.ok(tokens.requests.length >= 2, `${tokens.requests.length} token requests`);
    assert.ok(tokens.requests.every((r) => r.user === 'ann'));
  });
});
