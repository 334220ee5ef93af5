import semver from "semver";
import { ownValue } from "../common/ownValue.js";
import type { Database } from "../store/Database.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import { ftsQuery } from "./ftsQuery.js";
import { decodeStoredManifest } from "./storedManifest.js";

/** A dependency edge declared by a module version (`requires` or `optional`). */
export interface DependencyEdge {
  id: string;
  range: string;
  optional: boolean;
}

/** A module version that depends on some module, with the range it asks for. */
export interface DependentEdge {
  id: string;
  version: string;
  range: string;
  optional: boolean;
}

/** How often a module was used; the runtime preloads the most used first. */
export interface UsageEntry {
  id: string;
  count: number;
  /** Milliseconds since epoch. */
  lastUsedAt: number;
}

/** A row that cannot be read back as a module version, and why. */
export interface BadRow {
  id: string;
  version: string;
  /** A sentence such as `its manifest is not valid JSON (...)`. */
  problem: string;
}

/** The identity of a row, read without decoding its manifest. */
export interface RowKey {
  id: string;
  version: string;
  digest: string | undefined;
}

interface ModuleRow {
  id: string;
  version: string;
  manifest: string;
  dir: string | null;
  entry: string | null;
  digest: string | null;
  source: string;
  installed_at: number;
}

/**
 * The registry's rows in SQLite (modules, module_deps, modules_fts through triggers, usage).
 * No file-system work here; `dir` is stored relative to the data directory and resolved by `toDir`.
 */
export class RegistryTable {
  private readonly statements;

  constructor(
    private readonly db: Database,
    private readonly toDir: (relative: string) => string,
  ) {
    const sql = db.sql;
    const columns = "id, version, manifest, dir, entry, digest, source, installed_at";
    this.statements = {
      get: sql.prepare<[string, string], ModuleRow>(
        `SELECT ${columns} FROM modules WHERE id = ? AND version = ?`,
      ),
      versionsOf: sql.prepare<[string], ModuleRow>(`SELECT ${columns} FROM modules WHERE id = ?`),
      keys: sql.prepare<[], { id: string; version: string; digest: string | null }>(
        "SELECT id, version, digest FROM modules ORDER BY id, version",
      ),
      all: sql.prepare<{ kind: string | null }, ModuleRow>(
        `SELECT ${columns} FROM modules WHERE (@kind IS NULL OR kind = @kind)`,
      ),
      search: sql.prepare<{ kind: string | null; query: string }, ModuleRow>(
        `SELECT ${columns
          .split(", ")
          .map((c) => `m.${c}`)
          .join(", ")} FROM modules m
         JOIN (SELECT DISTINCT id, version FROM modules_fts WHERE modules_fts MATCH @query) f
           ON f.id = m.id AND f.version = m.version
         WHERE (@kind IS NULL OR m.kind = @kind)`,
      ),
      insert: sql.prepare(
        `INSERT INTO modules (id, version, kind, description, keywords, manifest, dir, entry, digest, source, installed_at)
         VALUES (@id, @version, @kind, @description, @keywords, @manifest, @dir, @entry, @digest, @source, @installedAt)`,
      ),
      insertDep: sql.prepare(
        "INSERT INTO module_deps (id, version, dep_id, range, optional) VALUES (?, ?, ?, ?, ?)",
      ),
      deleteVersion: sql.prepare<[string, string]>("DELETE FROM modules WHERE id = ? AND version = ?"),
      deps: sql.prepare<[string, string], { dep_id: string; range: string; optional: number }>(
        "SELECT dep_id, range, optional FROM module_deps WHERE id = ? AND version = ? ORDER BY optional, dep_id",
      ),
      dependents: sql.prepare<[string], { id: string; version: string; range: string; optional: number }>(
        "SELECT id, version, range, optional FROM module_deps WHERE dep_id = ?",
      ),
      recordUsage: sql.prepare<{ id: string; count: number; at: number }>(
        `INSERT INTO usage (id, count, last_used_at) VALUES (@id, @count, @at)
         ON CONFLICT (id) DO UPDATE SET count = count + excluded.count, last_used_at = max(last_used_at, excluded.last_used_at)`,
      ),
      usage: sql.prepare<[], { id: string; count: number; last_used_at: number }>(
        "SELECT id, count, last_used_at FROM usage ORDER BY count DESC, last_used_at DESC, id",
      ),
    };
  }

  /** The row of `id@version`, if any; a row that cannot be decoded is returned as a {@link BadRow}. */
  get(id: string, version: string): ModuleRecord | BadRow | undefined {
    const row = this.statements.get.get(id, version);
    return row === undefined ? undefined : this.decode(row);
  }

  /** Every readable version of `id`, highest first by semver (bad rows left out: see {@link badRows}). */
  versionsOf(id: string): ModuleRecord[] {
    return this.sorted(this.statements.versionsOf.all(id));
  }

  /** Readable rows filtered by kind and/or free-text search, by id, then highest version first. */
  list(filter: { kind?: string; search?: string } = {}): ModuleRecord[] {
    const kind = filter.kind ?? null;
    const query = filter.search === undefined ? undefined : ftsQuery(filter.search);
    const rows =
      query === undefined ? this.statements.all.all({ kind }) : this.statements.search.all({ kind, query });
    return this.sorted(rows);
  }

  /** Every row that cannot be read back, with what is wrong with it. */
  badRows(): BadRow[] {
    const bad: BadRow[] = [];
    for (const row of this.statements.all.all({ kind: null })) {
      const decoded = this.decode(row);
      if (isBadRow(decoded)) bad.push(decoded);
    }
    return bad;
  }

  /** The id, version and digest of every row, bad ones included. */
  keys(): RowKey[] {
    return this.statements.keys
      .all()
      .map((r) => ({ id: r.id, version: r.version, digest: r.digest ?? undefined }));
  }

  /** Replaces the row of `record` (and its dependency edges) with `record`. Call inside a transaction. */
  put(record: ModuleRecord, relativeDir: string | null): void {
    const m = record.manifest;
    this.statements.deleteVersion.run(record.id, record.version);
    this.statements.insert.run({
      id: record.id,
      version: record.version,
      kind: m.kind,
      description: m.description ?? "",
      keywords: JSON.stringify(m.keywords ?? []),
      manifest: JSON.stringify(m),
      dir: relativeDir,
      entry: record.entry ?? null,
      digest: record.digest ?? null,
      source: record.source,
      installedAt: record.installedAt,
    });
    const edges: Array<[Record<string, string> | undefined, number]> = [
      [m.requires, 0],
      [m.optional, 1],
    ];
    for (const [map, optional] of edges) {
      for (const [dep, range] of Object.entries(map ?? {})) {
        // A module listed in both maps is a hard dependency; the first (requires) edge wins.
        if (optional === 1 && ownValue(m.requires, dep) !== undefined) continue;
        this.statements.insertDep.run(record.id, record.version, dep, range, optional);
      }
    }
  }

  /** Deletes the row of `id@version` (edges cascade); returns whether it existed. */
  delete(id: string, version: string): boolean {
    return this.statements.deleteVersion.run(id, version).changes > 0;
  }

  /** The dependency edges declared by `id@version`, hard ones first. */
  dependencies(id: string, version: string): DependencyEdge[] {
    return this.statements.deps
      .all(id, version)
      .map((r) => ({ id: r.dep_id, range: r.range, optional: r.optional === 1 }));
  }

  /** Every module version that requires or optionally requires `id`, by id, then highest version first. */
  dependents(id: string): DependentEdge[] {
    return this.statements.dependents
      .all(id)
      .map((r) => ({ id: r.id, version: r.version, range: r.range, optional: r.optional === 1 }))
      .sort((a, b) => compareIds(a.id, b.id) || semver.rcompare(a.version, b.version));
  }

  /** Adds `count` uses of `id` at `at` (ms since epoch). */
  recordUsage(id: string, count: number, at: number): void {
    this.statements.recordUsage.run({ id, count, at });
  }

  /** Usage counts, most used first. */
  usage(): UsageEntry[] {
    return this.statements.usage.all().map((r) => ({ id: r.id, count: r.count, lastUsedAt: r.last_used_at }));
  }

  /** The underlying database, for transactions spanning several calls. */
  get database(): Database {
    return this.db;
  }

  private sorted(rows: ModuleRow[]): ModuleRecord[] {
    const records: ModuleRecord[] = [];
    for (const row of rows) {
      const decoded = this.decode(row);
      if (!isBadRow(decoded)) records.push(decoded);
    }
    return records.sort((a, b) => compareIds(a.id, b.id) || semver.rcompare(a.version, b.version));
  }

  private decode(row: ModuleRow): ModuleRecord | BadRow {
    const manifest = decodeStoredManifest(row.manifest);
    if (typeof manifest === "string") return { id: row.id, version: row.version, problem: manifest };
    if (!semver.valid(row.version))
      return { id: row.id, version: row.version, problem: "its version is not a semver version" };
    return {
      id: row.id,
      version: row.version,
      manifest,
      dir: row.dir === null ? undefined : this.toDir(row.dir),
      entry: row.entry ?? undefined,
      digest: row.digest ?? undefined,
      source: row.source,
      installedAt: row.installed_at,
    };
  }
}

/** True for a {@link BadRow} (a decoded row has a manifest). */
export function isBadRow(value: ModuleRecord | BadRow): value is BadRow {
  return "problem" in value;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
