/**
 * The Kubefile parser: a file is a sequence of lines; an instruction is its name, its argument text
 * (in pieces where line continuations cut it), and the heredoc bodies that follow its line.
 * Built on the first parse and reused: building it (Chevrotain's analysis of the grammar) is work a
 * process that never parses, such as the language server until its first document, need not do.
 *
 *   kubefile    := ( Newline | Comment | instruction )*
 *   instruction := InstructionName Arguments* ( Newline heredoc* )?
 *   heredoc     := HeredocBody Newline?
 */
import { CstParser, type CstNode, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
import { allTokens, Arguments, Comment, HeredocBody, InstructionName, Newline } from './tokens.js';

export class KubefileParser extends CstParser {
  /**
   * `validate`: Chevrotain's checks of the grammar (ambiguities, left recursion ...). The parser in
   * use skips them, as they cost every process that parses a few milliseconds;
   * grammar/test/definition.test.ts runs them.
   */
  constructor(validate = false) {
    super(allTokens, { recoveryEnabled: true, nodeLocationTracking: 'none', skipValidations: !validate });
    this.performSelfAnalysis();
  }

  kubefile = this.RULE('kubefile', () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.CONSUME(Comment) },
        { ALT: () => this.SUBRULE(this.instruction) },
      ]);
    });
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

let parser: KubefileParser | undefined;

export interface ParsedCst {
  cst: CstNode;
  errors: IRecognitionException[];
}

export function parseTokens(tokens: IToken[]): ParsedCst {
  parser ??= new KubefileParser();
  parser.input = tokens;
  const cst = parser.kubefile();
  return { cst, errors: parser.errors };
}

export type { ILexingError };
