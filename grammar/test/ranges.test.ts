/**
 * Every range in the AST lies within the text, is ordered, and (for simple words) covers exactly
 * the word's text.
 */
import assert from 'node:assert/strict';
import { LineMap, parse, variablesOf, type Instruction, type Range, type Word } from '@kubefile/grammar';
import { lines, sliceOf } from './helpers.js';

const SAMPLE = lines(
  '# syntax=docker/dockerfile:1',
  '# a comment',
  'ARG ARCH=amd64 VERSION',
  'FROM --platform=linux/${ARCH} kubernetes:v1.22.15',
  'COPY --from=base --chmod=755 bin/${ARCH}/helm \\',
  '     /usr/bin/',
  'COPY ["a b", "c"]',
  'RUN --mount=type=cache,target=/var/cache apt-get update \\',
  '  # inline',
  '  && echo "${VERSION:-dev}"',
  'RUN <<EOF',
  'echo hi',
  'EOF',
  'ENV A=1 B="two words" C=${A}',
  'ENV LEGACY value with spaces',
  'LABEL maintainer="me" version=1',
  'APP nginx local://nginx.yaml https://example.com/x.yaml',
  'APPENV nginx replicas=2',
  'APPCMDS nginx ["kubectl", "apply", "-f", "nginx.yaml"]',
  'KUBEVERSION 1.22 - 1.24',
  'CMDS ["kubectl get nodes"]',
);

function collectRanges(i: Instruction): [string, Range][] {
  const out: [string, Range][] = [
    ['instruction', i.range],
    ['keyword', i.keywordRange],
    ['args', i.argsRange],
  ];
  const word = (label: string, w: Word | undefined) => {
    if (!w) return;
    out.push([label, w.range]);
    for (const p of w.parts ?? []) out.push([`${label} part`, p.range]);
    for (const v of variablesOf(w.parts ?? [])) {
      out.push([`${label} variable`, v.range], [`${label} variable name`, v.nameRange]);
    }
  };
  for (const f of i.flags) {
    out.push(['flag', f.range], ['flag name', f.nameRange]);
    if (f.valueRange) out.push(['flag value', f.valueRange]);
    word('flag value word', f.valueWord);
  }
  i.args.forEach((a) => word('arg', a));
  for (const h of i.heredocs) out.push(['heredoc start', h.startRange], ['heredoc content', h.contentRange], ['heredoc', h.range]);
  const pairs = 'pairs' in i ? i.pairs : 'declarations' in i ? i.declarations : [];
  for (const p of pairs) {
    out.push(['pair', p.range]);
    word('pair name', p.name);
    word('pair value', p.value);
  }
  return out;
}

function assertConsistent(text: string, label: string, range: Range): void {
  const map = new LineMap(text);
  for (const pos of [range.start, range.end]) {
    assert.ok(pos.offset >= 0 && pos.offset <= text.length, `${label}: offset ${pos.offset} outside the text`);
    assert.deepEqual(map.position(pos.offset), pos, `${label}: line/column do not match offset ${pos.offset}`);
  }
  assert.ok(range.start.offset <= range.end.offset, `${label}: start after end`);
}

describe('ranges', () => {
  for (const [name, text] of [
    ['LF', SAMPLE],
    ['CRLF', SAMPLE.replace(/\n/g, '\r\n')],
    ['BOM', '\uFEFF' + SAMPLE],
  ] as const) {
    it(`every range lies within the text and agrees with its offsets (${name})`, () => {
      const { ast, diagnostics } = parse(text);
      assert.deepEqual(diagnostics, []);
      assert.equal(ast.instructions.length, 14);
      let count = 0;
      for (const i of ast.instructions) {
        for (const [label, range] of collectRanges(i)) {
          assertConsistent(text, `${i.keyword} ${label}`, range);
          // everything of an instruction lies within the instruction
          assert.ok(range.start.offset >= i.range.start.offset && range.end.offset <= i.range.end.offset, `${i.keyword} ${label} outside the instruction`);
          count++;
        }
      }
      for (const c of ast.comments) assertConsistent(text, 'comment', c.range);
      for (const d of ast.directives) for (const r of [d.range, d.nameRange, d.valueRange]) assertConsistent(text, 'directive', r);
      assert.ok(count > 100, `only ${count} ranges checked`);
    });
  }

  it('instructions do not overlap and come in source order', () => {
    const { ast } = parse(SAMPLE);
    for (let k = 1; k < ast.instructions.length; k++) {
      assert.ok(ast.instructions[k - 1].range.end.offset < ast.instructions[k].range.start.offset, `${ast.instructions[k].keyword}`);
    }
  });

  it('the slice of a simple word (one physical line, shell form) is the word text', () => {
    const { ast } = parse(SAMPLE);
    let checked = 0;
    for (const i of ast.instructions) {
      // exec form (and APPCMDS's JSON command) words are decoded JSON strings
      if (i.form === 'exec' || i.keyword === 'APPCMDS') continue;
      for (const w of i.args) {
        if (w.range.start.line !== w.range.end.line) continue;
        assert.equal(sliceOf(SAMPLE, w.range), w.text, `${i.keyword} arg`);
        checked++;
      }
      const pairs = 'pairs' in i ? i.pairs : 'declarations' in i ? i.declarations : [];
      for (const p of pairs) {
        for (const w of [p.name, p.value]) {
          if (!w) continue;
          assert.equal(sliceOf(SAMPLE, w.range), w.text, `${i.keyword} pair`);
          checked++;
        }
      }
      for (const f of i.flags) assert.equal(sliceOf(SAMPLE, f.range), f.text);
      assert.equal(sliceOf(SAMPLE, i.keywordRange), i.keywordText);
    }
    assert.equal(checked, 36);
  });

  it('exec form element slices are the JSON literals', () => {
    const { ast } = parse(SAMPLE);
    const copy = ast.instructions.find((i) => i.form === 'exec' && i.keyword === 'COPY');
    assert.ok(copy);
    assert.deepEqual(copy.args.map((a) => sliceOf(SAMPLE, a.range)), ['"a b"', '"c"']);
  });

  it('a word split by a continuation: its slice is the word with the continuation inside', () => {
    const text = lines('COPY bin/hel\\', 'm /usr/bin/');
    const w = parse(text).ast.instructions[0].args[0];
    assert.equal(w.text, 'bin/helm');
    assert.equal(sliceOf(text, w.range), 'bin/hel\\\nm');
  });

  it('variable slices are the references', () => {
    const { ast } = parse(SAMPLE);
    // ENV words are located through their pairs (the values are what gets expanded)
    const words: (Word | undefined)[] = ast.instructions.flatMap((i) => ('pairs' in i ? i.pairs.map((p) => p.value) : [...i.args]));
    const refs = words.flatMap((w) => variablesOf(w?.parts ?? []).map((v) => sliceOf(SAMPLE, v.range)));
    assert.deepEqual(refs, ['${ARCH}', '${VERSION:-dev}', '${A}']);
  });

  it('diagnostic ranges lie within the text', () => {
    const text = lines('COPPY a', 'COPY ${} --x', 'ENV a=1 b', 'RUN <<EOF', 'x');
    const { diagnostics } = parse(text);
    assert.deepEqual(diagnostics.map((d) => d.code), ['KF1001', 'KF1007', 'KF1006', 'KF1009']);
    for (const d of diagnostics) assertConsistent(text, d.code, d.range);
  });

  describe('flag value words', () => {
    /** `[slice of the part, kind]` of each part of the first instruction's flag `name`. */
    function flagParts(text: string, name: string): [string, string][] {
      const flag = parse(text).ast.instructions[0].flags.find((f) => f.name === name);
      assert.ok(flag?.valueWord, `no value word for --${name}`);
      assert.deepEqual(flag.valueWord.range, flag.valueRange);
      return (flag.valueWord.parts ?? []).map((p) => [sliceOf(text, p.range), p.kind]);
    }

    it('a variable after --platform= is located', () => {
      const text = 'FROM --platform=$BUILDPLATFORM scratch';
      const flag = parse(text).ast.instructions[0].flags[0];
      assert.equal(flag.valueWord?.text, '$BUILDPLATFORM');
      const [v] = variablesOf(flag.valueWord?.parts ?? []);
      assert.equal(v.name, 'BUILDPLATFORM');
      assert.equal(sliceOf(text, v.nameRange), 'BUILDPLATFORM');
    });

    it('a braced variable between literals', () => {
      assert.deepEqual(flagParts('FROM --platform=linux/${ARCH}/v8 scratch', 'platform'), [
        ['linux/', 'literal'],
        ['${ARCH}', 'variable'],
        ['/v8', 'literal'],
      ]);
    });

    it('a braced variable after --chmod=', () => {
      assert.deepEqual(flagParts('COPY --chmod=${MODE} a b', 'chmod'), [['${MODE}', 'variable']]);
    });

    it('a quoted value keeps its quotes in the text and the parts', () => {
      const text = 'COPY --chown="$USER:0" a b';
      const flag = parse(text).ast.instructions[0].flags[0];
      assert.equal(flag.value, '$USER:0');
      assert.equal(flag.valueWord?.text, '"$USER:0"');
      assert.deepEqual(flagParts(text, 'chown'), [['"', 'literal'], ['$USER', 'variable'], [':0', 'literal'], ['"', 'literal']]);
    });

    it('a plain value is one word without parts', () => {
      const flag = parse('COPY --from=base a b').ast.instructions[0].flags[0];
      assert.deepEqual([flag.valueWord?.text, flag.valueWord?.parts], ['base', undefined]);
    });

    it('a flag on a continuation line', () => {
      const text = lines('COPY \\', '  --chmod=$MODE a b');
      const [v] = variablesOf(parse(text).ast.instructions[0].flags[0].valueWord?.parts ?? []);
      assert.equal(sliceOf(text, v.range), '$MODE');
      assert.deepEqual([v.range.start.line, v.range.start.column], [1, 10]);
    });

    it('a value split by a continuation: the variable range spans it', () => {
      const text = lines('FROM --platform=$BUILD\\', 'PLATFORM scratch');
      const [v] = variablesOf(parse(text).ast.instructions[0].flags[0].valueWord?.parts ?? []);
      assert.equal(v.name, 'BUILDPLATFORM');
      assert.equal(sliceOf(text, v.range), '$BUILD\\\nPLATFORM');
    });

    it('a bad substitution in a flag value is no parse diagnostic', () => {
      assert.deepEqual(parse('COPY --chmod=${} a b').diagnostics.map((d) => d.code), []);
    });
  });
});
