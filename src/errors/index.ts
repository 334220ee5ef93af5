export {
  ChipsetError,
  hasCode,
  messageOf,
  type ChipsetErrorOptions,
  type ErrorContext,
} from "./ChipsetError.js";
export { ErrorCodes, type ErrorCode } from "./codes.js";
export { errorTraits, type ErrorCategory, type ErrorSeverity, type ErrorTraits } from "./traits.js";
