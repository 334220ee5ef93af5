import { ChipsetError, ErrorCodes, messageOf } from "../errors/index.js";
import type { ModuleRecord } from "../vocabulary/manifest.js";
import { moduleKey } from "../vocabulary/moduleRef.js";
import { writablePaths } from "./writablePaths.js";
import { digestTree } from "../common/digestTree.js";
import { treeFingerprint } from "./treeFingerprint.js";
import type { VerifiedTable } from "./VerifiedTable.js";

/**
 * Refuses to load installed code that changed after `add`: before the first import of a version
 * in this runtime, its store directory is hashed again and compared with the digest recorded
 * when it was added. A version that matched is not hashed again in this runtime (a restart after
 * a crash, a reload after unload): see docs/store.md for why. Modules registered in code have no
 * files and are not checked.
 */
export class IntegrityCheck {
  /** `dir\0digest` of every version that matched in this runtime. */
  private readonly verified = new Set<string>();
  /** How many trees were hashed in full (the rest matched by fingerprint or in this runtime). */
  hashed = 0;

  /** @param remembered copies found intact by earlier runtimes (absent: hash in every runtime). */
  constructor(private readonly remembered?: VerifiedTable) {}

  /**
   * Throws `CHIP_ERR_INTEGRITY_FAILED` when the files of `record` no longer match its digest
   * (changed, added, removed, missing directory, a link turned outside). Costs one streamed
   * sha256 of the tree the first time, a Set lookup after that in this runtime; in a later
   * runtime, one `lstat` per file when the tree's metadata fingerprint is the one remembered.
   */
  assertIntact(record: ModuleRecord): void {
    const { dir, digest } = record;
    if (dir === undefined || digest === undefined) return;
    const key = `${dir}\0${digest}`;
    if (this.verified.has(key)) return;
    const skip = writablePaths(record.manifest);
    let found: string;
    let fingerprint: string | undefined;
    try {
      // Taken before the hash: a change after it shows in the next fingerprint, never hidden by it.
      if (this.remembered !== undefined) fingerprint = treeFingerprint(dir, skip);
      const remembered = this.remembered?.get(dir);
      if (remembered?.digest === digest && remembered.fingerprint === fingerprint) {
        this.verified.add(key);
        return;
      }
      this.hashed++;
      found = digestTree(dir, skip);
    } catch (err) {
      throw tampered(record, dir, `they cannot be read as a module tree: ${messageOf(err)}`, undefined, err);
    }
    if (found !== digest) throw tampered(record, dir, "a file was changed, added or removed", found);
    this.verified.add(key);
    if (fingerprint !== undefined) this.remembered?.put(dir, { digest, fingerprint });
  }
}

function tampered(
  record: ModuleRecord,
  dir: string,
  problem: string,
  found: string | undefined,
  cause?: unknown,
): ChipsetError {
  const key = moduleKey(record.id, record.version);
  return new ChipsetError(
    ErrorCodes.INTEGRITY_FAILED,
    `${key} is not loaded: its installed files in ${dir} no longer match the digest recorded when it was added (${problem}). ` +
      `Something changed them after installation. Run \`chipset add ${record.source}\` or \`chipset doctor --repair\` (which also quarantines the changed copy): either installs ${record.source} again if that still holds what was installed. Otherwise \`chipset remove ${key}\` and add a good copy.`,
    {
      module: key,
      ...(cause === undefined ? {} : { cause }),
      details: { dir, expected: record.digest, found, problem, source: record.source },
    },
  );
}
