/**
 * End to end in a real VS Code: the packaged .vsix installed into code-server, an example folder
 * opened in headless Chromium. From the page: a Kubefile's error reaches the Problems view,
 * completion offers COPY after `CO`, the commands are in the palette, and "Kubefile: Build Image"
 * builds the example for two platforms into the configured store. Screenshots of each step are
 * kept in vscode-extension/test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ImageStore, platformImages } from '@kubefile/runtime';
import { CodeServer, ensureCodeServer, EXTENSION_DIR, launchBrowser, Screenshots } from './code-server.js';

const REPO = join(EXTENSION_DIR, '..');
const SCREENSHOTS = new Screenshots(join(EXTENSION_DIR, 'test-results', 'e2e'));

function packageVsix(out: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(EXTENSION_DIR, 'scripts', 'package.mjs'), out], (error, _stdout, stderr) => (error ? reject(new Error(`packaging the .vsix failed: ${stderr}`)) : resolve()));
  });
}

describe('the extension in code-server (end to end)', function () {
  this.timeout(300_000);
  let home: string;
  let workspace: string;
  let store: string;
  let server: CodeServer;
  let browser: Browser;
  let page: Page;

  before(async function () {
    // scripts/setup.sh installs code-server; on a machine set up before that, it is installed now (minutes).
    this.timeout(20 * 60_000);
    await rm(SCREENSHOTS.dir, { recursive: true, force: true });
    await ensureCodeServer();
    home = await mkdtemp(join(tmpdir(), 'kubefile-e2e-'));
    workspace = join(home, 'app-launch');
    store = join(home, 'store');
    await cp(join(REPO, 'examples', 'app-launch'), workspace, { recursive: true });
    await writeFile(join(workspace, 'broken.kubefile'), 'FROM scratch\nCOPPY app1 manifests/\n');
    // The example's applications run Docker Hub images, which the build carries in registry/: offline,
    // the store provides them (stand-ins for both platforms), as a registry would.
    const { makeImage } = (await import(pathToFileURL(join(REPO, 'runtime/dist/test/fixtures.js')).href)) as {
      makeImage: (store: ImageStore, name: string, platforms: { platform: string; layers: Record<string, string>[] }[]) => Promise<unknown>;
    };
    const seeded = await ImageStore.open(store);
    for (const name of ['docker.io/library/nginx:1.25', 'docker.io/library/busybox:1.36']) {
      await makeImage(seeded, name, ['linux/amd64', 'linux/arm64'].map((platform) => ({ platform, layers: [{ 'stand-in': `${name} for ${platform}\n` }] })));
    }
    const vsix = join(home, 'kubefile.vsix');
    await packageVsix(vsix);
    server = await CodeServer.start(home, vsix, workspace, {
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'telemetry.telemetryLevel': 'off',
      'extensions.autoCheckUpdates': false,
      'kubefile.root': store,
    });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url);
    await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
    // A new folder asks whether it is trusted; the extension runs only in a trusted one.
    await page.getByRole('button', { name: 'Yes, I trust the authors' }).click({ timeout: 60_000 });
    await SCREENSHOTS.take(page, 'trusted');
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed' && page) {
      const shot = await SCREENSHOTS.take(page, 'failed');
      console.error(`screenshot: ${shot}\ncode-server said:\n${server.output.slice(-4000)}`);
    }
  });

  async function openFile(name: string): Promise<void> {
    await page.locator('.explorer-folders-view').getByRole('treeitem', { name, exact: true }).click();
    await page.locator(`.tab[data-resource-name="${name}"]`).waitFor({ timeout: 30_000 });
  }

  /** Runs a command from the palette, picking the row whose label is exactly `title`. */
  async function runCommand(title: string): Promise<void> {
    await page.keyboard.press('Control+Shift+P');
    await page.keyboard.type(title);
    const label = page.locator('.quick-input-list .monaco-list-row .label-name').filter({ hasText: new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) });
    await label.first().click({ timeout: 30_000 });
  }

  it('shows the Kubefile error in the Problems view', async () => {
    await openFile('broken.kubefile');
    await page.keyboard.press('Control+Shift+M');
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'unknown instruction: COPPY (did you mean COPY?)' });
    await problem.waitFor({ timeout: 60_000 });
    assert.match(await problem.innerText(), /KF1001/);
    await SCREENSHOTS.take(page, 'problems');
  });

  it('offers COPY after typing CO on a new line', async () => {
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('CO');
    const suggestion = page.locator('.suggest-widget .monaco-list-row', { hasText: 'COPY' });
    try {
      await suggestion.first().waitFor({ timeout: 10_000 });
    } catch {
      // Typing opened no list (a slow server): ask for it.
      await page.keyboard.press('Control+Space');
      await suggestion.first().waitFor({ timeout: 30_000 });
    }
    const labels = await page.locator('.suggest-widget .monaco-list-row .label-name').allInnerTexts();
    assert.ok(labels.includes('COPY'), `completion offered ${labels.join(', ')}`);
    await SCREENSHOTS.take(page, 'completion');
    await page.keyboard.press('Escape');
    // Leave the file as it was, so the rest sees its one error.
    await page.keyboard.press('Control+Z');
    await page.keyboard.press('Control+Z');
  });

  it('lists the Kubefile commands in the command palette', async () => {
    await page.keyboard.press('Control+Shift+P');
    await page.keyboard.type('Kubefile:');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'Kubefile: Build Image' }).first().waitFor({ timeout: 30_000 });
    const labels = (await page.locator('.quick-input-list .monaco-list-row .label-name').allInnerTexts()).map((label) => label.trim());
    for (const command of ['Kubefile: Build Image', 'Kubefile: Build for Platform...', 'Kubefile: Lint', 'Kubefile: Inspect Image']) {
      assert.ok(labels.includes(command), `the palette lists ${labels.join(' | ')}`);
    }
    await SCREENSHOTS.take(page, 'command-palette');
    await page.keyboard.press('Escape');
  });

  it('runs a detected kubefile task, whose $kubefilec problem matcher reports in the Problems view', async () => {
    await runCommand('Tasks: Run Task');
    // First the task types, then that type's tasks.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'kubefile' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.type('kubefile');
    await page.keyboard.press('Enter');
    const lint = page.locator('.quick-input-list .monaco-list-row', { hasText: 'lint broken.kubefile' });
    await lint.first().waitFor({ timeout: 30_000 });
    await SCREENSHOTS.take(page, 'tasks');
    await lint.first().click();
    // The task's terminal takes the focus (and Ctrl+Shift+M): open the Problems view by its tab. Its problem
    // (source kubefilec) appears beside the language server's own once kubefilec has ended.
    const fromTask = page.locator('.markers-panel .monaco-list-row', { hasText: /kubefilec.*KF1001/ });
    const deadline = Date.now() + 60_000;
    while (!(await fromTask.first().isVisible())) {
      assert.ok(Date.now() < deadline, 'the task\'s problem never reached the Problems view');
      await page.getByRole('tab', { name: /^Problems/ }).first().click();
      await page.waitForTimeout(500);
    }
    assert.match(await fromTask.first().innerText(), /unknown instruction: COPPY/);
    await SCREENSHOTS.take(page, 'task-problems');
  });

  it('builds the example for linux/amd64 and linux/arm64 with "Kubefile: Build Image"', async () => {
    await openFile('Kubefile');
    await runCommand('Kubefile: Build Image');
    // The tag: proposed from the folder's name; replaced here.
    const input = page.locator('.quick-input-box input');
    const proposed = Date.now() + 30_000;
    while ((await input.inputValue()) !== 'app-launch:latest') {
      assert.ok(Date.now() < proposed, `the tag box shows ${JSON.stringify(await input.inputValue())}, not app-launch:latest`);
      await page.waitForTimeout(100);
    }
    await input.fill('e2e/app-launch:v1');
    await page.keyboard.press('Enter');
    // The platforms: this machine's is ticked; tick arm64 as well.
    const arm64 = page.locator('.quick-input-list .monaco-list-row', { hasText: 'linux/arm64/v8' });
    await arm64.waitFor({ timeout: 30_000 });
    await SCREENSHOTS.take(page, 'platform-pick');
    await arm64.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    await page.keyboard.press('Enter');
    const done = page.locator('.notifications-toasts .notification-toast', { hasText: 'Built e2e/app-launch:v1' });
    await done.waitFor({ timeout: 120_000 });
    await SCREENSHOTS.take(page, 'built');

    const images = await ImageStore.open(store);
    const image = await images.getImage('e2e/app-launch:v1');
    assert.deepEqual((await platformImages(images, image.descriptor)).map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
  });
});
