/**
 * Editing speed against dockerfile-language-server-nodejs, same text, same run: open a 7k-line
 * Kubefile, then apply 50 single-character edits, timing each until the server publishes the
 * diagnostics for it. Both servers run as real processes over stdio. Also reports our server's
 * resident memory afterwards. Targets (from the language-server issue): open < 50 ms, edit p95 < 20 ms, < 150 MB.
 *
 *   node lsp/dist/bench/edit.bench.js [--lines 7000] [--edits 50]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const argValue = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1] || 0) || fallback;
const LINES = argValue('--lines', 7000);
const EDITS = argValue('--edits', 50);

interface Measured {
  openMs: number;
  editMs: number[];
  rssMb: number;
}

async function measure(command: string[], text: string): Promise<Measured> {
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
  await connection.sendNotification('initialized', {});
  const uri = pathToFileURL('/tmp/kubefile-lsp-bench/Kubefile').href;
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
    lines[line] += i % 2 ? 'x' : ' ';
  }
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  await connection.sendRequest('shutdown').catch(() => undefined);
  await connection.sendNotification('exit').catch(() => undefined);
  connection.dispose();
  child.kill();
  return { openMs, editMs, rssMb };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const { generateKubefile } = (await import(pathToFileURL(join(repo, 'compiler/dist-test/bench/generate.js')).href)) as { generateKubefile(lines: number, seed?: number): string };
  const text = generateKubefile(LINES, 7);
  const ours = await measure([join(repo, 'lsp/bin/kubefile-language-server.js'), '--stdio'], text);
  const theirs = await measure([join(repo, 'node_modules/dockerfile-language-server-nodejs/bin/docker-langserver'), '--stdio'], text);
  const row = (name: string, m: Measured) =>
    `| ${name.padEnd(34)} | ${m.openMs.toFixed(0).padStart(8)} ms | ${percentile(m.editMs, 50).toFixed(1).padStart(8)} ms | ${percentile(m.editMs, 95).toFixed(1).padStart(8)} ms | ${m.rssMb.toFixed(0).padStart(6)} MB |`;
  console.log(`\nLanguage server: open a ${text.split('\n').length}-line Kubefile, then ${EDITS} one-character edits (time to diagnostics)\n`);
  console.log(`| ${'server'.padEnd(34)} | open        | edit p50    | edit p95    | memory    |`);
  console.log(`|${'-'.repeat(36)}|-------------|-------------|-------------|-----------|`);
  console.log(row('kubefile-language-server (ours)', ours));
  console.log(row('dockerfile-language-server-nodejs', theirs));
  const ratio = (a: number, b: number) => `${(b / a).toFixed(1)}x`;
  console.log(`\nours vs dockerfile-language-server: open ${ratio(ours.openMs, theirs.openMs)} faster, edit p95 ${ratio(percentile(ours.editMs, 95), percentile(theirs.editMs, 95))} faster`);
  console.log(`targets: open < 50 ms ${ours.openMs < 50 ? 'PASS' : 'MISS'}, edit p95 < 20 ms ${percentile(ours.editMs, 95) < 20 ? 'PASS' : 'MISS'}, memory < 150 MB ${ours.rssMb < 150 ? 'PASS' : 'MISS'}`);
}

await main();
