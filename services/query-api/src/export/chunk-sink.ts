/** Smallest chunk worth a message of its own (smaller pieces are gathered first). */
export const MIN_CHUNK_BYTES = 64 * 1024;
/** Largest chunk one message carries. */
export const MAX_CHUNK_BYTES = 256 * 1024;

/** Gathers bytes into 64–256 KiB chunks and hands each to `emit`, waiting for it (backpressure). */
export interface ChunkSink {
  write(bytes: Uint8Array): Promise<void>;
  /** Emits what is gathered, however small. */
  flush(): Promise<void>;
}

/** Creates a sink over `emit`, which must resolve only once the consumer took the chunk. */
export function createChunkSink(emit: (chunk: Uint8Array) => Promise<void>): ChunkSink {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  const drain = async (all: boolean) => {
    while (pendingBytes >= MIN_CHUNK_BYTES || (all && pendingBytes > 0)) {
      const joined = pending.length === 1 ? (pending[0] as Uint8Array) : Buffer.concat(pending, pendingBytes);
      const size = Math.min(joined.byteLength, MAX_CHUNK_BYTES);
      const rest = joined.subarray(size);
      pending = rest.byteLength > 0 ? [rest] : [];
      pendingBytes = rest.byteLength;
      await emit(joined.subarray(0, size));
    }
  };
  return {
    async write(bytes) {
      if (bytes.byteLength === 0) return;
      pending.push(bytes);
      pendingBytes += bytes.byteLength;
      await drain(false);
    },
    flush: () => drain(true),
  };
}
