export { Database, type DatabaseOptions } from "./Database.js";
