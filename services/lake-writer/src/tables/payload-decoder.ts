import { create, type DescField, type DescMessage, type Message, ScalarType } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";

/**
 * Reads one occurrence of a field into `message`. False when the occurrence is one the fast
 * decoder leaves to `fromBinary` (unexpected wire type, too deep).
 */
type FieldReader = (
  message: Record<string, unknown>,
  reader: BinaryReader,
  wireType: WireType,
  depth: number,
) => boolean;

/** A compiled message body reader: field readers by field number. */
interface BodyReader {
  desc: DescMessage;
  fields: (FieldReader | undefined)[];
}

/** `fromBinary`'s default recursion limit: deeper input goes to `fromBinary`, which rejects it. */
const RECURSION_LIMIT = 100;

const compiled = new WeakMap<DescMessage, BodyReader | null>();

/**
 * A decoder for payload messages of `schema` that gives the same message as protobuf-es's
 * `fromBinary` — defaults from `create`, last value wins, packed and unpacked lists, oneofs,
 * repeated singular messages merge, strict UTF-8 where the field asks for it — without its
 * per-record overhead (the lake writer decodes every payload; this was its largest cost after
 * the envelope). It returns undefined, never throws, for anything it does not reproduce
 * exactly: unknown fields (`fromBinary` keeps them in `$unknown`), an unexpected wire type,
 * nesting beyond the recursion limit, or bad bytes; the caller then runs `fromBinary`, so
 * results and errors stay identical. Undefined for schemas with maps, groups, 64-bit
 * integers as strings, closed enums or well-known types other than Timestamp.
 */
export function compilePayloadDecoder(
  schema: DescMessage,
): ((bytes: Uint8Array) => Message | undefined) | undefined {
  const body = bodyReader(schema);
  if (!body) return undefined;
  return (bytes) => {
    const message = create(schema) as unknown as Record<string, unknown>;
    try {
      const reader = new BinaryReader(bytes);
      return readBody(body, message, reader, bytes.byteLength, 1)
        ? (message as unknown as Message)
        : undefined;
    } catch {
      return undefined;
    }
  };
}

function readBody(
  body: BodyReader,
  message: Record<string, unknown>,
  reader: BinaryReader,
  length: number,
  depth: number,
): boolean {
  if (depth > RECURSION_LIMIT) return false;
  const end = reader.pos + length;
  if (end > reader.len) return false;
  while (reader.pos < end) {
    // `reader.tag()` without its array per field; an illegal tag is left to fromBinary.
    const start = reader.pos;
    const tag = reader.uint32();
    if (reader.pos - start > 4) return false;
    const read = body.fields[tag >>> 3];
    if (!read?.(message, reader, (tag & 7) as WireType, depth)) return false;
  }
  return reader.pos === end;
}

/** The compiled reader of a message type, or undefined when it has a field the fast path does not handle. */
function bodyReader(desc: DescMessage): BodyReader | undefined {
  const known = compiled.get(desc);
  if (known !== undefined) return known ?? undefined;
  if (desc.typeName.startsWith("google.protobuf.") && desc.typeName !== "google.protobuf.Timestamp") {
    compiled.set(desc, null);
    return undefined;
  }
  // Registered before the fields, so a recursive message type finds itself.
  const body: BodyReader = { desc, fields: [] };
  compiled.set(desc, body);
  for (const field of desc.fields) {
    const read = fieldReader(field);
    if (!read) {
      compiled.set(desc, null);
      return undefined;
    }
    body.fields[field.number] = read;
  }
  return body;
}

function fieldReader(field: DescField): FieldReader | undefined {
  switch (field.fieldKind) {
    case "scalar": {
      if (field.longAsString) return undefined;
      return assign(field, scalarReader(field.scalar, field.utf8Validation), wireTypeOf(field.scalar));
    }
    case "enum":
      if (!field.enum.open) return undefined;
      return assign(field, (reader) => reader.int32(), WireType.Varint);
    case "message": {
      if (field.delimitedEncoding) return undefined;
      const child = bodyReader(field.message);
      if (!child) return undefined;
      const { localName } = field;
      const oneof = field.oneof?.localName;
      return (message, reader, wireType, depth) => {
        if (wireType !== WireType.LengthDelimited) return false;
        let existing: unknown;
        if (oneof === undefined) existing = message[localName];
        else {
          const group = message[oneof] as { case?: string; value?: unknown };
          existing = group.case === localName ? group.value : undefined;
        }
        const value = (existing ?? create(child.desc)) as Record<string, unknown>;
        if (!readBody(child, value, reader, reader.uint32(), depth + 1)) return false;
        if (oneof === undefined) message[localName] = value;
        else message[oneof] = { case: localName, value };
        return true;
      };
    }
    case "list": {
      const { localName } = field;
      if (field.listKind === "message") {
        if (field.delimitedEncoding) return undefined;
        const child = bodyReader(field.message);
        if (!child) return undefined;
        return (message, reader, wireType, depth) => {
          if (wireType !== WireType.LengthDelimited) return false;
          const value = create(child.desc) as unknown as Record<string, unknown>;
          if (!readBody(child, value, reader, reader.uint32(), depth + 1)) return false;
          (message[localName] as unknown[]).push(value);
          return true;
        };
      }
      if (field.listKind === "scalar" && field.longAsString) return undefined;
      const scalar = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
      const read = scalarReader(scalar, field.utf8Validation);
      const single = wireTypeOf(scalar);
      const packable = scalar !== ScalarType.STRING && scalar !== ScalarType.BYTES;
      return (message, reader, wireType) => {
        const items = message[localName] as unknown[];
        if (wireType === WireType.LengthDelimited && packable) {
          const end = reader.uint32() + reader.pos;
          if (end > reader.len) return false;
          while (reader.pos < end) items.push(read(reader));
          return reader.pos === end;
        }
        if (wireType !== single) return false;
        items.push(read(reader));
        return true;
      };
    }
    default:
      return undefined;
  }
}

/** A reader that stores one scalar or enum value in its field (or its oneof group). */
function assign(field: DescField, read: (reader: BinaryReader) => unknown, wireType: WireType): FieldReader {
  const { localName } = field;
  const oneof = field.oneof?.localName;
  if (oneof !== undefined) {
    return (message, reader, actual) => {
      if (actual !== wireType) return false;
      message[oneof] = { case: localName, value: read(reader) };
      return true;
    };
  }
  return (message, reader, actual) => {
    if (actual !== wireType) return false;
    message[localName] = read(reader);
    return true;
  };
}

/** The value reader `fromBinary` uses for a scalar type (64-bit integers as bigint). */
function scalarReader(scalar: ScalarType, utf8Validation: boolean): (reader: BinaryReader) => unknown {
  switch (scalar) {
    case ScalarType.STRING:
      return (reader) => reader.string(utf8Validation);
    case ScalarType.BOOL:
      return (reader) => reader.bool();
    case ScalarType.DOUBLE:
      return (reader) => reader.double();
    case ScalarType.FLOAT:
      return (reader) => reader.float();
    case ScalarType.INT32:
      return (reader) => reader.int32();
    case ScalarType.INT64:
      return (reader) => reader.int64();
    case ScalarType.UINT64:
      return (reader) => reader.uint64();
    case ScalarType.FIXED64:
      return (reader) => reader.fixed64();
    case ScalarType.BYTES:
      return (reader) => reader.bytes();
    case ScalarType.FIXED32:
      return (reader) => reader.fixed32();
    case ScalarType.SFIXED32:
      return (reader) => reader.sfixed32();
    case ScalarType.SFIXED64:
      return (reader) => reader.sfixed64();
    case ScalarType.SINT64:
      return (reader) => reader.sint64();
    case ScalarType.UINT32:
      return (reader) => reader.uint32();
    case ScalarType.SINT32:
      return (reader) => reader.sint32();
  }
}

/** Wire type of a non-packed scalar. */
function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    default:
      return WireType.Varint;
  }
}
