import { resolve } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** The repository's `proto/` folder, where every contract lives. */
const PROTO_ROOT = resolve(import.meta.dirname, "../../../../proto");

/** A node-style callback of a grpc-js unary call. */
export type GrpcCallback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/**
 * A stock grpc-js client of `service` (e.g. `langtian.admin.v1.AdminService`) built from its
 * .proto file (`protoFile`, relative to `proto/`), as any gRPC user would build one: fields keep
 * their case, 64-bit integers and enums are strings, oneofs name their set field.
 */
export function grpcClient<C extends grpc.Client>(protoFile: string, service: string, baseUrl: string): C {
  const definition = protoLoader.loadSync(protoFile, {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  let node: unknown = grpc.loadPackageDefinition(definition);
  for (const part of service.split(".")) node = (node as Record<string, unknown>)[part];
  const Client = node as new (address: string, credentials: grpc.ChannelCredentials) => C;
  return new Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
}

/** A grpc-js unary call as a promise. */
export function grpcUnary<T>(call: (callback: GrpcCallback<T>) => void): Promise<T> {
  return new Promise((done, fail) => call((err, res) => (err ? fail(err) : done(res as T))));
}
