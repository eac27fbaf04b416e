import { strict as assert } from 'node:assert';
import type { CodeAction, Range } from 'vscode-languageserver';
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

  it('removes a duplicate FROM', async () => {
    const text = 'FROM scratch\nCOPY a b\nFROM other\nCOPY c d\n';
    const { actions } = await actionsFor(text);
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
    assert.deepEqual(fixes.map((a) => a.title), ['Change to VERSION', 'Declare ARG VERSOIN after FROM']);
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
    assert.deepEqual(titles, ['Declare ARG X after FROM']);
    const stale = { ...diagnostics[0], code: 'KF9999' };
    assert.deepEqual(codeActions(analysis, WHOLE, [stale], URI).filter((a) => a.kind === 'quickfix'), []);
  });
});
