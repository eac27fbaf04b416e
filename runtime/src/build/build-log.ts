/**
 * Build events as plain log lines, one per event worth a line: what `kubefilec build --progress plain`
 * prints and what the language server streams to an editor's output channel. And sizes and times as
 * kubefilec's listings show them (`kubefilec images`, the editor's Images view). No other imports, so
 * a command or an editor reads it alone (`@kubefile/runtime/build-log`).
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
export function eventSubject(event: { platform: string; stage?: string; run?: 'host' | 'chroot'; node?: string }): string {
  return `${event.node === undefined ? '' : `${event.node}: `}${event.stage === undefined ? '' : `${event.stage} `}${event.platform}${event.run === 'chroot' ? ' chroot' : ''}`;
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
      return `[${eventSubject(event)}] manifest ${event.manifest}`;
    case 'done':
      return builtLine(event);
    case 'step-output':
      return `[${eventSubject(event)}] | ${event.line}`;
    case 'warning':
      return `[${eventSubject(event)}] warning: ${event.message}`;
    case 'transfer':
      return `[${eventSubject(event)}] sent ${event.sentFiles} context file${event.sentFiles === 1 ? '' : 's'} (${humanSize(event.sentBytes)}), received ${event.receivedBlobs} blob${event.receivedBlobs === 1 ? '' : 's'} (${humanSize(event.receivedBytes)})`;
    case 'step-bytes':
      return undefined;
  }
}

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units and three significant digits, as Docker prints sizes: 950B, 12.3MB, 1.5GB. */
export function humanSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (unit < UNITS.length - 1 && Number(value.toPrecision(3)) >= 1000) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? String(value) : String(Number(value.toPrecision(3)))}${UNITS[unit]}`;
}

/** "3 hours ago" for recent times, the date for old ones, as `docker images` does; the ISO time when the clock disagrees. */
export function relativeTime(iso: string | undefined, now = Date.now()): string {
  if (iso === undefined) return '-';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return iso;
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < 0) return iso;
  const ago = (count: number, unit: string): string => `${count} ${unit}${count === 1 ? '' : 's'} ago`;
  if (seconds < 60) return seconds < 2 ? 'Just now' : ago(seconds, 'second');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return ago(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return ago(hours, 'hour');
  const days = Math.floor(hours / 24);
  if (days < 14) return ago(days, 'day');
  if (days < 60) return ago(Math.floor(days / 7), 'week');
  return new Date(then).toISOString().slice(0, 10);
}
