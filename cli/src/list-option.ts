/** A repeatable option whose values may also be comma-separated (`--platform a,b --platform c`). */
export function collectList(value: string, previous: string[] = []): string[] {
  return previous.concat(value.split(',').map((v) => v.trim()).filter(Boolean));
}
