/** A bad line or value as a gap message quotes it: at most 60 characters, in double quotes. */
export function quoteLine(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 57)}...` : line);
}
