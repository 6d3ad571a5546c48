/**
 * Every named task of the repository. Each entry loads its module lazily, so tasks that
 * need node_modules are only imported after dependencies are installed.
 */
export const tasks: Record<string, () => Promise<void>> = {
  lint: async () => (await import("./lint.ts")).lint(),
  format: async () => (await import("./lint.ts")).format(),
  typecheck: async () => (await import("./typecheck.ts")).typecheck(),
  provision: async () => (await import("./provision.ts")).provision(),
  kafka: async () => (await import("./kafka.ts")).kafka(),
  "proto:generate": async () => (await import("./proto.ts")).generate(),
  "proto:check": async () => (await import("./proto.ts")).check(),
  "proto:baseline": async () => (await import("./proto.ts")).baseline(),
  "proto:artifacts": async () => (await import("./proto.ts")).artifacts(),
  "package:windows": async () => (await import("../../deploy/windows/bundle.ts")).packageWindows(),
  "web:build": async () => (await import("./web.ts")).webBuild(),
  "test:web": async () => (await import("./web.ts")).webTests(),
  "test:node": async () => (await import("./node-tests.ts")).nodeTests(),
  "test:unit": async () => (await import("./unit-tests.ts")).unitTests(),
  "test:workspace": async () => (await import("./node-tests.ts")).workspaceTests(),
};

/**
 * The order `npm test` runs tasks in: cheap static checks first, servers last. The web UI is
 * built before `test:node`, whose browser tests drive the admin serving that build. Provisioning
 * is not a step: `npm test` starts it in the background first, and `test:node` waits for what
 * each of its batches needs (scripts/test.ts).
 */
export const testSequence = [
  "lint",
  "typecheck",
  "proto:check",
  "web:build",
  "test:web",
  "test:node",
] as const;
