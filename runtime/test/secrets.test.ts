/** Secret build args (KF2018 names) never reach the image: not its history, its args, nor the build log. */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { compile, parsePlatform } from '@kubefile/compiler';
import { nodeContext, nodeSha256 } from '@kubefile/compiler/node';
import { buildImage, CLUSTER_IMAGE_KEY, platformImages, type BuildEvent } from '../src/index.js';
import { useTempStore } from './fixtures.js';

describe('secret build args', () => {
  const temp = useTempStore('kubefile-secrets-');

  it('are *** in the history, the config\'s args and the build log; other args are kept', async () => {
    const context = join(temp.dir, 'context');
    await mkdir(context, { recursive: true });
    const kubefile = 'FROM scratch\nARG PASSWORD\nARG USER=admin\nRUN test -n "$PASSWORD"\nLABEL user=$USER\n';
    const { plans, diagnostics } = await compile(kubefile, {
      platforms: [parsePlatform('linux/amd64')],
      buildPlatform: parsePlatform('linux/amd64'),
      context: nodeContext(context),
      sha256: nodeSha256,
      buildArgs: { PASSWORD: 'hunter2' },
    });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(diagnostics.some((d) => d.code === 'KF2018'), 'the secret ARG is reported');
    const events: BuildEvent[] = [];
    await buildImage({ store: temp.store, plans, context, tag: 'secret:v1', onEvent: (event) => events.push(event) });
    const [image] = await platformImages(temp.store, (await temp.store.getImage('secret:v1')).descriptor);
    const shown = JSON.stringify([events, image!.config, image!.manifest]);
    assert.doesNotMatch(shown, /hunter2/);
    assert.equal(image!.config[CLUSTER_IMAGE_KEY]?.args.PASSWORD, '***');
    assert.equal(image!.config[CLUSTER_IMAGE_KEY]?.args.USER, 'admin');
    assert.ok(image!.config.history?.some((entry) => entry.created_by === 'ARG PASSWORD=***'), JSON.stringify(image!.config.history));
  });
});
