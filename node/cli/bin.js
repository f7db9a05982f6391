#!/usr/bin/env node
// The `sidecar` executable (package.json "bin"): registers tsx, then runs node/cli/main.ts.
// Needs Node >= 22 (libp2p 3). Through npm (`npm start`, `npm test`, `npx sidecar`) it runs on the
// project's own Node 22 (the `node` devDependency puts it first on PATH).
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(`sidecar: needs Node.js >= 22, this is ${process.version}; run it through npm (npm start, npx sidecar ...), which uses the project's Node 22 from node_modules\n`);
  process.exit(2);
}
const { register } = await import('tsx/esm/api');
register();
await import('./main.ts');
