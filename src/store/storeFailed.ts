import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";

/** Why the data directory could not be read or written, as far as the error tells. */
export type StoreFailure = "disk-full" | "read-only" | "locked" | "damaged" | "other";

const REASONS: ReadonlyArray<[StoreFailure, RegExp, string]> = [
  [
    "disk-full",
    /^(SQLITE_FULL|ENOSPC|EDQUOT)/,
    "The disk holding the data directory is full: free space on it, then run the command again.",
  ],
  [
    "read-only",
    /^(SQLITE_READONLY|EROFS|EACCES|EPERM)/,
    "The data directory is not writable by this user: fix its permissions, or point --data-dir at a writable directory. Read-only commands (ls, info, deps, order, errors, doctor without --repair) work without writing.",
  ],
  [
    "locked",
    /^SQLITE_(BUSY|LOCKED)/,
    "Another process holds the database locked for longer than the busy timeout: run the command again once it is done.",
  ],
  [
    "damaged",
    /^SQLITE_(CORRUPT|NOTADB)/,
    "The database file is damaged: run `chipset doctor` to see what can be saved, or move chipset.db aside (the installed modules in store/ are registered again from their files).",
  ],
];

/** The kind of failure `cause` (a SQLite or file-system error) reports. */
export function storeFailureOf(cause: unknown): StoreFailure {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return "other";
  return REASONS.find(([, pattern]) => pattern.test(code))?.[0] ?? "other";
}

/**
 * `CHIP_ERR_STORE_FAILED` for `what` (a sentence start such as "Cannot install a@1.0.0"), ending
 * with the advice that fits `cause`: a full disk, a read-only directory, a lock held too long or a
 * damaged file each get their own, so an operator is not sent looking for free space that is there.
 * `details.reason` carries the {@link StoreFailure}; `details.path` the file when given.
 */
export function storeFailed(
  what: string,
  cause: unknown,
  options: { module?: string; path?: string; hint?: string } = {},
): ChipsetError {
  const reason = storeFailureOf(cause);
  const advice =
    REASONS.find(([r]) => r === reason)?.[2] ??
    "Check that the data directory is writable and has free space.";
  return new ChipsetError(
    ErrorCodes.STORE_FAILED,
    `${what}: ${messageOf(cause)}.${options.hint ?? ""} ${advice}`,
    {
      cause,
      ...(options.module === undefined ? {} : { module: options.module }),
      details: { reason, ...(options.path === undefined ? {} : { path: options.path }) },
    },
  );
}
