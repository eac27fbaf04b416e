/**
 * The runtime, loaded when a command needs it: `--version`, `lint`, `parse` and `compile` start
 * without it (it is most of what a process would otherwise load). Its errors and log formatting
 * come from small subpaths that load nothing else.
 */
export type Runtime = typeof import('@kubefile/runtime');

let loading: Promise<Runtime> | undefined;

export function loadRuntime(): Promise<Runtime> {
  loading ??= import('@kubefile/runtime');
  return loading;
}
