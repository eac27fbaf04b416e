/**
 * Request handlers: each one looks up the document's analysis and calls a pure feature. A handler
 * never throws to the connection: failures are logged and answered with an empty result.
 */
import type { ServerCapabilities } from 'vscode-languageserver';
import { registerCommands, COMMANDS } from './commands.js';
import type { Analysis, FeatureContext } from './analysis.js';
import type { KubefileServer } from './server.js';

/** Runs `work` on the document's analysis; logs and returns `fallback` on any failure. */
export async function withAnalysis<T>(server: KubefileServer, uri: string, fallback: T, work: (analysis: Analysis, context: FeatureContext) => T | Promise<T>): Promise<T> {
  try {
    const analysis = await server.analysisOf(uri);
    if (!analysis) return fallback;
    return await work(analysis, server.featureContext(uri));
  } catch (error) {
    server.connection.console.error(`request on ${uri} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return fallback;
  }
}

export function registerFeatures(server: KubefileServer): void {
  registerCommands(server);
}

registerFeatures.capabilities = {
  executeCommandProvider: { commands: [...COMMANDS] },
} satisfies ServerCapabilities;
