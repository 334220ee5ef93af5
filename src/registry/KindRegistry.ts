import { ChipsetError } from "../errors/ChipsetError.js";
import { ErrorCodes } from "../errors/codes.js";
import type { Activation, ChipsetManifest, Phase } from "../vocabulary/manifest.js";

/** Defaults a kind gives to its modules when their manifest does not say. */
export interface KindDefaults {
  activation?: Activation;
  /** Per-phase hook timeouts in ms. */
  timeouts?: Partial<Record<Phase, number>>;
  /** Idle unload timeout in ms (0: never). */
  idleUnloadMs?: number;
}

/** A module kind, as an application registers it. */
export interface KindDefinition {
  name: string;
  description?: string;
  defaults?: KindDefaults;
}

/**
 * Module kinds are open: any string is a valid kind, and an application may register one to
 * describe it and give its modules defaults.
 */
export class KindRegistry {
  private readonly kinds = new Map<string, KindDefinition>();

  /** Registers `kind`; `CHIP_ERR_KIND_EXISTS` if the name is taken. */
  register(kind: KindDefinition): void {
    if (this.kinds.has(kind.name)) {
      throw new ChipsetError(
        ErrorCodes.KIND_EXISTS,
        `kind "${kind.name}" is already registered; choose another name`,
        {
          details: { kind: kind.name },
        },
      );
    }
    this.kinds.set(kind.name, { ...kind, defaults: { ...kind.defaults } });
  }

  /** The defaults of `name` (empty for an unregistered kind). */
  defaults(name: string): KindDefaults {
    return this.kinds.get(name)?.defaults ?? {};
  }

  /** A module's activation: its manifest's, else its kind's default, else lazy. */
  activationOf(manifest: ChipsetManifest): Activation {
    return manifest.activation ?? this.defaults(manifest.kind).activation ?? "lazy";
  }

  /** Every registered kind. */
  list(): KindDefinition[] {
    return [...this.kinds.values()];
  }
}
