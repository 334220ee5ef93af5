import fs from "node:fs";
import { Readable } from "node:stream";
import ssri from "ssri";
import { create } from "tar";
import { messageOf } from "../errors/index.js";
import { extractTarball } from "../updates/extractTarball.js";
import { removeStagingDir, stagedTree } from "../updates/stagingDir.js";
import { storeFailed } from "../store/storeFailed.js";
import { integrityMismatch } from "../updates/sourceErrors.js";

/** A module version packed for the cluster: an npm-style tarball and its integrity. */
export interface PackedModule {
  /** A gzipped tar whose entries sit under `package/`, as `npm pack` makes them. */
  readonly bytes: Uint8Array;
  /** The sha512 SRI of `bytes` (`sha512-...`), as npm's `dist.integrity`. */
  readonly integrity: string;
}

/**
 * Packs the installed copy of a module version (its store directory `dir`) into a tarball
 * `extractTarball` reads back: gzipped, entries under `package/`, no owner or user names
 * (`portable`), and its sha512 integrity. `CHIP_ERR_STORE_FAILED` when the directory cannot be read.
 */
export async function packModule(dir: string): Promise<PackedModule> {
  const chunks: Buffer[] = [];
  try {
    const entries = fs.readdirSync(dir).sort();
    const stream = create({ gzip: true, portable: true, cwd: dir, prefix: "package" }, entries);
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  } catch (err) {
    throw storeFailed(`Cannot pack ${dir} for the cluster (${messageOf(err)})`, err, { path: dir });
  }
  const bytes = Buffer.concat(chunks);
  return { bytes, integrity: ssri.fromData(bytes, { algorithms: ["sha512"] }).toString() };
}

/** What a packed module must match when it comes back: its integrity and its tree digest. */
export interface UnpackExpectation {
  /** `id@version`, for messages. */
  readonly pkg: string;
  /** Where the bytes came from, for messages (`the cluster's object store`). */
  readonly source: string;
  readonly integrity: string;
  /** The installed tree's digest (sha256 hex) the publisher recorded. */
  readonly digest: string;
}

/**
 * Unpacks `bytes` into the empty directory `dir` (made by the registry's `scratchDir()`),
 * checking them against `expected.integrity` as they stream, then the unpacked tree against
 * `expected.digest`. Either mismatch is `CHIP_ERR_INTEGRITY_MISMATCH` and leaves nothing:
 * `dir` is removed on any failure.
 */
export async function unpackModule(
  bytes: Uint8Array,
  dir: string,
  expected: UnpackExpectation,
): Promise<void> {
  const { pkg, source } = expected;
  try {
    await extractTarball(Readable.from([bytes]) as AsyncIterable<Uint8Array>, dir, {
      pkg,
      source,
      expected: [{ integrity: expected.integrity, from: "cluster" }],
    });
    const { digest } = stagedTree(dir, pkg, source);
    if (digest !== expected.digest)
      throw integrityMismatch(pkg, source, `tree ${expected.digest}`, `tree ${digest}`, "cluster");
  } catch (err) {
    removeStagingDir(dir);
    throw err;
  }
}
