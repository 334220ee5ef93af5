import type { PackageManifest } from "../vocabulary/manifest.js";
import { isWasmEntry } from "../vocabulary/wasm.js";

/** What is wrong with a WebAssembly entry and its manifest: the field, what was expected, and a sentence. */
export interface WasmEntryProblem {
  field: string;
  expected: string;
  message: string;
}

/**
 * What the manifest of a module whose entry file is `entry` gets wrong about WebAssembly, if
 * anything (see docs/dispatch.md, "WebAssembly engines"):
 * - a `.wasm` entry needs a worker or process host: a wasm call cannot be interrupted, so one
 *   over its time limit is stopped by ending its host, which an inline module shares with the
 *   runtime;
 * - `"engine": { "type": "wasm" }` and `engine.wasm` need a `.wasm` entry: the pool's name says
 *   what its members run, and the limits would have nothing to apply to.
 */
export function wasmEntryProblem(manifest: PackageManifest, entry: string): WasmEntryProblem | undefined {
  const { isolation, engine } = manifest.chipset;
  if (isWasmEntry(entry)) {
    if (isolation === "worker" || isolation === "process") return undefined;
    const expected = '"isolation": "worker" (or "process")';
    return {
      field: "chipset.isolation",
      expected,
      message:
        `its entry ${entry} is a WebAssembly module, which runs in a worker or process host (a call over its time limit ` +
        `is stopped by ending its host, and an inline module shares the runtime's); set ${expected}`,
    };
  }
  if (engine?.type === "wasm") {
    return {
      field: "chipset.engine.type",
      expected: "a .wasm entry file",
      message:
        `"engine": { "type": "wasm" } needs a .wasm entry file, but its entry is ${entry}; point "main" or "exports" at ` +
        "the .wasm file, or give a JavaScript module another engine type",
    };
  }
  if (engine?.wasm !== undefined) {
    return {
      field: "chipset.engine.wasm",
      expected: "a .wasm entry file",
      message: `"engine.wasm" sets the limits of a WebAssembly module, but its entry is ${entry}; remove it, or point "main" or "exports" at the .wasm file`,
    };
  }
  return undefined;
}
