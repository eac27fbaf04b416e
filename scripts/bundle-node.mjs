/**
 * One ES module file for Node from a compiled entry point (the language server, kubefilec): loading
 * the compiler's modules one by one (chevrotain alone is hundreds of small files) costs about half
 * a second at start; one file loads in a tenth of that. `external` packages stay outside (the
 * runtime starts worker threads from its own files).
 */
import { build } from 'esbuild';

export async function bundleNode(entry, outfile, external) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external,
    // CommonJS dependencies (vscode-languageserver, commander) call require() for Node's modules: an ES module bundle needs one.
    banner: { js: "import { createRequire as __kubefileCreateRequire } from 'node:module'; const require = __kubefileCreateRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
