/** For CLI tests against a real registry: the built kubefilec, run with an environment, and the runtime's docker-registry helper. */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repo = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const bin = join(repo, 'cli/bin/kubefilec.js');

export interface RunningRegistry {
  host: string;
  stop(): Promise<void>;
}

// The runtime's test helper starts Debian's docker-registry (compiled next to the runtime's tests).
export const { startRegistry } = (await import(pathToFileURL(join(repo, 'runtime/dist/test/registry-helpers.js')).href)) as {
  startRegistry(root: string, configDir: string, users?: Record<string, string>): Promise<RunningRegistry>;
};

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** A runner of kubefilec with the environment `env()` gives at each call, `input` on its standard input. */
export function kubefilecWith(env: () => NodeJS.ProcessEnv): (args: string[], input?: string) => Promise<CliRun> {
  return (args, input) =>
    new Promise((resolve) => {
      const child = execFile(process.execPath, [bin, ...args], { env: env() }, (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      child.stdin?.end(input ?? '');
    });
}
