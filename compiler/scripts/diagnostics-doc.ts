/** Renders docs/diagnostics.md from the diagnostics catalogue, the single source of truth. */
import { CATALOGUE, DIAGNOSTIC_CODES, type CatalogueEntry } from '@kubefile/grammar';

const GROUPS: [prefix: string, title: string, intro: string][] = [
  ['KF1', 'Syntax (KF1xxx)', 'Found while parsing, one instruction at a time: a mistake in one instruction never hides the others.'],
  ['KF2', 'Structure (KF2xxx)', 'Found by checking the whole file: order of instructions, applications, deprecations.'],
  [
    'KF3',
    'Semantics (KF3xxx)',
    'Found by the compiler for the target platforms, build args and build context (`kubefilec lint --platform ... --build-arg ...`): ' +
      'variables, sources, destinations. A problem found on some platforms only names them.',
  ],
  [
    'KF4',
    'Outside checkers (KF4xxx)',
    'Findings of other tools, run when they are installed, each shown with the tool\'s own code and a link to its explanation.',
  ],
];

export function renderDiagnosticsDoc(): string {
  const lines = [
    '# Kubefile diagnostics',
    '',
    '<!-- Generated from grammar/src/diagnostics.ts by `npm run docs`; edit the catalogue, not this file. -->',
    '',
    'Every problem `kubefilec lint` and the language server report has a stable code, a severity and an exact range.',
    'Codes are never reused. `kubefilec lint --disable CODE` hides a code; `--enable CODE` turns on the opt-in ones.',
    'Fixes marked below are offered as quick fixes in the editor.',
    '',
    '| code | severity | title |',
    '| --- | --- | --- |',
    ...DIAGNOSTIC_CODES.map((code) => `| [${code}](#${code.toLowerCase()}) | ${severityOf(CATALOGUE[code])} | ${CATALOGUE[code].title} |`),
    '',
  ];
  for (const [prefix, title, intro] of GROUPS) {
    lines.push(`## ${title}`, '', intro, '');
    for (const code of DIAGNOSTIC_CODES.filter((c) => c.startsWith(prefix))) {
      const entry: CatalogueEntry = CATALOGUE[code];
      lines.push(`### ${code}`, '', `**${entry.title}** — ${severityOf(entry)}`, '', entry.description, '');
      if (entry.example) lines.push('```kubefile', entry.example, '```', '');
    }
  }
  lines.push(
    '## Semantic checks (KF3xxx)',
    '',
    'Reserved for the compiler\'s checks that need target platforms, build arguments and the build context',
    '(undefined variables, COPY sources missing from the context). They plug into the same catalogue and `lint` pipeline.',
    '',
  );
  return lines.join('\n');
}

function severityOf(entry: CatalogueEntry): string {
  return entry.offByDefault ? `${entry.severity} (off by default)` : entry.severity;
}
