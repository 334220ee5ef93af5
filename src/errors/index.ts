export { ChipsetError, hasCode, messageOf, type ChipsetErrorOptions } from "./ChipsetError.js";
export { ErrorCodes, type ErrorCode } from "./codes.js";
