#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built.
// The bundle (cli/scripts/bundle.mjs, part of `npm run build`) starts several times faster.
import { main } from '../dist/kubefilec.mjs';

// A reader that goes away (`kubefilec images | head`) ends the output, not in a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
