/** Test helpers of the admin service (`@langtian/admin/testing`): the CLI as a child process. */
export { runCli } from "./run-cli.ts";
