#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built. CommonJS
// (bin/package.json): an ES module entry starts Node's module loader first, about 10 ms. The start
// (cli/src/start.cts, bundled) runs the bundle with its V8 code cache.
require('../dist/kubefilec-start.cjs').start(require('node:path').join(__dirname, '../dist/kubefilec.cjs'));
