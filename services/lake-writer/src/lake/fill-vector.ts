import bindings, { type Vector } from "@duckdb/node-bindings";
import type { CellValue, ColumnType } from "./columns.ts";

/** Bytes of one DuckDB `string_t`: a 4-byte length, then 12 inlined bytes or a prefix and a pointer. */
const STRING_BYTES = 16;
/** Longest string DuckDB keeps inside its `string_t` instead of on a heap. */
const INLINE_BYTES = 12;

const encoder = new TextEncoder();

/**
 * Writes column `index` of `rows[from … from + count)` into a data chunk's vector, as the
 * node API's `setColumnValues` would (same conversions, same range errors) but with one
 * copy per column instead of one native call per cell: numbers and timestamps go through
 * a typed array, NULLs through one validity mask, and text of at most 12 UTF-8 bytes is
 * written in DuckDB's inlined string layout. Only longer text and BLOBs still take one
 * native call per cell (DuckDB must own their bytes). A text column holding one value in
 * every row becomes a constant vector: its value is copied once.
 */
export function fillVector(
  vector: Vector,
  type: ColumnType,
  rows: readonly CellValue[][],
  index: number,
  from: number,
  count: number,
): void {
  let validity: Uint8Array<ArrayBuffer> | undefined;
  const setNull = (row: number) => {
    validity ??= new Uint8Array(Math.ceil(count / 64) * 8).fill(0xff);
    validity[row >> 3] = (validity[row >> 3] as number) & ~(1 << (row & 7));
  };
  switch (type) {
    case "VARCHAR":
    case "JSON": {
      const constant = sameString(rows, index, from, count);
      if (constant !== undefined) {
        bindings.vector_reference_value(vector, bindings.create_varchar(constant));
        return;
      }
      const data = new Uint8Array(count * STRING_BYTES);
      const lengths = new DataView(data.buffer);
      const long: number[] = [];
      for (let row = 0; row < count; row++) {
        const cell = rows[from + row]?.[index] ?? null;
        if (cell === null) {
          setNull(row);
          continue;
        }
        const text = typeof cell === "string" ? cell : String(cell);
        if (!writeInlineAscii(data, row * STRING_BYTES, text)) long.push(row);
        else lengths.setUint32(row * STRING_BYTES, text.length, true);
      }
      bindings.copy_data_to_vector(vector, 0, data.buffer, 0, data.byteLength);
      // After the copy: each call overwrites its whole string_t with a pointer to DuckDB's copy.
      for (const row of long) {
        const cell = rows[from + row]?.[index];
        bindings.vector_assign_string_element(vector, row, typeof cell === "string" ? cell : String(cell));
      }
      break;
    }
    case "BLOB":
      for (let row = 0; row < count; row++) {
        const cell = rows[from + row]?.[index] ?? null;
        if (cell === null) setNull(row);
        else
          bindings.vector_assign_string_element_len(
            vector,
            row,
            cell instanceof Uint8Array ? cell : encoder.encode(String(cell)),
          );
      }
      break;
    case "BIGINT":
    case "TIMESTAMPTZ":
      copyNumbers(vector, new BigInt64Array(count), rows, index, from, setNull, toInt64);
      break;
    case "INTEGER":
      copyNumbers(vector, new Int32Array(count), rows, index, from, setNull, toInt32);
      break;
    case "DOUBLE":
      copyNumbers(vector, new Float64Array(count), rows, index, from, setNull, Number);
      break;
    case "BOOLEAN":
      copyNumbers(vector, new Uint8Array(count), rows, index, from, setNull, (cell) => (cell ? 1 : 0));
      break;
  }
  if (validity) {
    bindings.vector_ensure_validity_writable(vector);
    bindings.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, validity.byteLength);
  }
}

/** A typed array a numeric column is built in before its one copy into the vector. */
interface NumberColumn<T> {
  readonly length: number;
  [row: number]: T;
  readonly buffer: ArrayBuffer;
  readonly byteLength: number;
}

/** Fills `data` with the converted cells (NULLs through `setNull`) and copies it into the vector. */
function copyNumbers<T extends number | bigint>(
  vector: Vector,
  data: NumberColumn<T>,
  rows: readonly CellValue[][],
  index: number,
  from: number,
  setNull: (row: number) => void,
  convert: (cell: Exclude<CellValue, null>) => T,
): void {
  for (let row = 0; row < data.length; row++) {
    const cell = rows[from + row]?.[index] ?? null;
    if (cell === null) setNull(row);
    else data[row] = convert(cell);
  }
  bindings.copy_data_to_vector(vector, 0, data.buffer, 0, data.byteLength);
}

/** A BIGINT / TIMESTAMPTZ cell, with the node API's range check. */
function toInt64(cell: Exclude<CellValue, null>): bigint {
  const value = typeof cell === "bigint" ? cell : BigInt(cell as number);
  if (BigInt.asIntN(64, value) !== value) throw new Error("bigint out of int64 range");
  return value;
}

/** An INTEGER cell, with the node API's checks. */
function toInt32(cell: Exclude<CellValue, null>): number {
  const value = Number(cell);
  if (!Number.isInteger(value)) throw new Error("number is not an integer");
  if (value < -2147483648 || value > 2147483647) throw new Error("number out of int32 range");
  return value;
}

/**
 * Writes `text` as an inlined DuckDB string (bytes after the 4-byte length, rest left zero
 * as DuckDB's own comparisons expect) when it is ASCII and at most 12 bytes. False leaves
 * the text for a native call; bytes written so far are overwritten by that call.
 */
function writeInlineAscii(data: Uint8Array, offset: number, text: string): boolean {
  if (text.length > INLINE_BYTES) return false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return false;
    data[offset + 4 + i] = code;
  }
  return true;
}

/** The string every row holds in column `index`, or undefined when they differ (or one is not a string). */
function sameString(
  rows: readonly CellValue[][],
  index: number,
  from: number,
  count: number,
): string | undefined {
  const first = rows[from]?.[index];
  if (typeof first !== "string") return undefined;
  for (let row = from + 1; row < from + count; row++) if (rows[row]?.[index] !== first) return undefined;
  return first;
}
