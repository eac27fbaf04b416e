/**
 * docs/api.md's embedding example must keep working: it is taken out of the document (the ```js
 * block after the `api-example` marker), written next to the compiled tests so that
 * `@kubefile/compiler` resolves through the workspace's node_modules, and run on an example.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = new URL('../../../', import.meta.url);
const MARKER = '<!-- api-example';

/** The first ```js block after the marker comment. */
function exampleScript(markdown: string): string {
  const at = markdown.indexOf(MARKER);
  assert.notEqual(at, -1, `docs/api.md has no "${MARKER}" marker`);
  const block = /^```js\n([\s\S]*?)^```$/m.exec(markdown.slice(at));
  assert.ok(block, 'no ```js block after the marker');
  return block[1];
}

describe('docs/api.md', () => {
  const doc = readFileSync(new URL('docs/api.md', repo), 'utf8');
  // compiler/dist-test/: inside the repository, so node_modules/@kubefile/compiler is found.
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(fileURLToPath(new URL('../', import.meta.url)), 'api-example-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (kubefile: string): string => {
    const script = join(dir, 'plan.mjs');
    writeFileSync(script, exampleScript(doc));
    return execFileSync(process.execPath, [script, kubefile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  };

  it('has an embedding example of about 20 lines that uses compile and nodeContext', () => {
    const script = exampleScript(doc);
    assert.ok(script.split('\n').length <= 30, 'the example stays short');
    assert.match(script, /from '@kubefile\/compiler'/);
    assert.match(script, /from '@kubefile\/compiler\/node'/);
  });

  it('runs on examples/multi-arch and prints both plans with their ops', () => {
    const kubefile = fileURLToPath(new URL('examples/multi-arch/Kubefile', repo));
    const output = run(kubefile);
    assert.match(output, /^linux\/amd64 \(from kubernetes:v1\.19\.8\)$/m);
    assert.match(output, /^linux\/arm64\/v8 \(from kubernetes:v1\.19\.8\)$/m);
    assert.match(output, /^ {2}copy +[0-9a-f]{12} {2}line 4$/m);
    assert.match(output, /^ {2}cmd +[0-9a-f]{12} {2}line \d+$/m);
    // No errors, no warnings; notes where sealer v0.11 builds otherwise (its RUN, its CMDs on a base),
    // and on the RUN of the arm64 busybox, which needs qemu.
    assert.doesNotMatch(output, /: (error|warning) KF\d{4}: /);
    assert.deepEqual([...new Set([...output.matchAll(/: info (KF201[67]): /g)].map((m) => m[1]))], ['KF2017', 'KF2016']);
    assert.match(output, /Kubefile:10:1: info KF3013: RUN runs arm64 programs \(busybox\)/);
    // The digests the doc promises: `from` and the first `copy` shared, the ${ARCH} copy not.
    const plans = output.split(/^(?=linux\/)/m).filter((chunk) => chunk.startsWith('linux/'));
    assert.equal(plans.length, 2);
    const digests = plans.map((p) => [...p.matchAll(/^ {2}\S+ +([0-9a-f]{12})/gm)].map((m) => m[1]));
    assert.equal(digests[0][0], digests[1][0], 'from');
    assert.equal(digests[0][1], digests[1][1], 'COPY dashborad.yaml manifests');
    assert.notEqual(digests[0][2], digests[1][2], 'COPY ${ARCH}/helm bin');
  });

  it('prints diagnostics as file:line:col: severity code: message', () => {
    const kubefile = join(dir, 'Kubefile');
    writeFileSync(kubefile, 'FROM scratch\nCOPY missing.txt etc/\n');
    const script = join(dir, 'plan.mjs');
    writeFileSync(script, exampleScript(doc));
    const child = spawnSync(process.execPath, [script, kubefile], { encoding: 'utf8' });
    assert.equal(child.status, 1, `exit status (stderr: ${child.stderr})`);
    const output = child.stdout;
    assert.ok(output.includes(`${kubefile}:2:6: error KF3004: `), output);
  });
});
