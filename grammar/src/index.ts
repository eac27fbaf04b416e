/**
 * @kubefile/grammar: lexing, parsing and the typed AST of Kubefiles. Pure: no Node-only APIs.
 *
 *   const { ast, diagnostics } = parse(text);
 *   const next = reparse(previous, editedText); // while editing: only the changed lines are parsed again
 */
export { parse, reparse, type ParseResult } from './parse.js';
export * from './ast.js';
export * from './diagnostics.js';
export { scanDirectives, KNOWN_DIRECTIVES, type EscapeChar, type Span } from './directives.js';
export * from './instructions.js';
export { endOffsetOf, LineMap, RangeAnchor, SourceRange, startOffsetOf, subRange, type Position, type Range } from './positions.js';
export { lex, type LexResult } from './tokens.js';
export { MAX_SUBSTITUTION_DEPTH, scanWord, variablesOf, type ScanMode, type VariableModifier } from './variables.js';
