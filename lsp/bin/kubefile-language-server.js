#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built. It runs the
// bundled server (`npm run build` writes it), else the compiled modules.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/kubefile-language-server.mjs', import.meta.url);
await import(existsSync(bundle) ? bundle.href : '../dist/src/main.js');
