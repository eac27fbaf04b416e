/**
 * Names that look like they hold a secret, by BuildKit's SecretsUsedInArgOrEnv rule
 * (dockerfile2llb): a word of the name, between `_` or the name's ends and in any case, is one of
 * the secret tokens, and no word is an allowed one (`PUBLIC_KEY`).
 */
const SECRET_TOKENS = ['apikey', 'auth', 'credential', 'credentials', 'key', 'password', 'pword', 'passwd', 'secret', 'token'];
const ALLOW_TOKENS = ['public'];

const SECRET = new RegExp(`(?:_|^)(?:${SECRET_TOKENS.join('|')})(?:_|$)`, 'i');
const ALLOW = new RegExp(`(?:_|^)(?:${ALLOW_TOKENS.join('|')})(?:_|$)`, 'i');

/** Whether an ARG or ENV named `name` looks like it holds a secret (KF2018; such ARG values are shown as `***`). */
export function isSecretName(name: string): boolean {
  return SECRET.test(name) && !ALLOW.test(name);
}

/** What a secret value is shown as in the image history, the config's `args` and the build output. */
export const REDACTED = '***';
