/**
 * `workspace/executeCommand`: lint a document, build its image with the runtime (work-done
 * progress, the log streamed to the client, cancellation stops the build cleanly), inspect an image.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatPlatform } from '@kubefile/compiler';
import { ResponseError, type CancellationToken, type WorkDoneProgressReporter } from 'vscode-languageserver';
import { analyze } from './analysis.js';
import { toLspDiagnostic } from './convert.js';
import type { KubefileServer } from './server.js';

export const COMMANDS = ['kubefile.lint', 'kubefile.build', 'kubefile.inspect'] as const;

export interface BuildArguments {
  uri: string;
  tag: string;
  platforms?: string[];
  noCache?: boolean;
}

export function registerCommands(server: KubefileServer): void {
  const { connection } = server;
  connection.onExecuteCommand(async (params, token, progress) => {
    const [argument] = params.arguments ?? [];
    try {
      switch (params.command) {
        case 'kubefile.lint': {
          const { uri } = argument as { uri: string };
          const analysis = await server.analysisOf(uri);
          return analysis ? analysis.result.diagnostics.map(toLspDiagnostic) : [];
        }
        case 'kubefile.build':
          return await build(server, argument as BuildArguments, token, progress);
        case 'kubefile.inspect': {
          const { name, format, platform } = argument as { name: string; format?: 'json' | 'sealer'; platform?: string };
          const { defaultStoreRoot, ImageStore, inspectImage, renderInspect } = await import('@kubefile/runtime');
          const store = await ImageStore.open(server.storeRootSetting ?? defaultStoreRoot());
          return renderInspect(await inspectImage(store, name, { format: format ?? 'json', version: '0.1.0', ...(platform ? { platform } : {}) }));
        }
        default:
          throw new ResponseError(-32601, `unknown command ${params.command}`);
      }
    } catch (error) {
      if (error instanceof ResponseError) throw error;
      // User errors (unknown image, build failure) go back as the request's error, readable as is.
      throw new ResponseError(-32803, error instanceof Error ? error.message : String(error));
    }
  });
}

async function build(server: KubefileServer, args: BuildArguments, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<{ image: string; digest: string }> {
  const { connection } = server;
  const document = server.documents.get(args.uri);
  if (!document) throw new Error(`${args.uri} is not open`);
  const { buildImage, defaultStoreRoot, ImageStore } = await import('@kubefile/runtime');
  const { parsePlatformList } = await import('@kubefile/compiler');
  const { nodeContext } = await import('@kubefile/compiler/node');
  const contextDir = dirname(fileURLToPath(args.uri));
  const base = server.featureContext(args.uri).settings;
  const settings = args.platforms?.length ? { ...base, platforms: parsePlatformList(args.platforms, base.buildPlatform) } : base;
  const analysis = await analyze(document.getText(), settings, nodeContext(contextDir));
  if (analysis.result.hasErrors) throw new Error(`the Kubefile has errors: ${analysis.result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.range.start.line + 1}:${d.range.start.column + 1} ${d.message}`).join('; ')}`);
  const controller = new AbortController();
  token.onCancellationRequested(() => controller.abort());
  progress.begin(`Building ${args.tag}`, 0, settings.platforms.map(formatPlatform).join(', '), true);
  const totalSteps = analysis.result.plans.reduce((n, plan) => n + plan.ops.length, 0);
  let done = 0;
  try {
    const store = await ImageStore.open(server.storeRootSetting ?? defaultStoreRoot());
    const result = await buildImage({
      store,
      plans: analysis.result.plans,
      context: contextDir,
      tag: args.tag,
      kubefile: fileURLToPath(args.uri),
      noCache: args.noCache === true,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step') connection.console.log(`[${event.platform}] STEP ${event.step}/${event.total}: ${event.text}`);
        if (event.type === 'step-done') {
          done++;
          progress.report(Math.round((done / totalSteps) * 100), `[${event.platform}] STEP ${event.step}/${event.total}${event.cached ? ' (cached)' : ''}`);
        }
        if (event.type === 'done') connection.console.log(`Built ${event.image} ${event.digest}`);
      },
    });
    return { image: result.image.name, digest: result.image.descriptor.digest };
  } finally {
    progress.done();
  }
}
