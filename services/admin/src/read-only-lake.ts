import { DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { attachLake, type LakeConfig, requireDuckdbExtensions } from "@langtian/lake";

/** The lake attached read-only, opened on first use, one connection per user of it. */
export interface ReadOnlyLake {
  /**
   * A connection of its own for one user (one statement at a time per connection), on the one
   * instance every user shares. Opening is retried on the next call after a failure: the lake
   * may not exist yet before the writer's first commit.
   */
  connection(user: string): Promise<DuckDBConnection>;
  close(): void;
}

/** Creates it; nothing is opened before the first {@link ReadOnlyLake.connection}. */
export function createReadOnlyLake(config: LakeConfig, extensionDir: string): ReadOnlyLake {
  let opened: Promise<DuckDBInstance> | undefined;
  const connections = new Map<string, DuckDBConnection>();
  const open = async () => {
    const extensions = await requireDuckdbExtensions(extensionDir);
    const instance = await DuckDBInstance.create(":memory:", {
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "false",
    });
    const setup = await DuckDBConnection.create(instance);
    try {
      await attachLake(setup, config, extensions, { readOnly: true });
    } catch (err) {
      setup.closeSync();
      instance.closeSync();
      throw err;
    }
    setup.closeSync();
    return instance;
  };
  return {
    async connection(user) {
      const existing = connections.get(user);
      if (existing !== undefined) return existing;
      opened ??= open();
      const instance = await opened.catch((err: unknown) => {
        opened = undefined;
        throw err;
      });
      const created = await DuckDBConnection.create(instance);
      connections.set(user, created);
      return created;
    },
    close() {
      for (const c of connections.values()) c.closeSync();
      connections.clear();
      void opened?.then(
        (instance) => instance.closeSync(),
        () => undefined,
      );
      opened = undefined;
    },
  };
}
