/**
 * What a CMD in exec form launches. Cluster images launch shell command lines, not a program's
 * argv: sealer up to v0.8 (the design documents' version) reads `CMD ["kubectl apply -f a.yaml",
 * "kubectl apply -f b.yaml"]` as two commands, and its own applications are written so. A list
 * whose first string is a whole command line (it has blanks) is read that way; otherwise the list
 * is one program's argv (`CMD ["kubectl", "get", "pods"]`) joined by blanks, as kubefilec always
 * ran it (`$VAR` stays for the shell that runs it), a word with blanks or quotes kept as one word.
 */
export function execFormCommands(words: readonly string[]): string[] {
  if (isCommandLineList(words)) return words.map((word) => word.trim()).filter((word) => word !== '');
  return words.length > 0 ? [words.map(keepWord).join(' ')] : [];
}

/** Whether the list is command lines (its first string has blanks), not one program's argv. */
export function isCommandLineList(words: readonly string[]): boolean {
  return words.length > 0 && /\s/.test(words[0]!.trim());
}

/** A word the shell reads back as one word: as it is, unless blanks or quotes would split or change it. */
export function keepWord(word: string): string {
  if (word !== '' && !/[\s'"\\]/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
