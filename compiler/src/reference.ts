/**
 * Image references (`registry.example.com/team/app:v1@sha256:...`) checked against
 * distribution/reference's grammar. Its own module, free of the parser, so the runtime can load it
 * without the grammar (see the package's `./reference` export).
 */

/** distribution/reference's grammar (reference.go/regexp.go). */
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(${NAME})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_TOTAL_LENGTH_MAX = 255;
const DIGEST_LENGTHS: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Why `text` is not an image reference (distribution's error wording), or undefined when it is one. */
export function imageReferenceError(text: string): string | undefined {
  if (text === '') return 'repository name must have at least one component';
  const match = REFERENCE.exec(text);
  if (!match) {
    if (REFERENCE.test(text.toLowerCase())) return 'repository name must be lowercase';
    return 'invalid reference format';
  }
  const [, name, , digest] = match;
  if (name.length > NAME_TOTAL_LENGTH_MAX) return `repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`;
  if (/^[a-f0-9]{64}$/.test(name)) return 'cannot specify 64-byte hexadecimal strings as a repository name';
  if (digest !== undefined) {
    const [algorithm, hex] = digest.split(':');
    const expected = DIGEST_LENGTHS[algorithm];
    if (expected === undefined) return `unsupported digest algorithm ${algorithm}`;
    if (hex.length !== expected || /[A-F]/.test(hex)) return 'invalid checksum digest format';
  }
  return undefined;
}

/** The name, tag and digest of a valid reference; undefined when it is not one. No tag and no digest means `latest`. */
export function imageReferenceParts(text: string): { name: string; tag?: string; digest?: string } | undefined {
  if (imageReferenceError(text) !== undefined) return undefined;
  const [, name, tag, digest] = REFERENCE.exec(text)!;
  return { name, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
