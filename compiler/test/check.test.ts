/**
 * The structural checks (KF2xxx), through `lint`: at least one test per code, their fixes, the
 * enable/disable filter, and the design-document examples linting clean.
 */
import assert from 'node:assert/strict';
import { CATALOGUE, DIAGNOSTIC_CODES, isInstruction, type DiagnosticCode } from '@kubefile/grammar';
import { lint } from '@kubefile/compiler';
import { expectDiagnostics, expectNoDiagnostics, fixed, only } from './helpers.js';

const k = (...lines: string[]) => lines.join('\n') + '\n';

describe('lint: design-document examples are clean (but for what sealer v0.11 builds otherwise)', () => {
  it('the Kubefile with CMD (kubernetes base, charts and manifests)', () => {
    expectDiagnostics(
      k(
        'FROM kubernetes:v1.19.8',
        'COPY dashborad.yaml manifests',
        'COPY ${ARCH}/helm bin',
        'COPY my-mysql charts',
        'CMD helm install my-mysql bitnami/mysql --version 8.8.26',
        'CMD kubectl apply -f manifests/dashborad.yaml',
      ),
      [{ code: 'KF2016', line: 5 }],
    );
  });

  it('the dashboard Kubefile', () => {
    expectDiagnostics(
      k(
        'FROM kubernetes:v1.19.8',
        'ARG Version=4.0.0',
        'RUN echo ${Version}',
        'COPY mysql.tar images',
        'COPY imageList manifests',
        'COPY traefik charts',
        'COPY shell.yaml plugins',
        'COPY recommended.yaml manifests',
        'CMD kubectl apply -f manifests/recommended.yaml',
        'CMD helm install mytest charts/traefik',
      ),
      [
        { code: 'KF2017', line: 3 },
        { code: 'KF2016', line: 9 },
      ],
    );
  });

  it('the APP/LAUNCH Kubefile', () => {
    expectNoDiagnostics(k('FROM scratch', 'APP app1 local://app1', 'APPENV app1 key1=value1', 'APPCMDS app1 ["bash", "install.sh"]', 'LAUNCH ["app1"]'));
  });

  it('the sealer docs examples with two apps, CNI/CSI and CMDS', () => {
    expectNoDiagnostics(k('FROM scratch', 'APP app1 local://app1', 'APP app2 local://app2', 'APPENV app1 key1=value1 key2=value2', 'LAUNCH ["app1","app2"]'));
    expectNoDiagnostics(k('FROM scratch', 'CNI flannel https://example.com/kube-flannel.yml', 'CSI ceph local://ceph.yaml', 'LAUNCH ["flannel", "ceph"]'));
    expectNoDiagnostics(k('FROM kubernetes:v1.22.15', 'COPY nginx.yaml manifests', 'CMDS ["kubectl apply -f manifests/nginx.yaml"]'));
  });

  it('a clean file stays clean with every opt-in code enabled', () => {
    expectNoDiagnostics(k('ARG BASE=scratch', 'FROM ${BASE}', 'APP a local://a', 'LAUNCH ["a"]'), { enable: ['KF2012'] });
  });
});

describe('KF2001 empty Kubefile', () => {
  it('an empty text', () => {
    const d = only(expectDiagnostics('', [{ code: 'KF2001', line: 1, column: 1 }]), 'KF2001');
    assert.equal(d.severity, 'error');
  });

  it('a file of comments and blank lines', () => {
    expectDiagnostics(k('# only a comment', '', '   ', '# another'), [{ code: 'KF2001', line: 1, column: 1 }]);
  });

  it('a file with only parser directives', () => {
    expectDiagnostics(k('# escape=`'), [{ code: 'KF2001', line: 1, column: 1 }]);
  });

  it('is not reported once there is an instruction', () => {
    expectDiagnostics(k('# comment', 'ARG A'), [{ code: 'KF2002', line: 2, column: 1 }]);
  });
});

describe('KF2002 no FROM', () => {
  it('is reported on the first instruction', () => {
    expectDiagnostics(k('# header', 'COPY a.yaml manifests', 'CMD kubectl apply -f manifests/a.yaml'), [{ code: 'KF2002', line: 2, column: 1 }]);
  });

  it('a file of ARGs has no FROM either', () => {
    expectDiagnostics(k('ARG A=1', 'ARG B'), [{ code: 'KF2002', line: 1, column: 1 }]);
  });

  it('FROM in lower case counts as FROM', () => {
    expectNoDiagnostics(k('from scratch', 'app a local://a'));
  });
});

describe('KF2003 instruction before FROM', () => {
  it('COPY before FROM', () => {
    expectDiagnostics(k('COPY a b', 'FROM scratch'), [{ code: 'KF2003', line: 1, column: 1, message: 'COPY comes before FROM' }]);
  });

  it('every non-ARG instruction before FROM is reported, ARGs are not', () => {
    expectDiagnostics(k('ARG V=1', 'LABEL a=b', 'ARG W', 'ENV x=y', 'FROM scratch', 'COPY a b'), [
      { code: 'KF2003', line: 2, column: 1 },
      { code: 'KF2003', line: 4, column: 1 },
    ]);
  });

  it('ARG before FROM, used in FROM, is fine (in any case)', () => {
    expectNoDiagnostics(k('ARG BASE=kubernetes:v1.19.8', 'arg REGISTRY', 'FROM ${BASE}'));
  });

  it('an unknown instruction before FROM is reported as such and as misplaced', () => {
    expectDiagnostics(k('WORKDIR /x', 'FROM scratch'), [
      { code: 'KF1001', line: 1, column: 1 },
      { code: 'KF2003', line: 1, column: 1 },
    ]);
  });
});

const on2004 = { enable: ['KF2004' as const] };

describe('KF2004 more than one FROM (opt-in: sealer builds one FROM)', () => {
  it('is off by default: multi-stage files are valid', () => {
    expectNoDiagnostics(k('FROM a AS b', 'COPY x y', 'FROM b'));
  });

  it('when enabled, is a warning on each extra FROM', () => {
    const result = expectDiagnostics(k('FROM a', 'COPY x y', 'FROM b', 'FROM c'), [
      { code: 'KF2004', line: 3, column: 1, message: 'sealer v0.11 builds one FROM (first FROM on line 1)' },
      { code: 'KF2004', line: 4, column: 1 },
    ], on2004);
    assert.ok(result.diagnostics.every((d) => d.severity === 'warning'));
  });

  it('the fix removes the whole line', () => {
    assert.equal(fixed(k('FROM a', 'FROM b', 'COPY x y'), 'KF2004', on2004), k('FROM a', 'COPY x y'));
    assert.equal(fixed(k('FROM a', 'COPY x y', 'FROM b'), 'KF2004', on2004), k('FROM a', 'COPY x y'));
  });

  it('the fix removes every line of a continued FROM', () => {
    assert.equal(fixed(k('FROM a', 'FROM \\', '  b', 'COPY x y'), 'KF2004', on2004), k('FROM a', 'COPY x y'));
  });

  it('the fix keeps CRLF line endings intact', () => {
    assert.equal(fixed('FROM a\r\nFROM b\r\nCOPY x y\r\n', 'KF2004', on2004), 'FROM a\r\nCOPY x y\r\n');
  });

  it('the fix at the end of a file without a final newline', () => {
    assert.equal(fixed('FROM a\nFROM b', 'KF2004', on2004), 'FROM a\n');
  });

  it('the fix keeps the comments that follow the removed FROM (blank lines in between go with it)', () => {
    assert.equal(fixed(k('FROM a', 'FROM b', '# keep me', 'COPY x y'), 'KF2004', on2004), k('FROM a', '# keep me', 'COPY x y'));
    assert.equal(fixed(k('FROM a', 'FROM b', '', '# trailing comment'), 'KF2004', on2004), k('FROM a', '# trailing comment'));
    assert.equal(fixed(k('FROM a', 'FROM \\', '# inside the continuation', '  b', 'COPY x y'), 'KF2004', on2004), k('FROM a', 'COPY x y'));
  });

  it('after the fix the file lints clean', () => {
    expectNoDiagnostics(fixed(k('FROM a', '# base', 'FROM b', 'COPY x y'), 'KF2004', on2004));
  });
});

describe('KF2005 MAINTAINER', () => {
  it('is a warning on the keyword', () => {
    const result = expectDiagnostics(k('FROM scratch', 'MAINTAINER Jane Doe <jane@example.com>'), [{ code: 'KF2005', line: 2, column: 1 }]);
    assert.equal(only(result, 'KF2005').severity, 'warning');
    assert.equal(only(result, 'KF2005').range.end.column, 'MAINTAINER'.length);
  });

  it('the fix rewrites it to LABEL maintainer="..."', () => {
    const text = k('FROM scratch', 'MAINTAINER Jane Doe <jane@example.com>', 'COPY a b');
    const out = fixed(text, 'KF2005');
    assert.equal(out, k('FROM scratch', 'LABEL maintainer="Jane Doe <jane@example.com>"', 'COPY a b'));
    expectNoDiagnostics(out);
  });

  /** The fixed LABEL's value, as BuildKit reads it (quotes and escapes removed, nothing expanded). */
  function labelValue(text: string): string {
    const result = lint(text);
    const label = result.ast.instructions.find((i) => i.keyword === 'LABEL');
    assert.ok(label && isInstruction(label, 'LABEL'));
    const parts = label.pairs[0].value?.parts ?? [];
    assert.deepEqual(
      parts.filter((p) => p.kind !== 'literal'),
      [],
      `the LABEL value expands variables: ${text}`,
    );
    return parts.map((p) => (p.kind === 'literal' ? p.value : '')).join('');
  }

  it('the fix keeps quotes in the name', () => {
    const out = fixed(k('FROM scratch', 'MAINTAINER Jane "JJ" Doe'), 'KF2005');
    expectNoDiagnostics(out);
    assert.equal(labelValue(out), 'Jane "JJ" Doe');
  });

  it('the fix does not turn a $ in the name into a variable (MAINTAINER is not expanded, LABEL is)', () => {
    const out = fixed(k('FROM scratch', 'MAINTAINER Jane $HOME'), 'KF2005');
    expectNoDiagnostics(out);
    assert.equal(labelValue(out), 'Jane $HOME');
  });

  it('the fix quotes with the escape character of the file', () => {
    const out = fixed(k('# escape=`', 'FROM scratch', 'MAINTAINER Jane "JJ" C:\\Users'), 'KF2005');
    expectNoDiagnostics(out);
    assert.equal(labelValue(out), 'Jane "JJ" C:\\Users');
  });
});

describe('KF2006 LAUNCH or CMDS not last', () => {
  it('LAUNCH followed by an instruction', () => {
    expectDiagnostics(k('FROM scratch', 'APP a local://a', 'LAUNCH ["a"]', 'COPY x y'), [{ code: 'KF2006', line: 3, column: 1, message: 'LAUNCH must be the last' }]);
  });

  it('CMDS followed by an instruction', () => {
    expectDiagnostics(k('FROM a', 'CMDS ["kubectl get pods"]', 'COPY x y'), [{ code: 'KF2006', line: 2, column: 1, message: 'CMDS must be the last' }]);
  });

  it('comments and blank lines after LAUNCH are fine', () => {
    expectNoDiagnostics(k('FROM scratch', 'APP a local://a', 'LAUNCH ["a"]', '', '# the end'));
  });
});

describe('KF2007 LAUNCH or CMDS given twice', () => {
  it('LAUNCH twice', () => {
    expectDiagnostics(k('FROM scratch', 'APP a local://a', 'LAUNCH ["a"]', 'LAUNCH ["a"]'), [
      { code: 'KF2006', line: 3, column: 1 },
      { code: 'KF2007', line: 4, column: 1, message: 'LAUNCH is given twice (first on line 3)' },
    ]);
  });

  it('CMDS twice', () => {
    expectDiagnostics(k('FROM a', 'CMDS ["x"]', 'CMDS ["y"]'), [
      { code: 'KF2006', line: 2, column: 1 },
      { code: 'KF2007', line: 3, column: 1, message: 'CMDS is given twice' },
    ]);
  });

  it('both LAUNCH and CMDS', () => {
    expectDiagnostics(k('FROM scratch', 'APP a local://a', 'CMDS ["x"]', 'LAUNCH ["a"]'), [
      { code: 'KF2006', line: 3, column: 1 },
      { code: 'KF2007', line: 4, column: 1, message: 'LAUNCH and CMDS cannot both be given' },
    ]);
  });
});

describe('KF2008 undeclared application (FROM scratch)', () => {
  it('LAUNCH names an app no APP declares', () => {
    const result = expectDiagnostics(k('FROM scratch', 'APP a local://a', 'LAUNCH ["a", "b"]'), [{ code: 'KF2008', line: 3, column: 14, message: '"b"' }]);
    assert.match(only(result, 'KF2008').message, /declared: a/);
    assert.equal(only(result, 'KF2008').severity, 'error');
  });

  it('LAUNCH in shell form', () => {
    expectDiagnostics(k('FROM scratch', 'APP a local://a', 'LAUNCH a c'), [{ code: 'KF2008', line: 3, column: 10 }]);
  });

  it('APPCMDS and APPENV name an undeclared app', () => {
    expectDiagnostics(k('FROM scratch', 'APPCMDS x ["sh", "install.sh"]', 'APPENV y k=v'), [
      { code: 'KF2008', line: 2, column: 9, message: 'APPCMDS' },
      { code: 'KF2008', line: 3, column: 8, message: 'APPENV' },
    ]);
  });

  it('CNI and CSI declare applications too', () => {
    expectNoDiagnostics(k('FROM scratch', 'CNI calico local://calico.sh', 'CSI ceph local://ceph.yaml', 'APPENV calico k=v', 'LAUNCH ["calico", "ceph"]'));
  });
});

describe('KF2009 application not declared here (non-scratch base)', () => {
  it('is a warning naming the base image', () => {
    const result = expectDiagnostics(k('FROM kubernetes:v1.19.8', 'APPENV dashboard k=v', 'LAUNCH ["dashboard"]'), [
      { code: 'KF2009', line: 2, column: 8 },
      { code: 'KF2009', line: 3, column: 9, message: 'kubernetes:v1.19.8' },
    ]);
    assert.ok(result.diagnostics.every((d) => d.severity === 'warning'));
  });

  it('is not reported for apps declared in the file', () => {
    expectNoDiagnostics(k('FROM kubernetes:v1.19.8', 'APP dashboard local://dashboard.yaml', 'LAUNCH ["dashboard"]'));
  });
});

describe('KF2010 application used before its APP', () => {
  it('APPENV before APP', () => {
    expectDiagnostics(k('FROM scratch', 'APPENV a k=v', 'APP a local://a'), [{ code: 'KF2010', line: 2, column: 8, message: 'before its APP on line 3' }]);
  });

  it('APPCMDS before CNI', () => {
    expectDiagnostics(k('FROM scratch', 'APPCMDS calico ["bash", "calico.sh"]', 'CNI calico local://calico.sh', 'LAUNCH ["calico"]'), [
      { code: 'KF2010', line: 2, column: 9, message: 'before its CNI' },
    ]);
  });

  it('is reported with a non-scratch base too', () => {
    expectDiagnostics(k('FROM kubernetes:v1.19.8', 'APPENV a k=v', 'APP a local://a'), [{ code: 'KF2010', line: 2, column: 8 }]);
  });
});

describe('KF2011 CMD with LAUNCH', () => {
  it('is reported on LAUNCH', () => {
    expectDiagnostics(k('FROM scratch', 'APP a local://a', 'CMD kubectl get pods', 'LAUNCH ["a"]'), [{ code: 'KF2011', line: 4, column: 1, message: 'CMD (line 3)' }]);
  });

  it('CMD with CMDS is allowed (sealer appends both)', () => {
    expectNoDiagnostics(k('FROM scratch', 'CMD kubectl get pods', 'CMDS ["helm list"]'));
  });
});

describe('KF2012 keyword case (opt-in)', () => {
  const text = k('from scratch', 'Copy a b', 'ENV A=b');

  it('is off by default', () => {
    assert.equal(CATALOGUE.KF2012.offByDefault, true);
    expectNoDiagnostics(text);
  });

  it('is reported with enable, as a hint, on each lower-case keyword', () => {
    const result = expectDiagnostics(
      text,
      [
        { code: 'KF2012', line: 1, column: 1, message: 'FROM' },
        { code: 'KF2012', line: 2, column: 1, message: 'COPY' },
      ],
      { enable: ['KF2012'] },
    );
    assert.ok(result.diagnostics.every((d) => d.severity === 'hint'));
  });

  it('the fix upper-cases the keyword', () => {
    const once = fixed(k('FROM scratch', 'cmd echo'), 'KF2012', { enable: ['KF2012'] });
    assert.equal(once, k('FROM scratch', 'CMD echo'));
    expectNoDiagnostics(once, { enable: ['KF2012'] });
  });

  it('is not reported for unknown instructions', () => {
    expectDiagnostics(k('FROM a', 'workdir /x'), [{ code: 'KF1001', line: 2, column: 1 }], { enable: ['KF2012'] });
  });
});

describe('KF2013 application declared twice', () => {
  it('APP twice', () => {
    const result = expectDiagnostics(k('FROM scratch', 'APP a local://a', 'APP a local://b'), [{ code: 'KF2013', line: 3, column: 5, message: 'first on line 2' }]);
    assert.equal(only(result, 'KF2013').severity, 'warning');
  });

  it('APP and CNI with the same name', () => {
    expectDiagnostics(k('FROM scratch', 'APP net local://a', 'CNI net local://calico.sh', 'CSI net local://c.yaml'), [
      { code: 'KF2013', line: 3, column: 5 },
      { code: 'KF2013', line: 4, column: 5 },
    ]);
  });

  it('different names are fine', () => {
    expectNoDiagnostics(k('FROM scratch', 'APP a local://a', 'APP b local://b'));
  });
});

describe('KF2014 duplicate ARG default', () => {
  it('a second default for the same ARG', () => {
    const result = expectDiagnostics(k('FROM scratch', 'ARG V=1', 'ARG V=2'), [{ code: 'KF2014', line: 3, column: 5, message: '"2" replaces "1"' }]);
    assert.equal(only(result, 'KF2014').severity, 'warning');
  });

  it('in one ARG instruction, and across FROM', () => {
    expectDiagnostics(k('ARG A=1 A=2'), [
      { code: 'KF2002', line: 1, column: 1 },
      { code: 'KF2014', line: 1, column: 9 },
    ]);
    expectDiagnostics(k('ARG A=1', 'FROM scratch', 'ARG A=2'), [{ code: 'KF2014', line: 3, column: 5 }]);
  });

  it('the same default again, or a bare redeclaration, is fine', () => {
    expectNoDiagnostics(k('FROM scratch', 'ARG V=1', 'ARG V=1', 'ARG V', 'ARG W', 'ARG W=2'));
  });

  it('the same default written with and without quotes is the same default', () => {
    expectNoDiagnostics(k('FROM scratch', 'ARG V="1.0"', 'ARG V=1.0', "ARG V='1.0'"));
  });

  it('after a bare redeclaration the earlier default still counts', () => {
    expectDiagnostics(k('FROM scratch', 'ARG V=1', 'ARG V', 'ARG V=2'), [{ code: 'KF2014', line: 4, column: 5 }]);
  });
});

describe('KF2019 constant FROM --platform', () => {
  it('is a warning on the flag', () => {
    const result = expectDiagnostics(k('FROM --platform=linux/arm64 scratch'), [{ code: 'KF2019', line: 1, column: 6 }]);
    assert.equal(only(result, 'KF2019').range.end.column, 'FROM --platform=linux/arm64'.length);
  });
  it('not for a variable', () => expectNoDiagnostics(k('FROM --platform=$BUILDPLATFORM scratch')));
  it('the fix removes the flag and its blank', () => assert.equal(fixed(k('FROM --platform=linux/arm64 scratch'), 'KF2019'), k('FROM scratch')));
});

describe('KF2020 FROM --platform=$TARGETPLATFORM', () => {
  it('is a warning on the flag, tagged unnecessary', () => {
    const d = only(expectDiagnostics(k('FROM --platform=$TARGETPLATFORM scratch'), [{ code: 'KF2020', line: 1, column: 6 }]), 'KF2020');
    assert.equal(d.range.end.column, 'FROM --platform=$TARGETPLATFORM'.length);
    assert.deepEqual(d.tags, ['unnecessary']);
  });
  it('the braced form too', () => expectDiagnostics(k('FROM --platform=${TARGETPLATFORM} scratch'), [{ code: 'KF2020', line: 1, column: 6 }]));
  it('the fix removes the flag and its trailing blanks', () => assert.equal(fixed(k('FROM --platform=${TARGETPLATFORM}   kubernetes:v1.19.8'), 'KF2020'), k('FROM kubernetes:v1.19.8')));
});

describe('KF2021 legacy key-value format', () => {
  it('is a warning on the pair, for ENV and LABEL', () => {
    expectDiagnostics(k('FROM scratch', 'ENV VERSION 1.0'), [{ code: 'KF2021', line: 2, column: 5 }]);
    expectDiagnostics(k('FROM scratch', 'LABEL version 1.0'), [{ code: 'KF2021', line: 2, column: 7 }]);
  });
  it('not for key=value', () => expectNoDiagnostics(k('FROM scratch', 'ENV VERSION=1.0 B=2')));
  it('the fix writes k=v', () => assert.equal(fixed(k('FROM scratch', 'ENV VERSION 1.0'), 'KF2021'), k('FROM scratch', 'ENV VERSION=1.0')));
  it('the fix quotes a value with blanks', () => assert.equal(fixed(k('FROM scratch', 'ENV MSG hello  world'), 'KF2021'), k('FROM scratch', 'ENV MSG="hello  world"')));

  /** The value of the one ENV pair as BuildKit reads it: quotes and escapes removed. */
  function envValue(text: string): string {
    const env = lint(text).ast.instructions.find((i) => i.keyword === 'ENV');
    assert.ok(env && isInstruction(env, 'ENV') && env.pairs.length === 1, `one ENV pair in ${text}`);
    const value = env.pairs[0].value!;
    return (value.parts ?? [{ kind: 'literal' as const, value: value.text }]).map((p) => (p.kind === 'literal' ? p.value : `<${p.name}>`)).join('');
  }

  for (const value of [`"a b" 'c$d' e\\\\f`, `a\\ b "c\\"d" 'e"f'`, `x 'a\\b' "\\$y" $HOME`, `'a  b' c`]) {
    it(`the fix means the same: ENV V ${value}`, () => {
      const text = k('FROM scratch', `ENV V ${value}`);
      const out = fixed(text, 'KF2021');
      expectNoDiagnostics(out);
      assert.equal(envValue(out), envValue(text));
    });
  }

  it('the fix uses the file\'s escape character', () => {
    const text = k('# escape=`', 'FROM scratch', 'ENV V a "b`"c" $x');
    const out = fixed(text, 'KF2021');
    assert.equal(out, k('# escape=`', 'FROM scratch', 'ENV V="a b`"c $x"'));
    assert.equal(envValue(out), envValue(text));
  });
});

describe('KF2022 ADD where COPY would do', () => {
  it('is info on the keyword', () => expectDiagnostics(k('FROM scratch', 'ADD app.yaml charts/ manifests/'), [{ code: 'KF2022', line: 2, column: 1 }]));
  it('not for URLs, git or archives', () => {
    expectNoDiagnostics(k('FROM scratch', 'ADD https://example.com/app.yaml manifests/'));
    expectNoDiagnostics(k('FROM scratch', 'ADD git@github.com:a/b.git src/'));
    for (const name of ['a.tar', 'a.tar.gz', 'a.tgz', 'a.tar.bz2', 'a.tbz2', 'a.tar.xz', 'a.txz', 'a.tar.zst']) expectNoDiagnostics(k('FROM scratch', `ADD app.yaml ${name} images/`));
  });
  it('not for a source with a variable or a glob that may match an archive', () => {
    expectNoDiagnostics(k('FROM scratch', 'ADD ${SRC} manifests/'));
    expectNoDiagnostics(k('FROM scratch', 'ADD files/* manifests/'));
  });
  it('a glob with a plain extension is reported', () => expectDiagnostics(k('FROM scratch', 'ADD files/*.yaml manifests/'), [{ code: 'KF2022', line: 2, column: 1 }]));
  it('the fix changes the keyword and drops flags COPY does not take', () =>
    assert.equal(fixed(k('FROM scratch', 'ADD --chmod=644 --keep-git-dir=true app.yaml manifests/'), 'KF2022'), k('FROM scratch', 'COPY --chmod=644 app.yaml manifests/')));
});

describe('KF2023 consecutive RUN instructions', () => {
  it('is info on the second keyword', () => expectDiagnostics(k('FROM scratch', 'RUN mkdir -p etc/a', 'RUN touch etc/a/b'), [{ code: 'KF2017', line: 2 }, { code: 'KF2023', line: 3, column: 1 }]));
  it('not across a comment, for heredocs, exec form or other flags', () => {
    expectDiagnostics(k('FROM scratch', 'RUN a', '# then', 'RUN b'), [{ code: 'KF2017', line: 2 }]);
    expectDiagnostics(k('FROM scratch', 'RUN a', 'RUN <<EOF', 'b', 'EOF'), [{ code: 'KF2017', line: 2 }]);
    expectDiagnostics(k('FROM scratch', 'RUN a', 'RUN ["b"]'), [{ code: 'KF2017', line: 2 }]);
    expectDiagnostics(k('FROM scratch', 'RUN a', 'RUN --network=none b'), [{ code: 'KF2017', line: 2 }]);
  });
  it('the fix joins them with && and a continuation', () =>
    assert.equal(fixed(k('FROM scratch', 'RUN mkdir -p etc/a', '', 'RUN touch etc/a/b'), 'KF2023'), k('FROM scratch', 'RUN mkdir -p etc/a && \\', '    touch etc/a/b')));
  it('the fix uses the file\'s escape character', () => assert.equal(fixed(k('# escape=`', 'FROM scratch', 'RUN a', 'RUN b'), 'KF2023'), k('# escape=`', 'FROM scratch', 'RUN a && `', '    b')));
  it('no fix when the first command ends in an operator or may hold a comment', () => {
    assert.equal(only(lint(k('FROM scratch', 'RUN a &', 'RUN b')), 'KF2023').fixes, undefined);
    assert.equal(only(lint(k('FROM scratch', 'RUN a # note', 'RUN b')), 'KF2023').fixes, undefined);
  });
});

describe('KF2024 directive name not in lower case', () => {
  it('is info on the name', () => {
    const d = only(expectDiagnostics(k('# Check=skip=KF2005', 'FROM scratch'), [{ code: 'KF2024', line: 1, column: 3 }]), 'KF2024');
    assert.equal(d.range.end.column, '# Check'.length);
  });
  it('the fix lower-cases it', () => assert.equal(fixed(k('#SYNTAX=docker/dockerfile:1', 'FROM scratch'), 'KF2024'), k('#syntax=docker/dockerfile:1', 'FROM scratch')));
});

describe('enable / disable', () => {
  it('disable removes a code', () => {
    expectNoDiagnostics('', { disable: ['KF2001'] });
    expectNoDiagnostics(k('FROM scratch', 'MAINTAINER jane'), { disable: ['KF2005'] });
    expectDiagnostics(k('COPY a b', 'FROM a', 'FROM b'), [{ code: 'KF2004', line: 3, column: 1 }], { enable: ['KF2004'], disable: ['KF2003'] });
    expectNoDiagnostics(k('COPY a b', 'FROM a', 'FROM b'), { enable: ['KF2004'], disable: ['KF2003', 'KF2004'] });
  });

  it('disable wins over enable', () => {
    expectNoDiagnostics(k('from scratch'), { enable: ['KF2012'], disable: ['KF2012'] });
  });

  it('disable applies to syntax codes too', () => {
    expectDiagnostics(k('FROM a', 'COPPY a b'), [{ code: 'KF1001', line: 2, column: 1 }]);
    expectNoDiagnostics(k('FROM a', 'COPPY a b'), { disable: ['KF1001'] });
  });
});

describe('KF2026-KF2029 stage names (BuildKit lint rules)', () => {
  const one = { disable: ['KF2004' as const] };
  it('KF2026: the later of two names equal without case, on its name', () => {
    expectDiagnostics(k('FROM scratch AS a', 'FROM scratch AS b', 'FROM scratch AS a'), [{ code: 'KF2026', line: 3, column: 17, message: '(first on line 1)' }], one);
  });

  it('KF2027: scratch and context are reserved, in any case', () => {
    expectDiagnostics(k('FROM busybox AS scratch'), [{ code: 'KF2027', line: 1, column: 17, message: 'the empty image' }]);
    expectDiagnostics(k('FROM busybox AS context'), [{ code: 'KF2027', line: 1, column: 17, message: 'the build context' }]);
  });

  it('KF2028: a name not in lower case, fixed by lower-casing it', () => {
    const result = expectDiagnostics(k('FROM scratch AS Builder'), [{ code: 'KF2028', line: 1, column: 17, message: 'read as "builder"' }]);
    assert.equal(only(result, 'KF2028').range.end.column, 23);
    assert.equal(fixed(k('FROM scratch AS Builder'), 'KF2028'), k('FROM scratch AS builder'));
  });

  it('KF2029: AS in the case of FROM, fixed; a mixed-case FROM is left to KF2012', () => {
    expectDiagnostics(k('FROM scratch as base'), [{ code: 'KF2029', line: 1, column: 14 }]);
    assert.equal(fixed(k('FROM scratch as base'), 'KF2029'), k('FROM scratch AS base'));
    assert.equal(fixed(k('from scratch AS base'), 'KF2029'), k('from scratch as base'));
    expectNoDiagnostics(k('From scratch as base'));
    expectNoDiagnostics(k('from scratch as base'));
  });
});

describe('KF2030 cluster-image instruction in an earlier stage', () => {
  it('is reported on the keyword in every stage but the last', () => {
    expectDiagnostics(k('FROM scratch AS apps', 'KUBEVERSION 1.22', 'APP x local://x.yaml', 'FROM scratch', 'KUBEVERSION 1.22'), [
      { code: 'KF2030', line: 2, column: 1, message: 'KUBEVERSION in apps, which is not the last stage' },
      { code: 'KF2030', line: 3, column: 1, message: 'APP in apps' },
    ], { disable: ['KF2004'] });
  });

  it('leaves single-stage files alone', () => {
    expectNoDiagnostics(k('FROM scratch AS apps', 'KUBEVERSION 1.22'));
  });
});

describe('whole-image checks look at the last stage only', () => {
  it('LAUNCH/CMDS is last of the last stage; an earlier stage has its own CMD (KF2011 not across stages)', () => {
    expectDiagnostics(k('FROM scratch AS tools', 'CMD echo', 'FROM scratch', 'APP a local://a.yaml', 'LAUNCH ["a"]'), []);
  });

  it('applications are those of the last stage; its FROM is the base', () => {
    expectDiagnostics(k('FROM scratch AS apps', 'APP a local://a.yaml', 'FROM kubernetes:v1.22.8', 'LAUNCH ["a"]'), [
      { code: 'KF2030', line: 2, column: 1 },
      { code: 'KF2009', line: 4, column: 9, message: 'it must come from the base image kubernetes:v1.22.8' },
    ]);
  });

  it('sealer differences are told for the last stage: a RUN in a builder stage is kubefilec-only anyway', () => {
    expectDiagnostics(k('FROM busybox:1.36 AS b', 'RUN make', 'FROM scratch', 'COPY --from=b /x y'), []);
  });
});

describe('every structural code', () => {
  const examples: Record<string, string> = {
    KF2001: '',
    KF2002: k('COPY a b'),
    KF2003: k('COPY a b', 'FROM scratch'),
    KF2004: k('FROM a', 'FROM b'),
    KF2005: k('FROM a', 'MAINTAINER j'),
    KF2006: k('FROM a', 'CMDS ["x"]', 'COPY a b'),
    KF2007: k('FROM a', 'CMDS ["x"]', 'CMDS ["y"]'),
    KF2008: k('FROM scratch', 'LAUNCH ["a"]'),
    KF2009: k('FROM a', 'LAUNCH ["a"]'),
    KF2010: k('FROM a', 'APPENV x k=v', 'APP x local://x'),
    KF2011: k('FROM a', 'APP x local://x', 'CMD echo', 'LAUNCH ["x"]'),
    KF2012: k('from a'),
    KF2013: k('FROM a', 'APP x local://x', 'APP x local://y'),
    KF2014: k('ARG A=1', 'ARG A=2', 'FROM a'),
    KF2015: k('FROM scratch', 'CMD ["kubectl", "get", "pods"]'),
    KF2016: k('FROM a', 'CMD kubectl get pods'),
    KF2017: k('FROM scratch', 'RUN echo'),
    KF2018: k('FROM scratch', 'ARG TOKEN'),
    KF2019: k('FROM --platform=linux/amd64 scratch'),
    KF2020: k('FROM --platform=$TARGETPLATFORM scratch'),
    KF2021: k('FROM scratch', 'ENV A 1'),
    KF2022: k('FROM scratch', 'ADD a.yaml manifests/'),
    KF2023: k('FROM scratch', 'RUN a', 'RUN b'),
    KF2024: k('# Escape=\\', 'FROM scratch'),
    KF2025: k('# check=skip=KF9999', 'FROM scratch'),
    KF2026: k('FROM scratch AS a', 'FROM scratch AS a'),
    KF2027: k('FROM scratch AS context'),
    KF2028: k('FROM scratch AS Builder'),
    KF2029: k('FROM scratch as base'),
    KF2030: k('FROM scratch AS apps', 'KUBEVERSION 1.22', 'FROM scratch'),
  };

  it('has an example here for each KF2xxx code of the catalogue', () => {
    assert.deepEqual(
      DIAGNOSTIC_CODES.filter((c) => c.startsWith('KF2')),
      Object.keys(examples),
    );
  });

  for (const [code, text] of Object.entries(examples)) {
    it(`${code} is reported with its catalogue severity, and only when not disabled`, () => {
      const c = code as DiagnosticCode;
      const result = lint(text, { enable: [c] });
      const d = only(result, c);
      assert.equal(d.severity, CATALOGUE[c].severity);
      assert.ok(d.range.start.offset <= d.range.end.offset && d.range.end.offset <= text.length);
      assert.equal(
        lint(text, { enable: [c], disable: [c] }).diagnostics.some((x) => x.code === c),
        false,
      );
    });
  }
});
