/**
 * Checks over the whole Kubefile (KF2xxx): where FROM stands, LAUNCH/CMDS placement, applications
 * declared before use, deprecated and duplicated instructions. Each check is a function of the AST;
 * the semantic checks that need platforms and the build context (KF3xxx) plug into the same list.
 */
import {
  createDiagnostic,
  isInstruction,
  isKnown,
  startOffsetOf,
  subRange,
  type AppInstruction,
  type CommandInstruction,
  type Diagnostic,
  type Flag,
  type Instruction,
  type Kubefile,
  type Range,
  type Word,
} from '@kubefile/grammar';
import { execFormCommands } from './cmd.js';
import { isSecretName } from './secrets.js';
import { sourceKind } from './sources.js';
import { stageTable } from './stages.js';

export type Check = (file: Kubefile) => Diagnostic[];

const NONE: readonly Diagnostic[] = [];

/**
 * A check that looks at one instruction at a time. An editor runs the checks on every keystroke over
 * thousands of instructions: most return NONE at once, and nothing is allocated for them.
 */
function eachInstruction(checkOne: (instruction: Instruction, file: Kubefile) => readonly Diagnostic[]): Check {
  return (file) => {
    const out: Diagnostic[] = [];
    for (const instruction of file.instructions) {
      const diagnostics = checkOne(instruction, file);
      if (diagnostics !== NONE) for (const diagnostic of diagnostics) out.push(diagnostic);
    }
    return out;
  };
}

/**
 * The instruction's whole lines, so removing it leaves no blank line behind. The range ends where
 * the next instruction or comment line starts (blank lines in between go with it), or at the end.
 */
function wholeLines(file: Kubefile, instruction: Instruction, next: Instruction | undefined): Range {
  const lineStart = (p: Range['start']) => ({ ...p, column: 0, offset: p.offset - p.column });
  const start = lineStart(instruction.range.start);
  const comment = file.comments.find((c) => c.range.start.line > instruction.range.end.line);
  const candidates = [next?.range.start, comment?.range.start].filter((p): p is Range['start'] => p !== undefined);
  if (candidates.length === 0) return { start, end: file.range.end };
  const end = candidates.reduce((a, b) => (b.offset < a.offset ? b : a));
  return { start, end: lineStart(end) };
}

export const checkFrom: Check = (file) => {
  const out: Diagnostic[] = [];
  const list = file.instructions;
  if (list.length === 0) {
    out.push(createDiagnostic('KF2001', file.range.start.offset === file.range.end.offset ? file.range : { start: file.range.start, end: file.range.start }, 'The Kubefile is empty: it needs at least a FROM instruction'));
    return out;
  }
  const firstFrom = list.findIndex((i) => i.keyword === 'FROM');
  if (firstFrom === -1) {
    out.push(createDiagnostic('KF2002', list[0].keywordRange, 'No FROM instruction: a Kubefile must start with FROM <image> (FROM scratch for an empty base)'));
    return out;
  }
  for (const instruction of list.slice(0, firstFrom)) {
    if (instruction.keyword !== 'ARG') {
      out.push(createDiagnostic('KF2003', instruction.keywordRange, `${instruction.keyword} comes before FROM: only ARG may precede FROM`));
    }
  }
  list.forEach((instruction, i) => {
    if (i > firstFrom && instruction.keyword === 'FROM') {
      out.push(
        createDiagnostic('KF2004', instruction.keywordRange, `More than one FROM: sealer v0.11 builds one FROM (first FROM on line ${list[firstFrom].range.start.line + 1}); kubefilec builds the stages`, [
          { title: 'Remove this FROM', edits: [{ range: wholeLines(file, instruction, list[i + 1]), newText: '' }] },
        ]),
      );
    }
  });
  return out;
};

/** A double-quoted LABEL value that BuildKit reads back as `value`: MAINTAINER is not expanded, LABEL is. */
function quote(value: string, escape: string): string {
  let out = '"';
  for (const ch of value) out += ch === '"' || ch === '$' || ch === escape ? escape + ch : ch;
  return `${out}"`;
}

export const checkDeprecated: Check = eachInstruction((instruction, file) => {
  if (!isInstruction(instruction, 'MAINTAINER')) return NONE;
  const name = instruction.maintainer?.text ?? '';
  const diagnostic = createDiagnostic('KF2005', instruction.keywordRange, 'MAINTAINER is deprecated: use LABEL maintainer="<name>"', [
    { title: 'Replace with LABEL maintainer=...', edits: [{ range: instruction.range, newText: `LABEL maintainer=${quote(name, file.escapeChar)}` }] },
  ]);
  diagnostic.tags = ['deprecated'];
  return [diagnostic];
});

/**
 * The instructions the built image takes: the last stage's in a multi-stage Kubefile (earlier
 * stages only feed it files; KF2030 tells of cluster-image instructions there), else all of them.
 */
function imageInstructions(file: Kubefile): readonly Instruction[] {
  const { stages } = stageTable(file);
  return stages.length > 1 ? file.instructions.slice(stages[stages.length - 1].first) : file.instructions;
}

export const checkLaunch: Check = (file) => {
  const out: Diagnostic[] = [];
  const list = imageInstructions(file);
  let launchOrCmds: Instruction | undefined;
  let cmd: Instruction | undefined;
  let launch: Instruction | undefined;
  list.forEach((instruction, i) => {
    const keyword = instruction.keyword;
    if (keyword === 'CMD') cmd ??= instruction;
    if (keyword !== 'LAUNCH' && keyword !== 'CMDS') return;
    if (keyword === 'LAUNCH') launch ??= instruction;
    if (launchOrCmds) {
      const what = launchOrCmds.keyword === keyword ? `${keyword} is given twice` : 'LAUNCH and CMDS cannot both be given';
      out.push(createDiagnostic('KF2007', instruction.keywordRange, `${what} (first on line ${launchOrCmds.range.start.line + 1}); only one may be the last instruction`));
    } else {
      launchOrCmds = instruction;
    }
    if (i !== list.length - 1) {
      out.push(createDiagnostic('KF2006', instruction.keywordRange, `${keyword} must be the last instruction`));
    }
  });
  if (cmd && launch) {
    out.push(createDiagnostic('KF2011', launch.keywordRange, `CMD (line ${cmd.range.start.line + 1}) and LAUNCH are mutually exclusive: use CMDS or APPCMDS instead of CMD`));
  }
  return out;
};

function declaresApplication(instruction: Instruction): instruction is AppInstruction {
  // The keyword first: it rules out most instructions at once.
  return (instruction.keyword === 'APP' || instruction.keyword === 'CNI' || instruction.keyword === 'CSI') && isKnown(instruction);
}

/** Applications: declared by APP/CNI/CSI, used by LAUNCH, APPCMDS and APPENV. */
export const checkApplications: Check = (file) => {
  const out: Diagnostic[] = [];
  const declared = new Map<string, AppInstruction>();
  const list = imageInstructions(file);
  for (const instruction of list) {
    if (declaresApplication(instruction) && instruction.name) {
      const name = instruction.name.text;
      const earlier = declared.get(name);
      if (earlier) {
        out.push(createDiagnostic('KF2013', instruction.name.range, `Application "${name}" is declared again (first on line ${earlier.range.start.line + 1}); this declaration replaces it`));
      } else {
        declared.set(name, instruction);
      }
    }
  }
  const from = list.find((i) => isInstruction(i, 'FROM'));
  const base = from && isInstruction(from, 'FROM') ? from.image?.text : undefined;
  const fromScratch = base === undefined || base.toLowerCase() === 'scratch';
  const use = (word: Word | undefined, user: Instruction) => {
    if (!word) return;
    const name = word.text.trim();
    if (name.length === 0) return;
    const declaration = declared.get(name);
    if (declaration && declaration.range.start.offset > user.range.start.offset) {
      out.push(createDiagnostic('KF2010', word.range, `${user.keyword} uses application "${name}" before its ${declaration.keyword} on line ${declaration.range.start.line + 1}`));
    } else if (!declaration) {
      const known = [...declared.keys()];
      const hint = known.length > 0 ? ` (declared: ${known.join(', ')})` : '';
      if (fromScratch) {
        out.push(createDiagnostic('KF2008', word.range, `${user.keyword} names application "${name}", which no APP, CNI or CSI declares${hint}`));
      } else {
        out.push(createDiagnostic('KF2009', word.range, `Application "${name}" is not declared in this Kubefile; it must come from the base image ${base}`));
      }
    }
  };
  for (const instruction of list) {
    if (isInstruction(instruction, 'LAUNCH')) for (const app of instruction.apps) use(app, instruction);
    else if (isInstruction(instruction, 'APPCMDS') || isInstruction(instruction, 'APPENV')) use(instruction.app, instruction);
  }
  return out;
};

/**
 * Where sealer v0.11 builds something else than kubefilec from the same instruction (kubefilec
 * keeps the design documents' meaning): CMD in exec form (KF2015), CMD on a base image (KF2016),
 * RUN (KF2017). See "Differences from sealer v0.11" in docs/kubefile.md.
 */
export const checkSealerDifferences: Check = (file) => {
  const out: Diagnostic[] = [];
  const list = imageInstructions(file);
  const from = list.find((i) => isInstruction(i, 'FROM'));
  const base = from && isInstruction(from, 'FROM') ? from.image?.text : undefined;
  let cmdOnBase = false;
  let run = false;
  for (const instruction of list) {
    if (isInstruction(instruction, 'CMD')) {
      if (instruction.form === 'exec') {
        // Written as one shell-form CMD per command, sealer runs what kubefilec runs.
        const commands = execFormCommands(instruction.args.map((a) => a.text));
        const runs = commands.map((command) => `"${command}"`).join(', then ');
        const fix = commands.length === 1 ? { range: instruction.argsRange, newText: commands[0]! } : { range: instruction.range, newText: commands.map((command) => `${instruction.keywordText} ${command}`).join('\n') };
        out.push(
          createDiagnostic(
            'KF2015',
            instruction.keywordRange,
            `sealer v0.11 keeps CMD's text as written, brackets and quotes included, and runs ${instruction.argsText} as a command; kubefilec runs ${runs || 'nothing'}: write it in shell form`,
            commands.length > 0 ? [{ title: commands.length === 1 ? `Write CMD ${commands[0]}` : `Write ${commands.length} CMD lines in shell form`, edits: [fix] }] : undefined,
          ),
        );
      }
      if (!cmdOnBase && base !== undefined && base.toLowerCase() !== 'scratch') {
        cmdOnBase = true;
        out.push(
          createDiagnostic(
            'KF2016',
            instruction.keywordRange,
            `sealer v0.11 records only this Kubefile's CMDs: the CMDs of the base image ${base}, if it has any, are dropped; kubefilec runs them first, then these`,
          ),
        );
      }
    } else if (isInstruction(instruction, 'RUN') && !run) {
      run = true;
      out.push(
        createDiagnostic(
          'KF2017',
          instruction.keywordRange,
          'sealer v0.11 runs RUN with buildah inside the image (its root as /, so the image needs /bin/sh and the programs); kubefilec runs it on the build host in the image root, with its bin/ first on PATH (--isolation chroot is closer to sealer)',
        ),
      );
    }
  }
  return out;
};

/** An ARG default as BuildKit reads it: quotes and escapes removed (the text as written if it has variables). */
function defaultValue(word: Word | undefined): string | undefined {
  if (!word) return undefined;
  const parts = word.parts;
  if (!parts || parts.some((p) => p.kind !== 'literal')) return word.text;
  return parts.map((p) => (p.kind === 'literal' ? p.value : '')).join('');
}

export const checkDuplicateArgs: Check = (file) => {
  const out: Diagnostic[] = [];
  const seen = new Map<string, Word | undefined>();
  for (const instruction of file.instructions) {
    if (!isInstruction(instruction, 'ARG')) continue;
    for (const declaration of instruction.declarations) {
      const name = declaration.name.text;
      const value = declaration.value;
      const earlier = seen.get(name);
      if (value !== undefined && earlier !== undefined && defaultValue(earlier) !== defaultValue(value)) {
        out.push(createDiagnostic('KF2014', declaration.range, `ARG ${name} is declared again with another default ("${value.text}" replaces "${earlier.text}")`));
      }
      if (!seen.has(name) || value !== undefined) seen.set(name, value);
    }
  }
  return out;
};

/** BuildKit's SecretsUsedInArgOrEnv: an ARG or ENV named like a secret (KF2018). */
export const checkSecretNames: Check = eachInstruction((instruction) => {
  const names = isInstruction(instruction, 'ARG') ? instruction.declarations : isInstruction(instruction, 'ENV') ? instruction.pairs : undefined;
  if (!names) return NONE;
  let out: Diagnostic[] | undefined;
  for (const { name } of names) {
    if (!isSecretName(name.text)) continue;
    const where = instruction.keyword === 'ENV' ? 'its value is stored in the image config' : 'RUN sees its value (kubefilec shows it as *** in the image history, the config and the build output)';
    (out ??= []).push(createDiagnostic('KF2018', name.range, `${instruction.keyword} ${name.text} looks like it holds a secret: ${where}; pass secrets another way`));
  }
  return out ?? NONE;
});

const LOWER_CASE = /[a-z]/;

export const checkKeywordCase: Check = eachInstruction((instruction) => {
  if (!LOWER_CASE.test(instruction.keywordText) || 'unknown' in instruction) return NONE;
  return [
    createDiagnostic('KF2012', instruction.keywordRange, `Write the keyword in upper case: ${instruction.keyword}`, [
      { title: `Change to ${instruction.keyword}`, edits: [{ range: instruction.keywordRange, newText: instruction.keyword }] },
    ]),
  ];
});

/** The edit removing a flag and the blanks after it (up to the next flag or argument), moving with the instruction. */
function removeFlag(instruction: Instruction, flag: Flag): Range {
  const from = startOffsetOf(flag.range);
  const next = [...instruction.flags, ...instruction.args].map((node) => startOffsetOf(node.range)).filter((offset) => offset > from);
  return next.length === 0 ? flag.range : subRange(flag.range, 0, Math.min(...next) - from);
}

/** BuildKit's FromPlatformFlagConstDisallowed (KF2019) and RedundantTargetPlatform (KF2020). */
export const checkFromPlatform: Check = eachInstruction((instruction) => {
  if (!isInstruction(instruction, 'FROM')) return NONE;
  const out: Diagnostic[] = [];
  for (const flag of instruction.flags) {
    if (flag.name !== 'platform' || flag.value === undefined || flag.value === '') continue;
    const removal = removeFlag(instruction, flag);
    if (flag.value === '$TARGETPLATFORM' || flag.value === '${TARGETPLATFORM}') {
      const diagnostic = createDiagnostic('KF2020', flag.range, `--platform=${flag.value} is redundant: the base is taken for the target platform anyway`, [
        { title: 'Remove --platform', edits: [{ range: removal, newText: '' }] },
      ]);
      diagnostic.tags = ['unnecessary'];
      out.push(diagnostic);
    } else if (!flag.value.includes('$')) {
      out.push(
        createDiagnostic('KF2019', flag.range, `FROM --platform=${flag.value} takes the ${flag.value} base for every target platform: use a variable such as $BUILDPLATFORM, or drop the flag`, [
          { title: 'Remove --platform (take the base for each target platform)', edits: [{ range: removal, newText: '' }] },
        ]),
      );
    }
  }
  return out;
});

/**
 * A legacy `ENV k v` value (the rest of the line, read by BuildKit's word processing) written as
 * one `k=v` word that reads the same: as is without blanks, else in double quotes, where single-
 * quoted text and escapes are rewritten to mean what they meant outside them.
 */
export function keyValueWord(value: string, escape: string): string {
  let plain = true;
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quote === undefined && ch === escape) i++;
    else if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (quote === "'" && ch === "'") quote = undefined;
    else if (quote === '"' && ch === escape) i++;
    else if (quote === '"' && ch === '"') quote = undefined;
    else if (quote === undefined && (ch === ' ' || ch === '\t')) plain = false;
  }
  if (plain) return value;
  const special = (c: string) => c === '"' || c === '$' || c === escape;
  let out = '"';
  quote = undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quote === undefined) {
      if (ch === escape) {
        // Outside quotes an escape makes any character literal; in double quotes only the special ones need it.
        const next = value[++i];
        if (next !== undefined) out += special(next) ? escape + next : next;
      } else if (ch === '"' || ch === "'") quote = ch;
      else out += ch;
    } else if (quote === "'") {
      if (ch === "'") quote = undefined;
      else out += special(ch) ? escape + ch : ch;
    } else if (ch === escape) {
      out += ch + (value[++i] ?? '');
    } else if (ch === '"') quote = undefined;
    else out += ch;
  }
  return `${out}"`;
}

/** BuildKit's LegacyKeyValueFormat: `ENV key value` and `LABEL key value` (KF2021). */
export const checkLegacyKeyValue: Check = eachInstruction((instruction, file) => {
  if (!isInstruction(instruction, 'ENV') && !isInstruction(instruction, 'LABEL')) return NONE;
  const out: Diagnostic[] = [];
  for (const pair of instruction.pairs) {
    if (pair.separator !== ' ' || !pair.value) continue;
    const word = `${pair.name.text}=${keyValueWord(pair.value.text, file.escapeChar)}`;
    out.push(
      createDiagnostic('KF2021', pair.range, `"${instruction.keyword} ${pair.name.text} value" is the legacy form: write ${instruction.keyword} ${pair.name.text}=value`, [
        { title: `Write ${instruction.keyword} ${word}`, edits: [{ range: pair.range, newText: word }] },
      ]),
    );
  }
  return out;
});

/** Names ADD unpacks when they are tar archives (it looks at the content; these are the names that suggest one). */
const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|tzst|gz|bz2|xz|zst)$/i;
/** Flags COPY takes too; ADD's others (`--keep-git-dir` for git sources) mean nothing for local files. */
const COPY_FLAGS = new Set(['chown', 'chmod', 'link', 'exclude']);

/** A local ADD source that cannot be an archive: no variable (it could name a URL or a tarball), and a glob only when its extension is not an archive's. */
function plainLocalSource(word: Word): boolean {
  const text = word.text;
  if (text.includes('$') || sourceKind(text) !== 'context' || ARCHIVE_NAME.test(text)) return false;
  return !/[*?[]/.test(text) || /\.[A-Za-z0-9]+$/.test(text.slice(text.lastIndexOf('/') + 1).replace(/^.*[*?\]]/, ''));
}

/** hadolint's DL3020: ADD of plain local files, which COPY copies alike (KF2022). */
export const checkAddForCopy: Check = eachInstruction((instruction) => {
  if (!isInstruction(instruction, 'ADD') || instruction.sources.length === 0) return NONE;
  // --unpack and --checksum make ADD do what COPY cannot.
  if (instruction.flags.some((f) => f.name === 'unpack' || f.name === 'checksum')) return NONE;
  if (!instruction.sources.every(plainLocalSource)) return NONE;
  const keyword = instruction.keywordText === instruction.keywordText.toLowerCase() ? 'copy' : 'COPY';
  const edits = [{ range: instruction.keywordRange, newText: keyword }, ...instruction.flags.filter((f) => !COPY_FLAGS.has(f.name)).map((f) => ({ range: removeFlag(instruction, f), newText: '' }))];
  return [createDiagnostic('KF2022', instruction.keywordRange, 'ADD of local files that are not archives copies them as COPY does: use COPY', [{ title: 'Change to COPY', edits }])];
});

/** hadolint's DL3059: a shell-form RUN right after another, with the same flags (KF2023). */
export const checkConsecutiveRuns: Check = (file) => {
  const out: Diagnostic[] = [];
  const commentLines = new Set(file.comments.map((c) => c.range.start.line));
  const joinable = (i: Instruction | undefined): i is CommandInstruction => i !== undefined && isInstruction(i, 'RUN') && i.form === 'shell' && i.heredocs.length === 0 && i.command !== undefined;
  file.instructions.forEach((instruction, index) => {
    const previous = file.instructions[index - 1];
    if (!joinable(instruction) || !joinable(previous)) return;
    if (previous.flags.map((f) => f.text).join(' ') !== instruction.flags.map((f) => f.text).join(' ')) return;
    // A comment between them explains a step of its own (and the join would delete it).
    for (let line = previous.range.end.line + 1; line < instruction.range.start.line; line++) if (commentLines.has(line)) return;
    const command = previous.command!.text.trimEnd();
    // `# ...` may be a shell comment that would swallow the joined command; `;`, `&`, `|` at the end would not take `&&`.
    const fixable = !command.includes('#') && !/[;&|]$/.test(command);
    const fix = { title: 'Join with the RUN before (one layer)', edits: [{ range: { start: previous.range.end, end: instruction.argsRange.start }, newText: ` && ${file.escapeChar}\n    ` }] };
    out.push(createDiagnostic('KF2023', instruction.keywordRange, `RUN right after the RUN on line ${previous.range.start.line + 1}: each makes a layer; join them with &&`, fixable ? [fix] : undefined));
  });
  return out;
};

/** Parser directives in lower case, as BuildKit's documentation writes them (KF2024). */
export const checkDirectiveCase: Check = (file) =>
  file.directives.flatMap((directive) =>
    directive.nameText === directive.name
      ? []
      : [createDiagnostic('KF2024', directive.nameRange, `Write the directive name in lower case: ${directive.name}`, [{ title: `Change to ${directive.name}`, edits: [{ range: directive.nameRange, newText: directive.name }] }])],
  );

/** BuildKit's reserved stage names (dockerfile2llb/validations.go). */
const RESERVED_STAGE_NAMES = new Set(['scratch', 'context']);

/** BuildKit's DuplicateStageName (KF2026), ReservedStageName (KF2027), StageNameCasing (KF2028) and FromAsCasing (KF2029). */
export const checkStageNames: Check = (file) => {
  const out: Diagnostic[] = [];
  const seen = new Map<string, number>();
  for (const stage of stageTable(file).stages) {
    const word = stage.nameWord;
    if (!word || stage.name === undefined) continue;
    const line = stage.from.range.start.line + 1;
    if (RESERVED_STAGE_NAMES.has(stage.name)) out.push(createDiagnostic('KF2027', word.range, `Stage name "${word.text}" is reserved: ${stage.name} means ${stage.name === 'scratch' ? 'the empty image' : 'the build context'}`));
    const earlier = seen.get(stage.name);
    if (earlier !== undefined) out.push(createDiagnostic('KF2026', word.range, `Duplicate stage name "${stage.name}" (first on line ${earlier}): references mean the last stage of that name`));
    else seen.set(stage.name, line);
    if (word.text !== stage.name) {
      out.push(createDiagnostic('KF2028', word.range, `Stage name "${word.text}" should be lower case: it is read as "${stage.name}"`, [{ title: `Change to ${stage.name}`, edits: [{ range: word.range, newText: stage.name }] }]));
    }
    const keyword = stage.from.keywordText;
    const as = stage.from.args[1];
    const wanted = keyword === keyword.toLowerCase() ? as.text.toLowerCase() : keyword === keyword.toUpperCase() ? as.text.toUpperCase() : as.text;
    if (as.text !== wanted) {
      out.push(createDiagnostic('KF2029', as.range, `'${as.text}' and '${keyword}' keywords' casing do not match: write ${wanted}`, [{ title: `Change to ${wanted}`, edits: [{ range: as.range, newText: wanted }] }]));
    }
  }
  return out;
};

/** `FROM x` where x names only a later stage (KF3027): FROM sees earlier stages, so BuildKit pulls an image x. */
export const checkLaterStageBase: Check = (file) => {
  const table = stageTable(file);
  const out: Diagnostic[] = [];
  for (const stage of table.stages) {
    const word = stage.from.image;
    if (!word || stage.baseStage !== undefined || (word.parts ?? []).some((p) => p.kind !== 'literal')) continue;
    const later = table.byName.get(word.text.toLowerCase());
    if (later === undefined || later <= stage.index) continue;
    out.push(
      createDiagnostic('KF3027', word.range, `"${word.text}" names a stage that comes later (line ${table.stages[later].from.range.start.line + 1}): FROM sees earlier stages only, so "${word.text}" is taken as an image to pull; move that stage above this FROM`),
    );
  }
  return out;
};

/** What only the built cluster image (the last stage) takes: in an earlier stage it changes nothing (KF2030). */
const CLUSTER_IMAGE_KEYWORDS = new Set(['APP', 'APPCMDS', 'APPENV', 'CNI', 'CSI', 'LAUNCH', 'CMDS', 'KUBEVERSION']);

export const checkStageInstructions: Check = (file) => {
  const { stages } = stageTable(file);
  const out: Diagnostic[] = [];
  for (const stage of stages.slice(0, -1)) {
    for (let i = stage.first + 1; i < stage.end; i++) {
      const instruction = file.instructions[i];
      if (!CLUSTER_IMAGE_KEYWORDS.has(instruction.keyword)) continue;
      const where = stage.name ?? `stage ${stage.index}`;
      out.push(createDiagnostic('KF2030', instruction.keywordRange, `${instruction.keyword} in ${where}, which is not the last stage: it changes nothing in the image; move it to the last stage`));
    }
  }
  return out;
};

/** The structural checks, in the order their diagnostics are usually read. */
export const STRUCTURE_CHECKS: readonly Check[] = [
  checkFrom,
  checkLaunch,
  checkApplications,
  checkDeprecated,
  checkDuplicateArgs,
  checkSecretNames,
  checkSealerDifferences,
  checkKeywordCase,
  checkFromPlatform,
  checkLegacyKeyValue,
  checkAddForCopy,
  checkConsecutiveRuns,
  checkDirectiveCase,
  checkStageNames,
  checkStageInstructions,
  checkLaterStageBase,
];

/** Runs the checks over a parsed Kubefile. */
export function check(file: Kubefile, checks: readonly Check[] = STRUCTURE_CHECKS): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const c of checks) for (const diagnostic of c(file)) out.push(diagnostic);
  return out;
}
