import { satisfies } from "../resolver/fastSemver.js";
import type { Instance } from "./Instance.js";

/**
 * An instance's place in the table: `id@version`, with room for a replica index and the node it
 * runs on. Addresses are values (strings on the wire), never object references, so that events,
 * calls and a cluster can name an instance.
 */
export interface InstanceAddress {
  readonly id: string;
  readonly version: string;
  /** Which replica of `id@version` (absent: the only one). */
  readonly replica?: number;
  /** The node it runs on (absent: this one). */
  readonly node?: string;
}

/** `id@version[#replica][/node]`: an address as the table keys it. */
export function addressKey(address: InstanceAddress): string {
  let key = `${address.id}@${address.version}`;
  if (address.replica !== undefined) key += `#${address.replica}`;
  if (address.node !== undefined) key += `/${address.node}`;
  return key;
}

/** The table as everyone but its owner sees it: narrow reads, no writes. */
export interface InstanceReader {
  /** The instance at `address` (`id@version[#replica][/node]`), if live. */
  get(address: string): Instance | undefined;
  /** The live instance of `id` (one per id in this build), if any. */
  current(id: string): Instance | undefined;
  /**
   * The instance a call to `id` (restricted to `range`, an exact version or a semver range, when
   * given) goes to without activating anything: the one place that decides which instance answers
   * a call, from the application or from another module (`from`). Undefined when none is live or
   * none fits: the caller then activates one through the resolver.
   */
  answering(id: string, range?: string, from?: Instance): Instance | undefined;
  /** Every live instance. */
  all(): IterableIterator<Instance>;
  /** How many instances are live. */
  readonly size: number;
}

/**
 * The one owner of every live instance (an instance is live from its creation until it is
 * replaced or its module leaves the registry, whatever its lifecycle state). Only the instance
 * factory writes to it (`admit`, `evict`); every other part of the runtime gets the
 * {@link InstanceReader} side. One instance per id in this build (a module's versions are
 * singletons); versions side by side, replicas and remote nodes are more entries of the same
 * table, chosen among in {@link answering}.
 */
export class InstanceTable implements InstanceReader {
  private readonly byAddress = new Map<string, Instance>();
  private readonly byId = new Map<string, Instance>();

  get size(): number {
    return this.byAddress.size;
  }

  get(address: string): Instance | undefined {
    return this.byAddress.get(address);
  }

  current(id: string): Instance | undefined {
    return this.byId.get(id);
  }

  answering(id: string, range?: string, _from?: Instance): Instance | undefined {
    const inst = this.byId.get(id);
    if (inst === undefined || range === undefined || range === inst.version) return inst;
    return satisfies(inst.version, range) ? inst : undefined;
  }

  all(): IterableIterator<Instance> {
    // By id: an instance that replaces another keeps its id's place (the order modules first came in).
    return this.byId.values();
  }

  /**
   * The owner's: puts `inst` in the table. The instance of the same id it replaces (one that
   * holds nothing any more: unloaded, or never loaded) leaves it; answers that one.
   */
  admit(inst: Instance): Instance | undefined {
    const replaced = this.byId.get(inst.id);
    if (replaced !== undefined) this.byAddress.delete(replaced.key);
    this.byId.set(inst.id, inst);
    this.byAddress.set(inst.key, inst);
    return replaced;
  }

  /** The owner's: takes `inst` out (its module left the registry). */
  evict(inst: Instance): void {
    if (this.byAddress.get(inst.key) === inst) this.byAddress.delete(inst.key);
    if (this.byId.get(inst.id) === inst) this.byId.delete(inst.id);
  }
}
