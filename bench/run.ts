// `npm run bench -- NAME [options]` runs bench/NAME.ts with the options after NAME.
// Every bench shows progress on stderr and ends by printing one JSON line of figures on stdout.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = path.dirname(fileURLToPath(import.meta.url));
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts').map((f) => f.slice(0, -3));
if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(path.join(dir, `${name}.ts`))) {
  console.error(`usage: npm run bench -- NAME [options]\navailable: ${available.join(', ') || '(none yet)'}`);
  process.exit(2);
}
process.argv = [process.argv[0], path.join(dir, `${name}.ts`), ...rest];
const mod = await import(pathToFileURL(path.join(dir, `${name}.ts`)).href);
if (typeof mod.main === 'function') await mod.main(rest);
