/** Helpers that lay out text for people: tables, trees, durations. No I/O here. */

// C0 controls but tab and newline, DEL, and the C1 controls (U+009B is a CSI on its own).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` safe to print on a terminal: every control character but tab and newline becomes a
 * visible escape (`\x1b`), so text from a manifest, a module's error or its log cannot move the
 * cursor, retitle the window or hide what follows.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

/** Left-aligned columns separated by two spaces; `headers` is the first row. Trailing spaces trimmed. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  // Escaped before measuring, so that a cell with control characters keeps its columns aligned.
  const all = [headers, ...rows].map((row) => row.map((cell) => printable(cell)));
  const widths = headers.map((_, col) => Math.max(...all.map((row) => (row[col] ?? "").length)));
  return all.map((row) =>
    row
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** Label / value lines with the values aligned (`kind         media`). */
export function fields(rows: ReadonlyArray<readonly [string, string]>, indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${printable(value)}`.trimEnd());
}

/** A node of a tree to draw: its own label and its children. */
export interface TreeNode {
  label: string;
  children: readonly TreeNode[];
}

/**
 * Draws `root` with box-drawing guides:
 * ```
 * app@1.0.0
 * ├─ lib@1.2.0
 * │  └─ core@1.0.0
 * └─ gpu (unresolved)
 * ```
 */
export function tree(root: TreeNode): string[] {
  const lines = [root.label];
  const walk = (node: TreeNode, prefix: string): void => {
    node.children.forEach((child, i) => {
      const last = i === node.children.length - 1;
      lines.push(`${prefix}${last ? "└─ " : "├─ "}${child.label}`);
      walk(child, `${prefix}${last ? "   " : "│  "}`);
    });
  };
  walk(root, "");
  return lines;
}

/** A duration for people: `0.4 ms`, `12 ms`, `1.3 s`. */
export function ms(value: number): string {
  if (value < 10) return `${Number(value.toFixed(1))} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${Number((value / 1000).toFixed(1))} s`;
}

/** An uptime as `ps` and `pm2` show it, in its largest whole unit: `45s`, `12m`, `3h`, `2d`. */
export function uptime(valueMs: number): string {
  const s = Math.floor(valueMs / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** `id@version`. */
export function key(id: string, version: string): string {
  return `${id}@${version}`;
}

/** A comma-separated list, or `fallback` when empty. */
export function list(items: readonly string[], fallback = "none"): string {
  return items.length === 0 ? fallback : items.join(", ");
}

/** Wall-clock time of day for log lines: `HH:MM:SS.mmm`, local time. */
export function timeOfDay(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `2026-12-07 12:00:00.123` in local time: a moment in a log that may span days. */
export function dateAndTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${timeOfDay(date)}`;
}
