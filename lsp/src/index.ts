export * from './analysis.js';
export * from './convert.js';
export { completion, variablesAt, type VisibleVariable } from './completion.js';
export { hover } from './hover.js';
export { instructionDoc } from './instruction-docs.js';
