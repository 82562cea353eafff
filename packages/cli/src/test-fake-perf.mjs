#!/usr/bin/env node
// A stand-in for perf in the live tests (`pghot live --perf`): `record` runs until SIGINT (or fails
// with a perf-like message when PGHOT_FAKE_PERF_FAIL is set); `script` prints the lines of
// PGHOT_FAKE_PERF_LINES, as a real pipeline streams them, and ends with its input.
import { readFileSync } from 'node:fs';

const command = process.argv[2];
if (command === 'record') {
  if (process.env.PGHOT_FAKE_PERF_FAIL) {
    process.stderr.write('Error:\nAccess to performance monitoring and observability operations is limited.\n');
    process.exit(255);
  }
  process.on('SIGINT', () => process.exit(0));
  setInterval(() => {}, 1000);
} else if (command === 'script') {
  process.stdout.write(readFileSync(process.env.PGHOT_FAKE_PERF_LINES ?? '/dev/null'));
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else process.exit(129);
