/**
 * The Kubefile parser: a file is a sequence of lines; an instruction is its name, leading flags,
 * arguments, and the heredoc bodies that follow its line. Built once and reused.
 *
 *   kubefile    := ( Newline | comment | instruction )*
 *   comment     := Comment
 *   instruction := InstructionName Flag* ( Word | Flag )* ( Newline heredoc* )?
 *   heredoc     := HeredocBody Newline?
 */
import { CstParser, type CstNode, type ILexingError, type IRecognitionException, type IToken } from 'chevrotain';
import { allTokens, Comment, Flag, HeredocBody, InstructionName, Newline, Word } from './tokens.js';

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
    this.MANY(() => this.CONSUME(Flag));
    this.MANY2(() => {
      this.OR([{ ALT: () => this.CONSUME(Word) }, { ALT: () => this.CONSUME2(Flag, { LABEL: 'Word' }) }]);
    });
    this.OPTION(() => {
      this.CONSUME(Newline);
      this.MANY3(() => this.SUBRULE(this.heredoc));
    });
  });

  heredoc = this.RULE('heredoc', () => {
    this.CONSUME(HeredocBody);
    this.OPTION(() => this.CONSUME(Newline));
  });
}

const parser = new KubefileParser();

export interface ParsedCst {
  cst: CstNode;
  errors: IRecognitionException[];
}

export function parseTokens(tokens: IToken[]): ParsedCst {
  parser.input = tokens;
  const cst = parser.kubefile();
  return { cst, errors: parser.errors };
}

export const cstVisitorBase = parser.getBaseCstVisitorConstructor();

export type { ILexingError };
