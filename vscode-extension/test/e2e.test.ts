/**
 * End to end in a real VS Code: the packaged .vsix installed into code-server, examples/multi-arch
 * opened in headless Chromium. From the page: a Kubefile's error reaches the Problems view,
 * completion offers COPY after `CO`, the commands are in the palette, a detected task's problem
 * is matched; "Kubefile: Build Image" builds the example for two platforms offline, with the ignore
 * list picked on the options page; the image shows in the Images view with both platforms, opens
 * read-only in Inspect, and is tagged and deleted from the view; a failing RUN leaves a
 * diagnostic on its line; Cancel shows as cancelled. Screenshots of each step are kept in
 * vscode-extension/test-results/e2e/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ImageStore, platformImages } from '@kubefile/runtime';
import { CodeServer, ensureCodeServer, EXTENSION_DIR, launchBrowser, Screenshots } from './code-server.js';

const KUBEFILEC = join(EXTENSION_DIR, '..', 'cli', 'bin', 'kubefilec.js');

function kubefilec(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [KUBEFILEC, ...args], (error, _stdout, stderr) => (error ? reject(new Error(`kubefilec ${args.join(' ')}: ${stderr}`)) : resolve()));
  });
}

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
    workspace = join(home, 'multi-arch');
    store = join(home, 'store');
    await cp(join(REPO, 'examples', 'multi-arch'), workspace, { recursive: true });
    await writeFile(join(workspace, 'broken.kubefile'), 'FROM scratch\nCOPPY app1 manifests/\n');
    await writeFile(join(workspace, 'failing.kubefile'), 'FROM scratch\nCOPY amd64/busybox bin/\nRUN busybox false\n');
    await writeFile(join(workspace, 'slow.kubefile'), 'FROM scratch\nCOPY amd64/busybox bin/\nRUN busybox sleep 60\n');
    // A manifest naming an image on a registry nothing answers (offline, as far as the build can tell), and the list that leaves it out.
    await mkdir(join(workspace, 'deploy'));
    await writeFile(join(workspace, 'deploy', 'app.yaml'), 'kind: Pod\nspec:\n  containers:\n    - image: 127.0.0.1:1/nowhere/app:v1\n');
    await writeFile(join(workspace, 'offline-images.txt'), '127.0.0.1:1/nowhere/app:v1\n');
    await writeFile(join(workspace, 'offline.kubefile'), 'FROM scratch\nCOPY deploy manifests/\n');
    // What the Quick start builds first: the base and the container image machine-job.yaml runs.
    // The Docker Hub images of the chart and dashboard are left out in the editor, with the ignore list.
    await kubefilec(['build', '-t', 'kubernetes:v1.19.8', '--platform', 'linux/amd64,linux/arm64', '--root', store, '--progress', 'plain', join(REPO, 'examples', 'kubernetes')]);
    await kubefilec(['build', '-f', join(workspace, 'container-image.Kubefile'), '-t', 'example.com/demo/busybox:1.36', '--platform', 'linux/amd64,linux/arm64', '--root', store, '--progress', 'plain', workspace]);
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

  /** Waits for the input box of a quick input to show `value` (the extension fills it asynchronously). */
  async function inputShows(value: string): Promise<void> {
    const input = page.locator('.quick-input-box input');
    const deadline = Date.now() + 30_000;
    while ((await input.inputValue()) !== value) {
      assert.ok(Date.now() < deadline, `the input box shows ${JSON.stringify(await input.inputValue())}, not ${value}`);
      await page.waitForTimeout(100);
    }
  }

  function quickPickRow(text: string | RegExp) {
    return page.locator('.quick-input-list .monaco-list-row', { hasText: text });
  }

  /** Build Image on the open Kubefile: the tag, the platforms (ticking `tick`), then Enter on the options page after `options`. */
  async function buildImage(proposed: string, tag: string, tick: string[], options: () => Promise<void> = async () => undefined): Promise<void> {
    await runCommand('Kubefile: Build Image');
    await inputShows(proposed);
    await page.locator('.quick-input-box input').fill(tag);
    await page.keyboard.press('Enter');
    await quickPickRow('linux/arm64/v8').waitFor({ timeout: 30_000 });
    for (const platform of tick) await quickPickRow(platform).locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    await page.keyboard.press('Enter');
    await quickPickRow('Ignore image lists').waitFor({ timeout: 30_000 });
    await options();
    await quickPickRow('Build').first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  function toast(text: string | RegExp) {
    return page.locator('.notifications-toasts .notification-toast', { hasText: text });
  }

  it('builds examples/multi-arch for linux/amd64 and linux/arm64 offline, with the ignore list picked on the options page', async () => {
    await openFile('Kubefile');
    await buildImage('multi-arch:latest', 'e2e/multi-arch:v1', ['linux/arm64/v8'], async () => {
      await SCREENSHOTS.take(page, 'build-options');
      await quickPickRow('Ignore image lists').click();
      const list = quickPickRow('docker-hub-images.txt');
      await list.waitFor({ timeout: 30_000 });
      await list.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
      await page.keyboard.press('Enter');
      // Back on the options page, the row shows the list and Build is the active row.
      await quickPickRow(/Ignore image lists.*docker-hub-images\.txt/).waitFor({ timeout: 30_000 });
      await SCREENSHOTS.take(page, 'build-options-ignore-list');
    });
    await toast('Built e2e/multi-arch:v1').waitFor({ timeout: 240_000 });
    await SCREENSHOTS.take(page, 'built');

    const images = await ImageStore.open(store);
    const image = await images.getImage('e2e/multi-arch:v1');
    assert.deepEqual((await platformImages(images, image.descriptor)).map((p) => p.key).sort(), ['linux/amd64', 'linux/arm64/v8']);
    await page.keyboard.press('Escape');
  });

  function imagesViewRow(name: string | RegExp) {
    return page.locator('.pane-body .monaco-list-row', { hasText: name });
  }

  it('lists the new image in the Images view with both platforms, and opens it read-only with Inspect', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Kubefile"]').first().click();
    const image = imagesViewRow('e2e/multi-arch:v1');
    await image.first().waitFor({ timeout: 30_000 });
    assert.match(await image.first().innerText(), /2 platforms/);
    // Its row opens it in Inspect; its twistie shows the platforms.
    await image.first().click();
    const tab = page.locator('.tab', { hasText: 'multi-arch:v1.json' });
    await tab.waitFor({ timeout: 30_000 });
    await page.keyboard.press('ArrowRight');
    await image.first().locator('.monaco-tl-twistie').click();
    await imagesViewRow('linux/amd64').first().waitFor({ timeout: 30_000 });
    await imagesViewRow('linux/arm64/v8').first().waitFor({ timeout: 30_000 });
    await SCREENSHOTS.take(page, 'images-view');
    // Under a platform: what sealer reads, then the layers with the instruction that made each.
    await imagesViewRow('linux/amd64').first().locator('.monaco-tl-twistie').click();
    await imagesViewRow('sealer: kube-installer').first().waitFor({ timeout: 30_000 });
    await imagesViewRow('COPY dashborad.yaml manifests').first().waitFor({ timeout: 30_000 });
    await imagesViewRow(/^RUN busybox uname -m/).first().waitFor({ timeout: 30_000 });
    await SCREENSHOTS.take(page, 'images-view-layers');
    await imagesViewRow('linux/amd64').first().locator('.monaco-tl-twistie').click();

    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.locator('.view-lines').click();
    await page.keyboard.type('x');
    await page.locator('.monaco-editor-overlaymessage', { hasText: /read-only/i }).first().waitFor({ timeout: 10_000 });
    assert.match(await editor.locator('.view-lines').innerText(), /"schemaVersion":\s2/);
    assert.equal(await page.locator('.tab.dirty').count(), 0, 'the Inspect document is not dirty');
    await SCREENSHOTS.take(page, 'inspect-read-only');
    // Closing it asks nothing.
    await page.keyboard.press('Control+W');
    await tab.waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('tags and deletes from the Images view', async () => {
    /** A row's inline action (shown on hover), by its title. */
    const inlineAction = async (row: ReturnType<typeof imagesViewRow>, title: string): Promise<void> => {
      await row.first().hover();
      await row.first().locator(`.actions .action-label[aria-label="${title}"]`).click();
    };
    const image = imagesViewRow(/^e2e\/multi-arch:v1/);
    await inlineAction(image, 'Tag...');
    await inputShows('e2e/multi-arch:v1');
    await page.locator('.quick-input-box input').fill('e2e/multi-arch:v2');
    await page.keyboard.press('Enter');
    const tagged = imagesViewRow('e2e/multi-arch:v2');
    await tagged.first().waitFor({ timeout: 30_000 });
    await SCREENSHOTS.take(page, 'tagged');

    await inlineAction(tagged, 'Delete');
    await page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Delete' }).first().click();
    await tagged.first().waitFor({ state: 'detached', timeout: 30_000 });
    const names = (await (await ImageStore.open(store)).listImages()).map((listed) => listed.name);
    assert.ok(names.includes('e2e/multi-arch:v1') && !names.includes('e2e/multi-arch:v2'), names.join(', '));
    await SCREENSHOTS.take(page, 'deleted');
  });

  it('leaves a failing RUN\'s error on its line, and in Problems', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Explorer"]').first().click();
    await openFile('failing.kubefile');
    await buildImage('failing:latest', 'e2e/failing:v1', []);
    await toast(/Kubefile build of e2e\/failing:v1 failed/).waitFor({ timeout: 120_000 });
    await page.getByRole('tab', { name: /^Problems/ }).first().click();
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: 'kubefile build' });
    await problem.first().waitFor({ timeout: 30_000 });
    assert.match(await problem.first().innerText(), /RUN.*\[Ln 3, Col 1\]/s);
    await SCREENSHOTS.take(page, 'run-failure');
  });

  it('shows a cancelled build as cancelled', async () => {
    await openFile('slow.kubefile');
    await buildImage('slow:latest', 'e2e/slow:v1', []);
    const running = toast('Building e2e/slow:v1');
    await running.waitFor({ timeout: 60_000 });
    // Once RUN is running (the progress names its step), cancel it.
    await toast(/STEP 3\/3/).waitFor({ timeout: 60_000 });
    await SCREENSHOTS.take(page, 'building');
    await running.getByRole('button', { name: 'Cancel' }).click();
    await toast('Kubefile: build of e2e/slow:v1 cancelled').waitFor({ timeout: 60_000 });
    assert.equal(await toast(/e2e\/slow:v1 failed/).count(), 0);
    await SCREENSHOTS.take(page, 'cancelled');
    assert.equal(await (await ImageStore.open(store)).findImage('e2e/slow:v1'), undefined);
  });

  it('points an unreachable image at its manifest line, and Build with Options... fixes it with an ignore list', async () => {
    await openFile('offline.kubefile');
    await buildImage('offline:latest', 'e2e/offline:v1', []);
    const failed = toast(/Kubefile build of e2e\/offline:v1 failed: .*named by manifests\/app\.yaml:4 in the image.*"Ignore image lists"/);
    await failed.waitFor({ timeout: 120_000 });
    // On the build-context file's line, not the path inside the image.
    await page.getByRole('tab', { name: /^Problems/ }).first().click();
    const problem = page.locator('.markers-panel .monaco-list-row', { hasText: /cannot reach 127\.0\.0\.1:1.*kubefile build.*\[Ln 4, Col 5\]/ });
    await problem.first().waitFor({ timeout: 30_000 });
    assert.ok(await page.locator('.markers-panel .monaco-list-row', { hasText: 'app.yaml' }).first().isVisible());
    await SCREENSHOTS.take(page, 'offline-failure');

    // The options page opens at the row that fixes it.
    await failed.getByRole('button', { name: 'Build with Options...' }).click();
    await quickPickRow('Ignore image lists').waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    const list = quickPickRow('offline-images.txt');
    await list.waitFor({ timeout: 30_000 });
    await list.locator('input[type=checkbox], .monaco-checkbox, .quick-input-list-checkbox').first().click();
    await page.keyboard.press('Enter');
    await quickPickRow(/Ignore image lists.*offline-images\.txt/).waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await toast('Built e2e/offline:v1').waitFor({ timeout: 120_000 });
    // The next build cleared the failure.
    await problem.first().waitFor({ state: 'detached', timeout: 30_000 });
    await SCREENSHOTS.take(page, 'offline-fixed');
  });
});
