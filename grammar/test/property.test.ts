/**
 * Property (fuzz) tests for the parser: it never throws, every range it reports lies inside the
 * text with line/column matching the offset, it is deterministic, and line endings do not change
 * what it reads. Inputs are arbitrary strings, structured random Kubefiles and mutations of
 * valid Kubefiles.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CATALOGUE, parse, reparse, type AstWordPart, type ParseResult, type Range } from '@kubefile/grammar';

// ---------------------------------------------------------------------------------------------
// Checks shared by the properties

/** Line starts computed independently of the parser's LineMap: only `\n` ends a line. */
function lineStartsOf(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  return starts;
}

interface FoundRange {
  path: string;
  range: Range;
}

function isPosition(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const p = value as Record<string, unknown>;
  return typeof p.offset === 'number' && typeof p.line === 'number' && typeof p.column === 'number';
}

/** Every `{start, end}` position pair anywhere in the value (AST nodes, word parts, fixes...). */
function collectRanges(value: unknown, path: string, out: FoundRange[]): FoundRange[] {
  if (typeof value !== 'object' || value === null) return out;
  if (Array.isArray(value)) {
    value.forEach((v, i) => collectRanges(v, `${path}[${i}]`, out));
    return out;
  }
  const record = value as Record<string, unknown>;
  if (isPosition(record.start) && isPosition(record.end)) out.push({ path, range: record as unknown as Range });
  for (const [key, v] of Object.entries(record)) {
    if (key === 'start' || key === 'end') continue;
    collectRanges(v, `${path}.${key}`, out);
  }
  return out;
}

function checkPosition(text: string, starts: number[], p: { offset: number; line: number; column: number }, where: string): void {
  assert.ok(Number.isInteger(p.offset) && p.offset >= 0 && p.offset <= text.length, `${where}: offset ${p.offset} outside 0..${text.length}`);
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= p.offset) line++;
  assert.equal(p.line, line, `${where}: line ${p.line} for offset ${p.offset}, expected ${line}`);
  assert.equal(p.column, p.offset - starts[line], `${where}: column ${p.column} for offset ${p.offset}, expected ${p.offset - starts[line]}`);
}

/** Every word with parts anywhere in a node (args, pairs, declarations, command...). */
function wordsIn(value: unknown, out: { text: string; parts: AstWordPart[] }[] = []): { text: string; parts: AstWordPart[] }[] {
  if (typeof value !== 'object' || value === null) return out;
  if (Array.isArray(value)) {
    for (const v of value) wordsIn(v, out);
    return out;
  }
  const record = value as Record<string, unknown>;
  if (typeof record.text === 'string' && Array.isArray(record.parts) && 'range' in record) out.push(record as unknown as { text: string; parts: AstWordPart[] });
  for (const [key, v] of Object.entries(record)) if (key !== 'parts') wordsIn(v, out);
  return out;
}

function within(inner: Range, outer: Range): boolean {
  return inner.start.offset >= outer.start.offset && inner.end.offset <= outer.end.offset;
}

/** The result is complete and every range is inside the text with consistent line/column. */
function checkResult(text: string, result: ParseResult): void {
  const { ast, diagnostics, lines } = result;
  assert.equal(ast.type, 'Kubefile');
  assert.ok(Array.isArray(ast.instructions) && Array.isArray(ast.comments) && Array.isArray(ast.directives));
  assert.ok(Array.isArray(diagnostics));
  assert.equal(ast.range.start.offset, 0);
  assert.equal(ast.range.end.offset, text.length);

  const starts = lineStartsOf(text);
  assert.deepEqual(lines.lineStarts, starts, 'LineMap line starts');

  const ranges = collectRanges({ ast, diagnostics }, '$', []);
  for (const { path, range } of ranges) {
    checkPosition(text, starts, range.start, `${path}.start`);
    checkPosition(text, starts, range.end, `${path}.end`);
    assert.ok(range.start.offset <= range.end.offset, `${path}: start ${range.start.offset} after end ${range.end.offset}`);
  }

  // The collector must actually have seen the ranges the AST promises.
  let expected = 1 + ast.directives.length * 3 + ast.comments.length;
  for (const instruction of ast.instructions) {
    expected += 3 + instruction.flags.length * 2 + instruction.flags.filter((f) => f.valueRange).length + instruction.args.length + instruction.heredocs.length * 3;
  }
  expected += diagnostics.length;
  assert.ok(ranges.length >= expected, `only ${ranges.length} ranges found, expected at least ${expected}`);

  for (const d of diagnostics) {
    assert.ok(d.code in CATALOGUE, `unknown code ${d.code}`);
    assert.ok(d.code.startsWith('KF1'), `parse() reported the non-syntax code ${d.code}`);
    assert.equal(d.severity, CATALOGUE[d.code].severity);
    assert.equal(typeof d.message, 'string');
  }

  // Ranges nest: keyword, flags and words inside their instruction; instructions in source order.
  let previousEnd = 0;
  for (const [i, instruction] of ast.instructions.entries()) {
    const where = `instruction ${i} (${instruction.keyword})`;
    assert.ok(instruction.range.start.offset >= previousEnd, `${where} starts before the previous instruction ends`);
    previousEnd = instruction.range.end.offset;
    assert.equal(instruction.keywordRange.start.offset, instruction.range.start.offset, `${where}: keyword does not start the instruction`);
    assert.ok(instruction.keywordText.length > 0, `${where}: empty keyword`);
    if (instruction.keywordRange.start.line === instruction.keywordRange.end.line) {
      assert.equal(text.slice(instruction.keywordRange.start.offset, instruction.keywordRange.end.offset), instruction.keywordText, `${where}: keyword text`);
    }
    assert.ok(within(instruction.argsRange, instruction.range) || instruction.argsText === '', `${where}: argsRange outside the instruction`);
    for (const flag of instruction.flags) {
      assert.ok(within(flag.range, instruction.range), `${where}: flag --${flag.name} outside the instruction`);
      assert.ok(within(flag.nameRange, flag.range), `${where}: flag name outside the flag`);
      if (flag.valueRange) assert.ok(within(flag.valueRange, flag.range), `${where}: flag value outside the flag`);
    }
    for (const word of [...instruction.args, ...wordsIn(instruction)] as { text: string; range: Range; parts?: AstWordPart[] }[]) {
      assert.ok(within(word.range, instruction.range), `${where}: word ${JSON.stringify(word.text)} outside the instruction`);
      const checkParts = (parts: AstWordPart[] | undefined, outer: Range, what: string) => {
        for (const part of parts ?? []) {
          assert.ok(within(part.range, outer), `${where}: ${what} outside its ${what === 'word part' ? 'word' : 'variable'}`);
          if (part.kind === 'variable') {
            assert.ok(within(part.nameRange, part.range), `${where}: variable name outside its variable`);
            checkParts(part.operand, part.range, 'operand part');
            checkParts(part.replacement, part.range, 'replacement part');
          }
        }
      };
      checkParts(word.parts, word.range, 'word part');
    }
    for (const heredoc of instruction.heredocs) {
      assert.ok(within(heredoc.startRange, instruction.range), `${where}: heredoc start outside the instruction`);
      assert.ok(within(heredoc.contentRange, heredoc.range), `${where}: heredoc content outside the heredoc`);
    }
  }
  for (const comment of ast.comments) {
    assert.equal(text.slice(comment.range.start.offset, comment.range.end.offset), `#${comment.text}`, 'comment range and text');
  }
}

function parseAndCheck(text: string): ParseResult {
  let result: ParseResult;
  try {
    result = parse(text);
  } catch (e) {
    assert.fail(`parse threw on ${JSON.stringify(text)}: ${(e as Error).stack ?? String(e)}`);
  }
  checkResult(text, result);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Generators

const INTERESTING = ['\r', '\n', '\r\n', '\\', '`', '#', '$', '${', '}', '<<', '<<-', '[', ']', '"', "'", ' ', '\t', '=', '--', ':', '-', 'EOF', '\ufeff', 'é', '😀', '\ud800', '\u2028', 'RUN ', 'FROM ', 'a'];

const interestingString = fc.array(fc.constantFrom(...INTERESTING), { maxLength: 60 }).map((parts) => parts.join(''));
const anyString = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  interestingString,
  fc.array(fc.oneof(interestingString, fc.string({ maxLength: 10 })), { maxLength: 6 }).map((xs) => xs.join('')),
);

const KEYWORDS = ['FROM', 'COPY', 'ADD', 'ARG', 'RUN', 'CMD', 'ENV', 'LABEL', 'MAINTAINER', 'APP', 'APPCMDS', 'APPENV', 'LAUNCH', 'CMDS', 'CNI', 'CSI', 'KUBEVERSION'];
const UNKNOWN_KEYWORDS = ['WORKDIR', 'COPPY', 'foo', 'ENTRYPOINT', 'LAUNCHH'];

function randomCase(word: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(word) },
    fc.constant(word.toLowerCase()),
    fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((ups) => [...word].map((c, i) => (ups[i] ? c.toUpperCase() : c.toLowerCase())).join('')),
  );
}

const keyword = fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...KEYWORDS) }, fc.constantFrom(...UNKNOWN_KEYWORDS)).chain(randomCase);

const flag = fc.constantFrom(
  '--platform=linux/amd64',
  '--platform=${TARGETPLATFORM}',
  '--from=builder',
  '--chmod=755',
  '--chown=1000:1000',
  '--link',
  '--link=false',
  '--exclude=*.md',
  '--network=none',
  '--network=cloud',
  '--mount=type=cache,target=/root/.cache',
  '--security',
  '--foo',
  '--',
  '--x="quoted value"',
  '--platform=',
);

const varName = fc.constantFrom('ARCH', 'Version', 'V', 'a_b', 'TARGETARCH', 'é', '1', '@');
const variable = fc.oneof(
  varName.map((n) => `$${n}`),
  varName.map((n) => `\${${n}}`),
  fc.tuple(varName, fc.constantFrom(':-', '-', ':+', '+', ':?', '?', '#', '##', '%', '%%', ':', ''), fc.constantFrom('def', 'x y', '${B}', '$C', '')).map(([n, m, w]) => `\${${n}${m}${w}}`),
  fc.tuple(varName, fc.constantFrom('/', '//'), fc.constantFrom('a', '${P}'), fc.constantFrom('/b', '', '/${R:-z}')).map(([n, m, p, r]) => `\${${n}${m}${p}${r}}`),
  fc.constantFrom('${', '${}', '${A', '${A:', '${A:-', '${A/', '${A:-${B}', '$', '${a b}', '$$', '\\$X', '${A\\', '${A:\\'),
);

const plainWord = fc.constantFrom('scratch', 'kubernetes:v1.19.8', 'a', 'b.yaml', 'manifests', 'charts', 'local://app1', 'https://x/y.yaml', 'app.yaml', 'key=value', 'k="v w"', "k='v'", 'k=', '=v', 'a\\ b', 'x`y', 'é', '😀', 'AS', 'stage', '1.22', '-', '&&', 'echo', '#not-a-comment', '"unterminated', "'single");

const word = fc.oneof(
  { weight: 4, arbitrary: plainWord },
  { weight: 2, arbitrary: variable },
  fc.tuple(plainWord, variable, plainWord).map(([a, v, b]) => `${a}${v}${b}`),
  fc.tuple(variable, variable).map(([a, b]) => `"${a} ${b}"`),
);

const jsonArray = fc.oneof(
  fc.array(fc.oneof(plainWord, variable), { maxLength: 4 }).map((xs) => JSON.stringify(xs)),
  fc.array(fc.oneof(plainWord, variable), { maxLength: 3 }).map((xs) => `[ ${xs.map((x) => JSON.stringify(x)).join(' , ')} ]`),
  fc.constantFrom('["a\\u0041\\n", "b\\"c"]', "['a', 'b']", '[1, "a"]', '["a",]', '[', '[]', '["unclosed', '["x"] trailing'),
);

const heredocName = fc.constantFrom('EOF', 'EOT', 'END', 'x');
const heredocStart = fc.tuple(fc.constantFrom('<<', '<<-', '0<<', '2<<'), fc.constantFrom('', '"', "'"), heredocName).map(([op, q, n]) => ({ word: `${op}${q}${n}${q}`, name: n, chomp: op.endsWith('-') }));
const bodyLine = fc.oneof(fc.constantFrom('echo hi', '\techo tabbed', 'EOFX', ' EOF', '${X}', '\\', '# not a comment', ''), word);

interface Piece {
  text: string;
  heredocs: { name: string; chomp: boolean }[];
}

const argPiece: fc.Arbitrary<Piece> = fc.oneof(
  { weight: 8, arbitrary: word.map((w) => ({ text: w, heredocs: [] })) },
  { weight: 1, arbitrary: heredocStart.map((h) => ({ text: h.word, heredocs: [{ name: h.name, chomp: h.chomp }] })) },
);

/** What separates two words: blanks or a line continuation, maybe with comment/blank lines. */
function separator(escape: string): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(' ', '  ', '\t') },
    fc.tuple(fc.constantFrom('', ' ', ' \t'), fc.array(fc.constantFrom('# comment\n', '  # indented comment\n', '\n', '   \n', '#\n'), { maxLength: 2 }), fc.constantFrom('', '  ')).map(
      ([before, lines, indent]) => ` ${escape}${before}\n${lines.join('')}${indent}`,
    ),
  );
}

function instructionLine(escape: string): fc.Arbitrary<string> {
  return fc
    .record({
      keyword,
      lead: fc.constantFrom('', ' ', '\t'),
      flags: fc.array(flag, { maxLength: 2 }),
      args: fc.oneof({ weight: 3, arbitrary: fc.array(argPiece, { maxLength: 5 }) }, jsonArray.map((j): Piece[] => [{ text: j, heredocs: [] }])),
      seps: fc.array(separator(escape), { minLength: 8, maxLength: 8 }),
      bodies: fc.array(fc.array(bodyLine, { maxLength: 3 }), { minLength: 3, maxLength: 3 }),
      terminate: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      trailing: fc.constantFrom('', ' ', `${escape}`, '\t'),
    })
    .map((r) => {
      const args: Piece[] = r.args;
      const words = [...r.flags, ...args.map((a) => a.text)];
      let line = r.lead + r.keyword;
      words.forEach((w, i) => (line += r.seps[i % r.seps.length] + w));
      line += r.trailing;
      const heredocs = args.flatMap((a) => a.heredocs);
      let bodies = '';
      heredocs.slice(0, 3).forEach((h, i) => {
        for (const body of r.bodies[i]) bodies += `\n${body}`;
        if (r.terminate[i]) bodies += `\n${h.chomp ? '\t' : ''}${h.name}`;
      });
      return line + bodies;
    });
}

function kubefile(escape: '\\' | '`'): fc.Arbitrary<string> {
  const line = fc.oneof(
    { weight: 8, arbitrary: instructionLine(escape) },
    fc.constantFrom('', '# a comment', '  # indented', '#', '   ', '# escape=`'),
  );
  return fc
    .record({
      directives: escape === '`' ? fc.constantFrom(['# escape=`'], ['# syntax=x', '#escape = `']) : fc.constantFrom([], ['# escape=\\'], ['# check=skip=all'], ['# escape=x'], ['# escape=\\', '# escape=`']),
      lines: fc.array(line, { maxLength: 12 }),
      eol: fc.constantFrom('\n', '\r\n'),
      finalNewline: fc.boolean(),
      bom: fc.boolean(),
    })
    .map((r) => {
      const body = [...r.directives, ...r.lines].join('\n') + (r.finalNewline ? '\n' : '');
      return (r.bom ? '\ufeff' : '') + (r.eol === '\n' ? body : body.replace(/\n/g, r.eol));
    });
}

const structuredKubefile = fc.oneof(kubefile('\\'), kubefile('`'));

const VALID = [
  'FROM kubernetes:v1.19.8\nCOPY dashborad.yaml manifests\nCOPY ${ARCH}/helm bin\nCOPY my-mysql charts\nCMD helm install my-mysql bitnami/mysql --version 8.8.26\nCMD kubectl apply -f manifests/dashborad.yaml\n',
  'FROM kubernetes:v1.19.8\nARG Version=4.0.0\nRUN echo ${Version}\nCOPY mysql.tar images\nCOPY imageList manifests\nCOPY traefik charts\nCOPY shell.yaml plugins\nCOPY recommended.yaml manifests\nCMD kubectl apply -f manifests/recommended.yaml\nCMD helm install mytest charts/traefik\n',
  'FROM scratch\nAPP app1 local://app1\nAPPENV app1 key1=value1\nAPPCMDS app1 ["bash", "install.sh"]\nLAUNCH ["app1"]\n',
  '# escape=`\nARG BASE=scratch\nFROM --platform=${TARGETPLATFORM} ${BASE}\nRUN echo a `\n  # inner comment\n  b\nLABEL a="b c" `\n  d=e\nCMDS ["kubectl get pods", "helm list"]\n',
  'FROM scratch\nRUN <<EOF cat >/x\nline ${A:-b}\nEOF\nCOPY <<-"END" /dst\n\tbody\n\tEND\nENV K=v L="w x"\nKUBEVERSION 1.22 - 1.24\nMAINTAINER Jane <j@example.com>\n',
  'FROM a\nCNI calico local://calico.sh\nCSI ceph https://x/ceph.yaml\nAPPENV calico key=${V//a/b}\nLAUNCH calico ceph\n',
];

const INSERTABLE = ['\\', '\n', '\r', '`', '#', '$', '{', '}', '[', ']', '"', "'", '<', '=', ' ', '-', 'EOF', '\\\n', '\r\n', '😀', '\ud83d'];

type Mutation = { kind: 'deleteChar' | 'insert' | 'duplicateChar' | 'deleteLine' | 'duplicateLine' | 'swapLines'; at: number; what: string };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('deleteChar', 'insert', 'duplicateChar', 'deleteLine', 'duplicateLine', 'swapLines'),
  at: fc.nat(),
  what: fc.oneof(fc.constantFrom(...INSERTABLE), fc.string({ maxLength: 3 })),
}) as fc.Arbitrary<Mutation>;

function mutate(text: string, m: Mutation): string {
  if (m.kind.endsWith('Line') || m.kind === 'swapLines') {
    const lines = text.split('\n');
    const i = m.at % lines.length;
    if (m.kind === 'deleteLine') lines.splice(i, 1);
    else if (m.kind === 'duplicateLine') lines.splice(i, 0, lines[i]);
    else {
      const j = (i + 1) % lines.length;
      [lines[i], lines[j]] = [lines[j], lines[i]];
    }
    return lines.join('\n');
  }
  const i = m.at % (text.length + 1);
  if (m.kind === 'deleteChar') return text.slice(0, i) + text.slice(i + 1);
  if (m.kind === 'duplicateChar') return text.slice(0, i) + text.slice(i, i + 1) + text.slice(i);
  return text.slice(0, i) + m.what + text.slice(i);
}

const mutatedKubefile = fc
  .tuple(fc.oneof(fc.constantFrom(...VALID), structuredKubefile), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([text, ms]) => ms.reduce(mutate, text));

// ---------------------------------------------------------------------------------------------

/** `FUZZ_SCALE=20 npx mocha ...` runs every property 20 times as often (for a fuzzing session). */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? '1') || 1);
const runs = (n: number) => ({ numRuns: n * SCALE });

describe('parser properties', function () {
  this.timeout(30000 * SCALE);

  it('the valid seed Kubefiles parse without errors', () => {
    for (const text of VALID) {
      const { ast, diagnostics } = parseAndCheck(text);
      assert.deepEqual(
        diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`),
        [],
        text,
      );
      assert.ok(ast.instructions.length >= 5);
    }
  });

  it('never throws on arbitrary strings and returns a well-formed result', () => {
    fc.assert(
      fc.property(anyString, (text) => {
        parseAndCheck(text);
      }),
      runs(1500),
    );
  });

  it('never throws on structured random Kubefiles, and all ranges are consistent', () => {
    fc.assert(
      fc.property(structuredKubefile, (text) => {
        parseAndCheck(text);
      }),
      runs(800),
    );
  });

  it('structured Kubefiles produce the instructions they were built from', () => {
    // Sanity check of the generator: most generated files do contain instructions, heredocs, flags.
    const samples = fc.sample(structuredKubefile, { numRuns: 300, seed: 42 });
    const results = samples.map((t) => parse(t).ast);
    assert.ok(results.filter((a) => a.instructions.length > 0).length > 200);
    assert.ok(results.some((a) => a.instructions.some((i) => i.heredocs.length > 0)), 'no heredocs generated');
    assert.ok(results.some((a) => a.instructions.some((i) => i.flags.length > 0)), 'no flags generated');
    assert.ok(results.some((a) => a.escapeChar === '`'), 'no escape directive generated');
    assert.ok(results.some((a) => a.instructions.some((i) => i.range.start.line !== i.range.end.line)), 'no continuations generated');
    assert.ok(results.some((a) => a.instructions.some((i) => i.form === 'exec')), 'no JSON arrays generated');
  });

  it('never throws on mutations of valid Kubefiles', () => {
    fc.assert(
      fc.property(mutatedKubefile, (text) => {
        parseAndCheck(text);
      }),
      runs(1000),
    );
  });

  it('reparse after each of a series of edits gives what parse gives', () => {
    // Edits that change where instructions end: continuations, heredocs, directives, a byte order mark.
    const STRUCTURAL = ['RUN <<EOF\n', '\nEOF\n', 'EOF', ' \\\n', '\\', '`\n', '# escape=`\n', '# escape=\\\n', '\ufeff', 'COPY <<-END x\n\tEND\n', '\n\n', '#', 'FROM a\n'];
    const edit = fc.oneof(mutation, fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), what: fc.constantFrom(...STRUCTURAL) }));
    const snapshot = (r: ParseResult) => JSON.stringify({ ast: r.ast, diagnostics: r.diagnostics });
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...VALID), structuredKubefile), fc.array(edit, { minLength: 1, maxLength: 8 }), (start, edits) => {
        let text = start;
        let previous = parse(text);
        for (const m of edits) {
          text = mutate(text, m);
          const next = reparse(previous, text);
          assert.equal(snapshot(next), snapshot(parse(text)), `after ${JSON.stringify(m)}: ${JSON.stringify(text)}`);
          checkResult(text, next);
          previous = next;
        }
      }),
      runs(600),
    );
  });

  it('is deterministic: the same text parses to deep-equal results', () => {
    fc.assert(
      fc.property(fc.oneof(structuredKubefile, mutatedKubefile, anyString), (text) => {
        const a = parse(text);
        const b = parse(text);
        assert.deepStrictEqual(b.ast, a.ast);
        assert.deepStrictEqual(b.diagnostics, a.diagnostics);
        assert.deepStrictEqual(b.lines.lineStarts, a.lines.lineStarts);
      }),
      runs(400),
    );
  });

  it('parsing the same text twice is not affected by parsing another text in between', () => {
    fc.assert(
      fc.property(structuredKubefile, structuredKubefile, (text, other) => {
        const a = parse(text);
        parse(other);
        assert.deepStrictEqual(parse(text).ast, a.ast);
      }),
      runs(200),
    );
  });

  it('reads the same instructions with LF and CRLF line endings', () => {
    const simpleLine = fc
      .record({
        keyword,
        flags: fc.array(flag, { maxLength: 2 }),
        args: fc.oneof({ weight: 3, arbitrary: fc.array(word, { maxLength: 4 }) }, jsonArray.map((j) => [j])),
      })
      .map((r) => [r.keyword, ...r.flags, ...r.args].join(' '));
    const lfKubefile = fc
      .record({
        directive: fc.constantFrom('', '# escape=`\n', '# syntax=docker/dockerfile:1\n'),
        lines: fc.array(fc.oneof({ weight: 6, arbitrary: simpleLine.map((l) => ({ l, instruction: true })) }, fc.constantFrom('', '# comment', '  ').map((l) => ({ l, instruction: false }))), {
          minLength: 1,
          maxLength: 10,
        }),
        finalNewline: fc.boolean(),
      })
      .map((r) => ({
        lf: r.directive + r.lines.map((x) => x.l).join('\n') + (r.finalNewline ? '\n' : ''),
        count: r.lines.filter((x) => x.instruction).length,
      }));
    const summary = (text: string) => {
      const { ast, diagnostics } = parse(text);
      return {
        escape: ast.escapeChar,
        directives: ast.directives.map((d) => [d.name, d.value]),
        comments: ast.comments.map((c) => c.text),
        instructions: ast.instructions.map((i) => ({
          keyword: i.keyword,
          keywordText: i.keywordText,
          form: i.form,
          argsText: i.argsText,
          flags: i.flags.map((f) => [f.name, f.value, f.text]),
          args: i.args.map((w) => w.text),
          line: i.range.start.line,
        })),
        codes: diagnostics.map((d) => [d.code, d.range.start.line, d.range.start.column]),
      };
    };
    let checked = 0;
    fc.assert(
      fc.property(lfKubefile, ({ lf, count }) => {
        // Only files without continuations and heredocs: there CRLF handling has its own rules.
        fc.pre(!/[\\`][ \t]*(\n|$)/.test(lf) && !lf.includes('<<'));
        const crlf = lf.replace(/\n/g, '\r\n');
        parseAndCheck(crlf);
        const a = summary(lf);
        assert.equal(a.instructions.length, count);
        assert.deepStrictEqual(summary(crlf), a);
        checked++;
      }),
      runs(500),
    );
    assert.ok(checked > 250, `only ${checked} files met the precondition`);
  });
});
