/** The machine's IANA time zone (`Europe/Paris`; `UTC` when the platform names none). */
export function machineTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
}

/** True when `name` is a time zone this Node knows (`Europe/Paris`, `UTC`, `America/New_York`). */
export function isTimeZone(name: string): boolean {
  if (name.trim() === "") return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
