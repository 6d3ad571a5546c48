import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import {
  ENVELOPE_COLUMN_SOURCES,
  type EventContract,
  eventTableColumns,
  ENVELOPE_COLUMNS as LAKE_ENVELOPE_COLUMNS,
  payloadFieldColumn,
} from "@langtian/contracts";
import { EnvelopeSchema } from "@langtian/proto";

// Which event types exist, their payload messages and lake tables, and how a payload field
// becomes a lake column are @langtian/contracts' (the lake writer uses the same code); this
// file adds only what the page shows besides: protobuf type names, presence, nested types.

/** The envelope's message, for its fields. */
export const ENVELOPE = EnvelopeSchema;

/**
 * The lake columns every event table starts with: the envelope's, then the record's origin,
 * with the envelope field (or origin) each comes from.
 */
export const ENVELOPE_COLUMNS: readonly { name: string; type: string; from: string }[] =
  LAKE_ENVELOPE_COLUMNS.map((c) => ({ ...c, from: ENVELOPE_COLUMN_SOURCES[c.name] ?? "" }));

/** One field of a message as the contracts and the lake see it. */
export interface FieldInfo {
  readonly number: number;
  readonly name: string;
  /** The protobuf type as written in the .proto: "string", "repeated Reading", "map<string, string>". */
  readonly protoType: string;
  /** "optional", "oneof value", or empty. */
  readonly presence: string;
  /** Its lake column (as a payload field; nested messages' fields live inside a JSON column). */
  readonly column: string;
  /** The column's type as the lake writer creates it. */
  readonly columnType: string;
  /** The enum or message it refers to, for the nested type sections. */
  readonly refers: DescEnum | DescMessage | undefined;
}

const scalarName = (s: ScalarType): string => (ScalarType[s] ?? String(s)).toLowerCase();

/** The fields of a message with their protobuf types and lake columns, in declaration order. */
export function fieldsOf(message: DescMessage): FieldInfo[] {
  return message.fields.map((f) => fieldInfo(f));
}

function fieldInfo(f: DescField): FieldInfo {
  const { name: column, type: columnType } = payloadFieldColumn(f);
  const presence =
    f.fieldKind !== "list" && f.fieldKind !== "map" && f.oneof !== undefined
      ? `oneof ${f.oneof.name}`
      : f.proto.proto3Optional === true
        ? "optional"
        : "";
  return { number: f.number, name: f.name, ...protoTypeOf(f), presence, column, columnType };
}

/** A field's type as written in the .proto, and the enum or message it refers to. */
function protoTypeOf(f: DescField): Pick<FieldInfo, "protoType" | "refers"> {
  switch (f.fieldKind) {
    case "scalar":
      return { protoType: scalarName(f.scalar), refers: undefined };
    case "enum":
      return { protoType: f.enum.name, refers: f.enum };
    case "message": {
      const wellKnown = f.message.typeName.startsWith("google.protobuf.");
      return {
        protoType: wellKnown ? f.message.typeName : f.message.name,
        refers: wellKnown ? undefined : f.message,
      };
    }
    case "list": {
      const item =
        f.listKind === "scalar" ? scalarName(f.scalar) : f.listKind === "enum" ? f.enum.name : f.message.name;
      return {
        protoType: `repeated ${item}`,
        refers: f.listKind === "message" ? f.message : f.listKind === "enum" ? f.enum : undefined,
      };
    }
    case "map": {
      const value =
        f.mapKind === "scalar" ? scalarName(f.scalar) : f.mapKind === "enum" ? f.enum.name : f.message.name;
      return {
        protoType: `map<${scalarName(f.mapKey)}, ${value}>`,
        refers: f.mapKind === "message" ? f.message : f.mapKind === "enum" ? f.enum : undefined,
      };
    }
  }
}

/** Every enum and message a message refers to, nested ones included, each once, in first-use order. */
export function nestedTypesOf(message: DescMessage): (DescEnum | DescMessage)[] {
  const seen = new Map<string, DescEnum | DescMessage>();
  const visit = (m: DescMessage) => {
    for (const f of fieldsOf(m)) {
      if (f.refers === undefined || seen.has(f.refers.typeName)) continue;
      seen.set(f.refers.typeName, f.refers);
      if (f.refers.kind === "message") visit(f.refers);
    }
  };
  visit(message);
  return [...seen.values()];
}

/**
 * The columns the lake writer gives an event table of this payload: the envelope's, one per
 * payload field, and `payload` (the raw bytes when the payload carried fields it did not know).
 */
export function expectedColumns(contract: EventContract): { name: string; type: string }[] {
  return eventTableColumns(contract.payload);
}

/** DuckDB's spelling of a column type, for comparing with the lake writer's names. */
export function sameColumnType(expected: string, live: string): boolean {
  const norm = (t: string) =>
    t
      .toUpperCase()
      .replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
      .replace(/^INT64$/, "BIGINT")
      .replace(/^INT32$/, "INTEGER")
      .trim();
  return norm(expected) === norm(live);
}
