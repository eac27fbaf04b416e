/** The package's version, as a constant: bundles (the VS Code extension's) have no package.json beside them. A test keeps it equal to package.json. */
export const RUNTIME_VERSION = '0.1.0';
