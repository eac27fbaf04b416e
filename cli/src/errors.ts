/** A mistake in how kubefilec was called (bad option, missing file): printed once, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const EXIT_OK = 0;
/** Problems found (lint errors) or a failed build. */
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;
