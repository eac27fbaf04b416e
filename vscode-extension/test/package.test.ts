/**
 * What the .vsix carries, checked without an editor: the manifest's contributions, the files
 * packaged, the problem matcher against kubefilec's real output, the snippets, and the bundled
 * language server and kubefilec (their worker threads included) against the unbundled ones.
 */
import assert from 'node:assert/strict';
import { execFile, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from '@kubefile/grammar';
import { COMMANDS } from '@kubefile/lsp/protocol';
import { ImageStore, platformImages } from '@kubefile/runtime';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { EXTENSION_DIR } from './code-server.js';

interface Manifest {
  version: string;
  main: string;
  contributes: {
    commands: { command: string; title: string; category?: string }[];
    menus: Record<string, { command: string }[]>;
    languages: { id: string; filenames: string[]; filenamePatterns: string[]; extensions: string[]; configuration: string }[];
    grammars: { path: string }[];
    snippets: { path: string }[];
    problemMatchers: { name: string; pattern: { regexp: string; file: number; line: number; column: number; severity: number; code: number; message: number } }[];
    taskDefinitions: { type: string; properties: Record<string, unknown> }[];
  };
}

const manifest = JSON.parse(readFileSync(join(EXTENSION_DIR, 'package.json'), 'utf8')) as Manifest;
const REPO = join(EXTENSION_DIR, '..');
const BUNDLED_KUBEFILEC = join(EXTENSION_DIR, 'dist', 'kubefilec.cjs');
const BUNDLED_SERVER = join(EXTENSION_DIR, 'dist', 'server.cjs');
const KUBEFILEC = join(REPO, 'cli', 'bin', 'kubefilec.js');

function kubefilec(script: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { maxBuffer: 16 << 20 }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
  });
}

/** A problem as the `$kubefilec` matcher reads it from one output line. */
function matchProblem(line: string): { file: string; line: string; column: string; severity: string; code?: string; message: string } | undefined {
  const { pattern } = manifest.contributes.problemMatchers[0];
  const match = new RegExp(pattern.regexp).exec(line);
  if (!match) return undefined;
  return { file: match[pattern.file], line: match[pattern.line], column: match[pattern.column], severity: match[pattern.severity], ...(match[pattern.code] ? { code: match[pattern.code] } : {}), message: match[pattern.message] };
}

describe('the extension package', () => {
  it('contributes its commands under ids of its own: the language server\'s are registered by the client', () => {
    const ids = manifest.contributes.commands.map((command) => command.command);
    for (const id of ids) assert.ok(!(COMMANDS as readonly string[]).includes(id), `${id} is also a server command: VS Code refuses to register it twice`);
    assert.deepEqual(
      manifest.contributes.commands.map((command) => (command.category ? `${command.category}: ${command.title}` : command.title)),
      [
        'Kubefile: Build Image', 'Kubefile: Build for Platform...', 'Kubefile: Lint', 'Kubefile: Inspect Image', 'Kubefile: Select Target Platforms...', 'Kubefile: Restart Language Server',
        // The Explorer's entry, named in full there (its menu shows titles without the category).
        'Kubefile: Build Image',
        'Kubefile: Refresh Images', 'Kubefile: Inspect', 'Kubefile: Tag...', 'Kubefile: Delete', 'Kubefile: Push...', 'Kubefile: Save to Archive...', 'Kubefile: Load from Archive...',
        'Kubefile: Prune Store...', 'Kubefile: Export Registry...', 'Kubefile: Switch Inspect Format...',
      ],
    );
    // The Explorer's context menu shows "Kubefile: Build Image", not a bare "Build Image".
    const explorer = manifest.contributes.menus['explorer/context'].map((entry) => manifest.contributes.commands.find((command) => command.command === entry.command));
    assert.deepEqual(explorer.map((command) => command?.title), ['Kubefile: Build Image']);
    for (const [menu, entries] of Object.entries(manifest.contributes.menus)) {
      for (const entry of entries) assert.ok(ids.includes(entry.command), `${menu} names ${entry.command}, which is not contributed`);
    }
    // Every contributed command is registered by the client (the bundle holds its id).
    const client = readFileSync(join(EXTENSION_DIR, 'dist', 'extension.cjs'), 'utf8');
    for (const id of ids) assert.ok(client.includes(`"${id}"`), `extension.cjs registers ${id}`);
  });

  it('registers Kubefile, *.kubefile and Kubefile.* with a grammar, a language configuration and snippets that exist', () => {
    const [language] = manifest.contributes.languages;
    assert.deepEqual([language.id, language.filenames, language.extensions], ['kubefile', ['Kubefile'], ['.kubefile']]);
    assert.ok(language.filenamePatterns.includes('Kubefile.*'));
    for (const path of [language.configuration, manifest.contributes.grammars[0].path, manifest.contributes.snippets[0].path]) {
      assert.doesNotThrow(() => JSON.parse(readFileSync(join(EXTENSION_DIR, path), 'utf8')), path);
    }
  });

  it('packages the bundles and the declarative parts only, no node_modules', async () => {
    const require = createRequire(import.meta.url);
    const vsce = require('@vscode/vsce') as { listFiles(options: { cwd: string; packageManager: number }): Promise<string[]>; PackageManager: { None: number } };
    const files = (await vsce.listFiles({ cwd: EXTENSION_DIR, packageManager: vsce.PackageManager.None })).sort();
    assert.deepEqual(files, [
      'CHANGELOG.md', 'LICENSE', 'README.md', 'dist/extension.cjs', 'dist/kubefilec.cjs', 'dist/server.cjs', 'images/activity-bar.svg', 'images/icon.png',
      'language-configuration.json', 'package.json', 'snippets/kubefile.code-snippets', 'syntaxes/kubefile.tmLanguage.json',
      'walkthrough/build.md', 'walkthrough/inspect.md', 'walkthrough/open.md', 'walkthrough/platforms.md',
    ]);
    assert.equal(manifest.main, './dist/extension.cjs');
  });

  it('has snippets that expand to Kubefiles without syntax errors', () => {
    const snippets = JSON.parse(readFileSync(join(EXTENSION_DIR, 'snippets', 'kubefile.code-snippets'), 'utf8')) as Record<string, { prefix: string[]; body: string[]; description: string }>;
    assert.deepEqual(Object.keys(snippets).sort(), ['Application image', 'Multi-arch cluster image', 'Network plugin (CNI)', 'Plugin']);
    for (const [name, snippet] of Object.entries(snippets)) {
      // What the editor inserts when every placeholder keeps its default (a choice: its first option).
      const text = snippet.body
        .join('\n')
        .replace(/\$\{\d+\|([^,|]*)[^|]*\|\}/g, '$1')
        .replace(/\$\{\d+:([^}]*)\}/g, '$1')
        .replace(/\$\d+/g, '')
        .replace(/\\\$/g, '$');
      const { diagnostics } = parse(text);
      assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.message}`), [], `${name}:\n${text}`);
      assert.ok(/^FROM |\nCOPY /m.test(text), `${name} is a Kubefile`);
    }
  });
});

describe('the $kubefilec problem matcher on kubefilec\'s output', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-matcher-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads every lint problem: file, line, column, severity, code and message', async () => {
    await writeFile(join(dir, 'Kubefile'), 'FROM scratch\nCOPPY a b\nCOPY missing.yaml manifests/\nMAINTAINER me\n');
    const { code, stdout, stderr } = await kubefilec(BUNDLED_KUBEFILEC, ['lint', dir]);
    assert.equal(code, 1);
    const lines = `${stdout}${stderr}`.split('\n').filter((line) => line !== '');
    const problems = lines.map(matchProblem);
    assert.deepEqual(problems, [
      { file: join(dir, 'Kubefile'), line: '2', column: '1', severity: 'error', code: 'KF1001', message: 'unknown instruction: COPPY (did you mean COPY?)' },
      { file: join(dir, 'Kubefile'), line: '3', column: '6', severity: 'error', code: 'KF3004', message: '"missing.yaml" matches nothing in the build context' },
      { file: join(dir, 'Kubefile'), line: '4', column: '1', severity: 'warning', code: 'KF2005', message: 'MAINTAINER is deprecated: use LABEL maintainer="<name>"' },
    ]);
  });

  it('reads a build error, which has a place but no code', async () => {
    const root = join(dir, 'store');
    await writeFile(join(dir, 'Kubefile'), 'ARG X=1\nFROM not-in-store:v1\n');
    const { code, stderr } = await kubefilec(BUNDLED_KUBEFILEC, ['build', '-t', 'x:v1', '--pull', 'never', '--root', root, dir]);
    assert.equal(code, 1, stderr);
    const problem = stderr.split('\n').map(matchProblem).find((p) => p !== undefined);
    assert.deepEqual(problem && { ...problem, message: /not-in-store:v1/.test(problem.message) }, { file: join(dir, 'Kubefile'), line: '2', column: '1', severity: 'error', message: true });
  });
});

describe('the bundled kubefilec and language server', function () {
  this.timeout(120_000);
  let dir: string;
  let context: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-bundles-'));
    context = join(dir, 'context');
    // Enough files for the layer writer's worker threads (over 2048), which start on the bundle's own file.
    await mkdir(join(context, 'files'), { recursive: true });
    for (let i = 0; i < 2200; i++) await writeFile(join(context, 'files', `f${i}.txt`), `file ${i}\n`.repeat(40));
    await writeFile(join(context, 'Kubefile'), 'FROM scratch\nCOPY files data/\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function layersOf(root: string, tag: string): Promise<string[]> {
    const store = await ImageStore.open(root);
    const [platform] = await platformImages(store, (await store.getImage(tag)).descriptor);
    return platform.manifest.layers.map((layer) => layer.digest);
  }

  it('kubefilec.cjs has the package\'s version and writes the same layer as kubefilec', async () => {
    const { version } = JSON.parse(await readFile(join(REPO, 'cli', 'package.json'), 'utf8')) as { version: string };
    assert.equal((await kubefilec(BUNDLED_KUBEFILEC, ['--version'])).stdout, `${version}\n`);
    const bundled = await kubefilec(BUNDLED_KUBEFILEC, ['build', '-t', 'big:v1', '--root', join(dir, 'bundled'), '--progress', 'plain', context]);
    assert.equal(bundled.code, 0, bundled.stderr);
    const plain = await kubefilec(KUBEFILEC, ['build', '-t', 'big:v1', '--root', join(dir, 'plain'), '--progress', 'plain', context]);
    assert.equal(plain.code, 0, plain.stderr);
    const layers = await layersOf(join(dir, 'bundled'), 'big:v1');
    assert.equal(layers.length, 1);
    assert.deepEqual(layers, await layersOf(join(dir, 'plain'), 'big:v1'));
  });

  it('kubefilec.cjs lsp --stdio is the language server, and exits on the client\'s exit', async () => {
    const child = spawn(process.execPath, [BUNDLED_KUBEFILEC, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    connection.listen();
    try {
      const init = await connection.sendRequest<{ serverInfo: { name: string } }>('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
      assert.equal(init.serverInfo.name, 'kubefile-language-server');
      await connection.sendNotification('initialized', {});
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      assert.equal(await exited, 0);
      assert.equal(stderr, '');
    } finally {
      connection.dispose();
      child.kill();
    }
  });

  it('server.cjs answers over Node IPC as vscode-languageclient starts it, and builds with the log as notifications', async () => {
    const root = join(dir, 'from-server');
    const child = fork(BUNDLED_SERVER, ['--node-ipc'], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    const diagnostics: { uri: string; diagnostics: { code: string }[] }[] = [];
    const log: string[] = [];
    connection.onNotification('textDocument/publishDiagnostics', (params: { uri: string; diagnostics: { code: string }[] }) => void diagnostics.push(params));
    connection.onNotification('kubefile/buildLog', (params: { line: string }) => void log.push(params.line));
    connection.listen();
    try {
      const init = await connection.sendRequest<{ serverInfo: { name: string } }>('initialize', {
        processId: process.pid,
        rootUri: null,
        capabilities: {},
        initializationOptions: { kubefile: { platforms: ['linux/amd64'], root }, buildLog: 'notification' },
      });
      assert.equal(init.serverInfo.name, 'kubefile-language-server');
      await connection.sendNotification('initialized', {});
      const uri = pathToFileURL(join(context, 'Kubefile')).href;
      await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'kubefile', version: 1, text: 'FROM scratch\nCOPY files data/\nCOPPY x y\n' } });
      const deadline = Date.now() + 20_000;
      while (!diagnostics.some((d) => d.uri === uri)) {
        assert.ok(Date.now() < deadline, `no diagnostics; server stderr: ${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.deepEqual(diagnostics.find((d) => d.uri === uri)?.diagnostics.map((d) => d.code), ['KF1001']);
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'FROM scratch\nCOPY files data/\n' }] });
      const built = await connection.sendRequest<{ image: string; digest: string }>('workspace/executeCommand', { command: 'kubefile.build', arguments: [{ uri, tag: 'big:v1' }] });
      assert.equal(built.image, 'big:v1');
      assert.ok(log.includes('[linux/amd64] STEP 2/2: COPY files data/'), log.join('\n'));
      assert.deepEqual(await layersOf(root, 'big:v1'), await layersOf(join(dir, 'plain'), 'big:v1'));
    } finally {
      connection.dispose();
      child.kill();
    }
  });
});
