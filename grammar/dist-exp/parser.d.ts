/**
 * The Kubefile parser: a file is a sequence of lines; an instruction is its name, its argument text
 * (in pieces where line continuations cut it), and the heredoc bodies that follow its line.
 * Built once and reused.
 *
 *   kubefile    := ( Newline | comment | instruction )*
 *   comment     := Comment
 *   instruction := InstructionName Arguments* ( Newline heredoc* )?
 *   heredoc     := HeredocBody Newline?
 */
import { type CstNode, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
export interface ParsedCst {
    cst: CstNode;
    errors: IRecognitionException[];
}
export declare function parseTokens(tokens: IToken[]): ParsedCst;
export declare const cstVisitorBase: new (...args: any[]) => import("chevrotain").ICstVisitor<any, any>;
export type { ILexingError };
//# sourceMappingURL=parser.d.ts.map