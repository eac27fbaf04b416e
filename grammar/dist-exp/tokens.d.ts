/**
 * Tokens and the lexer. Kubefile lexing is line oriented, as in BuildKit:
 *
 *  - at the start of a line ("start" modes): blank lines, full-line comments, heredoc bodies and the
 *    instruction name;
 *  - after the instruction name ("line" modes): the argument text up to the end of the logical line,
 *    split only by line continuations.
 *
 * Like BuildKit, arguments are parsed per instruction once the logical line is assembled (words.ts
 * holds BuildKit's line parsers), so the lexer does not split them into words: `fi\⏎le` is one word
 * `file` only after the continuation is cut out. The escape character (`\` or a backtick, chosen by
 * the `# escape=` directive) decides where continuations are, so every mode exists once per escape
 * character; `lex()` picks the pair.
 */
import { type IToken, type TokenType } from 'chevrotain';
import type { EscapeChar } from './directives.js';
export declare const Newline: TokenType;
export declare const InstructionName: TokenType;
export declare const Arguments: TokenType;
export declare const Continuation: TokenType;
/** A newline that ends a blank line, a comment or a heredoc body. */
export declare const LineBreak: TokenType;
/** The newline that ends an instruction's logical line (returns to the line-start mode). */
export declare const InstructionEnd: TokenType;
export declare const Whitespace: TokenType;
export declare const LeadingWhitespace: TokenType;
export declare const Comment: TokenType;
export declare const ByteOrderMark: TokenType;
export interface HeredocBodyPayload {
    /** The delimiter, unquoted. */
    name: string;
    /** False when the file ended before the delimiter line. */
    terminated: boolean;
    /** Offset where the terminator line starts (equals the token end when unterminated). */
    terminatorStart: number;
}
/** The lines of a heredoc, from the line after the instruction through the delimiter line. */
export declare const HeredocBody: TokenType;
/**
 * `escape [ \t]* newline`, then the comment and blank lines BuildKit drops from continuations.
 * Carriage returns before the newline (or the end of the file) do not count: BuildKit trims them.
 * BuildKit also requires the escape not to follow another escape (`([^\\])\\[ \t]*$|^\\[ \t]*$`):
 * words take runs of escapes whole, so this pattern is never tried after one.
 */
export declare function continuationPattern(escape: EscapeChar): RegExp;
/** Every token type, categories included: the parser's vocabulary. */
export declare const allTokens: TokenType[];
export interface LexResult {
    tokens: IToken[];
    /** Line continuations (escape, newline and the comment/blank lines dropped with them), in order. */
    continuations: IToken[];
    errors: {
        offset: number;
        length: number;
        message: string;
    }[];
}
export declare function lex(text: string, escape: EscapeChar): LexResult;
//# sourceMappingURL=tokens.d.ts.map