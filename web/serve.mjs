#!/usr/bin/env node
// A small static server for the built app on 127.0.0.1:
//   node serve.mjs --port 8088 --dist dist --deployment <deployment.json> --endpoints <endpoints.json>
// Serves dist/ and, at /deployment.json and /endpoints.json, the two files given (read on
// every request, so a deployment written after start-up is picked up). No other path of the
// file system is reachable.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(args.dist ?? path.join(here, "dist"));
const files = { "/deployment.json": args.deployment, "/endpoints.json": args.endpoints };
const port = Number(args.port ?? 8088);
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  let file;
  if (files[url.pathname]) {
    file = path.resolve(files[url.pathname]);
  } else {
    const rel = decodeURIComponent(url.pathname === "/" ? "/index.html" : url.pathname);
    file = path.resolve(dist, "." + rel);
    if (!file.startsWith(dist + path.sep)) {
      res.writeHead(403).end("forbidden");
      return;
    }
  }
  fs.readFile(file, (err, data) => {
    if (err) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${url.pathname}`);
      return;
    }
    res.writeHead(200, {
      "content-type": types[path.extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    res.end(data);
  });
});
server.listen(port, "127.0.0.1", () => {
  console.log(`web app: http://127.0.0.1:${server.address().port}/`);
});
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => server.close(() => process.exit(0)));
