import assert from 'node:assert/strict';
import { FoldingRangeKind, SymbolKind, type DocumentSymbol, type Range } from 'vscode-languageserver';
import { documentLinks, documentSymbols, foldingRanges } from '../src/structure.js';
import { setup } from './helpers.js';

function fmt(range: Range): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

/** A symbol as [name, kind, range, selectionRange, children?]. */
type Row = [string, SymbolKind, string, string, Row[]?];
function rows(symbols: DocumentSymbol[]): Row[] {
  return symbols.map((s) => {
    const row: Row = [s.detail ? `${s.name} = ${s.detail}` : s.name, s.kind, fmt(s.range), fmt(s.selectionRange)];
    if (s.children) row.push(rows(s.children));
    return row;
  });
}

describe('documentSymbols', () => {
  it('gives one symbol per instruction, with ARG/ENV/LABEL names as children', async () => {
    const { analysis } = await setup(
      'ARG VERSION=1.0\nFROM kubernetes:v1.22\nENV A=1 B="two words"\nCOPY charts charts\nAPP web local://web.yaml\nLAUNCH ["web"]\nRUN echo a \\\n  && echo b',
    );
    assert.deepEqual(rows(documentSymbols(analysis)), [
      ['ARG VERSION=1.0', SymbolKind.Variable, '0:0-0:15', '0:0-0:3', [['VERSION = 1.0', SymbolKind.Variable, '0:4-0:15', '0:4-0:11']]],
      ['FROM kubernetes:v1.22', SymbolKind.Module, '1:0-1:21', '1:0-1:4'],
      [
        'ENV A=1 B="two words"',
        SymbolKind.Variable,
        '2:0-2:21',
        '2:0-2:3',
        [
          ['A = 1', SymbolKind.Variable, '2:4-2:7', '2:4-2:5'],
          ['B = "two words"', SymbolKind.Variable, '2:8-2:21', '2:8-2:9'],
        ],
      ],
      ['COPY charts charts', SymbolKind.File, '3:0-3:18', '3:0-3:4'],
      ['APP web local://web.yaml', SymbolKind.Package, '4:0-4:24', '4:0-4:3'],
      ['LAUNCH ["web"]', SymbolKind.Event, '5:0-5:14', '5:0-5:6'],
      ['RUN echo a && echo b', SymbolKind.Function, '6:0-7:11', '6:0-6:3'],
    ]);
  });

  it('shortens long arguments', async () => {
    const { analysis } = await setup(`FROM x\nRUN ${'a'.repeat(60)}`);
    assert.equal(documentSymbols(analysis)[1].name, `RUN ${'a'.repeat(39)}…`);
  });

  it('nests the instructions of each stage under it, global ARGs top level', async () => {
    const { analysis } = await setup('ARG V=1\nFROM --platform=$BUILDPLATFORM busybox AS build\nRUN make\nFROM scratch\nCOPY --from=build /out bin');
    assert.deepEqual(rows(documentSymbols(analysis)), [
      ['ARG V=1', SymbolKind.Variable, '0:0-0:7', '0:0-0:3', [['V = 1', SymbolKind.Variable, '0:4-0:7', '0:4-0:5']]],
      [
        'build = FROM --platform=$BUILDPLATFORM busybox …',
        SymbolKind.Module,
        '1:0-2:8',
        '1:42-1:47',
        [
          ['FROM busybox AS build', SymbolKind.Module, '1:0-1:47', '1:0-1:4'],
          ['RUN make', SymbolKind.Function, '2:0-2:8', '2:0-2:3'],
        ],
      ],
      [
        'stage 1 = FROM scratch',
        SymbolKind.Module,
        '3:0-4:26',
        '3:0-3:4',
        [
          ['FROM scratch', SymbolKind.Module, '3:0-3:12', '3:0-3:4'],
          ['COPY /out bin', SymbolKind.File, '4:0-4:26', '4:0-4:4'],
        ],
      ],
    ]);
  });
});

describe('foldingRanges', () => {
  it('folds continued instructions, heredoc bodies and comment blocks', async () => {
    const { analysis } = await setup(
      '# one\n# two\n# three\nFROM x\n# lone\nRUN a \\\n  b \\\n  c\nRUN <<A <<B\na\nA\nb\nB\n#x\n#y',
    );
    assert.deepEqual(
      foldingRanges(analysis).map((f) => [f.startLine, f.endLine, f.kind]),
      [
        [0, 2, FoldingRangeKind.Comment],
        [5, 7, undefined],
        [8, 10, undefined],
        [8, 12, undefined],
        [10, 12, undefined],
        [13, 14, FoldingRangeKind.Comment],
      ],
    );
  });
});

describe('documentLinks', () => {
  it('links COPY/ADD sources in the build context and http(s) URLs', async () => {
    const { analysis, context } = await setup(
      '# see https://sealer.cool/docs.\nFROM x\nCOPY ./charts missing *.yaml /dst\nADD ["manifests/a.yaml", "/m"]\nADD https://example.com/x.tgz /x\nRUN curl http://a/${V}/b\nCOPY --from=img charts /c',
      { files: { 'charts/Chart.yaml': 'x', 'manifests/a.yaml': 'y', 'a.yaml': 'z' } },
    );
    assert.deepEqual(
      (await documentLinks(analysis, context)).map((l) => [fmt(l.range), l.target]),
      [
        ['0:6-0:30', 'https://sealer.cool/docs'],
        ['2:5-2:13', 'file:///context/charts'],
        ['3:6-3:22', 'file:///context/manifests/a.yaml'],
        ['4:4-4:29', 'https://example.com/x.tgz'],
      ],
    );
  });

  it('gives URL links without a build context', async () => {
    const { analysis, context } = await setup('FROM x\nCOPY a b # not a comment http://x.io');
    assert.deepEqual(
      (await documentLinks(analysis, context)).map((l) => [fmt(l.range), l.target]),
      [['1:25-1:36', 'http://x.io']],
    );
  });
});
