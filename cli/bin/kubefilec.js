#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built.
// The bundle (cli/scripts/bundle.mjs, part of `npm run build`) starts several times faster.
import { runProcess } from '../dist/kubefilec.mjs';

await runProcess();
