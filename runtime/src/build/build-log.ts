/**
 * Build events as plain log lines, one per event worth a line: what `kubefilec build --progress plain`
 * prints and what the language server streams to an editor's output channel.
 */
import type { BuildEvent } from './build.js';

/** `512B`, `3.4MB`, `120MB`: sizes as progress lines show them. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)}${units[unit]}`;
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** What a finished step adds to its line: ` CACHED`, ` done in 1.2s`, ` (shared)`, or nothing for a step without a layer. */
export function stepOutcome(event: Extract<BuildEvent, { type: 'step-done' }>): string {
  if (event.layer === undefined) return '';
  if (event.shared) return ' (shared)';
  return event.cached ? ' CACHED' : ` done in ${formatSeconds(event.ms)}`;
}

/** The line a whole build ends with. */
export function builtLine(event: Extract<BuildEvent, { type: 'done' }>): string {
  return `Built ${event.image} ${event.digest} in ${formatSeconds(event.ms)} (${event.built} layer${event.built === 1 ? '' : 's'} built, ${event.cached} cached)`;
}

/**
 * What a line is about, in its brackets: the platform, for a stage other than the target stage its
 * name first, and `chroot` when the step's RUN runs chrooted (`builder linux/amd64 chroot`).
 */
export function eventSubject(event: { platform: string; stage?: string; run?: 'host' | 'chroot' }): string {
  return `${event.stage === undefined ? '' : `${event.stage} `}${event.platform}${event.run === 'chroot' ? ' chroot' : ''}`;
}

/** The plain log line of one event (no newline), or undefined for events that make none (byte counts). */
export function buildLogLine(event: BuildEvent): string | undefined {
  switch (event.type) {
    case 'start':
      return `Building ${event.platforms.join(', ')}`;
    case 'stage':
      return `[${eventSubject(event)}] stage ${event.stage}: FROM ${event.base}, ${event.steps} step${event.steps === 1 ? '' : 's'}, RUN ${event.run === 'chroot' ? 'chrooted' : 'on the host'}, for ${event.plans.join(', ')}`;
    case 'stage-done':
      return `[${eventSubject(event)}] stage done in ${formatSeconds(event.ms)}`;
    case 'step':
      return `[${eventSubject(event)}] STEP ${event.step}/${event.total}: ${event.text}`;
    case 'step-done': {
      const more = stepOutcome(event);
      return more ? `[${eventSubject(event)}] STEP ${event.step}/${event.total}:${more}` : undefined;
    }
    case 'platform-done':
      return `[${event.platform}] manifest ${event.manifest}`;
    case 'done':
      return builtLine(event);
    case 'step-output':
      return `[${eventSubject(event)}] | ${event.line}`;
    case 'warning':
      return `[${event.platform}] warning: ${event.message}`;
    case 'step-bytes':
      return undefined;
  }
}
