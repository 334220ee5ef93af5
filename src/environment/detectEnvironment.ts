import path from "node:path";
import { adaptDefaults, type ExplicitSettings } from "./adaptDefaults.js";
import { capabilityMatrix, processFacts, type ProcessFacts } from "./capabilities.js";
import { readCgroupLimits } from "./cgroupLimits.js";
import { detectContainer, detectKubernetes } from "./detectContainer.js";
import { detectCi, detectServerless, detectWsl } from "./detectHosting.js";
import { detectMachine } from "./detectMachine.js";
import type { EnvironmentReport } from "./EnvironmentReport.js";
import { SystemFiles } from "./SystemFiles.js";

/** Where detection looks, and what it may do. Every field is optional. */
export interface DetectOptions {
  /** The directory that stands for `/` (tests pass a fixture tree of `/proc` and `/sys`). Default `/`. */
  root?: string;
  /** The environment variables. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The data directory whose disk is checked. Default `./.chipset`. */
  dataDir?: string;
  /** This process's facts (CPUs, memory, interfaces, permission model). Default: read from `os` and `process`. */
  facts?: Partial<ProcessFacts>;
  /**
   * Start a child (`node -e 0`, once per process, a few tens of ms) to find out whether children
   * can be started, rather than decide from evidence alone. Default false.
   */
  trySpawn?: boolean;
  /** What configuration set itself (wins over the adapted defaults). */
  explicit?: ExplicitSettings;
  /** When, in ms since the epoch. Default `Date.now()`. */
  now?: number;
}

/**
 * Detects what this process runs on and what it can do: the verdicts (machine, container,
 * Kubernetes, WSL, serverless, CI) each with its evidence, the capability matrix with the limits
 * found, and the defaults adapted to them. Reads some twenty small files; about a millisecond
 * (plus one child's start with `trySpawn`). Never throws: what cannot be read is reported so.
 */
export function detectEnvironment(options: DetectOptions = {}): EnvironmentReport {
  const files = new SystemFiles(options.root ?? "/", options.env ?? process.env);
  const facts: ProcessFacts = { ...processFacts(), ...options.facts };
  const limits = readCgroupLimits(files);
  const capabilities = capabilityMatrix({
    files,
    facts,
    limits,
    dataDir: path.resolve(options.dataDir ?? "./.chipset"),
    trySpawn: options.trySpawn ?? false,
  });
  return {
    at: options.now ?? Date.now(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    verdicts: {
      machine: detectMachine(files),
      container: detectContainer(files),
      kubernetes: detectKubernetes(files),
      wsl: detectWsl(files),
      serverless: detectServerless(files),
      ci: detectCi(files),
    },
    capabilities,
    defaults: adaptDefaults(capabilities, options.explicit),
  };
}
