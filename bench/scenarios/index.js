// The scenarios `npm run bench` runs, in order. Each module exports { name, description, run(ctx) → rows }
// (row shape: bench/lib/report.js). Add later ones here.
import * as throughput from './throughput.js';
import * as throughputLarge from './throughput-large.js';
import * as timeoutIsolation from './timeout-isolation.js';
import * as coldStart from './cold-start.js';
import * as hotReload from './hot-reload.js';
import * as wagiEcho from './wagi-echo.js';
import * as cliStart from './cli-start.js';
import * as scaleOut from './scale-out.js';
import * as manyFunctions from './many-functions.js';
import * as recycleCost from './recycle-cost.js';
import * as metricsCost from './metrics-cost.js';

export const scenarios = [
  throughput,
  throughputLarge,
  timeoutIsolation,
  coldStart,
  hotReload,
  wagiEcho,
  cliStart,
  scaleOut,
  manyFunctions,
  recycleCost,
  metricsCost,
];
