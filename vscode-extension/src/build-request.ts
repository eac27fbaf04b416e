/**
 * What "Kubefile: Build Image" asks: the tag it proposes and checks, and the choice it remembers
 * per Kubefile. Pure.
 */
import type { BuildOptions } from './build-options.js';

/** The tag, platforms and options last used for one Kubefile. */
export interface BuildChoice {
  tag: string;
  platforms: string[];
  options?: BuildOptions;
}

/** Remembered choices, by document URI (kept in the workspace's state). */
export type BuildChoices = Record<string, BuildChoice>;

// An image reference as kubefilec stores it: lower-case path components, an optional registry host
// (with port), an optional tag. Digests are not tags.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const HOST = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)?';
const REFERENCE = new RegExp(`^${HOST}${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?$`);

/** Why a tag typed in the input box cannot be used, or undefined when it can. */
export function tagProblem(tag: string): string | undefined {
  const trimmed = tag.trim();
  if (trimmed === '') return 'Enter an image name, e.g. my-cluster:v1';
  if (trimmed.includes('@')) return 'A build is stored under a tag, not a digest';
  if (!REFERENCE.test(trimmed)) return `"${trimmed}" is not an image name: lower-case letters, digits, "._-" separators, "/" between path parts, then an optional ":tag"`;
  return undefined;
}

/** The name a build of `kubefilePath` is offered: the last one used, else the directory's (or the file's) name, lower-cased, at `latest`. */
export function proposedTag(kubefilePath: string, last: BuildChoice | undefined): string {
  if (last) return last.tag;
  const parts = kubefilePath.split(/[\\/]/).filter((part) => part !== '');
  const file = parts.at(-1) ?? '';
  // `container-image.Kubefile` names itself; `Kubefile` is named by its directory.
  const stem = /^kubefile$/i.test(file) ? (parts.at(-2) ?? 'cluster-image') : file.replace(/\.kubefile$/i, '').replace(/^kubefile\./i, '');
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  return `${name || 'cluster-image'}:latest`;
}

/** The choices with this build's remembered, so the next build of the same Kubefile proposes it. */
export function rememberChoice(choices: BuildChoices, uri: string, choice: BuildChoice): BuildChoices {
  return { ...choices, [uri]: { tag: choice.tag.trim(), platforms: [...choice.platforms], ...(choice.options ? { options: choice.options } : {}) } };
}
