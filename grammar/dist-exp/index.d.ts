import { type Diagnostic } from './diagnostics.js';
import type { Kubefile } from './ast.js';
import { LineMap } from './positions.js';
export interface ParseResult {
    ast: Kubefile;
    /** Syntax diagnostics (KF1xxx), in source order. */
    diagnostics: Diagnostic[];
    lines: LineMap;
}
/** Parses a Kubefile. Never throws: problems come back as diagnostics next to a complete AST. */
export declare function parse(text: string): ParseResult;
export * from './ast.js';
export * from './diagnostics.js';
export { scanDirectives, KNOWN_DIRECTIVES, type EscapeChar, type Span } from './directives.js';
export * from './instructions.js';
export { LineMap, SourceRange, type Position, type Range } from './positions.js';
export { lex, type LexResult } from './tokens.js';
export { scanWord, variablesOf, type ScanMode, type VariableModifier } from './variables.js';
//# sourceMappingURL=index.d.ts.map