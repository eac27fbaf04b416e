import assert from 'node:assert/strict';
import { SEMANTIC_TOKEN_LEGEND, semanticTokens } from '../src/semantic-tokens.js';
import { setup } from './helpers.js';

/** Decodes the relative encoding to `line:char+length type[.modifier...]`, one string per token. */
function decode(data: number[]): string[] {
  const out: string[] = [];
  let line = 0;
  let char = 0;
  for (let i = 0; i < data.length; i += 5) {
    const [deltaLine, deltaChar, length, type, bits] = data.slice(i, i + 5);
    line += deltaLine;
    char = deltaLine === 0 ? char + deltaChar : deltaChar;
    const modifiers = SEMANTIC_TOKEN_LEGEND.tokenModifiers.filter((_, m) => bits & (1 << m));
    out.push(`${line}:${char}+${length} ${[SEMANTIC_TOKEN_LEGEND.tokenTypes[type], ...modifiers].join('.')}`);
  }
  return out;
}

async function tokens(text: string): Promise<string[]> {
  const { analysis } = await setup(text);
  return decode(semanticTokens(analysis));
}

describe('semanticTokens', () => {
  it('marks directives, comments, keywords and variable declarations and uses', async () => {
    assert.deepEqual(await tokens('# escape=\\\n# note\nARG V=1\nFROM x:${V}\nENV W="a $V"'), [
      '0:0+2 comment',
      '0:2+6 macro',
      '0:8+1 comment',
      '0:9+1 string',
      '1:0+6 comment',
      '2:0+3 keyword',
      '2:4+1 variable.declaration',
      '3:0+4 keyword',
      '3:7+4 variable',
      '4:0+3 keyword',
      '4:4+1 variable.declaration',
      '4:6+3 string',
      '4:9+2 variable',
      '4:11+1 string',
    ]);
  });

  it('marks flags, exec-form strings and application names', async () => {
    assert.deepEqual(await tokens('FROM scratch\nCOPY --chown=1 a b\nAPP web local://w.yaml\nLAUNCH ["web"]\nCMD ["sh", "-c"]'), [
      '0:0+4 keyword',
      '1:0+4 keyword',
      '1:5+7 parameter',
      '2:0+3 keyword',
      '2:4+3 namespace.declaration',
      '3:0+6 keyword',
      '3:8+1 string',
      '3:9+3 namespace',
      '3:12+1 string',
      '4:0+3 keyword',
      '4:5+4 string',
      '4:11+4 string',
    ]);
  });

  it('marks stage names as namespaces: the AS name a declaration, FROM and --from uses', async () => {
    assert.deepEqual(await tokens('FROM a AS b\nFROM b\nCOPY --from=b x y'), [
      '0:0+4 keyword',
      '0:10+1 namespace.declaration',
      '1:0+4 keyword',
      '1:5+1 namespace',
      '2:0+4 keyword',
      '2:5+6 parameter',
      '2:12+1 namespace',
    ]);
  });

  it('marks predefined variables readonly and splits strings over continuation lines', async () => {
    assert.deepEqual(await tokens("FROM x\nRUN echo '${TARGETARCH}' \"a \\\nb\" $HOME"), [
      '0:0+4 keyword',
      '1:0+3 keyword',
      '1:9+15 string',
      '1:25+4 string',
      '2:0+2 string',
      '2:3+5 variable',
    ]);
    assert.deepEqual(await tokens('FROM x\nRUN echo ${TARGETARCH:-x}'), [
      '0:0+4 keyword',
      '1:0+3 keyword',
      '1:9+12 variable.readonly.defaultLibrary',
    ]);
  });
});
