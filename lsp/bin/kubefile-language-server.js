#!/usr/bin/env node
// Entry point kept in source control so npm can link it before the TypeScript is built.
import { startServer } from '../dist/src/server.js';

await startServer();
