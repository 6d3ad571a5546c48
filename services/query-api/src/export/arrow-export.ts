import {
  type DuckDBConnection,
  type DuckDBDecimalType,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
  type DuckDBVector,
} from "@duckdb/node-api";
import {
  AsyncByteQueue,
  Binary,
  Bool,
  type Data,
  type DataType,
  DateDay,
  Decimal,
  Field,
  Float32,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMicrosecond,
  TimestampMillisecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
} from "apache-arrow";
import { jsonOf } from "../sql/cells.ts";
import type { ExportQuery } from "./export-query.ts";

/**
 * Exports as an Arrow IPC stream built in JS from DuckDB's result chunks, one record batch per
 * chunk (DuckDB's Node API has no Arrow output). Types: integers, floats, booleans, VARCHAR,
 * DATE, DECIMAL (128-bit), BLOB (Binary) and timestamps (TIMESTAMPTZ as microseconds in UTC,
 * TIMESTAMP without a zone, _S/_MS/_NS in their unit) map to their Arrow types; everything
 * else — HUGEINT, UUID, TIME, INTERVAL, ENUM, JSON — is Utf8 text, and nested values (lists,
 * structs, maps, arrays, unions) are Utf8 JSON text. Returns the rows written.
 */
export async function exportArrow(
  c: DuckDBConnection,
  query: ExportQuery,
  write: (bytes: Uint8Array) => Promise<void>,
  signal: AbortSignal,
): Promise<bigint> {
  const prepared = await c.prepare(query.sql);
  try {
    if (Object.keys(query.params).length > 0) prepared.bind(query.params);
    const result = await prepared.stream();
    const types = result.columnTypes();
    const columns = result.columnNames().map((name, i) => arrowColumnOf(name, types[i] as DuckDBType));
    const schema = new Schema(columns.map((col) => col.field));
    const sink = new TakeableByteQueue();
    const writer = new RecordBatchStreamWriter();
    writer.reset(sink, schema);
    let rows = 0n;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      const chunk = await result.fetchChunk();
      if (chunk === null || chunk.rowCount === 0) break;
      const length = chunk.rowCount;
      const children = columns.map((col, i) => col.build(chunk.getColumnVector(i), length));
      const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
      writer.write(new RecordBatch(schema, struct));
      rows += BigInt(length);
      await write(sink.take());
    }
    writer.finish();
    await write(sink.take());
    return rows;
  } finally {
    prepared.destroySync();
  }
}

/** The writer's sink, emptied after each batch so bytes never pile up. */
class TakeableByteQueue extends AsyncByteQueue {
  private parts: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.parts.push(value);
  }
  take(): Uint8Array {
    const joined = Buffer.concat(this.parts);
    this.parts = [];
    return joined;
  }
}

interface ArrowColumn {
  readonly field: Field;
  build(vector: DuckDBVector, length: number): Data;
}

type IntArray =
  | Int8ArrayConstructor
  | Int16ArrayConstructor
  | Int32ArrayConstructor
  | Uint8ArrayConstructor
  | Uint16ArrayConstructor
  | Uint32ArrayConstructor
  | Float32ArrayConstructor
  | Float64ArrayConstructor;

/** Maps one DuckDB column to an Arrow field and the code that fills it from a vector. */
export function arrowColumnOf(name: string, type: DuckDBType): ArrowColumn {
  const column = <T extends DataType>(
    arrowType: T,
    build: (vector: DuckDBVector, length: number) => Data,
  ) => ({
    field: new Field(name, arrowType, true),
    build,
  });
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return column(new Bool(), (v, n) => booleans(new Bool(), v, n));
    case DuckDBTypeId.TINYINT:
      return column(new Int8(), (v, n) => numbers(new Int8(), Int8Array, v, n));
    case DuckDBTypeId.SMALLINT:
      return column(new Int16(), (v, n) => numbers(new Int16(), Int16Array, v, n));
    case DuckDBTypeId.INTEGER:
      return column(new Int32(), (v, n) => numbers(new Int32(), Int32Array, v, n));
    case DuckDBTypeId.UTINYINT:
      return column(new Uint8(), (v, n) => numbers(new Uint8(), Uint8Array, v, n));
    case DuckDBTypeId.USMALLINT:
      return column(new Uint16(), (v, n) => numbers(new Uint16(), Uint16Array, v, n));
    case DuckDBTypeId.UINTEGER:
      return column(new Uint32(), (v, n) => numbers(new Uint32(), Uint32Array, v, n));
    case DuckDBTypeId.FLOAT:
      return column(new Float32(), (v, n) => numbers(new Float32(), Float32Array, v, n));
    case DuckDBTypeId.DOUBLE:
      return column(new Float64(), (v, n) => numbers(new Float64(), Float64Array, v, n));
    case DuckDBTypeId.BIGINT:
      return column(new Int64(), (v, n) => bigints(new Int64(), BigInt64Array, v, n, (x) => x as bigint));
    case DuckDBTypeId.UBIGINT:
      return column(new Uint64(), (v, n) => bigints(new Uint64(), BigUint64Array, v, n, (x) => x as bigint));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return column(new TimestampMicrosecond("UTC"), (v, n) =>
        bigints(
          new TimestampMicrosecond("UTC"),
          BigInt64Array,
          v,
          n,
          (x) => (x as { micros: bigint }).micros,
        ),
      );
    case DuckDBTypeId.TIMESTAMP:
      return column(new TimestampMicrosecond(), (v, n) =>
        bigints(new TimestampMicrosecond(), BigInt64Array, v, n, (x) => (x as { micros: bigint }).micros),
      );
    case DuckDBTypeId.TIMESTAMP_S:
      return column(new TimestampSecond(), (v, n) =>
        bigints(new TimestampSecond(), BigInt64Array, v, n, (x) => (x as { seconds: bigint }).seconds),
      );
    case DuckDBTypeId.TIMESTAMP_MS:
      return column(new TimestampMillisecond(), (v, n) =>
        bigints(new TimestampMillisecond(), BigInt64Array, v, n, (x) => (x as { millis: bigint }).millis),
      );
    case DuckDBTypeId.TIMESTAMP_NS:
      return column(new TimestampNanosecond(), (v, n) =>
        bigints(new TimestampNanosecond(), BigInt64Array, v, n, (x) => (x as { nanos: bigint }).nanos),
      );
    case DuckDBTypeId.DATE:
      return column(new DateDay(), (v, n) => dates(v, n));
    case DuckDBTypeId.DECIMAL: {
      const { width, scale } = type as DuckDBDecimalType;
      return column(new Decimal(scale, width, 128), (v, n) => decimals(new Decimal(scale, width, 128), v, n));
    }
    case DuckDBTypeId.BLOB:
      return column(new Binary(), (v, n) =>
        variableWidth(new Binary(), v, n, (x) => (x as { bytes: Uint8Array }).bytes),
      );
    case DuckDBTypeId.VARCHAR:
      return column(new Utf8(), (v, n) => variableWidth(new Utf8(), v, n, (x) => x as string));
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.UNION:
      return column(new Utf8(), (v, n) =>
        variableWidth(new Utf8(), v, n, (x) => JSON.stringify(jsonOf(x, type))),
      );
    default:
      return column(new Utf8(), (v, n) => variableWidth(new Utf8(), v, n, (x) => String(x)));
  }
}

function setBit(bits: Uint8Array, i: number): void {
  bits[i >> 3] = (bits[i >> 3] as number) | (1 << (i & 7));
}

/** A validity bitmap (bit set = valid) and the null count, filled as the values are read. */
function validity(length: number) {
  return { bitmap: new Uint8Array((length + 7) >> 3), nullCount: 0 };
}

function numbers(type: DataType, ArrayType: IntArray, vector: DuckDBVector, length: number): Data {
  const values = new ArrayType(length);
  const valid = validity(length);
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) valid.nullCount++;
    else {
      values[i] = value as number;
      setBit(valid.bitmap, i);
    }
  }
  return makeData({
    type,
    length,
    nullCount: valid.nullCount,
    nullBitmap: valid.bitmap,
    data: values,
  } as never);
}

function bigints(
  type: DataType,
  ArrayType: BigInt64ArrayConstructor | BigUint64ArrayConstructor,
  vector: DuckDBVector,
  length: number,
  read: (value: DuckDBValue) => bigint,
): Data {
  const values = new ArrayType(length);
  const valid = validity(length);
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) valid.nullCount++;
    else {
      values[i] = read(value);
      setBit(valid.bitmap, i);
    }
  }
  return makeData({
    type,
    length,
    nullCount: valid.nullCount,
    nullBitmap: valid.bitmap,
    data: values,
  } as never);
}

function booleans(type: Bool, vector: DuckDBVector, length: number): Data<Bool> {
  const values = new Uint8Array((length + 7) >> 3);
  const valid = validity(length);
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) valid.nullCount++;
    else {
      if (value === true) setBit(values, i);
      setBit(valid.bitmap, i);
    }
  }
  return makeData({ type, length, nullCount: valid.nullCount, nullBitmap: valid.bitmap, data: values });
}

function dates(vector: DuckDBVector, length: number): Data<DateDay> {
  const values = new Int32Array(length);
  const valid = validity(length);
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) valid.nullCount++;
    else {
      values[i] = (value as { days: number }).days;
      setBit(valid.bitmap, i);
    }
  }
  return makeData({
    type: new DateDay(),
    length,
    nullCount: valid.nullCount,
    nullBitmap: valid.bitmap,
    data: values,
  });
}

/** 128-bit two's complement, little-endian, as four 32-bit words per value. */
function decimals(type: Decimal, vector: DuckDBVector, length: number): Data<Decimal> {
  const words = new Uint32Array(length * 4);
  const valid = validity(length);
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) {
      valid.nullCount++;
      continue;
    }
    let x = BigInt.asUintN(128, (value as { value: bigint }).value);
    for (let w = 0; w < 4; w++) {
      words[i * 4 + w] = Number(x & 0xffffffffn);
      x >>= 32n;
    }
    setBit(valid.bitmap, i);
  }
  return makeData({ type, length, nullCount: valid.nullCount, nullBitmap: valid.bitmap, data: words });
}

/** Utf8 or Binary: values laid end to end with 32-bit offsets. */
function variableWidth(
  type: Utf8 | Binary,
  vector: DuckDBVector,
  length: number,
  read: (value: DuckDBValue) => string | Uint8Array,
): Data {
  const offsets = new Int32Array(length + 1);
  const valid = validity(length);
  const items: (string | Uint8Array | null)[] = new Array(length);
  let capacity = 0;
  for (let i = 0; i < length; i++) {
    const value = vector.getItem(i);
    if (value === null) {
      items[i] = null;
      valid.nullCount++;
      continue;
    }
    const item = read(value);
    items[i] = item;
    // Upper bound: a UTF-16 code unit takes at most 3 UTF-8 bytes.
    capacity += typeof item === "string" ? item.length * 3 : item.byteLength;
    setBit(valid.bitmap, i);
  }
  const data = Buffer.allocUnsafe(capacity);
  let end = 0;
  for (let i = 0; i < length; i++) {
    const item = items[i];
    if (typeof item === "string") end += data.write(item, end, "utf8");
    else if (item !== null && item !== undefined) {
      data.set(item, end);
      end += item.byteLength;
    }
    offsets[i + 1] = end;
  }
  return makeData({
    type,
    length,
    nullCount: valid.nullCount,
    nullBitmap: valid.bitmap,
    valueOffsets: offsets,
    data: data.subarray(0, end),
  } as never);
}
