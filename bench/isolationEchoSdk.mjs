/**
 * The bare echo of bench/isolationEcho.mjs, started with Chipset's SDK already imported, as a
 * blank pool host starts: the peer of a warm-pool load (its first dynamic `import()` is the
 * module's, as in the pool host).
 */
import "chipset/module";
import "./isolationEcho.mjs";
