/**
 * CST → AST. For each instruction the builder joins its physical tokens into the logical line
 * (continuations cut out), applies BuildKit's argument rules for the keyword, validates the
 * instruction's shape against the instruction table, and maps every piece back to source ranges.
 */
import type { CstNode, IToken } from 'chevrotain';
import type { Kubefile } from './ast.js';
import { type Diagnostic } from './diagnostics.js';
import type { DirectiveScan } from './directives.js';
import { LineMap } from './positions.js';
export interface AstResult {
    ast: Kubefile;
    diagnostics: Diagnostic[];
}
export declare function buildAst(cst: CstNode, text: string, continuations: IToken[], scan: DirectiveScan, lines: LineMap): AstResult;
//# sourceMappingURL=toAst.d.ts.map