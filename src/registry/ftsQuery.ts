/**
 * Turns free text into a safe FTS5 query: every word becomes a quoted prefix phrase (`"vid"*`), and
 * words are ANDed, so FTS operators, column filters and quotes in the input are plain text.
 * Returns undefined when the text has no searchable word.
 */
export function ftsQuery(text: string): string | undefined {
  const phrases = text
    .split(/\s+/u)
    .filter((word) => /[\p{L}\p{N}]/u.test(word))
    .map((word) => `"${word.replace(/"/g, '""')}"*`);
  return phrases.length === 0 ? undefined : phrases.join(" AND ");
}
