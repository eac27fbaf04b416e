import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  compile,
  digestOps,
  memoryContext,
  type CompileOptions,
  type CompileResult,
  type CopyOp,
  type Op,
  type PlatformPlan,
  type RunOp,
} from '@kubefile/compiler';
import { nodeContext } from '@kubefile/compiler/node';
import { describeDiagnostic } from './helpers.js';

const AMD64_ARM64 = ['linux/amd64', 'linux/arm64'];

function ops<K extends Op['kind']>(plan: PlatformPlan, kind: K): (Op & { kind: K })[] {
  return plan.ops.filter((op): op is Op & { kind: K } => op.kind === kind);
}

function codes(result: CompileResult): string[] {
  return result.diagnostics.map(describeDiagnostic);
}

/** A minimal ELF header for `machine` (e_machine), 64-bit little-endian. */
function elf(machine: number): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  bytes[16] = 2; // ET_EXEC
  bytes[18] = machine & 0xff;
  bytes[19] = machine >> 8;
  return bytes;
}
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

describe('compile: ARG scoping and build args', () => {
  it('uses build args over defaults, defaults otherwise', async () => {
    const text = 'FROM scratch\nARG A=default-a\nARG B=default-b\nLABEL a=$A b=${B}';
    const { plans, diagnostics } = await compile(text, { buildArgs: { A: 'from-cli' } });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(plans[0].config.labels, { a: 'from-cli', b: 'default-b' });
    assert.deepEqual(plans[0].config.args, { A: 'from-cli', B: 'default-b' });
  });

  it('build arg values may contain = and ,', async () => {
    const { plans } = await compile('FROM scratch\nARG V\nLABEL v=$V', { buildArgs: { V: 'a=b,c=d' } });
    assert.equal(plans[0].config.labels.v, 'a=b,c=d');
  });

  it('ARGs before FROM are usable in FROM, and only by redeclaration after it', async () => {
    const text = 'ARG BASE=kubernetes:v1.19.8\nARG TAG=x\nFROM ${BASE}\nARG BASE\nLABEL base=$BASE tag=$TAG';
    const result = await compile(text);
    assert.equal(result.plans[0].base, 'kubernetes:v1.19.8');
    assert.equal(result.plans[0].config.labels.base, 'kubernetes:v1.19.8');
    assert.equal(result.plans[0].config.labels.tag, '');
    assert.deepEqual(codes(result), ['KF3001 5:23 TAG is declared before FROM only: add "ARG TAG" after FROM to use it here']);
  });

  it('a build arg overrides a global ARG in FROM', async () => {
    const { plans } = await compile('ARG BASE=a:1\nFROM $BASE', { buildArgs: { BASE: 'b:2' } });
    assert.equal(plans[0].base, 'b:2');
    assert.equal((plans[0].ops[0] as { image: string }).image, 'b:2');
  });

  it('ENV shadows an ARG of the same name; an ENV pair sees the variables as they were before that ENV (BuildKit)', async () => {
    const text = 'FROM scratch\nARG V=arg\nENV V=env W=$V\nLABEL v=$V w=$W';
    const { plans } = await compile(text);
    assert.deepEqual(plans[0].config.labels, { v: 'env', w: 'arg' });
  });

  it('default values are expanded in the scope before them', async () => {
    const { plans } = await compile('FROM scratch\nARG A=1\nARG B=${A}-2\nLABEL b=$B');
    assert.equal(plans[0].config.labels.b, '1-2');
  });

  it('predefined platform variables are set per platform, without declaration', async () => {
    const text = 'FROM scratch\nLABEL arch=$ARCH t=$TARGETPLATFORM os=$TARGETOS ta=$TARGETARCH tv=$TARGETVARIANT b=$BUILDPLATFORM ba=$BUILDARCH';
    const { plans, diagnostics } = await compile(text, { platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'] });
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(
      plans.map((p) => p.config.labels),
      [
        { arch: 'amd64', t: 'linux/amd64', os: 'linux', ta: 'amd64', tv: '', b: 'linux/amd64', ba: 'amd64' },
        { arch: 'arm64', t: 'linux/arm64/v8', os: 'linux', ta: 'arm64', tv: 'v8', b: 'linux/amd64', ba: 'amd64' },
        { arch: 'arm', t: 'linux/arm/v7', os: 'linux', ta: 'arm', tv: 'v7', b: 'linux/amd64', ba: 'amd64' },
      ],
    );
  });

  it('warns about undefined variables with a suggestion, once for all platforms', async () => {
    const result = await compile('FROM scratch\nARG VERSION=1\nLABEL v=${VERSON} a=${ARHC}', { platforms: AMD64_ARM64 });
    assert.deepEqual(codes(result), ['KF3001 3:11 Undefined variable VERSON: did you mean VERSION?', 'KF3001 3:23 Undefined variable ARHC: did you mean ARCH?']);
  });

  it('does not warn for ${V:-default} and friends', async () => {
    const result = await compile('FROM scratch\nLABEL a=${U:-x} b=${U-y} c=${U:+z} d=${U+w}');
    assert.deepEqual(result.diagnostics, []);
    assert.deepEqual(result.plans[0].config.labels, { a: 'x', b: 'y', c: '', d: '' });
  });

  it('reports ${V:?message} failures as errors', async () => {
    const result = await compile('FROM scratch\nLABEL v="${VERSION:?set --build-arg VERSION}"');
    assert.equal(result.hasErrors, true);
    assert.match(codes(result)[0], /^KF3003 2:10 VERSION: set --build-arg VERSION/);
  });

  it('warns about build args no ARG declares, and ignores predefined ones', async () => {
    const result = await compile('FROM scratch\nARG USED', { buildArgs: { USED: '1', UNUSED: '2', ARCH: 'x' } });
    assert.deepEqual(codes(result), ['KF3002 1:1 --build-arg UNUSED is not used: no ARG declares UNUSED', 'KF3014 1:1 --build-arg ARCH is ignored: ARCH is set by the platform being built']);
  });

  it('reports an image that expands to nothing', async () => {
    assert.deepEqual(codes(await compile('FROM ${BASE}')), ['KF3001 1:8 Undefined variable BASE (it expands to an empty string); the image "${BASE}" is then empty']);
    assert.deepEqual(codes(await compile('FROM ${BASE:-}')), ['KF3015 1:6 The image "${BASE:-}" expands to an empty string']);
  });

  it('throws PlatformError for an invalid platform', async () => {
    await assert.rejects(compile('FROM scratch', { platforms: ['linux/*'] }), { name: 'PlatformError' });
  });

  it('removes duplicate platforms after normalization', async () => {
    const { plans } = await compile('FROM scratch', { platforms: ['linux/arm64', 'aarch64', 'linux/arm64/v8', 'x86_64'] });
    assert.deepEqual(
      plans.map((p) => p.platform),
      ['linux/arm64/v8', 'linux/amd64'],
    );
  });
});

describe('compile: COPY sources per platform', () => {
  const context = memoryContext({
    'amd64/helm': elf(EM_X86_64),
    'arm64/helm': elf(EM_AARCH64),
    'manifests/a.yaml': 'kind: ConfigMap\n',
    'manifests/b.yaml': 'kind: Secret\n',
    'imageList': 'nginx:1.25\n',
    'Clusterfile': 'apiVersion: sealer.cloud/v2\nkind: Cluster\n',
    'link-out': { symlink: '../../etc/passwd' },
  });

  it('resolves ${ARCH} sources for each platform', async () => {
    const result = await compile('FROM scratch\nCOPY ${ARCH}/helm bin', { platforms: AMD64_ARM64, context });
    assert.deepEqual(codes(result), ['KF3017 2:19 sealer v0.11 copies one file to "bin", not a directory yet, as a file named bin (not bin/helm); kubefilec copies it into the directory: write "bin/" for both to agree']);
    const [amd, arm] = result.plans.map((p) => ops(p, 'copy')[0]);
    assert.deepEqual([amd.sources, amd.matches, amd.dest, amd.destIsDirectory], [['amd64/helm'], [['amd64/helm']], 'bin', true]);
    assert.deepEqual([arm.sources, arm.matches], [['arm64/helm'], [['arm64/helm']]]);
  });

  it('names the platform whose source is missing', async () => {
    const result = await compile('FROM scratch\nCOPY ${ARCH}/helm bin', { platforms: ['linux/amd64', 'linux/arm64', 'linux/s390x'], context });
    assert.deepEqual(codes(result), [
      'KF3004 2:6 "s390x/helm" matches nothing in the build context (for linux/s390x)',
      'KF3017 2:19 sealer v0.11 copies one file to "bin", not a directory yet, as a file named bin (not bin/helm); kubefilec copies it into the directory: write "bin/" for both to agree (for linux/amd64, linux/arm64/v8)',
    ]);
  });

  it('reports a missing source once when it is missing everywhere', async () => {
    const result = await compile('FROM scratch\nCOPY nothing.yaml manifests', { platforms: AMD64_ARM64, context });
    assert.deepEqual(codes(result), ['KF3004 2:6 "nothing.yaml" matches nothing in the build context']);
  });

  it('matches wildcards', async () => {
    const result = await compile('FROM scratch\nCOPY manifests/*.yaml manifests', { context });
    assert.deepEqual(result.diagnostics, []);
    const copy = ops(result.plans[0], 'copy')[0];
    assert.deepEqual(copy.matches, [['manifests/a.yaml', 'manifests/b.yaml']]);
    assert.equal(copy.destIsDirectory, true);
    const none = await compile('FROM scratch\nCOPY manifests/*.json manifests', { context });
    assert.deepEqual(codes(none), ['KF3004 2:6 "manifests/*.json" matches nothing in the build context']);
  });

  it('refuses sources outside the context', async () => {
    const result = await compile('FROM scratch\nCOPY ../secret etc\nCOPY /imageList manifests\nCOPY link-out etc', { context });
    assert.deepEqual(codes(result), [
      'KF3005 2:6 "../secret" is outside the build context: sources must be inside it',
      'KF3005 3:6 "/imageList" is an absolute path: sources are relative to the build context (write "imageList")',
      'KF3017 3:17 sealer v0.11 copies one file to "manifests", not a directory yet, as a file named manifests (not manifests/imageList); kubefilec copies it into the directory: write "manifests/" for both to agree',
      'KF3005 4:6 "link-out" is a symlink to a file outside the build context',
    ]);
  });

  it('recognises remote sources: ADD downloads, COPY cannot', async () => {
    const result = await compile('FROM scratch\nADD https://example.com/a.yaml manifests\nCOPY https://example.com/b.yaml manifests\nCOPY git@github.com:a/b.git charts', { context });
    assert.deepEqual(codes(result), [
      'KF3017 2:32 sealer v0.11 copies one file to "manifests", not a directory yet, as a file named manifests (not manifests/a.yaml); kubefilec copies it into the directory: write "manifests/" for both to agree',
      'KF3006 3:6 COPY cannot fetch a URL ("https://example.com/b.yaml"): use ADD',
      'KF3006 4:6 COPY cannot fetch a git repository ("git@github.com:a/b.git"): use ADD',
    ]);
    assert.deepEqual(ops(result.plans[0], 'add')[0].sources, ['https://example.com/a.yaml']);
  });

  it('reads no wildcard in a URL: one URL to a name without / is that file', async () => {
    const result = await compile('FROM scratch\nADD https://example.com/get?v=1 etc/a.yaml\nADD https://example.com/[1].yaml etc/\nADD conf/*.yaml https://example.com/c.yaml etc\n', { context });
    assert.deepEqual(codes(result).filter((c) => !c.startsWith('KF3004')), []);
    assert.deepEqual(
      ops(result.plans[0], 'add').map((op) => [op.dest, op.destIsDirectory]),
      [['etc/a.yaml', false], ['etc', true], ['etc', true]],
    );
  });

  it('normalizes destinations', async () => {
    const result = await compile('FROM scratch\nCOPY imageList /manifests/\nCOPY imageList ./etc/list\nCOPY imageList .\nCOPY imageList ../x', { context });
    const copies = ops(result.plans[0], 'copy').map((c: CopyOp) => [c.dest, c.destIsDirectory]);
    assert.deepEqual(copies, [
      ['manifests', true],
      ['etc/list', false],
      ['', true],
      ['x', false],
    ]);
    assert.deepEqual(codes(result), ['KF3007 5:16 The destination "../x" is outside the image root']);
  });

  it('keeps the Clusterfile copied to etc as the config annotation', async () => {
    const { plans } = await compile('FROM scratch\nCOPY Clusterfile etc', { context });
    assert.equal(plans[0].config.clusterfile, 'apiVersion: sealer.cloud/v2\nkind: Cluster\n');
  });

  it('finds the Clusterfile inside a directory copied to etc or to the root', async () => {
    const tree = memoryContext({ 'etc/Clusterfile': 'kind: Cluster\n', 'rootfs/etc/Clusterfile': 'kind: Cluster # rootfs\n', 'conf/other.yaml': 'a: 1\n' });
    assert.equal((await compile('FROM scratch\nCOPY etc etc', { context: tree })).plans[0].config.clusterfile, 'kind: Cluster\n');
    assert.equal((await compile('FROM scratch\nCOPY rootfs .', { context: tree })).plans[0].config.clusterfile, 'kind: Cluster # rootfs\n');
    assert.equal((await compile('FROM scratch\nCOPY conf etc', { context: tree })).plans[0].config.clusterfile, undefined);
  });

  it('checks APP local:// sources', async () => {
    const result = await compile('FROM scratch\nAPP a local://manifests/a.yaml\nAPP b local://missing.yaml', { context });
    assert.deepEqual(codes(result), ['KF3004 3:7 "missing.yaml" matches nothing in the build context']);
  });

  it('records RUNs that need emulation, per platform', async () => {
    const text = 'FROM scratch\nCOPY ${ARCH}/helm bin\nRUN helm version\nRUN echo done';
    const result = await compile(text, { platforms: AMD64_ARM64, context });
    const runs = result.plans.map((p) => ops(p, 'run').map((r: RunOp) => r.emulation));
    assert.deepEqual(runs, [
      [undefined, undefined],
      [{ architecture: 'arm64', programs: ['helm'] }, undefined],
    ]);
    assert.deepEqual(codes(result), [
      'KF3017 2:19 sealer v0.11 copies one file to "bin", not a directory yet, as a file named bin (not bin/helm); kubefilec copies it into the directory: write "bin/" for both to agree',
      'KF2017 3:1 sealer v0.11 runs RUN with buildah inside the image (its root as /, so the image needs /bin/sh and the programs); kubefilec runs it on the build host in the image root, with its bin/ first on PATH (--isolation chroot is closer to sealer)',
      'KF3013 3:1 RUN runs arm64 programs (helm) on this amd64 build host: they run under qemu (for linux/arm64/v8)',
      'KF2023 4:1 RUN right after the RUN on line 3: each makes a layer; join them with &&',
    ]);
  });

  it('refuses RUN for windows targets', async () => {
    const result = await compile('FROM scratch\nRUN echo hi', { platforms: ['windows/amd64'] });
    assert.deepEqual(codes(result), ['KF2017 2:1 sealer v0.11 runs RUN with buildah inside the image (its root as /, so the image needs /bin/sh and the programs); kubefilec runs it on the build host in the image root, with its bin/ first on PATH (--isolation chroot is closer to sealer)', 'KF3012 2:1 RUN cannot run for windows/amd64: only Linux programs run on the build host']);
  });
});

describe('compile: RUN and CMD are not rewritten', () => {
  it('passes ARG, ENV and platform variables in the environment, with a preview', async () => {
    const text = 'FROM scratch\nARG V=1.0\nENV MODE=prod\nRUN echo $V ${MODE} $ARCH $HOME\nCMD ["kubectl", "apply", "-f", "$V"]';
    const { plans } = await compile(text, { platforms: ['linux/arm64'] });
    const run = ops(plans[0], 'run')[0];
    assert.equal(run.command, 'echo $V ${MODE} $ARCH $HOME');
    assert.equal(run.preview, 'echo 1.0 prod arm64 $HOME');
    assert.equal(run.env.V, '1.0');
    assert.equal(run.env.MODE, 'prod');
    assert.equal(run.env.ARCH, 'arm64');
    assert.equal(run.env.TARGETPLATFORM, 'linux/arm64/v8');
    const cmd = ops(plans[0], 'cmd')[0];
    assert.deepEqual(cmd.command, ['kubectl', 'apply', '-f', '$V']);
    assert.deepEqual(plans[0].config.cmds, ['kubectl apply -f $V']);
  });
});

describe('compile: digests', () => {
  const text = 'FROM kubernetes:v1.19.8\nCOPY manifests manifests\nCOPY ${ARCH}/helm bin\nRUN helm version\nCMD kubectl get nodes';
  const context = memoryContext({ 'manifests/a.yaml': 'a: 1\n', 'amd64/helm': '#!/bin/sh\n', 'arm64/helm': '#!/bin/sh\n' });
  const digests = async (source: string, options: CompileOptions = {}) =>
    (await compile(source, { platforms: AMD64_ARM64, context, ...options })).plans.map((p) => p.ops.map((op) => op.digest));

  it('are sha256 digests, stable for the same input', async () => {
    const first = await digests(text);
    assert.deepEqual(await digests(text), first);
    for (const digest of first.flat()) assert.match(digest, /^sha256:[0-9a-f]{64}$/);
  });

  it('are equal across plans for ops that do not depend on the platform', async () => {
    const [amd, arm] = await digests(text);
    assert.equal(amd[0], arm[0]); // FROM
    assert.equal(amd[1], arm[1]); // COPY manifests
    assert.notEqual(amd[2], arm[2]); // COPY ${ARCH}/helm
    assert.notEqual(amd[4], arm[4]); // after a platform-dependent op, everything differs
  });

  it('change with args, env and the base', async () => {
    const base = await digests('FROM scratch\nARG V=1\nRUN echo');
    assert.notDeepEqual(await digests('FROM scratch\nARG V=2\nRUN echo'), base);
    assert.notDeepEqual(await digests('FROM scratch\nARG V=1\nRUN echo', { buildArgs: { V: '3' } }), base);
    assert.notDeepEqual(await digests('FROM other\nARG V=1\nRUN echo'), base);
    const env = await digests('FROM scratch\nENV E=1\nLABEL a=b');
    assert.notDeepEqual(await digests('FROM scratch\nENV E=2\nLABEL a=b'), env);
  });

  it('do not change when only lines move', async () => {
    const [a] = await digests('FROM scratch\nLABEL a=b');
    const [b] = await digests('\n\n# comment\nFROM scratch\n\nLABEL a=b');
    assert.deepEqual(a, b);
  });
});

describe('digestOps: what a digest covers', () => {
  // One draft of every kind, with every field set.
  const drafts = (): Record<string, unknown>[] => [
    { kind: 'from', image: 'a:1', line: 1 },
    { kind: 'copy', sources: ['a'], dest: 'bin', destIsDirectory: true, matches: [['a']], chmod: '755', line: 2 },
    { kind: 'add', sources: ['https://x/y'], dest: 'etc', destIsDirectory: false, matches: [[]], line: 3 },
    { kind: 'run', command: 'echo', env: { A: '1' }, preview: 'echo', heredocs: [{ name: 'EOF', content: 'x\n', expand: true }], emulation: { architecture: 'arm64', programs: ['p'] }, line: 4 },
    { kind: 'env', env: { E: '1' }, line: 5 },
    { kind: 'label', labels: { l: 'v' }, line: 6 },
    { kind: 'arg', args: { A: '1', B: null }, line: 7 },
    { kind: 'cmd', command: ['a', 'b'], preview: 'a b', line: 8 },
    { kind: 'app', type: 'APP', name: 'n', sources: ['local://n'], sealerType: 'kube', files: ['/n.yaml'], line: 9 },
    { kind: 'appcmds', app: 'n', command: ['c'], line: 10 },
    { kind: 'appenv', app: 'n', env: { k: 'v' }, line: 11 },
    { kind: 'launch', apps: ['n'], line: 12 },
    { kind: 'cmds', commands: ['c'], line: 13 },
    { kind: 'kubeversion', constraint: '1.22', line: 14 },
    { kind: 'maintainer', maintainer: 'me', line: 15 },
  ];
  const NOT_COVERED = new Set(['line', 'matches', 'preview', 'emulation', 'env@run', 'digest']);
  const digestsOf = (list: Record<string, unknown>[]) => digestOps(list as never).map((op) => op.digest);
  const base = digestsOf(drafts());

  drafts().forEach((draft, index) => {
    for (const field of Object.keys(draft)) {
      if (field === 'kind') continue;
      const covered = !NOT_COVERED.has(field) && !NOT_COVERED.has(`${field}@${String(draft.kind)}`);
      it(`${String(draft.kind)}.${field} ${covered ? 'changes' : 'does not change'} the digest`, () => {
        const changed = drafts();
        changed[index][field] = field === 'destIsDirectory' ? !draft[field] : typeof draft[field] === 'number' ? 99 : { changed: field };
        const after = digestsOf(changed);
        if (covered) assert.notEqual(after[index], base[index]);
        else assert.equal(after[index], base[index]);
        assert.deepEqual(after.slice(0, index), base.slice(0, index), 'ops before it keep their digests');
      });
    }
  });

  it('RUN digests depend on the platform variables', () => {
    const run = () => [{ kind: 'run', command: 'x', env: {}, preview: 'x', line: 1 }] as never;
    assert.notEqual(digestOps(run(), 'linux/amd64')[0].digest, digestOps(run(), 'linux/arm64')[0].digest);
    const label = () => [{ kind: 'label', labels: {}, line: 1 }] as never;
    assert.equal(digestOps(label(), 'linux/amd64')[0].digest, digestOps(label(), 'linux/arm64')[0].digest);
  });
});

describe('compile: a build context on disk (nodeContext)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubefile-context-'));
    await mkdir(join(dir, 'amd64'));
    await mkdir(join(dir, 'arm64'));
    await writeFile(join(dir, 'amd64', 'helm'), elf(EM_X86_64));
    await writeFile(join(dir, 'arm64', 'helm'), elf(EM_AARCH64));
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await symlink('amd64/helm', join(dir, 'helm-link'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('resolves per-platform sources and refuses links out of the context', async () => {
    const text = 'FROM scratch\nCOPY ${ARCH}/helm bin\nCOPY helm-link bin\nCOPY passwd etc\nRUN helm version';
    const result = await compile(text, { platforms: [...AMD64_ARM64, 'linux/ppc64le'], context: nodeContext(dir) });
    assert.deepEqual(codes(result), [
      'KF3004 2:6 "ppc64le/helm" matches nothing in the build context (for linux/ppc64le)',
      'KF3017 2:19 sealer v0.11 copies one file to "bin", not a directory yet, as a file named bin (not bin/helm); kubefilec copies it into the directory: write "bin/" for both to agree (for linux/amd64, linux/arm64/v8)',
      'KF3017 3:16 sealer v0.11 copies one file to "bin", not a directory yet, as a file named bin (not bin/helm-link); kubefilec copies it into the directory: write "bin/" for both to agree (for linux/amd64, linux/arm64/v8)',
      'KF3005 4:6 "passwd" is a symlink to a file outside the build context',
      'KF2017 5:1 sealer v0.11 runs RUN with buildah inside the image (its root as /, so the image needs /bin/sh and the programs); kubefilec runs it on the build host in the image root, with its bin/ first on PATH (--isolation chroot is closer to sealer)',
      'KF3013 5:1 RUN runs arm64 programs (helm) on this amd64 build host: they run under qemu (for linux/arm64/v8)',
    ]);
  });
});
