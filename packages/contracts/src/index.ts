/**
 * @langtian/contracts: the event contracts as the platform reads them — which event types
 * exist and which payload message and lake table each has, and how a payload message's fields
 * become lake columns. Pure and browser-safe (the web UI bundles it), read from the
 * protobuf-es descriptors of `@langtian/proto`.
 */
export {
  DeviceEventType,
  deviceSchemaVersion,
  type EventContract,
  eventContractOf,
  eventContracts,
  eventTableName,
} from "./event-types.ts";
export {
  COLUMN_TYPES,
  type ColumnSpec,
  type ColumnType,
  ENVELOPE_COLUMN_SOURCES,
  ENVELOPE_COLUMNS,
  eventTableColumns,
  payloadColumnSpecs,
  payloadFieldColumn,
  RAW_PAYLOAD_COLUMN,
  RESERVED_COLUMN_NAMES,
  scalarColumnType,
} from "./lake-columns.ts";
