import fs from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Header } from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCodes, type ChipsetError } from "../../src/errors/index.js";
import { EMPTY_UPDATE_CONFIG } from "../../src/updates/UpdateConfig.js";
import { UpdateSources } from "../../src/updates/UpdateSources.js";
import { refusal, tempDir } from "./fixtures.js";

/** One entry of a hand-made tarball. */
interface RawEntry {
  path: string;
  type: "File" | "Directory" | "SymbolicLink" | "Link" | "CharacterDevice" | "FIFO";
  linkpath?: string;
  body?: string;
}

const manifest: RawEntry = {
  path: "package/package.json",
  type: "File",
  body: JSON.stringify({ name: "evil", version: "1.0.0" }),
};

/** A gzipped tar of exactly `entries`, written header by header: `tar` itself would not write such paths. */
function rawTarball(entries: readonly RawEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.from(entry.body ?? "");
    const header = new Header({
      path: entry.path,
      type: entry.type,
      ...(entry.linkpath === undefined ? {} : { linkpath: entry.linkpath }),
      size: body.length,
      mode: entry.type === "Directory" ? 0o755 : 0o644,
      mtime: new Date(0),
      uid: 0,
      gid: 0,
    });
    const block = Buffer.alloc(512);
    header.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

let root: string;
let work: string;
let n = 0;
const sources = new UpdateSources(EMPTY_UPDATE_CONFIG);

beforeAll(() => {
  root = tempDir();
  // The tarballs and staging directories sit two levels down, so "../.." from the staging
  // directory stays inside this test's own temporary directory.
  work = path.join(root, "a", "b");
  fs.mkdirSync(work, { recursive: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Fetches a tarball of `entries` and answers the error, with the staging directory it used. */
async function refused(entries: readonly RawEntry[]): Promise<{ err: ChipsetError; staging: string }> {
  const file = path.join(work, `t${++n}.tgz`);
  fs.writeFileSync(file, rawTarball(entries));
  const staging = path.join(work, `stage${n}`);
  return { err: await refusal(sources.fetch({ kind: "tarball", path: file }, { staging })), staging };
}

describe("a package tarball", () => {
  it("a tarball entry that escapes the directory is refused", async () => {
    const { err, staging } = await refused([
      manifest,
      { path: "package/../../escaped.txt", type: "File", body: "owned" },
    ]);
    expect(err.code).toBe(ErrorCodes.PACKAGE_INVALID);
    expect(err.details).toMatchObject({ reason: "escapes", entry: "package/../../escaped.txt" });
    expect(err.message).toContain("package/../../escaped.txt");
    expect(fs.existsSync(staging)).toBe(false);
    expect(fs.readdirSync(root, { recursive: true })).not.toContain("escaped.txt");
    expect(fs.existsSync(path.join(work, "escaped.txt"))).toBe(false);
    expect(fs.existsSync(path.join(root, "a", "escaped.txt"))).toBe(false);
  });

  it("a symbolic link leading outside, relative or absolute, is refused", async () => {
    for (const linkpath of ["../../..", "/etc/passwd"]) {
      const { err, staging } = await refused([
        manifest,
        { path: "package/link", type: "SymbolicLink", linkpath },
      ]);
      expect(err.details).toMatchObject({ reason: "link-outside", entry: "package/link" });
      expect(fs.existsSync(staging)).toBe(false);
    }
  });

  it("a symbolic link that leads outside only through another link is refused once it is on disk", async () => {
    const { err, staging } = await refused([
      manifest,
      { path: "package/here", type: "SymbolicLink", linkpath: "." },
      { path: "package/parent", type: "SymbolicLink", linkpath: "here/.." },
    ]);
    expect(err.code).toBe(ErrorCodes.PACKAGE_INVALID);
    expect(err.details).toMatchObject({ reason: "link-outside", entry: "parent" });
    expect(fs.existsSync(staging)).toBe(false);
  });

  it("a file written through a link the archive made is refused", async () => {
    const { err } = await refused([
      manifest,
      { path: "package/lib", type: "Directory" },
      { path: "package/alias", type: "SymbolicLink", linkpath: "lib" },
      { path: "package/alias/x.js", type: "File", body: "x" },
    ]);
    expect(err.details).toMatchObject({ reason: "escapes", entry: "package/alias/x.js" });
  });

  it("a hard link to a file outside, or to a symbolic link, is refused", async () => {
    const outside = await refused([manifest, { path: "package/h", type: "Link", linkpath: "/etc/passwd" }]);
    expect(outside.err.details).toMatchObject({ reason: "link-outside", entry: "package/h" });
    const toLink = await refused([
      manifest,
      { path: "package/d/l", type: "SymbolicLink", linkpath: "../index.js" },
      { path: "package/h", type: "Link", linkpath: "package/d/l" },
    ]);
    expect(toLink.err.details).toMatchObject({ reason: "link-outside", entry: "package/h" });
  });

  it("a device file or a FIFO is refused", async () => {
    for (const type of ["CharacterDevice", "FIFO"] as const) {
      const { err, staging } = await refused([manifest, { path: "package/dev", type }]);
      expect(err.details).toMatchObject({ reason: "special-file", entry: "package/dev" });
      expect(fs.existsSync(staging)).toBe(false);
    }
  });

  it("a file that is not a gzipped tar is refused as such", async () => {
    const file = path.join(work, "not-a-tarball.tgz");
    fs.writeFileSync(file, "this is not a tarball at all");
    const staging = path.join(work, "stage-not");
    const err = await sources.fetch({ kind: "tarball", path: file }, { staging }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.PACKAGE_INVALID, details: { reason: "not-a-tarball" } });
    expect(fs.existsSync(staging)).toBe(false);
  });

  it("links that stay inside are kept, and the package's modes are normalised", async () => {
    const file = path.join(work, "fine.tgz");
    fs.writeFileSync(
      file,
      rawTarball([
        manifest,
        { path: "package/lib/", type: "Directory" },
        { path: "package/lib/a.js", type: "File", body: "a" },
        { path: "package/current", type: "SymbolicLink", linkpath: "lib/a.js" },
        { path: "package/copy.js", type: "Link", linkpath: "package/lib/a.js" },
      ]),
    );
    const staging = path.join(work, "stage-fine");
    const fetched = await sources.fetch({ kind: "tarball", path: file }, { staging });
    expect(fetched).toMatchObject({ name: "evil", version: "1.0.0" });
    expect(fs.readlinkSync(path.join(staging, "current"))).toBe("lib/a.js");
    expect(fs.readFileSync(path.join(staging, "copy.js"), "utf8")).toBe("a");
    expect(fs.statSync(path.join(staging, "lib", "a.js")).mode & 0o777).toBe(0o644 & ~process.umask());
  });
});
