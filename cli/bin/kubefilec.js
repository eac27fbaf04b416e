#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built.
import { main } from '../dist/src/main.js';

process.exitCode = await main(process.argv.slice(2));
