/**
 * Build progress for people and machines: a live view on a terminal (one line per platform showing
 * its current step, finished steps scrolling above), plain lines otherwise, JSON lines on request.
 */
import type { BuildEvent } from '@kubefile/runtime';

export type ProgressMode = 'auto' | 'plain' | 'json';

export interface ProgressSink {
  event(event: BuildEvent): void;
  /** Stops redrawing; the live view leaves its last state on screen. */
  close(): void;
}

export function createProgress(mode: ProgressMode, write: (text: string) => void, terminal: { columns: number } | undefined): ProgressSink {
  if (mode === 'json') return { event: (event) => write(`${JSON.stringify(event)}\n`), close: () => undefined };
  if (mode === 'auto' && terminal) return new LiveProgress(write, terminal.columns);
  return new PlainProgress(write);
}

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

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

/** What a finished step adds to its line. */
function outcome(event: Extract<BuildEvent, { type: 'step-done' }>): string {
  if (event.layer === undefined) return '';
  if (event.shared) return ' (shared)';
  return event.cached ? ' CACHED' : ` done in ${seconds(event.ms)}`;
}

function finalLine(event: Extract<BuildEvent, { type: 'done' }>): string {
  return `Built ${event.image} ${event.digest} in ${seconds(event.ms)} (${event.built} layer${event.built === 1 ? '' : 's'} built, ${event.cached} cached)\n`;
}

class PlainProgress implements ProgressSink {
  private readonly texts = new Map<string, string>();

  constructor(private readonly write: (text: string) => void) {}

  event(event: BuildEvent): void {
    switch (event.type) {
      case 'start':
        this.write(`Building ${event.platforms.join(', ')}\n`);
        break;
      case 'step':
        this.texts.set(`${event.platform} ${event.step}`, event.text);
        this.write(`[${event.platform}] STEP ${event.step}/${event.total}: ${event.text}\n`);
        break;
      case 'step-done': {
        const more = outcome(event);
        if (more) this.write(`[${event.platform}] STEP ${event.step}/${event.total}:${more}\n`);
        break;
      }
      case 'platform-done':
        this.write(`[${event.platform}] manifest ${event.manifest}\n`);
        break;
      case 'done':
        this.write(finalLine(event));
        break;
      case 'step-output':
        this.write(`[${event.platform}] | ${event.line}\n`);
        break;
      case 'warning':
        this.write(`[${event.platform}] warning: ${event.message}\n`);
        break;
      case 'step-bytes':
        break;
    }
  }

  close(): void {}
}

interface PlatformLine {
  step: number;
  total: number;
  text: string;
  bytes: number;
  started: number;
  done: boolean;
}

const FRAME_MS = 100;

class LiveProgress implements ProgressSink {
  private readonly lines = new Map<string, PlatformLine>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly spinner = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  private frame = 0;
  private closed = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly columns: number,
  ) {}

  event(event: BuildEvent): void {
    switch (event.type) {
      case 'start':
        for (const platform of event.platforms) this.lines.set(platform, { step: 0, total: 0, text: 'waiting', bytes: 0, started: Date.now(), done: false });
        this.timer = setInterval(() => this.redraw(), FRAME_MS);
        this.timer.unref();
        break;
      case 'step': {
        const line = this.lines.get(event.platform);
        if (line) Object.assign(line, { step: event.step, total: event.total, text: event.text, bytes: 0, started: Date.now() });
        break;
      }
      case 'step-bytes': {
        const line = this.lines.get(event.platform);
        if (line && line.step === event.step) line.bytes += event.bytes;
        break;
      }
      case 'step-done': {
        const line = this.lines.get(event.platform);
        // Finished steps scroll above the live lines, so the whole build stays readable afterwards.
        this.above(`[${event.platform}] STEP ${event.step}/${event.total}: ${line?.text ?? ''}${outcome(event) || ' ✓'}`);
        break;
      }
      case 'warning':
        // Not cut to the terminal's width: a warning must be readable whole.
        this.clear();
        this.write(`[${event.platform}] warning: ${event.message}\n`);
        this.draw();
        break;
      case 'platform-done': {
        const line = this.lines.get(event.platform);
        if (line) Object.assign(line, { done: true, text: `done in ${seconds(event.ms)}`, bytes: 0 });
        this.redraw();
        break;
      }
      case 'done':
        this.close();
        this.write(finalLine(event));
        break;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.redraw();
    // The last state stays on screen; whatever is written next goes below it.
    this.drawn = 0;
  }

  private above(text: string): void {
    this.clear();
    this.write(`${this.fit(text)}\n`);
    this.draw();
  }

  private redraw(): void {
    this.frame = (this.frame + 1) % this.spinner.length;
    this.clear();
    this.draw();
  }

  private clear(): void {
    // Up to the first live line, then clear to the end of the screen.
    if (this.drawn > 0) this.write(`\x1b[${this.drawn}F\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    let out = '';
    for (const [platform, line] of this.lines) {
      const mark = line.done ? '✓' : this.spinner[this.frame];
      const step = line.step > 0 && !line.done ? ` STEP ${line.step}/${line.total}:` : '';
      const bytes = line.bytes > 0 ? ` ${formatBytes(line.bytes)}` : '';
      const time = line.done ? '' : ` ${seconds(Date.now() - line.started)}`;
      out += `${this.fit(`${mark} [${platform}]${step} ${line.text}${bytes}${time}`)}\n`;
    }
    this.write(out);
    this.drawn = this.lines.size;
  }

  private fit(text: string): string {
    return text.length > this.columns - 1 ? `${text.slice(0, this.columns - 2)}…` : text;
  }
}
