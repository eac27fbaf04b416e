/** SHA-256 content digests in OCI form (`sha256:<64 hex>`). */
import { createHash } from 'node:crypto';

export type Digest = `sha256:${string}`;

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST.test(value);
}

export function digestHex(digest: Digest): string {
  return digest.slice('sha256:'.length);
}

export function sha256Digest(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A short form for people: the first 12 hex digits, as `docker images` shows. */
export function shortDigest(digest: Digest): string {
  return digestHex(digest).slice(0, 12);
}
