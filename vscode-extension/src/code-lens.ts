/** Where the "Build" CodeLens goes: above each FROM, found in the language server's outline (no second parse here). Pure. */

/** The part of an LSP/VS Code document symbol this needs. */
export interface OutlineSymbol {
  name: string;
  range: { start: { line: number } };
  children?: readonly OutlineSymbol[];
}

/**
 * The lines of the FROM instructions in an outline (the server names each symbol by its keyword and
 * arguments; with several stages, the instructions are the children of their stage's symbol).
 */
export function fromLines(symbols: readonly OutlineSymbol[] | undefined): number[] {
  return (symbols ?? []).flatMap((symbol) => (/^FROM(\s|$)/i.test(symbol.name) ? [symbol.range.start.line] : fromLines(symbol.children)));
}
