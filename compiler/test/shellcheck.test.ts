/**
 * ShellCheck findings (KF4001) through the real `shellcheck` program: one script per command, each
 * finding at its exact source range (continuations, heredoc bodies, JSON strings and their escapes).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse } from '@kubefile/grammar';
import { scriptText, shellCheck, ShellCheckCache, shellScripts, type ShellChecker } from '@kubefile/compiler';
import { nodeShellChecker } from '@kubefile/compiler/node';

let checker: ShellChecker;

before(async () => {
  const found = await nodeShellChecker();
  if (!found) throw new Error('shellcheck is not installed: run scripts/install-system-deps.sh (it installs Debian\'s shellcheck package)');
  checker = found;
});

/** Each finding as `SC2086 3:13-3:15 info` (1-based lines and columns, end just past the last character). */
async function findings(text: string, options: { checker?: ShellChecker; cache?: ShellCheckCache } = {}): Promise<string[]> {
  const { ast } = parse(text);
  const result = await shellCheck(ast, text, { checker: options.checker ?? checker, cache: options.cache });
  assert.deepEqual(result.failures, []);
  return result.diagnostics.map((d) => {
    assert.equal(d.code, 'KF4001');
    assert.equal(d.rule?.href, `https://www.shellcheck.net/wiki/${d.rule?.id}`);
    const { start, end } = d.range;
    return `${d.rule?.id} ${start.line + 1}:${start.column + 1}-${end.line + 1}:${end.column + 1} ${d.severity}`;
  });
}

describe('ShellCheck in Kubefiles (KF4001)', () => {
  it('reports a finding on a continuation line at its place in the source', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN echo hello \\\n    && echo $1\n'), ['SC2086 3:13-3:15 info']);
  });

  it('maps across the comment and blank lines a continuation drops', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN echo a \\\n# a comment\n\n  && echo $1\n'), ['SC2086 5:11-5:13 info']);
  });

  it('maps a range that spans a continuation to its first and last source characters', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN touch "`da\\\nte`"\n'), ['SC2006 2:12-3:4 hint']);
  });

  it('counts a tab as one column', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN\techo\t\t$1\n'), ['SC2086 2:11-2:13 info']);
  });

  it('maps style to hint, warning to warning and error to error', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN cd /x; touch "`date`"\nRUN [ -n x ] && echo $1\n'), [
      'SC2164 2:5-2:10 warning',
      'SC2006 2:19-2:25 hint',
      'SC2157 3:10-3:11 error',
      'SC2086 3:22-3:24 info',
    ]);
  });

  it('declares the platform variables and the ARG and ENV names before the command', async () => {
    assert.deepEqual(await findings('FROM scratch\nARG version\nENV dir=/opt\nRUN echo "$ARCH" "$TARGETARCH" "$BUILDOS" "$version" "$dir" "$other"\n'), ['SC2154 4:62-4:68 warning']);
  });

  it('does not see a name declared after the command', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN echo "$later"\nARG later\n'), ['SC2154 2:11-2:17 warning']);
  });

  it('checks the body of RUN <<EOF alone as the script', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN <<EOF\nset -e\necho $1\nEOF\n'), ['SC2086 4:6-4:8 info']);
  });

  it('checks a heredoc body that bash or sh runs, in that dialect', async () => {
    assert.deepEqual(await findings("FROM scratch\nRUN bash <<'EOF'\n[[ -n \"$HOME\" ]] && echo $1\nEOF\n"), ['SC2086 3:26-3:28 info']);
    assert.deepEqual(await findings("FROM scratch\nRUN sh -s <<'EOF'\n[[ -n \"$HOME\" ]]\nEOF\n"), ['SC3010 3:1-3:17 warning']);
  });

  it('does not check a heredoc body that is data or another language', async () => {
    assert.deepEqual(await findings("FROM scratch\nRUN python3 <<'EOF'\nx = $1 `y`\nEOF\n"), []);
    assert.deepEqual(await findings("FROM scratch\nRUN cat > /etc/x.conf <<'EOF'\nkey=$1 `y`\nEOF\n"), []);
    assert.deepEqual(await findings('FROM scratch\nRUN <<EOF\n#!/usr/bin/env python3\nprint(`x`)\nEOF\n'), []);
  });

  it('checks the command line of a RUN with heredocs together with their bodies, as the shell reads them', async () => {
    // The unquoted delimiter lets the shell expand `$(...)` in the body: ShellCheck sees it there.
    assert.deepEqual(await findings('FROM scratch\nRUN cat > /x <<EOF && cd /y\nv=`date`\nEOF\n'), ['SC2164 2:23-2:28 warning', 'SC2006 3:3-3:9 hint']);
  });

  it('checks CMD in shell form and each command line of CMD in exec form', async () => {
    assert.deepEqual(await findings('FROM scratch\nCMD echo $1\n'), ['SC2086 2:10-2:12 info']);
    assert.deepEqual(await findings('FROM scratch\nCMD ["echo $1", "  cd /x"]\n'), ['SC2086 2:12-2:14 info', 'SC2164 2:20-2:25 warning']);
    // One program's argv: joined by blanks, `a b` quoted to stay one word, as the image runs it.
    assert.deepEqual(await findings('FROM scratch\nCMD ["echo", "a b", "$1"]\n'), ['SC2086 2:22-2:24 info']);
  });

  it('checks each CMDS string as a command', async () => {
    assert.deepEqual(await findings('FROM scratch\nCMDS ["echo $1", "cd /x"]\n'), ['SC2086 2:13-2:15 info', 'SC2164 2:19-2:24 warning']);
  });

  it('checks APPCMDS strings joined by blanks as one command', async () => {
    assert.deepEqual(await findings('FROM scratch\nAPP app local://app.sh\nAPPCMDS app ["echo", "$1"]\n'), ['SC2086 3:23-3:25 info']);
  });

  it('maps through JSON escapes: a character to the escape that spells it', async () => {
    // `\"a\"` decodes to `"a"`: $1 is 4 columns further right in the source than in the command.
    assert.deepEqual(await findings('FROM scratch\nCMDS ["echo \\"a\\" $1"]\n'), ['SC2086 2:19-2:21 info']);
    // `\u0024{1}` is `${1}`: the finding starts at the whole `\u0024`.
    assert.deepEqual(await findings('FROM scratch\nCMDS ["echo \\u0024{1}"]\n'), ['SC2086 2:13-2:22 info']);
    assert.deepEqual(await findings('FROM scratch\nCMDS ["echo \\u00e9 $1"]\n'), ['SC2086 2:20-2:22 info']);
  });

  it('does not check exec-form RUN (no shell runs it)', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN ["sh", "-c", "echo $1"]\n'), []);
  });

  it('leaves Kubefile variables in RUN as the shell sees them', async () => {
    assert.deepEqual(await findings('FROM scratch\nRUN cp /x/${ARCH}/a /b && echo ${ARCH}\n'), ['SC2086 2:11-2:18 info', 'SC2086 2:32-2:39 info']);
  });

  it('reports CRLF files without carriage return findings', async () => {
    assert.deepEqual(await findings('FROM scratch\r\nRUN echo a \\\r\n  && echo $1\r\nRUN <<EOF\r\necho $2\r\nEOF\r\n'), ['SC2086 3:11-3:13 info', 'SC2086 5:6-5:8 info']);
  });

  it('builds one script per command, with a header of the known variables', () => {
    const { ast } = parse('FROM scratch\nARG v\nRUN a \\\n  b\nCMDS ["c", "d"]\n');
    const scripts = shellScripts(ast, 'FROM scratch\nARG v\nRUN a \\\n  b\nCMDS ["c", "d"]\n');
    assert.deepEqual(scripts.map((s) => [s.instruction.keyword, s.dialect, s.command.text]), [
      ['RUN', 'sh', 'a   b'],
      ['CMDS', 'bash', 'c'],
      ['CMDS', 'bash', 'd'],
    ]);
    assert.ok(scripts[0]!.variables.includes('ARCH') && scripts[0]!.variables.includes('v'));
  });

  it('declares to ShellCheck only the known variables the command mentions (a big Kubefile knows thousands)', () => {
    const text = 'FROM scratch\nARG A=1\nARG B=2\nENV C=3\nRUN echo $A ${ARCH} ${C:-x} $UNKNOWN\nRUN echo plain\n';
    const scripts = shellScripts(parse(text).ast, text);
    assert.deepEqual(scripts.map(scriptText), ['export ARCH A C\necho $A ${ARCH} ${C:-x} $UNKNOWN', ':\necho plain']);
  });

  it('runs ShellCheck once per distinct command, and again only for the commands that changed', async () => {
    const scripts: string[] = [];
    const counting: ShellChecker = { check: (script, dialect) => (scripts.push(script), checker.check(script, dialect)) };
    const cache = new ShellCheckCache();
    await findings('FROM scratch\nRUN echo $1\nRUN echo $1\nRUN echo b\n', { checker: counting, cache });
    assert.equal(scripts.length, 2);
    assert.deepEqual(await findings('FROM scratch\nRUN echo $1\nRUN echo $1\nRUN echo c $2\n', { checker: counting, cache }), [
      'SC2086 2:10-2:12 info',
      'SC2086 3:10-3:12 info',
      'SC2086 4:12-4:14 info',
    ]);
    assert.equal(scripts.length, 3);
  });
});

describe('nodeShellChecker', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kubefile-shellcheck-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const program = (name: string, body: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };

  const failuresOf = async (fake: ShellChecker): Promise<string[]> => {
    const text = 'FROM scratch\nRUN echo a\nRUN echo b\n';
    return (await shellCheck(parse(text).ast, text, { checker: fake })).failures;
  };

  it('is undefined when the program is not installed', async () => {
    assert.equal(await nodeShellChecker({ path: join(dir, 'missing') }), undefined);
    assert.equal(await nodeShellChecker({ path: 'no-such-shellcheck-program' }), undefined);
  });

  it('runs the first executable of the name on PATH, in PATH order', async () => {
    const bins = ['a', 'b', 'c'].map((name) => join(dir, `path-${name}`));
    for (const bin of bins) mkdirSync(bin);
    // a: not executable; b: the one; c: also one, later.
    writeFileSync(join(bins[0]!, 'kf-shellcheck'), '#!/bin/sh\nexit 9\n');
    for (const [bin, status] of [[bins[1]!, 4], [bins[2]!, 5]] as const) {
      writeFileSync(join(bin, 'kf-shellcheck'), `#!/bin/sh\necho "from ${bin}" >&2; exit ${status}\n`);
      chmodSync(join(bin, 'kf-shellcheck'), 0o755);
    }
    const path = process.env.PATH;
    process.env.PATH = [join(dir, 'path-none'), ...bins].join(delimiter);
    try {
      const fake = await nodeShellChecker({ path: 'kf-shellcheck' });
      assert.deepEqual(await failuresOf(fake!), [`shellcheck failed (exit status 4): from ${bins[1]}`]);
    } finally {
      process.env.PATH = path;
    }
  });

  it('reports a failing ShellCheck once, as one line', async () => {
    const fake = await nodeShellChecker({ path: program('failing', 'echo "shellcheck: bad option" >&2; echo "more" >&2; exit 3') });
    assert.deepEqual(await failuresOf(fake!), ['shellcheck failed (exit status 3): shellcheck: bad option']);
  });

  it('checks the commands asked for together in one run, each file\'s findings back to its command', async () => {
    const runs = join(dir, 'runs.log');
    // Logs each run's files, and reports one finding in the second file only.
    const fake = await nodeShellChecker({
      path: program('batching', `echo "$@" >> ${runs}; echo '{"comments":[{"file":"1.sh","line":2,"endLine":2,"column":6,"endColumn":8,"level":"info","code":2086,"message":"Double quote"}]}'; exit 1`),
      concurrency: 1,
    });
    const text = 'FROM scratch\nRUN echo a\nRUN echo $1\nRUN echo c\nRUN echo d\n';
    assert.deepEqual(await findings(text, { checker: fake! }), ['SC2086 3:10-3:12 info']);
    assert.deepEqual(readFileSync(runs, 'utf8').trim().split('\n'), ['--format=json1 --shell=sh 0.sh 1.sh 2.sh 3.sh']);
  });

  it('stops a run that takes too long', async () => {
    const fake = await nodeShellChecker({ path: program('slow', 'exec sleep 10'), timeoutMs: 200 });
    const started = Date.now();
    assert.deepEqual(await failuresOf(fake!), ['shellcheck took longer than 0.2 s and was stopped']);
    assert.ok(Date.now() - started < 5000);
  });

  it('stops a run that prints too much, and rejects output that is not json1', async () => {
    const flooding = await nodeShellChecker({ path: program('flooding', 'yes'), maxOutputBytes: 100_000 });
    assert.deepEqual(await failuresOf(flooding!), ['shellcheck printed more than 100000 bytes and was stopped']);
    const garbled = await nodeShellChecker({ path: program('garbled', 'cat >/dev/null; echo "[1,2"') });
    const failures = await failuresOf(garbled!);
    assert.equal(failures.length, 1);
    assert.match(failures[0]!, /^shellcheck printed output that is not its json1 format/);
  });
});
