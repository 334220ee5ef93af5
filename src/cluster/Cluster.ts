import { hostname } from "node:os";
import type { NatsConnection } from "@nats-io/nats-core";
import type { Timer } from "../common/Clock.js";
import { ChipsetError, ErrorCodes } from "../errors/index.js";
import type { Runtime } from "../runtime/Runtime.js";
import { Database } from "../store/Database.js";
import { connectNats, natsOptions, type NatsSettings } from "./connectNats.js";
import { SharedRegistry, type SharedRegistryEvent } from "./SharedRegistry.js";

/** How a host joins a cluster (`chipset start --cluster`, the config file's `cluster` section). */
export interface ClusterOptions extends Omit<NatsSettings, "node"> {
  /** The cluster's name, in its buckets' names (`chipset_<name>_catalog`). Default `chipset`. */
  name?: string;
  /** This node's name: letters, digits, `_` and `-`. Default the machine's host name, other characters as `-`. */
  node?: string;
  /** What the cluster does, as it happens (for a host's output). */
  onEvent?: (event: ClusterEvent) => void;
}

/** What a {@link Cluster} reports. */
export type ClusterEvent =
  /** Connected to NATS (first time or again). */
  | { type: "joined"; server: string; again: boolean }
  /** NATS cannot be reached (at start, or lost): this node works alone meanwhile. */
  | { type: "alone"; pending: number }
  | SharedRegistryEvent;

/** Where a {@link Cluster} stands. */
export interface ClusterStatus {
  name: string;
  node: string;
  connected: boolean;
  /** The server connected to (`host:port`), when connected. */
  server: string | undefined;
  /** Versions (and removals) added here that wait to be published. */
  pending: number;
}

/** This host's membership of a cluster; {@link joinCluster} makes it. */
export interface Cluster {
  status(): ClusterStatus;
  /** Leaves: stops following the catalogue and closes the connection. Idempotent. */
  close(): Promise<void>;
}

const NAME = /^[A-Za-z0-9_-]+$/;

/** The machine's host name as a node name: characters outside `[A-Za-z0-9_-]` become `-`. */
export function defaultNodeName(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, "-") || "node";
}

/**
 * Joins the cluster `options` names with `runtime` (a host's): for now, the shared registry (see
 * {@link SharedRegistry}). Resolves at once, never waiting for NATS: while no server answers,
 * the node works alone and keeps trying every `reconnectWaitMs`. `CHIP_ERR_CLUSTER_CONFIG_INVALID`
 * for bad settings (a URL, a name, a secret file); credentials the server refuses are reported
 * as a `failed` event and tried again.
 */
export function joinCluster(runtime: Runtime, options: ClusterOptions): Promise<Cluster> {
  try {
    const name = options.name ?? "chipset";
    if (!NAME.test(name))
      throw new ChipsetError(
        ErrorCodes.CLUSTER_CONFIG_INVALID,
        `the cluster name ${JSON.stringify(name)} may hold only letters, digits, _ and -`,
        { details: { field: "name" } },
      );
    const { onEvent, name: _name, node: _node, ...nats } = options;
    const settings: NatsSettings = { ...nats, node: options.node ?? defaultNodeName() };
    natsOptions(settings); // checked now: a bad URL or secret file fails the start, not a retry loop
    const db = Database.open(runtime.dataDir);
    return Promise.resolve(new ClusterMember(runtime, db, name, settings, onEvent ?? (() => undefined)));
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/** The composition root of a node's cluster parts (the shared registry, for now). */
class ClusterMember implements Cluster {
  private nc: NatsConnection | undefined;
  private connected = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private wait: Timer | undefined;
  private refusedWith: string | undefined;
  private readonly registry: SharedRegistry;

  constructor(
    private readonly runtime: Runtime,
    private readonly db: Database,
    private readonly name: string,
    private readonly settings: NatsSettings,
    private readonly report: (event: ClusterEvent) => void,
  ) {
    this.registry = new SharedRegistry({ runtime, db, cluster: name, node: settings.node, report });
    void this.connect(true);
  }

  status(): ClusterStatus {
    return {
      name: this.name,
      node: this.settings.node,
      connected: this.connected,
      server: this.connected ? this.nc?.getServer() : undefined,
      pending: this.registry.pending(),
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      this.wait?.dispose();
      await this.registry.close();
      await this.nc?.close().catch(() => undefined);
      this.db.close();
    })();
    return this.closing;
  }

  /** One attempt; on failure says "alone" (the first time) and tries again after `reconnectWaitMs`. */
  private async connect(first: boolean): Promise<void> {
    if (this.closed) return;
    let nc: NatsConnection;
    try {
      nc = await connectNats(this.settings, { once: true });
    } catch (error) {
      if (this.closed) return;
      // Refused credentials are said once (and again when the reason changes), not every retry.
      if (error instanceof ChipsetError) {
        if (error.message !== this.refusedWith)
          this.report({ type: "failed", what: "joining the cluster", error, retrying: true });
        this.refusedWith = error.message;
      } else if (first) this.report({ type: "alone", pending: this.registry.pending() });
      this.wait = this.runtime.clock.setTimeout(
        () => void this.connect(false),
        this.settings.reconnectWaitMs ?? 250,
      );
      return;
    }
    if (this.closed) {
      await nc.close();
      return;
    }
    this.nc = nc;
    this.up(false);
    void this.follow(nc);
  }

  private up(again: boolean): void {
    this.connected = true;
    this.report({ type: "joined", server: this.nc?.getServer() ?? this.settings.url, again });
    this.registry.attach(this.nc!);
  }

  /** Follows the connection's status: lost, it works alone; back, it publishes and follows anew. */
  private async follow(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (this.closed) return;
      if (status.type === "disconnect" && this.connected) {
        this.connected = false;
        this.registry.detach();
        this.report({ type: "alone", pending: this.registry.pending() });
      } else if (status.type === "reconnect" && !this.connected) {
        this.up(true);
      }
    }
  }
}
