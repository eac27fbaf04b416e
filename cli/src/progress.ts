/**
 * Build progress for people and machines: a live view on a terminal (one line per platform, and per
 * running stage of a multi-stage build, showing its current step, finished steps scrolling above),
 * plain lines otherwise, JSON lines on request.
 */
import type { BuildEvent } from '@kubefile/runtime';
import { buildLogLine, builtLine, eventSubject, formatBytes, formatSeconds, stepOutcome } from '@kubefile/runtime/build-log';

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

class PlainProgress implements ProgressSink {
  constructor(private readonly write: (text: string) => void) {}

  event(event: BuildEvent): void {
    const line = buildLogLine(event);
    if (line !== undefined) this.write(`${line}\n`);
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
  /** The build node building it (`build --builder`). */
  node?: string;
}

const FRAME_MS = 100;

/** Which live line an event updates: its platform's, or its stage's on the stage's platform. */
function lineKey(event: { platform: string; stage?: string }): string {
  return event.stage === undefined ? event.platform : `${event.stage} ${event.platform}`;
}

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
      case 'stage':
        // A stage before the target stages gets a live line of its own while it runs.
        this.lines.set(lineKey(event), { step: 0, total: event.steps, text: `FROM ${event.base}`, bytes: 0, started: Date.now(), done: false });
        this.above(buildLogLine(event) ?? '');
        break;
      case 'stage-done':
        this.lines.delete(lineKey(event));
        this.redraw();
        break;
      case 'step': {
        const line = this.lines.get(lineKey(event));
        if (line) Object.assign(line, { step: event.step, total: event.total, text: event.text, bytes: 0, started: Date.now(), ...(event.node ? { node: event.node } : {}) });
        break;
      }
      case 'step-bytes': {
        const line = this.lines.get(lineKey(event));
        if (line && line.step === event.step) line.bytes += event.bytes;
        break;
      }
      case 'step-done': {
        const line = this.lines.get(lineKey(event));
        // Finished steps scroll above the live lines, so the whole build stays readable afterwards.
        this.above(`[${eventSubject(event)}] STEP ${event.step}/${event.total}: ${line?.text ?? ''}${stepOutcome(event) || ' ✓'}`);
        break;
      }
      case 'warning':
        // Not cut to the terminal's width: a warning must be readable whole.
        this.clear();
        this.write(`[${eventSubject(event)}] warning: ${event.message}\n`);
        this.draw();
        break;
      case 'platform-done': {
        const line = this.lines.get(event.platform);
        if (line) Object.assign(line, { done: true, text: `done in ${formatSeconds(event.ms)}`, bytes: 0 });
        this.redraw();
        break;
      }
      case 'transfer':
        this.above(buildLogLine(event) ?? '');
        break;
      case 'done':
        this.close();
        this.write(`${builtLine(event)}\n`);
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
    for (const [subject, line] of this.lines) {
      const mark = line.done ? '✓' : this.spinner[this.frame];
      const step = line.step > 0 && !line.done ? ` STEP ${line.step}/${line.total}:` : '';
      const bytes = line.bytes > 0 ? ` ${formatBytes(line.bytes)}` : '';
      const time = line.done ? '' : ` ${formatSeconds(Date.now() - line.started)}`;
      out += `${this.fit(`${mark} [${line.node ? `${line.node}: ` : ''}${subject}]${step} ${line.text}${bytes}${time}`)}\n`;
    }
    this.write(out);
    this.drawn = this.lines.size;
  }

  private fit(text: string): string {
    return text.length > this.columns - 1 ? `${text.slice(0, this.columns - 2)}…` : text;
  }
}
