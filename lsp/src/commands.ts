/**
 * `workspace/executeCommand`: lint a document, build its image with the runtime (work-done
 * progress, the log streamed to the client, cancellation stops the build cleanly), inspect an image.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRuleControl, formatPlatform } from '@kubefile/compiler';
import { isReported, sortDiagnostics } from '@kubefile/grammar';
import { ResponseError, type CancellationToken, type WorkDoneProgressReporter } from 'vscode-languageserver';
import { analyze } from './analysis.js';
import { toLspDiagnostic } from './convert.js';
import { BUILD_LOG_NOTIFICATION, type BuildArguments, type BuildLogParams, type BuildOutcome, type ImageSummary, type InspectArguments } from './protocol.js';
import type { KubefileServer } from './server.js';

export function registerCommands(server: KubefileServer): void {
  const { connection } = server;
  connection.onExecuteCommand(async (params, token, progress) => {
    const [argument] = params.arguments ?? [];
    try {
      switch (params.command) {
        case 'kubefile.lint': {
          const { uri } = argument as { uri: string };
          const analysis = await server.analysisOf(uri);
          if (!analysis) return [];
          // The whole answer at once: ShellCheck's findings too, under the same rule control as those published.
          const shell = isReported('KF4001', analysis.settings) ? await server.shellcheck.findings(analysis.result.ast, analysis.text) : [];
          const findings = applyRuleControl(analysis.result.ast, shell, analysis.settings, { reportProblems: false });
          return sortDiagnostics([...analysis.result.diagnostics, ...findings]).map(toLspDiagnostic);
        }
        case 'kubefile.build':
          return await build(server, argument as BuildArguments, token, progress);
        case 'kubefile.inspect': {
          const { name, format, platform } = argument as InspectArguments;
          const { defaultStoreRoot, ImageStore, inspectImage, renderInspect } = await server.loadRuntime();
          const store = await ImageStore.open(server.storeRootSetting ?? defaultStoreRoot());
          return renderInspect(await inspectImage(store, name, { format: format ?? 'json', version: '0.1.0', ...(platform ? { platform } : {}) }));
        }
        case 'kubefile.images': {
          const { defaultStoreRoot, ImageStore } = await server.loadRuntime();
          const root = server.storeRootSetting ?? defaultStoreRoot();
          // Listing must not create a store where there is none.
          if (!existsSync(join(root, 'index.json'))) return [];
          const store = await ImageStore.open(root);
          return (await store.listImages()).map((image): ImageSummary => ({ name: image.name, digest: image.descriptor.digest, created: image.created }));
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

async function build(server: KubefileServer, args: BuildArguments, token: CancellationToken, progress: WorkDoneProgressReporter): Promise<BuildOutcome> {
  const { connection } = server;
  const document = server.documents.get(args.uri);
  if (!document) throw new Error(`${args.uri} is not open`);
  const { buildImage, buildLogLine, defaultStoreRoot, ImageStore } = await server.loadRuntime();
  // Clients that asked for it (initializationOptions.buildLog: "notification") get the log as kubefile/buildLog, for an output channel of its own.
  const log = server.buildLogAsNotification
    ? (line: string) => void connection.sendNotification(BUILD_LOG_NOTIFICATION, { uri: args.uri, tag: args.tag, line } satisfies BuildLogParams)
    : (line: string) => connection.console.log(line);
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
  // Each plan's own steps, and once each the earlier stages' (a stage shared by plans is built once).
  const earlierStages = new Map(analysis.result.plans.flatMap((plan) => plan.stages.slice(0, -1).map((stage) => [stage.id, stage.ops.length] as const)));
  const totalSteps = analysis.result.plans.reduce((n, plan) => n + plan.ops.length, 0) + [...earlierStages.values()].reduce((n, steps) => n + steps, 0);
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
        const line = buildLogLine(event);
        if (line !== undefined) log(line);
        if (event.type === 'step-done') {
          done++;
          progress.report(Math.round((done / totalSteps) * 100), `[${event.stage ? `${event.stage} ` : ''}${event.platform}] STEP ${event.step}/${event.total}${event.cached ? ' (cached)' : ''}`);
        }
      },
    });
    return { image: result.image.name, digest: result.image.descriptor.digest };
  } finally {
    progress.done();
  }
}
