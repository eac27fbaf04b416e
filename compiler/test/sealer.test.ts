/**
 * What real sealer v0.11.0 makes of the same Kubefile (build/kubefile/parser): applications'
 * files copied to application/apps/<name>/, the type and launch files it records, the labels it
 * writes, the errors it stops at, and the warnings where kubefilec means something else.
 */
import assert from 'node:assert/strict';
import { compile, memoryContext, type Application, type CompileOptions, type Op, type PlatformPlan } from '@kubefile/compiler';
import { applyFix, expectCompileDiagnostics, expectDiagnostics, only } from './helpers.js';

const context = memoryContext({
  'app1/a.yaml': 'kind: ConfigMap\n',
  'app1/sub/b.yml': 'kind: Secret\n',
  'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
  'chart/values.yaml': 'replicas: 1\n',
  'chart/templates/deploy.yaml': 'kind: Deployment\n',
  'parts/Chart.yaml': 'apiVersion: v2\nname: parts\nversion: 0.1.0\n',
  'parts/values.yaml': '',
  'parts/templates': '',
  'scripts/a.sh': 'echo a\n',
  'scripts/b.sh': 'echo b\n',
  'more/c.sh': 'echo c\n',
  'mixed/a.sh': 'echo a\n',
  'mixed/b.yaml': 'kind: ConfigMap\n',
  'nginx.yaml': 'kind: Deployment\n',
  'README.md': '# docs\n',
  'mysql-operator/README.md': '# mysql-operator\n',
  'mysql-operator/mysql-operator.yaml': 'apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: mysql/mysql-operator:8.0.31\n',
  'mysql-operator/Kubefile': 'FROM kubernetes:v1.19.8\n',
});
const options: CompileOptions = { context };

async function plan(text: string, extra: CompileOptions = {}): Promise<PlatformPlan> {
  return (await compile(text, { ...options, ...extra })).plans[0];
}

/** The ops without their digests: kind, line and the fields that matter here. */
function brief(op: Op): Record<string, unknown> {
  const { digest: _digest, ...rest } = op;
  return rest;
}

async function application(text: string): Promise<Pick<Application, 'sealerType' | 'files'>> {
  const app = (await plan(text)).config.apps.at(-1);
  assert.ok(app, 'an application');
  return { sealerType: app.sealerType, files: app.files };
}

describe('sealer v0.11: applications go to application/apps/<name>/', () => {
  it('copies local sources there (a directory, at the APP line), before the app op', async () => {
    const { ops } = await plan('FROM scratch\nAPP web local://app1 local://nginx.yaml');
    assert.deepEqual(ops.slice(1).map(brief), [
      { kind: 'copy', sources: ['app1', 'nginx.yaml'], dest: 'application/apps/web', destIsDirectory: true, matches: [['app1'], ['nginx.yaml']], line: 2 },
      { kind: 'app', type: 'APP', name: 'web', sources: ['local://app1', 'local://nginx.yaml'], sealerType: 'kube', files: ['/a.yaml', '/sub/b.yml', 'nginx.yaml'], line: 2 },
    ]);
  });

  it('downloads URLs there with ADD, after the local sources (sealer copies them after downloading)', async () => {
    const { ops } = await plan('FROM scratch\nCNI calico https://example.com/v3/calico.yaml local://nginx.yaml');
    assert.deepEqual(
      ops.slice(1).map((op) => [op.kind, op.line, 'dest' in op ? op.dest : '', 'sources' in op ? op.sources : []]),
      [
        ['copy', 2, 'application/apps/calico', ['nginx.yaml']],
        ['add', 2, 'application/apps/calico', ['https://example.com/v3/calico.yaml']],
        ['app', 2, '', ['https://example.com/v3/calico.yaml', 'local://nginx.yaml']],
      ],
    );
  });

  it('CNI and CSI are copied like APP', async () => {
    const { ops } = await plan('FROM scratch\nCSI openebs local://app1');
    assert.deepEqual(ops.filter((op) => op.kind === 'copy').map((op) => op.kind === 'copy' && op.dest), ['application/apps/openebs']);
  });
});

describe('sealer v0.11: application type and files (getApplicationType, getApplicationFiles)', () => {
  it('a chart directory is helm, its file the app name', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP mysql local://chart'), { sealerType: 'helm', files: ['mysql'] });
  });

  it('Chart.yaml, values.yaml and templates among the sources are helm', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP p local://parts/Chart.yaml local://parts/values.yaml local://parts/templates'), { sealerType: 'helm', files: ['p'] });
  });

  it('only YAML files are kube; a directory written without "/" keeps sealer\'s leading "/"', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP web local://app1'), { sealerType: 'kube', files: ['/a.yaml', '/sub/b.yml'] });
  });

  it('a directory written with "/" gives paths without the leading "/"', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP web local://app1/'), { sealerType: 'kube', files: ['a.yaml', 'sub/b.yml'] });
  });

  it('a file source gives its base name', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP web local://nginx.yaml'), { sealerType: 'kube', files: ['nginx.yaml'] });
  });

  it('a remote file gives the base name of its URL path', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP web https://example.com/deploy/web.yml?raw=1'), { sealerType: 'kube', files: ['web.yml'] });
  });

  it('only scripts are shell, with the first source\'s files only', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP init local://scripts local://more/c.sh'), { sealerType: 'shell', files: ['/a.sh', '/b.sh'] });
  });

  it('scripts mixed with YAML have no type and no files', async () => {
    assert.deepEqual(await application('FROM scratch\nAPP m local://mixed\nAPPCMDS m ["bash", "a.sh"]'), { sealerType: '', files: [] });
  });

  it('the type is per platform, from what ${ARCH} sources match', async () => {
    const arch = memoryContext({ 'amd64/app.yaml': 'a: 1\n', 'arm64/app.sh': 'echo\n' });
    const { plans } = await compile('FROM scratch\nAPP a local://${ARCH}\nAPPCMDS a ["true"]', { context: arch, platforms: ['linux/amd64', 'linux/arm64'] });
    assert.deepEqual(plans.map((p) => p.config.apps[0].sealerType), ['kube', 'shell']);
  });

  it('without a build context the type is unknown and nothing is reported', async () => {
    const { plans, diagnostics } = await compile('FROM scratch\nAPP docs local://README.md');
    assert.deepEqual([plans[0].config.apps[0].sealerType, diagnostics], ['', []]);
  });
});

describe('sealer v0.11: labels', () => {
  it('KUBEVERSION labels the supported Kubernetes versions (and stays in the config)', async () => {
    const { config } = await plan('FROM scratch\nKUBEVERSION 1.22 - 1.24');
    assert.deepEqual([config.labels['app.alpha.sealer.io/supported-kube-version'], config.kubeVersion], ['1.22 - 1.24', '1.22 - 1.24']);
  });

  it('CNI labels the network plugin', async () => {
    assert.equal((await plan('FROM scratch\nCNI calico local://nginx.yaml')).config.labels['cluster.alpha.sealer.io/kube-cni-calico'], 'true');
  });

  it('CSI labels the storage plugin', async () => {
    assert.equal((await plan('FROM scratch\nCSI openebs local://nginx.yaml')).config.labels['cluster.alpha.sealer.io/kube-csi-openebs'], 'true');
  });

  it('runtime labels sealer cannot install are reported (KF3018), after ARG expansion', async () => {
    await expectCompileDiagnostics('FROM scratch\nARG CRI=cri-o\nLABEL cluster.alpha.sealer.io/container-runtime-type=${CRI} cluster.alpha.sealer.io/cluster-runtime-type=k3s', [
      { code: 'KF3018', line: 3, column: 54, message: 'cannot install container-runtime-type "cri-o": it installs "docker" or "containerd"' },
      { code: 'KF3018', line: 3, column: 106, message: 'cannot install cluster-runtime-type "k3s": it installs "kubernetes" or "k0s"' },
    ]);
    await expectCompileDiagnostics('FROM scratch\nLABEL cluster.alpha.sealer.io/container-runtime-type=containerd "cluster.alpha.sealer.io/cluster-runtime-type"=k0s', []);
  });

  it('APP adds no label', async () => {
    assert.deepEqual((await plan('FROM scratch\nAPP web local://nginx.yaml')).config.labels, {});
  });
});

describe('sealer v0.11: the base image\'s applications', () => {
  it('APPCMDS and APPENV naming an application of the base image change it (config.baseApps)', async () => {
    const { config } = await plan('FROM kubernetes:v1.19.8\nAPPENV web TIER=front\nAPPCMDS web ["kubectl apply -f web.yaml"]\nAPPENV web ZONE=a');
    assert.deepEqual(config.baseApps, [{ name: 'web', cmds: ['kubectl apply -f web.yaml'], env: { TIER: 'front', ZONE: 'a' } }]);
    assert.deepEqual(config.apps, []);
  });

  it('an APP of the same name replaces the base\'s application: its own APPENV goes with it', async () => {
    const { config } = await plan('FROM kubernetes:v1.19.8\nAPPENV web TIER=front\nAPP web local://nginx.yaml\nAPPENV web ZONE=a');
    assert.equal(config.baseApps, undefined);
    assert.deepEqual(config.apps.map((app) => [app.name, app.env]), [['web', { ZONE: 'a' }]]);
  });
});

describe('sealer v0.11: errors it stops at', () => {
  it('an application of no detectable type needs APPCMDS (KF3016)', async () => {
    await expectCompileDiagnostics('FROM scratch\nAPP docs local://README.md', [{ code: 'KF3016', line: 2, column: 5, message: 'README.md is not .yaml, .yml or .sh' }], options);
  });

  it('mixed scripts and YAML need APPCMDS too', async () => {
    await expectCompileDiagnostics('FROM scratch\nAPP m local://mixed', [{ code: 'KF3016', line: 2, message: 'mixes .sh and YAML' }], options);
  });

  it('APPCMDS anywhere after it launches it', async () => {
    await expectCompileDiagnostics('FROM scratch\nAPP docs local://README.md\nAPPCMDS docs ["cat", "README.md"]', [], options);
  });

  it('only the last declaration of a name counts', async () => {
    await expectCompileDiagnostics('FROM scratch\nAPP a local://README.md\nAPP a local://nginx.yaml', [{ code: 'KF2013', line: 3 }], options);
  });

  it('a missing source is reported once, not as an undetected type', async () => {
    await expectCompileDiagnostics('FROM scratch\nAPP a local://missing', [{ code: 'KF3004', line: 2 }], options);
  });

  it('CMD and LAUNCH are mutually exclusive (KF2011)', () => {
    expectDiagnostics('FROM scratch\nAPP a local://a.yaml\nCMD kubectl get pods\nLAUNCH ["a"]', [{ code: 'KF2011', line: 4 }]);
  });

  it('LAUNCH must be the last instruction (KF2006)', () => {
    expectDiagnostics('FROM scratch\nAPP a local://a.yaml\nLAUNCH ["a"]\nLABEL x=y', [{ code: 'KF2006', line: 3 }]);
  });

  it('CMDS only once (KF2007)', () => {
    expectDiagnostics('FROM scratch\nCMDS ["a"]\nCMDS ["b"]', [
      { code: 'KF2006', line: 2 },
      { code: 'KF2007', line: 3 },
    ]);
  });

  it('APPCMDS for an application that does not exist, from scratch (KF2008)', () => {
    expectDiagnostics('FROM scratch\nAPPCMDS b ["true"]', [{ code: 'KF2008', line: 2 }]);
  });

  it('APPENV for an application only the base image may have (KF2009, a warning)', () => {
    expectDiagnostics('FROM kubernetes:v1.19.8\nAPPENV b k=v', [{ code: 'KF2009', line: 2 }]);
  });

  it('APPCMDS before the APP (KF2010)', () => {
    expectDiagnostics('FROM scratch\nAPPCMDS a ["true"]\nAPP a local://a.yaml', [{ code: 'KF2010', line: 2 }]);
  });
});

describe('sealer v0.11: manifests/ (KF3011)', () => {
  const operator = memoryContext({
    'README.md': '# mysql-operator\n',
    'mysql-operator.yaml': 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: mysql/mysql-operator:8.0.31\n',
    Kubefile: 'FROM kubernetes:v1.19.8\nCOPY . manifests\nCMD kubectl apply -f manifests/mysql-operator.yaml\n',
  });

  it("sealer's applications/mysql-operator Kubefile has no error (README.md and the Kubefile are ignored)", async () => {
    const result = await compile('FROM kubernetes:v1.19.8\nCOPY . manifests\nCMD kubectl apply -f manifests/mysql-operator.yaml', { context: operator });
    assert.deepEqual(
      result.diagnostics.filter((d) => d.severity === 'error' || d.code === 'KF3011').map((d) => d.code),
      [],
    );
    assert.equal(result.hasErrors, false);
  });

  it('a README copied to manifests/ is not reported', async () => {
    await expectCompileDiagnostics('FROM scratch\nCOPY README.md manifests/', [], options);
  });

  it('a broken .yaml is a warning: sealer builds it', async () => {
    const result = await expectCompileDiagnostics('FROM scratch\nCOPY broken.yaml manifests/', [{ code: 'KF3011', line: 2, message: 'YAML syntax error' }], {
      context: memoryContext({ 'broken.yaml': 'a: [\n' }),
    });
    assert.deepEqual([result.diagnostics[0].severity, result.hasErrors], ['warning', false]);
  });
});

describe('sealer v0.11 differences: warnings where kubefilec keeps its own meaning', () => {
  it('CMD in exec form: sealer runs the JSON text (KF2015), the fix writes shell form', () => {
    const d = only(expectDiagnostics('FROM scratch\nCMD ["kubectl", "get", "pods"]', [{ code: 'KF2015', line: 2, column: 1, message: 'runs ["kubectl", "get", "pods"] as a command' }]), 'KF2015');
    assert.equal(applyFix('FROM scratch\nCMD ["kubectl", "get", "pods"]', d.fixes![0]), 'FROM scratch\nCMD kubectl get pods');
  });

  it('CMD in exec form whose strings are command lines (sealer v0.8\'s applications) launches each, and the fix writes one CMD per command', async () => {
    const text = 'FROM scratch\nCMD ["kubectl apply -f a.yaml", " kubectl apply -f b.yaml "]';
    assert.deepEqual((await plan(text)).config.cmds, ['kubectl apply -f a.yaml', 'kubectl apply -f b.yaml']);
    const d = only(expectDiagnostics(text, [{ code: 'KF2015', line: 2, column: 1, message: 'kubefilec runs "kubectl apply -f a.yaml", then "kubectl apply -f b.yaml"' }]), 'KF2015');
    assert.equal(applyFix(text, d.fixes![0]), 'FROM scratch\nCMD kubectl apply -f a.yaml\nCMD kubectl apply -f b.yaml');
  });

  it('CMD in exec form as argv is one command, a word with blanks kept whole', async () => {
    assert.deepEqual((await plan('FROM scratch\nCMD ["sh", "-c", "echo hi; echo \'there\'"]')).config.cmds, [`sh -c 'echo hi; echo '\\''there'\\'''`]);
    assert.deepEqual((await plan('FROM scratch\nCMD []')).config.cmds, []);
  });

  it('CMD in shell form is the same in both', () => {
    expectDiagnostics('FROM scratch\nCMD kubectl get pods', []);
  });

  it('CMD on a base image: sealer drops the base\'s CMDs (KF2016, once)', () => {
    expectDiagnostics('FROM kubernetes:v1.19.8\nCMD kubectl get nodes\nCMD kubectl get pods', [{ code: 'KF2016', line: 2, message: 'kubernetes:v1.19.8' }]);
  });

  it('CMDS on a base image replaces the base\'s launch in both', () => {
    expectDiagnostics('FROM kubernetes:v1.19.8\nCMDS ["kubectl get pods"]', []);
  });

  it('RUN: sealer runs it with buildah inside the image (KF2017, once)', () => {
    expectDiagnostics('FROM scratch\nRUN echo a\nRUN echo b', [
      { code: 'KF2017', line: 2, message: 'buildah' },
      { code: 'KF2023', line: 3 },
    ]);
  });

  it('one file to a rootfs directory without "/", from scratch: sealer makes a file (KF3017), the fix adds the "/"', async () => {
    const text = 'FROM scratch\nCOPY nginx.yaml manifests';
    const result = await expectCompileDiagnostics(text, [{ code: 'KF3017', line: 2, column: 17, message: 'as a file named manifests (not manifests/nginx.yaml)' }], options);
    assert.equal(applyFix(text, result.diagnostics[0].fixes![0]), 'FROM scratch\nCOPY nginx.yaml manifests/');
  });

  it('a directory source, several sources or a trailing "/" copy into the directory in both', async () => {
    await expectCompileDiagnostics('FROM scratch\nCOPY app1 manifests\nCOPY nginx.yaml README.md etc\nCOPY nginx.yaml bin/', [], options);
  });

  it('a directory an earlier instruction made exists for sealer too', async () => {
    await expectCompileDiagnostics('FROM scratch\nCOPY app1 manifests\nCOPY nginx.yaml manifests', [], options);
  });

  it('after a RUN the directory may exist: not reported', async () => {
    await expectCompileDiagnostics('FROM scratch\nRUN mkdir -p bin\nCOPY nginx.yaml bin', [{ code: 'KF2017', line: 2 }], options);
  });

  it('on another base it depends on the base image: not reported', async () => {
    await expectCompileDiagnostics('FROM kubernetes:v1.19.8\nCOPY nginx.yaml manifests', [], options);
  });

  it('ADD of one URL is a file for sealer too', async () => {
    await expectCompileDiagnostics('FROM scratch\nADD https://example.com/a.yaml manifests', [{ code: 'KF3017', line: 2, message: 'manifests/a.yaml' }], options);
  });
});
