/**
 * Runs the editing path (parse, reparse, compile with a memo) over a small built-in Kubefile when
 * the server starts. V8 compiles a function to fast code only after it has run for a while: without
 * this, the user's first file and first keystrokes run on the interpreter, several times slower.
 */
import { CompileMemo, compileParsed, memoryContext, type Platform, type Sha256Hex } from '@kubefile/compiler';
import { parse, reparse } from '@kubefile/grammar';

const SAMPLE_BLOCK = `ARG VERSION=v1.2.3
ENV APP_HOME=/opt/app \\
    REGISTRY=registry.example.com
COPY \${ARCH}/helm bin
COPY charts/app charts
COPY app.yaml manifests
LABEL version="\${VERSION}" team=platform
RUN set -eux; \\
    helm version && \\
    # a comment inside the command
    echo "\${APP_HOME}"
RUN <<EOF
echo heredoc \${ARCH}
EOF
APP app local://app.yaml
APPENV app replicas=2 image=\${REGISTRY}/app:\${VERSION}
APPCMDS app ["kubectl", "apply", "-f", "app.yaml"]
CMD kubectl apply -f manifests/app.yaml
# a comment
`;

/** The sample's build context: made by the warm-up, not when the server's modules load (it hashes its files). */
const sampleContext = () =>
  memoryContext({
    'amd64/helm': 'x',
    'arm64/helm': 'x',
    'charts/app/Chart.yaml': 'apiVersion: v2\nname: app\nversion: 1.0.0\n',
    'app.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n',
  });

/** Yields to the event loop, so that a message that came in meanwhile is handled first. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Takes about 0.2 s. Runs after the server answered `initialize`, a step at a time, each after the
 * messages that came in meanwhile: a document opened at once is analysed first, and its first
 * edits, which come later, find the editing path compiled.
 */
export async function warmUp(platform: Platform, sha256?: Sha256Hex): Promise<void> {
  const sample = (blocks: number) => `FROM kubernetes:v1.19.8\n${SAMPLE_BLOCK.repeat(blocks)}LAUNCH ["app"]\n`;
  const memo = new CompileMemo();
  const options = { platforms: [platform], buildPlatform: platform, context: sampleContext(), memo, ...(sha256 ? { sha256 } : {}) };
  // Small first: the first step compiles every function it reaches, and a document arriving meanwhile waits for it.
  for (const blocks of [1, 5, 20, 20]) {
    await nextTurn();
    await compileParsed(parse(sample(blocks)), { ...options, memo: new CompileMemo() });
  }
  let text = sample(20);
  let parsed = parse(text);
  await compileParsed(parsed, options);
  for (let edit = 0; edit < 40; edit++) {
    await nextTurn();
    // Typing at the end of lines spread through the file, as an editor sends it.
    const lines = text.split('\n');
    const line = (edit * 37) % (lines.length - 1);
    lines[line] += edit % 2 ? 'x' : ' ';
    text = lines.join('\n');
    parsed = reparse(parsed, text);
    await compileParsed(parsed, options);
  }
}
