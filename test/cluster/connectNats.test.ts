import { writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectNats, natsOptions } from "../../src/cluster/connectNats.js";
import { ErrorCodes } from "../../src/errors/index.js";
import { tempDir } from "../cli/harness.js";
import { startNats, type NatsServer } from "../support/natsServer.js";

// A node reaching a real nats-server (Debian's 2.9, JetStream on, on a loopback port).

const servers: NatsServer[] = [];
const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const s of servers) await s.dispose();
  for (const c of cleanups) await c();
});

/** A loopback port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("a node's connection to NATS", () => {
  it("reaches the server and carries a request and its reply", async () => {
    const nats = await startNats();
    servers.push(nats);
    const nc = await connectNats({ url: nats.url, node: "a" });
    nc.subscribe("echo", {
      callback: (_err, msg) => {
        msg.respond(msg.data);
      },
    });
    const reply = await nc.request("echo", "hello", { timeout: 10_000 });
    expect(reply.string()).toBe("hello");
    await nc.close();
  });

  it("waits for a server that is not up yet, and joins when it starts", async () => {
    const port = await freePort();
    const connecting = connectNats({ url: `nats://127.0.0.1:${port}`, node: "early", reconnectWaitMs: 50 });
    const nats = await startNats({ port });
    servers.push(nats);
    const nc = await connecting;
    expect(nc.getServer()).toBe(`127.0.0.1:${port}`);
    await nc.close();
  });

  it("refuses credentials the server refuses, with CHIP_ERR_CLUSTER_CONFIG_INVALID", async () => {
    const { dir, cleanup } = await tempDir("nats-auth");
    cleanups.push(cleanup);
    const nats = await startNats({
      config: `accounts { APP { jetstream: enabled, users: [{ user: chip, password: right-one }] } }\n`,
    });
    servers.push(nats);
    const wrong = join(dir, "wrong");
    await writeFile(wrong, "not-it\n");
    await expect(
      connectNats({ url: nats.url, node: "a", user: "chip", passwordFile: wrong }),
    ).rejects.toMatchObject({
      code: ErrorCodes.CLUSTER_CONFIG_INVALID,
      message: expect.stringContaining("refused this node") as string,
    });
    const right = join(dir, "right");
    await writeFile(right, "right-one\n");
    const nc = await connectNats({ url: nats.url, node: "a", user: "chip", passwordFile: right });
    await nc.flush();
    await nc.close();
  });

  it("names what is wrong in settings before connecting", () => {
    const bad = (settings: Parameters<typeof natsOptions>[0], field: string) =>
      expect(() => natsOptions(settings)).toThrow(
        expect.objectContaining({ code: ErrorCodes.CLUSTER_CONFIG_INVALID, details: { field } }) as Error,
      );
    bad({ url: "http://127.0.0.1:4222", node: "a" }, "url");
    bad({ url: "nats://u:p@127.0.0.1:4222", node: "a" }, "url");
    bad({ url: " , ", node: "a" }, "url");
    bad({ url: "nats://127.0.0.1:4222", node: "a b" }, "node");
    bad({ url: "nats://127.0.0.1:4222", node: "a", passwordFile: "/x" }, "passwordFile");
    bad(
      { url: "nats://127.0.0.1:4222", node: "a", user: "u", passwordFile: "/no/such/file" },
      "passwordFile",
    );
    expect(natsOptions({ url: "nats://a:1, tls://b:2", node: "n" })).toMatchObject({
      servers: ["nats://a:1", "tls://b:2"],
      name: "chipset-n",
      tls: {},
    });
  });
});
