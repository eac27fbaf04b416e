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
import { CstParser } from 'chevrotain';
import { allTokens, Arguments, Comment, HeredocBody, InstructionName, Newline } from './tokens.js';
class KubefileParser extends CstParser {
    constructor() {
        super(allTokens, { recoveryEnabled: true, nodeLocationTracking: 'none' });
        this.performSelfAnalysis();
    }
    kubefile = this.RULE('kubefile', () => {
        this.MANY(() => {
            this.OR([
                { ALT: () => this.CONSUME(Newline) },
                { ALT: () => this.SUBRULE(this.comment) },
                { ALT: () => this.SUBRULE(this.instruction) },
            ]);
        });
    });
    comment = this.RULE('comment', () => {
        this.CONSUME(Comment);
    });
    instruction = this.RULE('instruction', () => {
        this.CONSUME(InstructionName);
        this.MANY(() => this.CONSUME(Arguments));
        this.OPTION(() => {
            this.CONSUME(Newline);
            this.MANY2(() => this.SUBRULE(this.heredoc));
        });
    });
    heredoc = this.RULE('heredoc', () => {
        this.CONSUME(HeredocBody);
        this.OPTION(() => this.CONSUME(Newline));
    });
}
const parser = new KubefileParser();
export function parseTokens(tokens) {
    parser.input = tokens;
    const cst = parser.kubefile();
    return { cst, errors: parser.errors };
}
export const cstVisitorBase = parser.getBaseCstVisitorConstructor();
//# sourceMappingURL=parser.js.map