/** Rows as columns for a terminal: each cell padded to its column's widest, three spaces apart, the last column unpadded. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('   ')).join('\n') + '\n';
}
