/** Bounded concurrency for builds and transfers. */
import { RuntimeError, throwIfAborted } from './errors.js';

/**
 * `work` over `items`, at most `limit` at a time, results in input order. On the first failure
 * `onFailure` runs (to stop the others), and a failure is thrown once every started item has
 * settled, so nothing is still writing when the caller cleans up. Which one: of the items that
 * failed for a reason of their own (not interrupted by the stop), the first in input order, so the
 * same inputs report the same error however the work interleaves.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>, onFailure?: () => void): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const failures: { index: number; error: unknown }[] = [];
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (next < items.length && !stopped) {
      const i = next++;
      try {
        results[i] = await work(items[i]);
      } catch (error) {
        failures.push({ index: i, error });
        if (!stopped) {
          stopped = true;
          onFailure?.();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.length > 0) {
    // A real failure wins over the interruptions it causes in the others.
    const real = failures.filter((f) => !(f.error instanceof RuntimeError && f.error.code === 'INTERRUPTED')).sort((a, b) => a.index - b.index);
    throw (real[0] ?? failures[0]).error;
  }
  return results;
}

/** At most `limit` tasks at a time, started in the order they were asked for. */
export class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/**
 * Waits before retry `attempt` (1, 2 ...): `firstMs`, then twice as long each time, with jitter so
 * retries from several transfers spread out. An abort ends the wait and throws; the listener goes
 * when the wait ends either way, since many retries share a build's one signal.
 */
export async function backOff(attempt: number, signal: AbortSignal | undefined, firstMs = 200): Promise<void> {
  const ms = firstMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2);
  await new Promise<void>((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
  throwIfAborted(signal);
}
