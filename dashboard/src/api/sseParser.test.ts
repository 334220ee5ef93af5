import { describe, expect, it } from "vitest";
import { SseParser, type StreamEvent } from "./sseParser.js";

function parse(chunks: string[]): { events: StreamEvent[]; retryMs: number } {
  const events: StreamEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  return { events, retryMs: parser.retryMs };
}

describe("reading the host's event stream", () => {
  const frames =
    "retry: 1000\n\n" +
    'id: 7\nevent: module.state\ndata: {"id":"codec","to":"running"}\n\n' +
    'event: stream.gap\ndata: {"after":3,"oldest":5}\n\n';

  it("gives each event its id, name and parsed data, and takes the server's retry delay", () => {
    const { events, retryMs } = parse([frames.replace("retry: 1000", "retry: 2500")]);
    expect(retryMs).toBe(2500);
    expect(events).toEqual([
      { id: 7, name: "module.state", data: { id: "codec", to: "running" } },
      { id: 7, name: "stream.gap", data: { after: 3, oldest: 5 } },
    ]);
  });

  it("gives the same events however the chunks split the lines", () => {
    const whole = parse([frames]).events;
    for (const size of [1, 2, 5, 13]) {
      const chunks: string[] = [];
      for (let i = 0; i < frames.length; i += size) chunks.push(frames.slice(i, i + size));
      expect(parse(chunks).events).toEqual(whole);
    }
  });

  it("keeps data that is not JSON as text, joins multi-line data, and skips comments", () => {
    const { events } = parse([": keep-alive\n\ndata: one\ndata: two\r\n\r\n"]);
    expect(events).toEqual([{ id: null, name: "message", data: "one\ntwo" }]);
  });
});
