/**
 * Errors a user can cause or fix (a missing image, a broken archive, an interrupted build). They
 * carry a stable code and, when a Kubefile line is to blame, its location; the CLI prints them once,
 * without a stack trace. Anything else that escapes is a bug.
 */
export type RuntimeErrorCode =
  | 'IMAGE_NOT_FOUND'
  | 'PLATFORM_NOT_FOUND'
  | 'INVALID_NAME'
  | 'INVALID_ARCHIVE'
  | 'INVALID_IMAGE'
  | 'DIGEST_MISMATCH'
  | 'BASE_UNAVAILABLE'
  | 'SOURCE'
  | 'UNSUPPORTED'
  | 'RUN_FAILED'
  | 'QEMU_MISSING'
  | 'REGISTRY'
  | 'AUTH'
  | 'LOCKED'
  | 'INTERRUPTED'
  | 'IO'
  | 'BUILDER';

export interface ErrorLocation {
  file: string;
  line: number;
  column: number;
}

export class RuntimeError extends Error {
  override name = 'RuntimeError';
  readonly code: RuntimeErrorCode;
  readonly location?: ErrorLocation;

  constructor(code: RuntimeErrorCode, message: string, location?: ErrorLocation) {
    super(message);
    this.code = code;
    if (location) this.location = location;
  }
}

/** The build was stopped (Ctrl-C, SIGTERM or an aborted signal). */
export function interrupted(): RuntimeError {
  return new RuntimeError('INTERRUPTED', 'interrupted');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw interrupted();
}

/** Node's system errors carry a `code` such as ENOENT. */
export function errnoCode(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
