/** The sealer harness itself: a build with the real sealer, inspect, and a cleanup that leaves nothing behind. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describeWithSealer, SEALER_LOCK, SealerError, mountsUnder, startSealer } from './sealer-helpers.js';

describeWithSealer('sealer harness (real sealer)', function (bin) {
  this.timeout(180_000);

  it('builds an app-installer image FROM scratch, inspects it, and cleans up everything', async () => {
    const storageConfBefore = existsSync('/etc/containers/storage.conf');
    const rootSealerBefore = existsSync('/root/.sealer');
    const varLibSealerBefore = existsSync('/var/lib/sealer');
    const session = await startSealer(bin);
    let dir = session.dir;
    try {
      assert.equal((await readFile(SEALER_LOCK, 'utf8')).trim(), String(process.pid));
      const context = join(session.dir, 'context');
      await mkdir(context);
      await writeFile(join(context, 'app.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: harness\n');
      await writeFile(join(context, 'Kubefile'), 'FROM scratch\nAPP app1 local://app.yaml\nLAUNCH ["app1"]\n');
      await session.run(['build', '--type', 'app-installer', '-t', 'harness:v1', '.'], { cwd: context });

      const spec = JSON.parse((await session.run(['inspect', 'harness:v1'])).stdout);
      assert.equal(spec.name, 'localhost/harness:v1');
      assert.equal(spec.imageExtension.type, 'app-installer');
      assert.deepEqual(spec.imageExtension.applications, [{ name: 'app1', type: 'kube', files: ['app.yaml'], version: 'v1' }]);
      assert.deepEqual(spec.imageExtension.launch, { app_names: ['app1'] });
      assert.equal(spec.ociv1.config.Labels, undefined, 'inspect moves the labels into imageExtension.labels');
      assert.equal(spec.imageExtension.labels['io.sealer.version'], 'v0.11.0');

      // Everything is in the session's own store.
      assert.ok(existsSync(join(session.dir, 'storage', 'overlay-images')));
      await assert.rejects(session.run(['inspect', 'no-such-image:v1']), (error: unknown) => error instanceof SealerError && /no-such-image/.test(error.stderr));
    } finally {
      dir = session.dir;
      await session.cleanup();
    }
    assert.equal(existsSync(dir), false);
    assert.deepEqual(await mountsUnder(dir), []);
    assert.equal(existsSync('/etc/containers/storage.conf'), storageConfBefore);
    assert.equal(existsSync('/root/.sealer'), rootSealerBefore);
    assert.equal(existsSync('/var/lib/sealer'), varLibSealerBefore);
    // Released (another process may hold it by now, but not this one).
    assert.notEqual((await readFile(SEALER_LOCK, 'utf8').catch(() => '')).trim(), String(process.pid));
  });
});
