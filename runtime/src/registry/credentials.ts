/**
 * Registry credentials kept in Docker's auth file format (`~/.docker/config.json`, `auths`), which
 * docker, podman, buildah and skopeo all read, so a `kubefilec login` serves them too and theirs
 * serves us.
 *
 * Only inline credentials are supported: entries with an `identitytoken` (OAuth refresh tokens) and
 * credentials kept by `credsStore`/`credHelpers` programs are ignored, as if absent.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isJsonObject, readJsonObjectFile, writableJsonPath, writeJsonObjectFile, type JsonObject } from '../config-file.js';
import { RuntimeError } from '../errors.js';

export interface RegistryCredentials {
  username: string;
  password: string;
}

/** Docker Hub's key: the v1 index URL, for historical reasons; docker itself writes and looks up this one. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
/** The name this module uses internally for every Docker Hub alias. */
const DOCKER_HUB = 'docker.io';

/** The auth file: $REGISTRY_AUTH_FILE, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json (HOME from env). */
export function authFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.REGISTRY_AUTH_FILE) return resolve(env.REGISTRY_AUTH_FILE);
  if (env.DOCKER_CONFIG) return resolve(env.DOCKER_CONFIG, 'config.json');
  return join(env.HOME || homedir(), '.docker', 'config.json');
}

/** The credentials for `registry` (host[:port]), or undefined. */
export async function readCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<RegistryCredentials | undefined> {
  const host = registryHost(registry);
  const path = authFilePath(env);
  const file = await readJsonObjectFile(path);
  if (!file) return undefined;
  const auths = authsOf(file, path);
  if (!auths) return undefined;
  // The key we would write first, then any other spelling of the same registry, in file order.
  const keys = Object.keys(auths).filter((key) => keyHost(key) === host);
  keys.sort((a, b) => Number(b === keyFor(host)) - Number(a === keyFor(host)));
  for (const key of keys) {
    const credentials = entryCredentials(auths[key]);
    if (credentials) return credentials;
  }
  return undefined;
}

export interface SaveCredentialsOptions {
  /** Make the file 0600 even when it exists with another mode (`login` does: it holds passwords). */
  private?: boolean;
}

export interface SavedCredentials {
  /** The file written. */
  path: string;
  /** The mode the existing file had when `private` changed it to 0600. */
  tightenedFrom?: number;
}

/**
 * Saves them (creating the file and its directory, mode 0600 file / 0700 dir when created), keeping
 * every other key of the file as it was; an existing file keeps its mode unless `private`.
 */
export async function saveCredentials(
  registry: string,
  credentials: RegistryCredentials,
  env: NodeJS.ProcessEnv = process.env,
  options: SaveCredentialsOptions = {},
): Promise<SavedCredentials> {
  const host = registryHost(registry);
  if (credentials.username.includes(':')) {
    // `auth` is "user:password" split at the first colon, so such a name could not be read back.
    throw new RuntimeError('INVALID_NAME', `a registry user name cannot contain ':' (${credentials.username})`);
  }
  const path = await writableJsonPath(authFilePath(env));
  const file = (await readJsonObjectFile(path)) ?? {};
  const auths = authsOf(file, path) ?? {};
  // Other spellings of this registry would shadow or contradict the new entry.
  for (const key of Object.keys(auths)) if (keyHost(key) === host) delete auths[key];
  auths[keyFor(host)] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64') };
  file.auths = auths;
  const previous = await writeJsonObjectFile(path, file, options.private ? 0o600 : undefined);
  return previous !== undefined && options.private && previous !== 0o600 ? { path, tightenedFrom: previous } : { path };
}

/** Removes the entry; returns whether there was one. */
export async function removeCredentials(registry: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const host = registryHost(registry);
  const path = await writableJsonPath(authFilePath(env));
  const file = await readJsonObjectFile(path);
  if (!file) return false;
  const auths = authsOf(file, path);
  if (!auths) return false;
  const keys = Object.keys(auths).filter((key) => keyHost(key) === host);
  if (keys.length === 0) return false;
  for (const key of keys) delete auths[key];
  await writeJsonObjectFile(path, file);
  return true;
}

/** `registry` as host[:port], lower-cased, Docker Hub's aliases folded into one; a scheme or path given by habit is dropped. */
function registryHost(registry: string): string {
  const host = stripScheme(registry.trim()).split('/')[0].toLowerCase();
  if (!host) throw new RuntimeError('INVALID_NAME', `invalid registry name: '${registry}'`);
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB : host;
}

function keyFor(host: string): string {
  return host === DOCKER_HUB ? DOCKER_HUB_KEY : host;
}

/**
 * The registry a key of `auths` is for, or undefined when it is for a single repository. Docker
 * writes URLs (`https://host/v1/`); podman may write `host/namespace`, which only covers that namespace.
 */
function keyHost(key: string): string | undefined {
  const withoutScheme = stripScheme(key);
  const slash = withoutScheme.indexOf('/');
  const host = (slash < 0 ? withoutScheme : withoutScheme.slice(0, slash)).toLowerCase();
  const rest = slash < 0 ? '' : withoutScheme.slice(slash);
  const isUrl = withoutScheme !== key;
  if (!host || (!isUrl && !/^(\/(v[12]\/?)?)?$/.test(rest))) return undefined;
  return DOCKER_HUB_HOSTS.has(host) ? DOCKER_HUB : host;
}

function stripScheme(text: string): string {
  return text.replace(/^https?:\/\//i, '');
}

/** A username and password from an `auths` entry, or undefined when it has none we can use. */
function entryCredentials(entry: unknown): RegistryCredentials | undefined {
  if (!isJsonObject(entry)) return undefined;
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    // Docker stores an identity token's entry as "<token>:"; the token itself is not a password.
    if (colon > 0 && decoded.slice(0, colon) !== '<token>') {
      return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
  }
  if (typeof entry.username === 'string' && entry.username !== '' && typeof entry.password === 'string') {
    return { username: entry.username, password: entry.password };
  }
  return undefined;
}

function authsOf(file: JsonObject, path: string): JsonObject | undefined {
  if (file.auths === undefined || file.auths === null) return undefined;
  if (!isJsonObject(file.auths)) throw new RuntimeError('IO', `${path}: "auths" is not an object`);
  return file.auths;
}
