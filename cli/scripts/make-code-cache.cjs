/**
 * Makes kubefilec's code cache next to its bundle (run by bundle.mjs, in a Node without options as
 * kubefilec starts): loads the bundle without a cache, runs `--version` and a lint in this process so
 * the functions they compile are in the cache too, and writes it (cli/src/start.cts reads it).
 */
const { writeFileSync } = require('node:fs');
const { Readable } = require('node:stream');
const { BUNDLE, bundleCacheFile, loadBundle } = require('../dist/src/start.cjs');

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

async function makeCodeCache() {
  const loaded = loadBundle(BUNDLE, false);
  const { main } = loaded.exports;
  const io = (stdin) => ({ out: () => undefined, err: () => undefined, stdin: Readable.from([stdin]) });
  const runs = [
    [['--version'], '', [0]],
    [['lint', '--no-shellcheck', '-f', '-'], SAMPLE, [0, 1]],
  ];
  for (const [args, stdin, codes] of runs) {
    const code = await main(args, io(stdin));
    if (!codes.includes(code)) throw new Error(`kubefilec ${args.join(' ')} exited ${code} while making the code cache`);
  }
  const file = bundleCacheFile(BUNDLE);
  writeFileSync(file, loaded.script.createCachedData());
  return file;
}

makeCodeCache().then(
  (file) => console.log(`code cache: ${file}`),
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
