import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { LakeWriterService, ListPartitionsResponseSchema, OwnedPartitionSchema } from "@langtian/proto";
import type { ServiceAppOptions } from "@langtian/service-kit";
import type { IngestLoop } from "./ingest/ingest-loop.ts";

/** What the lake writer's own RPCs read. */
export interface LakeWriterRouteDeps {
  /** This instance's id: the owner its claims in the lake name. */
  readonly owner: string;
  /** The ingest loop once started; undefined before (the RPCs then report nothing owned). */
  loop(): IngestLoop | undefined;
}

/**
 * Connect routes of the lake writer: `langtian.lakewriter.v1.LakeWriterService`. Read-only
 * and answered from the loop's memory: a query of the lake would share the loop's
 * connection (DuckDB runs one statement at a time per connection) and slow its commits.
 */
export function lakeWriterRoutes(deps: LakeWriterRouteDeps): NonNullable<ServiceAppOptions["routes"]> {
  return (router) => {
    router.service(LakeWriterService, {
      listPartitions() {
        const partitions = deps.loop()?.partitions() ?? [];
        return create(ListPartitionsResponseSchema, {
          owner: deps.owner,
          partitions: partitions.map((p) =>
            create(OwnedPartitionSchema, {
              source: p.key.source,
              partition: p.key.partition,
              epoch: p.epoch,
              ...(p.lakePosition !== null && { lakePosition: p.lakePosition }),
              // The source knows how far behind its end the partition is; the end follows.
              ...(p.lag !== undefined && { lag: p.lag, endPosition: p.committed + p.lag }),
              ...(p.lastCommitAt !== undefined && { lastCommitTime: timestampFromMs(p.lastCommitAt) }),
            }),
          ),
        });
      },
    });
  };
}
