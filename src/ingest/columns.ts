/**
 * Sets `columns[key][index]`, creating the column NaN-filled when the key is new, then pads every
 * column to `index + 1`: a key that comes and goes (a CPU brought online) keeps arrays parallel.
 */
export function appendKeyed(
  columns: Record<string, number[]>,
  values: Readonly<Record<string, number>>,
  index: number,
): void {
  for (const [key, value] of Object.entries(values)) {
    const column = columns[key] ?? Array.from({ length: index }, () => Number.NaN);
    columns[key] = column;
    column[index] = value;
  }
  for (const column of Object.values(columns)) {
    if (column.length <= index) column[index] = Number.NaN;
  }
}

/** A number from a text field; NaN for anything that is not one (empty, `-`, garbage). */
export function numberOf(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return Number.NaN;
  const value = Number(text);
  return Number.isNaN(value) ? Number.NaN : value;
}
