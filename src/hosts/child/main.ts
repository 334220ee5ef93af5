/**
 * Entry of a worker-thread or child-process host (`dist/hosts/child/main.js`). The same file
 * runs in both: a worker gets its boot config as `workerData` and talks on `parentPort`; a
 * forked process gets it as JSON in `argv[2]` and talks over IPC (`serialization: "advanced"`).
 *
 * Everything under `hosts/child/` imports only Node built-ins and Chipset's dependency-free
 * files (`module.ts`, `errors/`, `hosts/protocol.ts`): a process host may run under Node's
 * permission model, where it can read nothing but its own package and the module.
 */
import { threadId, workerData } from "node:worker_threads";
import { PROTOCOL_VERSION, type BootConfig } from "../protocol.js";
import { captureOutput } from "./captureOutput.js";
import { installCrashGuard } from "./crashGuard.js";
import { installWorkerGuard } from "./workerGuard.js";
import { ModuleRunner } from "./ModuleRunner.js";
import { UsageMeter, kernelThreadId } from "./UsageMeter.js";
import { installIoMeters } from "../io/ioMeters.js";
import { currentTransport } from "./transport.js";

const transport = currentTransport();
const boot = (
  transport.isolation === "worker" ? workerData : JSON.parse(process.argv[2] ?? "null")
) as BootConfig | null;
if (boot?.protocol !== PROTOCOL_VERSION) {
  throw new Error(
    `chipset child host: protocol ${String(boot?.protocol)} received, ${PROTOCOL_VERSION} expected; ` +
      "the host and dist/hosts/child/main.js come from different builds of chipset (run npm run build)",
  );
}

// Warm the resolver while the host is blank: the first bare-specifier resolution in a fresh
// thread costs milliseconds, which a module's `import "chipset/module"` would otherwise pay.
try {
  import.meta.resolve("chipset/module");
} catch {
  // only a warm-up
}

captureOutput(transport);
if (transport.isolation === "worker") installWorkerGuard();
const meter = new UsageMeter(transport.isolation);
// Every fs and network byte of this thread (or process) is the module's: the runtime cannot tell
// a worker's fs work from the rest of the libuv pool, nor its sockets from the process's.
installIoMeters(() => meter.io, { fromZero: true });
const runner = new ModuleRunner(transport, meter);
// The heartbeat must not keep a process alive on its own: once its host is gone, the child ends.
const heartbeat = setInterval(() => {
  const memory = process.memoryUsage();
  transport.send({
    type: "heartbeat",
    heapUsed: memory.heapUsed,
    rss: memory.rss,
    usage: meter.read(memory),
  });
}, boot.heartbeatMs);
heartbeat.unref();

installCrashGuard(transport, () => {
  runner.halt();
  clearInterval(heartbeat);
});
transport.onMessage(runner.receive);
transport.send({ type: "ready", pid: process.pid, threadId, tid: kernelThreadId() });
