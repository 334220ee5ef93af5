import type { Clock } from "../common/Clock.js";
import type { Emitter } from "../common/Emitter.js";
import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Instance } from "../instances/Instance.js";
import type { InstanceReader } from "../instances/InstanceTable.js";
import type { ModuleDefinition } from "../module.js";
import type { AddOptions, AddResult, Registry } from "../registry/Registry.js";
import { scanModuleDirs, type ScanReport } from "../registry/scanModuleDirs.js";
import { validatePackageManifest } from "../registry/validateManifest.js";
import { stateIsActive } from "../vocabulary/lifecycle.js";
import type { ModuleRecord, PackageManifest } from "../vocabulary/manifest.js";
import { parseModuleRef } from "../vocabulary/moduleRef.js";
import type { Catalog } from "./Catalog.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";

/** What registering modules needs. */
export interface RegistrationDeps {
  clock: Clock;
  registry: Registry;
  catalog: Catalog;
  instances: InstanceReader;
  events: Emitter<RuntimeEvents>;
  /** Takes a removed module's instance out of the table and forgets its supervision. */
  forget(inst: Instance): void;
  /** Throws `CHIP_ERR_RUNTIME_CLOSED` once the runtime is closing. */
  assertOpen(): void;
  /**
   * Refuses a new manifest that clashes with what is registered (an HTTP trigger's route another
   * module serves) or, given the module's `api`, names a method it does not have.
   */
  check(pkg: PackageManifest, file: string, api?: object): void;
}

/**
 * Modules entering and leaving the catalogue: installed from a directory (validated, copied, one
 * transaction), found by scanning module directories, registered in code, and removed; each
 * change is an event (`module.registered`, `module.rejected`, `module.removed`).
 */
export class Registration {
  constructor(private readonly deps: RegistrationDeps) {}

  /**
   * Installs a module version from a directory into the registry (validated, copied, one
   * transaction); `status` says whether it was new, replaced changed content, or was unchanged.
   */
  add(dir: string, options: AddOptions = {}): AddResult {
    this.deps.assertOpen();
    const result = this.deps.registry.add(dir, {
      check: (pkg, file) => this.deps.check(pkg, file),
      ...options,
    });
    const { record, status } = result;
    this.registered(record, status);
    return result;
  }

  /**
   * Removes one version, or every version, from the registry; refused while an instance of it is
   * active here or loaded by a runtime in another process. Returns the removed versions.
   */
  remove(ref: string): string[] {
    this.deps.assertOpen();
    const { id, version } = parseModuleRef(ref);
    const inst = this.deps.instances.current(id);
    const concerned = inst !== undefined && (version === undefined || version === inst.version);
    if (concerned && stateIsActive(inst.state)) {
      throw new ChipsetError(
        ErrorCodes.MODULE_IN_USE,
        `${inst.key} is ${inst.state}; stop and unload it before removing it`,
        { module: inst.key },
      );
    }
    const removed = this.deps.registry.remove(id, version);
    if (concerned) this.deps.forget(inst);
    this.deps.events.emit("module.removed", version === undefined ? { id } : { id, version });
    return removed;
  }

  /** Registers every module found in `dirs` (each a module or a folder of modules); bad ones are reported, not thrown. */
  scan(dirs: readonly string[]): ScanReport {
    const report = scanModuleDirs(this.deps.registry, dirs, {
      check: (pkg, file) => this.deps.check(pkg, file),
    });
    for (const status of ["added", "replaced", "unchanged"] as const)
      for (const record of report[status]) this.registered(record, status);
    for (const { dir, error } of report.rejected) this.deps.events.emit("module.rejected", { dir, error });
    return report;
  }

  /**
   * Registers a module in code: the same validation and lifecycle as a directory module, kept
   * in memory for the life of this runtime. `manifest` has the package.json shape.
   */
  register(manifest: PackageManifest, implementation: ModuleDefinition): ModuleRecord {
    this.deps.assertOpen();
    const file = `<code: ${String((manifest as { name?: unknown }).name)}>`;
    const pkg = validatePackageManifest(manifest, file);
    this.deps.check(pkg, file, implementation.api ?? {});
    const record: ModuleRecord = {
      id: pkg.name,
      version: pkg.version,
      manifest: pkg.chipset,
      dir: undefined,
      entry: undefined,
      digest: undefined,
      source: "code",
      installedAt: this.deps.clock.wallNow(),
    };
    this.deps.catalog.addCode(record, implementation);
    this.registered(record, "added");
    return record;
  }

  private registered(record: ModuleRecord, status: "added" | "replaced" | "unchanged"): void {
    const { id, version, source } = record;
    this.deps.events.emit("module.registered", { id, version, source, status });
  }
}
