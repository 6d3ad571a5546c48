/**
 * Test helpers of the provisioning package (`@langtian/provision/testing`), for its own tests
 * and the scripts' provisioning tests.
 */
export { tempDirsRemovedAfterTests } from "./temp-dirs.ts";
