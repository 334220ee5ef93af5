/** Renders a value for a message: short JSON, `nothing` for undefined. */
export function renderValue(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined; // cyclic, or a BigInt
  }
  text ??= `a ${typeof value}`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
