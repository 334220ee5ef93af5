/**
 * Chipset's contender in bench/update.mjs's HTTP part, in a process of its own as PM2's app is:
 * a node:http server whose handler answers each request with `await runtime.call("app", "hit")`
 * into the app as a Chipset module (its isolation is the manifest's: worker), and updates that
 * module with `runtime.update` when told to. The server itself never restarts.
 *
 * argv[2]: `{ dataDir, dir }` (the module directory of version 1.0.0). Protocol (IPC, advanced
 * serialization), each request `{ id, ... }` answered `{ id, ... }`:
 *   `{ type: "update", from }`  `runtime.update("app", { from, graceMs: 0 })`; answers `{ report }` or `{ error }`;
 *   `{ type: "close" }`         closes the server and the runtime, answers, exits.
 * It sends `{ type: "ready", port }` once the module answered a first call and the server listens.
 */
import { createServer } from "node:http";
import { createRuntime } from "chipset";

const { dataDir, dir } = JSON.parse(process.argv[2]);
const runtime = createRuntime({ dataDir, preload: 0, logLevel: "silent" });
runtime.add(dir);
await runtime.start();
await runtime.call("app", "hit");

const server = createServer((req, res) => {
  runtime.call("app", "hit").then(
    (answer) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(answer));
    },
    (err) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(String(err?.code ?? err));
    },
  );
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));

process.on("message", (m) => {
  if (m.type === "update")
    runtime.update("app", { from: m.from, graceMs: 0 }).then(
      (report) => process.send({ id: m.id, report }),
      (err) => process.send({ id: m.id, error: err?.stack ?? String(err) }),
    );
  else if (m.type === "close") {
    server.closeAllConnections();
    server.close();
    void runtime.close().then(() => process.send({ id: m.id }, () => process.exit(0)));
  }
});
process.send({ type: "ready", port: server.address().port });
