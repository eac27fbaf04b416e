/** `npm run docs`: writes docs/diagnostics.md. */
import { writeFileSync } from 'node:fs';
import { renderDiagnosticsDoc } from './diagnostics-doc.js';

const target = new URL('../../../docs/diagnostics.md', import.meta.url);
writeFileSync(target, renderDiagnosticsDoc());
console.log(`wrote ${target.pathname}`);
