/** Error thrown when a tool cannot be provisioned into the cache (the one error type of this package). */
export class ProvisionError extends Error {
  override name = "ProvisionError";
}
