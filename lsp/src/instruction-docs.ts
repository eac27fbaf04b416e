/**
 * Documentation of the Kubefile instructions for completion and hover. The syntax, summary and
 * flags come from the grammar's INSTRUCTIONS table (one source of truth); this module adds what
 * only an editor needs: an example, a completion snippet and a line per flag.
 */
import { INSTRUCTIONS, KEYWORDS, type Keyword } from '@kubefile/grammar';

interface EditorDoc {
  /** LSP snippet inserted by keyword completion. */
  snippet: string;
  example: string;
}

const EDITOR_DOCS: Record<Keyword, EditorDoc> = {
  FROM: { snippet: 'FROM ${1:image}', example: 'FROM kubernetes:v1.22.15\nFROM --platform=linux/arm64/v8 scratch' },
  COPY: { snippet: 'COPY ${1:src} ${2:dest}', example: 'COPY ${ARCH}/helm bin\nCOPY mysql-chart charts' },
  ADD: { snippet: 'ADD ${1:src} ${2:dest}', example: 'ADD https://get.helm.sh/helm-v3.9.0-linux-${ARCH}.tar.gz bin' },
  ARG: { snippet: 'ARG ${1:name}=${2:value}', example: 'ARG VERSION=1.0.0' },
  RUN: { snippet: 'RUN ${1:command}', example: 'RUN wget https://example.com/tool-${ARCH} -O bin/tool' },
  CMD: { snippet: 'CMD ${1:command}', example: 'CMD kubectl apply -f manifests' },
  ENV: { snippet: 'ENV ${1:name}=${2:value}', example: 'ENV NAMESPACE=default' },
  LABEL: { snippet: 'LABEL ${1:key}=${2:value}', example: 'LABEL org.example.version="1.0"' },
  MAINTAINER: { snippet: 'MAINTAINER ${1:name}', example: 'MAINTAINER Jane Doe <jane@example.com>' },
  APP: { snippet: 'APP ${1:name} local://${2:path}', example: 'APP mysql local://mysql-chart' },
  APPCMDS: { snippet: 'APPCMDS ${1:app} ["${2:executable}"]', example: 'APPCMDS mysql ["helm", "install", "mysql", "application/apps/mysql/mysql-chart"]' },
  APPENV: { snippet: 'APPENV ${1:app} ${2:key}=${3:value}', example: 'APPENV mysql replicas=3' },
  LAUNCH: { snippet: 'LAUNCH ["${1:app}"]', example: 'LAUNCH ["calico", "mysql"]' },
  CMDS: { snippet: 'CMDS ["${1:command}"]', example: 'CMDS ["kubectl apply -f manifests/app.yaml"]' },
  CNI: { snippet: 'CNI ${1:name} local://${2:path}', example: 'CNI calico local://calico.yaml' },
  CSI: { snippet: 'CSI ${1:name} local://${2:path}', example: 'CSI openebs local://openebs.yaml' },
  KUBEVERSION: { snippet: 'KUBEVERSION ${1:1.22 - 1.24}', example: 'KUBEVERSION 1.22 - 1.24' },
};

/** One line per flag, for flag completion and the keyword's hover. Unknown flags get a generic line. */
export const FLAG_DOCS: Readonly<Record<string, string>> = {
  platform: 'The platform of the base image (`linux/amd64`, `linux/arm64/v8`, ...).',
  from: 'Copy from another image or build stage instead of the build context.',
  chown: 'Owner of the copied files (`user:group`).',
  chmod: 'Permissions of the copied files (`0755`).',
  link: 'Copy into an independent layer (`--link`).',
  exclude: 'A pattern of source files to leave out (may be repeated).',
  parents: 'Keep the source directories\' parent structure.',
  'keep-git-dir': 'Keep the `.git` directory when adding a git repository.',
  checksum: 'The expected checksum of a downloaded source (`sha256:...`).',
  unpack: 'Whether local tar archives are unpacked.',
  mount: 'A mount for the command (`type=cache,target=/root/.cache`, `type=secret,id=...`).',
  network: 'The network of the command: `default`, `none` or `host`.',
  security: '`insecure` runs the command without the sandbox; `sandbox` is the default.',
  device: 'A device to give the command (CDI name).',
};

export function snippetOf(keyword: Keyword): string {
  return EDITOR_DOCS[keyword].snippet;
}

/** Markdown shown for a keyword: summary, syntax, flags, deprecation, example. */
export function instructionDoc(keyword: Keyword): string {
  const spec = INSTRUCTIONS[keyword];
  const sections = [`**${keyword}**: ${spec.summary}`, '```kubefile\n' + spec.syntax + '\n```'];
  const flags = Object.keys(spec.flags);
  if (flags.length > 0) {
    sections.push('Flags:\n' + flags.map((f) => `- \`--${f}\`: ${FLAG_DOCS[f] ?? 'see the BuildKit documentation.'}`).join('\n'));
  }
  if (spec.deprecated) sections.push(`*Deprecated*: ${spec.deprecated}.`);
  sections.push('Example:\n```kubefile\n' + EDITOR_DOCS[keyword].example + '\n```');
  return sections.join('\n\n');
}

export { KEYWORDS };
