// Mocha global setup: the examples' per-platform busybox (fetched, never committed) is part of
// examples/multi-arch, which many suites lint, compile and build.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function mochaGlobalSetup() {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(`${repo}scripts/fetch-busybox.sh`, [`${repo}examples/multi-arch`], { stdio: 'inherit' });
}
