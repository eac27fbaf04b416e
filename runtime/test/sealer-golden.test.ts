/**
 * Our builds against the real sealer's: each case in test/fixtures/sealer/ was built by sealer
 * v0.11.0 (see its README); the same Kubefile and context built by kubefilec must carry the same
 * `sealer.image.extension`, the same sealer labels and the same application files in the rootfs.
 * Where we keep the design documents' meaning on purpose (docs/kubefile.md, "Differences from
 * sealer v0.11"), the case names the difference instead of the sealer value.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { platformImages, readImageExtension, SEALER_ANNOTATION, type ImageExtension, type SealerApplication } from '../src/index.js';
import { build, imageFiles, writeTree } from './build-helpers.js';
import { useTempStore } from './fixtures.js';

interface SealerCase {
  kubefile: string;
  files: Record<string, string>;
  buildArgs?: string[];
  base?: string;
  annotations?: { [SEALER_ANNOTATION.extension]?: ImageExtension };
  labels?: Record<string, string>;
  rootfs?: string[];
}

const FIXTURES = new URL('../../test/fixtures/sealer/', import.meta.url);

function loadCase(name: string): SealerCase {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as SealerCase;
}

/** Cases whose context needs what a unit test cannot have (a registry on sealer's port). */
const ELSEWHERE: Record<string, string> = { 'container-images': 'collection is checked against a real registry in sealer.test.ts' };

/** Our meaning where it differs from sealer v0.11's on purpose, as docs/kubefile.md explains. */
const DIFFERENCES: Record<string, Partial<ImageExtension>> = {
  // CMD in JSON form is a command, not its JSON text.
  'cmd-json-form': { launch: { cmds: ['kubectl apply -f a.yaml', 'echo second'] } },
  // ENV values are read as Docker reads them; sealer splits the line at spaces.
  'env-quoted': { env: { GREETING: 'hello world', PLAIN: 'x' } },
  // ENV and the launch are inherited from the base, as CMD and ENV are in Docker; sealer v0.11 keeps only the base's applications.
  'child-of-base': { env: { BASE_ENV: '1' }, launch: { app_names: ['baseapp'] } },
  'child-of-base-launch': { env: { BASE_ENV: '1', CHILD_ENV: '1' } },
};

/** Labels only sealer's own build sets (its version, buildah's, and `--label` flags). */
const SEALER_ONLY_LABELS = ['io.sealer.version', 'io.buildah.version', 'from-flag'];

function comparable(extension: ImageExtension): Omit<ImageExtension, 'buildClient'> {
  const { buildClient: _client, ...rest } = extension;
  const byName = (a: SealerApplication, b: SealerApplication): number => a.name.localeCompare(b.name);
  // sealer writes applications from a Go map: their order is random.
  return rest.applications ? { ...rest, applications: [...rest.applications].sort(byName) } : rest;
}

describe('kubefilec builds what the real sealer v0.11 builds (recorded golden images)', function () {
  this.timeout(60_000);
  const temp = useTempStore('kubefile-golden-');
  const cases = readdirSync(FIXTURES)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .filter((name) => loadCase(name).annotations?.[SEALER_ANNOTATION.extension] !== undefined);

  it('has cases to compare', () => assert.ok(cases.length >= 20, `${cases.length} cases`));

  for (const name of cases) {
    if (ELSEWHERE[name]) continue;
    it(name, async () => {
      const fixture = loadCase(name);
      const typeFlag = (fixture.buildArgs ?? []).find((arg) => arg.startsWith('--type='));
      const type = typeFlag ? (typeFlag.slice('--type='.length) as 'kube-installer' | 'app-installer') : undefined;
      if (fixture.base) {
        const base = loadCase(fixture.base);
        const baseContext = join(temp.dir, 'base');
        await writeTree(baseContext, base.files);
        await build(temp.store, baseContext, base.kubefile, 'localhost/fixture-base:v1', ['linux/amd64'], { type: 'app-installer' });
      }
      const context = join(temp.dir, 'context');
      await mkdir(context, { recursive: true });
      await writeTree(context, fixture.files);
      const tag = `localhost/fixture-${name}:v1`;
      await build(temp.store, context, fixture.kubefile, tag, ['linux/amd64'], type ? { type } : {});

      const [image] = await platformImages(temp.store, (await temp.store.getImage(tag)).descriptor);
      assert.ok(image);
      const ours = readImageExtension(image.manifest.annotations, tag);
      assert.ok(ours, 'the manifest carries sealer.image.extension');
      assert.deepEqual(ours.buildClient, { sealerVersion: 'kubefilec-0.1.0', buildahVersion: '' });
      assert.equal(ours.schemaVersion, 'v1alpha1');
      const sealers = fixture.annotations![SEALER_ANNOTATION.extension]!;
      assert.deepEqual(comparable(ours), comparable({ ...sealers, ...DIFFERENCES[name] }));

      const labels = Object.fromEntries(Object.entries(fixture.labels ?? {}).filter(([key]) => !SEALER_ONLY_LABELS.includes(key)));
      assert.deepEqual(image.config.config?.Labels ?? {}, labels);

      const appFiles = (fixture.rootfs ?? []).filter((path) => path.startsWith('application/') && !path.endsWith('/'));
      const files = (await imageFiles(temp.store, tag, 'linux/amd64')).filter((path) => path.startsWith('application/'));
      assert.deepEqual(files.sort(), appFiles.sort());
    });
  }
});
