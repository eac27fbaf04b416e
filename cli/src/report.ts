/**
 * Diagnostics for people and tools: compiler-style text, JSON, and SARIF 2.1.0 for code scanning.
 * Lines and columns are 1-based here; end columns point just past the last character.
 */
import { CATALOGUE, type Diagnostic, type Severity } from '@kubefile/grammar';

export type ReportFormat = 'text' | 'json' | 'sarif';

export interface FileDiagnostics {
  file: string;
  diagnostics: Diagnostic[];
}

export interface JsonDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  /** An outside checker's code and its explanation (ShellCheck's `SC2086` under KF4001). */
  rule?: { id: string; href: string };
  message: string;
}

export function toJsonDiagnostic(file: string, d: Diagnostic): JsonDiagnostic {
  return {
    file,
    line: d.range.start.line + 1,
    column: d.range.start.column + 1,
    endLine: d.range.end.line + 1,
    endColumn: d.range.end.column + 1,
    severity: d.severity,
    code: d.code,
    ...(d.rule ? { rule: { id: d.rule.id, href: d.rule.href } } : {}),
    message: d.message,
  };
}

export function formatText(reports: FileDiagnostics[]): string {
  return reports
    .flatMap((r) => r.diagnostics.map((d) => `${r.file}:${d.range.start.line + 1}:${d.range.start.column + 1}: ${d.severity} ${d.code}${d.rule ? ` ${d.rule.id}` : ''}: ${d.message}\n`))
    .join('');
}

export function formatJson(reports: FileDiagnostics[]): string {
  const diagnostics = reports.flatMap((r) => r.diagnostics.map((d) => toJsonDiagnostic(r.file, d)));
  return JSON.stringify({ diagnostics }, null, 2) + '\n';
}

const SARIF_LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function formatSarif(reports: FileDiagnostics[], toolVersion: string): string {
  const codes = Object.keys(CATALOGUE) as (keyof typeof CATALOGUE)[];
  const rules = codes.map((code) => ({
    id: code,
    name: CATALOGUE[code].title.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : '')),
    shortDescription: { text: CATALOGUE[code].title },
    fullDescription: { text: CATALOGUE[code].description },
    defaultConfiguration: { level: SARIF_LEVEL[CATALOGUE[code].severity] },
    helpUri: `https://github.com/kubefile/kubefile-toolkit/blob/main/docs/diagnostics.md#${code.toLowerCase()}`,
  }));
  const results = reports.flatMap((r) =>
    r.diagnostics.map((d) => ({
      // A hierarchical id (SARIF 3.27.5) for an outside checker's finding: `KF4001/SC2086`, described by KF4001.
      ruleId: d.rule ? `${d.code}/${d.rule.id}` : d.code,
      ruleIndex: codes.indexOf(d.code),
      level: SARIF_LEVEL[d.severity],
      message: { text: d.rule ? `${d.message} (${d.rule.id}: ${d.rule.href})` : d.message },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: toUri(r.file) },
            region: {
              startLine: d.range.start.line + 1,
              startColumn: d.range.start.column + 1,
              endLine: d.range.end.line + 1,
              endColumn: d.range.end.column + 1,
            },
          },
        },
      ],
    })),
  );
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'kubefilec', version: toolVersion, informationUri: 'https://github.com/kubefile/kubefile-toolkit', rules } },
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

/** A relative URI reference for a path as given (SARIF resolves it against the scan root). */
function toUri(file: string): string {
  return file
    .split(/[\\/]/)
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

export function formatReport(format: ReportFormat, reports: FileDiagnostics[], toolVersion: string): string {
  if (format === 'json') return formatJson(reports);
  if (format === 'sarif') return formatSarif(reports, toolVersion);
  return formatText(reports);
}
