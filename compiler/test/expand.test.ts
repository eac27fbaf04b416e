/**
 * Word expansion with BuildKit's shell-lexer semantics, over words the grammar parsed: values,
 * errors and undefined-variable reports. Expected values follow BuildKit's lex.go (and its tests),
 * including where it differs from POSIX sh.
 */
import assert from 'node:assert/strict';
import { isInstruction, parse, type AstVariable, type EscapeChar, type Word } from '@kubefile/grammar';
import { expandParts, expandWord, type ExpansionProblem } from '@kubefile/compiler';

type Env = Record<string, string>;

/** The value word of `LABEL x=<text>` (second line of the file, column 8 onwards). */
function labelWord(text: string, escape: EscapeChar = '\\'): Word {
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const { ast } = parse(`${prefix}FROM scratch\nLABEL x=${text}\n`);
  const label = ast.instructions[1];
  assert.ok(isInstruction(label, 'LABEL'), `LABEL expected for ${text}`);
  const value = label.pairs[0]?.value;
  assert.ok(value, `a value expected for ${text}`);
  return value;
}

function expand(text: string, env: Env, escape: EscapeChar = '\\') {
  const lookup = (name: string) => (Object.hasOwn(env, name) ? env[name] : undefined);
  return expandWord(labelWord(text, escape), lookup, escape);
}

const PATH = { V: 'dir/sub/file.tar.gz' };

// [word, env, expected value]
const VALUES: [string, Env, string][] = [
  // plain references
  ['$V', { V: 'x' }, 'x'],
  ['${V}', { V: 'x' }, 'x'],
  ['$V', {}, ''],
  ['pre-${V}-post', { V: 'x' }, 'pre-x-post'],
  ['$V_x', { V: 'a', V_x: 'b' }, 'b'],
  ['${V}_x', { V: 'a', V_x: 'b' }, 'a_x'],
  ['$1x', { '1': 'one' }, 'onex'],
  ['$12', {}, ''],
  ['$@', {}, ''],
  ['a$', {}, 'a$'],
  ['a$/b', {}, 'a$/b'],
  ['plain', {}, 'plain'],
  // defaults and alternatives: unset vs empty
  ['${V:-d}', { V: 'x' }, 'x'],
  ['${V:-d}', { V: '' }, 'd'],
  ['${V:-d}', {}, 'd'],
  ['${V-d}', { V: 'x' }, 'x'],
  ['${V-d}', { V: '' }, ''],
  ['${V-d}', {}, 'd'],
  ['${V:-}', {}, ''],
  ['${V:+alt}', { V: 'x' }, 'alt'],
  ['${V:+alt}', { V: '' }, ''],
  ['${V:+alt}', {}, ''],
  ['${V+alt}', { V: '' }, 'alt'],
  ['${V+alt}', {}, ''],
  ['${V:?msg}', { V: 'x' }, 'x'],
  ['${V?msg}', { V: '' }, ''],
  // nested operands
  ['${A:-${B}}', { B: 'b' }, 'b'],
  ['${A:-${B:-c}}', {}, 'c'],
  ['${A:-$B/x}', { B: 'b' }, 'b/x'],
  ['${A:+[$A]}', { A: 'a' }, '[a]'],
  ['${A:-${B:+${C}}}', { B: '1', C: 'c' }, 'c'],
  [
    'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'arm', TARGETVARIANT: 'v7' },
    'something-v1.2.3.linux-arm-v7.tar.gz',
  ],
  [
    'something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz',
    { VERSION: 'v1.2.3', TARGETOS: 'linux', TARGETARCH: 'amd64' },
    'something-v1.2.3.linux-amd64.tar.gz',
  ],
  // quotes and escapes
  ["'$V'", { V: 'x' }, '$V'],
  ['"$V"', { V: 'x' }, 'x'],
  [`"a'$V'b"`, { V: 'x' }, "a'x'b"],
  ['\\$V', { V: 'x' }, '$V'],
  ['"\\$V"', { V: 'x' }, '$V'],
  ['a\\ b', {}, 'a b'],
  ['"a\\b"', {}, 'a\\b'],
  ["'a\\b'", {}, 'a\\b'],
  ['"${V:-a b}"', {}, 'a b'],
  ["${V:-'$X'}", { X: 'x' }, '$X'],
  ['${V:-\\}}', {}, '}'],
  // #, ##, %, %%: shortest and longest
  ['${V#*/}', PATH, 'sub/file.tar.gz'],
  ['${V##*/}', PATH, 'file.tar.gz'],
  ['${V%.*}', PATH, 'dir/sub/file.tar'],
  ['${V%%.*}', PATH, 'dir/sub/file'],
  ['${V%/*}', PATH, 'dir/sub'],
  ['${V%%/*}', PATH, 'dir'],
  ['${V#dir}', PATH, '/sub/file.tar.gz'],
  ['${V#sub}', PATH, 'dir/sub/file.tar.gz'],
  ['${V%gz}', PATH, 'dir/sub/file.tar.'],
  ['${V#}', PATH, 'dir/sub/file.tar.gz'],
  ['${V%%}', PATH, 'dir/sub/file.tar.gz'],
  ['${V#?}', PATH, 'ir/sub/file.tar.gz'],
  ['${V%??}', PATH, 'dir/sub/file.tar.'],
  ['${V#*}', { V: 'xxyy' }, 'xxyy'],
  ['${V##*}', { V: 'xxyy' }, ''],
  ['${V#*x*y}', { V: 'xxyy' }, 'y'],
  ['${V##*x}', { V: 'xxyy' }, 'yy'],
  ['${V%x}', { V: 'xxyy' }, 'xxyy'],
  ['${V#a.c}', { V: 'abc' }, 'abc'],
  ['${V#a.c}', { V: 'a.cd' }, 'd'],
  ['${V%?}', { V: 'héllo👍' }, 'héllo'],
  ['${V#x}', {}, ''],
  // patterns: escapes, quotes, brackets, values
  ['${V#\\*}', { V: '**x' }, '*x'],
  ['${V%%\\**}', { V: 'xx**' }, 'xx'],
  ['${V%%\\**\\*}', { V: 'a***yy*' }, 'a'],
  ['${V#?\\?}', { V: '???y' }, '?y'],
  ['${V#\\\\}', { V: '\\x' }, 'x'],
  ['${V#()[]{\\}^$.\\*\\?|\\\\}', { V: '()[]{}^$.*?|\\x' }, 'x'],
  ["${V##'*'}", { V: 'abc' }, ''],
  ['${V##"*"}', { V: 'abc' }, ''],
  ['${V#[ab]}', { V: '[ab]c' }, 'c'],
  ['${V#[ab]}', { V: 'ac' }, 'ac'],
  ['${V#$P}', { V: 'xxyy', P: 'x' }, 'xyy'],
  ['${V#$P}', { V: 'xxyy', P: '' }, 'xxyy'],
  ['${V#$P}', { V: '*ab', P: '\\*' }, 'ab'],
  ['${V#*x}', { V: 'axbx' }, 'bx'],
  ['${V#$P}', { V: 'axbx', P: '#*x' }, ''],
  ["${V#'#'*x}", { V: 'axbx' }, ''],
  ['${V###}', { V: '##a' }, '#a'],
  ['${V#${P:-a}}', { V: 'ab' }, 'b'],
  // / and //
  ['${V/a/b}', { V: 'banana' }, 'bbnana'],
  ['${V//a/b}', { V: 'banana' }, 'bbnbnb'],
  ['${V/a*/X}', { V: 'banana' }, 'bX'],
  ['${V//?/.}', { V: 'banana' }, '......'],
  ['${V/#b/X}', { V: 'b#ba' }, 'bXa'],
  ['${V/%a/X}', { V: 'ba%a' }, 'baX'],
  ['${V/x/y}', { V: 'banana' }, 'banana'],
  ['${V//\\//_}', { V: 'a/b/c' }, 'a_b_c'],
  ['${V//\\//\\/}', { V: '/tmp/foo.txt' }, '\\/tmp\\/foo.txt'],
  ['${V/$N/.}', { V: '/foo*/*/*.txt', N: '\\*/' }, '/foo.*/*.txt'],
  ['${V//$N/.}', { V: '/foo*/*/*.txt', N: '\\*/' }, '/foo..*.txt'],
  ['${V/$N/$R}', { V: 'http://google.de', N: 'http://', R: 'https://' }, 'https://google.de'],
  ['${V//$N/$R}', { V: '/a/foo/b/c.txt', N: '/?/', R: '/' }, '/foo/c.txt'],
  ['${V/$E/ww}', { V: 'xxyy', E: '' }, 'wwxxyy'],
  ['${V//$E/-}', { V: 'ab', E: '' }, '-a-b-'],
  ['${V///}', { V: 'xxyy' }, 'xxyy'],
  ['${V///}', {}, ''],
  ['${V/$E/x}', { E: '' }, 'x'],
  ['${V//*/-}', { V: 'abc' }, '-'],
  ['${V//o/\\$0}', { V: 'foo' }, 'f\\o\\o'],
  ['${V/o/\\$0}', { V: 'foo' }, 'f\\$0o'],
  ['${V//o/$R}', { V: 'foo', R: '<$0|$$|$x|${0}>' }, 'f<o|$||o><o|$||o>'],
  ['${V//a/$A}', { V: 'banana', A: '' }, 'bnn'],
];

// [word, env, expected value] in a Kubefile with `# escape=\``
const BACKTICK: [string, Env, string][] = [
  ['`$V', { V: 'x' }, '$V'],
  ['a`$V', { V: 'x' }, 'a$V'],
  ['C:\\$V', { V: 'x' }, 'C:\\x'],
  ['"`$V"', { V: 'x' }, '$V'],
  ['${V#\\*}', { V: '*a' }, 'a'],
  ['${V##`*}', { V: '`abc' }, ''],
];

// [word, env, error message, value]
const ERRORS: [string, Env, string, string][] = [
  ['${V:?must_be_set}', {}, 'V: must_be_set', ''],
  ['${V:?must_be_set}', { V: '' }, 'V: must_be_set', ''],
  ['"${V:?must be set}"', {}, 'V: must be set', ''],
  ['${V?must_be_set}', {}, 'V: must_be_set', ''],
  ['${V:?}', {}, 'V: is not allowed to be unset', ''],
  ['${V:?}', { V: '' }, 'V: is not allowed to be empty', ''],
  ['${V?}', {}, 'V: is not allowed to be unset', ''],
  ['"${V?need $X}"', { X: 'x' }, 'V: need x', ''],
  ['a-${A:-${B:?needed}}-b', { A: 'a' }, 'B: needed', 'a-a-b'],
  ['${A:+${B?}}', {}, 'B: is not allowed to be unset', ''],
  ['${V#\\x}', { V: 'a' }, "invalid pattern (\\x) in substitution: invalid escape '\\x'", ''],
  ['${V%a\\x}', { V: 'a' }, "invalid pattern (\\xa) in substitution: invalid escape '\\x'", ''],
  ['${V/\\./x}', { V: 'a' }, "invalid pattern (\\.) in substitution: invalid escape '\\.'", ''],
  ['${V#\\#a}', { V: '#a' }, "invalid pattern (\\#a) in substitution: invalid escape '\\#'", ''],
  ['${V#$P}', { V: 'a', P: 'a\\' }, "invalid pattern (a\\) in substitution: invalid escape '\\\uFFFD'", ''],
];

describe('expandWord: values', () => {
  for (const [text, env, expected] of VALUES) {
    it(`${text} with ${JSON.stringify(env)} is ${JSON.stringify(expected)}`, () => {
      const result = expand(text, env);
      assert.equal(result.value, expected);
      assert.deepEqual(
        result.problems.filter((p) => p.kind === 'error'),
        [],
      );
    });
  }
});

describe('expandWord: escape=`', () => {
  for (const [text, env, expected] of BACKTICK) {
    it(`${text} with ${JSON.stringify(env)} is ${JSON.stringify(expected)}`, () => {
      assert.equal(expand(text, env, '`').value, expected);
    });
  }
});

describe('expandWord: errors', () => {
  for (const [text, env, message, value] of ERRORS) {
    it(`${text} with ${JSON.stringify(env)} fails with ${JSON.stringify(message)}`, () => {
      const result = expand(text, env);
      const errors = result.problems.filter((p) => p.kind === 'error');
      assert.deepEqual(
        errors.map((p) => p.message),
        [message],
      );
      assert.equal(result.value, value);
    });
  }

  it('an error covers the whole ${...}', () => {
    const word = labelWord('ab${V:?x}');
    const [problem] = expandWord(word, () => undefined, '\\').problems;
    assert.equal(problem.kind, 'error');
    assert.equal(problem.name, 'V');
    assert.deepEqual(pos(problem), [1, 10, 1, 17]);
  });
});

describe('expandWord: pattern quirks', () => {
  it('a quoted pattern character is still a wildcard; an escape in double quotes is a literal backslash', () => {
    // BuildKit keeps the escape inside "..." and doubles it before a character it does not protect.
    assert.equal(expand('${V#"\\*"}', { V: '\\abc' }).value, 'abc');
    assert.equal(expand('${V#a"b\\*"c}', { V: 'ab\\xyzc!' }).value, '!');
  });
});

/** [startLine, startColumn, endLine, endColumn], 0-based. */
function pos(p: ExpansionProblem): number[] {
  return [p.range.start.line, p.range.start.column, p.range.end.line, p.range.end.column];
}

function undefinedOf(text: string, env: Env = {}): [string | undefined, number[]][] {
  return expand(text, env)
    .problems.filter((p) => p.kind === 'undefined')
    .map((p) => [p.name, pos(p)]);
}

describe('expandWord: undefined variables', () => {
  it('$A and ${B}: at their names', () => {
    // LABEL x=$A${B}: `$` at column 8, `A` at 9, `${` at 10, `B` at 12
    assert.deepEqual(undefinedOf('$A${B}'), [
      ['A', [1, 9, 1, 10]],
      ['B', [1, 12, 1, 13]],
    ]);
  });

  it('set variables are not reported', () => {
    assert.deepEqual(undefinedOf('$A${B}', { A: '', B: 'b' }), []);
  });

  it('not for defaults, alternatives or required forms', () => {
    assert.deepEqual(undefinedOf('${A:-x}${B-x}${C:+x}${D+x}'), []);
    const result = expand('${E?x}${F:?y}', {});
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.name]),
      [
        ['error', 'E'],
        ['error', 'F'],
      ],
    );
  });

  it('for patterns and substitutions', () => {
    assert.deepEqual(undefinedOf('${LONGNAME#x}'), [['LONGNAME', [1, 10, 1, 18]]]);
    assert.deepEqual(undefinedOf('${A/x/y}${B%%y}'), [
      ['A', [1, 10, 1, 11]],
      ['B', [1, 18, 1, 19]],
    ]);
  });

  it('inside operands, evaluated whether used or not (as BuildKit does)', () => {
    assert.deepEqual(undefinedOf('${A:-$B}', { A: 'a' }), [['B', [1, 14, 1, 15]]]);
    assert.deepEqual(undefinedOf('${A#${B}}', {}), [
      ['A', [1, 10, 1, 11]],
      ['B', [1, 14, 1, 15]],
    ]);
  });

  it('inside double quotes and special parameters', () => {
    assert.deepEqual(undefinedOf('"x${A}"'), [['A', [1, 12, 1, 13]]]);
    assert.deepEqual(undefinedOf('$1'), [['1', [1, 9, 1, 10]]]);
  });

  it('on a continuation line', () => {
    const { ast } = parse('FROM scratch\nLABEL a=1 \\\n    b=${B}\n');
    const label = ast.instructions[1];
    assert.ok(isInstruction(label, 'LABEL'));
    const problems = expandWord(label.pairs[1].value!, () => undefined, '\\').problems;
    assert.deepEqual(
      problems.map((p) => [p.kind, p.name, pos(p)]),
      [['undefined', 'B', [2, 8, 2, 9]]],
    );
    assert.match(problems[0].message, /\bB\b/);
  });
});

describe('expandParts and broken syntax', () => {
  it('expands an operand on its own', () => {
    const word = labelWord('${A:-x$B}');
    const a = word.parts![0] as AstVariable;
    const result = expandParts(a.operand!, (n) => (n === 'B' ? 'b' : undefined), '\\');
    assert.deepEqual(result, { value: 'xb', problems: [] });
  });

  it('partial parts from syntax errors do not throw', () => {
    const env = { V: 'v' };
    for (const text of ['${}', '${V', '${V:-x', '${V//ww}', '${V:#x}', '${V/a', '${:x}', '"${V"', "'abc", '${V#\\}']) {
      const result = expand(text, env);
      assert.equal(typeof result.value, 'string', text);
      assert.ok(result.problems.every((p) => p.kind === 'error' || p.name), text);
    }
    assert.equal(expand('${}x', env).value, 'x');
    assert.equal(expand('${V//ww}', env).value, 'v');
  });

  it('a word without parts is its text, escapes removed', () => {
    const word = labelWord('a\\ b');
    assert.equal(word.parts, undefined);
    assert.deepEqual(expandWord(word, () => undefined, '\\'), { value: 'a b', problems: [] });
    assert.equal(expandWord({ text: 'plain', range: word.range }, () => undefined, '\\').value, 'plain');
  });
});
