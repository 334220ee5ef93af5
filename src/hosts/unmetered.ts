/** The face of the I/O meters (`hosts/io/`) to the rest of the runtime: reads it makes for itself are charged to no module. */
export { unmetered } from "./io/ioMeters.js";
