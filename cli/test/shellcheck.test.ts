/** `kubefilec lint` with ShellCheck (KF4001): on when installed, its codes in every report format, off or required by option. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeShellChecker } from '@kubefile/compiler/node';
import { kubefilecWith, type CliRun } from './registry-cli.js';

/** The built kubefilec, with PATH as given (to hide or replace shellcheck). KF2017 (a note on every RUN) is left out. */
function kubefilec(args: string[], path = process.env.PATH ?? ''): Promise<CliRun> {
  return kubefilecWith(() => ({ ...process.env, PATH: path }))([...args, ...(args.includes('--help') ? [] : ['--disable', 'KF2017'])]);
}

describe('kubefilec lint with ShellCheck', () => {
  let dir: string;
  let file: string;
  before(async () => {
    if (!(await nodeShellChecker())) throw new Error('shellcheck is not installed: run scripts/install-system-deps.sh');
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubefilec-shellcheck-'));
    file = join(dir, 'Kubefile');
    writeFileSync(file, 'FROM scratch\nRUN echo hello \\\n  && echo $1\nCMDS ["cd /x"]\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports ShellCheck findings with their SC code in the text format', async () => {
    const r = await kubefilec(['lint', dir]);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `${file}:3:11: info KF4001 SC2086: Double quote to prevent globbing and word splitting.\n` +
        `${file}:4:8: warning KF4001 SC2164: Use 'cd ... || exit' or 'cd ... || return' in case cd fails.\n`,
    );
  });

  it('gives the SC code and its link in JSON and SARIF', async () => {
    const json = JSON.parse((await kubefilec(['lint', dir, '--format', 'json'])).stdout) as { diagnostics: { code: string; rule?: { id: string; href: string }; line: number; column: number; endColumn: number }[] };
    assert.deepEqual(
      json.diagnostics.map((d) => [d.code, d.rule?.id, d.rule?.href, d.line, d.column, d.endColumn]),
      [
        ['KF4001', 'SC2086', 'https://www.shellcheck.net/wiki/SC2086', 3, 11, 13],
        ['KF4001', 'SC2164', 'https://www.shellcheck.net/wiki/SC2164', 4, 8, 13],
      ],
    );
    const sarif = JSON.parse((await kubefilec(['lint', dir, '--format', 'sarif'])).stdout) as {
      runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; message: { text: string } }[] }[];
    };
    const [result] = sarif.runs[0]!.results;
    assert.equal(result!.ruleId, 'KF4001/SC2086');
    assert.equal(sarif.runs[0]!.tool.driver.rules[result!.ruleIndex]!.id, 'KF4001');
    assert.match(result!.message.text, /\(SC2086: https:\/\/www\.shellcheck\.net\/wiki\/SC2086\)$/);
  });

  it('--no-shellcheck and --disable KF4001 turn it off', async () => {
    assert.equal((await kubefilec(['lint', dir, '--no-shellcheck'])).stdout, '');
    assert.equal((await kubefilec(['lint', dir, '--disable', 'KF4001'])).stdout, '');
  });

  it('lints without it when shellcheck is not installed, and --shellcheck then fails with one line', async () => {
    const empty = join(dir, 'empty-path');
    mkdirSync(empty);
    const quiet = await kubefilec(['lint', dir], empty);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, '', '']);
    const required = await kubefilec(['lint', dir, '--shellcheck'], empty);
    assert.equal(required.code, 2);
    assert.equal(required.stdout, '');
    assert.equal(required.stderr, 'kubefilec: error: --shellcheck: the shellcheck program is not installed (Debian: apt-get install shellcheck; or give --no-shellcheck)\n');
  });

  it('says once, in one line, that a failing shellcheck failed, and reports the rest', async () => {
    writeFileSync(file, 'FROM scratch\nRUN echo a\nRUN echo b\nMAINTAINER me\n');
    const fakes = join(dir, 'bin');
    mkdirSync(fakes);
    writeFileSync(join(fakes, 'shellcheck'), '#!/bin/sh\necho "internal error" >&2\nexit 3\n');
    chmodSync(join(fakes, 'shellcheck'), 0o755);
    const r = await kubefilec(['lint', dir], `${fakes}:${process.env.PATH ?? ''}`);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /:4:1: warning KF2005: /);
    assert.equal(r.stderr, 'kubefilec: warning: shellcheck failed (exit status 3): internal error\n');
  });

  it('lint --help lists both options', async () => {
    const help = (await kubefilec(['lint', '--help'])).stdout;
    assert.match(help, /--shellcheck +require ShellCheck/);
    assert.match(help, /--no-shellcheck +do not run ShellCheck/);
    assert.match(help, /KF4001 SC2086/);
  });
});
