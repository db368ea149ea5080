// The scenarios `npm run bench` runs, in order. Each module exports { name, description, run(ctx) → rows }
// (row shape: bench/lib/report.js). Add later ones (hot-reload save-to-served latency, WAGI echo) here.
import * as throughput from './throughput.js';
import * as timeoutIsolation from './timeout-isolation.js';
import * as coldStart from './cold-start.js';
import * as hotReload from './hot-reload.js';

export const scenarios = [throughput, timeoutIsolation, coldStart, hotReload];
