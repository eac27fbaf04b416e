/** kubefilec's version, as a constant: bundles (dist/kubefilec.cjs, the VS Code extension's) have no package.json at a fixed place. A test keeps it equal to package.json. */
export const VERSION = '0.1.0';
