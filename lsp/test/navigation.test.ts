import assert from 'node:assert/strict';
import { DocumentHighlightKind, ResponseError, type Range, type WorkspaceEdit } from 'vscode-languageserver';
import { definition, documentHighlight, prepareRename, references, rename } from '../src/navigation.js';
import { setup } from './helpers.js';

const URI = 'file:///work/Kubefile';

/** `line:char-line:char`, to read expected ranges at a glance. */
function fmt(range: Range): string {
  return `${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

async function defs(marked: string): Promise<string[] | null> {
  const { analysis, position } = await setup(marked);
  return definition(analysis, position, URI)?.map((l) => fmt(l.range)) ?? null;
}

async function refs(marked: string, includeDeclaration = true): Promise<string[] | null> {
  const { analysis, position } = await setup(marked);
  return references(analysis, position, URI, includeDeclaration)?.map((l) => fmt(l.range)) ?? null;
}

async function renamed(marked: string, newName: string): Promise<string> {
  const { analysis, position } = await setup(marked);
  const edit = rename(analysis, position, newName, URI);
  assert.ok(edit && !(edit instanceof ResponseError), 'expected an edit');
  return applyEdit(analysis.text, edit);
}

/** The text after the edit, so a test shows the renamed file. */
function applyEdit(text: string, edit: WorkspaceEdit): string {
  const lines = text.split('\n');
  const offset = (line: number, character: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + character;
  const edits = (edit.changes?.[URI] ?? []).map((e) => ({ start: offset(e.range.start.line, e.range.start.character), end: offset(e.range.end.line, e.range.end.character), text: e.newText }));
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

describe('definition', () => {
  it('goes from ${V} to the stage ARG', async () => {
    assert.deepEqual(await defs('ARG V=1\nFROM x\nARG V\nRUN echo ${V|}'), ['2:4-2:5']);
  });

  it('goes from $V (unbraced, in double quotes) to the ENV', async () => {
    assert.deepEqual(await defs('FROM x\nENV V=1\nRUN echo "$|V"'), ['1:4-1:5']);
  });

  it('resolves a FROM reference to the global ARG, not a stage one', async () => {
    assert.deepEqual(await defs('ARG V=1\nFROM x\nARG V=2\nFROM y:${|V}'), ['0:4-0:5']);
  });

  it('does not see a global ARG inside the stage (Docker scoping)', async () => {
    assert.equal(await defs('ARG V=1\nFROM x\nRUN echo $V|'), null);
  });

  it('resolves to the latest declaration before the use', async () => {
    assert.deepEqual(await defs('FROM x\nARG V=1\nENV V=2\nRUN echo $V|\n'), ['2:4-2:5']);
  });

  it('an ENV value sees the declarations before the instruction, not its own names', async () => {
    assert.deepEqual(await defs('FROM x\nARG A=1\nENV A=2 B=$A|'), ['1:4-1:5']);
  });

  it('ARG declarations see earlier names in the same instruction', async () => {
    assert.deepEqual(await defs('FROM x\nARG A=1 B=${A|}'), ['1:4-1:5']);
  });

  it('returns the declaration itself on a declaration', async () => {
    assert.deepEqual(await defs('FROM x\nARG |V=1'), ['1:4-1:5']);
  });

  it('goes from an application use to its APP', async () => {
    assert.deepEqual(await defs('FROM scratch\nAPP web local://web.yaml\nLAUNCH ["w|eb"]'), ['1:4-1:7']);
    assert.deepEqual(await defs('FROM scratch\nCNI calico local://c.yaml\nAPPCMDS cal|ico ["kubectl apply"]'), ['1:4-1:10']);
  });

  it('returns null for predefined variables and outside names', async () => {
    assert.equal(await defs('FROM x\nRUN echo ${TARGETARCH|}'), null);
    assert.equal(await defs('FR|OM x'), null);
  });
});

describe('references', () => {
  it('lists the declarations and uses of one symbol, in order', async () => {
    const text = 'FROM x\nARG V=1\nRUN echo $V ${V:-$V}\nENV W=$|V';
    assert.deepEqual(await refs(text), ['1:4-1:5', '2:10-2:11', '2:14-2:15', '2:18-2:19', '3:7-3:8']);
    assert.deepEqual(await refs(text, false), ['2:10-2:11', '2:14-2:15', '2:18-2:19', '3:7-3:8']);
  });

  it('keeps the global and the stage scopes apart', async () => {
    const text = 'ARG V=1\nFROM x:$V\nARG V=2\nRUN echo $V|';
    assert.deepEqual(await refs(text), ['2:4-2:5', '3:10-3:11']);
    assert.deepEqual(await refs('ARG |V=1\nFROM x:$V\nARG V=2\nRUN echo $V'), ['0:4-0:5', '1:8-1:9']);
  });

  it('a bare stage ARG that brings back a global is the same symbol', async () => {
    assert.deepEqual(await refs('ARG |V=1\nFROM x:$V\nARG V\nRUN echo $V'), ['0:4-0:5', '1:8-1:9', '2:4-2:5', '3:10-3:11']);
  });

  it('groups ARG and ENV of one name in a stage, and separates stages', async () => {
    const text = 'FROM x\nARG V\nENV V=2\nRUN $V\nFROM y\nENV V=3\nRUN $V|';
    assert.deepEqual(await refs(text), ['5:4-5:5', '6:5-6:6']);
    assert.deepEqual(await refs('FROM x\nARG |V\nENV V=2\nRUN $V\nFROM y\nENV V=3\nRUN $V'), ['1:4-1:5', '2:4-2:5', '3:5-3:6']);
  });

  it('finds application uses in APPCMDS, APPENV and LAUNCH (inside the JSON quotes)', async () => {
    const text = 'FROM scratch\nAPP w|eb local://web.yaml\nAPPCMDS web ["kubectl apply"]\nAPPENV web A=1\nLAUNCH ["web", "other"]';
    assert.deepEqual(await refs(text), ['1:4-1:7', '2:8-2:11', '3:7-3:10', '4:9-4:12']);
  });

  it('returns null away from any name', async () => {
    assert.equal(await refs('FROM x\nRUN ec|ho'), null);
  });
});

describe('documentHighlight', () => {
  it('marks declarations Write and uses Read', async () => {
    const { analysis, position } = await setup('FROM x\nARG V=1\nENV V=$V\nRUN echo ${V|}');
    assert.deepEqual(
      documentHighlight(analysis, position).map((h) => [fmt(h.range), h.kind]),
      [
        ['1:4-1:5', DocumentHighlightKind.Write],
        ['2:4-2:5', DocumentHighlightKind.Write],
        ['2:7-2:8', DocumentHighlightKind.Read],
        ['3:11-3:12', DocumentHighlightKind.Read],
      ],
    );
  });

  it('highlights an undeclared shell variable\'s uses', async () => {
    const { analysis, position } = await setup('FROM x\nRUN echo $HOME && cd $HO|ME');
    assert.deepEqual(documentHighlight(analysis, position).map((h) => fmt(h.range)), ['1:10-1:14', '1:22-1:26']);
  });

  it('is empty off a name', async () => {
    const { analysis, position } = await setup('FR|OM x');
    assert.deepEqual(documentHighlight(analysis, position), []);
  });
});

describe('rename', () => {
  it('renames an ARG and every ${X} and $X use', async () => {
    assert.equal(
      await renamed('FROM x\nARG VER|SION=1\nRUN echo $VERSION "${VERSION}" ${VERSION:-$VERSION}\nLABEL v=$VERSION', 'RELEASE'),
      'FROM x\nARG RELEASE=1\nRUN echo $RELEASE "${RELEASE}" ${RELEASE:-$RELEASE}\nLABEL v=$RELEASE',
    );
  });

  it('renames a global ARG, its FROM use and the stage ARG that brings it back', async () => {
    assert.equal(await renamed('ARG V|=1\nFROM x:${V}\nARG V\nRUN echo $V', 'TAG'), 'ARG TAG=1\nFROM x:${TAG}\nARG TAG\nRUN echo $TAG');
  });

  it('renames an application everywhere, keeping JSON quotes', async () => {
    assert.equal(
      await renamed('FROM scratch\nAPP web local://w.yaml\nAPPCMDS web ["a"]\nAPPENV web A=1\nLAUNCH ["we|b"]', 'site'),
      'FROM scratch\nAPP site local://w.yaml\nAPPCMDS site ["a"]\nAPPENV site A=1\nLAUNCH ["site"]',
    );
  });

  it('rejects an invalid new name with a message', async () => {
    const { analysis, position } = await setup('FROM x\nARG V|=1');
    const result = rename(analysis, position, '1abc', URI);
    assert.ok(result instanceof ResponseError);
    assert.match(result.message, /not a valid variable name/);
    const app = await setup('FROM x\nAPP w|eb local://a.yaml');
    const appResult = rename(app.analysis, app.position, 'a b', URI);
    assert.ok(appResult instanceof ResponseError);
    assert.match(appResult.message, /not a valid application name/);
  });

  it('rejects undeclared variables', async () => {
    const { analysis, position } = await setup('FROM x\nRUN echo $HO|ME');
    const result = rename(analysis, position, 'X', URI);
    assert.ok(result instanceof ResponseError);
    assert.match(result.message, /HOME is not declared/);
    assert.ok(prepareRename(analysis, position) instanceof ResponseError);
  });

  it('returns null off a name', async () => {
    const { analysis, position } = await setup('FR|OM x');
    assert.equal(rename(analysis, position, 'X', URI), null);
  });

  it('prepareRename gives the name range and text', async () => {
    const { analysis, position } = await setup('FROM x\nARG V=1\nRUN echo ${|V}');
    const result = prepareRename(analysis, position);
    assert.ok(!(result instanceof ResponseError));
    assert.deepEqual([fmt(result.range), result.placeholder], ['2:11-2:12', 'V']);
  });
});

describe('references in shell text', () => {
  it('finds uses nested in a RUN ${V:-...} operand and in an unquoted heredoc body', async () => {
    const text = 'FROM x\nARG |V=1\nRUN echo ${A:-${B:-$V}}\nRUN <<EOF\necho $V\nEOF\nRUN <<\'EOF\'\necho $V\nEOF';
    assert.deepEqual(await refs(text), ['1:4-1:5', '2:20-2:21', '4:6-4:7']);
  });
});

describe('stage names', () => {
  const stages = 'FROM busybox AS Builder\nRUN make\nFROM builder AS test\nFROM scratch\nCOPY --from=BUILDER /out /bin\nCOPY --from=0 /a /b\nCOPY --from=busybox /c /d';

  it('goes from COPY --from=NAME to the AS name, case-insensitively', async () => {
    assert.deepEqual(await defs(stages.replace('--from=BUILDER', '--from=BUIL|DER')), ['0:16-0:23']);
  });

  it('goes from FROM NAME (an earlier stage) to its AS name', async () => {
    assert.deepEqual(await defs(stages.replace('FROM builder', 'FROM bui|lder')), ['0:16-0:23']);
  });

  it('goes from --from=0 to the stage, and to the FROM of an unnamed stage', async () => {
    assert.deepEqual(await defs(stages.replace('--from=0', '--from=|0')), ['0:16-0:23']);
    assert.deepEqual(await defs('FROM busybox\nFROM scratch\nCOPY --from=|0 /a /b'), ['0:0-0:12']);
  });

  it('does not take an image for a stage: FROM sees earlier stages only, --from=image is no stage', async () => {
    assert.equal(await defs('FROM bui|lder\nFROM busybox AS builder'), null);
    assert.equal(await defs(stages.replace('--from=busybox', '--from=busy|box')), null);
  });

  it('lists the declaration and every use, the index included', async () => {
    assert.deepEqual(await refs(stages.replace('AS Builder', 'AS |Builder')), ['0:16-0:23', '2:5-2:12', '4:12-4:19', '5:12-5:13']);
  });

  it('a later duplicate name wins for COPY --from; FROM sees the last one before it', async () => {
    const text = 'FROM a AS x\nFROM x AS y\nFROM b AS x\nFROM scratch\nCOPY --from=|x /a /b';
    assert.deepEqual(await defs(text), ['2:10-2:11']);
    assert.deepEqual(await defs(text.replace('|', '').replace('FROM x AS y', 'FROM |x AS y')), ['0:10-0:11']);
  });

  it('highlights the AS name as Write and its uses as Read', async () => {
    const { analysis, position } = await setup('FROM a AS b|uild\nFROM scratch\nCOPY --from=build /x /y');
    assert.deepEqual(
      documentHighlight(analysis, position).map((h) => `${fmt(h.range)} ${h.kind}`),
      [`0:10-0:15 ${DocumentHighlightKind.Write}`, `2:12-2:17 ${DocumentHighlightKind.Read}`],
    );
  });

  it('renames the AS name, FROM and --from uses, and leaves an index alone', async () => {
    assert.equal(
      await renamed(stages.replace('--from=BUILDER', '--from=BUIL|DER'), 'compile'),
      'FROM busybox AS compile\nRUN make\nFROM compile AS test\nFROM scratch\nCOPY --from=compile /out /bin\nCOPY --from=0 /a /b\nCOPY --from=busybox /c /d',
    );
  });

  it('refuses an invalid or taken stage name, and an index', async () => {
    const { analysis, position } = await setup('FROM a AS b|uild\nFROM c AS test');
    for (const [name, message] of [['Build', /not a valid stage name/], ['1x', /not a valid stage name/], ['test', /"test" already exists \(line 2\)/]] as const) {
      const result = rename(analysis, position, name, URI);
      assert.ok(result instanceof ResponseError);
      assert.match(result.message, message);
    }
    const index = await setup('FROM a AS build\nFROM scratch\nCOPY --from=|0 /a /b');
    const byIndex = prepareRename(index.analysis, index.position);
    assert.ok(byIndex instanceof ResponseError);
    assert.match(byIndex.message, /by its index/);
  });
});
