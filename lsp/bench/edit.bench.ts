/**
 * Editing speed against dockerfile-language-server-nodejs, same text, same run: open a 7k-line
 * Kubefile, then apply 50 single-character edits, timing each until the server publishes the
 * diagnostics for it. Both servers run as real processes over stdio. Also reports our server's
 * resident memory afterwards, and the start (process start to the `initialize` answer; ours warms up
 * its compiler afterwards, until the first document arrives). `BENCH_TRACE=1` prints every edit's
 * time. The Kubefile sits in a build context holding the files its COPY and APP lines name, as in a
 * real project (our server checks them; the Dockerfile server does not). Targets (from the
 * performance issue): start < 150 ms, open < 50 ms, edit p95 < 10 ms; < 150 MB (the language-server issue).
 *
 *   node lsp/dist/bench/edit.bench.js [--lines 7000] [--edits 50]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
// The compiler's bench modules (built with its tests): the Kubefile generator, and BENCH_SMOKE.
const compilerBench = (module: string): string => pathToFileURL(join(repo, 'compiler/dist-test/bench', module)).href;
const { benchSize, smoke, SMOKE_NOTE } = (await import(compilerBench('bench-mode.js'))) as { benchSize<T>(normal: T, tiny: T): T; smoke: boolean; SMOKE_NOTE: string };
const argValue = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1] || 0) || fallback;
const LINES = argValue('--lines', benchSize(7000, 300));
const EDITS = argValue('--edits', benchSize(50, 10));

interface Measured {
  /** From starting the process to the answer to `initialize`. */
  startMs: number;
  openMs: number;
  editMs: number[];
  rssMb: number;
}

/** A build context with a small file (a chart directory under `charts`) for every source the Kubefile names. */
async function writeContext(dir: string, text: string): Promise<void> {
  const { compile } = (await import('@kubefile/compiler')) as typeof import('@kubefile/compiler');
  const { plans } = await compile(text, { platforms: ['linux/amd64', 'linux/arm64'] });
  const write = (path: string, content: string) => {
    try {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    } catch {
      // Named both as a file and as a directory (under another destination): the first one stays.
    }
  };
  for (const op of plans.flatMap((plan) => plan.ops)) {
    const sources = op.kind === 'copy' || op.kind === 'add' ? op.sources : op.kind === 'app' ? op.sources.filter((s) => s.startsWith('local://')).map((s) => s.slice(8)) : [];
    for (const source of sources) {
      if (/[*?[]|:\/\//.test(source) || source.startsWith('..')) continue;
      if (op.kind === 'copy' && op.dest === 'charts') write(`${source}/Chart.yaml`, `apiVersion: v2\nname: ${source.split('/').pop()}\nversion: 1.0.0\n`);
      else write(source, source.endsWith('.yaml') ? 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bench\n' : '#!/bin/sh\n');
    }
  }
  writeFileSync(join(dir, 'Kubefile'), text);
}

async function measure(command: string[], text: string, dir: string): Promise<Measured> {
  const spawned = performance.now();
  const child = spawn(process.execPath, command, { stdio: ['pipe', 'pipe', 'ignore'] });
  const connection = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let published = 0;
  let wake: (() => void) | undefined;
  connection.onNotification('textDocument/publishDiagnostics', () => {
    published++;
    wake?.();
  });
  connection.onRequest('workspace/configuration', () => [null]);
  connection.onRequest('client/registerCapability', () => null);
  connection.listen();
  const nextPublish = (after: number) =>
    new Promise<void>((resolve) => {
      if (published > after) return resolve();
      wake = () => published > after && resolve();
    });
  await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {} });
  const startMs = performance.now() - spawned;
  await connection.sendNotification('initialized', {});
  const uri = pathToFileURL(join(dir, 'Kubefile')).href;
  let started = performance.now();
  let before = published;
  await connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'dockerfile', version: 1, text } });
  await nextPublish(before);
  const openMs = performance.now() - started;
  const editMs: number[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < EDITS; i++) {
    // Type one character at the end of a line spread through the file (a comment line stays valid either way).
    const line = Math.floor(((i + 1) * lines.length) / (EDITS + 2));
    started = performance.now();
    before = published;
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: i + 2 },
      contentChanges: [{ range: { start: { line, character: lines[line].length }, end: { line, character: lines[line].length } }, text: i % 2 ? 'x' : ' ' }],
    });
    await nextPublish(before);
    editMs.push(performance.now() - started);
    if (process.env.BENCH_TRACE) console.error(`edit ${i} (line ${line}): ${(performance.now() - started).toFixed(1)} ms ${JSON.stringify(lines[line].slice(0, 50))}`);
    lines[line] += i % 2 ? 'x' : ' ';
  }
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  await connection.sendRequest('shutdown').catch(() => undefined);
  await connection.sendNotification('exit').catch(() => undefined);
  connection.dispose();
  child.kill();
  return { startMs, openMs, editMs, rssMb };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  if (smoke) console.log(SMOKE_NOTE);
  const { generateKubefile } = (await import(compilerBench('generate.js'))) as { generateKubefile(lines: number, seed?: number): string };
  const text = generateKubefile(LINES, 7);
  const dir = mkdtempSync(join(tmpdir(), 'kubefile-lsp-bench-'));
  await writeContext(dir, text);
  const servers = { ours: join(repo, 'lsp/bin/kubefile-language-server.js'), theirs: join(repo, 'node_modules/dockerfile-language-server-nodejs/bin/docker-langserver') };
  // A missing server would never answer `initialize`: fail at once instead of waiting forever.
  for (const path of Object.values(servers)) if (!existsSync(path)) throw new Error(`${path} is missing: run npm ci (and npm run build)`);
  const ours = await measure([servers.ours, '--stdio'], text, dir);
  const theirs = await measure([servers.theirs, '--stdio'], text, dir);
  rmSync(dir, { recursive: true, force: true });
  const row = (name: string, m: Measured) =>
    `| ${name.padEnd(34)} | ${m.startMs.toFixed(0).padStart(8)} ms | ${m.openMs.toFixed(0).padStart(8)} ms | ${percentile(m.editMs, 50).toFixed(1).padStart(8)} ms | ${percentile(m.editMs, 95).toFixed(1).padStart(8)} ms | ${m.rssMb.toFixed(0).padStart(6)} MB |`;
  console.log(`\nLanguage server: open a ${text.split('\n').length}-line Kubefile, then ${EDITS} one-character edits (time to diagnostics)\n`);
  console.log(`| ${'server'.padEnd(34)} | start       | open        | edit p50    | edit p95    | memory    |`);
  console.log(`|${'-'.repeat(36)}|-------------|-------------|-------------|-------------|-----------|`);
  console.log(row('kubefile-language-server (ours)', ours));
  console.log(row('dockerfile-language-server-nodejs', theirs));
  const ratio = (a: number, b: number) => `${(b / a).toFixed(1)}x`;
  console.log(`\nours vs dockerfile-language-server: start ${ratio(ours.startMs, theirs.startMs)}, open ${ratio(ours.openMs, theirs.openMs)}, edit p50 ${ratio(percentile(ours.editMs, 50), percentile(theirs.editMs, 50))}, edit p95 ${ratio(percentile(ours.editMs, 95), percentile(theirs.editMs, 95))} faster`);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  console.log(`targets: start < 150 ms ${verdict(ours.startMs < 150)}, open < 50 ms ${verdict(ours.openMs < 50)}, edit p95 < 10 ms ${verdict(percentile(ours.editMs, 95) < 10)}, memory < 150 MB ${verdict(ours.rssMb < 150)}`);
}

await main();
