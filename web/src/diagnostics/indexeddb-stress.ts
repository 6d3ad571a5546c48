/**
 * The IndexedDB stress test of the Diagnostics page, in plain DOM code (no React, no imports),
 * so the browser benchmark (bench/web/indexeddb-bench.ts) loads this very file into a page and
 * runs exactly what a user runs inside WebView2.
 *
 * Steps, each timed: write `count` records the efficient way (a few large transactions, every
 * `put` issued without waiting for the one before, durability "relaxed"); the same records the
 * naive way (one transaction per 1,000 records, each `put` awaited, default durability);
 * read them all back (`getAll`); an index range query (a tenth of the records by time); close
 * and reopen the database and count. The database is kept afterwards, so a reload of the page
 * can check that it is still there ({@link reopenCheck}).
 *
 * Beside them, the same records stored in chunks (1,000 records per IndexedDB value, keyed by
 * the chunk's first time): Chromium pays a fixed cost per request (a message to the browser
 * process, a row of its database, one per index), so a store of many small rows is bound by
 * the request count, whatever the transactions; chunks cut it a thousandfold.
 */

/** Options of {@link runIndexedDbStress}. */
export interface StressOptions {
  /** Records written by each way. Default 100,000. */
  readonly count?: number;
  /** Records per transaction of the efficient write. Default 25,000 (four transactions for 100k). */
  readonly batchSize?: number;
  /** Records per transaction of the naive loop. Default 1,000. */
  readonly naiveBatchSize?: number;
  /** Records the naive loop writes. Default `count`; 0 skips it. */
  readonly naiveCount?: number;
  /** Records per value of the chunked variant. Default 1,000; 0 skips it. */
  readonly chunkSize?: number;
  /** Database name. Default {@link STRESS_DB_NAME}. */
  readonly dbName?: string;
  /** The IndexedDB factory (tests pass fake-indexeddb's). Default the page's. */
  readonly indexedDB?: IDBFactory;
  /** Called before each step, for a progress line. */
  readonly onStep?: (step: StressStep) => void;
}

/** A step of the stress test, in order. */
export const StressStep = {
  write: "write",
  naiveWrite: "naiveWrite",
  readAll: "readAll",
  rangeQuery: "rangeQuery",
  reopen: "reopen",
  chunkedWrite: "chunkedWrite",
  chunkedReadAll: "chunkedReadAll",
  chunkedRangeQuery: "chunkedRangeQuery",
} as const;
/** A step of the stress test. */
export type StressStep = (typeof StressStep)[keyof typeof StressStep];

/** One timed step. */
export interface StepTiming {
  readonly ms: number;
  /** Records written, read or counted. */
  readonly records: number;
  /** Transactions it used. */
  readonly transactions: number;
}

/** What {@link runIndexedDbStress} measured. */
export interface StressResult {
  readonly count: number;
  /** The efficient write. */
  readonly write: StepTiming;
  /** The naive loop (undefined when skipped). */
  readonly naiveWrite: StepTiming | undefined;
  /** `getAll` of every record. */
  readonly readAll: StepTiming;
  /** `getAll` on the time index over a tenth of the records. */
  readonly rangeQuery: StepTiming;
  /** Close, open again and count. */
  readonly reopen: StepTiming;
  /** The chunked variant's write, getAll and range query (undefined when skipped). */
  readonly chunked:
    | { readonly write: StepTiming; readonly readAll: StepTiming; readonly rangeQuery: StepTiming }
    | undefined;
  /** Records per second of the efficient write over the naive one's (per-record rates: counts may differ). */
  readonly speedup: number | undefined;
  readonly dbName: string;
}

/** One record: roughly what the offline cache keeps per row (ids, a time, a small payload). */
interface StressRecord {
  readonly id: number;
  readonly ts: number;
  readonly device: string;
  readonly value: number;
  readonly payload: string;
}

/** The database the Diagnostics page and the benchmark use. */
export const STRESS_DB_NAME = "langtian-diagnostics-stress";
const STORE = "records";
const NAIVE_STORE = "naive";
const CHUNK_STORE = "chunks";
const BY_TS = "ts";
/** Time of the first record; each next one is 10 ms later. */
const T0 = Date.UTC(2026, 0, 1);
const PAYLOAD = "x".repeat(96);

function record(i: number): StressRecord {
  return { id: i, ts: T0 + i * 10, device: `dev-${i % 64}`, value: i * 0.5, payload: PAYLOAD };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}

function open(factory: IDBFactory, name: string): Promise<IDBDatabase> {
  const req = factory.open(name, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    db.createObjectStore(STORE, { keyPath: "id" }).createIndex(BY_TS, BY_TS);
    db.createObjectStore(NAIVE_STORE, { keyPath: "id" });
    db.createObjectStore(CHUNK_STORE, { keyPath: "firstTs" });
  };
  return request(req);
}

/** Deletes the stress database (before a run, or to give its space back). */
export async function deleteStressDatabase(
  dbName = STRESS_DB_NAME,
  factory: IDBFactory = indexedDB,
): Promise<void> {
  await request(factory.deleteDatabase(dbName) as IDBRequest<unknown>);
}

// Durability "relaxed" lets the browser report completion before the disk flush: what a cache
// wants. Older engines ignore the option.
function readwrite(db: IDBDatabase, store: string, relaxed: boolean): IDBTransaction {
  return relaxed
    ? db.transaction(store, "readwrite", { durability: "relaxed" })
    : db.transaction(store, "readwrite");
}

async function writeEfficiently(db: IDBDatabase, count: number, batchSize: number): Promise<StepTiming> {
  const start = performance.now();
  let transactions = 0;
  for (let first = 0; first < count; first += batchSize) {
    const tx = readwrite(db, STORE, true);
    const store = tx.objectStore(STORE);
    const end = Math.min(count, first + batchSize);
    // Every put queued at once; the transaction's completion covers them all.
    for (let i = first; i < end; i++) store.put(record(i));
    await done(tx);
    transactions++;
  }
  return { ms: performance.now() - start, records: count, transactions };
}

async function writeNaively(db: IDBDatabase, count: number, batchSize: number): Promise<StepTiming> {
  const start = performance.now();
  let transactions = 0;
  for (let first = 0; first < count; first += batchSize) {
    const tx = readwrite(db, NAIVE_STORE, false);
    const store = tx.objectStore(NAIVE_STORE);
    const end = Math.min(count, first + batchSize);
    for (let i = first; i < end; i++) await request(store.put(record(i)));
    await done(tx);
    transactions++;
  }
  return { ms: performance.now() - start, records: count, transactions };
}

async function readAll(db: IDBDatabase): Promise<StepTiming> {
  const start = performance.now();
  const tx = db.transaction(STORE, "readonly");
  const all = await request(tx.objectStore(STORE).getAll());
  return { ms: performance.now() - start, records: all.length, transactions: 1 };
}

async function rangeQuery(db: IDBDatabase, count: number): Promise<StepTiming> {
  const { fromTs, toTs } = middleTenth(count);
  const start = performance.now();
  const tx = db.transaction(STORE, "readonly");
  const range = IDBKeyRange.bound(fromTs, toTs);
  const rows = await request(tx.objectStore(STORE).index(BY_TS).getAll(range));
  return { ms: performance.now() - start, records: rows.length, transactions: 1 };
}

/** One value of the chunked variant: consecutive records and the time span they cover. */
interface StressChunk {
  readonly firstTs: number;
  readonly lastTs: number;
  readonly records: StressRecord[];
}

async function writeChunks(db: IDBDatabase, count: number, chunkSize: number): Promise<StepTiming> {
  const start = performance.now();
  const tx = readwrite(db, CHUNK_STORE, true);
  const store = tx.objectStore(CHUNK_STORE);
  for (let first = 0; first < count; first += chunkSize) {
    const records: StressRecord[] = [];
    for (let i = first; i < Math.min(count, first + chunkSize); i++) records.push(record(i));
    const chunk: StressChunk = {
      firstTs: records[0]?.ts ?? 0,
      lastTs: records.at(-1)?.ts ?? 0,
      records,
    };
    store.put(chunk);
  }
  await done(tx);
  return { ms: performance.now() - start, records: count, transactions: 1 };
}

async function readChunks(db: IDBDatabase): Promise<StepTiming> {
  const start = performance.now();
  const chunks = (await request(
    db.transaction(CHUNK_STORE, "readonly").objectStore(CHUNK_STORE).getAll(),
  )) as StressChunk[];
  const records = chunks.flatMap((c) => c.records);
  return { ms: performance.now() - start, records: records.length, transactions: 1 };
}

async function rangeQueryChunks(db: IDBDatabase, count: number, chunkSize: number): Promise<StepTiming> {
  const { fromTs, toTs } = middleTenth(count);
  const start = performance.now();
  // Chunks are keyed by their first time: those starting up to a chunk's span before the range.
  const span = chunkSize * 10;
  const range = IDBKeyRange.bound(fromTs - span, toTs);
  const chunks = (await request(
    db.transaction(CHUNK_STORE, "readonly").objectStore(CHUNK_STORE).getAll(range),
  )) as StressChunk[];
  let records = 0;
  for (const c of chunks) for (const r of c.records) if (r.ts >= fromTs && r.ts <= toTs) records++;
  return { ms: performance.now() - start, records, transactions: 1 };
}

/** The middle tenth of the records by time (both ends included). */
function middleTenth(count: number): { fromTs: number; toTs: number } {
  const from = Math.floor(count * 0.45);
  const to = from + Math.max(1, Math.floor(count / 10)) - 1;
  return { fromTs: T0 + from * 10, toTs: T0 + to * 10 };
}

/** Options of {@link reopenCheck}. */
export interface ReopenOptions {
  readonly dbName?: string;
  readonly indexedDB?: IDBFactory;
}

/**
 * Opens the stress database and counts its records (timed): after a run, or after a reload of
 * the page, to see the data survived.
 */
export async function reopenCheck(options: ReopenOptions = {}): Promise<StepTiming> {
  const factory = options.indexedDB ?? indexedDB;
  const start = performance.now();
  const db = await open(factory, options.dbName ?? STRESS_DB_NAME);
  try {
    const tx = db.transaction(STORE, "readonly");
    const records = await request(tx.objectStore(STORE).count());
    return { ms: performance.now() - start, records, transactions: 1 };
  } finally {
    db.close();
  }
}

/** Runs the whole stress test on a fresh database; see the module's description. */
export async function runIndexedDbStress(options: StressOptions = {}): Promise<StressResult> {
  const factory = options.indexedDB ?? indexedDB;
  const dbName = options.dbName ?? STRESS_DB_NAME;
  const count = options.count ?? 100_000;
  const batchSize = options.batchSize ?? 25_000;
  const naiveCount = options.naiveCount ?? count;
  const step = options.onStep ?? (() => undefined);
  await deleteStressDatabase(dbName, factory);
  const db = await open(factory, dbName);
  let closed = false;
  try {
    step(StressStep.write);
    const write = await writeEfficiently(db, count, batchSize);
    let naiveWrite: StepTiming | undefined;
    if (naiveCount > 0) {
      step(StressStep.naiveWrite);
      naiveWrite = await writeNaively(db, naiveCount, options.naiveBatchSize ?? 1_000);
      // Its space back: the reload check and the quota should see the efficient write only.
      const tx = readwrite(db, NAIVE_STORE, true);
      tx.objectStore(NAIVE_STORE).clear();
      await done(tx);
    }
    step(StressStep.readAll);
    const all = await readAll(db);
    step(StressStep.rangeQuery);
    const range = await rangeQuery(db, count);
    const chunkSize = options.chunkSize ?? 1_000;
    let chunked: StressResult["chunked"];
    if (chunkSize > 0) {
      step(StressStep.chunkedWrite);
      const chunkedWrite = await writeChunks(db, count, chunkSize);
      step(StressStep.chunkedReadAll);
      const chunkedReadAll = await readChunks(db);
      step(StressStep.chunkedRangeQuery);
      chunked = {
        write: chunkedWrite,
        readAll: chunkedReadAll,
        rangeQuery: await rangeQueryChunks(db, count, chunkSize),
      };
      const tx = readwrite(db, CHUNK_STORE, true);
      tx.objectStore(CHUNK_STORE).clear();
      await done(tx);
    }
    db.close();
    closed = true;
    step(StressStep.reopen);
    const reopen = await reopenCheck({ dbName, indexedDB: factory });
    const rate = (t: StepTiming) => t.records / Math.max(t.ms, 0.001);
    return {
      count,
      write,
      naiveWrite,
      readAll: all,
      rangeQuery: range,
      reopen,
      chunked,
      speedup: naiveWrite === undefined ? undefined : rate(write) / rate(naiveWrite),
      dbName,
    };
  } finally {
    if (!closed) db.close();
  }
}

/** The browser's storage figures for this origin. */
export interface StorageStatus {
  /** Bytes used and the quota, as `navigator.storage.estimate()` reports (undefined where unsupported). */
  readonly usageBytes: number | undefined;
  readonly quotaBytes: number | undefined;
  /** Whether the browser keeps this origin's data under storage pressure (`navigator.storage.persisted()`). */
  readonly persisted: boolean | undefined;
}

/** Reads {@link StorageStatus}; every figure undefined where the browser lacks the API. */
export async function storageStatus(
  storage: StorageManager | undefined = globalThis.navigator?.storage,
): Promise<StorageStatus> {
  const estimate = await storage?.estimate?.().catch(() => undefined);
  const persisted = await storage?.persisted?.().catch(() => undefined);
  return { usageBytes: estimate?.usage, quotaBytes: estimate?.quota, persisted };
}
