import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCodes } from "../errors/codes.js";
import { NO_CEILINGS, sandboxGrant } from "./sandboxGrant.js";

let root: string;
let dir: string;
let outside: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "chipset-grant-"));
  dir = join(root, "store", "mod", "1.0.0");
  outside = join(root, "secrets");
  mkdirSync(dir, { recursive: true });
  mkdirSync(outside);
  symlinkSync(outside, join(dir, "link"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("sandboxGrant", () => {
  it("grants paths inside the module's directory by default, made absolute", () => {
    expect(
      sandboxGrant("mod@1.0.0", "mod", dir, { fsRead: ["./media"], fsWrite: ["out"] }, NO_CEILINGS),
    ).toEqual({
      fsRead: [join(dir, "media")],
      fsWrite: [join(dir, "out")],
      childProcess: false,
      worker: false,
      env: [],
      net: false,
    });
  });

  it("takes a path inside the module's directory that is a link leading out of it for where it leads", () => {
    expect(() => sandboxGrant("mod@1.0.0", "mod", dir, { fsRead: ["./link/key"] }, NO_CEILINGS)).toThrow(
      expect.objectContaining({
        code: ErrorCodes.PERMISSION_DENIED,
        details: expect.objectContaining({ denied: ["fsRead ./link/key"] }) as unknown,
      }),
    );
    const ceilings = { file: "/etc/chipset.config.json", default: { fsRead: [outside] }, modules: new Map() };
    expect(sandboxGrant("mod@1.0.0", "mod", dir, { fsRead: ["./link/key"] }, ceilings).fsRead).toEqual([
      join(dir, "link", "key"),
    ]);
  });

  it("grants an absolute path only under one the ceiling names", () => {
    const ceilings = {
      file: undefined,
      default: undefined,
      modules: new Map([["mod", { fsWrite: [outside] }]]),
    };
    expect(
      sandboxGrant("mod@1.0.0", "mod", dir, { fsWrite: [join(outside, "cache")] }, ceilings).fsWrite,
    ).toEqual([join(outside, "cache")]);
    expect(() => sandboxGrant("mod@1.0.0", "mod", dir, { fsWrite: [`${outside}-other`] }, ceilings)).toThrow(
      expect.objectContaining({
        details: expect.objectContaining({ denied: [`fsWrite ${outside}-other`] }) as unknown,
      }),
    );
  });
});
