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
  ['KF4', 'Shell code (KF4xxx)', 'Found in the shell code of RUN, CMD, CMDS, APPCMDS and heredocs by an outside checker (ShellCheck), each finding under its own code.'],
];

/** How a run chooses what it reports: the options, the `# check=` directive, ignore comments (compiler/src/rules.ts). */
const RULE_CONTROL = [
  '## Rule control',
  '',
  'What is reported, and how severely, is chosen in four places. The directive and the ignore comment never silence an error',
  '(a build must not start on a broken Kubefile because a comment says so): naming an error code there is KF2025. The options can.',
  '',
  '**The `# check=` parser directive** (BuildKit\'s syntax, among the leading directives of the file), options separated by `;`:',
  '',
  '```kubefile',
  '# check=skip=KF2017,KF2023;error=true',
  'FROM scratch',
  '```',
  '',
  '- `skip=CODE,...` does not report these codes in the file; `skip=all` reports no warning, info or hint at all. ShellCheck codes (`SC2086`) may be named too.',
  '- `error=true` reports warnings as errors (as BuildKit fails a build on check violations with it), so `kubefilec build` stops and `kubefilec lint` exits 1. Info and hints stay as they are. `error=false` is the default.',
  '- `experimental=CODE,...` (or `all`) turns on off-by-default codes, as BuildKit\'s opt-in rules.',
  '',
  'Codes are case-sensitive, as BuildKit\'s rule names are. An unknown option or code is KF2025 at its place; the rest still applies.',
  '',
  '**`# kubefile-lint ignore=CODE,...`** on the line above an instruction does not report these codes on that instruction (all its lines:',
  'continuation and heredoc lines too). Several such comments may stand above one instruction; a reason may follow after ` # `.',
  '`ignore=SC2086` silences that ShellCheck finding only, `ignore=KF4001` every ShellCheck finding of the instruction.',
  '',
  '```kubefile',
  'FROM scratch',
  '# kubefile-lint ignore=KF2021 # the old form is kept for sealer v0.8',
  'ENV VERSION 1.0',
  '```',
  '',
  '**Command line**: `kubefilec lint --disable CODE` hides a code, `--enable CODE` turns on an off-by-default one (both repeatable or comma-separated).',
  '',
  '**Editor settings**: `kubefile.lint.enable` and `kubefile.lint.disable` (lists of codes) as the options above, and `kubefile.lint.severity`,',
  'a severity per code (`error`, `warning`, `info`, `hint`, or `off`), e.g. `{ "KF2021": "error", "SC2086": "off" }`; a severity for an',
  'off-by-default code turns it on. Unknown codes in the settings are shown in an error message and left out.',
  'The editor offers "Ignore CODE on this line" and "Ignore CODE in this file" quick fixes, which write the comment and the directive.',
  '',
];

export function renderDiagnosticsDoc(): string {
  const lines = [
    '# Kubefile diagnostics',
    '',
    '<!-- Generated from grammar/src/diagnostics.ts by `npm run docs`; edit the catalogue, not this file. -->',
    '',
    'Every problem `kubefilec lint` and the language server report has a stable code, a severity and an exact range.',
    'Codes are never reused. `kubefilec lint --disable CODE` hides a code; `--enable CODE` turns on the opt-in ones; see [Rule control](#rule-control) for the',
    '`# check=` directive, `# kubefile-lint ignore=` comments and the editor settings.',
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
  lines.push(...RULE_CONTROL);
  return lines.join('\n');
}

function severityOf(entry: CatalogueEntry): string {
  return entry.offByDefault ? `${entry.severity} (off by default)` : entry.severity;
}
