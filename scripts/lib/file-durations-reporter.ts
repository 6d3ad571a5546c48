import type { TestEvent } from "node:test/reporters";

/**
 * A `node --test` reporter that prints one JSON object at the end: each test file's wall time
 * in milliseconds, by absolute path. The runner reports a file's end as a completed test
 * named after the file (its path as given on the command line) at nesting 0; its duration
 * covers the whole file, module loading and servers it starts included.
 */
export default async function* fileDurationsReporter(
  source: AsyncIterable<TestEvent>,
): AsyncGenerator<string> {
  const durations: Record<string, number> = {};
  for await (const event of source) {
    if (event.type !== "test:complete") continue;
    const { nesting, file, name, details } = event.data;
    if (nesting === 0 && file !== undefined && isFileItself(file, name)) {
      durations[file] = Math.round(details.duration_ms);
    }
  }
  yield `${JSON.stringify(durations)}\n`;
}

/** True when `name` is the file's own path (relative or absolute), not a test inside it. */
function isFileItself(file: string, name: string): boolean {
  const normalized = name.replaceAll("\\", "/");
  return file.replaceAll("\\", "/").endsWith(normalized.startsWith("/") ? normalized : `/${normalized}`);
}
