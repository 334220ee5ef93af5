import { createHash, type Hash } from "node:crypto";
import { once } from "node:events";
import ssri from "ssri";
import { Unpack, type ReadEntry } from "tar";
import { STORE_DIR_MODE, STORE_FILE_MODE } from "../common/copyTree.js";
import { TREE_LIMITS, type TreeLimits } from "../common/walkTree.js";
import { ChipsetError, messageOf } from "../errors/index.js";
import { storeFailed } from "../store/storeFailed.js";
import { integrityMismatch, packageInvalid, type IntegrityFrom } from "./sourceErrors.js";
import { TarEntryGuard } from "./TarEntryGuard.js";

/** An integrity the tarball must match, and who gave it (for the error's advice). */
export interface ExpectedIntegrity {
  /** An SRI string (`sha512-...`), already checked to parse. */
  readonly integrity: string;
  readonly from: IntegrityFrom;
}

/** How {@link extractTarball} reads a tarball. */
export interface ExtractOptions {
  /** The package (`name@version`, or the file) and where the bytes come from, for messages. */
  readonly pkg: string;
  readonly source: string;
  /** Every integrity the bytes must match; none for a tarball nobody vouched for. */
  readonly expected: readonly ExpectedIntegrity[];
  /** Entries and bytes allowed, checked on the compressed stream and on the entries. Default `TREE_LIMITS`. */
  readonly limits?: TreeLimits;
}

/** What {@link extractTarball} read. */
export interface ExtractedTarball {
  /** The sha512 SRI of the tarball's bytes, as npm's `dist.integrity` has it. */
  readonly integrity: string;
  /** The tarball's size in bytes. */
  readonly bytes: number;
}

/**
 * Extracts an npm package tarball (gzipped tar, `package/` prefix stripped as npm does) from
 * `chunks` into the existing empty directory `dir`, hashing the bytes as they stream. Entries
 * are checked before they are written ({@link TarEntryGuard}); files get mode 0644 (0755 when
 * executable), directories 0755, no owner from the archive. The whole stream is read even after
 * a refused entry or a damaged archive, so an altered tarball is reported as what it is:
 * `CHIP_ERR_INTEGRITY_MISMATCH` first, then `CHIP_ERR_PACKAGE_INVALID`; a write that fails is
 * `CHIP_ERR_STORE_FAILED`. On any error `dir` holds a partial extraction: the caller removes it.
 * npm's own tar reader (node-tar) parses the archive; the bytes are hashed with node:crypto as
 * they pass and compared by ssri's rules (the strongest algorithm of an SRI, any of its digests),
 * as npm compares them.
 */
export async function extractTarball(
  chunks: AsyncIterable<Uint8Array>,
  dir: string,
  options: ExtractOptions,
): Promise<ExtractedTarball> {
  const limits = options.limits ?? TREE_LIMITS;
  const expected = options.expected.map((e) => ({ ...e, sri: ssri.parse(e.integrity) }));
  const algorithms = [...new Set(["sha512", ...expected.map((e) => e.sri.pickAlgorithm())])];
  const hashes = new Map<string, Hash>(algorithms.map((a) => [a, createHash(a)]));
  const guard = new TarEntryGuard(limits);
  let refused: ChipsetError | undefined;
  let tarError: unknown;
  const unpack = new Unpack({
    cwd: dir,
    strip: 1,
    strict: true,
    preserveOwner: false,
    filter: (_path, stat) => {
      const entry = stat as ReadEntry;
      if (refused !== undefined) return false;
      const verdict = guard.check(entry);
      if (verdict === "skip") return false;
      if (verdict !== undefined) {
        const { reason, entry: at, what } = verdict;
        refused = packageInvalid(
          { reason, source: options.source, package: options.pkg, entry: at },
          `${options.pkg} from ${options.source} cannot be extracted: ${what}`,
        );
        return false;
      }
      if (entry.type === "Directory") entry.mode = STORE_DIR_MODE;
      else entry.mode = (entry.mode ?? 0) & 0o111 ? STORE_DIR_MODE : STORE_FILE_MODE;
      return true;
    },
  });
  const finished = new Promise<void>((resolve, reject) => {
    unpack.on("close", resolve);
    unpack.on("error", reject);
  });
  finished.catch((err: unknown) => void (tarError ??= err));
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) {
      throw packageInvalid(
        { reason: "too-large", source: options.source, package: options.pkg },
        `${options.pkg} from ${options.source} is a tarball of more than ${limits.maxBytes} bytes`,
      );
    }
    for (const hash of hashes.values()) hash.update(chunk);
    if (tarError !== undefined) continue;
    // Backpressure: node-tar says when its buffer is full, and "drain" when it can take more.
    if (!unpack.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)))
      await Promise.race([once(unpack, "drain"), finished]).catch(() => undefined);
  }
  if (tarError === undefined) {
    unpack.end();
    await finished.catch(() => undefined);
  }
  const digests = new Map(algorithms.map((a) => [a, `${a}-${hashes.get(a)!.digest("base64")}`]));
  const computed = ssri.parse([...digests.values()].join(" "));
  for (const { integrity, sri, from } of expected) {
    if (computed.match(sri)) continue;
    const actual = digests.get(sri.pickAlgorithm()) ?? [...digests.values()].join(" ");
    throw integrityMismatch(options.pkg, options.source, integrity, actual, from);
  }
  if (refused !== undefined) throw refused;
  if (tarError !== undefined) throw tarFailure(tarError, dir, options);
  return { integrity: digests.get("sha512")!, bytes };
}

function tarFailure(err: unknown, dir: string, options: ExtractOptions): ChipsetError {
  const code = (err as { code?: unknown }).code;
  const syscall = (err as { syscall?: unknown }).syscall;
  if (typeof syscall === "string" && typeof code === "string" && /^E[A-Z]+$/.test(code))
    return storeFailed(`Cannot write ${options.pkg} into ${dir}`, err, { module: options.pkg, path: dir });
  return packageInvalid(
    { reason: "not-a-tarball", source: options.source, package: options.pkg, cause: err },
    `${options.pkg} from ${options.source} is not a readable package tarball (${messageOf(err)})`,
  );
}
