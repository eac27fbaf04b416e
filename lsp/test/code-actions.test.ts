import { strict as assert } from 'node:assert';
import type { CodeAction, Range } from 'vscode-languageserver';
import { createDiagnostic } from '@kubefile/grammar';
import { codeActions } from '../src/code-actions.js';
import { toLspDiagnostic } from '../src/convert.js';
import { applyEdits } from '../src/format.js';
import { analyze, DEFAULT_SETTINGS, type Analysis } from '../src/analysis.js';

const URI = 'file:///w/Kubefile';
const WHOLE: Range = { start: { line: 0, character: 0 }, end: { line: 10_000, character: 0 } };

/** The actions for the whole document, as the client would ask with every diagnostic in context. */
async function actionsFor(text: string, enable: string[] = []): Promise<{ analysis: Analysis; actions: CodeAction[] }> {
  const analysis = await analyze(text, { ...DEFAULT_SETTINGS, enable });
  const diagnostics = analysis.result.diagnostics.map(toLspDiagnostic);
  return { analysis, actions: codeActions(analysis, WHOLE, diagnostics, URI) };
}

function applied(text: string, action: CodeAction | undefined): string {
  assert.ok(action, 'action exists');
  return applyEdits(text, action.edit?.changes?.[URI] ?? []);
}

function find(actions: CodeAction[], title: string): CodeAction | undefined {
  return actions.find((a) => a.title === title);
}

describe('code actions', () => {
  it('offers the catalogue fix for a near-miss keyword, linked and preferred', async () => {
    const text = 'FROM scratch\nCOPPY a b\n';
    const { actions } = await actionsFor(text);
    const fix = find(actions, 'Change to COPY');
    assert.equal(applied(text, fix), 'FROM scratch\nCOPY a b\n');
    assert.equal(fix?.kind, 'quickfix');
    assert.equal(fix?.isPreferred, true);
    assert.equal(fix?.diagnostics?.[0].code, 'KF1001');
  });

  it('removes a duplicate FROM (KF2004, the opt-in sealer v0.11 check)', async () => {
    const text = 'FROM scratch\nCOPY a b\nFROM other\nCOPY c d\n';
    const { actions } = await actionsFor(text, ['KF2004']);
    assert.equal(applied(text, find(actions, 'Remove this FROM')), 'FROM scratch\nCOPY a b\nCOPY c d\n');
  });

  it('upper-cases a keyword, with KF2012 enabled or as a rewrite', async () => {
    const text = 'FROM scratch\ncopy a b\n';
    const on = await actionsFor(text, ['KF2012']);
    const quickfix = on.actions.filter((a) => a.title === 'Change to COPY');
    assert.equal(quickfix.length, 1);
    assert.equal(quickfix[0].kind, 'quickfix');
    assert.equal(applied(text, quickfix[0]), 'FROM scratch\nCOPY a b\n');
    const off = await actionsFor(text);
    const rewrite = find(off.actions, 'Change to COPY');
    assert.equal(rewrite?.kind, 'refactor.rewrite');
    assert.equal(applied(text, rewrite), 'FROM scratch\nCOPY a b\n');
  });

  it('declares an undefined variable after FROM', async () => {
    const text = 'FROM scratch\nCOPY ${VERSION}/a b\n';
    const { actions } = await actionsFor(text);
    const fix = find(actions, 'Declare ARG VERSION after FROM');
    assert.equal(applied(text, fix), 'FROM scratch\nARG VERSION\nCOPY ${VERSION}/a b\n');
    assert.equal(fix?.diagnostics?.[0].code, 'KF3001');
  });

  it('gives an ARG without a value a default (KF3020), not another bare ARG', async () => {
    const text = 'FROM scratch\nARG BINDIR\nLABEL dir=etc/${BINDIR}\n';
    const { actions } = await actionsFor(text);
    const fix = find(actions, 'Give ARG BINDIR a default');
    assert.equal(applied(text, fix), 'FROM scratch\nARG BINDIR=change-me\nLABEL dir=etc/${BINDIR}\n');
    assert.equal(fix?.diagnostics?.[0].code, 'KF3020');
    assert.equal(find(actions, 'Declare ARG BINDIR after FROM'), undefined);
    // A client that runs kubefile.setBuildArg itself is offered to set the value in its settings instead.
    assert.equal(actions.find((a) => a.command?.command === 'kubefile.setBuildArg'), undefined);
    const analysis = await analyze(text);
    const withCommand = codeActions(analysis, WHOLE, analysis.result.diagnostics.map(toLspDiagnostic), URI, { clientCommands: ['kubefile.setBuildArg'] });
    assert.deepEqual(
      withCommand.filter((a) => a.command).map((a) => [a.title, a.command?.command, a.command?.arguments]),
      [['Set build arg BINDIR in the kubefile.buildArgs setting...', 'kubefile.setBuildArg', ['BINDIR']]],
    );
    // In the stage, a bare ARG bringing back a global without a default: the default goes on the stage one.
    const global = 'ARG BINDIR\nFROM scratch\nARG BINDIR\nLABEL dir=etc/${BINDIR}\n';
    assert.equal(applied(global, find((await actionsFor(global)).actions, 'Give ARG BINDIR a default')), 'ARG BINDIR\nFROM scratch\nARG BINDIR=change-me\nLABEL dir=etc/${BINDIR}\n');
  });

  it('declares a variable used in FROM before FROM', async () => {
    const text = 'FROM base:$TAG\r\nCOPY a b\r\n';
    const { actions } = await actionsFor(text);
    assert.equal(applied(text, find(actions, 'Declare ARG TAG before FROM')), 'ARG TAG\r\nFROM base:$TAG\r\nCOPY a b\r\n');
  });

  it('re-declares an ARG given only before FROM', async () => {
    const text = 'ARG V=1\nFROM scratch\nLABEL v=$V';
    const { actions } = await actionsFor(text);
    assert.equal(applied(text, find(actions, 'Declare ARG V after FROM')), 'ARG V=1\nFROM scratch\nARG V\nLABEL v=$V');
  });

  it('corrects a misspelt variable', async () => {
    const text = 'FROM scratch\nARG VERSION=1\nCOPY ${VERSOIN}/a b\n';
    const { actions } = await actionsFor(text);
    const fixes = actions.filter((a) => a.diagnostics?.[0]?.code === 'KF3001');
    assert.deepEqual(fixes.map((a) => a.title), ['Change to VERSION', 'Declare ARG VERSOIN after FROM', 'Ignore KF3001 on this line', 'Ignore KF3001 in this file']);
    assert.ok(fixes.every((a) => a.isPreferred !== true), 'two fixes: none preferred');
    assert.equal(applied(text, fixes[0]), 'FROM scratch\nARG VERSION=1\nCOPY ${VERSION}/a b\n');
  });

  it('writes non-string JSON elements as strings', async () => {
    const text = 'FROM scratch\nCMD ["sleep", 10]\n';
    const { actions } = await actionsFor(text);
    assert.equal(applied(text, find(actions, 'Write the elements as strings')), 'FROM scratch\nCMD ["sleep", "10"]\n');
  });

  it('passes through the catalogue fixes for JSON arrays', async () => {
    const text = "FROM scratch\nCMDS kubectl get pods\nAPPCMDS a kubectl apply\n";
    const { actions } = await actionsFor(text);
    assert.equal(applied(text, find(actions, 'Make it one command')), 'FROM scratch\nCMDS ["kubectl get pods"]\nAPPCMDS a kubectl apply\n');
    assert.equal(applied(text, find(actions, 'Wrap the command in a JSON array')), 'FROM scratch\nCMDS kubectl get pods\nAPPCMDS a ["kubectl apply"]\n');
  });

  it('converts a plain shell-form command to exec form, but not one that needs the shell', async () => {
    const text = 'FROM scratch\nCMD kubectl apply \\\n  -f manifests/a.yaml\nRUN echo $HOME > x\n';
    const { actions } = await actionsFor(text);
    const converts = actions.filter((a) => a.title === 'Convert to exec form (JSON array)');
    assert.equal(converts.length, 1);
    assert.equal(applied(text, converts[0]), 'FROM scratch\nCMD ["kubectl", "apply", "-f", "manifests/a.yaml"]\nRUN echo $HOME > x\n');
  });

  it('only answers for diagnostics in the range and known to the analysis', async () => {
    const text = 'FROM scratch\nCOPPY a b\nCOPY ${X} c\n';
    const analysis = await analyze(text);
    const diagnostics = analysis.result.diagnostics.map(toLspDiagnostic);
    const line2: Range = { start: { line: 2, character: 7 }, end: { line: 2, character: 7 } };
    const titles = codeActions(analysis, line2, diagnostics, URI).map((a) => a.title);
    assert.deepEqual(titles, ['Declare ARG X after FROM', 'Ignore KF3001 on this line', 'Ignore KF3001 in this file']);
    const stale = { ...diagnostics[0], code: 'KF9999' };
    assert.deepEqual(codeActions(analysis, WHOLE, [stale], URI).filter((a) => a.kind === 'quickfix'), []);
  });
});

/** The codes an edited text reports (after applying an action), as the server would publish them. */
async function codesOf(text: string): Promise<string[]> {
  return (await analyze(text)).result.diagnostics.map((d) => String(d.code));
}

describe('code actions: ignore', () => {
  it('"Ignore KF2005 on this line" adds a comment above the instruction, indented like it', async () => {
    const text = 'FROM scratch\n  MAINTAINER jane\n';
    const { actions } = await actionsFor(text);
    const ignore = find(actions, 'Ignore KF2005 on this line');
    assert.equal(ignore?.kind, 'quickfix');
    assert.equal(ignore?.diagnostics?.[0].code, 'KF2005');
    const out = applied(text, ignore);
    assert.equal(out, 'FROM scratch\n  # kubefile-lint ignore=KF2005\n  MAINTAINER jane\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('extends an ignore comment already above the instruction', async () => {
    const text = 'FROM scratch\nAPP a local://a\n# kubefile-lint ignore=KF2005 # why\nAPP a local://b\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2013 on this line'));
    assert.equal(out, 'FROM scratch\nAPP a local://a\n# kubefile-lint ignore=KF2005,KF2013 # why\nAPP a local://b\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('a diagnostic on a continuation line is ignored above its instruction (CRLF kept)', async () => {
    const text = 'FROM scratch\r\nAPP a local://a\r\nAPP \\\r\n  a local://b\r\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2013 on this line'));
    assert.equal(out, 'FROM scratch\r\nAPP a local://a\r\n# kubefile-lint ignore=KF2013\r\nAPP \\\r\n  a local://b\r\n');
  });

  it('"Ignore KF2005 in this file" creates the check directive at the top', async () => {
    const text = '# a comment\nFROM scratch\nMAINTAINER jane\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2005 in this file'));
    assert.equal(out, '# check=skip=KF2005\n# a comment\nFROM scratch\nMAINTAINER jane\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('puts the new directive after the leading directives', async () => {
    const text = '# escape=`\nFROM scratch\nMAINTAINER jane\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2005 in this file'));
    assert.equal(out, '# escape=`\n# check=skip=KF2005\nFROM scratch\nMAINTAINER jane\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('extends the skip list of an existing directive', async () => {
    const text = '# check=skip=KF2013 ;error=true\nFROM scratch\nMAINTAINER jane\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2005 in this file'));
    assert.equal(out, '# check=skip=KF2013,KF2005 ;error=true\nFROM scratch\nMAINTAINER jane\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('adds skip= to a directive without one', async () => {
    const text = '# check=error=true\nFROM scratch\nMAINTAINER jane\n';
    const out = applied(text, find((await actionsFor(text)).actions, 'Ignore KF2005 in this file'));
    assert.equal(out, '# check=error=true;skip=KF2005\nFROM scratch\nMAINTAINER jane\n');
    assert.deepEqual(await codesOf(out), []);
  });

  it('is not offered for errors, which the comment and the directive cannot silence', async () => {
    const { actions } = await actionsFor('FROM scratch\nCOPPY a b\n');
    assert.deepEqual(actions.filter((a) => a.title.startsWith('Ignore')), []);
  });

  it('a finding of an outside checker is ignored by its own code (ShellCheck under KF4001)', async () => {
    const text = 'FROM scratch\nRUN echo $1\n';
    const analysis = await analyze(text);
    const finding = createDiagnostic('KF4001', analysis.result.lines.range(22, 24), 'Double quote to prevent globbing and word splitting.');
    finding.rule = { id: 'SC2086', href: 'https://www.shellcheck.net/wiki/SC2086' };
    analysis.result.diagnostics.push(finding);
    const lsp = toLspDiagnostic(finding);
    const titles = codeActions(analysis, WHOLE, [lsp], URI).map((a) => a.title);
    assert.deepEqual(titles.filter((t) => t.startsWith('Ignore')), ['Ignore SC2086 on this line', 'Ignore SC2086 in this file']);
    const out = applyEdits(text, codeActions(analysis, WHOLE, [lsp], URI).find((a) => a.title === 'Ignore SC2086 on this line')?.edit?.changes?.[URI] ?? []);
    assert.equal(out, 'FROM scratch\n# kubefile-lint ignore=SC2086\nRUN echo $1\n');
  });
});

describe('code actions: fix all', () => {
  const text = '# Check=error=false\nFROM --platform=$TARGETPLATFORM scratch\nMAINTAINER jane\nENV A b c\nADD a.yaml manifests/\nRUN a\nRUN b\n';

  it('applies every safe fix at once, and leaves the others', async () => {
    const { actions } = await actionsFor(text);
    const all = actions.filter((a) => a.kind === 'source.fixAll');
    assert.equal(all.length, 1);
    const out = applied(text, all[0]);
    assert.equal(out, '# check=error=false\nFROM scratch\nLABEL maintainer="jane"\nENV A="b c"\nADD a.yaml manifests/\nRUN a\nRUN b\n');
    assert.deepEqual(await codesOf(out), ['KF2022', 'KF2017', 'KF2023']);
  });

  it('is what a client asking only for source.fixAll gets', async () => {
    const analysis = await analyze(text);
    const diagnostics = analysis.result.diagnostics.map(toLspDiagnostic);
    const kinds = codeActions(analysis, WHOLE, diagnostics, URI, { only: ['source.fixAll'] }).map((a) => a.kind);
    assert.deepEqual(kinds, ['source.fixAll']);
    assert.deepEqual(codeActions(analysis, WHOLE, diagnostics, URI, { only: ['source'] }).map((a) => a.kind), ['source.fixAll']);
    assert.ok(codeActions(analysis, WHOLE, diagnostics, URI, { only: ['quickfix'] }).every((a) => a.kind === 'quickfix'));
  });

  it('takes one of two fixes that would overlap', async () => {
    // KF2012 (keyword case, enabled) and KF2005 both rewrite the MAINTAINER keyword: both at once would garble it.
    const { actions } = await actionsFor('FROM scratch\nmaintainer jane\n', ['KF2012']);
    const out = applied('FROM scratch\nmaintainer jane\n', actions.find((a) => a.kind === 'source.fixAll'));
    assert.equal(out, 'FROM scratch\nLABEL maintainer="jane"\n');
  });

  it('is not offered when nothing is safely fixable', async () => {
    const { actions } = await actionsFor('FROM scratch\nADD a.yaml b/\n');
    assert.deepEqual(actions.filter((a) => a.kind === 'source.fixAll'), []);
  });
});

