export * from './errors.js';
export * from './digest.js';
export * from './oci.js';
export * from './names.js';
export * from './lock.js';
export * from './store.js';
export * from './image.js';
