import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ImageStore } from '@kubefile/runtime';
import { main, VERSION } from '../src/main.js';
import { makeImage } from './image-fixture.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'cli/bin/kubefilec.js');
const examples = join(repo, 'examples');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubefilec in-process, with `stdin` as standard input. */
async function run(args: string[], stdin = ''): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, { out: (t) => (stdout += t), err: (t) => (stderr += t), stdin: Readable.from([stdin]) });
  return { code, stdout, stderr };
}

/** Runs the real binary as a user would. */
async function runBinary(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: repo }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubefilec-test-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('kubefilec', () => {
  describe('help and usage', () => {
    for (const args of [['--help'], ['lint', '--help'], ['parse', '--help'], ['help', 'lint']]) {
      it(`${args.join(' ')} prints usage and exits 0`, async () => {
        const r = await run(args);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^Usage: kubefilec/m);
      });
    }

    it('--version prints the package version', async () => {
      const r = await run(['--version']);
      assert.equal(r.code, 0);
      const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      assert.equal(r.stdout, `${version}\n`);
    });

    it('no arguments: usage on stderr, exit 2', async () => {
      const r = await run([]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /Usage: kubefilec/);
    });

    for (const args of [['frobnicate'], ['lint', '--bogus'], ['lint', '--format', 'xml'], ['lint', '--enable', 'KF9999']]) {
      it(`${args.join(' ')} is a usage error (exit 2, no stack trace)`, async () => {
        const r = await run(args);
        assert.equal(r.code, 2);
        assert.doesNotMatch(r.stderr, /\n\s+at /);
        assert.notEqual(r.stderr, '');
      });
    }

    it('a missing context or file is a usage error naming it', async () => {
      const missing = join(dir, 'nope');
      let r = await run(['lint', missing]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `kubefilec: error: build context ${missing} does not exist\n`);
      r = await run(['lint', '-f', missing]);
      assert.equal(r.stderr, `kubefilec: error: ${missing}: no such file\n`);
      r = await run(['lint', dir]);
      assert.match(r.stderr, /no Kubefile in .* \(looked for Kubefile, kubefile, Dockerfile\)/);
    });
  });

  describe('lint', () => {
    for (const example of ['multi-arch', 'dashboard', 'app-launch']) {
      it(`examples/${example} lints with no error or warning (notes on sealer v0.11 only)`, async () => {
        const r = await run(['lint', join(examples, example)]);
        assert.deepEqual(r.stdout.split('\n').filter(Boolean).filter((line) => !/: info KF201[67]: sealer v0\.11 /.test(line)), []);
        assert.equal(r.code, 0);
      });
    }

    it('lint, parse and compile of a file leave standard input alone (setting it up costs a start)', async () => {
      writeFileSync(join(dir, 'Kubefile'), 'FROM scratch\nCOPY Kubefile /\n');
      let stderr = '';
      const io = {
        out: () => undefined,
        err: (text: string) => void (stderr += text),
        get stdin(): NodeJS.ReadableStream {
          throw new Error('standard input was read');
        },
      };
      for (const command of ['lint', 'parse', 'compile']) assert.deepEqual([await main([command, dir], io), stderr], [0, ''], command);
    });

    it('prints compiler-style lines and exits 1 on errors', async () => {
      writeFileSync(join(dir, 'Kubefile'), 'FROM scratch\nCOPPY a b\nCOPY src\n');
      const r = await run(['lint', dir]);
      const file = join(dir, 'Kubefile');
      assert.equal(r.code, 1);
      assert.equal(
        r.stdout,
        `${file}:2:1: error KF1001: unknown instruction: COPPY (did you mean COPY?)\n` +
          `${file}:3:6: error KF1002: COPY requires at least two arguments, but only one was provided: the destination is missing\n`,
      );
    });

    it('checks the FROM image against the store given with --root (KF3023), without creating one', async () => {
      const root = join(dir, 'store');
      const store = await ImageStore.open(root);
      await makeImage(store, 'base:v1', [{ platform: 'linux/amd64', layers: ['base'] }]);
      writeFileSync(join(dir, 'Kubefile'), 'FROM base:v1\n');
      const r = await run(['lint', '--root', root, '--platform', 'linux/amd64,linux/arm64', dir]);
      assert.equal(r.stdout, `${join(dir, 'Kubefile')}:1:6: warning KF3023: The base image "base:v1" in the local store has no linux/arm64/v8 variant (it has linux/amd64) (for linux/arm64/v8)\n`);
      const none = join(dir, 'no-store');
      assert.equal((await run(['lint', '--root', none, '--platform', 'linux/arm64', dir])).stdout, '');
      assert.equal(existsSync(none), false);
    });

    it('exits 0 when there are only warnings', async () => {
      writeFileSync(join(dir, 'Kubefile'), 'FROM scratch\nMAINTAINER me\n');
      const r = await run(['lint', dir]);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /:2:1: warning KF2005: /);
    });

    it('looks for Kubefile, then kubefile, then Dockerfile in the context', async () => {
      writeFileSync(join(dir, 'Dockerfile'), 'FROM a b\n');
      assert.match((await run(['lint', dir])).stdout, /Dockerfile:1:8: error KF1003/);
      writeFileSync(join(dir, 'kubefile'), 'FROM\n');
      assert.match((await run(['lint', dir])).stdout, /kubefile:1:1: error KF1002/);
      writeFileSync(join(dir, 'Kubefile'), 'FROM scratch\n');
      assert.equal((await run(['lint', dir])).code, 0);
    });

    it('-f names the file; a file given as the context is linted directly', async () => {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'sub', 'my.kubefile'), 'RUN x\n');
      const viaFlag = await run(['lint', '-f', join(dir, 'sub', 'my.kubefile'), dir]);
      assert.match(viaFlag.stdout, /my\.kubefile:1:1: error KF2002/);
      const direct = await run(['lint', join(dir, 'sub', 'my.kubefile')]);
      assert.equal(direct.stdout, viaFlag.stdout);
    });

    it('lints several contexts in one report; exit 1 if any has an error', async () => {
      mkdirSync(join(dir, 'bad'));
      writeFileSync(join(dir, 'bad', 'Kubefile'), 'FROM scratch\nCOPY a\n');
      const r = await run(['lint', join(examples, 'multi-arch'), join(dir, 'bad'), '--format', 'json']);
      assert.equal(r.code, 1);
      assert.deepEqual(
        JSON.parse(r.stdout)
          .diagnostics.filter((d: { severity: string }) => d.severity !== 'info')
          .map((d: { file: string; code: string }) => [d.file, d.code]),
        [[join(dir, 'bad', 'Kubefile'), 'KF1002']],
      );
      assert.equal((await run(['lint', join(examples, 'multi-arch'), join(examples, 'dashboard')])).code, 0);
      assert.equal((await run(['lint', '-f', 'x', 'a', 'b'])).code, 2);
    });

    it('-f - reads standard input, named <stdin>', async () => {
      const r = await run(['lint', '-f', '-'], 'FROM scratch\nENV a=1 b\n');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, `<stdin>:2:9: error KF1006: Syntax error - can't find = in "b". Must be of the form: name=value\n`);
    });

    it('--format json gives the documented fields', async () => {
      const r = await run(['lint', '-f', '-', '--format', 'json'], 'FROM scratch\nCOPY ${ARCH/helm bin\n');
      assert.equal(r.code, 1);
      assert.deepEqual(JSON.parse(r.stdout), {
        diagnostics: [
          { file: '<stdin>', line: 2, column: 6, endLine: 2, endColumn: 17, severity: 'error', code: 'KF1007', message: "syntax error: missing '/' in ${}" },
        ],
      });
    });

    it('--format sarif is a SARIF 2.1.0 log with rules and located results', async () => {
      const r = await run(['lint', '-f', '-', '--format', 'sarif'], 'FROM scratch\nCOPPY a b\n');
      const log = JSON.parse(r.stdout) as {
        version: string;
        runs: { tool: { driver: { name: string; rules: { id: string }[] } }; results: { ruleId: string; ruleIndex: number; level: string; locations: { physicalLocation: { artifactLocation: { uri: string }; region: Record<string, number> } }[] }[] }[];
      };
      assert.equal(log.version, '2.1.0');
      const runLog = log.runs[0];
      assert.equal(runLog.tool.driver.name, 'kubefilec');
      assert.equal(runLog.results.length, 1);
      const result = runLog.results[0];
      assert.equal(result.ruleId, 'KF1001');
      assert.equal(runLog.tool.driver.rules[result.ruleIndex].id, 'KF1001');
      assert.equal(result.level, 'error');
      assert.deepEqual(result.locations[0].physicalLocation.region, { startLine: 2, startColumn: 1, endLine: 2, endColumn: 6 });
      assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, '%3Cstdin%3E');
    });

    it('--enable turns on opt-in codes and --disable hides codes', async () => {
      const text = 'from scratch\nMAINTAINER me\n';
      assert.doesNotMatch((await run(['lint', '-f', '-'], text)).stdout, /KF2012/);
      assert.match((await run(['lint', '-f', '-', '--enable', 'KF2012'], text)).stdout, /1:1: hint KF2012: /);
      assert.equal((await run(['lint', '-f', '-', '--disable', 'KF2005,KF2012'], text)).stdout, '');
    });

    it('follows the Kubefile\'s # check= directive and ignore comments; --disable takes ShellCheck codes', async () => {
      const text = '# check=error=true\nFROM scratch\nMAINTAINER me\n# kubefile-lint ignore=KF2021\nENV A 1\n';
      const r = await run(['lint', '-f', '-'], text);
      assert.equal(r.stdout, '<stdin>:3:1: error KF2005: MAINTAINER is deprecated: use LABEL maintainer="<name>"\n');
      assert.equal(r.code, 1, 'error=true turns the warning into an error');
      assert.equal((await run(['lint', '-f', '-', '--disable', 'SC2086'], 'FROM scratch\n')).code, 0);
      assert.match((await run(['lint', '--help'])).stdout, /# kubefile-lint ignore=CODE/);
    });
  });

  describe('parse', () => {
    it('prints the JSON contract with 1-based ranges', async () => {
      const text = '# escape=\\\nARG V=1 W\nFROM --platform=linux/arm64 base:${V}\nRUN echo a \\\n  # dropped\n  b\nCMD ["kubectl", "get", "pods"]\nCOPY ${ARCH}/helm bin\n';
      const r = await run(['parse', '-f', '-'], text);
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), {
        directives: { escape: '\\' },
        instructions: [
          { keyword: 'ARG', flags: [], form: 'shell', args: ['V=1', 'W'], range: { start: { line: 2, column: 1 }, end: { line: 2, column: 10 } } },
          { keyword: 'FROM', flags: ['--platform=linux/arm64'], form: 'shell', args: ['base:${V}'], range: { start: { line: 3, column: 1 }, end: { line: 3, column: 38 } } },
          { keyword: 'RUN', flags: [], form: 'shell', args: ['echo a   b'], range: { start: { line: 4, column: 1 }, end: { line: 6, column: 4 } } },
          { keyword: 'CMD', flags: [], form: 'exec', args: ['kubectl', 'get', 'pods'], range: { start: { line: 7, column: 1 }, end: { line: 7, column: 31 } } },
          { keyword: 'COPY', flags: [], form: 'shell', args: ['${ARCH}/helm', 'bin'], range: { start: { line: 8, column: 1 }, end: { line: 8, column: 22 } } },
        ],
      });
    });

    it('keeps stdout valid JSON and reports syntax errors on stderr with exit 1', async () => {
      const r = await run(['parse', '-f', '-'], 'FROM scratch\nCOPY a\n');
      assert.equal(r.code, 1);
      assert.equal(JSON.parse(r.stdout).instructions.length, 2);
      assert.match(r.stderr, /^<stdin>:2:6: error KF1002: /);
    });

    it('--format text prints one line per instruction', async () => {
      const r = await run(['parse', '-f', '-', '--format', 'text'], 'FROM scratch\nCOPY --chown=0 a b\n');
      assert.equal(r.stdout, '1:1 FROM shell ["scratch"]\n2:1 COPY --chown=0 shell ["a","b"]\n');
    });
  });

  describe('the installed binary', () => {
    it('lints an example with exit 0', async () => {
      const r = await runBinary(['lint', 'examples/multi-arch']);
      assert.deepEqual([r.code, r.stderr], [0, '']);
      assert.deepEqual(r.stdout.match(/ (error|warning|info) KF\d+/g), [' info KF2017', ' info KF2016']);
    });

    it('exits 1 on lint errors read from standard input', async () => {
      const r = await runBinary(['lint', '-f', '-'], 'FROM scratch\nLAUNCH ["ghost"]\n');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '<stdin>:2:9: error KF2008: LAUNCH names application "ghost", which no APP, CNI or CSI declares\n');
    });

    it('starts without the runtime: the bundle loads the runtime and the server only by import() when a command needs them', async () => {
      const bundle = await readFile(join(repo, 'cli/dist/kubefilec.cjs'), 'utf8');
      assert.doesNotMatch(bundle, /require\("@kubefile\//);
      const imported = [...bundle.matchAll(/__kubefileImport\("(@kubefile\/[^"]+)"\)/g)].map((match) => match[1]);
      assert.deepEqual([...new Set(imported)].sort(), ['@kubefile/lsp/main', '@kubefile/runtime', '@kubefile/runtime/cluster-spec', '@kubefile/runtime/errors']);
      // Each resolves from the bundle's place (the store catalogue inside asks for cluster-spec only to tell an image's kind).
      for (const specifier of new Set(imported)) assert.notEqual(Object.keys(await import(specifier)).length, 0, specifier);
      // And the commands that need it still find it.
      const root = mkdtempSync(join(tmpdir(), 'kubefilec-lazy-'));
      try {
        assert.deepEqual(await runBinary(['images', '--format', 'json', '--root', join(root, 'none')]), { code: 0, stdout: '[]\n', stderr: '' });
        const r = await runBinary(['tag', 'missing:v1', 'other:v1', '--root', root]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^kubefilec: error: image missing:v1 is not in the store/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });

    describe('an install of its own (bin, the start and the bundle copied where no package resolves)', () => {
      let install: string;
      let userCache: string;
      // --version takes the base cache, lint the compiler one (start.cts).
      const baseCache = `kubefilec.cjs.${process.version}.base.cache`;
      const compilerCache = `kubefilec.cjs.${process.version}.compiler.cache`;
      beforeEach(() => {
        install = join(dir, 'install');
        userCache = join(dir, 'xdg');
        mkdirSync(join(install, 'bin'), { recursive: true });
        mkdirSync(join(install, 'dist'), { recursive: true });
        // The start is bundled with the code cache module it shares with the language server: no package to resolve.
        for (const file of ['bin/kubefilec.js', 'bin/package.json', 'dist/kubefilec-start.cjs', 'dist/kubefilec.cjs']) cpSync(join(repo, 'cli', file), join(install, file));
      });
      const runInstalled = (args: string[], stdin = ''): Promise<Run> =>
        new Promise((resolve) => {
          const child = execFile(process.execPath, [join(install, 'bin/kubefilec.js'), ...args], { cwd: dir, env: { ...process.env, XDG_CACHE_HOME: userCache, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
          });
          child.stdin?.end(stdin);
        });
      const lintGhost = async () => {
        const r = await runInstalled(['lint', '-f', '-'], 'FROM scratch\nLAUNCH ["ghost"]\n');
        assert.deepEqual(r, { code: 1, stdout: '<stdin>:2:9: error KF2008: LAUNCH names application "ghost", which no APP, CNI or CSI declares\n', stderr: '' });
      };

      it('--version and lint run without the runtime, and write their missing code caches next to the bundle', async () => {
        assert.deepEqual(await runInstalled(['--version']), { code: 0, stdout: `${VERSION}\n`, stderr: '' });
        assert.deepEqual(readdirSync(join(install, 'dist')).sort(), ['kubefilec-start.cjs', 'kubefilec.cjs', baseCache]);
        await lintGhost();
        assert.deepEqual(readdirSync(join(install, 'dist')).sort(), ['kubefilec-start.cjs', 'kubefilec.cjs', baseCache, compilerCache]);
        // The compiler's functions are in the lint's cache only: --version does not load them.
        assert.ok(statSync(join(install, 'dist', baseCache)).size < statSync(join(install, 'dist', compilerCache)).size / 2);
      });

      it('npm run build made both caches next to the bundle', () => {
        for (const name of [baseCache, compilerCache]) assert.ok(existsSync(join(repo, 'cli/dist', name)), name);
      });

      it('a cache V8 rejects is written again; the command runs as without one', async () => {
        const cache = join(install, 'dist', compilerCache);
        writeFileSync(cache, 'not a code cache');
        await lintGhost();
        assert.ok(statSync(cache).size > 1000, 'rewritten');
        await lintGhost();
      });

      it('where the cache cannot be written next to the bundle, it goes to the user\'s cache directory', async () => {
        // A directory in the cache file's place: no write there succeeds (as in a read-only install, which root would not feel).
        mkdirSync(join(install, 'dist', compilerCache));
        await lintGhost();
        const written = readdirSync(join(userCache, 'kubefilec'));
        assert.equal(written.length, 1);
        assert.match(written[0], new RegExp(`^[0-9a-f]{32}\\.${process.version.replace(/\./g, '\\.')}\\.compiler\\.cache$`));
        await lintGhost();
        assert.deepEqual(readdirSync(join(userCache, 'kubefilec')), written);
      });

      it('KUBEFILEC_CODE_CACHE=off neither reads nor writes one', async () => {
        const r = await new Promise<Run>((resolve) => {
          execFile(process.execPath, [join(install, 'bin/kubefilec.js'), '--version'], { env: { ...process.env, KUBEFILEC_CODE_CACHE: 'off', XDG_CACHE_HOME: userCache } }, (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }));
        });
        assert.deepEqual(r, { code: 0, stdout: `${VERSION}\n`, stderr: '' });
        assert.deepEqual(readdirSync(join(install, 'dist')).sort(), ['kubefilec-start.cjs', 'kubefilec.cjs']);
        assert.equal(existsSync(userCache), false);
      });
    });

    it('exits 2 on a usage error', async () => {
      const r = await runBinary(['lint', '--format']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /option '--format <FORMAT>' argument missing/);
    });
  });
});
