import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import { migrations as defaultMigrations } from "./migrations.js";
import { storeFailed } from "./storeFailed.js";

/** Options of {@link Database.open}. */
export interface DatabaseOptions {
  /** How long a writer waits for another process's lock, in milliseconds. Default 5000. */
  busyTimeoutMs?: number;
  /** Schema steps keyed on `PRAGMA user_version`. Default: Chipset's own `migrations`. */
  migrations?: readonly string[];
  /**
   * Open without writing anything to the data directory (default false): no directory or file is
   * created, nothing is migrated on disk. A missing or empty file reads as an empty registry, and a
   * file whose directory cannot be written (so SQLite cannot create its `-shm`) or whose schema is
   * older than this Chipset's is read into memory, so reads work on a read-only or full disk.
   * Writes then go to that memory copy or fail (`SQLITE_READONLY`); callers that open read-only
   * do not write.
   */
  readOnly?: boolean;
}

/**
 * The SQLite database of one data directory (`<dataDir>/chipset.db`): WAL journal,
 * foreign keys on, `synchronous=NORMAL`, schema migrated on open. Synchronous, like better-sqlite3.
 */
export class Database {
  /** File name of the database inside the data directory. */
  static readonly FILE_NAME = "chipset.db";

  /** Absolute path of the database file. */
  readonly path: string;
  /** The underlying better-sqlite3 connection, for the store's own statements. */
  readonly sql: BetterSqlite3.Database;

  /** Opened with `readOnly`: nothing is written to the data directory. */
  readonly readOnly: boolean;
  /** The file did not exist or was empty (only with `readOnly`, which does not create it). */
  readonly missing: boolean;

  private constructor(file: string, sql: BetterSqlite3.Database, readOnly: boolean, missing: boolean) {
    this.path = file;
    this.sql = sql;
    this.readOnly = readOnly;
    this.missing = missing;
  }

  /**
   * Opens (creating if needed) `<dataDir>/chipset.db` and the directory itself, and applies any
   * pending migrations in one transaction. Throws `CHIP_ERR_STORE_FAILED` naming the file.
   */
  static open(dataDir: string, options: DatabaseOptions = {}): Database {
    const file = path.resolve(dataDir, Database.FILE_NAME);
    const steps = options.migrations ?? defaultMigrations;
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000));
    if (options.readOnly === true) return Database.openReadOnly(file, steps, busyTimeoutMs);
    let sql: BetterSqlite3.Database | undefined;
    try {
      // Writable by its owner alone, whatever the umask: the store's files live under it.
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      ownerOnly(file);
      sql = new BetterSqlite3(file);
      sql.pragma(`busy_timeout = ${busyTimeoutMs}`);
      sql.pragma("journal_mode = WAL");
      sql.pragma("synchronous = NORMAL");
      sql.pragma("foreign_keys = ON");
      migrate(sql, steps, file);
      return new Database(file, sql, false, false);
    } catch (err) {
      sql?.close();
      throw openFailed(file, err);
    }
  }

  private static openReadOnly(file: string, steps: readonly string[], busyTimeoutMs: number): Database {
    let sql: BetterSqlite3.Database | undefined;
    try {
      const size = fileSize(file);
      if (size === undefined || size === 0) {
        sql = new BetterSqlite3(":memory:");
        migrate(sql, steps, file);
        return new Database(file, sql, true, true);
      }
      let version: number | undefined;
      try {
        sql = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
        sql.pragma(`busy_timeout = ${busyTimeoutMs}`);
        version = sql.pragma("user_version", { simple: true }) as number;
      } catch {
        // SQLite could not create the WAL index beside the file (a read-only directory): read a copy.
      }
      if (sql === undefined || version === undefined || version < steps.length) {
        sql?.close();
        sql = new BetterSqlite3(inMemoryImage(fs.readFileSync(file)));
        migrate(sql, steps, file);
      } else if (version > steps.length) {
        throw newerSchema(file, version, steps.length);
      }
      sql.pragma("foreign_keys = ON");
      return new Database(file, sql, true, false);
    } catch (err) {
      sql?.close();
      throw openFailed(file, err);
    }
  }

  /** The schema version (`PRAGMA user_version`) of the open database. */
  get schemaVersion(): number {
    return this.sql.pragma("user_version", { simple: true }) as number;
  }

  /** True until {@link close} has run. */
  get isOpen(): boolean {
    return this.sql.open;
  }

  /**
   * Runs `fn` in one write transaction (`BEGIN IMMEDIATE`, so the write lock is taken up front);
   * it commits when `fn` returns and rolls back when it throws. Nested calls use savepoints.
   */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn).immediate();
  }

  /** Closes the connection (checkpointing the WAL). Closing twice is harmless. */
  close(): void {
    if (this.sql.open) this.sql.close();
  }
}

function migrate(sql: BetterSqlite3.Database, steps: readonly string[], file: string): void {
  sql
    .transaction(() => {
      const current = sql.pragma("user_version", { simple: true }) as number;
      if (current > steps.length) throw newerSchema(file, current, steps.length);
      for (let v = current; v < steps.length; v++) sql.exec(steps[v] as string);
      if (current !== steps.length) sql.pragma(`user_version = ${steps.length}`);
    })
    .immediate();
}

function newerSchema(file: string, current: number, supported: number): ChipsetError {
  return new ChipsetError(
    ErrorCodes.STORE_FAILED,
    `The Chipset store at ${file} has schema version ${current}, newer than this Chipset knows (${supported}). ` +
      "Upgrade Chipset, or use another data directory.",
    { details: { path: file, schemaVersion: current, supported } },
  );
}

function openFailed(file: string, err: unknown): ChipsetError {
  if (err instanceof ChipsetError) return err;
  return storeFailed(`Cannot open the Chipset store at ${file}`, err, {
    path: file,
    hint: " Check that the file is a Chipset database (move a damaged file aside), or use another data directory.",
  });
}

/**
 * A database file's bytes made fit to open in memory: a WAL-mode file (header bytes 18-19 = 2)
 * is marked as a rollback-journal one, since memory has no WAL index to share.
 */
function inMemoryImage(bytes: Buffer): Buffer {
  if (bytes.length >= 20 && bytes[18] === 2 && bytes[19] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return bytes;
}

/** The size of `file` in bytes, or undefined when it does not exist. */
function fileSize(file: string): number | undefined {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Makes `file` (created empty if missing) readable and writable by its owner only: mode 0600.
 * SQLite gives the `-wal` and `-shm` files it creates the database file's mode, so no other
 * user (a sandboxed module runs as one, where the machine allows) may read or change the
 * registry. A file another user owns is left as it is.
 */
function ownerOnly(file: string): void {
  fs.closeSync(fs.openSync(file, "a", 0o600));
  const stat = fs.statSync(file);
  if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) fs.chmodSync(file, stat.mode & 0o700);
}
