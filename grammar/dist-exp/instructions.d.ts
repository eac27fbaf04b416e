/**
 * The Kubefile instruction set: what each instruction accepts (flags, argument shape) and a short
 * description. The AST builder validates against it; the language server uses it for completion
 * and hover.
 */
export type Keyword = 'FROM' | 'COPY' | 'ADD' | 'ARG' | 'RUN' | 'CMD' | 'ENV' | 'LABEL' | 'MAINTAINER' | 'APP' | 'APPCMDS' | 'APPENV' | 'LAUNCH' | 'CMDS' | 'CNI' | 'CSI' | 'KUBEVERSION';
export type FlagType = 'string' | 'strings' | 'bool';
export interface InstructionSpec {
    keyword: Keyword;
    /** One-line syntax, for hover and completion. */
    syntax: string;
    summary: string;
    flags: Record<string, FlagType>;
    /** Allowed values of string flags, where the set is closed. */
    flagValues?: Record<string, readonly string[]>;
    /** Whether RUN/COPY/ADD-style heredocs are recognised. */
    heredocs: boolean;
    deprecated?: string;
}
export declare const INSTRUCTIONS: Record<Keyword, InstructionSpec>;
export declare const KEYWORDS: Keyword[];
/** Dockerfile instructions that Kubefiles do not support, for clearer messages. */
export declare const DOCKERFILE_ONLY: string[];
export declare function isKeyword(word: string): word is Keyword;
/** The closest keyword to `word` within a small edit distance, for "did you mean". */
export declare function suggestKeyword(word: string): Keyword | undefined;
/** Damerau-Levenshtein distance (adjacent transpositions count as one edit), in three rolling rows. */
export declare function editDistance(a: string, b: string): number;
//# sourceMappingURL=instructions.d.ts.map