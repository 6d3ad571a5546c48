import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { S3Config } from "@langtian/lake";
import { provisionSeaweedfs } from "@langtian/provision";
import { freePorts, spawnServer, tempDir, waitFor } from "@langtian/testing";

/** A throwaway SeaweedFS (`weed mini`) with its S3 gateway on a free 127.0.0.1 port. */
export interface TestS3 {
  /** Credentials and endpoint for `openLake`. */
  s3: S3Config;
  /** Bucket created at start. */
  bucket: string;
  /** Stops the server for good. */
  stop(): Promise<void>;
  /** Stops the server but keeps its data and ports (an outage); `resume()` starts it again. */
  pause(): Promise<void>;
  /** Starts a paused server again on the same data and ports, once the bucket answers. */
  resume(): Promise<void>;
}

/** The ports `weed mini` listens on, by role. */
export const seaweedfsPortNames = [
  "master",
  "masterGrpc",
  "volume",
  "volumeGrpc",
  "filer",
  "filerGrpc",
  "s3",
  "s3Grpc",
  "iceberg",
  "lance",
  "admin",
  "adminGrpc",
] as const;
export type SeaweedfsPorts = Record<(typeof seaweedfsPortNames)[number], number>;

/** Options of {@link startSeaweedfs}. */
export interface StartSeaweedfsOptions {
  /** Its data folder, kept and reused when given; a temp dir (removed at exit) when omitted. */
  dir?: string;
  /** Every port, by role; free ones when omitted. */
  ports?: SeaweedfsPorts;
}

/**
 * Starts SeaweedFS in one process (master, volume, filer, S3 gateway), every port bound to
 * 127.0.0.1 (free ones unless given), with one S3 identity and bucket `lake`; resolves once
 * the bucket answers an authenticated-free HEAD (any HTTP answer means the gateway is up).
 */
export async function startSeaweedfs(options: StartSeaweedfsOptions = {}): Promise<TestS3> {
  const weed = await provisionSeaweedfs();
  const root = options.dir ?? tempDir("seaweedfs");
  mkdirSync(root, { recursive: true });
  const accessKeyId = "langtian-test";
  const secretAccessKey = "langtian-test-secret";
  writeFileSync(
    join(root, "s3.json"),
    JSON.stringify({
      identities: [
        {
          name: "lake",
          credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
          actions: ["Admin", "Read", "Write", "List", "Tagging"],
        },
      ],
    }),
  );
  const free = options.ports ? [] : await freePorts(seaweedfsPortNames.length);
  const {
    master,
    masterGrpc,
    volume,
    volumeGrpc,
    filer,
    filerGrpc,
    s3,
    s3Grpc,
    iceberg,
    lance,
    admin,
    adminGrpc,
  } =
    options.ports ??
    (Object.fromEntries(seaweedfsPortNames.map((name, i) => [name, free[i]])) as SeaweedfsPorts);
  const bucket = "lake";
  const launch = () =>
    spawnServer({
      command: weed,
      args: [
        "mini",
        `-dir=${root}`,
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        `-master.port=${master}`,
        `-master.port.grpc=${masterGrpc}`,
        `-volume.port=${volume}`,
        `-volume.port.grpc=${volumeGrpc}`,
        `-filer.port=${filer}`,
        `-filer.port.grpc=${filerGrpc}`,
        `-s3.port=${s3}`,
        `-s3.port.grpc=${s3Grpc}`,
        `-s3.port.iceberg=${iceberg}`,
        `-s3.port.lance=${lance}`,
        `-admin.port=${admin}`,
        `-admin.port.grpc=${adminGrpc}`,
        "-admin.port.legacy=0",
        "-admin.ui=false",
        "-webdav=false",
        `-s3.config=${join(root, "s3.json")}`,
        `-bucket=${bucket}`,
      ],
      logFile: join(root, "weed.log"),
    });
  let server = launch();
  const ready = () =>
    waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${s3}/${bucket}`, { method: "HEAD" });
        // 403 (no signature) or 200 both mean the gateway and the bucket answer.
        return response.status === 404 ? undefined : true;
      },
      {
        what: "SeaweedFS S3 gateway",
        timeoutMs: 90_000,
        giveUpIf: () => (server.isRunning() ? undefined : server.logTail()),
      },
    );
  await ready();
  return {
    bucket,
    s3: {
      endpoint: `127.0.0.1:${s3}`,
      accessKeyId,
      secretAccessKey,
      region: "us-east-1",
      useSsl: false,
      urlStyle: "path",
    },
    async stop() {
      await server.stop(10_000);
    },
    async pause() {
      await server.stop(10_000);
    },
    async resume() {
      server = launch();
      await ready();
    },
  };
}
