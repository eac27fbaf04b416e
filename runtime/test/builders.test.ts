/**
 * Build nodes: their addresses, the stored list, and reaching one with the system's ssh client
 * (a real OpenSSH server per test node, on 127.0.0.1).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { addBuilder, buildersFilePath, connectBuilder, getBuilder, listBuilders, nodeProblem, nodeVersionOf, probeNode, removeBuilders } from '../src/remote/builders.js';
import { formatSshUrl, parseSshUrl, shellQuote, SshConnection } from '../src/remote/ssh.js';
import { RuntimeError } from '../src/errors.js';
import { tempDir } from './fixtures.js';
import { startSshNode, type SshNode } from './ssh-node.js';

const rejects = (promise: Promise<unknown>, message: RegExp) => assert.rejects(promise, (error: unknown) => error instanceof RuntimeError && error.code === 'BUILDER' && message.test(error.message));

describe('node addresses', () => {
  it('reads ssh://[user@]host[:port] and writes it back the same', () => {
    assert.deepEqual(parseSshUrl('ssh://builder@10.0.0.7'), { user: 'builder', host: '10.0.0.7' });
    assert.deepEqual(parseSshUrl('ssh://arm1.example.com:2222/'), { host: 'arm1.example.com', port: 2222 });
    assert.deepEqual(parseSshUrl('ssh://root@[fd00::7]:22'), { user: 'root', host: 'fd00::7', port: 22 });
    for (const url of ['ssh://builder@10.0.0.7', 'ssh://arm1.example.com:2222', 'ssh://root@[fd00::7]:22']) assert.equal(formatSshUrl(parseSshUrl(url)), url);
  });

  it('refuses anything ssh could read as an option, a path, or a bad port, with the reason', () => {
    const cases: [string, RegExp][] = [
      ['ssh://-oProxyCommand=touch%20x', /not a host name/],
      ['ssh://-oProxyCommand=x@host', /user "-oProxyCommand=x" is not a user name/],
      ['ssh://host/home/me', /has a path/],
      ['ssh://host:0', /port "0" is not 1 to 65535/],
      ['ssh://host:70000', /port "70000"/],
      ['ssh://', /host is missing/],
      ['host:22', /does not start with ssh:\/\//],
      ['ssh://us er@host', /not a user name/],
    ];
    for (const [url, message] of cases) assert.throws(() => parseSshUrl(url), (error: unknown) => error instanceof RuntimeError && error.code === 'BUILDER' && message.test(error.message), url);
  });

  it('quotes a word for the node\'s shell so it stays one word', () => {
    assert.equal(shellQuote('/var/lib/kubefile'), '/var/lib/kubefile');
    assert.equal(shellQuote("it's $HOME; rm -rf /"), `'it'\\''s $HOME; rm -rf /'`);
    assert.equal(shellQuote(''), "''");
  });

  it('tells what a node lacks to run kubefilec', () => {
    assert.equal(nodeProblem(nodeVersionOf('v20.20.2')), undefined);
    assert.equal(nodeProblem(nodeVersionOf('v22.1.0')), undefined);
    assert.match(nodeProblem(nodeVersionOf('v18.19.0')) ?? '', /Node.js v18.19.0; kubefilec needs 20 or newer/);
    assert.match(nodeProblem(nodeVersionOf('none')) ?? '', /Node.js is not installed there/);
  });
});

describe('builders over ssh', function () {
  this.timeout(60_000);
  let node: SshNode;
  let home: string;
  /** The builders file goes to the temp dir: the user's ~/.docker is never touched. */
  let env: NodeJS.ProcessEnv;
  let savedSshConfig: string | undefined;

  before(async () => {
    node = await startSshNode();
    savedSshConfig = process.env.KUBEFILEC_SSH_CONFIG;
    process.env.KUBEFILEC_SSH_CONFIG = node.sshConfig;
  });
  after(async () => {
    if (savedSshConfig === undefined) delete process.env.KUBEFILEC_SSH_CONFIG;
    else process.env.KUBEFILEC_SSH_CONFIG = savedSshConfig;
    await node.stop();
  });
  beforeEach(async () => {
    home = await tempDir('kubefile-builders-');
    env = { DOCKER_CONFIG: home };
  });
  afterEach(() => rm(home, { recursive: true, force: true }));

  it('adds a node: learns its host key, reads its platform and Node.js, and keeps it next to the credentials', async () => {
    const { builder, facts } = await addBuilder('n1', node.url, { env });
    assert.equal(facts.platform, process.arch === 'arm64' ? 'linux/arm64/v8' : 'linux/amd64');
    assert.equal(facts.nodeVersion, process.version);
    assert.deepEqual([builder.name, builder.url, builder.platforms], ['n1', node.url, [facts.platform]]);
    assert.equal(buildersFilePath(env), join(home, 'kubefilec-builders.json'));
    assert.deepEqual(await listBuilders(env), [builder]);
    // The host key is known now: a later connection checks it strictly.
    assert.match(await readFile(join(dirname(node.sshConfig), 'known_hosts'), 'utf8'), new RegExp(`\\[127\\.0\\.0\\.1\\]:${node.port} ssh-ed25519 `));
    assert.deepEqual(await getBuilder('n1', env), builder);
  });

  it('keeps the platforms given instead of the node\'s own, and refuses a name taken or a platform not Linux', async () => {
    const { builder } = await addBuilder('arm', node.url, { env, platforms: ['linux/arm64', 'linux/arm64/v8', 'linux/arm/v7'], identity: node.identity });
    assert.deepEqual(builder.platforms, ['linux/arm64/v8', 'linux/arm/v7']);
    assert.equal(builder.identity, node.identity);
    await rejects(addBuilder('arm', node.url, { env }), /a builder named arm exists already/);
    await rejects(addBuilder('win', node.url, { env, platforms: ['windows/amd64'] }), /builds Linux platforms, not windows\/amd64/);
    await rejects(addBuilder('Bad Name', node.url, { env }), /not a builder name/);
    assert.deepEqual((await listBuilders(env)).map((b) => b.name), ['arm']);
  });

  it('removes builders by name; an unknown name changes nothing', async () => {
    await addBuilder('a', node.url, { env });
    await addBuilder('b', node.url, { env });
    await rejects(removeBuilders(['a', 'ghost'], env), /no builder named ghost/);
    assert.deepEqual((await listBuilders(env)).map((b) => b.name), ['a', 'b']);
    await removeBuilders(['a'], env);
    assert.deepEqual((await listBuilders(env)).map((b) => b.name), ['b']);
    await rejects(getBuilder('a', env), /no builder named a/);
  });

  it('fails to add an unreachable node with ssh\'s reason, storing nothing', async () => {
    await rejects(addBuilder('gone', 'ssh://root@127.0.0.1:1', { env }), /^ssh:\/\/root@127\.0\.0\.1:1: .*Connection refused/);
    assert.equal(existsSync(buildersFilePath(env)), false);
  });

  it('refuses a key the node does not accept, without a password prompt', async () => {
    const config = join(home, 'ssh_config');
    await writeFile(config, `Host *\n  UserKnownHostsFile ${join(home, 'known_hosts')}\n  IdentityFile ${join(home, 'none')}\n  IdentitiesOnly yes\n`);
    const connection = new SshConnection(parseSshUrl(node.url), { configFile: config, acceptNewHostKey: true });
    try {
      await rejects(connection.run('true'), /Permission denied/);
    } finally {
      await connection.close();
    }
  });

  it('shares one connection between commands and removes its socket directory when closed', async () => {
    const { builder } = await addBuilder('shared', node.url, { env });
    const connection = connectBuilder(builder);
    const before = new Set((await readdir(tmpdir())).filter((name) => name.startsWith('kubefilec-ssh-')));
    try {
      assert.equal((await probeNode(connection)).nodeVersion, process.version);
      const dirs = (await readdir(tmpdir())).filter((name) => name.startsWith('kubefilec-ssh-') && !before.has(name));
      assert.equal(dirs.length, 1);
      assert.equal((await readdir(join(tmpdir(), dirs[0]))).length, 1, 'the control socket');
      const started = performance.now();
      const result = await connection.run(`printf %s ${shellQuote("it's; $HOME")}`, { input: 'ignored' });
      assert.deepEqual([result.exitCode, result.stdout], [0, "it's; $HOME"]);
      // A second command on the shared connection: no new handshake (one is ~0.3 s here).
      assert.ok(performance.now() - started < 250, `took ${(performance.now() - started).toFixed(0)} ms`);
      const failed = await connection.run('echo out; echo err >&2; exit 3');
      assert.deepEqual(failed, { exitCode: 3, stdout: 'out\n', stderr: 'err\n' });
      await connection.close();
      assert.equal(existsSync(join(tmpdir(), dirs[0])), false);
    } finally {
      await connection.close();
    }
  });

  it('bounds a command: its output and its time', async () => {
    const connection = connectBuilder({ url: node.url });
    try {
      await rejects(connection.run('head -c 100000 /dev/zero', { maxOutputBytes: 1000 }), /wrote more than 1000 bytes/);
      await rejects(connection.run('sleep 30', { timeoutMs: 500 }), /no answer in 0.5 s/);
    } finally {
      await connection.close();
    }
  });
});
