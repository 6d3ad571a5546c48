/**
 * @langtian/admin: the whole pipeline at a glance, drain before upgrade, audit; the `langtian`
 * CLI. Test helpers are the `./testing` subpath.
 */
export { type AdminApp, type AdminDeps, createApp } from "./app.ts";
export { type AdminConfig, adminConfigSchema, loadAdminConfig } from "./config.ts";
export { type InstanceSpec, parseDeployment, Stage } from "./deployment.ts";
