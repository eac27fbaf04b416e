/** Image names as the store keys them: `name:tag`, `latest` when no tag is given. */
import { imageReferenceError } from '@kubefile/compiler/reference';
import { RuntimeError } from '../errors.js';

export function normalizeImageName(text: string): string {
  const error = imageReferenceError(text);
  if (error) throw new RuntimeError('INVALID_NAME', `invalid image name ${JSON.stringify(text)}: ${error}`);
  if (text.includes('@')) throw new RuntimeError('INVALID_NAME', `invalid image name ${JSON.stringify(text)}: the store keys images by name:tag, not by digest`);
  const lastSlash = text.lastIndexOf('/');
  return text.indexOf(':', lastSlash + 1) === -1 ? `${text}:latest` : text;
}
