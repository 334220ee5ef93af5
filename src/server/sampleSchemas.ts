/**
 * The JSON schemas of what the host's API shows of resources: a module's latest sample (in the
 * module views) and the machine's figures (`GET /v1/system`). Shapes as
 * `src/vocabulary/resources.ts` and `src/resources/SystemMeter.ts` define them; null where a
 * figure cannot be measured or attributed (docs/resources.md says which).
 */

const nullableNumber = (description: string) => ({ type: "number", nullable: true, description }) as const;
const bytesPerSecond = (description: string) =>
  ({ type: "number", description: `${description}, in B/s` }) as const;

/** A `ResourceSample`: one module instance over one sampling interval. */
export const resourceSampleSchema = {
  type: "object",
  description:
    "The module's latest resource sample: rates over the interval, gauges at its end, totals since it was loaded",
  properties: {
    id: { type: "string" },
    version: { type: "string" },
    isolation: { type: "string", enum: ["inline", "worker", "process"] },
    at: { type: "number", description: "end of the interval, ms since the epoch" },
    intervalMs: { type: "number" },
    cpuPercent: nullableNumber(
      "CPU over the interval, % of one CPU (100 = one core busy); inline: its synchronous call time, an estimate",
    ),
    elu: nullableNumber("event-loop utilisation of its thread, 0 to 1; null for inline modules"),
    memoryBytes: nullableNumber(
      "the memory its limits are held to: a process's RSS, a worker's heap; null for inline modules",
    ),
    heapUsedBytes: nullableNumber("V8 heap in use; null for inline modules"),
    rssBytes: nullableNumber("resident memory of its own process; null but for process modules"),
    fsReadBps: bytesPerSecond("read through node:fs"),
    fsWriteBps: bytesPerSecond("written through node:fs"),
    netInBps: bytesPerSecond("received over the network"),
    netOutBps: bytesPerSecond("sent over the network"),
    calls: {
      type: "integer",
      nullable: true,
      description: "calls the instance served over the interval, a count",
    },
    failures: {
      type: "integer",
      nullable: true,
      description:
        "calls of the version that failed by the module's doing over the interval; null with anomaly detection off and on every replica but the first",
    },
    p99Ms: nullableNumber(
      "p99 of the version's successful calls' latencies over the interval, in ms; null without any, with anomaly detection off and on every replica but the first",
    ),
    totals: {
      type: "object",
      description: "since the module was loaded",
      properties: {
        cpuSeconds: { type: "number" },
        fsReadBytes: { type: "number" },
        fsWriteBytes: { type: "number" },
        netInBytes: { type: "number" },
        netOutBytes: { type: "number" },
      },
    },
  },
} as const;

/** `GET /v1/system`: `SystemFigures`. */
export const systemFiguresSchema = {
  type: "object",
  description: "The machine beside the modules; rates over the time since the previous reading",
  properties: {
    at: { type: "number", description: "when read, ms since the epoch" },
    loadAverage: {
      type: "array",
      items: { type: "number" },
      minItems: 3,
      maxItems: 3,
      description: "1, 5 and 15 minute load averages (zeros on Windows)",
    },
    cpus: { type: "integer", description: "logical CPUs" },
    cpuPercent: nullableNumber("machine CPU busy, % of all CPUs; null on the first reading"),
    memory: {
      type: "object",
      properties: {
        totalBytes: { type: "number" },
        availableBytes: { type: "number", description: "what can be allocated without swapping" },
        usedBytes: { type: "number" },
      },
    },
    disk: {
      type: "object",
      nullable: true,
      description: "the file system of the data directory; null where statfs is not available",
      properties: {
        path: { type: "string" },
        totalBytes: { type: "number" },
        freeBytes: { type: "number" },
        usedBytes: { type: "number" },
      },
    },
    network: {
      type: "object",
      nullable: true,
      description: "every interface but loopback; null without /proc/net",
      properties: {
        receivedBytes: { type: "number", description: "since boot" },
        sentBytes: { type: "number", description: "since boot" },
        receivedBps: nullableNumber("B/s; null on the first reading"),
        sentBps: nullableNumber("B/s; null on the first reading"),
        connections: { type: "integer", description: "TCP connections established, IPv4 and IPv6" },
      },
    },
    process: {
      type: "object",
      description: "the host process (the runtime, its inline modules and its worker threads)",
      properties: {
        pid: { type: "integer" },
        rssBytes: { type: "number" },
        heapUsedBytes: { type: "number" },
        uptimeSeconds: { type: "number" },
      },
    },
  },
} as const;
