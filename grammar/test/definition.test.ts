/**
 * The lexer and the parser are built without Chevrotain's checks of their definitions (they cost
 * every process that parses); these run them, so a definition mistake still fails here.
 */
import assert from 'node:assert/strict';
import { Lexer } from 'chevrotain';

// Internal modules of the package (not its API): the built files next to the tests' own.
type Tokens = typeof import('../src/tokens.js');
type Parser = typeof import('../src/parser.js');
const tokens = (await import(new URL('../../dist/tokens.js', import.meta.url).href)) as Tokens;
const parser = (await import(new URL('../../dist/parser.js', import.meta.url).href)) as Parser;

describe('lexer and parser definitions', () => {
  it('the lexer definition passes Chevrotain\'s checks', () => {
    const lexer = new Lexer(tokens.lexerDefinition, { ...tokens.lexerConfig, safeMode: false, skipValidations: false, deferDefinitionErrorsHandling: true });
    assert.deepEqual(lexer.lexerDefinitionErrors, []);
  });

  it('skipping the first-character analysis (safeMode) changes nothing: no mode can use it', () => {
    // Chevrotain's field, not in its typings: which modes the analysis could serve.
    const analysed = new Lexer(tokens.lexerDefinition, { ...tokens.lexerConfig, safeMode: false }) as Lexer & { canModeBeOptimized: Record<string, boolean> };
    assert.deepEqual(analysed.canModeBeOptimized, { startBackslash: false, lineBackslash: false, startBacktick: false, lineBacktick: false });
  });

  it('the grammar passes Chevrotain\'s checks (the parser throws on a definition error)', () => {
    assert.doesNotThrow(() => new parser.KubefileParser(true));
  });
});
