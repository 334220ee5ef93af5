import fs from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import { migrations as defaultMigrations } from "./migrations.js";

/** Options of {@link Database.open}. */
export interface DatabaseOptions {
  /** How long a writer waits for another process's lock, in milliseconds. Default 5000. */
  busyTimeoutMs?: number;
  /** Schema steps keyed on `PRAGMA user_version`. Default: Chipset's own `migrations`. */
  migrations?: readonly string[];
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

  private constructor(file: string, sql: BetterSqlite3.Database) {
    this.path = file;
    this.sql = sql;
  }

  /**
   * Opens (creating if needed) `<dataDir>/chipset.db` and the directory itself, and applies any
   * pending migrations in one transaction. Throws `CHIP_ERR_STORE_FAILED` naming the file.
   */
  static open(dataDir: string, options: DatabaseOptions = {}): Database {
    const file = path.resolve(dataDir, Database.FILE_NAME);
    const steps = options.migrations ?? defaultMigrations;
    let sql: BetterSqlite3.Database | undefined;
    try {
      // Writable by its owner alone, whatever the umask: the store's files live under it.
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
      ownerOnly(file);
      sql = new BetterSqlite3(file);
      sql.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      sql.pragma("journal_mode = WAL");
      sql.pragma("synchronous = NORMAL");
      sql.pragma("foreign_keys = ON");
      migrate(sql, steps, file);
      return new Database(file, sql);
    } catch (err) {
      sql?.close();
      if (err instanceof ChipsetError) throw err;
      throw new ChipsetError(
        ErrorCodes.STORE_FAILED,
        `Cannot open the Chipset store at ${file}: ${messageOf(err)}. ` +
          "Check that the directory exists or can be created, is writable, and that the file is a Chipset database " +
          "(move a damaged file aside), or use another data directory.",
        { cause: err, details: { path: file } },
      );
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
      if (current > steps.length) {
        throw new ChipsetError(
          ErrorCodes.STORE_FAILED,
          `The Chipset store at ${file} has schema version ${current}, newer than this Chipset knows (${steps.length}). ` +
            "Upgrade Chipset, or use another data directory.",
          { details: { path: file, schemaVersion: current, supported: steps.length } },
        );
      }
      for (let v = current; v < steps.length; v++) sql.exec(steps[v] as string);
      if (current !== steps.length) sql.pragma(`user_version = ${steps.length}`);
    })
    .immediate();
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
