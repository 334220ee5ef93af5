import type { NatsConnection, QueuedIterator } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import { Kvm, type KV, type KvWatchEntry } from "@nats-io/kv";
import { Objm, type ObjectStore } from "@nats-io/obj";
import type { Timer } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import type { Database } from "../store/Database.js";
import { removeStagingDir } from "../updates/stagingDir.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import {
  catalogEntryOf,
  catalogKey,
  parseCatalogEntry,
  parseCatalogKey,
  type CatalogEntry,
} from "./catalogEntry.js";
import { packModule, unpackModule } from "./packageArchive.js";
import { PublishedTable, type PublishedVersion } from "./PublishedTable.js";

/** The `source` of a version installed from the cluster: `cluster:<node that published it>`. */
export const CLUSTER_SOURCE_PREFIX = "cluster:";

/** What the shared registry did or could not do, for the host's output. */
export type SharedRegistryEvent =
  | { type: "published"; id: string; version: string }
  | { type: "unpublished"; id: string; version: string }
  | { type: "installed"; id: string; version: string; from: string }
  | { type: "removed"; id: string; version: string; from: string }
  /** Not installed, and never will be as it stands: a bad entry or a package that fails its integrity. */
  | { type: "refused"; id: string; version: string; error: ChipsetError }
  /** A step that failed: `retrying` when it is tried again (NATS gone mid-way), not when it was given up (a module in use). */
  | { type: "failed"; what: string; error: unknown; retrying: boolean };

/** What {@link SharedRegistry} needs. */
export interface SharedRegistryOptions {
  runtime: Runtime;
  /** A connection of its own to the runtime's database (the outbox table). */
  db: Database;
  /** The cluster's name, in the buckets' names. */
  cluster: string;
  /** This node's name, recorded as the publisher. */
  node: string;
  report: (event: SharedRegistryEvent) => void;
  /** How often the registry is looked at for changes made by any process, in ms. Default 250. */
  pollMs?: number;
  /** After a failed sync, how long before the next try, in ms. Default 1000. */
  retryMs?: number;
}

/** The buckets of one connection. */
interface Stores {
  nc: NatsConnection;
  catalog: KV;
  packages: ObjectStore;
}

/**
 * The cluster's shared registry, as one node sees it. Every version added here (by this host,
 * or by `chipset add` in another process on the same data directory) is packed and put in the
 * object store `chipset_<cluster>_packages`, with an entry in the KV `chipset_<cluster>_catalog`;
 * a version removed here that this node had published is deleted from the catalogue. The
 * catalogue is followed with a watch: every version this node lacks (or holds with another
 * digest) is fetched, checked against the entry's integrity and tree digest, and installed
 * through `runtime.add` with source `cluster:<publisher>`; a mismatch is refused and reported,
 * never installed. A version installed from the cluster whose entry is deleted is removed here
 * (unless in use: then kept and reported). Versions added locally are never removed by the
 * cluster. Offline, nothing is lost: what to publish is the difference between the registry and
 * the `cluster_published` table, published once NATS is back, and the watch starts over from
 * the catalogue's current state on every (re)connection.
 */
export class SharedRegistry {
  private readonly published: PublishedTable;
  private stores: Stores | undefined;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private poll: Timer | undefined;
  private retry: Timer | undefined;
  private seen = -1;
  private syncing: Promise<void> | undefined;
  private again = false;
  private closed = false;

  constructor(private readonly options: SharedRegistryOptions) {
    this.published = new PublishedTable(options.db, options.cluster);
    this.tick();
  }

  /** How many versions (or removals) wait to be published. */
  pending(): number {
    const { put, remove } = this.outbox();
    return put.length + remove.length;
  }

  /** Uses `nc` (connected now): opens the buckets, publishes what waits, and follows the catalogue anew. */
  attach(nc: NatsConnection): void {
    this.stopWatch();
    this.stores = undefined;
    this.connection = nc;
    this.kick();
  }

  /** NATS is gone: publishing waits, the watch ends (it starts over on {@link attach}). */
  detach(): void {
    this.connection = undefined;
    this.stores = undefined;
    this.stopWatch();
  }

  /** Stops following and publishing; waits for a sync under way. */
  async close(): Promise<void> {
    this.closed = true;
    this.poll?.dispose();
    this.retry?.dispose();
    this.detach();
    await this.syncing;
  }

  private connection: NatsConnection | undefined;

  /** Looks at the database every `pollMs`: another connection's commit (an add, a remove) kicks a sync. */
  private tick(): void {
    if (this.closed) return;
    const version = this.options.db.sql.pragma("data_version", { simple: true }) as number;
    if (version !== this.seen) {
      this.seen = version;
      if (this.connection !== undefined) this.kick();
    }
    this.poll = this.options.runtime.clock.setTimeout(() => this.tick(), this.options.pollMs ?? 250, {
      background: true,
    });
  }

  /** Runs {@link sync}, one at a time; a kick during a sync runs it once more after. */
  private kick(): void {
    if (this.closed) return;
    if (this.syncing !== undefined) {
      this.again = true;
      return;
    }
    this.syncing = this.sync()
      .catch((error: unknown) => {
        if (this.connection === undefined || this.closed) return;
        this.options.report({ type: "failed", what: "syncing with the cluster", error, retrying: true });
        this.retry?.dispose();
        this.retry = this.options.runtime.clock.setTimeout(() => this.kick(), this.options.retryMs ?? 1000, {
          background: true,
        });
      })
      .finally(() => {
        this.syncing = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async sync(): Promise<void> {
    const nc = this.connection;
    if (nc === undefined || this.closed) return;
    const stores = (this.stores ??= await this.open(nc));
    const { put, remove } = this.outbox();
    for (const record of put) {
      if (this.connection !== nc) return;
      await this.publish(stores, record);
    }
    for (const gone of remove) {
      if (this.connection !== nc) return;
      await this.unpublish(stores, gone);
    }
    if (this.watcher === undefined && this.connection === nc) await this.follow(stores);
  }

  private async open(nc: NatsConnection): Promise<Stores> {
    const js = jetstream(nc);
    const { cluster } = this.options;
    const [catalog, packages] = await Promise.all([
      new Kvm(js).create(`chipset_${cluster}_catalog`, { history: 1 }),
      new Objm(js).create(`chipset_${cluster}_packages`),
    ]);
    return { nc, catalog, packages };
  }

  /** Local versions not published yet (or changed since), and published versions no longer here. */
  private outbox(): { put: ModuleRecord[]; remove: PublishedVersion[] } {
    const records = this.options.runtime.registry.list();
    const here = new Set(records.map((r) => catalogKey(r.id, r.version)));
    const done = new Map(this.published.all().map((p) => [catalogKey(p.id, p.version), p]));
    const put = records.filter(
      (r) =>
        r.dir !== undefined &&
        r.digest !== undefined &&
        !r.source.startsWith(CLUSTER_SOURCE_PREFIX) &&
        done.get(catalogKey(r.id, r.version))?.digest !== r.digest,
    );
    const remove = [...done.entries()].filter(([key]) => !here.has(key)).map(([, p]) => p);
    return { put, remove };
  }

  private async publish(stores: Stores, record: ModuleRecord): Promise<void> {
    const packed = await packModule(record.dir!);
    const now = this.options.runtime.clock.wallNow();
    const entry = catalogEntryOf(record, packed.integrity, this.options.node, now);
    await stores.packages.putBlob(
      { name: entry.object, description: `${entry.id}@${entry.version}` },
      packed.bytes,
    );
    await stores.catalog.put(catalogKey(record.id, record.version), JSON.stringify(entry));
    this.published.put({ id: record.id, version: record.version, digest: entry.digest }, now);
    this.options.report({ type: "published", id: record.id, version: record.version });
  }

  private async unpublish(stores: Stores, gone: PublishedVersion): Promise<void> {
    const key = catalogKey(gone.id, gone.version);
    const current = await stores.catalog.get(key);
    const entry =
      current === null || current.operation !== "PUT" ? undefined : parseCatalogEntry(key, current.string());
    // Another node published this version since: its entry stays.
    if (typeof entry === "object" && entry.addedBy === this.options.node) {
      await stores.catalog.delete(key);
      await stores.packages.delete(entry.object).catch(() => undefined);
      this.options.report({ type: "unpublished", id: gone.id, version: gone.version });
    }
    this.published.remove(gone.id, gone.version);
  }

  /** Watches the catalogue from its current state on; each change is applied in turn. */
  private async follow(stores: Stores): Promise<void> {
    const watcher = await stores.catalog.watch();
    this.watcher = watcher;
    void (async () => {
      for await (const change of watcher) {
        if (this.watcher !== watcher) break;
        await this.apply(stores, change).catch((error: unknown) =>
          this.options.report({ type: "failed", what: `following ${change.key}`, error, retrying: false }),
        );
      }
    })();
  }

  private stopWatch(): void {
    this.watcher?.stop();
    this.watcher = undefined;
  }

  private async apply(stores: Stores, change: KvWatchEntry): Promise<void> {
    const named = parseCatalogKey(change.key);
    if (named === undefined) return;
    const { runtime } = this.options;
    const local = runtime.registry.get(named.id, named.version);
    if (change.operation !== "PUT") {
      if (local === undefined || !local.source.startsWith(CLUSTER_SOURCE_PREFIX)) return;
      try {
        runtime.remove(`${named.id}@${named.version}`);
      } catch (error) {
        this.options.report({
          type: "failed",
          what: `removing ${named.id}@${named.version} (its entry left the catalogue)`,
          error,
          retrying: false,
        });
        return;
      }
      const from = local.source.slice(CLUSTER_SOURCE_PREFIX.length);
      this.options.report({ type: "removed", ...named, from });
      return;
    }
    const entry = parseCatalogEntry(change.key, change.string());
    if (typeof entry === "string") {
      const error = new ChipsetError(ErrorCodes.PACKAGE_INVALID, `${entry}; it is not installed`, {
        module: `${named.id}@${named.version}`,
        details: { reason: "bad-catalog-entry", key: change.key },
      });
      this.options.report({ type: "refused", ...named, error });
      return;
    }
    if (local?.digest === entry.digest) return;
    await this.install(stores, entry);
  }

  private async install(stores: Stores, entry: CatalogEntry): Promise<void> {
    const { runtime, cluster } = this.options;
    const pkg = `${entry.id}@${entry.version}`;
    const bytes = await stores.packages.getBlob(entry.object);
    if (bytes === null)
      throw new Error(`the package ${entry.object} is not in the object store chipset_${cluster}_packages`);
    const dir = runtime.registry.scratchDir();
    try {
      await unpackModule(bytes, dir, {
        pkg,
        source: `the cluster ${cluster} (published by ${entry.addedBy})`,
        integrity: entry.integrity,
        digest: entry.digest,
      });
    } catch (error) {
      if (error instanceof ChipsetError && error.code === ErrorCodes.INTEGRITY_MISMATCH) {
        this.options.report({ type: "refused", id: entry.id, version: entry.version, error });
        return;
      }
      throw error;
    }
    try {
      runtime.add(dir, { source: `${CLUSTER_SOURCE_PREFIX}${entry.addedBy}` });
    } catch (error) {
      if (error instanceof ChipsetError && error.code !== ErrorCodes.STORE_FAILED) {
        this.options.report({ type: "refused", id: entry.id, version: entry.version, error });
        return;
      }
      throw error;
    } finally {
      removeStagingDir(dir);
    }
    this.options.report({ type: "installed", id: entry.id, version: entry.version, from: entry.addedBy });
  }
}
