import { afterEach, beforeEach } from "vitest";
import { createRuntime, type Runtime, type RuntimeOptions } from "../../src/index.js";
import { workspace, type Workspace } from "./fixtures.js";
import { trace } from "./trace.js";

/** Per-test state of a runtime scenario: a fresh workspace, trace log, and the runtime opened last. */
export interface RuntimeHarness {
  /** The current test's workspace (module sources and data dir). */
  readonly ws: Workspace;
  /** The current test's trace log (`globalThis.__trace`). */
  readonly log: string[];
  /** Opens a runtime on the workspace (closed after the test); a later call replaces the earlier one. */
  open(options?: RuntimeOptions): Runtime;
}

/**
 * Registers beforeEach/afterEach hooks giving every test a fresh workspace and trace log, and
 * closing the runtime it opened (even when the test failed) before removing the workspace.
 */
export function runtimeHarness(): RuntimeHarness {
  let ws: Workspace | undefined;
  let log: string[] = [];
  let runtime: Runtime | undefined;
  beforeEach(() => {
    ws = workspace();
    log = trace();
  });
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    ws?.dispose();
  });
  return {
    get ws() {
      return ws!;
    },
    get log() {
      return log;
    },
    open(options = {}) {
      runtime = createRuntime({
        dataDir: ws!.dataDir,
        moduleDirs: [ws!.modulesDir],
        logLevel: "silent",
        ...options,
      });
      return runtime;
    },
  };
}
