/**
 * Where an image name points on the network: `nginx:1.25` is `docker.io/library/nginx:1.25`,
 * served by `registry-1.docker.io`; `127.0.0.1:5000/team/app@sha256:...` is its own registry.
 * The first path component is a registry when it has a `.` or a `:`, or is `localhost`, as Docker
 * decides it.
 */
import { imageReferenceError } from '@kubefile/compiler/reference';
import { RuntimeError } from '../errors.js';

export const DOCKER_HUB = 'docker.io';

export interface RemoteReference {
  /** `docker.io`, `127.0.0.1:5000`: the name used for credentials and messages. */
  registry: string;
  /** The host the API is at (`registry-1.docker.io` for Docker Hub). */
  host: string;
  /** `library/nginx`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** What the manifest is asked for by: the digest when there is one, else the tag (default `latest`). */
  reference: string;
}

export function parseRemoteReference(text: string): RemoteReference {
  const error = imageReferenceError(text);
  if (error) throw new RuntimeError('INVALID_NAME', `invalid image name ${JSON.stringify(text)}: ${error}`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  const hasRegistry = first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : DOCKER_HUB;
  let repository = hasRegistry ? rest.slice(slash + 1) : rest;
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  const host = registry === DOCKER_HUB ? 'registry-1.docker.io' : registry;
  return { registry, host, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), reference: digest ?? tag ?? 'latest' };
}

/** `registry/repository:tag` (or `@digest`), as messages show it. */
export function formatRemoteReference(ref: RemoteReference): string {
  return `${ref.registry}/${ref.repository}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
}
