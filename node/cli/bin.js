#!/usr/bin/env node
// The `sidecar` executable (package.json "bin"): registers tsx, then runs node/cli/main.ts.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
