import { ChipsetError, ErrorCodes } from "../errors/index.js";

/** Why a source failed (`details.reason` of `CHIP_ERR_SOURCE_FAILED`). */
export type SourceFailure =
  | "unreachable"
  | "timeout"
  | "unauthorized"
  | "not-found"
  | "no-version"
  | "http-error"
  | "bad-response"
  | "no-source"
  | "unreadable";

/** Why a package cannot be used (`details.reason` of `CHIP_ERR_PACKAGE_INVALID`). */
export type PackageProblem =
  | "not-a-tarball"
  | "escapes"
  | "link-outside"
  | "special-file"
  | "too-large"
  | "no-manifest"
  | "wrong-package";

/** Why a signature was refused (`details.reason` of `CHIP_ERR_SIGNATURE_INVALID`). */
export type SignatureProblem = "missing" | "unknown-key" | "mismatch";

/** The facts of a source failure; `status` is the HTTP status, or the system error code (`ECONNREFUSED`). */
export interface SourceFailureFacts {
  reason: SourceFailure;
  /** The URL or path that failed. */
  source: string;
  package?: string;
  /** The version or range asked for. */
  range?: string;
  status?: number | string;
  cause?: unknown;
}

/** `CHIP_ERR_SOURCE_FAILED`: `what` says what happened, `advice` what to check. */
export function sourceFailed(facts: SourceFailureFacts, what: string, advice: string): ChipsetError {
  const { cause, ...details } = facts;
  return new ChipsetError(ErrorCodes.SOURCE_FAILED, `${what}. ${advice}`, {
    ...(cause === undefined ? {} : { cause }),
    ...(facts.package === undefined ? {} : { module: facts.package }),
    details,
  });
}

/** Who vouched for an integrity: a registry's `dist.integrity`, the caller's option, or a cluster's catalogue. */
export type IntegrityFrom = "registry" | "caller" | "cluster";

const INTEGRITY_ADVICE: Record<IntegrityFrom, { what: string; advice: string }> = {
  registry: {
    what: "the registry's dist.integrity",
    advice:
      "The tarball was altered or damaged after it was published (or on the way): do not use it; publish it again or tell the registry's operator.",
  },
  caller: {
    what: "the integrity option",
    advice:
      "Either the package changed since the integrity was taken, or the integrity given is for another file: check both.",
  },
  cluster: {
    what: "the cluster catalogue's entry",
    advice:
      "The package in the cluster's object store was altered or damaged after it was published: it is not installed here; add it again on the node that has it (`chipset add`), which publishes it anew.",
  },
};

/** `CHIP_ERR_INTEGRITY_MISMATCH`: the bytes of `pkg` from `source` are not the ones `expected` names. */
export function integrityMismatch(
  pkg: string,
  source: string,
  expected: string,
  actual: string,
  from: IntegrityFrom,
): ChipsetError {
  const { what, advice } = INTEGRITY_ADVICE[from];
  return new ChipsetError(
    ErrorCodes.INTEGRITY_MISMATCH,
    `${pkg} from ${source} does not match its integrity (${what}): expected ${expected}, found ${actual}. Nothing was kept. ${advice}`,
    { module: pkg, details: { expected, actual, source, from } },
  );
}

/** `CHIP_ERR_SIGNATURE_INVALID` for `pkg` (`name@version`) from `source`. */
export function signatureInvalid(
  pkg: string,
  source: string,
  reason: SignatureProblem,
  keyid: string | undefined,
  /** Replaces the standard sentence (a `.sig` file that cannot be read). */
  what?: string,
): ChipsetError {
  const message =
    what !== undefined
      ? `${what}. Nothing was kept. Fix or remove the signature file.`
      : reason === "missing"
        ? `${pkg} from ${source} carries no signature and "trust.require" is true. Nothing was kept. Install a signed release (for a .tgz, a .sig file beside it), or set "trust.require" to false to accept unsigned packages.`
        : reason === "unknown-key"
          ? `${pkg} from ${source} is signed by key ${keyid ?? "(none)"}, which is not in "trust.keys", and "trust.require" is true. Nothing was kept. Add the publisher's public key to "trust.keys" if you trust it.`
          : `The signature of ${pkg} from ${source} by trusted key ${keyid ?? "(none)"} does not verify: the package or its integrity was changed after it was signed, or it was signed with another key. Nothing was kept; do not use this package, and tell its publisher.`;
  return new ChipsetError(ErrorCodes.SIGNATURE_INVALID, message, {
    module: pkg,
    details: { ...(keyid === undefined ? {} : { keyid }), package: pkg, reason, source },
  });
}

/** The facts of an unusable package. */
export interface PackageProblemFacts {
  reason: PackageProblem;
  source: string;
  package?: string;
  /** The tarball entry (path inside it) or file at fault. */
  entry?: string;
  cause?: unknown;
}

const UNSAFE =
  "Do not use this package: it is built to write outside its directory or to make devices. Tell its publisher.";
const PACKAGE_ADVICE: Readonly<Record<PackageProblem, string>> = {
  "not-a-tarball": "Check that the file is a tarball made by `npm pack` and that it was copied whole.",
  escapes: UNSAFE,
  "link-outside": UNSAFE,
  "special-file": UNSAFE,
  "too-large":
    "A module may hold at most 10,000 entries and 256 MiB: leave out what it does not need at run time.",
  "no-manifest": "A module's package needs a package.json with a name and a version.",
  "wrong-package": "Check that the source holds the module you meant.",
};

/** `CHIP_ERR_PACKAGE_INVALID`: `what` says what is wrong; nothing was kept. */
export function packageInvalid(facts: PackageProblemFacts, what: string): ChipsetError {
  const { cause, ...details } = facts;
  const advice = PACKAGE_ADVICE[facts.reason];
  return new ChipsetError(ErrorCodes.PACKAGE_INVALID, `${what}. Nothing was kept. ${advice}`, {
    ...(cause === undefined ? {} : { cause }),
    ...(facts.package === undefined ? {} : { module: facts.package }),
    details,
  });
}
