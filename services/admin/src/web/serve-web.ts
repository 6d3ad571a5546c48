import { existsSync, statSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import type { ServiceFastify } from "@langtian/service-kit";

/** Paths that are never the UI's (the API, health, metrics), so never fall back to index.html. */
const NOT_UI = /^\/(langtian\.[a-z0-9_.]+\/|v1\/|healthz$|readyz$|metrics$)/;

/**
 * Serves the built web UI from `dir` (`web/dist`): files under `assets/` carry a content hash
 * in their name, so they are cached for a year (`immutable`); `index.html` and every other file
 * is revalidated on each load (`no-cache`), so a new release is picked up at once. A GET for a
 * path that is not a file and has no extension is a route of the single-page app: it gets
 * `index.html`. Nothing outside `dir` is ever served.
 */
export function serveWeb(fastify: ServiceFastify, dir: string): void {
  const root = resolve(dir);
  fastify.register(fastifyStatic, {
    root,
    serve: false,
    // Our own cache headers below; ETag and Last-Modified let browsers revalidate `no-cache` files.
    cacheControl: false,
    etag: true,
    lastModified: true,
  });
  fastify.get("/*", (request, reply) => {
    const path = decodeURIComponent((request.url.split("?")[0] ?? "/").replace(/^\/+/, ""));
    if (NOT_UI.test(`/${path}`)) return reply.callNotFound();
    const file = resolve(root, path);
    const inside = file === root || file.startsWith(root + sep);
    if (inside && path !== "" && existsSync(file) && statSync(file).isFile()) {
      const immutable = path.startsWith("assets/");
      reply.header("cache-control", immutable ? "public, max-age=31536000, immutable" : "no-cache");
      return reply.sendFile(path, root);
    }
    if (!inside || extname(path) !== "" || !existsSync(join(root, "index.html"))) return reply.callNotFound();
    reply.header("cache-control", "no-cache");
    return reply.sendFile("index.html", root);
  });
}
