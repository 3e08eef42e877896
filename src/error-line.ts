/** The first line of a thrown value's message: what one-line errors and logs show of it. */
export function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0];
}
