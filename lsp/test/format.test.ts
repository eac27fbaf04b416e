import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@kubefile/grammar';
import type { FormattingOptions } from 'vscode-languageserver';
import { analyze } from '../src/analysis.js';
import { applyEdits, format, type FormatOptions } from '../src/format.js';

const OPTIONS: FormattingOptions = { tabSize: 4, insertSpaces: true };

async function fmt(text: string, options: FormatOptions = OPTIONS): Promise<string> {
  return applyEdits(text, format(await analyze(text), options));
}

/** Blank runs outside quotes are one separator to BuildKit's word splitting and to the shell. */
function collapse(text: string): string {
  let out = '';
  let quote = '';
  let pending = false;
  for (const ch of text) {
    if (quote === '' && !pending && (ch === ' ' || ch === '\t')) {
      if (!out.endsWith(' ')) out += ' ';
      continue;
    }
    if (quote === "'") {
      if (ch === "'") quote = '';
    } else if (pending) pending = false;
    else if (ch === '\\' || ch === '`') pending = true;
    else if (quote === '"') {
      if (ch === '"') quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    out += ch;
  }
  return out;
}

/** What the build sees of each instruction. */
function meaning(text: string): unknown {
  const { ast } = parse(text);
  return {
    escape: ast.escapeChar,
    directives: ast.directives.map((d) => [d.name, d.value]),
    instructions: ast.instructions.map((i) => ({
      keyword: i.keyword,
      form: i.form,
      flags: i.flags.map((f) => f.text),
      args: i.args.map((w) => collapse(w.text)),
      argsText: collapse(i.argsText),
      heredocs: i.heredocs.map((h) => [h.name, h.content, h.chomp, h.expand]),
    })),
  };
}

async function checkStable(text: string): Promise<string> {
  const once = await fmt(text);
  assert.deepEqual(meaning(once), meaning(text), `meaning changed:\n${text}\n---\n${once}`);
  assert.equal(await fmt(once), once, `not idempotent:\n${once}`);
  return once;
}

const root = join(fileURLToPath(import.meta.url), '../../../..');

const TRICKY: Record<string, string> = {
  quotes: 'FROM scratch\nRUN   echo  "a   b"   \'c  d\'   \nLABEL  a="x   y"  b=z\n',
  continuationInQuotes: 'FROM scratch\nRUN echo "a \\\n        b" \\\n  && echo c\n',
  joinWithoutBlank: 'FROM scratch\nRUN echo a\\\nb\nCOPY a\\\nb c\n',
  escapedBlank: 'FROM scratch\nRUN echo a\\\\\\\n b\n',
  escapeDirective: '# escape=`\nFROM scratch\nRUN   echo a `\n      b\nCOPY  a `\n b c\n',
  heredoc: 'FROM scratch\nrun   <<EOF  \n   echo  hi   \n\tEOF  \nEOF\nRUN <<-EOT cat\n\t  x  \n\tEOT\n',
  exec: 'FROM scratch\nCMD   [ "a  b",  \\\n "c" ]  \nCMDS ["x  y", \\\n   "z"]\nLAUNCH  ["a",\\\n"b"]\n',
  crlf: 'FROM scratch  \r\ncopy   a \\\r\n b  \r\n  # note  \r\nRUN echo "x  y"\r\n',
  legacyEnv: 'FROM scratch\nENV  A  a   b \\\n   c\nMAINTAINER  jane   doe\nKUBEVERSION  1.22 -   1.24\n',
  comments: '# syntax=x  \n\n   # comment\nFROM scratch\nCOPY a \\\n  # inside\n    b\n\n\n',
  flags: 'FROM   --platform=linux/amd64    scratch\nRUN  --network=none   --mount=type=cache,target=/x   echo  a\nRUN --network=none   \n',
  unknown: 'FROM scratch\n  coppy   a b\nWORKDIR   /x\n',
  noNewline: 'FROM scratch\nrun echo a   ',
  emptyContinuation: 'FROM scratch\nRUN echo a \\\n   \n  b\n',
};

describe('format', () => {
  it('upper-cases keywords and normalizes the gaps on the first line', async () => {
    assert.equal(await fmt('  from   scratch  \ncopy    --chmod=644    a   b\n'), 'FROM scratch\nCOPY --chmod=644 a   b\n');
  });

  it('keeps shell text as written', async () => {
    assert.equal(await fmt('FROM scratch\nRUN   echo  "a   b"  |  cat\n'), 'FROM scratch\nRUN echo  "a   b"  |  cat\n');
  });

  it('indents continuation lines by one unit where the join is outside quotes', async () => {
    assert.equal(await fmt('FROM scratch\nRUN echo a \\\n&& echo b \\\n        && echo c\n'), 'FROM scratch\nRUN echo a \\\n    && echo b \\\n    && echo c\n');
    assert.equal(await fmt('FROM scratch\nCOPY a \\\n b\n', { tabSize: 2, insertSpaces: false }), 'FROM scratch\nCOPY a \\\n\tb\n');
  });

  it('leaves continuation lines whose whitespace is part of a value', async () => {
    const inQuotes = 'FROM scratch\nRUN echo "a \\\n        b"\n';
    assert.equal(await fmt(inQuotes), inQuotes);
    const joined = 'FROM scratch\nRUN echo a\\\nb\n';
    assert.equal(await fmt(joined), joined);
    const legacy = 'FROM scratch\nENV A a \\\n  b\n';
    assert.equal(await fmt(legacy), legacy);
  });

  it('does not touch heredoc bodies', async () => {
    assert.equal(await fmt('FROM scratch\nrun  <<EOF  \n  echo hi  \nEOF\n'), 'FROM scratch\nRUN <<EOF\n  echo hi  \nEOF\n');
  });

  it('keeps directives and comments, unindenting comments', async () => {
    assert.equal(await fmt('# escape=`  \n   # hello  \nFROM scratch\n'), '# escape=`\n# hello\nFROM scratch\n');
  });

  it('keeps CRLF line endings', async () => {
    assert.equal(await fmt('from scratch  \r\nCOPY a\\\r\nb  \r\n'), 'FROM scratch\r\nCOPY a\\\r\nb\r\n');
    assert.equal(await fmt('from scratch  \r\nCOPY a \\\r\n  b  \r\n'), 'FROM scratch\r\nCOPY a \\\r\n    b\r\n');
  });

  it('formats only instructions in the range', async () => {
    const text = 'from scratch\ncopy  a b\nrun  echo\n';
    const range = { start: { line: 1, character: 2 }, end: { line: 1, character: 3 } };
    assert.equal(await fmt(text, { ...OPTIONS, range }), 'from scratch\nCOPY a b\nrun  echo\n');
  });

  it('returns no edits for formatted text', async () => {
    assert.deepEqual(format(await analyze('FROM scratch\nCOPY a b\n'), OPTIONS), []);
  });

  for (const [name, text] of Object.entries(TRICKY)) {
    it(`is idempotent and keeps the meaning: ${name}`, async () => {
      await checkStable(text);
    });
  }

  it('is idempotent and keeps the meaning on every example', async () => {
    const examples = join(root, 'examples');
    const dirs = readdirSync(examples).filter((d) => existsSync(join(examples, d, 'Kubefile')));
    assert.ok(dirs.length > 0);
    for (const dir of dirs) {
      const text = readFileSync(join(examples, dir, 'Kubefile'), 'utf8');
      assert.equal(await checkStable(text), text, `${dir} is already formatted`);
      // A messed-up copy comes back to the original.
      const messy = text.replace(/^(\w+) /gm, (_, k: string) => `  ${k.toLowerCase()}   `).replace(/\n/g, '  \n');
      assert.equal(await checkStable(messy), text, dir);
    }
  });
});
