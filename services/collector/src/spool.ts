import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { ErrorCode, LangtianError } from "@langtian/errors";

/**
 * Append-only on-disk spool: the collector's safety net while NATS is unreachable or slow.
 *
 * Files in `dir`: segments `seg-<12-digit number>.spool` holding records
 * `[u32 length][u32 CRC32 of the body][body]` (big-endian), and `cursor.json`, the position
 * up to which records were published and acknowledged. Records are replayed in append
 * order; a torn record at the end of the newest segment (a crash mid-write) is cut off at
 * open. Replay is at-least-once; the stream's duplicate window removes the repeats.
 */

/** When appended records reach the disk. */
export const FsyncPolicy = {
  /** fdatasync after every append: survives power loss, costs a disk flush per event. */
  Always: "always",
  /** fdatasync at most every `fsyncIntervalMs`: survives a process crash, bounds power-loss exposure. */
  Interval: "interval",
  /** Leave it to the OS: survives a process crash only. */
  Never: "never",
} as const;
/** A {@link FsyncPolicy} value. */
export type FsyncPolicy = (typeof FsyncPolicy)[keyof typeof FsyncPolicy];

/** What happens when an append would push the spool past `maxBytes`. */
export const OverflowPolicy = {
  /** Refuse the new record (the caller counts it and reports it; nothing is dropped silently). */
  RejectNew: "reject-new",
  /** Delete the oldest whole segment(s) to make room, counting the records lost. */
  DropOldest: "drop-oldest",
} as const;
/** An {@link OverflowPolicy} value. */
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];

/** Spool settings. */
export interface SpoolOptions {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  readonly overflow: OverflowPolicy;
}

/** A position in the spool: a segment number and a byte offset in it. */
export interface SpoolPosition {
  readonly segment: number;
  readonly offset: number;
}

/** Result of {@link Spool.append}. */
export type AppendResult = { readonly ok: true; readonly dropped: number } | { readonly ok: false };

/** A record read back for replay, with the position just after it. */
export interface SpoolRecord {
  readonly body: Uint8Array;
  readonly next: SpoolPosition;
}

interface Segment {
  readonly id: number;
  size: number;
  records: number;
}

const HEADER_BYTES = 8;
const CURSOR_FILE = "cursor.json";
const SEGMENT = /^seg-(\d{12})\.spool$/;

/** Raised when the spool directory cannot be used. */
export class SpoolError extends LangtianError {
  override readonly code = ErrorCode.failedPrecondition;
  override readonly name = "SpoolError";
}

/** The on-disk spool (synchronous file I/O: appends are small and must be ordered). */
export class Spool {
  readonly #opts: SpoolOptions;
  readonly #segments: Segment[] = [];
  #fd = -1;
  #committed: SpoolPosition;
  #read: SpoolPosition;
  #readFd: { id: number; fd: number } | undefined;
  #records = 0;
  #bytes = 0;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  /** Records lost to corruption found at open (counted, logged by the caller). */
  readonly corruptRecordsAtOpen: number;

  private constructor(opts: SpoolOptions) {
    this.#opts = opts;
    this.#committed = { segment: 0, offset: 0 };
    this.#read = this.#committed;
    this.corruptRecordsAtOpen = 0;
  }

  /** Opens (and recovers) the spool in `opts.dir`, creating the directory if needed. */
  static open(opts: SpoolOptions): Spool {
    const spool = new Spool(opts);
    mkdirSync(opts.dir, { recursive: true });
    (spool as { corruptRecordsAtOpen: number }).corruptRecordsAtOpen = spool.#recover();
    if (opts.fsync === FsyncPolicy.Interval) {
      spool.#timer = setInterval(() => spool.sync(), opts.fsyncIntervalMs);
      spool.#timer.unref();
    }
    return spool;
  }

  #recover(): number {
    const ids = readdirSync(this.#opts.dir)
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const cursor = this.#readCursor();
    let corrupt = 0;
    for (const [i, id] of ids.entries()) {
      const path = this.#path(id);
      if (id < cursor.segment) {
        unlinkSync(path);
        continue;
      }
      const data = readFileSync(path);
      let offset = 0;
      let records = 0;
      while (offset + HEADER_BYTES <= data.length) {
        const length = data.readUInt32BE(offset);
        const end = offset + HEADER_BYTES + length;
        if (
          end > data.length ||
          crc32(data.subarray(offset + HEADER_BYTES, end)) !== data.readUInt32BE(offset + 4)
        ) {
          break;
        }
        if (id > cursor.segment || offset >= cursor.offset) records++;
        offset = end;
      }
      if (offset < data.length) {
        // The newest segment's tail is a torn write from a crash; an older segment's is corruption.
        if (i !== ids.length - 1) corrupt++;
        const fd = openSync(path, "r+");
        ftruncateSync(fd, offset);
        closeSync(fd);
      }
      const consumed = id === cursor.segment ? Math.min(cursor.offset, offset) : 0;
      this.#segments.push({ id, size: offset, records });
      this.#bytes += offset - consumed;
      this.#records += records;
    }
    const first = this.#segments[0];
    this.#committed =
      first === undefined
        ? { segment: cursor.segment, offset: 0 }
        : first.id === cursor.segment
          ? { segment: first.id, offset: Math.min(cursor.offset, first.size) }
          : { segment: first.id, offset: 0 };
    this.#read = this.#committed;
    this.#openForAppend(this.#segments.at(-1)?.id ?? Math.max(1, cursor.segment));
    return corrupt;
  }

  #readCursor(): SpoolPosition {
    try {
      const c = JSON.parse(readFileSync(join(this.#opts.dir, CURSOR_FILE), "utf8")) as SpoolPosition;
      if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) return c;
    } catch {
      // No cursor yet (fresh spool) or a torn one: replay from the oldest segment; dedupe covers repeats.
    }
    return { segment: 0, offset: 0 };
  }

  #path(id: number): string {
    return join(this.#opts.dir, `seg-${String(id).padStart(12, "0")}.spool`);
  }

  #openForAppend(id: number): void {
    if (this.#fd >= 0) {
      if (this.#opts.fsync !== FsyncPolicy.Never) fdatasyncSync(this.#fd);
      closeSync(this.#fd);
    }
    this.#fd = openSync(this.#path(id), "a");
    if (this.#segments.at(-1)?.id !== id)
      this.#segments.push({ id, size: fstatSync(this.#fd).size, records: 0 });
  }

  /** Events waiting for replay. */
  get depth(): number {
    return this.#records;
  }

  /** Bytes waiting for replay (record headers included). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Bytes that can still be appended before the spool is full (`maxBytes` minus {@link bytes}). */
  get freeBytes(): number {
    return Math.max(0, this.#opts.maxBytes - this.#bytes);
  }

  /** The oldest record waiting for replay, without moving any position. */
  peekOldest(): Uint8Array | undefined {
    if (this.#records === 0) return undefined;
    let found: Uint8Array | undefined;
    for (const segment of this.#segments) {
      if (segment.id < this.#committed.segment) continue;
      const from = segment.id === this.#committed.segment ? this.#committed.offset : 0;
      this.#scan(segment.id, from, segment.size, (body) => {
        found = body;
        return false;
      });
      if (found !== undefined) break;
    }
    return found;
  }

  /** Appends one record, applying the overflow policy when the spool is full. */
  append(body: Uint8Array): AppendResult {
    const size = HEADER_BYTES + body.length;
    let dropped = 0;
    if (this.#bytes + size > this.#opts.maxBytes) {
      if (this.#opts.overflow === OverflowPolicy.RejectNew) return { ok: false };
      dropped = this.#dropOldest(size);
      if (this.#bytes + size > this.#opts.maxBytes) return { ok: false };
    }
    let active = this.#segments.at(-1) as Segment;
    if (active.size > 0 && active.size + size > this.#opts.segmentBytes) {
      this.#openForAppend(active.id + 1);
      active = this.#segments.at(-1) as Segment;
    }
    const record = Buffer.allocUnsafe(size);
    record.writeUInt32BE(body.length, 0);
    record.writeUInt32BE(crc32(body), 4);
    record.set(body, HEADER_BYTES);
    writeSync(this.#fd, record);
    active.size += size;
    active.records++;
    this.#records++;
    this.#bytes += size;
    if (this.#opts.fsync === FsyncPolicy.Always) fdatasyncSync(this.#fd);
    else this.#dirty = true;
    return { ok: true, dropped };
  }

  #dropOldest(need: number): number {
    let dropped = 0;
    while (this.#segments.length > 1 && this.#bytes + need > this.#opts.maxBytes) {
      const oldest = this.#segments.shift() as Segment;
      const consumedBytes = this.#committed.segment === oldest.id ? this.#committed.offset : 0;
      const waiting = this.#countFrom(oldest, consumedBytes);
      dropped += waiting;
      this.#records -= waiting;
      this.#bytes -= oldest.size - consumedBytes;
      this.#closeReader(oldest.id);
      unlinkSync(this.#path(oldest.id));
      const next = { segment: (this.#segments[0] as Segment).id, offset: 0 };
      if (this.#committed.segment <= oldest.id) this.#committed = next;
      if (this.#read.segment <= oldest.id) this.#read = next;
    }
    return dropped;
  }

  #countFrom(segment: Segment, offset: number): number {
    if (offset === 0) return segment.records;
    let count = 0;
    this.#scan(segment.id, offset, segment.size, () => {
      count++;
      return true;
    });
    return count;
  }

  /** Reads up to `max` records after the read position, advancing it (not the commit). */
  read(max: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    while (out.length < max) {
      const segment = this.#segments.find((s) => s.id === this.#read.segment);
      if (segment === undefined) {
        const next = this.#segments.find((s) => s.id > this.#read.segment);
        if (next === undefined) break;
        this.#read = { segment: next.id, offset: 0 };
        continue;
      }
      if (this.#read.offset >= segment.size) {
        const next = this.#segments.find((s) => s.id > segment.id);
        if (next === undefined) break;
        this.#read = { segment: next.id, offset: 0 };
        continue;
      }
      this.#scan(segment.id, this.#read.offset, segment.size, (body, next) => {
        if (out.length >= max) return false;
        out.push({ body, next });
        this.#read = next;
        return true;
      });
    }
    return out;
  }

  #scan(
    id: number,
    from: number,
    to: number,
    visit: (body: Uint8Array, next: SpoolPosition) => boolean,
  ): void {
    const fd = this.#reader(id);
    let offset = from;
    const header = Buffer.allocUnsafe(HEADER_BYTES);
    while (offset + HEADER_BYTES <= to) {
      readSync(fd, header, 0, HEADER_BYTES, offset);
      const length = header.readUInt32BE(0);
      const body = Buffer.allocUnsafe(length);
      readSync(fd, body, 0, length, offset + HEADER_BYTES);
      if (crc32(body) !== header.readUInt32BE(4))
        throw new SpoolError(`corrupt record in segment ${id} at ${offset}`);
      offset += HEADER_BYTES + length;
      if (visit(new Uint8Array(body.buffer, body.byteOffset, length), { segment: id, offset }) === false)
        return;
    }
  }

  #reader(id: number): number {
    if (this.#readFd?.id !== id) {
      if (this.#readFd !== undefined) closeSync(this.#readFd.fd);
      this.#readFd = { id, fd: openSync(this.#path(id), "r") };
    }
    return this.#readFd.fd;
  }

  #closeReader(id: number): void {
    if (this.#readFd?.id === id) {
      closeSync(this.#readFd.fd);
      this.#readFd = undefined;
    }
  }

  /** Moves the read position back to the last commit (after a failed replay batch). */
  rewind(): void {
    this.#read = this.#committed;
  }

  /**
   * Marks everything before `position` as published: persists the cursor and deletes
   * segments that are fully behind it. `count` is the number of records committed.
   */
  commit(position: SpoolPosition, count: number): void {
    if (position.segment < this.#committed.segment) return;
    const before = this.#committed;
    let freed = 0;
    for (const s of this.#segments) {
      if (s.id < before.segment || s.id > position.segment) continue;
      const start = s.id === before.segment ? before.offset : 0;
      const end = s.id === position.segment ? position.offset : s.size;
      freed += end - start;
    }
    this.#committed = position;
    this.#records -= count;
    this.#bytes -= freed;
    const tmp = join(this.#opts.dir, `${CURSOR_FILE}.tmp`);
    writeFileSync(tmp, JSON.stringify(position));
    renameSync(tmp, join(this.#opts.dir, CURSOR_FILE));
    while (this.#segments.length > 1 && (this.#segments[0] as Segment).id < position.segment) {
      const done = this.#segments.shift() as Segment;
      this.#closeReader(done.id);
      unlinkSync(this.#path(done.id));
    }
    const active = this.#segments.at(-1) as Segment;
    // Fully replayed: start a fresh segment so the old one can be deleted at the next commit.
    if (
      this.#records === 0 &&
      active.id === position.segment &&
      position.offset === active.size &&
      active.size > 0
    ) {
      this.#openForAppend(active.id + 1);
    }
  }

  /** Flushes appended records to disk now. */
  sync(): void {
    if (this.#dirty && this.#fd >= 0) {
      fdatasyncSync(this.#fd);
      this.#dirty = false;
    }
  }

  /** Flushes and closes the files. */
  close(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#fd >= 0) {
      if (this.#opts.fsync !== FsyncPolicy.Never) this.sync();
      closeSync(this.#fd);
      this.#fd = -1;
    }
    if (this.#readFd !== undefined) closeSync(this.#readFd.fd);
    this.#readFd = undefined;
  }
}
