import { strict as assert } from 'node:assert';
import { createDiagnostic, diagnosticHref, parse } from '@kubefile/grammar';
import { lint } from '@kubefile/compiler';
import { DiagnosticSeverity, DiagnosticTag } from 'vscode-languageserver';
import { toLspDiagnostic } from '../src/convert.js';

describe('LSP diagnostics', () => {
  const range = parse('FROM scratch\nRUN echo $1\n').lines.range(22, 24);

  it('link their code to its section of docs/diagnostics.md', () => {
    const lsp = toLspDiagnostic(createDiagnostic('KF2005', range, 'x'));
    assert.equal(lsp.code, 'KF2005');
    assert.equal(lsp.source, 'kubefile');
    assert.deepEqual(lsp.codeDescription, { href: diagnosticHref('KF2005') });
    assert.match(lsp.codeDescription!.href, /diagnostics\.md#kf2005$/);
  });

  it('show an outside checker\'s finding by its own code, source and page', () => {
    const finding = { ...createDiagnostic('KF4001', range, 'Double quote to prevent globbing'), rule: { id: 'SC2086', href: 'https://www.shellcheck.net/wiki/SC2086' } };
    const lsp = toLspDiagnostic(finding);
    assert.deepEqual([lsp.code, lsp.source, lsp.codeDescription?.href, lsp.severity], ['SC2086', 'shellcheck', 'https://www.shellcheck.net/wiki/SC2086', DiagnosticSeverity.Warning]);
  });

  it('carry tags: MAINTAINER deprecated, a redundant --platform unnecessary', () => {
    const tags = lint('FROM --platform=$TARGETPLATFORM scratch\nMAINTAINER jane\n').diagnostics.map((d) => [d.code, toLspDiagnostic(d).tags]);
    assert.deepEqual(tags, [
      ['KF2020', [DiagnosticTag.Unnecessary]],
      ['KF2005', [DiagnosticTag.Deprecated]],
    ]);
  });

  it('have no tags when the diagnostic has none', () => assert.equal(toLspDiagnostic(createDiagnostic('KF2013', range, 'x')).tags, undefined));
});
