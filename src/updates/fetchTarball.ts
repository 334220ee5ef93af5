import fs from "node:fs";
import path from "node:path";
import { abortError } from "../common/abort.js";
import { readRegularFile } from "../common/readRegularFile.js";
import { ChipsetError, messageOf } from "../errors/index.js";
import { expectName, type FetchContext } from "./FetchContext.js";
import { extractTarball } from "./extractTarball.js";
import { readDirectoryIdentity } from "./readDirectoryIdentity.js";
import { signatureInvalid, sourceFailed } from "./sourceErrors.js";
import type { FetchedPackage } from "./SourceSpec.js";
import { stagedTree } from "./stagingDir.js";
import { signaturesOfSigFile, verifySignatures, type PackageSignature } from "./verifySignatures.js";

/** The largest `.sig` file read, in bytes (one signature is about 150). */
const MAX_SIG_BYTES = 64 * 1024;

/**
 * Extracts an `npm pack` tarball into the staging directory, checking the caller's integrity
 * while it streams, then its signature: a `<file>.sig` beside it holds `{ "keyid", "sig" }`
 * or an array of them, each over `${name}@${version}:${integrity}` with the tarball's sha512 SRI,
 * as npm's registry signs (see docs/updates.md).
 */
export async function fetchTarball(
  file: string,
  name: string | undefined,
  context: FetchContext,
): Promise<FetchedPackage> {
  const absolute = path.resolve(file);
  const signatures = readSigFile(`${absolute}.sig`);
  let stream: fs.ReadStream;
  try {
    if (!fs.statSync(absolute).isFile())
      throw Object.assign(new Error("it is not a file"), { code: "EISDIR" });
    stream = fs.createReadStream(absolute, context.signal === undefined ? {} : { signal: context.signal });
  } catch (err) {
    throw unreadable(absolute, err);
  }
  let extracted;
  try {
    extracted = await extractTarball(stream, context.staging, {
      pkg: path.basename(absolute),
      source: absolute,
      expected: context.integrity === undefined ? [] : [{ integrity: context.integrity, from: "caller" }],
    });
  } catch (err) {
    if (context.signal?.aborted === true) throw abortError(context.signal, `the fetch of ${absolute}`);
    throw err instanceof ChipsetError ? err : unreadable(absolute, err);
  } finally {
    stream.destroy();
  }
  const identity = readDirectoryIdentity(context.staging, absolute);
  expectName(name, identity.name, absolute);
  const pkg = `${identity.name}@${identity.version}`;
  if ("problem" in signatures)
    throw signatureInvalid(pkg, absolute, "mismatch", undefined, signatures.problem);
  const signature = verifySignatures(
    { name: identity.name, version: identity.version, integrity: extracted.integrity, source: absolute },
    signatures.list,
    context.trust,
  );
  const { digest } = stagedTree(context.staging, pkg, absolute);
  return {
    dir: context.staging,
    name: identity.name,
    version: identity.version,
    integrity: extracted.integrity,
    digest,
    signature,
    source: { kind: "tarball", location: absolute },
    bytes: extracted.bytes,
  };
}

/** The signatures in `sigFile` (none when there is no such file), or why it cannot be used. */
function readSigFile(sigFile: string): { list: PackageSignature[] } | { problem: string } {
  let text: string;
  try {
    text = readRegularFile(sigFile, MAX_SIG_BYTES);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { list: [] };
    return { problem: `The signature file ${sigFile} cannot be read (${messageOf(err)})` };
  }
  try {
    return { list: signaturesOfSigFile(JSON.parse(text)) };
  } catch (err) {
    return {
      problem: `The signature file ${sigFile} is not JSON of the form { "keyid": ..., "sig": ... } or an array of them (${messageOf(err)})`,
    };
  }
}

function unreadable(file: string, err: unknown): ChipsetError {
  return sourceFailed(
    { reason: "unreadable", source: file, status: (err as { code?: string }).code, cause: err },
    `Cannot read the package tarball ${file} (${messageOf(err)})`,
    "Check the path: a tarball source is a .tgz file made by `npm pack`.",
  );
}
