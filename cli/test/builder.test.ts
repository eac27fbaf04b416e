/**
 * `kubefilec builder`: the commands over the stored list, run as a user runs them (the binary, its
 * builders file in a temp DOCKER_CONFIG). Reaching real nodes is the runtime's builders test (sshd).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = join(repo, 'cli/bin/kubefilec.js');

describe('kubefilec builder', function () {
  this.timeout(30_000);
  let home: string;
  const kubefilec = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [bin, ...args], { env: { ...process.env, DOCKER_CONFIG: home } }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
    });
  beforeEach(async () => {
    home = await mkdtemp(join(tmpdir(), 'kubefilec-builder-'));
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('has help for itself and each subcommand', async () => {
    const r = await kubefilec(['builder', '--help']);
    assert.equal(r.code, 0);
    for (const command of ['add', 'ls', 'rm', 'inspect']) assert.match(r.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.match((await kubefilec(['builder', 'add', '--help'])).stdout, /ssh:\/\/\[user@\]host\[:port\]/);
  });

  it('lists none, then what the file holds, as a table or JSON', async () => {
    assert.deepEqual(await kubefilec(['builder', 'ls']), { code: 0, stdout: 'NAME   URL   PLATFORMS   IDENTITY\n', stderr: '' });
    const arm = { name: 'arm1', url: 'ssh://builder@10.0.0.7', platforms: ['linux/arm64/v8'], added: '2026-12-05T00:00:00.000Z' };
    await writeFile(join(home, 'kubefilec-builders.json'), JSON.stringify({ builders: [arm] }));
    assert.equal((await kubefilec(['builder', 'ls'])).stdout, 'NAME   URL                      PLATFORMS        IDENTITY\narm1   ssh://builder@10.0.0.7   linux/arm64/v8   -\n');
    assert.deepEqual(JSON.parse((await kubefilec(['builder', 'ls', '--format', 'json'])).stdout), [arm]);
  });

  it('fails in one line: an unreachable node, a bad address, an unknown name, a broken file', async () => {
    let r = await kubefilec(['builder', 'add', 'gone', 'ssh://root@127.0.0.1:1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubefilec: error: ssh:\/\/root@127\.0\.0\.1:1: .*Connection refused\n$/);
    assert.equal(existsSync(join(home, 'kubefilec-builders.json')), false, 'nothing stored');
    r = await kubefilec(['builder', 'add', 'n', 'host:22']);
    assert.deepEqual([r.code, r.stderr], [1, 'kubefilec: error: "host:22" is not a node address: it does not start with ssh:// (expected ssh://[user@]host[:port])\n']);
    r = await kubefilec(['builder', 'rm', 'ghost']);
    assert.deepEqual([r.code, r.stderr], [1, 'kubefilec: error: no builder named ghost (kubefilec builder ls lists them)\n']);
    r = await kubefilec(['builder', 'inspect', 'ghost']);
    assert.deepEqual([r.code, r.stderr], [1, 'kubefilec: error: no builder named ghost (kubefilec builder ls lists them)\n']);
    await writeFile(join(home, 'kubefilec-builders.json'), '{"builders": [{"name": "x", "url": "ssh://-oProxyCommand=x", "platforms": []}]}');
    r = await kubefilec(['builder', 'ls']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^kubefilec: error: .*kubefilec-builders\.json: builders\[0\]: "ssh:\/\/-oProxyCommand=x" is not a node address/);
  });

  it('removes builders and inspects one by reaching it', async () => {
    const entry = (name: string) => ({ name, url: 'ssh://root@127.0.0.1:1', platforms: ['linux/amd64'], added: '' });
    await writeFile(join(home, 'kubefilec-builders.json'), JSON.stringify({ builders: [entry('a'), entry('b')] }));
    const inspected = await kubefilec(['builder', 'inspect', 'a']);
    assert.equal(inspected.code, 1);
    assert.match(inspected.stderr, /Connection refused/);
    assert.deepEqual(await kubefilec(['builder', 'rm', 'a']), { code: 0, stdout: 'a\n', stderr: '' });
    assert.equal((await kubefilec(['builder', 'ls'])).stdout.split('\n').filter(Boolean).length, 2);
  });
});
