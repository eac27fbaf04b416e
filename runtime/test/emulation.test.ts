/**
 * Foreign-architecture RUN: Debian's static busybox for amd64 and arm64 (fetched by
 * scripts/fetch-busybox.sh into examples/multi-arch, not committed) copied per platform into bin/, then run. On an amd64
 * host without binfmt_misc entries, the arm64 one runs through a qemu-aarch64-static shim; with
 * the entry `setup-qemu` registers, the kernel runs it, chroots included.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binfmtHandles, elfArchitecture, hostArchitecture, platformImages, readBinfmtHandler, registerQemuHandlers, removeQemuHandlers, RuntimeError, type BuildOptions, type ImageStore } from '../src/index.js';
import { build, tmpFiles } from './build-helpers.js';
import { useTempStore } from './fixtures.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = join(repo, 'examples/multi-arch');

describe('RUN on foreign architectures (qemu)', function () {
  this.timeout(300_000);
  let store: ImageStore;
  let context: string;
  const temp = useTempStore('kubefile-qemu-');
  beforeEach(() => ({ store, dir: context } = temp));

  // The shim tests need a host without the arm64 entry: one registered before is put back after.
  let entryBefore = false;
  before(async () => {
    // Fails (does not skip) when the fixture cannot be fetched: the test needs the real binaries.
    execFileSync(join(repo, 'scripts/fetch-busybox.sh'), [FIXTURES], { stdio: 'inherit' });
    entryBefore = (await removeQemuHandlers(['arm64'])).length > 0;
  });
  after(async () => {
    if (entryBefore) await registerQemuHandlers(['arm64']);
  });

  it('reads the architecture of ELF programs', async () => {
    assert.equal(await elfArchitecture(join(FIXTURES, 'amd64/busybox')), 'amd64');
    assert.equal(await elfArchitecture(join(FIXTURES, 'arm64/busybox')), 'arm64');
    assert.equal(await elfArchitecture(join(repo, 'package.json')), undefined);
  });

  /** Puts each platform's busybox in the context, builds, and returns each platform's text files (from every layer but the first, busybox's). */
  async function buildBusybox(kubefile: string, options: Partial<BuildOptions> = {}, platforms = ['linux/amd64', 'linux/arm64']): Promise<Record<string, Record<string, string>>> {
    for (const arch of ['amd64', 'arm64']) {
      await mkdir(join(context, arch), { recursive: true });
      await copyFile(join(FIXTURES, arch, 'busybox'), join(context, arch, 'busybox'));
    }
    await build(store, context, kubefile, 'uname:v1', platforms, options);
    const image = await store.getImage('uname:v1');
    const files: Record<string, Record<string, string>> = {};
    for (const platform of await platformImages(store, image.descriptor)) {
      files[platform.key] = {};
      for (const layer of platform.manifest.layers.slice(1)) {
        const blob = store.blobPath(layer.digest);
        const names = execFileSync('tar', ['-tf', blob], { encoding: 'utf8' }).trim().split('\n').filter((n) => n !== '' && !n.endsWith('/') && !n.startsWith('bin/'));
        for (const name of names) files[platform.key][name] = execFileSync('tar', ['-xOf', blob, name], { encoding: 'utf8' }).trim();
      }
    }
    return files;
  }

  const UNAME = 'FROM scratch\nCOPY ${ARCH}/busybox bin/\nRUN busybox uname -m > arch.txt\n';
  const ARCHES = { 'linux/amd64': 'x86_64', 'linux/arm64/v8': 'aarch64' };
  const archTexts = (files: Record<string, Record<string, string>>) => Object.fromEntries(Object.entries(files).map(([platform, f]) => [platform, f['arch.txt']]));

  for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
    it(`${mounter}: COPY \${ARCH}/busybox bin then RUN busybox uname -m: x86_64 for amd64, aarch64 for arm64`, async () => {
      assert.equal(await binfmtHandles('arm64'), false, 'no binfmt_misc entry: the shim path');
      const files = await buildBusybox(`${UNAME}RUN echo $PATH > path.txt\n`, { mounter });
      assert.deepEqual(archTexts(await buildBusybox(UNAME, { mounter })), ARCHES);
      assert.match(files['linux/arm64/v8']['path.txt'], /\.run\/scratch\/shims:/, 'the arm64 busybox is shimmed');
      assert.doesNotMatch(files['linux/amd64']['path.txt'], /scratch\/shims/, 'the native one is not');
      assert.equal(hostArchitecture(), 'amd64', 'this test expects an amd64 build host');
      assert.deepEqual(await tmpFiles(store), []);
    });
  }

  it('a foreign program named by path, in shell and exec form, runs through qemu', async () => {
    // The exec-form shell is arm64 too: the busybox it starts by name goes through the PATH shim.
    const files = await buildBusybox('FROM scratch\nCOPY ${ARCH}/busybox bin/\nRUN bin/busybox uname -m > arch.txt\nRUN ["./bin/busybox", "sh", "-c", "busybox uname -m > arch2.txt"]\n');
    assert.deepEqual(archTexts(files), ARCHES);
    assert.deepEqual(Object.fromEntries(Object.entries(files).map(([platform, f]) => [platform, f['arch2.txt']])), ARCHES);
  });

  it('without qemu, a foreign RUN fails naming the package, the platform and the program; nothing is stored', async () => {
    const saved = process.env.KUBEFILE_QEMU_PATH;
    process.env.KUBEFILE_QEMU_PATH = join(context, 'no-qemu-here');
    try {
      await assert.rejects(buildBusybox(UNAME), (error: RuntimeError) => {
        assert.equal(error.code, 'QEMU_MISSING');
        assert.match(error.message, /linux\/arm64\/v8 needs qemu-aarch64-static to run arm64 programs \(busybox\).*install the qemu-user-static package/);
        assert.deepEqual(error.location, { file: 'Kubefile', line: 3, column: 1 });
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.KUBEFILE_QEMU_PATH;
      else process.env.KUBEFILE_QEMU_PATH = saved;
    }
    assert.equal(await store.findImage('uname:v1'), undefined);
    assert.deepEqual(await tmpFiles(store), []);
  });

  const CHROOT = 'FROM scratch\nCOPY ${ARCH}/busybox bin/\nRUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p dev proc && /bin/busybox ln -s busybox /bin/sh"]\nRUN busybox uname -m > arch.txt && ls /dev > dev.txt && echo $PATH > path.txt\n';

  it('--isolation chroot without a binfmt_misc entry fails, pointing to setup-qemu', async () => {
    await assert.rejects(buildBusybox(CHROOT, { isolation: 'chroot' }), (error: RuntimeError) => {
      assert.equal(error.code, 'QEMU_MISSING');
      assert.match(error.message, /--isolation chroot for linux\/arm64\/v8 .* no binfmt_misc entry: run `kubefilec setup-qemu --platform linux\/arm64\/v8`/);
      return true;
    });
    assert.deepEqual(await tmpFiles(store), []);
  });

  describe('with the binfmt_misc entry (setup-qemu)', () => {
    before(async () => {
      const [done] = await registerQemuHandlers(['arm64']);
      assert.equal(done.arch, 'arm64');
      const entry = await readBinfmtHandler('arm64');
      assert.ok(entry?.enabled && entry.flags.includes('F'), `registered with the fix-binary flag: ${JSON.stringify(entry)}`);
      assert.equal((await registerQemuHandlers(['arm64']))[0].outcome, 'unchanged', 'registering again changes nothing');
    });
    after(async () => {
      // The tests after these use the shim path.
      await removeQemuHandlers(['arm64']);
    });

    it('the kernel runs the arm64 busybox: no shim on PATH', async () => {
      const withPath = await buildBusybox('FROM scratch\nCOPY ${ARCH}/busybox bin/\nRUN busybox uname -m > arch.txt && echo $PATH > path.txt\n');
      assert.deepEqual(archTexts(withPath), ARCHES);
      for (const platform of Object.keys(ARCHES)) assert.doesNotMatch(withPath[platform]['path.txt'], /scratch\/shims/);
    });

    for (const mounter of ['overlay', 'fuse-overlayfs', 'copy'] as const) {
      it(`${mounter}: --isolation chroot runs inside the root as /, with its own /dev`, async () => {
        const files = await buildBusybox(CHROOT, { isolation: 'chroot', mounter });
        assert.deepEqual(archTexts(files), ARCHES);
        for (const platform of Object.keys(ARCHES)) {
          assert.deepEqual(Object.keys(files[platform]).sort(), ['arch.txt', 'dev.txt', 'path.txt'], 'the /dev and /proc mounts leave no files in the layers');
          assert.deepEqual(files[platform]['dev.txt'].split('\n'), ['fd', 'full', 'null', 'random', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
          assert.equal(files[platform]['path.txt'], '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
        }
        assert.deepEqual(await tmpFiles(store), []);
        assert.doesNotMatch(await readFile('/proc/self/mountinfo', 'utf8'), new RegExp(store.root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      });
    }
  });
});
