/**
 * Packages the extension as kubefile-<version>.vsix (in vscode-extension/) with @vscode/vsce, from
 * the bundles (run scripts/bundle.mjs first; `npm run package -w vscode-extension` does both).
 * The bundles hold every dependency, so no node_modules go in (--no-dependencies).
 *
 *   node vscode-extension/scripts/package.mjs [OUT.vsix]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVSIX } from '@vscode/vsce';

const extension = join(dirname(fileURLToPath(import.meta.url)), '..');
const { name, version } = JSON.parse(readFileSync(join(extension, 'package.json'), 'utf8'));
const out = process.argv[2] ? resolve(process.argv[2]) : join(extension, `${name}-${version}.vsix`);
for (const bundle of ['extension', 'server', 'kubefilec']) {
  if (!existsSync(join(extension, 'dist', `${bundle}.cjs`))) {
    console.error(`package: dist/${bundle}.cjs is missing; run npm run build first`);
    process.exit(1);
  }
}
await createVSIX({ cwd: extension, packagePath: out, dependencies: false, allowStarActivation: false });
console.log(out);
