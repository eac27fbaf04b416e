/**
 * One or more tests per KF1xxx code: code, severity, exact range (1-based in the helpers),
 * message and quick fixes; then error recovery.
 */
import assert from 'node:assert/strict';
import { CATALOGUE, DIAGNOSTIC_CODES, parse, type Diagnostic, type DiagnosticCode } from '@kubefile/grammar';
import { codesOf, expectClean, expectDiagnostics, lines, oneDiagnostic, parseAs, parseOne, span } from './helpers.js';

/** `title: 1:1-1:6 => "text"` for each edit of each fix. */
function fixesOf(d: Diagnostic): string[] {
  return (d.fixes ?? []).flatMap((f) => f.edits.map((e) => `${f.title}: ${span(e.range)} => ${JSON.stringify(e.newText)}`));
}

describe('diagnostics: catalogue', () => {
  const syntaxCodes = DIAGNOSTIC_CODES.filter((c) => c.startsWith('KF1'));

  it('has the KF1001..KF1019 syntax codes', () => {
    assert.deepEqual(
      syntaxCodes,
      Array.from({ length: 19 }, (_, i) => `KF${1001 + i}`),
    );
  });

  // Their examples would put control characters into docs/diagnostics.md: tested in 'KF1017/KF1018 control characters'.
  const WITHOUT_EXAMPLE = new Set(['KF1017', 'KF1018']);
  for (const code of syntaxCodes.filter((c) => !WITHOUT_EXAMPLE.has(c))) {
    const example = CATALOGUE[code as DiagnosticCode] as { example?: string; severity: string };
    it(`${code}: the catalogue example reports ${code} with the catalogue severity`, () => {
      assert.ok(example.example, `${code} has no example`);
      const found = parse(example.example).diagnostics.filter((d) => d.code === code);
      assert.equal(found.length, 1, `${code} example: ${JSON.stringify(codesOf(example.example))}`);
      assert.equal(found[0].severity, example.severity);
    });
  }

  it('the parser reports no KF2xxx/KF3xxx codes', () => {
    assert.deepEqual(codesOf(lines('COPY a b', 'FROM x', 'FROM y', 'MAINTAINER me')), []);
  });
});

describe('KF1001 unknown instruction', () => {
  it('a near miss gets "did you mean" and a fix replacing the keyword', () => {
    const [d] = expectDiagnostics(lines('FROM a', 'COPPY app.yaml manifests'), [
      { code: 'KF1001', line: 2, column: 1, endLine: 2, endColumn: 6, severity: 'error', message: 'unknown instruction: COPPY (did you mean COPY?)' },
    ]);
    assert.deepEqual(fixesOf(d), ['Change to COPY: 2:1-2:6 => "COPY"']);
  });

  it('suggestions work for lower-case spellings and transpositions', () => {
    assert.match(oneDiagnostic('lanuch ["a"]').message, /\(did you mean LAUNCH\?\)$/);
    assert.match(oneDiagnostic('APPCMD nginx ["a"]').message, /did you mean APPCMDS\?/);
  });

  it('a word far from every keyword gets no suggestion and no fix', () => {
    const d = oneDiagnostic('foo bar');
    assert.equal(d.message, 'unknown instruction: foo');
    assert.equal(d.fixes, undefined);
    assert.equal(span(d.range), '1:1-1:4');
  });

  it('Dockerfile-only instructions (WORKDIR, ENTRYPOINT, ...) are named as such', () => {
    expectDiagnostics(lines('FROM a', 'workdir /app', 'ENTRYPOINT ["x"]', 'EXPOSE 80'), [
      { code: 'KF1001', line: 2, column: 1, endColumn: 8, message: 'WORKDIR is a Dockerfile instruction that Kubefiles do not support' },
      { code: 'KF1001', line: 3, column: 1, endColumn: 11, message: 'ENTRYPOINT is a Dockerfile instruction' },
      { code: 'KF1001', line: 4, column: 1, endColumn: 7, message: 'EXPOSE is a Dockerfile instruction' },
    ]);
  });

  it('an unknown instruction is still in the AST, with its words', () => {
    const i = parseOne('WORKDIR /app');
    assert.equal(i.keyword, 'WORKDIR');
    assert.ok('unknown' in i && i.unknown);
    assert.deepEqual(i.args.map((a) => a.text), ['/app']);
  });
});

describe('KF1002 missing arguments', () => {
  it('COPY src without a destination: on the source', () => {
    expectDiagnostics('COPY dashboard.yaml', [
      { code: 'KF1002', line: 1, column: 6, endColumn: 20, severity: 'error', message: 'COPY requires at least two arguments, but only one was provided' },
    ]);
  });

  it('COPY src: the word is a source, there is no destination', () => {
    const copy = parseAs('COPY a', 'COPY');
    assert.deepEqual(copy.sources.map((s) => s.text), ['a']);
    assert.equal(copy.destination, undefined);
  });

  it('FROM alone: on the keyword', () => {
    expectDiagnostics('FROM', [{ code: 'KF1002', line: 1, column: 1, endColumn: 5, message: 'FROM requires the base image' }]);
  });

  it('ADD and COPY without arguments', () => {
    expectDiagnostics(lines('ADD', 'COPY  '), [
      { code: 'KF1002', line: 1, column: 1, endColumn: 4, message: 'ADD requires at least two arguments' },
      { code: 'KF1002', line: 2, column: 1, endColumn: 5, message: 'COPY requires at least two arguments' },
    ]);
  });

  it('RUN, ARG, ENV, LABEL, MAINTAINER, KUBEVERSION without arguments', () => {
    expectDiagnostics(lines('RUN', 'ARG', 'ENV', 'LABEL', 'MAINTAINER', 'KUBEVERSION'), [
      { code: 'KF1002', line: 1, column: 1, endColumn: 4, message: 'RUN requires a command' },
      { code: 'KF1002', line: 2, column: 1, endColumn: 4, message: 'ARG requires at least one argument' },
      { code: 'KF1002', line: 3, column: 1, endColumn: 4, message: 'ENV requires at least one argument' },
      { code: 'KF1002', line: 4, column: 1, endColumn: 6, message: 'LABEL requires at least one argument' },
      { code: 'KF1002', line: 5, column: 1, endColumn: 11, message: 'MAINTAINER requires a name' },
      { code: 'KF1002', line: 6, column: 1, endColumn: 12, message: 'KUBEVERSION requires a version range' },
    ]);
  });

  it('APP with a name but no source: on the name', () => {
    expectDiagnostics('APP nginx', [{ code: 'KF1002', line: 1, column: 5, endColumn: 10, message: 'APP requires an application name and at least one source' }]);
  });

  it('LAUNCH [] and APPENV without pairs', () => {
    expectDiagnostics(lines('LAUNCH []', 'APPENV app'), [
      { code: 'KF1002', line: 1, column: 8, endColumn: 10, message: 'LAUNCH requires at least one application' },
      { code: 'KF1002', line: 2, column: 8, endColumn: 11, message: 'APPENV requires an application name and at least one key=value pair' },
    ]);
  });

  it('RUN [] (an empty exec form) has no command', () => {
    expectDiagnostics('RUN []', [{ code: 'KF1002', line: 1, column: 5, endColumn: 7, message: 'RUN requires a command' }]);
  });

  it('a COPY whose only source is a heredoc is complete', () => {
    expectClean(lines('COPY <<EOF /etc/motd', 'hi', 'EOF'));
  });
});

describe('KF1003 too many arguments', () => {
  it('FROM a b: on the extra words', () => {
    expectDiagnostics('FROM kubernetes:v1.19.8 extra', [
      { code: 'KF1003', line: 1, column: 25, endColumn: 30, severity: 'error', message: 'FROM takes one argument (the base image), but 2 were given' },
    ]);
  });

  it('FROM a b c spans all extra words', () => {
    expectDiagnostics('FROM a b c', [{ code: 'KF1003', line: 1, column: 8, endColumn: 11, message: 'but 3 were given' }]);
  });

  it('FROM a AS name is accepted (stage name recorded)', () => {
    const from = parseAs('FROM base AS build', 'FROM');
    expectClean('FROM base AS build');
    assert.equal(from.stageName?.text, 'build');
  });
});

describe('KF1019 invalid stage name', () => {
  it('a name starting with a digit is an error on the name', () => {
    expectDiagnostics('FROM base AS 1st', [{ code: 'KF1019', line: 1, column: 14, endColumn: 17, severity: 'error', message: 'Invalid name for build stage: "1st"' }]);
  });

  it('a symbol is an error; upper case, digits, -, _ and . are not', () => {
    expectDiagnostics('FROM base AS my/stage', [{ code: 'KF1019', line: 1, column: 14 }]);
    expectClean('FROM base AS Build-1_a.b');
  });
});

describe('KF1004 invalid JSON array', () => {
  it("single quotes: warning with a fix to double quotes", () => {
    const [d] = expectDiagnostics("CMD ['kubectl', 'get', 'pods']", [
      { code: 'KF1004', line: 1, column: 5, endColumn: 31, severity: 'warning', message: 'invalid JSON array (JSON strings need double quotes); it is treated as shell form' },
    ]);
    assert.deepEqual(fixesOf(d), ['Use double quotes (JSON): 1:5-1:31 => "[\\"kubectl\\", \\"get\\", \\"pods\\"]"']);
  });

  it('a missing comma: warning without a fix', () => {
    const [d] = expectDiagnostics('RUN ["a" "b"]', [{ code: 'KF1004', line: 1, column: 5, endColumn: 14, message: 'check the quotes and commas' }]);
    assert.equal(d.fixes, undefined);
  });

  it('a missing closing bracket', () => {
    expectDiagnostics('COPY ["a", "b"', [{ code: 'KF1004', line: 1, column: 6, endColumn: 15 }]);
  });

  it('CMDS with bare words: every word would be a command; the fix makes one command', () => {
    const [d] = expectDiagnostics('CMDS kubectl get nodes', [
      { code: 'KF1004', line: 1, column: 6, endColumn: 23, severity: 'warning', message: 'CMDS without a JSON array runs every word as a separate command' },
    ]);
    assert.deepEqual(fixesOf(d), ['Make it one command: 1:6-1:23 => "[\\"kubectl get nodes\\"]"']);
  });

  it('CMDS with a broken JSON array is reported once', () => {
    expectDiagnostics("CMDS ['a b', 'c']", [{ code: 'KF1004', line: 1, column: 6, message: 'JSON strings need double quotes' }]);
    expectDiagnostics('CMDS ["a", 1]', [{ code: 'KF1005', line: 1, column: 6 }]);
  });

  it('text that is not JSON-like gets no warning', () => {
    expectClean('RUN [[ -f x ]] && y');
    expectClean('CMD [x]');
  });
});

describe('KF1005 JSON array with non-string elements', () => {
  it('CMD ["sleep", 10]', () => {
    expectDiagnostics('CMD ["sleep", 10]', [
      { code: 'KF1005', line: 1, column: 5, endColumn: 18, severity: 'error', message: 'when using JSON array syntax, arrays must be comprised of strings only' },
    ]);
  });

  it('on COPY, LAUNCH and APPCMDS too', () => {
    expectDiagnostics(lines('COPY ["a", null]', 'LAUNCH [true]', 'APPCMDS app ["x", 1]'), [
      { code: 'KF1005', line: 1, column: 6, endColumn: 17 },
      { code: 'KF1005', line: 2, column: 8, endColumn: 14 },
      { code: 'KF1005', line: 3, column: 13, endColumn: 21 },
    ]);
  });
});

describe('KF1006 malformed name=value', () => {
  it('ENV a=1 b: on the word without =', () => {
    expectDiagnostics('ENV a=1 b', [
      { code: 'KF1006', line: 1, column: 9, endColumn: 10, severity: 'error', message: `Syntax error - can't find = in "b". Must be of the form: name=value` },
    ]);
  });

  it('ARG =x: blank name', () => {
    expectDiagnostics('ARG a =x', [{ code: 'KF1006', line: 1, column: 7, endColumn: 9, message: 'ARG names can not be blank' }]);
  });

  it('ENV =x and LABEL =x: blank name', () => {
    expectDiagnostics(lines('ENV =x', 'LABEL a=b =c'), [
      { code: 'KF1006', line: 1, column: 5, endColumn: 7, message: 'ENV names can not be blank' },
      { code: 'KF1006', line: 2, column: 11, endColumn: 13, message: 'LABEL names can not be blank' },
    ]);
  });

  it('LABEL with a single word (legacy form without a value)', () => {
    expectDiagnostics('LABEL maintainer', [{ code: 'KF1006', line: 1, column: 7, endColumn: 17, message: 'LABEL must have two arguments' }]);
  });

  it('APPENV app key without a value', () => {
    expectDiagnostics('APPENV app key', [{ code: 'KF1006', line: 1, column: 12, endColumn: 15, message: 'APPENV must have two arguments' }]);
  });
});

describe('KF1007 bad variable substitution', () => {
  it('${} is a bad substitution', () => {
    expectDiagnostics('COPY ${} a', [{ code: 'KF1007', line: 1, column: 6, endColumn: 9, severity: 'error', message: 'syntax error: bad substitution' }]);
  });

  it('${:-x} is a bad substitution', () => {
    expectDiagnostics('ENV a=${:-x}', [{ code: 'KF1007', line: 1, column: 7, message: 'bad substitution' }]);
  });

  it('${a b} (inside quotes, one word) is an unsupported modifier ( )', () => {
    expectDiagnostics('ENV x="${a b}"', [{ code: 'KF1007', line: 1, column: 8, endColumn: 14, message: 'unsupported modifier ( ) in substitution' }]);
  });

  it('${V:x} is an unsupported modifier (:x)', () => {
    expectDiagnostics('COPY ${V:x} d', [{ code: 'KF1007', line: 1, column: 6, endColumn: 12, message: 'unsupported modifier (:x) in substitution' }]);
  });

  it('${V:#p} is an unsupported modifier (:#)', () => {
    expectDiagnostics('ENV y=${V:#p}', [{ code: 'KF1007', line: 1, column: 7, endColumn: 14, message: 'unsupported modifier (:#) in substitution' }]);
  });

  it("a missing } is reported from the ${ to the end of the word", () => {
    expectDiagnostics('COPY ${a:-b e', [{ code: 'KF1007', line: 1, column: 6, endColumn: 12, message: "syntax error: missing '}'" }]);
  });

  it("${V/pattern without its / is a missing '/'", () => {
    expectDiagnostics('COPY ${ARCH/helm bin', [{ code: 'KF1007', line: 1, column: 6, endColumn: 17, message: "syntax error: missing '/' in ${}" }]);
  });

  it('RUN text: only an unclosed ${ is an error (sh accepts the rest)', () => {
    expectDiagnostics('RUN echo ${A:x} ${B', [{ code: 'KF1007', line: 1, column: 17, endColumn: 20, message: "missing '}'" }]);
  });
});

describe('KF1008 unterminated quote', () => {
  it('ENV msg="hello: reported once, from the quote to the end', () => {
    expectDiagnostics('ENV msg="hello', [
      { code: 'KF1008', line: 1, column: 9, endColumn: 15, severity: 'error', message: 'unexpected end of statement while looking for matching double-quote' },
    ]);
  });

  it("LABEL k='v w (legacy form): single quote", () => {
    expectDiagnostics("LABEL k 'v w", [{ code: 'KF1008', line: 1, column: 9, endColumn: 13, message: 'single-quote' }]);
  });

  it('an open quote in a name is reported on the word', () => {
    expectDiagnostics('ENV "a b', [{ code: 'KF1008', line: 1, column: 5, endColumn: 9, message: 'unterminated double quote' }]);
  });

  it('together with a KF1006 on the same word', () => {
    expectDiagnostics('ENV a=1 "b', [
      { code: 'KF1006', line: 1, column: 9, endColumn: 11 },
      { code: 'KF1008', line: 1, column: 9, endColumn: 11 },
    ]);
  });

  it('quotes in RUN text are the shell’s business', () => {
    expectClean('RUN echo "unterminated');
  });
});

describe('KF1009 unterminated heredoc', () => {
  it('on the <<EOF word', () => {
    expectDiagnostics(lines('RUN <<EOF', 'echo hi'), [
      { code: 'KF1009', line: 1, column: 5, endColumn: 10, severity: 'error', message: 'unterminated heredoc: the file ends before the delimiter line "EOF"' },
    ]);
  });

  it('when the heredoc line is the last line (no body at all)', () => {
    const [d] = expectDiagnostics('COPY <<EOF /x', [{ code: 'KF1009', line: 1, column: 6, endColumn: 11 }]);
    assert.match(d.message, /"EOF"/);
    assert.equal(parseOne('COPY <<EOF /x').heredocs[0].terminated, false);
  });

  it('only the unterminated one of two heredocs', () => {
    expectDiagnostics(lines('COPY <<A <<B /d', 'a', 'A', 'b'), [{ code: 'KF1009', line: 1, column: 10, endColumn: 13, message: '"B"' }]);
  });

  it('a delimiter with trailing blanks does not terminate', () => {
    expectDiagnostics(lines('RUN <<EOF', 'x', 'EOF  '), [{ code: 'KF1009', line: 1, column: 5 }]);
  });
});

describe('KF1010 unknown or misplaced flag', () => {
  it('an unknown flag close to a known one: did you mean', () => {
    expectDiagnostics('COPY --frm=base a b', [
      { code: 'KF1010', line: 1, column: 6, endColumn: 16, severity: 'error', message: 'unknown flag: --frm (did you mean --from?)' },
    ]);
  });

  it('an unknown flag far from all: the accepted flags are listed', () => {
    expectDiagnostics('RUN --bogus make', [
      { code: 'KF1010', line: 1, column: 5, endColumn: 12, message: 'unknown flag: --bogus (RUN accepts --mount, --network, --security, --device)' },
    ]);
  });

  it('a flag on an instruction that takes none', () => {
    expectDiagnostics(lines('ENV --x=1 a=b', 'LAUNCH --force ["a"]'), [
      { code: 'KF1010', line: 1, column: 5, endColumn: 10, message: 'ENV does not take flags (--x)' },
      { code: 'KF1010', line: 2, column: 8, endColumn: 15, message: 'LAUNCH does not take flags (--force)' },
    ]);
  });

  it('COPY-only flags on ADD are unknown', () => {
    expectDiagnostics('ADD --from=x a b', [{ code: 'KF1010', line: 1, column: 5, endColumn: 13, message: 'unknown flag: --from' }]);
  });
});

describe('KF1011 invalid flag value', () => {
  it('a bool flag with a non-bool value: on the value', () => {
    expectDiagnostics('COPY --link=maybe a b', [
      { code: 'KF1011', line: 1, column: 13, endColumn: 18, severity: 'error', message: 'expecting boolean value for flag --link, not: maybe' },
    ]);
  });

  it('bool flags accept no value, true and false in any case', () => {
    expectClean(lines('COPY --link a b', 'COPY --link=TRUE a b', 'COPY --parents=false a b', 'ADD --unpack=True --keep-git-dir a b'));
  });

  it('a bool flag with = and no value', () => {
    expectDiagnostics('COPY --link= a b', [{ code: 'KF1011', line: 1, column: 6, endColumn: 13, message: 'missing a value on flag: --link' }]);
  });

  it('a string flag without a value', () => {
    expectDiagnostics('COPY --from a b', [{ code: 'KF1011', line: 1, column: 6, endColumn: 12, message: 'missing a value on flag: --from (write --from=<value>)' }]);
  });

  it('RUN --network=cloud: not one of the allowed values', () => {
    expectDiagnostics('RUN --network=cloud echo', [
      { code: 'KF1011', line: 1, column: 15, endColumn: 20, message: 'invalid value "cloud" for --network: expected one of default, none, host' },
    ]);
  });

  it('RUN --security=unsafe', () => {
    expectDiagnostics('RUN --security=unsafe x', [{ code: 'KF1011', line: 1, column: 16, endColumn: 22, message: 'expected one of sandbox, insecure' }]);
  });

  it('a duplicate flag: on the second one', () => {
    expectDiagnostics('COPY --from=a --from=b x y', [{ code: 'KF1011', line: 1, column: 15, endColumn: 23, message: 'duplicate flag specified: --from' }]);
  });

  it('flags of type strings may repeat', () => {
    expectClean('COPY --exclude=*.md --exclude=*.txt . /app');
    expectClean('RUN --mount=type=cache,target=/a --mount=type=secret,id=b make');
  });
});

describe('KF1012 invalid parser directive', () => {
  it('an escape value other than \\ or a backtick', () => {
    expectDiagnostics(lines('# escape=x', 'FROM a'), [
      { code: 'KF1012', line: 1, column: 10, endColumn: 11, severity: 'error', message: "invalid escape token 'x' does not match ` or \\" },
    ]);
  });

  it('a duplicate syntax directive: on the whole second line', () => {
    expectDiagnostics(lines('# syntax=a', '#syntax = b', 'FROM a'), [
      { code: 'KF1012', line: 2, column: 1, endColumn: 12, message: 'only one syntax parser directive can be used' },
    ]);
  });
});

describe('KF1013 empty continuation line', () => {
  it('a warning on the empty line, with a fix removing it', () => {
    const [d] = expectDiagnostics(lines('RUN echo a \\', '', '  b'), [
      { code: 'KF1013', line: 2, column: 1, endLine: 2, endColumn: 1, severity: 'warning', message: 'Empty continuation line' },
    ]);
    assert.deepEqual(fixesOf(d), ['Remove the empty line: 2:1-3:1 => ""']);
  });

  it('a whitespace-only line counts as empty', () => {
    expectDiagnostics(lines('RUN a \\', '   \t', 'b'), [{ code: 'KF1013', line: 2, column: 1, endColumn: 5 }]);
  });

  it('one warning per empty line; comment lines are no empty lines', () => {
    expectDiagnostics(lines('RUN a \\', '', '# c', '', 'b'), [
      { code: 'KF1013', line: 2, column: 1 },
      { code: 'KF1013', line: 4, column: 1 },
    ]);
  });
});

describe('KF1014 JSON array required', () => {
  it('APPCMDS without JSON: a fix wraps the command', () => {
    const [d] = expectDiagnostics('APPCMDS nginx kubectl apply -f nginx.yaml', [
      { code: 'KF1014', line: 1, column: 15, endColumn: 42, severity: 'error', message: 'APPCMDS takes its command as a JSON array' },
    ]);
    assert.deepEqual(fixesOf(d), ['Wrap the command in a JSON array: 1:15-1:42 => "[\\"kubectl apply -f nginx.yaml\\"]"']);
  });

  it('APPCMDS with no command at all: on the application name, without a fix', () => {
    const [d] = expectDiagnostics('APPCMDS nginx', [{ code: 'KF1014', line: 1, column: 9, endColumn: 14 }]);
    assert.equal(d.fixes, undefined);
  });

  it('a valid APPCMDS is clean', () => {
    expectClean('APPCMDS nginx ["kubectl", "apply", "-f", "nginx.yaml"]');
  });
});

describe('KF1015 invalid application source', () => {
  it('APP source without a scheme: a fix prefixes local://', () => {
    const [d] = expectDiagnostics('APP nginx nginx.yaml local://ok.yaml', [
      { code: 'KF1015', line: 1, column: 11, endColumn: 21, severity: 'error', message: 'source "nginx.yaml" must start with local://, http:// or https://' },
    ]);
    assert.deepEqual(fixesOf(d), ['Change to local://nginx.yaml: 1:11-1:21 => "local://nginx.yaml"']);
  });

  it('a URL-like source gets no automatic fix (prefixing local:// would be wrong)', () => {
    const [d] = expectDiagnostics('APP a http:/x/a.yaml', [{ code: 'KF1015', line: 1, column: 7 }]);
    assert.equal(d.fixes, undefined);
  });

  it('CNI and CSI sources too; http(s) and local are fine', () => {
    expectDiagnostics(lines('CNI calico calico.yaml', 'CSI ceph ftp://x/y', 'APP a https://x/a.yaml http://y/b local://c'), [
      { code: 'KF1015', line: 1, column: 12, endColumn: 23 },
      { code: 'KF1015', line: 2, column: 10, endColumn: 19 },
    ]);
  });
});

describe('KF1016 invalid heredoc use', () => {
  it('a heredoc as the COPY destination', () => {
    expectDiagnostics(lines('COPY a.txt <<EOF', 'x', 'EOF'), [
      { code: 'KF1016', line: 1, column: 12, endColumn: 17, severity: 'error', message: 'COPY cannot accept a heredoc as a destination' },
    ]);
  });

  it('ADD too', () => {
    assert.deepEqual(codesOf(lines('ADD a <<EOF', 'x', 'EOF')), ['KF1016']);
  });
});

describe('diagnostics: recovery and ordering', () => {
  const text = lines(
    'ARG VERSION=1',
    'FROM kubernetes:v${VERSION}',
    'COPPY a.yaml manifests',
    'COPY charts charts',
    'ENV a=1 b',
    'APP nginx local://nginx.yaml',
    'RUN --network=cloud echo hi',
    'LAUNCH ["nginx"]',
  );

  it('reports every error, each on its own line', () => {
    expectDiagnostics(text, [
      { code: 'KF1001', line: 3, column: 1, endColumn: 6 },
      { code: 'KF1006', line: 5, column: 9, endColumn: 10 },
      { code: 'KF1011', line: 7, column: 15, endColumn: 20 },
    ]);
  });

  it('keeps every instruction in the AST', () => {
    const { ast } = parse(text);
    assert.deepEqual(
      ast.instructions.map((i) => [i.keyword, i.range.start.line]),
      [
        ['ARG', 0],
        ['FROM', 1],
        ['COPPY', 2],
        ['COPY', 3],
        ['ENV', 4],
        ['APP', 5],
        ['RUN', 6],
        ['LAUNCH', 7],
      ],
    );
    const launch = ast.instructions[7];
    assert.deepEqual(launch.args.map((a) => a.text), ['nginx']);
  });

  it('an unterminated heredoc swallows the rest but the AST is complete up to it', () => {
    const { ast, diagnostics } = parse(lines('FROM a', 'COPPY x y', 'RUN <<EOF', 'FROM b'));
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]), [
      ['KF1001', 1],
      ['KF1009', 2],
    ]);
    assert.deepEqual(ast.instructions.map((i) => i.keyword), ['FROM', 'COPPY', 'RUN']);
  });

  it('diagnostics come back sorted by position', () => {
    const { diagnostics } = parse(lines('COPY --bogus ${} x', 'FROM', '# escape=x'));
    const offsets = diagnostics.map((d) => d.range.start.offset);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b));
    assert.deepEqual(diagnostics.map((d) => d.code), ['KF1010', 'KF1007', 'KF1002']);
  });

  it('never throws on odd input', () => {
    for (const odd of ['', '\n', '\\', '`', '# escape=`\n`', '<<EOF', 'RUN <<', 'RUN <<"', '${', 'RUN \\\n', '\uFEFF', '\r\n\r\n', 'COPY --', 'ENV ""=""', '[]', 'RUN [', 'A\0B']) {
      assert.doesNotThrow(() => parse(odd), JSON.stringify(odd));
    }
  });
});
