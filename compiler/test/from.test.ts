/** FROM: the image reference, its tag, the store's platforms of it, and `--platform`. */
import assert from 'node:assert/strict';
import { compile, type CompileOptions, type ImageCatalog } from '@kubefile/compiler';
import type { DiagnosticCode } from '@kubefile/grammar';
import { describeDiagnostic } from './helpers.js';

const FROM_CODES: DiagnosticCode[] = ['KF3001', 'KF3015', 'KF3020', 'KF3021', 'KF3022', 'KF3023', 'KF3024', 'KF3025'];

/** The FROM diagnostics of `text` (structure checks such as KF2019 are tested with the other checks). */
async function fromDiagnostics(text: string, options: CompileOptions = {}): Promise<string[]> {
  const { diagnostics } = await compile(text, options);
  return diagnostics.filter((d) => FROM_CODES.includes(d.code)).map((d) => `${d.severity} ${describeDiagnostic(d)}`);
}

const store: ImageCatalog = {
  platforms: async (name) => ({ 'kubernetes:v1.22.15': ['linux/amd64'], 'multi:v1': ['linux/amd64', 'linux/arm64/v8'] })[name],
};

describe('FROM checks', () => {
  it('KF3021: an image that is not a reference, with distribution\'s reason', async () => {
    assert.deepEqual(await fromDiagnostics('FROM Kubernetes:v1..x'), ['error KF3021 1:6 "Kubernetes:v1..x" is not a valid image reference: repository name must be lowercase']);
    assert.deepEqual(await fromDiagnostics('FROM kubernetes:v1:2'), ['error KF3021 1:6 "kubernetes:v1:2" is not a valid image reference: invalid reference format']);
    assert.deepEqual(await fromDiagnostics('ARG V=v1..x\nFROM Kubernetes:$V'), ['error KF3021 2:6 "Kubernetes:v1..x" is not a valid image reference: repository name must be lowercase']);
  });

  it('KF3022: untagged or :latest; a version tag, a digest and scratch are fine', async () => {
    assert.deepEqual(await fromDiagnostics('FROM kubernetes'), ['warning KF3022 1:6 The base image "kubernetes" has no tag, so "latest" is taken, which can change between builds: name a version tag or a digest']);
    assert.deepEqual(await fromDiagnostics('FROM docker.io/sealerio/kubernetes:latest'), [
      'warning KF3022 1:6 The base image "docker.io/sealerio/kubernetes:latest" is tagged "latest", which can change between builds: name a version tag or a digest',
    ]);
    assert.deepEqual(await fromDiagnostics('FROM kubernetes:v1.22.15'), []);
    assert.deepEqual(await fromDiagnostics(`FROM kubernetes@sha256:${'a'.repeat(64)}`), []);
    assert.deepEqual(await fromDiagnostics('FROM scratch'), []);
    // Bases from files of the context are not references, and have no tag to pin.
    assert.deepEqual(await fromDiagnostics('FROM oci-archive:bases/k8s.tar'), []);
    assert.deepEqual(await fromDiagnostics('FROM oci:bases/layout:k8s:v1'), []);
  });

  it('KF3023: the store has the base without a target platform (named); an image the store lacks is not reported', async () => {
    const platforms = ['linux/amd64', 'linux/arm64'];
    assert.deepEqual(await fromDiagnostics('FROM kubernetes:v1.22.15', { images: store, platforms }), [
      'warning KF3023 1:6 The base image "kubernetes:v1.22.15" in the local store has no linux/arm64/v8 variant (it has linux/amd64) (for linux/arm64/v8)',
    ]);
    assert.deepEqual(await fromDiagnostics('FROM multi:v1', { images: store, platforms }), []);
    assert.deepEqual(await fromDiagnostics('FROM elsewhere:v1', { images: store, platforms }), []);
    // A store that fails to answer is one without the image.
    assert.deepEqual(await fromDiagnostics('FROM multi:v1', { images: { platforms: () => Promise.reject(new Error('broken')) }, platforms }), []);
  });

  it('KF3024: FROM --platform, literal or after expansion, must name a known platform', async () => {
    assert.deepEqual(await fromDiagnostics('FROM --platform=linux/arm65 scratch'), ['error KF3024 1:17 --platform=linux/arm65 is not a platform: unknown architecture "arm65" (did you mean arm64?)']);
    assert.deepEqual(await fromDiagnostics('ARG P=linux/arm65\nFROM --platform=$P scratch'), ['error KF3024 2:17 --platform=linux/arm65 is not a platform: unknown architecture "arm65" (did you mean arm64?)']);
    assert.deepEqual(await fromDiagnostics('FROM --platform=$BUILDPLATFORM scratch'), []);
    assert.deepEqual(await fromDiagnostics('FROM --platform=linux/arm64/v8 scratch'), []);
    assert.deepEqual(await fromDiagnostics('FROM --platform=$NOPE scratch'), [
      'error KF3001 1:18 Undefined variable NOPE (it expands to an empty string); --platform is then "": the specifier is empty',
    ]);
  });

  it('KF3025: valid with the build arg but not with the defaults (BuildKit\'s InvalidDefaultArgInFrom); without the build arg, one error', async () => {
    const text = 'ARG TAG\nFROM busybox:${TAG}';
    assert.deepEqual(await fromDiagnostics(text, { buildArgs: { TAG: '1.36' } }), [
      'warning KF3025 2:6 With the ARGs\' defaults the base image "busybox:${TAG}" is "busybox:" (invalid reference format): it builds only with --build-arg TAG; give that ARG a valid default',
    ]);
    assert.deepEqual(await fromDiagnostics(text), [
      'error KF3020 2:16 ARG TAG has no value: give it a default (ARG TAG=<value>) or pass --build-arg TAG=<value>; the image is then "busybox:": invalid reference format',
    ]);
    assert.deepEqual(await fromDiagnostics('ARG TAG=1.35\nFROM busybox:${TAG}', { buildArgs: { TAG: '1.36' } }), []);
  });
});
