import { Counter, Gauge, type Registry } from "prom-client";
import type { SystemFigures } from "../../resources/SystemMeter.js";

/** A gauge of the machine read from one {@link SystemFigures} per scrape; null or undefined: no series. */
type Reading = (s: SystemFigures) => number | null | undefined;

const gauges: Array<[name: string, help: string, read: Reading]> = [
  ["chipset_system_load1", "Load average of the machine over 1 minute.", (s) => s.loadAverage[0]],
  ["chipset_system_load5", "Load average of the machine over 5 minutes.", (s) => s.loadAverage[1]],
  ["chipset_system_load15", "Load average of the machine over 15 minutes.", (s) => s.loadAverage[2]],
  ["chipset_system_cpus", "Logical CPUs of the machine.", (s) => s.cpus],
  [
    "chipset_system_cpu_utilization",
    "Share of all the machine's CPUs busy since the previous reading, 0 to 1.",
    (s) => (s.cpuPercent === null ? null : s.cpuPercent / 100),
  ],
  ["chipset_system_memory_total_bytes", "Memory of the machine, in bytes.", (s) => s.memory.totalBytes],
  [
    "chipset_system_memory_used_bytes",
    "Memory of the machine in use (total less available), in bytes.",
    (s) => s.memory.usedBytes,
  ],
  [
    "chipset_system_memory_available_bytes",
    "Memory of the machine that can be allocated without swapping (MemAvailable), in bytes.",
    (s) => s.memory.availableBytes,
  ],
  [
    "chipset_system_disk_total_bytes",
    "Size of the file system holding the data directory, in bytes.",
    (s) => s.disk?.totalBytes,
  ],
  [
    "chipset_system_disk_used_bytes",
    "Bytes in use on the file system holding the data directory.",
    (s) => s.disk?.usedBytes,
  ],
  [
    "chipset_system_disk_free_bytes",
    "Bytes free for unprivileged users on the file system holding the data directory.",
    (s) => s.disk?.freeBytes,
  ],
  [
    "chipset_system_tcp_connections",
    "Established TCP connections of the machine, IPv4 and IPv6.",
    (s) => s.network?.connections,
  ],
];

/**
 * Registers the machine's figures (`runtime.resources.system()`, read once per scrape by
 * `read`) in `registry`: load, CPU, memory, the data directory's disk, network bytes and connections.
 */
export function registerSystemMetrics(registry: Registry, read: () => SystemFigures): void {
  for (const [name, help, reading] of gauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const value = reading(read());
        // Not known on this machine (or not yet): no sample rather than a made-up 0.
        if (value === null || value === undefined) this.remove();
        else this.set(value);
      },
    });
  }
  new Counter({
    name: "chipset_system_network_bytes_total",
    help: "Bytes received (in) and sent (out) by every network interface of the machine but loopback since boot.",
    labelNames: ["direction"],
    registers: [registry],
    collect() {
      this.reset();
      const net = read().network;
      if (net === null) return;
      this.inc({ direction: "in" }, net.receivedBytes);
      this.inc({ direction: "out" }, net.sentBytes);
    },
  });
}
