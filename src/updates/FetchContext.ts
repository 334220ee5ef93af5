import type { RegistryClient } from "./RegistryClient.js";
import { packageInvalid } from "./sourceErrors.js";
import type { TrustConfig } from "./UpdateConfig.js";

/** What one fetch works with: the trust settings, the registries, its staging directory and options. */
export interface FetchContext {
  readonly trust: TrustConfig;
  readonly registry: RegistryClient;
  /** The staging directory, made and empty. */
  readonly staging: string;
  /** The caller's SRI, already checked to parse. */
  readonly integrity: string | undefined;
  readonly signal: AbortSignal | undefined;
  readonly timeoutMs: number | undefined;
}

/** Throws `CHIP_ERR_PACKAGE_INVALID` (`wrong-package`) when the package is not the module `wanted`. */
export function expectName(wanted: string | undefined, found: string, source: string): void {
  if (wanted === undefined || wanted === found) return;
  throw packageInvalid(
    { reason: "wrong-package", source, package: found },
    `${source} holds ${found}, not ${wanted}`,
  );
}
