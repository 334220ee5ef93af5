import { describe, expect, it } from "vitest";
import { hostHarness } from "./harness.js";

const h = hostHarness();

/** Hooks the inline test module calls, set per test. */
const hooks = globalThis as { __started?: () => void; __aborted?: (reason: unknown) => void };

describe("POST /v1/modules/{ref}/calls/{method}", () => {
  it("cancels the call when its client goes away: the module sees its signal aborted", async () => {
    h.ws.module({
      name: "svc",
      chipset: { activation: "eager" },
      code: `import { currentCall } from "chipset/module";
export const module = defineModule({ api: {
  wait: () => new Promise((resolve) => {
    const { signal } = currentCall();
    signal.addEventListener("abort", () => { globalThis.__aborted(signal.reason); resolve("late"); });
    globalThis.__started();
  }),
  echo: (x) => x,
} });`,
    });
    const rt = h.open();
    await h.serve(rt);
    await rt.start();
    const started = new Promise<void>((resolve) => (hooks.__started = resolve));
    const aborted = new Promise<unknown>((resolve) => (hooks.__aborted = resolve));
    const client = new AbortController();
    const call = h.request("/v1/modules/svc/calls/wait", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ args: [] }),
      signal: client.signal,
    });
    await started;
    client.abort();
    await expect(call).rejects.toThrow();
    expect(await aborted).toMatchObject({ code: "CHIP_ERR_ABORTED" });
    // The host goes on serving other clients.
    expect(await h.post("/v1/modules/svc/calls/echo", { args: [7] })).toEqual({
      status: 200,
      body: { result: 7 },
    });
  });

  it("serves call after call on one kept-alive connection: finished calls do not cancel the next", async () => {
    await h.echoHost();
    for (let i = 0; i < 20; i++)
      expect(await h.post("/v1/modules/svc/calls/echo", { args: [i] })).toEqual({
        status: 200,
        body: { result: i },
      });
  });
});
