import { createHash } from "node:crypto";
import type { DuckDBConnection } from "@duckdb/node-api";
import { ErrorCode, LangtianError } from "@langtian/errors";
import { LAKE, quoteIdent, quoteString } from "@langtian/lake";
import { PartitionFencedError, runInTransaction } from "./lake-transaction.ts";

/** Lake schema holding the writer's own state (positions, leases, window state). */
export const STATE_SCHEMA = "lake_writer";

/** One partition of one source: a Kafka topic partition or a JetStream stream. */
export interface PartitionKey {
  /** e.g. `kafka:device-events` or `jetstream:EVENTS`. */
  source: string;
  /** Partition number as text (`"0"`), or the consumer name for JetStream. */
  partition: string;
}

/**
 * A writer's claim on a partition: the epoch it got and the position the lake says
 * comes next. Only the holder of the latest epoch can advance the position.
 */
export interface PartitionLease {
  key: PartitionKey;
  owner: string;
  epoch: bigint;
  /** Next Kafka offset / stream sequence to read, or null when nothing was ever written. */
  nextPosition: bigint | null;
  /** Fully qualified ledger table of this partition. */
  table: string;
}

/**
 * Name of the ledger table of one partition. Each partition gets its own one-row table
 * because DuckLake detects conflicts per table: writers of different partitions never
 * conflict, while a zombie and the new owner of the same partition always do.
 */
export function ledgerTable(key: PartitionKey): string {
  const readable = `${key.source}_${key.partition}`.replace(/[^A-Za-z0-9]+/g, "_").slice(0, 60);
  const hash = createHash("sha256").update(`${key.source}\u0000${key.partition}`).digest("hex").slice(0, 8);
  return `${LAKE}.${STATE_SCHEMA}.${quoteIdent(`pos_${readable}_${hash}`.toLowerCase())}`;
}

/** Creates the state schema (idempotent; safe to race with other writers). */
export async function ensureStateSchema(connection: DuckDBConnection): Promise<void> {
  await runInTransaction(
    connection,
    () => connection.run(`CREATE SCHEMA IF NOT EXISTS ${LAKE}.${STATE_SCHEMA}`),
    {
      maxRetries: 10,
    },
  );
}

/** The columns of a ledger table, as `CREATE TABLE` takes them. */
export const LEDGER_COLUMNS =
  "source VARCHAR, partition_id VARCHAR, next_position BIGINT, owner VARCHAR, epoch BIGINT, " +
  "updated_at TIMESTAMPTZ, watermark_us BIGINT";

/**
 * Takes ownership of a partition: bumps its epoch in the lake (creating its ledger row on
 * first use) and returns the lease with the lake's next position. Any writer still
 * holding an older epoch is fenced from then on.
 *
 * The ledger row is created with its table, in one transaction, and a claim only ever
 * rewrites that row. DuckLake refuses the second of two concurrent transactions that create
 * the same table or change the same table's rows, but never two that only append: two
 * writers that each inserted a first row into an empty ledger would both commit, leave two
 * rows, and each advance its own, writing the partition's events twice.
 */
export async function claimPartition(
  connection: DuckDBConnection,
  key: PartitionKey,
  owner: string,
): Promise<PartitionLease> {
  const table = ledgerTable(key);
  const name = `${key.source}/${key.partition}`;
  await runInTransaction(
    connection,
    async () => {
      await connection.run(`CREATE TABLE IF NOT EXISTS ${table} (${LEDGER_COLUMNS})`);
      const rows = await connection.runAndReadAll(`SELECT count(*) FROM ${table}`);
      // Epoch 0 and no owner: nobody holds the partition until the first claim below.
      if (Number(rows.getRows()[0]?.[0] ?? 0) === 0) {
        await connection.run(
          `INSERT INTO ${table} VALUES (${quoteString(key.source)}, ${quoteString(key.partition)}, NULL, NULL, 0, now(), NULL)`,
        );
      }
    },
    { maxRetries: 10 },
  );
  return runInTransaction(
    connection,
    async () => {
      const reader = await connection.runAndReadAll(
        `SELECT next_position, epoch, watermark_us FROM ${table}`,
      );
      const rows = reader.getRows();
      const current = rows[0];
      if (!current) throw new LedgerCorruptError(name, "it has no row");
      const positions = new Set(rows.map((r) => (r[0] === null ? "none" : String(r[0]))));
      if (positions.size > 1) {
        throw new LedgerCorruptError(
          name,
          `it has ${rows.length} rows with different positions (${[...positions].sort().join(", ")}); ` +
            "compare the partition's events in the lake with its source before fixing the ledger by hand",
        );
      }
      const epoch = rows.reduce((max, r) => ((r[1] as bigint) > max ? (r[1] as bigint) : max), 0n) + 1n;
      if (rows.length === 1) {
        await connection.run(`UPDATE ${table} SET owner = $1, epoch = $2, updated_at = now()`, [
          owner,
          epoch,
        ]);
      } else {
        // Seeded twice (an empty ledger two writers claimed at once, before anything was
        // written: their rows agree on the position): one row again. Concurrent repairs delete
        // the same rows, so DuckLake lets one of them commit.
        const watermark = rows.find((r) => r[2] !== null)?.[2] ?? null;
        await connection.run(`DELETE FROM ${table}`);
        await connection.run(`INSERT INTO ${table} VALUES ($1, $2, $3, $4, $5, now(), $6)`, [
          key.source,
          key.partition,
          current[0] ?? null,
          owner,
          epoch,
          watermark,
        ]);
      }
      const nextPosition = current[0] === null ? null : (current[0] as bigint);
      return { key, owner, epoch, nextPosition, table };
    },
    { maxRetries: 20 },
  );
}

/** A partition's ledger cannot say who owns it or where it stands; nothing is claimed. */
export class LedgerCorruptError extends LangtianError {
  override readonly code = ErrorCode.dataLoss;
  override name = "LedgerCorruptError";
  constructor(partition: string, what: string) {
    super(`partition ${partition}: the lake's position ledger is damaged: ${what}`);
  }
}

/**
 * Inside the caller's transaction: moves the partition's position forward, but only if
 * `lease` still holds the latest epoch. Throws {@link PartitionFencedError} otherwise,
 * so the caller rolls the whole batch back. A concurrent claim that has not committed
 * yet makes the commit itself conflict instead. With `expected` (null: no position yet),
 * also only if the ledger still holds that position; otherwise throws
 * {@link PositionMovedError} (an earlier commit landed after it was reported failed).
 */
export async function advancePartition(
  connection: DuckDBConnection,
  lease: PartitionLease,
  nextPosition: bigint,
  watermarkMicros?: bigint,
  expected?: bigint | null,
): Promise<void> {
  const checkPosition = expected !== undefined;
  const result = await connection.run(
    `UPDATE ${lease.table} SET next_position = $1, updated_at = now(), ` +
      "watermark_us = coalesce($4, watermark_us) WHERE epoch = $2 AND owner = $3" +
      (checkPosition ? " AND next_position IS NOT DISTINCT FROM $5" : ""),
    checkPosition
      ? [nextPosition, lease.epoch, lease.owner, watermarkMicros ?? null, expected]
      : [nextPosition, lease.epoch, lease.owner, watermarkMicros ?? null],
  );
  if (result.rowsChanged === 1) return;
  const name = `${lease.key.source}/${lease.key.partition}`;
  if (checkPosition) {
    const reader = await connection.runAndReadAll(`SELECT epoch, owner, next_position FROM ${lease.table}`);
    const row = reader.getRows()[0];
    if (row && row[0] === lease.epoch && row[1] === lease.owner) {
      throw new PositionMovedError(name, expected ?? null, row[2] === null ? null : (row[2] as bigint));
    }
  }
  throw new PartitionFencedError([name]);
}

/** The ledger holds another position than the commit was built on (still this writer's lease). */
export class PositionMovedError extends LangtianError {
  override readonly code = ErrorCode.aborted;
  override name = "PositionMovedError";
  constructor(partition: string, expected: bigint | null, found: bigint | null) {
    super(`partition ${partition}: the lake holds position ${found}, the batch was read from ${expected}`);
  }
}

/** Inside a transaction: the partition's event-time watermark (µs since the epoch), or null. */
export async function readWatermark(
  connection: DuckDBConnection,
  lease: PartitionLease,
): Promise<bigint | null> {
  const reader = await connection.runAndReadAll(`SELECT watermark_us FROM ${lease.table}`);
  const value = reader.getRows()[0]?.[0];
  return value === undefined || value === null ? null : (value as bigint);
}

/** Reads a partition's committed position without claiming it (lag, tests, tools). */
export async function readPartitionPosition(
  connection: DuckDBConnection,
  key: PartitionKey,
): Promise<bigint | null> {
  try {
    const reader = await connection.runAndReadAll(`SELECT next_position FROM ${ledgerTable(key)}`);
    const value = reader.getRows()[0]?.[0];
    return value === undefined || value === null ? null : (value as bigint);
  } catch (err) {
    // The ledger table appears with the first claim; before that nothing was written.
    if (err instanceof Error && /does not exist/i.test(err.message)) return null;
    throw err;
  }
}

/** A partition's ledger row as stored: position, and who holds it under which epoch. */
export interface LedgerRow {
  nextPosition: bigint | null;
  owner: string;
  epoch: bigint;
}

/**
 * Reads a partition's ledger row without claiming it, or null when it has none. Throws
 * when the catalog cannot be read (the caller retries).
 */
export async function readLedger(connection: DuckDBConnection, key: PartitionKey): Promise<LedgerRow | null> {
  const reader = await connection.runAndReadAll(
    `SELECT next_position, owner, epoch FROM ${ledgerTable(key)}`,
  );
  const row = reader.getRows()[0];
  if (!row) return null;
  return {
    nextPosition: row[0] === null ? null : (row[0] as bigint),
    owner: String(row[1]),
    epoch: row[2] as bigint,
  };
}
