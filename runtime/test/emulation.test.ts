/**
 * Foreign-architecture RUN: Debian's static busybox for amd64 and arm64 (fetched by
 * test/fixtures/busybox.sh, not committed) copied per platform into bin/, then run. On an amd64
 * host without binfmt_misc handlers, the arm64 one runs through a qemu-aarch64-static shim.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { elfArchitecture, hostArchitecture, platformImages, type ImageStore } from '../src/index.js';
import { build, tmpFiles } from './build-helpers.js';
import { useTempStore } from './fixtures.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = join(repo, 'node_modules/.cache/kubefile-busybox');

describe('RUN on foreign architectures (qemu)', function () {
  this.timeout(300_000);
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-qemu-');
  beforeEach(() => ({ store, dir: context } = temp));

  before(() => {
    // Fails (does not skip) when the fixture cannot be fetched: the test needs the real binaries.
    execFileSync(join(repo, 'runtime/test/fixtures/busybox.sh'), [FIXTURES], { stdio: 'inherit' });
  });

  it('reads the architecture of ELF programs', async () => {
    assert.equal(await elfArchitecture(join(FIXTURES, 'amd64/busybox')), 'amd64');
    assert.equal(await elfArchitecture(join(FIXTURES, 'arm64/busybox')), 'arm64');
    assert.equal(await elfArchitecture(join(repo, 'package.json')), undefined);
  });

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: COPY \${ARCH}/busybox bin then RUN busybox uname -m: x86_64 for amd64, aarch64 for arm64`, async () => {
      for (const arch of ['amd64', 'arm64']) {
        await mkdir(join(context, arch), { recursive: true });
        await copyFile(join(FIXTURES, arch, 'busybox'), join(context, arch, 'busybox'));
      }
      const result = await build(store, context, 'FROM scratch\nCOPY ${ARCH}/busybox bin/\nRUN busybox uname -m > arch.txt\n', 'uname:v1', ['linux/amd64', 'linux/arm64'], { mounter });
      const image = await store.getImage('uname:v1');
      const [amd, arm] = await platformImages(store, image.descriptor);
      const archOf = (layer: string) => execFileSync('tar', ['-xOf', store.blobPath(layer as `sha256:${string}`), 'arch.txt'], { encoding: 'utf8' }).trim();
      assert.equal(archOf(amd.manifest.layers[1].digest), 'x86_64');
      assert.equal(archOf(arm.manifest.layers[1].digest), 'aarch64');
      assert.equal(hostArchitecture(), 'amd64', 'this test expects an amd64 build host');
      assert.equal(result.layersBuilt, 4);
      assert.deepEqual(await tmpFiles(store), []);
    });
  }
});
