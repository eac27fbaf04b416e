import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { DOCKERFILE_ONLY, isKeyword, KEYWORDS } from '@kubefile/grammar';
import oniguruma from 'vscode-oniguruma';
import textmate from 'vscode-textmate';
import type { IGrammar, IRawGrammar, StateStack } from 'vscode-textmate';

// The compiled test runs from dist/test, two levels below the extension folder.
const grammarUrl = new URL('../../syntaxes/kubefile.tmLanguage.json', import.meta.url);
const languageConfigurationUrl = new URL('../../language-configuration.json', import.meta.url);
const examplesUrl = new URL('../../../examples/', import.meta.url);

const KEYWORD = 'keyword.other.special-method.kubefile';
const SHELL = 'meta.embedded.block.shell.kubefile';
const HEREDOC = 'keyword.operator.heredoc.kubefile';
const HEREDOC_BODY = 'string.unquoted.heredoc.kubefile';
const CONTINUATION = 'constant.character.escape.continuation.kubefile';

interface Token {
  text: string;
  scopes: string[];
}

let grammar: IGrammar;

async function loadGrammar(): Promise<IGrammar> {
  // vscode-oniguruma has no "exports" map, so its wasm file resolves like any package path.
  const require = createRequire(import.meta.url);
  await oniguruma.loadWASM(await readFile(require.resolve('vscode-oniguruma/release/onig.wasm')));
  const source = await readFile(grammarUrl, 'utf8');
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    // Only Kubefile is available: source.shell (VS Code's shellscript extension) is missing on
    // purpose, and vscode-textmate skips includes it cannot resolve.
    loadGrammar: async (scopeName: string) => (scopeName === 'source.kubefile' ? textmate.parseRawGrammar(source, fileURLToPath(grammarUrl)) : null),
  });
  const loaded = await registry.loadGrammar('source.kubefile');
  assert.ok(loaded, 'the grammar loads');
  return loaded;
}

/** Tokens per line, carrying the rule stack from line to line as an editor does. */
function tokenize(text: string): Token[][] {
  let state: StateStack = textmate.INITIAL;
  return text.split('\n').map((line) => {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    return result.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
  });
}

/** A scope matches its name and any more specific name (`comment` matches `comment.line...`). */
function matches(scope: string, wanted: string): boolean {
  return scope === wanted || scope.startsWith(wanted + '.');
}

/** The tokens overlapping the first occurrence of `part` on the line (after `after`, if given). */
function covering(line: Token[], part: string, after = ''): Token[] {
  const text = line.map((t) => t.text).join('');
  const from = text.indexOf(after);
  const start = from === -1 ? -1 : text.indexOf(part, from + after.length);
  assert.notEqual(start, -1, `"${part}" is not on the line "${text}"`);
  const end = start + part.length;
  const found: Token[] = [];
  let offset = 0;
  for (const token of line) {
    const tokenEnd = offset + token.text.length;
    if (tokenEnd > start && offset < end) found.push(token);
    offset = tokenEnd;
  }
  return found;
}

function describeTokens(tokens: Token[]): string {
  return tokens.map((t) => `${JSON.stringify(t.text)} [${t.scopes.slice(1).join(', ')}]`).join('; ');
}

/** Every token of `part` has `scope`. */
function expectScope(line: Token[], part: string, scope: string, after?: string): void {
  const tokens = covering(line, part, after);
  assert.ok(
    tokens.every((t) => t.scopes.some((s) => matches(s, scope))),
    `"${part}" should be ${scope}: ${describeTokens(tokens)}`,
  );
}

/** No token of `part` has `scope`. */
function expectNoScope(line: Token[], part: string, scope: string, after?: string): void {
  const tokens = covering(line, part, after);
  assert.ok(
    tokens.every((t) => !t.scopes.some((s) => matches(s, scope))),
    `"${part}" should not be ${scope}: ${describeTokens(tokens)}`,
  );
}

/** The line starts (after blanks) with an instruction keyword token. */
function expectKeyword(line: Token[], keyword: string, scope = KEYWORD): void {
  const first = line.find((t) => t.text.trim() !== '');
  assert.ok(first, 'the line has a token');
  assert.equal(first.text, keyword);
  assert.deepEqual(first.scopes, ['source.kubefile', scope]);
}

describe('Kubefile TextMate grammar', () => {
  before(async () => {
    grammar = await loadGrammar();
  });

  describe('structure', () => {
    it('resolves every #include to a repository rule and uses every rule', async () => {
      const raw = JSON.parse(await readFile(grammarUrl, 'utf8')) as IRawGrammar;
      // vscode-textmate ignores unknown includes silently, so a typo would only lose colours.
      const included = new Set<string>();
      const walk = (value: unknown): void => {
        if (Array.isArray(value)) value.forEach(walk);
        else if (value !== null && typeof value === 'object') {
          for (const [key, child] of Object.entries(value)) {
            if (key === 'include' && typeof child === 'string' && child.startsWith('#')) included.add(child.slice(1));
            else walk(child);
          }
        }
      };
      walk(raw);
      const defined = Object.keys(raw.repository);
      assert.deepEqual([...included].filter((name) => !defined.includes(name)), [], 'includes without a rule');
      assert.deepEqual(defined.filter((name) => !included.has(name)), [], 'rules nothing includes');
      assert.equal(raw.scopeName, 'source.kubefile');
    });
  });

  describe('instruction keywords', () => {
    it('marks every Kubefile instruction, in any case', () => {
      for (const keyword of KEYWORDS) {
        for (const written of [keyword, keyword.toLowerCase()]) {
          const [line] = tokenize(`${written} x`);
          expectKeyword(line, written);
        }
      }
    });

    it('marks the Dockerfile-only instructions as plain keywords', () => {
      for (const keyword of DOCKERFILE_ONLY) {
        const [line] = tokenize(`${keyword} x`);
        expectKeyword(line, keyword, 'keyword.other.kubefile');
      }
    });

    it('accepts leading blanks and needs a word boundary', () => {
      const [indented, longer, unknown] = tokenize('   RUN make\nRUNNER x\nFOO bar');
      expectKeyword(indented, 'RUN');
      expectNoScope(longer, 'RUNNER', 'keyword');
      expectNoScope(unknown, 'FOO', 'keyword');
    });
  });

  describe('comments and directives', () => {
    it('treats only whole lines as comments', () => {
      const [comment, indented, run] = tokenize('# a comment\n  # indented\nRUN echo # not a comment');
      expectScope(comment, '# a comment', 'comment.line.number-sign.kubefile');
      expectScope(comment, '#', 'punctuation.definition.comment.kubefile');
      expectScope(indented, '# indented', 'comment.line.number-sign.kubefile');
      expectKeyword(run, 'RUN');
      // Kubefile-wise it is shell text; in VS Code the shell grammar may still colour it its way.
      expectNoScope(run, '# not a comment', 'comment.line.number-sign.kubefile');
      expectScope(run, '# not a comment', SHELL);
    });

    it('reads directives on the leading lines only', () => {
      const lines = tokenize('# syntax=docker/dockerfile:1\n# ESCAPE=\\\n# check=skip=all\nFROM scratch\n# escape=\\');
      expectScope(lines[0], '# syntax=docker/dockerfile:1', 'meta.directive.kubefile');
      expectScope(lines[0], 'syntax', 'keyword.control.directive.kubefile');
      expectScope(lines[0], 'docker/dockerfile:1', 'string.unquoted.directive.kubefile');
      expectScope(lines[1], 'ESCAPE', 'keyword.control.directive.kubefile');
      expectScope(lines[2], 'check', 'keyword.control.directive.kubefile');
      expectKeyword(lines[3], 'FROM');
      expectNoScope(lines[4], 'escape', 'meta.directive');
      expectScope(lines[4], '# escape=\\', 'comment.line.number-sign.kubefile');
    });

    it('ends the directives at a blank line or an unknown directive', () => {
      const blankFirst = tokenize('\n# escape=\\');
      expectNoScope(blankFirst[1], 'escape', 'meta.directive');
      const unknown = tokenize('# syntax=x\n# foo=bar\n# escape=\\');
      expectScope(unknown[0], 'syntax', 'keyword.control.directive.kubefile');
      expectScope(unknown[1], 'foo=bar', 'comment.line.number-sign.kubefile');
      expectScope(unknown[2], 'escape', 'comment.line.number-sign.kubefile');
    });
  });

  describe('flags', () => {
    it('marks leading --name[=value] words', () => {
      const [line] = tokenize('COPY --chown=1000:1000 --link src dest');
      expectScope(line, '--chown', 'variable.parameter.flag.kubefile');
      expectScope(line, '=', 'keyword.operator.assignment.kubefile');
      expectScope(line, '1000:1000', 'string.unquoted.kubefile');
      expectScope(line, '--link', 'variable.parameter.flag.kubefile');
      expectNoScope(line, 'src', 'variable.parameter');
    });

    it('stops at the first other word', () => {
      const [line] = tokenize('RUN --network=none helm version --short');
      expectScope(line, '--network', 'variable.parameter.flag.kubefile');
      expectScope(line, 'helm version --short', SHELL);
      expectNoScope(line, '--short', 'variable.parameter');
    });

    it('follows flags over continuation lines', () => {
      const lines = tokenize('RUN --mount=type=cache,target=/root/.cache \\\n    --network=host \\\n    pip install --no-cache-dir x\nCMD x');
      expectScope(lines[0], 'type=cache,target=/root/.cache', 'string.unquoted.kubefile');
      expectScope(lines[1], '--network', 'variable.parameter.flag.kubefile');
      expectScope(lines[2], 'pip install --no-cache-dir x', SHELL);
      expectNoScope(lines[2], '--no-cache-dir', 'variable.parameter');
      expectKeyword(lines[3], 'CMD');
    });

    it('highlights variables in flag values', () => {
      const [line] = tokenize('FROM --platform=$BUILDPLATFORM kubernetes:v1.19.8');
      expectScope(line, '$BUILDPLATFORM', 'variable.language.kubefile');
      expectScope(line, 'kubernetes:v1.19.8', 'entity.name.type.image.kubefile');
    });
  });

  describe('variables', () => {
    it('marks the predefined platform variables as language variables', () => {
      const [line] = tokenize('COPY ${ARCH}/helm $TARGETOS/x bin');
      expectScope(line, '${ARCH}', 'variable.language.kubefile');
      expectScope(line, '${', 'punctuation.definition.variable.kubefile');
      expectScope(line, '}', 'punctuation.definition.variable.kubefile');
      expectNoScope(line, 'ARCH', 'punctuation');
      expectScope(line, '$TARGETOS', 'variable.language.kubefile');
      expectNoScope(line, '/helm', 'variable');
    });

    it('marks other references, with their modifiers', () => {
      const [line] = tokenize('ENV A=${V:-x} B=${ARCHIVE} C=$HOME D=\\$LITERAL');
      expectScope(line, '${V:-x}', 'variable.other.kubefile');
      expectScope(line, ':-', 'keyword.operator.expansion.kubefile');
      expectScope(line, '${ARCHIVE}', 'variable.other.kubefile');
      expectNoScope(line, '${ARCHIVE}', 'variable.language');
      expectScope(line, '$HOME', 'variable.other.kubefile');
      expectScope(line, '$', 'punctuation.definition.variable.kubefile', 'C=');
      expectScope(line, '\\$', 'constant.character.escape.kubefile');
      expectNoScope(line, 'LITERAL', 'variable');
    });

    it('expands in double quotes, not in single quotes', () => {
      const [line] = tokenize(`LABEL a="x $HOME" b='y $USER'`);
      expectScope(line, '"x $HOME"', 'string.quoted.double.kubefile');
      expectScope(line, '$HOME', 'variable.other.kubefile');
      expectScope(line, `'y $USER'`, 'string.quoted.single.kubefile');
      expectNoScope(line, '$USER', 'variable');
    });
  });

  describe('exec form', () => {
    it('marks JSON arrays with their punctuation', () => {
      const [line] = tokenize('CMD ["kubectl", "get"]');
      expectKeyword(line, 'CMD');
      expectScope(line, '["kubectl", "get"]', 'meta.structure.array.json.kubefile');
      expectScope(line, '[', 'punctuation.definition.array.begin.kubefile');
      expectScope(line, ']', 'punctuation.definition.array.end.kubefile');
      expectScope(line, ',', 'punctuation.separator.array.kubefile');
      expectScope(line, '"kubectl"', 'string.quoted.double.kubefile');
      expectNoScope(line, '"kubectl"', 'meta.embedded');
    });

    it('applies to RUN, LAUNCH and APPCMDS', () => {
      const [run, launch, appcmds] = tokenize('RUN ["sh", "-c", "true"]\nLAUNCH ["nginx", "app1"]\nAPPCMDS app1 ["kubectl", "apply", "-f", "app1.yaml"]');
      expectScope(run, '"-c"', 'meta.structure.array.json.kubefile');
      expectScope(launch, '"app1"', 'string.quoted.double.kubefile');
      expectNoScope(appcmds, 'app1 ', 'meta.structure.array');
      expectScope(appcmds, '"app1.yaml"', 'meta.structure.array.json.kubefile');
    });

    it('leaves shell commands that start with [ as shell form', () => {
      const [line] = tokenize('RUN [ -f x ] && echo yes');
      expectNoScope(line, '[ -f x ]', 'meta.structure.array');
      expectScope(line, '[ -f x ] && echo yes', SHELL);
    });

    it('continues an array over lines', () => {
      const lines = tokenize('CMD ["kubectl", \\\n  "get"]\nLAUNCH ["a"]');
      expectScope(lines[0], '\\', CONTINUATION);
      expectScope(lines[1], '"get"', 'meta.structure.array.json.kubefile');
      expectScope(lines[1], ']', 'punctuation.definition.array.end.kubefile');
      expectKeyword(lines[2], 'LAUNCH');
    });
  });

  describe('heredocs', () => {
    it('embeds the body of RUN <<EOF as shell up to the delimiter line', () => {
      const lines = tokenize('RUN <<EOF\nset -e\nFROM not-an-instruction\nEOF\nFROM scratch');
      expectKeyword(lines[0], 'RUN');
      expectScope(lines[0], '<<EOF', HEREDOC);
      expectScope(lines[1], 'set -e', SHELL);
      expectScope(lines[2], 'FROM not-an-instruction', SHELL);
      expectNoScope(lines[2], 'FROM', 'keyword');
      expectScope(lines[3], 'EOF', HEREDOC);
      expectNoScope(lines[3], 'EOF', 'meta.embedded');
      expectKeyword(lines[4], 'FROM');
    });

    it('allows tab-indented delimiters after <<-', () => {
      const lines = tokenize('RUN --network=none <<-EOT\n\techo hi\n\tEOT\nCOPY <<-"EOF" /etc/motd\n\thello\n\tEOF\nARG A');
      expectScope(lines[0], '--network', 'variable.parameter.flag.kubefile');
      expectScope(lines[1], 'echo hi', SHELL);
      expectScope(lines[2], 'EOT', HEREDOC);
      expectScope(lines[4], 'hello', HEREDOC_BODY);
      expectScope(lines[5], 'EOF', HEREDOC);
      expectKeyword(lines[6], 'ARG');
    });

    it('needs the exact delimiter without <<-', () => {
      const lines = tokenize('COPY <<EOF /x\n\tEOF\nEOF\nARG A');
      expectScope(lines[1], '\tEOF', HEREDOC_BODY);
      expectScope(lines[2], 'EOF', HEREDOC);
      expectKeyword(lines[3], 'ARG');
    });

    it('expands variables in the body unless the delimiter is quoted', () => {
      const lines = tokenize("COPY <<EOF /a\n$HOME\nEOF\nCOPY <<'EOF' /b\n$HOME\nEOF");
      expectScope(lines[1], '$HOME', 'variable.other.kubefile');
      expectScope(lines[1], '$HOME', HEREDOC_BODY);
      expectScope(lines[4], '$HOME', HEREDOC_BODY);
      expectNoScope(lines[4], '$HOME', 'variable');
    });

    it('keeps a heredoc fed to a command as text inside the shell form', () => {
      const lines = tokenize('RUN cat <<EOF > /etc/x && chmod 600 /etc/x\nkey: value\nEOF\nCMD x');
      expectScope(lines[0], 'cat ', SHELL);
      expectScope(lines[0], '<<EOF', HEREDOC);
      expectScope(lines[1], 'key: value', HEREDOC_BODY);
      expectScope(lines[1], 'key: value', SHELL);
      expectKeyword(lines[3], 'CMD');
    });

    it('does not take << inside a word for a heredoc', () => {
      const lines = tokenize('RUN echo $((1<<4))\nFROM scratch');
      expectNoScope(lines[0], '<<4', 'keyword.operator.heredoc');
      expectKeyword(lines[1], 'FROM');
    });
  });

  describe('line continuation', () => {
    it('keeps a continued RUN in the shell until the last line', () => {
      const lines = tokenize('RUN apt-get update \\\n    && apt-get install -y curl \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY a b');
      expectScope(lines[0], '\\', CONTINUATION);
      expectScope(lines[0], 'apt-get update', SHELL);
      expectScope(lines[1], '    && apt-get install -y curl ', SHELL);
      expectNoScope(lines[1], 'apt-get', 'keyword');
      expectScope(lines[2], '&& rm -rf /var/lib/apt/lists/*', SHELL);
      expectKeyword(lines[3], 'COPY');
      expectNoScope(lines[3], 'COPY a b', 'meta.embedded');
    });

    it('skips comment and blank lines inside a continuation', () => {
      const lines = tokenize('RUN echo a \\\n  # dropped\n\n    b\nFROM scratch');
      expectScope(lines[1], '# dropped', 'comment.line.number-sign.kubefile');
      expectScope(lines[3], 'b', SHELL);
      expectKeyword(lines[4], 'FROM');
    });

    it('allows blanks after the backslash, not an escaped backslash', () => {
      const lines = tokenize('COPY a \\   \n  b c\nCOPY d\\\\\nRUN true');
      expectScope(lines[0], '\\', CONTINUATION);
      expectNoScope(lines[1], 'b c', 'keyword');
      expectKeyword(lines[2], 'COPY');
      expectNoScope(lines[2], '\\\\', CONTINUATION);
      expectKeyword(lines[3], 'RUN');
    });

    it('ends an instruction with an unterminated quote at its last line', () => {
      const lines = tokenize('RUN echo "unterminated\nENV A="b\nFROM scratch');
      expectKeyword(lines[1], 'ENV');
      expectKeyword(lines[2], 'FROM');
    });

    it('continues assignments and CMD', () => {
      const lines = tokenize('LABEL a=b \\\n  c=d\ncmd echo a \\\n  b\nENV x=y');
      expectScope(lines[1], 'c', 'variable.other.assignment.kubefile');
      expectScope(lines[3], 'b', SHELL);
      expectKeyword(lines[4], 'ENV');
    });
  });

  describe('instruction arguments', () => {
    it('marks ARG, ENV, LABEL and APPENV assignments', () => {
      const [arg, env, legacy, label, appenv] = tokenize(
        'ARG A=1 B=2 C\nENV PATH=/usr/bin:$PATH\nENV NAME some value\nLABEL app.alpha.sealer.io/description="demo"\nAPPENV app1 replicas=2',
      );
      expectScope(arg, 'A', 'variable.other.assignment.kubefile', 'ARG ');
      expectScope(arg, '=', 'keyword.operator.assignment.kubefile');
      expectNoScope(arg, '1', 'variable');
      expectScope(arg, 'B', 'variable.other.assignment.kubefile');
      expectScope(arg, 'C', 'variable.other.assignment.kubefile', 'B=2 ');
      expectScope(env, 'PATH', 'variable.other.assignment.kubefile');
      expectScope(env, '=', 'keyword.operator.assignment.kubefile');
      expectScope(env, '$PATH', 'variable.other.kubefile');
      expectScope(legacy, 'NAME', 'variable.other.assignment.kubefile');
      expectScope(label, 'app.alpha.sealer.io/description', 'variable.other.assignment.kubefile');
      expectScope(label, '"demo"', 'string.quoted.double.kubefile');
      expectScope(appenv, 'replicas', 'variable.other.assignment.kubefile');
      expectNoScope(appenv, 'app1', 'variable.other.assignment');
    });

    it('marks APP, CNI and CSI sources as links', () => {
      const [app, cni] = tokenize('APP app local://charts/x\nCNI calico https://example.com/${ARCH}/calico.tgz');
      expectKeyword(app, 'APP');
      expectScope(app, 'local://charts/x', 'markup.underline.link.kubefile');
      expectNoScope(app, 'app ', 'markup.underline.link');
      expectScope(cni, 'https://example.com/${ARCH}/calico.tgz', 'markup.underline.link.kubefile');
      expectScope(cni, '${ARCH}', 'variable.language.kubefile');
    });

    it('marks the FROM image and scratch', () => {
      const [image, scratch, variable] = tokenize('FROM --platform=linux/arm64 kubernetes:v1.19.8\nFROM scratch\nFROM ${BASE:-kubernetes}:v1');
      expectScope(image, '--platform', 'variable.parameter.flag.kubefile');
      expectScope(image, 'linux/arm64', 'string.unquoted.kubefile');
      expectScope(image, 'kubernetes:v1.19.8', 'entity.name.type.image.kubefile');
      expectScope(scratch, 'scratch', 'constant.language.scratch.kubefile');
      expectNoScope(scratch, 'scratch', 'entity.name.type');
      expectScope(variable, '${BASE:-kubernetes}:v1', 'entity.name.type.image.kubefile');
      expectScope(variable, '${BASE:-kubernetes}', 'variable.other.kubefile');
    });
  });

  describe('example Kubefiles', () => {
    async function fixtures(): Promise<URL[]> {
      const found: URL[] = [];
      for (const entry of await readdir(examplesUrl, { withFileTypes: true })) {
        const kubefile = new URL(`${entry.name}/Kubefile`, examplesUrl);
        if (entry.isDirectory() && existsSync(kubefile)) found.push(kubefile);
      }
      found.push(new URL('multi-arch/container-image.Kubefile', examplesUrl));
      return found;
    }

    it('starts every instruction line with a keyword', async () => {
      const files = await fixtures();
      assert.ok(files.length >= 5, `found ${files.length} example Kubefiles`);
      for (const file of files) {
        const text = await readFile(file, 'utf8');
        let state: StateStack = textmate.INITIAL;
        let instructions = 0;
        for (const [index, line] of text.split('\n').entries()) {
          // Only lines tokenized at the top level start an instruction: not continuation lines,
          // not heredoc bodies (the rule stack then holds more than the root).
          const atTopLevel = state.depth === 1;
          const result = grammar.tokenizeLine(line, state);
          state = result.ruleStack;
          const word = /^\s*([A-Za-z]+)(?:\s|$)/.exec(line)?.[1];
          if (!atTopLevel || word === undefined || !isKeyword(word.toUpperCase())) continue;
          const first = result.tokens.find((t) => line.slice(t.startIndex, t.endIndex).trim() !== '');
          assert.ok(first?.scopes.includes(KEYWORD), `${fileURLToPath(file)}:${index + 1}: ${line}`);
          instructions++;
        }
        assert.ok(instructions > 0, `${fileURLToPath(file)} has instructions`);
        assert.equal(state.depth, 1, `${fileURLToPath(file)} ends at the top level`);
      }
    });
  });
});

describe('Kubefile language configuration', () => {
  interface OnEnterRule {
    beforeText: string;
    previousLineText?: string;
    action: { indent: string };
  }
  interface LanguageConfiguration {
    comments: { lineComment: string };
    wordPattern: string;
    onEnterRules: OnEnterRule[];
  }

  it('indents after a continuation and not after an escaped backslash', async () => {
    const config = JSON.parse(await readFile(languageConfigurationUrl, 'utf8')) as LanguageConfiguration;
    assert.equal(config.comments.lineComment, '#');
    // VS Code applies the first rule whose regular expressions match.
    const action = (previous: string, before: string): string | undefined =>
      config.onEnterRules.find((rule) => new RegExp(rule.beforeText).test(before) && (rule.previousLineText === undefined || new RegExp(rule.previousLineText).test(previous)))?.action.indent;
    assert.equal(action('FROM scratch', 'RUN a \\'), 'indent');
    assert.equal(action('FROM scratch', 'RUN a \\  '), 'indent');
    assert.equal(action('RUN a \\', '    && b \\'), 'none');
    assert.equal(action('RUN a \\', '    && b'), 'outdent');
    assert.equal(action('FROM scratch', 'COPY a\\\\'), undefined);
    assert.equal(action('FROM scratch', 'RUN a'), undefined);
  });

  it('keeps variable names and flags as words', async () => {
    const config = JSON.parse(await readFile(languageConfigurationUrl, 'utf8')) as LanguageConfiguration;
    const words = (text: string): string[] => text.match(new RegExp(config.wordPattern, 'g')) ?? [];
    assert.deepEqual(words('COPY ${ARCH}/helm bin'), ['COPY', 'ARCH', 'helm', 'bin']);
    assert.deepEqual(words('RUN --network=none apt-get'), ['RUN', '--network', 'none', 'apt-get']);
    assert.deepEqual(words('KUBEVERSION 1.22 - 1.24'), ['KUBEVERSION', '1.22', '-', '1.24']);
  });
});
