/**
 * A failed `kubefile.build` as the editor shows it: cancelled or failed, its message, and the line
 * to blame (a Kubefile line, or a build-context file such as `my-mysql/values.yaml:3`), from the
 * request error's data (lsp/src/protocol.ts BuildFailure). Pure.
 */
import type { BuildFailure } from '@kubefile/lsp/protocol';

/** LSP's RequestCancelled: the server stopped the build because the client cancelled it. */
const REQUEST_CANCELLED = -32800;

export interface FailedBuild {
  cancelled: boolean;
  message: string;
  /** The runtime's error code (`RUN_FAILED`, `REGISTRY` ...), `KUBEFILE` for errors in the Kubefile. */
  code?: string;
  /** Zero-based, as LSP positions. */
  location?: { uri: string; line: number; character: number };
}

function isBuildFailure(data: unknown): data is BuildFailure {
  if (typeof data !== 'object' || data === null) return false;
  const { code, message, location } = data as Record<string, unknown>;
  if (typeof code !== 'string' || typeof message !== 'string') return false;
  if (location === undefined) return true;
  if (typeof location !== 'object' || location === null) return false;
  const { uri, line, character } = location as Record<string, unknown>;
  return typeof uri === 'string' && Number.isInteger(line) && Number.isInteger(character) && (line as number) >= 0 && (character as number) >= 0;
}

/** What went wrong, from whatever the request rejected with (a ResponseError with or without data, anything else). */
export function failedBuild(error: unknown, cancelledByUser = false): FailedBuild {
  const record = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const data = isBuildFailure(record.data) ? record.data : undefined;
  const message = data?.message ?? (error instanceof Error ? error.message : typeof record.message === 'string' ? record.message : String(error));
  const cancelled = cancelledByUser || record.code === REQUEST_CANCELLED || data?.code === 'INTERRUPTED';
  return { cancelled, message, ...(data?.code ? { code: data.code } : {}), ...(data?.location ? { location: { ...data.location } } : {}) };
}
