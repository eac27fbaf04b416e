/**
 * @kubefile/grammar: lexing, parsing and the typed AST of Kubefiles. Pure: no Node-only APIs.
 *
 *   const { ast, diagnostics } = parse(text);
 */
import { scanDirectives } from './directives.js';
import { createDiagnostic, sortDiagnostics } from './diagnostics.js';
import { parseTokens } from './parser.js';
import { LineMap } from './positions.js';
import { buildAst } from './toAst.js';
import { lex } from './tokens.js';
/** Parses a Kubefile. Never throws: problems come back as diagnostics next to a complete AST. */
export function parse(text) {
    const lines = new LineMap(text);
    const directives = scanDirectives(text);
    const lexed = lex(text, directives.escape);
    const { cst, errors } = parseTokens(lexed.tokens);
    const { ast, diagnostics } = buildAst(cst, text, lexed.continuations, directives, lines);
    // The lexer and grammar accept any text; these would be internal faults, kept visible all the same.
    for (const e of lexed.errors)
        diagnostics.push(createDiagnostic('KF1001', lines.range(e.offset, e.offset + e.length), e.message));
    for (const e of errors) {
        const offset = Number.isFinite(e.token.startOffset) ? e.token.startOffset : text.length;
        diagnostics.push(createDiagnostic('KF1001', lines.range(offset, offset + (e.token.image?.length ?? 0)), e.message));
    }
    return { ast, diagnostics: sortDiagnostics(diagnostics), lines };
}
export * from './ast.js';
export * from './diagnostics.js';
export { scanDirectives, KNOWN_DIRECTIVES } from './directives.js';
export * from './instructions.js';
export { LineMap, SourceRange } from './positions.js';
export { lex } from './tokens.js';
export { scanWord, variablesOf } from './variables.js';
//# sourceMappingURL=index.js.map