#!/usr/bin/env node
// The only file that touches the process's exit: everything else returns codes.
import { main } from './cli/main.js';

process.exitCode = await main(process.argv.slice(2));
