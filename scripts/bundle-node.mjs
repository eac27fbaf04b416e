/**
 * One file for Node from a compiled entry point (the language server, kubefilec, the VS Code
 * extension's parts): loading the compiler's modules one by one (chevrotain alone is hundreds of
 * small files) costs about half a second at start; one file loads in a tenth of that. `external`
 * packages stay outside (the runtime starts worker threads from its own files). ES modules by
 * default; `format: 'cjs'` for the extension, which VS Code loads with require().
 */
import { build } from 'esbuild';

// CommonJS dependencies (vscode-languageserver, commander) call require() for Node's modules: an ES module bundle needs one.
const ESM = {
  format: 'esm',
  banner: { js: "import { createRequire as __kubefileCreateRequire } from 'node:module'; const require = __kubefileCreateRequire(import.meta.url);" },
};
// CommonJS has no import.meta: the modules that use import.meta.url (the runtime's layer workers
// start on their own file) get the bundle's own URL instead, made when asked (not at every start).
const CJS = {
  format: 'cjs',
  banner: { js: "const __kubefileBundle = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
  define: { 'import.meta.url': '__kubefileBundle.url' },
};

/** @param {{ external?: string[], format?: 'esm' | 'cjs', minify?: boolean, alias?: Record<string, string>, plugins?: import('esbuild').Plugin[] }} options */
export async function bundleNode(entry, outfile, { external = [], format = 'esm', minify = false, alias, plugins } = {}) {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    ...(format === 'cjs' ? CJS : ESM),
    external,
    ...(minify ? { minify: true, keepNames: true } : {}),
    ...(alias ? { alias } : {}),
    ...(plugins ? { plugins } : {}),
    logLevel: 'warning',
  });
}
