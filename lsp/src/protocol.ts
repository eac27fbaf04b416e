/**
 * The server's own additions to LSP, for clients that use them (the VS Code extension): the
 * `workspace/executeCommand` commands with their arguments, and the build-log notification.
 */

export const COMMANDS = ['kubefile.lint', 'kubefile.build', 'kubefile.inspect', 'kubefile.images'] as const;

/** Arguments of `kubefile.build`: the open document to build (its editor text, saved or not), and `kubefilec build`'s options. */
export interface BuildArguments {
  uri: string;
  tag: string;
  platforms?: string[];
  noCache?: boolean;
  /** Build args of this build, over the `kubefile.buildArgs` setting. */
  buildArgs?: Record<string, string>;
  /** `--image-list` files: absolute paths, or relative to the Kubefile's directory. */
  imageLists?: string[];
  /** `--ignore-image-list` files, as `imageLists`. */
  ignoreImageLists?: string[];
  skipMissingPlatform?: boolean;
  pull?: 'missing' | 'always' | 'never';
}

/**
 * The `data` of a failed `kubefile.build`'s error: the runtime's error code (`RUN_FAILED`,
 * `REGISTRY` ..., `KUBEFILE` for errors in the Kubefile, `INTERRUPTED` when it was cancelled, with
 * the LSP code RequestCancelled) and where the failure is, when a line is to blame: a Kubefile line
 * or a build-context file (`my-mysql/values.yaml` that names an image the build cannot reach).
 */
export interface BuildFailure {
  code: string;
  message: string;
  location?: { uri: string; line: number; character: number };
}

/** What `kubefile.build` answers. */
export interface BuildOutcome {
  image: string;
  digest: string;
}

/** What `kubefile.images` lists: the images of the store (none when there is no store yet). */
export interface ImageSummary {
  name: string;
  digest: string;
  created?: string;
}

/** Arguments of `kubefile.inspect`. */
export interface InspectArguments {
  name: string;
  format?: 'json' | 'sealer' | 'sealer-v0.8';
  platform?: string;
}

/**
 * A line of a running build's log, sent instead of log messages to clients whose
 * initializationOptions say `buildLog: "notification"`, so they can give builds an output of their own.
 */
export const BUILD_LOG_NOTIFICATION = 'kubefile/buildLog';

export interface BuildLogParams {
  uri: string;
  tag: string;
  line: string;
}

/**
 * Commands a client may run itself, offered in code actions only to clients that list them in
 * `initializationOptions.clientCommands`. `kubefile.setBuildArg` (argument: the ARG's name) asks the
 * user for a value and adds it to the `kubefile.buildArgs` setting.
 */
export const CLIENT_COMMANDS = ['kubefile.setBuildArg'] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];
