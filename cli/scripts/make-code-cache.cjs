/**
 * Makes kubefilec's code caches next to its bundle (run by bundle.mjs, in a Node without options as
 * kubefilec starts; cli/src/start.cts reads them): loads the bundle without a cache and runs, in this
 * process, `--version`, after which the `base` cache is taken, then a lint, after which the
 * `compiler` one is, with the compiler's functions too.
 */
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Readable } = require('node:stream');
const { bundleCacheFile } = require('@kubefile/lsp/code-cache');
const { loadKubefilec } = require('../dist/kubefilec-start.cjs');

const BUNDLE = join(__dirname, '../dist/kubefilec.cjs');

/** A Kubefile with the common instructions, a heredoc and a mistake (the report path). */
const SAMPLE = `# syntax=kubefile
ARG Version=v1.25.0
FROM scratch
ENV KUBE_VERSION=\${Version} ARCH=amd64
LABEL sealer.io.type="kube-installer"
COPY --chmod=755 bin/\${ARCH}/kubectl /usr/bin/
COPY manifests manifests
RUN <<EOF
set -e
echo "installing \${KUBE_VERSION}" && chmod +x /usr/bin/kubectl
EOF
APP nginx local://nginx.yaml
LAUNCH ["calico", "nginx"]
CMD ["kubectl", "apply", "-f", "manifests"]
`;

async function makeCodeCaches() {
  const loaded = loadKubefilec(BUNDLE, 'base', false);
  const { main } = loaded.exports;
  const io = (stdin) => ({ out: () => undefined, err: () => undefined, stdin: Readable.from([stdin]) });
  const runs = [
    { profile: 'base', args: ['--version'], stdin: '', codes: [0] },
    { profile: 'compiler', args: ['lint', '--no-shellcheck', '-f', '-'], stdin: SAMPLE, codes: [0, 1] },
  ];
  const written = [];
  for (const { profile, args, stdin, codes } of runs) {
    const code = await main(args, io(stdin));
    if (!codes.includes(code)) throw new Error(`kubefilec ${args.join(' ')} exited ${code} while making the code cache`);
    const file = bundleCacheFile(BUNDLE, profile);
    writeFileSync(file, loaded.script.createCachedData());
    written.push(file);
  }
  return written;
}

makeCodeCaches().then(
  (files) => console.log(`code caches: ${files.join(', ')}`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
