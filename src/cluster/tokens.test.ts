import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromToken, toToken } from "./tokens.js";

describe("ids and versions as NATS tokens", () => {
  it("keeps letters, digits and dashes, and spells out the rest", () => {
    expect(toToken("codec")).toBe("codec");
    expect(toToken("@acme/video.player")).toBe("_40acme_2fvideo_2eplayer");
    expect(toToken("1.0.0-beta.1+b")).toBe("1_2e0_2e0-beta_2e1_2bb");
    expect(toToken("a_b")).toBe("a_5fb");
  });

  it("gives tokens a micro service name and a subject token accept, which read back as the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const token = toToken(text);
        expect(token).toMatch(/^[-\w]*$/);
        expect(fromToken(token)).toBe(text);
      }),
    );
  });

  it("refuses what no token looks like", () => {
    expect(() => fromToken("a.b")).toThrow(/not a Chipset token/);
    expect(() => fromToken("a_zz")).toThrow(/not a Chipset token/);
  });
});
