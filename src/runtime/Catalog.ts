import { rcompare, satisfies } from "../resolver/fastSemver.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import type { ModuleDefinition } from "../module.js";
import type { ChipsetManifest, ModuleRecord } from "../vocabulary/manifest.js";
import type { Registry } from "../registry/Registry.js";
import { CatalogView, type CatalogEntry, type CatalogSource } from "./CatalogView.js";

/**
 * Every module version the runtime can use: the persistent registry (installed directories)
 * plus modules the application registered in code, which live only as long as the runtime.
 * A code module shadows an installed one of the same id and version.
 */
export class Catalog implements CatalogSource {
  private readonly code = new Map<string, Map<string, CatalogEntry>>();

  constructor(readonly registry: Registry) {}

  /** Adds a module registered in code. */
  addCode(record: ModuleRecord, definition: ModuleDefinition): void {
    let versions = this.code.get(record.id);
    if (!versions) this.code.set(record.id, (versions = new Map<string, CatalogEntry>()));
    versions.set(record.version, { record, definition });
  }

  /** Installed and in-code versions of `id`, highest first. */
  versions(id: string): string[] {
    const code = this.code.get(id);
    const stored = this.registry.versions(id);
    if (!code) return stored;
    return [...new Set([...stored, ...code.keys()])].sort(rcompare);
  }

  /** The entry of `id@version`, or of the highest version of `id` when `version` is omitted. */
  get(id: string, version?: string): CatalogEntry | undefined {
    const v = version ?? this.versions(id)[0];
    if (v === undefined) return undefined;
    const code = this.code.get(id)?.get(v);
    if (code) return code;
    const record = this.registry.get(id, v);
    return record ? { record, definition: undefined } : undefined;
  }

  /**
   * The ids whose highest version (installed or in code) has a manifest that passes `test`: the
   * version a request without a range resolves to, so an id is eager, say, when that one is.
   */
  idsWhere(test: (manifest: ChipsetManifest) => boolean): string[] {
    const highest = new Map<string, ModuleRecord>();
    // In-code records first: a code module shadows an installed one of the same version.
    for (const record of [...this.codeRecords(), ...this.registry.list()]) {
      const seen = highest.get(record.id);
      if (seen === undefined || rcompare(record.version, seen.version) < 0) highest.set(record.id, record);
    }
    return [...highest.values()].filter((r) => test(r.manifest)).map((r) => r.id);
  }

  /** Every module version the catalogue knows, installed and in code (a version in both counts once per source). */
  records(): ModuleRecord[] {
    return [...this.codeRecords(), ...this.registry.list()];
  }

  /** The entry of the highest version of `id` within `range` (an exact version or a semver range; absent: any). */
  highest(id: string, range?: string): CatalogEntry | undefined {
    if (range === undefined) return this.get(id);
    const version = this.versions(id).find((v) => v === range || satisfies(v, range));
    return version === undefined ? undefined : this.get(id, version);
  }

  /** Every module registered in code. */
  codeRecords(): ModuleRecord[] {
    return [...this.code.values()].flatMap((versions) => [...versions.values()].map((e) => e.record));
  }

  /** The in-code entries of `id`. */
  codeEntries(id: string): Iterable<CatalogEntry> {
    return this.code.get(id)?.values() ?? [];
  }

  /** A memoising view for one plan; `prefetchAll` reads the whole registry in one query. */
  snapshot(prefetchAll = false): CatalogView {
    return new CatalogView(this, prefetchAll);
  }

  /** True when `id@version` was registered in code. */
  isCode(id: string, version: string): boolean {
    return this.code.get(id)?.has(version) ?? false;
  }

  /** The `CHIP_ERR_MODULE_NOT_FOUND` error for `ref`, with what to do. */
  notFound(ref: string): ChipsetError {
    const { id, version } = parseModuleRef(ref);
    const versions = this.versions(id);
    const message =
      versions.length > 0 && version !== undefined
        ? `module ${id} has no version ${version}; installed: ${versions.join(", ")}`
        : `module ${id} is not registered; see \`chipset ls\`, or register it with \`chipset add <dir>\``;
    return new ChipsetError(ErrorCodes.MODULE_NOT_FOUND, message, {
      module: id,
      details: { id, version: version ?? null, installed: versions },
    });
  }
}
