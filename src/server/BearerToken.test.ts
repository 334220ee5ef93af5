import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BearerToken, newToken, readTokenFile } from "./BearerToken.js";

describe("BearerToken", () => {
  it("accepts only `Bearer <its token>`", () => {
    const token = new BearerToken("s3cret-token-value");
    expect(token.accepts("Bearer s3cret-token-value")).toBe(true);
    expect(token.accepts("bearer s3cret-token-value")).toBe(true);
    for (const header of [
      undefined,
      "",
      "Bearer",
      "Bearer s3cret",
      "Bearer s3cret-token-valuX",
      "Bearer s3cret-token-value-and-more",
      "Basic s3cret-token-value",
      "s3cret-token-value",
      "Bearer s3cret-token-value x",
    ])
      expect(token.accepts(header), String(header)).toBe(false);
  });

  it("makes random tokens of 32 bytes in base64url", () => {
    const a = newToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(a);
  });

  it("reads a token file without its surrounding white space, and refuses a short one", () => {
    const dir = mkdtempSync(join(tmpdir(), "chipset-token-"));
    try {
      writeFileSync(join(dir, "good"), "  abcdefghijklmnopqrstuvwxyz\n");
      expect(readTokenFile(join(dir, "good"))).toBe("abcdefghijklmnopqrstuvwxyz");
      writeFileSync(join(dir, "short"), "abc\n");
      expect(() => readTokenFile(join(dir, "short"))).toThrow(
        expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
      );
      expect(() => readTokenFile(join(dir, "absent"))).toThrow(
        expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
