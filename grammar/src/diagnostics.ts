/**
 * The one catalogue of Kubefile diagnostics. Codes are stable: a code is never reused for another
 * meaning. KF1xxx are found by the parser (one instruction at a time), KF2xxx by the structural
 * checks over the whole file, KF3xxx by the compiler's semantic checks (platforms, variables,
 * build context). docs/diagnostics.md is generated from this table.
 */
import { endOffsetOf, startOffsetOf, type Range } from './positions.js';

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
  /** A finding of an outside checker reported under `code` (ShellCheck's `SC2086` under KF4001), with the page that explains it. */
  rule?: { id: string; href: string };
  /** How an editor may show it: faded (`unnecessary`, code that does nothing) or struck through (`deprecated`). */
  tags?: DiagnosticTag[];
}

export type DiagnosticTag = 'unnecessary' | 'deprecated';

/** Where a code is explained: its section of docs/diagnostics.md. */
export function diagnosticHref(code: DiagnosticCode): string {
  return `${DIAGNOSTICS_DOC_URL}#${code.toLowerCase()}`;
}

export const DIAGNOSTICS_DOC_URL = 'https://github.com/kubefile/kubefile-toolkit/blob/main/docs/diagnostics.md';

export interface CatalogueEntry {
  severity: Severity;
  title: string;
  /** Why it matters and what to do, for docs/diagnostics.md. */
  description: string;
  /** Reported only when asked for (`--enable CODE`). */
  offByDefault?: boolean;
  example?: string;
}

export const CATALOGUE = {
  KF1001: {
    severity: 'error',
    title: 'Unknown instruction',
    description:
      'The first word of a line is not a Kubefile instruction. Near misses get a "did you mean" suggestion and a fix. ' +
      'Dockerfile instructions that Kubefiles do not support (WORKDIR, ENTRYPOINT, EXPOSE, USER, ...) are reported here too.',
    example: 'COPPY app.yaml manifests',
  },
  KF1002: {
    severity: 'error',
    title: 'Missing arguments',
    description: 'The instruction has fewer arguments than it needs, e.g. `COPY src` without a destination or `FROM` without an image.',
    example: 'COPY dashboard.yaml',
  },
  KF1003: {
    severity: 'error',
    title: 'Too many arguments',
    description: 'The instruction has more arguments than it accepts, e.g. `FROM a b` (only `FROM image AS name` takes three words).',
    example: 'FROM kubernetes:v1.19.8 extra',
  },
  KF1004: {
    severity: 'warning',
    title: 'Invalid JSON array',
    description:
      'The arguments look like a JSON array (exec form) but are not valid JSON, e.g. single quotes or a missing comma. ' +
      'Like BuildKit, the instruction is then treated as shell form, which is rarely what was meant. ' +
      'Also reported for CMDS written without a JSON array: every word would run as a separate command.',
    example: "CMD ['kubectl', 'get', 'pods']",
  },
  KF1005: {
    severity: 'error',
    title: 'JSON array with non-string elements',
    description: 'A valid JSON array whose elements are not all strings. BuildKit rejects it: "when using JSON array syntax, arrays must be comprised of strings only".',
    example: 'CMD ["sleep", 10]',
  },
  KF1006: {
    severity: 'error',
    title: 'Malformed name=value pair',
    description: 'An ARG, ENV, LABEL or APPENV argument is not of the form `name=value` (or the name is empty).',
    example: 'ENV a=1 b',
  },
  KF1007: {
    severity: 'error',
    title: 'Bad variable substitution',
    description:
      'A `${...}` reference that BuildKit cannot expand: `${}`, a missing `}`, an unsupported modifier such as `${V:x}` or `${a b}`, ' +
      'or one nested more than 64 deep in the operands of others (`${A:-${B:-...}}`; it is skipped up to its `}` and expands to nothing). ' +
      'Supported forms: `$V ${V} ${V:-w} ${V-w} ${V:+w} ${V+w} ${V:?m} ${V?m} ${V#p} ${V##p} ${V%p} ${V%%p} ${V/p/r} ${V//p/r}`.',
    example: 'COPY ${ARCH/helm bin',
  },
  KF1008: {
    severity: 'error',
    title: 'Unterminated quote',
    description: 'A single or double quote is not closed before the end of the argument.',
    example: 'ENV msg="hello',
  },
  KF1009: {
    severity: 'error',
    title: 'Unterminated heredoc',
    description: 'The file ends before the heredoc delimiter line. The delimiter must stand alone on its line (with `<<-`, leading tabs are allowed).',
    example: 'RUN <<EOF\necho hi',
  },
  KF1010: {
    severity: 'error',
    title: 'Unknown or misplaced flag',
    description: 'A `--flag` the instruction does not accept, or a flag on an instruction that takes none.',
    example: 'COPY --frm=base a b',
  },
  KF1011: {
    severity: 'error',
    title: 'Invalid flag value',
    description: 'A flag without its required `=value`, with a value of the wrong type, or given twice.',
    example: 'RUN --network=cloud echo',
  },
  KF1012: {
    severity: 'error',
    title: 'Invalid parser directive',
    description: 'An `escape` directive with a value other than `\\` or a backtick, or a directive given twice.',
    example: '# escape=x',
  },
  KF1013: {
    severity: 'warning',
    title: 'Empty continuation line',
    description: 'A blank line inside a line continuation. BuildKit skips it with a warning; it will become an error in a future release.',
    example: 'RUN echo a \\\n\n  b',
  },
  KF1014: {
    severity: 'error',
    title: 'JSON array required',
    description: 'APPCMDS takes its command as a JSON array of strings (`APPCMDS app ["cmd", "arg"]`).',
    example: 'APPCMDS nginx kubectl apply -f nginx.yaml',
  },
  KF1015: {
    severity: 'error',
    title: 'Invalid application source',
    description: 'APP, CNI and CSI sources must start with `local://`, `http://` or `https://`.',
    example: 'APP nginx nginx.yaml',
  },
  KF1016: {
    severity: 'error',
    title: 'Invalid heredoc use',
    description: 'A heredoc where the instruction cannot take one, such as the destination of COPY.',
    example: 'COPY a.txt <<EOF',
  },
  KF1017: {
    severity: 'error',
    title: 'NUL character',
    description:
      'A NUL character (U+0000) in the Kubefile, wherever it is. A program\'s arguments and environment cannot hold NUL (the command would be cut there) and image config values should not, ' +
      'so it is reported instead of being dropped in one place and kept in another. One diagnostic per run of control characters, at most 100 for a file.',
  },
  KF1018: {
    severity: 'warning',
    title: 'Control character',
    description:
      'A control character other than tab, newline, vertical tab, form feed and carriage return (U+0001-U+0008, U+000E-U+001F, U+007F) in the Kubefile: usually a copy-paste or encoding accident. ' +
      'It is kept as written; write it as an escape the command understands (`printf \'\\033\'`) if it is meant. One diagnostic per run, at most 100 for a file.',
  },
  KF1019: {
    severity: 'error',
    title: 'Invalid stage name',
    description:
      'The name after `FROM image AS` must start with a letter and hold only letters, digits, `-`, `_` and `.` (BuildKit lower-cases it, then requires `^[a-z][a-z0-9-_.]*$`): ' +
      '"invalid name for build stage: name can\'t start with a number or contain symbols".',
    example: 'FROM scratch AS 1st',
  },
  KF2001: {
    severity: 'error',
    title: 'Empty Kubefile',
    description: 'The file has no instructions at all.',
  },
  KF2002: {
    severity: 'error',
    title: 'No FROM instruction',
    description: 'A Kubefile must name its base with `FROM` (`FROM scratch` for an image built from nothing).',
  },
  KF2003: {
    severity: 'error',
    title: 'Instruction before FROM',
    description: 'Only `ARG` may come before `FROM` (its values can then be used in `FROM`).',
    example: 'COPY a b\nFROM scratch',
  },
  KF2004: {
    severity: 'warning',
    title: 'More than one FROM',
    description:
      'sealer v0.11 builds one FROM: a multi-stage Kubefile (`FROM ... AS builder`, `COPY --from=builder`) builds with kubefilec only. ' +
      'Off by default; enable it to keep a Kubefile buildable by sealer. The fix removes the extra FROM.',
    offByDefault: true,
    example: 'FROM scratch AS builder\nFROM scratch',
  },
  KF2005: {
    severity: 'warning',
    title: 'Deprecated MAINTAINER',
    description: 'MAINTAINER is deprecated; use `LABEL maintainer="name"`. The fix rewrites it.',
    example: 'MAINTAINER jane@example.com',
  },
  KF2006: {
    severity: 'error',
    title: 'LAUNCH or CMDS not last',
    description: 'LAUNCH and CMDS say what runs when the cluster image starts; sealer requires them to be the last instruction.',
  },
  KF2007: {
    severity: 'error',
    title: 'LAUNCH or CMDS given twice',
    description: 'Only one LAUNCH and one CMDS are allowed, and not both (each must be the last instruction).',
  },
  KF2008: {
    severity: 'error',
    title: 'Undeclared application',
    description:
      'LAUNCH, APPCMDS or APPENV names an application that no APP, CNI or CSI declares. With a base image other than ' +
      '`scratch` the application may come from the base: then this is reported as KF2009 instead.',
    example: 'FROM scratch\nAPP a local://a.yaml\nLAUNCH ["b"]',
  },
  KF2009: {
    severity: 'warning',
    title: 'Application not declared in this Kubefile',
    description: 'LAUNCH, APPCMDS or APPENV names an application not declared here; it must come from the base image.',
  },
  KF2010: {
    severity: 'error',
    title: 'Application used before its APP',
    description: 'APPCMDS and APPENV must come after the APP (or CNI/CSI) that declares the application.',
    example: 'APPENV a k=v\nAPP a local://a',
  },
  KF2011: {
    severity: 'error',
    title: 'CMD together with LAUNCH',
    description: 'CMD (deprecated) and LAUNCH are mutually exclusive: sealer rejects images that have both.',
  },
  KF2012: {
    severity: 'hint',
    title: 'Keyword not in upper case',
    description: 'Instructions are case-insensitive, but upper case is the convention (and sealer matches APPCMDS, ENV and CMD case-sensitively). Off by default.',
    offByDefault: true,
    example: 'copy a b',
  },
  KF2013: {
    severity: 'warning',
    title: 'Application declared twice',
    description: 'An APP, CNI or CSI name is declared again; the later declaration replaces the earlier one.',
  },
  KF2014: {
    severity: 'warning',
    title: 'Duplicate ARG',
    description: 'The same ARG name is declared twice with different defaults; the later default wins.',
  },
  KF2015: {
    severity: 'warning',
    title: 'CMD in exec form (sealer keeps the brackets)',
    description:
      'sealer v0.11 stores the text after `CMD ` as the command, JSON brackets and quotes included, so `CMD ["kubectl", "get", "pods"]` runs `["kubectl", "get", "pods"]` in a shell and fails. ' +
      'kubefilec runs the words joined by blanks (`kubectl get pods`). The fix writes it in shell form, which both run alike.',
    example: 'FROM scratch\nCMD ["kubectl", "get", "pods"]',
  },
  KF2016: {
    severity: 'info',
    title: 'CMD on a base image (sealer drops the base\'s CMDs)',
    description:
      'kubefilec appends this Kubefile\'s CMDs to the base image\'s, and runs the base\'s first (the design documents\' meaning). sealer v0.11 takes only the applications from the base image: ' +
      'its launch commands are this Kubefile\'s CMDs alone, and the base\'s are dropped. The images kubefilec builds keep every CMD in their launch, which sealer runs; only the same Kubefile built by sealer launches fewer commands when the base has CMDs. ' +
      'Information, not a warning: nothing in the Kubefile makes both tools agree. Reported once, at the first CMD.',
    example: 'FROM kubernetes:v1.19.8\nCMD kubectl apply -f manifests/app.yaml',
  },
  KF2017: {
    severity: 'info',
    title: 'RUN runs elsewhere in sealer',
    description:
      'sealer v0.11 hands RUN to buildah, which runs it in a container of the image being built: the image root is `/`, so the image must hold `/bin/sh` and every program the command uses. ' +
      'kubefilec runs it on the build host with the image root as the working directory and the image\'s `bin/` first on PATH (as sealer did before v0.9), so host programs work. ' +
      '`--isolation chroot` runs it in the image root as `/`, closer to sealer v0.11. Information, not a warning: the image kubefilec builds is the same for sealer; only building the Kubefile with sealer differs. Reported once, at the first RUN.',
    example: 'FROM scratch\nRUN helm version',
  },
  KF2018: {
    severity: 'warning',
    title: 'Secret in ARG or ENV',
    description:
      'An ARG or ENV whose name looks like it holds a secret, by BuildKit\'s SecretsUsedInArgOrEnv rule: a word of the name (between `_` or its ends, any case) is ' +
      '`apikey`, `auth`, `credential(s)`, `key`, `password`, `pword`, `passwd`, `secret` or `token` (PASSWORD, DB_PASSWD, GITHUB_TOKEN, API_KEY, AWS_SECRET_ACCESS_KEY), and no word is `public` (PUBLIC_KEY is not reported). ' +
      'ENV values are stored in the image config; ARG values are in the build log and the image history. kubefilec shows the values of such ARGs as `***` in the history, ' +
      'the config\'s `args` and the build output, but ENV values stay in the image. Pass secrets to RUN another way (a file outside the image, or the build host\'s environment).',
    example: 'FROM scratch\nARG GITHUB_TOKEN',
  },
  KF2019: {
    severity: 'warning',
    title: 'Constant FROM --platform',
    description:
      'BuildKit\'s FromPlatformFlagConstDisallowed: `FROM --platform=linux/arm64` pins the base to one platform whatever the build targets, so every target platform gets that base. ' +
      'Use a variable (`--platform=$BUILDPLATFORM`) or drop the flag and let `--platform` on the command line choose.',
    example: 'FROM --platform=linux/amd64 scratch',
  },
  KF2020: {
    severity: 'warning',
    title: 'Redundant FROM --platform=$TARGETPLATFORM',
    description: 'BuildKit\'s RedundantTargetPlatform: the base is already taken for the target platform; `--platform=$TARGETPLATFORM` says nothing more. The fix removes the flag.',
    example: 'FROM --platform=$TARGETPLATFORM scratch',
  },
  KF2021: {
    severity: 'warning',
    title: 'Legacy key-value format',
    description:
      'BuildKit\'s LegacyKeyValueFormat: `ENV key value` (and `LABEL key value`) is the legacy form, which sets one variable to the rest of the line. ' +
      'Write `ENV key=value`: it reads the same in every tool and can set several variables. The fix rewrites it, quoting the value when it has blanks.',
    example: 'FROM scratch\nENV VERSION 1.0',
  },
  KF2022: {
    severity: 'info',
    title: 'ADD where COPY would do',
    description:
      'hadolint\'s DL3020: ADD of local files that are not archives copies them as COPY does; ADD also unpacks local tar archives and downloads URLs, so readers must check which it does. ' +
      'Use COPY for plain files and directories. The fix changes the keyword.',
    example: 'FROM scratch\nADD manifests/app.yaml manifests/',
  },
  KF2023: {
    severity: 'info',
    title: 'Consecutive RUN instructions',
    description:
      'hadolint\'s DL3059: RUN instructions in a row make one layer each. Joined with `&&`, they make one layer and stop at the first failure the same way. The fix joins them. ' +
      'Not reported for RUNs with heredocs or in exec form.',
    example: 'FROM scratch\nRUN mkdir -p etc/a\nRUN touch etc/a/b',
  },
  KF2024: {
    severity: 'info',
    title: 'Directive name not in lower case',
    description: 'Parser directives (`# escape=`, `# syntax=`, `# check=`) are case-insensitive, but are written in lower case by convention (BuildKit\'s documentation). The fix lower-cases the name.',
    example: '# Check=skip=KF2005\nFROM scratch',
  },
  KF2025: {
    severity: 'warning',
    title: 'Invalid rule control',
    description:
      'A `# check=` directive or a `# kubefile-lint ignore=` comment that cannot be read: an unknown option (the directive takes `skip=CODE,...|all`, `error=true|false` and `experimental=CODE,...|all`, separated by `;`), ' +
      'a code that is not in this catalogue (nor a ShellCheck code, `SC` and four digits), an error code (errors cannot be skipped or ignored), or an ignore comment with no instruction on the next line. ' +
      'What can be read still applies. See "Rule control" below.',
    example: '# check=skip=KF9999\nFROM scratch',
  },
  KF2026: {
    severity: 'warning',
    title: 'Duplicate stage name',
    description:
      'BuildKit\'s DuplicateStageName: two FROMs use one `AS` name (names compare without case). `COPY --from` and `--target` then mean the last of them, and a FROM the last one before it: rename one of them.',
    example: 'FROM scratch AS base\nFROM scratch AS base',
  },
  KF2027: {
    severity: 'warning',
    title: 'Reserved stage name',
    description:
      'BuildKit\'s ReservedStageName: `scratch` and `context` are reserved words; a stage named so cannot be told apart from the empty image or the build context. Choose another name.',
    example: 'FROM busybox AS scratch',
  },
  KF2028: {
    severity: 'warning',
    title: 'Stage name not lower case',
    description:
      'BuildKit\'s StageNameCasing: stage names are lower-cased, so `AS Builder` is `builder`; write it in lower case so that every reference reads the same. The fix lower-cases it.',
    example: 'FROM scratch AS Builder',
  },
  KF2029: {
    severity: 'warning',
    title: 'FROM and AS casing differ',
    description:
      'BuildKit\'s FromAsCasing: in `FROM image AS name`, write `AS` in the case of `FROM` (`FROM x AS y`, `from x as y`). Checked when the FROM keyword is all upper or all lower case. The fix changes `AS`.',
    example: 'FROM scratch as base',
  },
  KF2030: {
    severity: 'warning',
    title: 'Cluster-image instruction in an earlier stage',
    description:
      'APP, APPCMDS, APPENV, CNI, CSI, LAUNCH, CMDS and KUBEVERSION describe the cluster image this Kubefile builds, which is its last stage (or the `--target` stage): ' +
      'in an earlier stage they change nothing in the image. Move the instruction to the last stage.',
    example: 'FROM scratch AS apps\nAPP nginx local://nginx.yaml\nFROM kubernetes:v1.22.8',
  },
  KF3001: {
    severity: 'warning',
    title: 'Undefined variable',
    description:
      'A `$NAME` in FROM, COPY/ADD, ENV, LABEL or APP names no ARG, ENV or predefined variable (ARCH, TARGET*, BUILD*), so it expands to an empty string. ' +
      'A close declared name is suggested; an ARG declared only before FROM must be declared again after it. `${NAME:-default}` forms are not reported.',
    example: 'FROM scratch\nCOPY ${ARHC}/helm bin',
  },
  KF3002: {
    severity: 'warning',
    title: 'Build argument not declared',
    description: 'A `--build-arg NAME=value` was given but no ARG declares NAME, so it has no effect.',
  },
  KF3003: {
    severity: 'error',
    title: 'Required variable not set',
    description: '`${NAME?message}` or `${NAME:?message}` failed: the variable is unset (or empty, with `:?`). The message is BuildKit\'s.',
    example: 'FROM scratch\nLABEL v=${VERSION:?set --build-arg VERSION}',
  },
  KF3004: {
    severity: 'error',
    title: 'Source not found in the build context',
    description:
      'A COPY/ADD source (or an APP `local://` source) matches nothing in the build context. Sources are resolved for each target platform: ' +
      '`COPY ${ARCH}/helm bin` needs `amd64/helm` and `arm64/helm` for an amd64+arm64 build, and the message names the platform that lacks its file.',
    example: 'FROM scratch\nCOPY missing.yaml manifests',
  },
  KF3005: {
    severity: 'error',
    title: 'Source outside the build context',
    description:
      'A source climbs out of the build context (`../x`), is an absolute path, or is a symlink whose target lies outside the context. ' +
      'Only files inside the context can be copied; write paths relative to the context root.',
    example: 'FROM scratch\nCOPY ../secrets etc',
  },
  KF3006: {
    severity: 'error',
    title: 'URL source in COPY',
    description: 'COPY copies from the build context only; an `http(s)://` or git URL needs ADD, which downloads it.',
    example: 'FROM scratch\nCOPY https://example.com/app.yaml manifests',
  },
  KF3007: {
    severity: 'error',
    title: 'Destination outside the image root',
    description: 'The destination climbs above the image root (`../x`). Destinations are relative to the cluster image root; a leading `/` or `./` is dropped.',
    example: 'FROM scratch\nCOPY a.yaml ../manifests',
  },
  KF3008: {
    severity: 'error',
    title: 'Not an image archive',
    description: 'Files copied to `images/` must be container image archives: a docker-archive (`docker save`) or OCI archive tar, possibly compressed.',
  },
  KF3009: {
    severity: 'error',
    title: 'Invalid plugin',
    description: 'Files copied to `plugins/` must be sealer plugin YAML: `kind: Plugin`, `metadata.name`, a known `spec.type` (SHELL, LABEL, HOSTNAME, ...) and `spec.action` (PreInit, PostInstall, ...).',
  },
  KF3010: {
    severity: 'error',
    title: 'Not a Helm chart',
    description: 'Sources copied to `charts/` must be Helm charts: a directory with a valid Chart.yaml (name, version), a directory of such charts, or a packaged `.tgz` chart.',
  },
  KF3011: {
    severity: 'warning',
    title: 'Invalid manifest',
    description:
      'A file copied to `manifests/` that should be read there is broken: a `.yaml`/`.yml`/`.json` manifest that does not parse, an `imageList` line that is not an image reference, ' +
      'or a name close to `imageList` (such a file is ignored). A warning: sealer v0.11 reads manifests line by line for their `image:` lines and builds the image anyway. ' +
      'Other files (README.md, LICENSE, ...) are ignored, as sealer ignores them; a `.yaml.tmpl` template is checked only when it has no `{{ }}` action, since it becomes YAML when rendered.',
    example: 'FROM scratch\nCOPY broken.yaml manifests/',
  },
  KF3012: {
    severity: 'error',
    title: 'RUN for a platform that cannot run here',
    description: 'RUN executes programs of the target platform on the Linux build host (natively or with qemu); nothing can run for windows or darwin targets.',
    example: 'FROM scratch\nRUN ls   # built with --platform windows/amd64',
  },
  KF3013: {
    severity: 'info',
    title: 'RUN needs emulation',
    description: 'The command runs programs built for another architecture than the build host\'s (found as ELF files copied to `bin/`); the build runs them with qemu user emulation.',
  },
  KF3014: {
    severity: 'warning',
    title: 'Build argument sets a predefined variable',
    description: 'ARCH, TARGET* and BUILD* come from the platform being built; a `--build-arg` for them is ignored. Use `--platform` instead.',
  },
  KF3015: {
    severity: 'error',
    title: 'Empty value after expansion',
    description: 'A FROM image, COPY/ADD source or destination, or APP source expands to an empty string, usually because a variable is unset.',
    example: 'ARG BASE\nFROM ${BASE}',
  },
  KF3016: {
    severity: 'error',
    title: 'Application type not detected and no APPCMDS',
    description:
      'sealer v0.11 launches an application by its type, which it detects from the files: a Helm chart (Chart.yaml, values.yaml and templates), ' +
      'only `.yaml`/`.yml` files (kube: `kubectl apply` each), or only `.sh` files (shell: `bash` each). Any other file, or YAML mixed with scripts, ' +
      'leaves the type empty, and sealer then refuses to build unless an APPCMDS for the application says how to launch it ' +
      '("app X need to specify APPCMDS if no app type detected"). Add APPCMDS, or keep only files of one kind in the sources.',
    example: 'FROM scratch\nAPP docs local://README.md',
  },
  KF3017: {
    severity: 'warning',
    title: 'One file copied to a rootfs directory without a trailing /',
    description:
      'kubefilec copies into the cluster image\'s rootfs directories (`manifests`, `charts`, `bin`, `etc`, ...) whether or not the destination ends with `/`. ' +
      'sealer v0.11 (buildah) copies one regular file to a destination without `/` that does not exist yet as a file named like the destination: ' +
      '`COPY app.yaml manifests` from scratch makes a file `manifests`, not `manifests/app.yaml`. Reported when the directory cannot exist yet (FROM scratch, ' +
      'and no earlier instruction made it); with another base, it depends on the base image having that directory. The fix adds the `/`.',
    example: 'FROM scratch\nCOPY app.yaml manifests',
  },
  KF3018: {
    severity: 'warning',
    title: 'A runtime sealer cannot install',
    description:
      '`sealer run` and `sealer apply` read two labels of a cluster image to choose what they install: `cluster.alpha.sealer.io/container-runtime-type` ' +
      '(`docker`, the default, or `containerd`) and `cluster.alpha.sealer.io/cluster-runtime-type` (`kubernetes`, the default, or `k0s`). ' +
      'sealer v0.11 stops with "not support container runtime" or "not support cluster runtime" for any other value (k3s too, which it names but does not install).',
    example: 'FROM scratch\nLABEL cluster.alpha.sealer.io/container-runtime-type=cri-o',
  },
  KF3019: {
    severity: 'error',
    title: 'Expanded value too long',
    description:
      'A word whose variables expand to more than 1 MiB (1048576 characters), such as the last of a chain of `ARG B=$A$A` lines that double a value each time. ' +
      'The expansion stops there and the value is cut at 1 MiB; reported at the reference that crossed the limit. Literal text is not limited.',
    example: 'FROM scratch\nARG A=x\nARG B=$A$A\n# ... 20 more doublings\nARG V=$U$U',
  },
  KF3020: {
    severity: 'warning',
    title: 'ARG without a value',
    description:
      'A variable used in a word is declared by `ARG NAME` with no default, and no `--build-arg NAME=...` (or `kubefile.buildArgs` setting) gives it a value, so it expands to an empty string. ' +
      'Reported once, at the use, instead of an undefined variable and an empty value. Give it a default (`ARG NAME=value`) or pass `--build-arg NAME=value`.',
    example: 'FROM scratch\nARG BINDIR\nCOPY helm ${BINDIR}',
  },
  KF3021: {
    severity: 'error',
    title: 'Invalid image reference',
    description:
      'The FROM image, after expansion, is not an image reference (`[registry/]name[:tag][@digest]`, names lower case), checked with the same parser the runtime pulls with (distribution\'s grammar).',
    example: 'FROM Kubernetes:v1..x',
  },
  KF3022: {
    severity: 'warning',
    title: 'Base image not pinned',
    description:
      'The FROM image has no tag (so `:latest` is taken) or is `:latest`: the base can change under the Kubefile between two builds. Name a version tag or a digest.',
    example: 'FROM kubernetes',
  },
  KF3023: {
    severity: 'warning',
    title: 'Base image lacks a target platform',
    description:
      'The base image is in the local image store but has no variant for one of the target platforms, so building for that platform fails (unless the build skips missing platforms). ' +
      'Reported only when the store has the image; a base that is not there is pulled at build time.',
    example: 'FROM kubernetes:v1.22.15',
  },
  KF3024: {
    severity: 'error',
    title: 'Invalid FROM --platform',
    description: 'The `--platform` value of FROM, after expansion, is not a platform (`os/arch[/variant]` with a known architecture, such as `linux/arm64`).',
    example: 'FROM --platform=linux/arm65 scratch',
  },
  KF3025: {
    severity: 'warning',
    title: 'Invalid default ARG in FROM',
    description:
      'BuildKit\'s InvalidDefaultArgInFrom: with the ARGs\' defaults (no `--build-arg`), the FROM image expands to an empty or invalid reference (`FROM busybox:${TAG}` with `ARG TAG` and no default), ' +
      'so the Kubefile builds only when the right build arg is passed. Give the ARG a valid default.',
    example: 'ARG TAG\nFROM busybox:${TAG}',
  },
  KF3026: {
    severity: 'error',
    title: 'Invalid COPY --from',
    description:
      'The value of `COPY --from` cannot be used: it holds a variable (BuildKit does not expand `--from`; define a stage with `FROM ${IMAGE}` and an ARG from the global scope instead), ' +
      'it is a stage index out of range, it names the stage it is in, or the stages it names copy from each other in a cycle.',
    example: 'FROM scratch\nCOPY --from=3 /a /b',
  },
  KF3027: {
    severity: 'warning',
    title: 'Image close to a stage name',
    description:
      'A `COPY --from` value or FROM image that is no stage but looks like one: it is taken as an image to pull. It differs from a stage name by a small typo, ' +
      'or a FROM names a stage that comes only later (FROM sees earlier stages only). Fix the name, or move the stage up.',
    example: 'FROM scratch AS builder\nFROM scratch\nCOPY --from=buidler /a /b',
  },
  KF4001: {
    severity: 'warning',
    title: 'ShellCheck finding',
    description:
      'A finding of ShellCheck (when the `shellcheck` program is installed) in the shell code of RUN, CMD, CMDS, APPCMDS or a heredoc, at its exact place in the instruction. ' +
      'The ShellCheck code (`SC2086`) is shown with a link to its explanation; the severity follows ShellCheck\'s (error, warning, info, style as a hint). ' +
      'Variables the compiler knows are declared to ShellCheck, so `$ARCH` is not reported as unassigned. `--disable KF4001` (or the `kubefile.shellcheck.enable` setting) turns it off; ' +
      '`# kubefile-lint ignore=SC2086` on the line before the instruction ignores one ShellCheck code.',
    example: 'FROM scratch\nRUN echo $1',
  },
} satisfies Record<string, CatalogueEntry>;

export type DiagnosticCode = keyof typeof CATALOGUE;

export const DIAGNOSTIC_CODES = Object.keys(CATALOGUE) as DiagnosticCode[];

export function createDiagnostic(code: DiagnosticCode, range: Range, message: string, fixes?: Fix[]): Diagnostic {
  const diagnostic: Diagnostic = { code, severity: CATALOGUE[code].severity, range, message };
  if (fixes && fixes.length > 0) diagnostic.fixes = fixes;
  return diagnostic;
}

/**
 * Which codes a run reports and how: everything on by default, minus `disable` and codes set to
 * `'off'`, plus `enable`d opt-in codes (a severity given for an opt-in code turns it on too).
 * Keys are catalogue codes, or for `severity` also an outside checker's rule id (`SC2086`).
 */
export interface DiagnosticFilter {
  enable?: readonly string[];
  disable?: readonly string[];
  severity?: Readonly<Record<string, Severity | 'off'>>;
}

export function isReported(code: DiagnosticCode, filter: DiagnosticFilter = {}): boolean {
  if (filter.disable?.includes(code)) return false;
  const severity = filter.severity && Object.hasOwn(filter.severity, code) ? filter.severity[code] : undefined;
  if (severity === 'off') return false;
  const entry: CatalogueEntry = CATALOGUE[code];
  return !entry.offByDefault || severity !== undefined || (filter.enable?.includes(code) ?? false);
}

export function sortDiagnostics(diagnostics: Diagnostic[]): Diagnostic[] {
  const start = new Map<Diagnostic, number>();
  const end = new Map<Diagnostic, number>();
  for (const d of diagnostics) {
    start.set(d, startOffsetOf(d.range));
    end.set(d, endOffsetOf(d.range));
  }
  return diagnostics.sort((a, b) => start.get(a)! - start.get(b)! || end.get(a)! - end.get(b)! || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
}
