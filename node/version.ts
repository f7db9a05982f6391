// The version of this sidecar (package.json), for `sidecar --version`, /status and the
// sidecar_build_info metric.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SIDECAR_VERSION: string = (JSON.parse(readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
