/**
 * What Push needs to talk to a registry: whether kubefilec's failure asks for a login, the registry
 * a reference names, and whether it is reached over plain HTTP. Pure.
 */

/** kubefilec's AUTH errors that a login fixes (`requires authentication`, `refused the credentials`). */
export function needsLogin(message: string): boolean {
  return /requires authentication|refused the credentials/.test(message);
}

/** The registry host (with port) of a reference: its first component when that looks like a host, else Docker Hub. */
export function registryHost(reference: string): string {
  const slash = reference.indexOf('/');
  const first = slash < 0 ? '' : reference.slice(0, slash);
  return first !== '' && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/** As Docker treats them: a registry on this machine is reached over plain HTTP, any other over HTTPS. */
export function pushTlsFlags(reference: string): string[] {
  const host = registryHost(reference).replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' ? ['--tls-verify=false'] : [];
}

/** `kubefilec login` with the password on standard input (never on the command line). */
export function loginArguments(registry: string, username: string): string[] {
  return ['login', registry, '-u', username, '--password-stdin', ...pushTlsFlags(`${registry}/x`)];
}
