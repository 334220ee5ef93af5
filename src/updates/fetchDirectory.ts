import path from "node:path";
import ssri from "ssri";
import { copyTree } from "../common/copyTree.js";
import { walkTree } from "../common/walkTree.js";
import { readDirectoryIdentity } from "./readDirectoryIdentity.js";
import { integrityMismatch, signatureInvalid } from "./sourceErrors.js";
import type { FetchedPackage } from "./SourceSpec.js";
import { asPackageProblem } from "./stagingDir.js";
import { expectName, type FetchContext } from "./FetchContext.js";

/**
 * Copies a module directory into the staging directory (links kept only inside, `.git/`
 * left out, as `chipset add` copies) rather than using it in place: the update then installs
 * a snapshot that later edits to the directory cannot change. Its integrity is its tree digest.
 * A directory carries no signature: with `trust.require` it is refused (`missing`).
 */
export function fetchDirectory(dir: string, name: string | undefined, context: FetchContext): FetchedPackage {
  const root = path.resolve(dir);
  const claimed = readDirectoryIdentity(root);
  const pkg = `${claimed.name}@${claimed.version}`;
  expectName(name, claimed.name, root);
  if (context.trust.require) throw signatureInvalid(pkg, root, "missing", undefined);
  let digest: string;
  try {
    digest = copyTree(root, context.staging);
  } catch (err) {
    throw asPackageProblem(err, pkg, root);
  }
  // What was copied is what counts (the directory may have changed since it was first read).
  const identity = readDirectoryIdentity(context.staging, root);
  expectName(name, identity.name, root);
  const integrity = `sha256-${Buffer.from(digest, "hex").toString("base64")}`;
  if (context.integrity !== undefined && !ssri.parse(integrity).match(context.integrity))
    throw integrityMismatch(
      `${identity.name}@${identity.version}`,
      root,
      context.integrity,
      integrity,
      "caller",
    );
  let bytes = 0;
  for (const entry of walkTree(context.staging)) if (entry.kind === "file") bytes += entry.size;
  return {
    dir: context.staging,
    name: identity.name,
    version: identity.version,
    integrity,
    digest,
    signature: { verified: false },
    source: { kind: "directory", location: root },
    bytes,
  };
}
