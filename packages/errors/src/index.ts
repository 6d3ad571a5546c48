/** @langtian/errors: the one error base and its codes. */
export { ErrorCode } from "./error-code.ts";
export { isLangtianError, LangtianError } from "./langtian-error.ts";
