/**
 * A real VS Code for the end-to-end test: code-server (installed by scripts/install-code-server.sh)
 * with the packaged .vsix installed, served on 127.0.0.1 without auth, and Debian's Chromium
 * driven by playwright-core on its page.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const EXTENSION_DIR = fileURLToPath(new URL('../..', import.meta.url));
const INSTALL_SCRIPT = join(EXTENSION_DIR, 'scripts/install-code-server.sh');
export const CODE_SERVER_DIR = process.env.KUBEFILE_CODE_SERVER_DIR ?? '/var/cache/kubefile/code-server';
const CODE_SERVER = join(CODE_SERVER_DIR, 'node_modules/.bin/code-server');
const CHROMIUM = '/usr/bin/chromium';
/** The flags the browser runs with: no sandbox (root), no GPU, and nothing that reaches the internet. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function run(command: string, args: readonly string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')} failed: ${stderr.trim() || error.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Installs code-server when it is not (a no-op when it is); fails with the installer's reason. */
export async function ensureCodeServer(): Promise<void> {
  await run(INSTALL_SCRIPT, [CODE_SERVER_DIR], 15 * 60_000);
  if (!existsSync(CODE_SERVER)) throw new Error(`code-server is not at ${CODE_SERVER} after ${INSTALL_SCRIPT}`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (scripts/install-system-deps.sh does it)`);
}

export class CodeServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    private readonly log: () => string,
  ) {}

  /**
   * Installs the .vsix into a fresh extensions directory, writes the user settings, and serves
   * `folder`. Everything code-server keeps goes under `home`.
   */
  static async start(home: string, vsix: string, folder: string, settings: Record<string, unknown>): Promise<CodeServer> {
    const userData = join(home, 'user-data');
    const extensions = join(home, 'extensions');
    await mkdir(join(userData, 'User'), { recursive: true });
    await writeFile(join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    const dirs = ['--user-data-dir', userData, '--extensions-dir', extensions];
    const installed = await run(CODE_SERVER, [...dirs, '--install-extension', vsix], 120_000);
    if (!/successfully installed/.test(installed.stdout)) throw new Error(`installing ${vsix}: ${installed.stdout}${installed.stderr}`);

    // Port 0: the system picks a free one, which code-server then prints.
    const child = spawn(CODE_SERVER, ['--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry', '--disable-update-check', ...dirs, folder], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HOME: home },
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const port = /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port) {
        const server = new CodeServer(child, `http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`, () => output);
        try {
          if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return server;
        } catch {
          // Not answering yet.
        }
      }
      if (child.exitCode !== null) throw new Error(`code-server exited (${child.exitCode}): ${output}`);
      if (Date.now() > deadline) {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
        throw new Error(`code-server did not answer within 60 s: ${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  get output(): string {
    return this.log();
  }

  stop(): void {
    // Its extension hosts and our language server are its children: end the whole group.
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Screenshots kept as the test's artefacts, numbered in the order taken. */
export class Screenshots {
  private taken = 0;

  constructor(readonly dir: string) {}

  async take(page: Page, name: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const path = join(this.dir, `${String(++this.taken).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path });
    return path;
  }
}
