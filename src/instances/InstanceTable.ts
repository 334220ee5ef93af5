import { rcompare, satisfies } from "../resolver/fastSemver.js";
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
  /**
   * The instance of `id` that stands for the module: the highest version that is loaded, else
   * the one that came in last. Several versions are live at once only side by side.
   */
  current(id: string): Instance | undefined;
  /** Every live instance of `id`, highest version first (each version's replicas in order). */
  versionsOf(id: string): Instance[];
  /**
   * The instance a call to `id` goes to without activating anything: the one place that decides
   * which instance answers a call. From a module (`from`), the version its resolution bound to
   * that dependency; else the highest loaded version within `range` (an exact version or a
   * semver range, when given), else the highest live one within it. Undefined when none is live
   * or none fits: the caller then activates one through the resolver.
   */
  answering(id: string, range?: string, from?: Instance): Instance | undefined;
  /**
   * The canary of an update of `id`, while one runs: `from` is the address of the version that
   * serves, `to` the new version's, which takes a share of the calls that may go to it.
   */
  canaryOf(id: string): { readonly from: string; readonly to: string } | undefined;
  /** Every live instance. */
  all(): IterableIterator<Instance>;
  /** How many instances are live. */
  readonly size: number;
}

/**
 * The one owner of every live instance (an instance is live from its creation until it is
 * replaced or its module leaves the registry, whatever its lifecycle state). Only the instance
 * factory writes to it (`admit`, `evict`); every other part of the runtime gets the
 * {@link InstanceReader} side. A singleton has one instance; a module that is not one may have
 * several versions side by side; replicas and remote nodes are more entries of the same table,
 * chosen among in {@link answering}.
 */
export class InstanceTable implements InstanceReader {
  private readonly byAddress = new Map<string, Instance>();
  /** id -> its instances, in the order they came in. */
  private readonly byId = new Map<string, Instance[]>();
  /** id -> the address calls to the plain id go to, while an update runs two versions of a singleton. */
  private readonly routed = new Map<string, string>();
  /** id -> the two addresses of the canary of an update, while it runs. */
  private readonly canaries = new Map<string, { readonly from: string; readonly to: string }>();

  get size(): number {
    return this.byAddress.size;
  }

  get(address: string): Instance | undefined {
    return this.byAddress.get(address);
  }

  current(id: string): Instance | undefined {
    const list = firsts(this.byId.get(id));
    if (list === undefined) return undefined;
    if (list.length === 1) return list[0];
    const routed = this.routed.get(id);
    if (routed !== undefined) return this.byAddress.get(routed);
    return highest(list.filter(isLoaded)) ?? list[list.length - 1];
  }

  versionsOf(id: string): Instance[] {
    return [...(this.byId.get(id) ?? [])].sort(
      (a, b) => rcompare(a.version, b.version) || a.replica - b.replica,
    );
  }

  answering(id: string, range?: string, from?: Instance): Instance | undefined {
    if (from !== undefined) {
      const bound = from.deps.find((d) => d.id === id);
      if (bound !== undefined) return this.byAddress.get(bound.key);
    }
    const list = firsts(this.byId.get(id));
    if (list === undefined) return undefined;
    if (list.length === 1) {
      const inst = list[0]!;
      return range === undefined || range === inst.version || satisfies(inst.version, range)
        ? inst
        : undefined;
    }
    const fits =
      range === undefined ? list : list.filter((i) => i.version === range || satisfies(i.version, range));
    const routed = this.routed.get(id);
    const preferred = routed === undefined ? undefined : fits.find((i) => i.key === routed);
    return preferred ?? highest(fits.filter(isLoaded)) ?? highest(fits);
  }

  canaryOf(id: string): { readonly from: string; readonly to: string } | undefined {
    return this.canaries.get(id);
  }

  *all(): IterableIterator<Instance> {
    // By id: an instance that replaces another keeps its id's place (the order modules first came in).
    for (const list of this.byId.values()) yield* list;
  }

  /**
   * The owner's: puts `inst` in the table. It replaces the instance at the same address, and, for
   * a singleton, any other version of it (one that holds nothing any more: unloaded, or never
   * loaded) unless it comes `beside` it (an update starts the new version beside the old one).
   * Answers the instances it replaced.
   */
  admit(inst: Instance, beside = false): Instance[] {
    const list = this.byId.get(inst.id) ?? [];
    const singleton = inst.manifest.singleton !== false && !beside;
    // A singleton's first replica replaces its other versions; replicas of a version replace nothing else.
    const replaced = list.filter(
      (other) =>
        other.key === inst.key || (singleton && inst.replica === 0 && other.version !== inst.version),
    );
    for (const other of replaced) this.byAddress.delete(other.key);
    const kept = list.filter((other) => !replaced.includes(other));
    kept.push(inst);
    this.byId.set(inst.id, kept);
    this.byAddress.set(inst.key, inst);
    return replaced;
  }

  /**
   * Sends calls to the plain id `id` (and to ranges it fits) to the instance at `address`, whatever
   * other version is live: an update's switch, in one step. `undefined` goes back to the highest.
   */
  route(id: string, address: string | undefined): void {
    if (address === undefined) this.routed.delete(id);
    else this.routed.set(id, address);
  }

  /** The owner's: records (or, with `to` undefined, ends) the canary of an update of `id` from `from` to `to`. */
  canary(id: string, from: string, to: string | undefined): void {
    if (to === undefined) {
      if (this.canaries.get(id)?.from === from) this.canaries.delete(id);
    } else this.canaries.set(id, { from, to });
  }

  /** The owner's: takes `inst` out (its module left the registry, or an update retired it). */
  evict(inst: Instance): void {
    if (this.routed.get(inst.id) === inst.key) this.routed.delete(inst.id);
    if (this.byAddress.get(inst.key) === inst) this.byAddress.delete(inst.key);
    const list = this.byId.get(inst.id);
    if (list === undefined) return;
    const kept = list.filter((other) => other !== inst);
    if (kept.length === 0) this.byId.delete(inst.id);
    else this.byId.set(inst.id, kept);
  }
}

function isLoaded(inst: Instance): boolean {
  return inst.state !== "registered";
}

/**
 * The first replica of each version in `list` (a version's other replicas are reached through its
 * group, and exist only beside their first): what the table answers for an id.
 */
function firsts(list: Instance[] | undefined): Instance[] | undefined {
  if (list === undefined || list.every((i) => i.replica === 0)) return list;
  return list.filter((i) => i.replica === 0);
}

/** The highest version's first replica (the one calls to the version reach first). */
function highest(list: readonly Instance[]): Instance | undefined {
  let best: Instance | undefined;
  for (const inst of list) {
    const order = best === undefined ? -1 : rcompare(inst.version, best.version);
    if (order < 0 || (order === 0 && inst.replica < best!.replica)) best = inst;
  }
  return best;
}
