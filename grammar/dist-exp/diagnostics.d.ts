/**
 * The one catalogue of Kubefile diagnostics. Codes are stable: a code is never reused for another
 * meaning. KF1xxx are found by the parser (one instruction at a time), KF2xxx by the structural
 * checks over the whole file, KF3xxx by the compiler's semantic checks (platforms, variables,
 * build context). docs/diagnostics.md is generated from this table.
 */
import type { Range } from './positions.js';
export type Severity = 'error' | 'warning' | 'info' | 'hint';
export interface TextEdit {
    range: Range;
    newText: string;
}
export interface Fix {
    title: string;
    edits: TextEdit[];
}
export interface Diagnostic {
    code: DiagnosticCode;
    severity: Severity;
    range: Range;
    message: string;
    /** Edits that resolve the problem, when one is obvious (offered as LSP quick fixes). */
    fixes?: Fix[];
}
export interface CatalogueEntry {
    severity: Severity;
    title: string;
    /** Why it matters and what to do, for docs/diagnostics.md. */
    description: string;
    /** Reported only when asked for (`--enable CODE`). */
    offByDefault?: boolean;
    example?: string;
}
export declare const CATALOGUE: {
    KF1001: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1002: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1003: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1004: {
        severity: "warning";
        title: string;
        description: string;
        example: string;
    };
    KF1005: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1006: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1007: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1008: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1009: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1010: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1011: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1012: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1013: {
        severity: "warning";
        title: string;
        description: string;
        example: string;
    };
    KF1014: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1015: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF1016: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF2001: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2002: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2003: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF2004: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2005: {
        severity: "warning";
        title: string;
        description: string;
        example: string;
    };
    KF2006: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2007: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2008: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF2009: {
        severity: "warning";
        title: string;
        description: string;
    };
    KF2010: {
        severity: "error";
        title: string;
        description: string;
        example: string;
    };
    KF2011: {
        severity: "error";
        title: string;
        description: string;
    };
    KF2012: {
        severity: "hint";
        title: string;
        description: string;
        offByDefault: true;
        example: string;
    };
    KF2013: {
        severity: "warning";
        title: string;
        description: string;
    };
    KF2014: {
        severity: "warning";
        title: string;
        description: string;
    };
};
export type DiagnosticCode = keyof typeof CATALOGUE;
export declare const DIAGNOSTIC_CODES: DiagnosticCode[];
export declare function createDiagnostic(code: DiagnosticCode, range: Range, message: string, fixes?: Fix[]): Diagnostic;
/** Which codes a run reports: everything on by default, minus `disable`, plus `enable`d opt-in codes. */
export interface DiagnosticFilter {
    enable?: readonly string[];
    disable?: readonly string[];
}
export declare function isReported(code: DiagnosticCode, filter?: DiagnosticFilter): boolean;
export declare function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[];
//# sourceMappingURL=diagnostics.d.ts.map