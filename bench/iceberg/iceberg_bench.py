"""Small appends into Apache Iceberg (pyiceberg, SqlCatalog on SQLite) next to DuckLake
(DuckDB's ducklake extension, SQLite and PostgreSQL catalogs), then reading the data back
through DuckDB's iceberg extension. Run by iceberg-bench.ts, which builds the venv and passes
the extension files; prints one JSON document on stdout.

Every commit, in every format, writes the same batch: `rows` rows of the lake writer's
telemetry table shape, plus the writer's offset in the same commit:
- Iceberg: `append(..., snapshot_properties={"langtian.offset.<partition>": ...})`; the commit
  carries pyiceberg's precondition that the table's `main` branch is still at the snapshot the
  writer read (an optimistic lock on the whole table); a refused commit is refreshed and
  run again, counted as a conflict.
- DuckLake: `BEGIN; INSERT INTO the table; UPDATE the partition's one-row ledger table;
  COMMIT` (what the lake writer does), a conflict run again.
"""

import argparse
import json
import multiprocessing
import os
import statistics
import time
from datetime import datetime, timedelta, timezone

import pyarrow as pa

TABLE = "device_telemetry_v1"
EPOCH = datetime(2026, 11, 27, 12, 0, 0, tzinfo=timezone.utc)

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("event_type", pa.string()),
        ("event_timestamp", pa.timestamp("us", tz="UTC")),
        ("received_timestamp", pa.timestamp("us", tz="UTC")),
        ("schema_version", pa.string()),
        ("source_system", pa.string()),
        ("partition_key", pa.string()),
        ("payload_type", pa.string()),
        ("attributes", pa.string()),
        ("traceparent", pa.string()),
        ("_source", pa.string()),
        ("_partition", pa.string()),
        ("_position", pa.int64()),
        ("device_id", pa.string()),
        ("sequence", pa.int64()),
        ("readings", pa.string()),
        ("value", pa.float64()),
    ]
)


def batch(partition: int, first: int, rows: int) -> pa.Table:
    """Rows first .. first+rows-1 of one partition, shaped like the lake writer's telemetry rows."""
    positions = list(range(first, first + rows))
    devices = [f"dev-{i % 16}" for i in positions]
    values = [20.0 + (i % 10) for i in positions]
    return pa.table(
        {
            "event_id": [f"{partition:04d}-{i:012d}-0000-5000-8000-000000000000" for i in positions],
            "event_type": ["device.telemetry"] * rows,
            "event_timestamp": [EPOCH + timedelta(milliseconds=i) for i in positions],
            "received_timestamp": [EPOCH + timedelta(milliseconds=i + 5) for i in positions],
            "schema_version": ["1.0"] * rows,
            "source_system": ["bench/iceberg"] * rows,
            "partition_key": devices,
            "payload_type": ["langtian.device.v1.Telemetry"] * rows,
            "attributes": ["{}"] * rows,
            "traceparent": [None] * rows,
            "_source": ["kafka:bench"] * rows,
            "_partition": [str(partition)] * rows,
            "_position": positions,
            "device_id": devices,
            "sequence": positions,
            "readings": [f'[{{"metric":"temp","doubleValue":{v},"unit":"C"}}]' for v in values],
            "value": values,
        },
        schema=SCHEMA,
    )


# ---------------------------------------------------------------- Iceberg (pyiceberg SqlCatalog)


def iceberg_catalog(root: str):
    from pyiceberg.catalog.sql import SqlCatalog

    return SqlCatalog(
        "bench",
        uri=f"sqlite:///{os.path.join(root, 'catalog.db')}",
        warehouse=f"file://{os.path.join(root, 'warehouse')}",
    )


def iceberg_setup(root: str) -> None:
    """The table, partitioned by day of event time like the lake writer's DuckLake tables."""
    from pyiceberg.transforms import DayTransform

    catalog = iceberg_catalog(root)
    catalog.create_namespace("lake")
    table = catalog.create_table(f"lake.{TABLE}", schema=SCHEMA)
    with table.update_spec() as spec:
        spec.add_field("event_timestamp", DayTransform(), "event_day")


def iceberg_worker(root: str, partition: int, rows: int, start_at: float, seconds: float, queue) -> None:
    from pyiceberg.exceptions import CommitFailedException

    catalog = iceberg_catalog(root)
    table = catalog.load_table(f"lake.{TABLE}")
    key = f"langtian.offset.{partition}"
    position = 0
    report = {"commits": 0, "rows": 0, "conflicts": 0, "failed": 0, "latencies": []}
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        data = batch(partition, position, rows)
        for _attempt in range(50):
            try:
                table.append(data, snapshot_properties={key: str(position + rows)})
                break
            except CommitFailedException:
                report["conflicts"] += 1
                table = catalog.load_table(f"lake.{TABLE}")
        else:
            report["failed"] += 1
            continue
        report["latencies"].append((time.perf_counter() - t0) * 1000)
        report["commits"] += 1
        report["rows"] += rows
        position += rows
    report["seconds"] = time.perf_counter() - started
    queue.put(report)


def iceberg_footprint(root: str) -> dict:
    catalog = iceberg_catalog(root)
    table = catalog.load_table(f"lake.{TABLE}")
    location = table.location().removeprefix("file://")
    metadata = files_below(os.path.join(location, "metadata"))
    data = files_below(os.path.join(location, "data"))
    current = table.metadata_location.removeprefix("file://")
    return {
        "snapshots": len(table.metadata.snapshots),
        "metadataFiles": metadata["files"],
        "metadataBytes": metadata["bytes"],
        "currentMetadataJsonBytes": os.path.getsize(current),
        "dataFiles": data["files"],
        "dataBytes": data["bytes"],
        "catalogBytes": os.path.getsize(os.path.join(root, "catalog.db")),
        "metadataLocation": current,
    }


# ---------------------------------------------------------------- DuckLake


def ducklake_connect(root: str, kind: str, ext: dict, dsn: str):
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"LOAD '{ext['ducklake']}'")
    if kind == "sqlite":
        con.execute(f"LOAD '{ext['sqlite_scanner']}'")
        uri = f"ducklake:sqlite:{os.path.join(root, 'catalog.sqlite')}"
    else:
        con.execute(f"LOAD '{ext['postgres_scanner']}'")
        uri = f"ducklake:postgres:{dsn}"
    con.execute(f"ATTACH '{uri}' AS lake (DATA_PATH '{os.path.join(root, 'data')}', DATA_INLINING_ROW_LIMIT 0)")
    return con


def ducklake_setup(root: str, kind: str, ext: dict, dsn: str, writers: int) -> None:
    if kind == "sqlite":
        import sqlite3

        # WAL, as the lake writer puts its SQLite catalog in.
        db = sqlite3.connect(os.path.join(root, "catalog.sqlite"))
        db.execute("PRAGMA journal_mode = WAL")
        db.close()
    con = ducklake_connect(root, kind, ext, dsn)
    empty = batch(0, 0, 0)
    con.register("empty", empty)
    con.execute(f"CREATE TABLE lake.{TABLE} AS FROM empty LIMIT 0")
    con.execute(
        f"ALTER TABLE lake.{TABLE} SET PARTITIONED BY "
        "(year(event_timestamp), month(event_timestamp), day(event_timestamp))"
    )
    for partition in range(writers):
        con.execute(f"CREATE TABLE lake.pos_{partition} (next_position BIGINT)")
        con.execute(f"INSERT INTO lake.pos_{partition} VALUES (0)")
    con.close()


def ducklake_worker(root, kind, ext, dsn, partition, rows, start_at, seconds, queue) -> None:
    con = ducklake_connect(root, kind, ext, dsn)
    position = 0
    report = {"commits": 0, "rows": 0, "conflicts": 0, "failed": 0, "latencies": []}
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        t0 = time.perf_counter()
        con.register("batch_rows", batch(partition, position, rows))
        for attempt in range(50):
            try:
                con.execute("BEGIN TRANSACTION")
                con.execute(f"INSERT INTO lake.{TABLE} FROM batch_rows")
                con.execute(f"UPDATE lake.pos_{partition} SET next_position = ?", [position + rows])
                con.execute("COMMIT")
                break
            except Exception as err:  # noqa: BLE001 - DuckDB raises one class for both kinds
                try:
                    con.execute("ROLLBACK")
                except Exception:  # noqa: BLE001 - a failed COMMIT already ended it
                    pass
                message = str(err).lower()
                if "conflict" not in message and "locked" not in message and "busy" not in message:
                    raise
                report["conflicts"] += 1
                time.sleep(min(1.0, 0.02 * 2**attempt) * (0.5 + (hash((partition, attempt)) % 100) / 200))
        else:
            report["failed"] += 1
            continue
        report["latencies"].append((time.perf_counter() - t0) * 1000)
        report["commits"] += 1
        report["rows"] += rows
        position += rows
    report["seconds"] = time.perf_counter() - started
    con.close()
    queue.put(report)


def ducklake_footprint(root: str, kind: str, ext: dict, dsn: str) -> dict:
    con = ducklake_connect(root, kind, ext, dsn)
    snapshots = con.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0]
    con.close()
    data = files_below(os.path.join(root, "data"))
    result = {"snapshots": snapshots, "dataFiles": data["files"], "dataBytes": data["bytes"]}
    if kind == "sqlite":
        result["catalogBytes"] = sum(
            os.path.getsize(os.path.join(root, name))
            for name in ("catalog.sqlite", "catalog.sqlite-wal")
            if os.path.exists(os.path.join(root, name))
        )
    return result


# ---------------------------------------------------------------- shared


def files_below(path: str) -> dict:
    files = 0
    size = 0
    for folder, _dirs, names in os.walk(path):
        for name in names:
            files += 1
            size += os.path.getsize(os.path.join(folder, name))
    return {"files": files, "bytes": size}


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return f.read().strip()


def percentile(values: list, p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def reporting(target):
    """Runs a worker so that a failure still reaches the queue (a missing report would hang)."""

    def run(*args) -> None:
        queue = args[-1]
        try:
            target(*args)
        except Exception:  # noqa: BLE001 - reported to the parent, which raises it
            import traceback

            queue.put({"error": traceback.format_exc()})

    return run


def guarded_iceberg_worker(*args) -> None:
    reporting(iceberg_worker)(*args)


def guarded_ducklake_worker(*args) -> None:
    reporting(ducklake_worker)(*args)


def run_writers(target, make_args, writers: int) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    start_at = time.time() + 3 + writers
    processes = [context.Process(target=target, args=(*make_args(p, start_at), queue)) for p in range(writers)]
    for process in processes:
        process.start()
    reports = [queue.get() for _ in processes]
    for process in processes:
        process.join()
    errors = [r["error"] for r in reports if "error" in r]
    if errors:
        raise RuntimeError("a writer failed:\n" + "\n".join(errors))
    latencies = [ms for r in reports for ms in r["latencies"]]
    wall = max(r["seconds"] for r in reports)
    commits = sum(r["commits"] for r in reports)
    return {
        "commits": commits,
        "commitsPerSecond": round(commits / wall, 1),
        "rowsPerSecond": round(sum(r["rows"] for r in reports) / wall),
        "conflicts": sum(r["conflicts"] for r in reports),
        "failedAfterRetries": sum(r["failed"] for r in reports),
        "latencyMs": {"p50": round(percentile(latencies, 50), 1), "p99": round(percentile(latencies, 99), 1)},
        "seconds": round(wall, 2),
    }


def timed(con, sql: str, repeat: int) -> dict:
    """The first run (cold: metadata and files read for the first time) and the median of the rest."""
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = con.execute(sql).fetchall()
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "firstMs": round(times[0], 1),
        "warmMedianMs": round(statistics.median(times[1:]), 1),
        "result": [str(v) for v in result[0]],
    }


def read_back(format_name: str, root: str, ext: dict, dsn: str, footprint: dict) -> dict:
    """count(*) and a filtered aggregate through DuckDB: iceberg_scan, or the attached DuckLake."""
    import duckdb

    if format_name == "iceberg":
        con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
        con.execute(f"LOAD '{ext['avro']}'")
        con.execute(f"LOAD '{ext['iceberg']}'")
        source = f"iceberg_scan('{footprint['metadataLocation']}')"
    else:
        con = ducklake_connect(root, format_name.removeprefix("ducklake-"), ext, dsn)
        source = f"lake.{TABLE}"
    count = timed(con, f"SELECT count(*) FROM {source}", 6)
    # The newer half of one device's rows: file statistics on `sequence` let a reader skip the older half.
    half = int(count["result"][0]) // 2
    filtered = timed(
        con,
        f"SELECT count(*), round(avg(value), 3) FROM {source} WHERE device_id = 'dev-3' AND sequence >= {half}",
        6,
    )
    con.close()
    return {"count": count, "filtered": filtered}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--writers", default="1,2")
    parser.add_argument("--formats", default="iceberg,ducklake-sqlite,ducklake-postgres")
    parser.add_argument("--extensions", required=True, help="JSON object: extension name -> file")
    parser.add_argument("--dsn", default="", help="libpq DSN of an empty database per run: {name} is replaced")
    args = parser.parse_args()
    ext = json.loads(args.extensions)
    runs = []
    for format_name in args.formats.split(","):
        for writers in [int(w) for w in args.writers.split(",")]:
            root = os.path.join(args.dir, f"{format_name}-{writers}")
            os.makedirs(root)
            dsn = args.dsn.replace("{name}", f"{format_name}_{writers}".replace("-", "_"))
            if format_name == "iceberg":
                iceberg_setup(root)
                before = iceberg_footprint(root)
            else:
                kind = format_name.removeprefix("ducklake-")
                ducklake_setup(root, kind, ext, dsn, writers)
                before = ducklake_footprint(root, kind, ext, dsn)
            load_before = loadavg()
            if format_name == "iceberg":
                result = run_writers(
                    guarded_iceberg_worker,
                    lambda p, start_at: (root, p, args.rows, start_at, args.seconds),
                    writers,
                )
                after = iceberg_footprint(root)
            else:
                result = run_writers(
                    guarded_ducklake_worker,
                    lambda p, start_at: (root, kind, ext, dsn, p, args.rows, start_at, args.seconds),
                    writers,
                )
                after = ducklake_footprint(root, kind, ext, dsn)
            load_after = loadavg()
            growth = {
                key: round((after[key] - before[key]) / max(1, result["commits"]) * 1000)
                for key in after
                if isinstance(after[key], int) and key in before
            }
            run = {
                "format": format_name,
                "writers": writers,
                **result,
                "growthPer1000Commits": growth,
                "after": {k: v for k, v in after.items() if k != "metadataLocation"},
                "loadavg": {"before": load_before, "after": load_after},
            }
            if writers == 1:
                run["readBack"] = read_back(format_name, root, ext, dsn, after)
                run["loadavg"]["afterReadBack"] = loadavg()
            runs.append(run)
            print(json.dumps(run), file=__import__("sys").stderr, flush=True)
    print(json.dumps({"rowsPerCommit": args.rows, "secondsPerRun": args.seconds, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
