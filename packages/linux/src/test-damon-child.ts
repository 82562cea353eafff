// A process that monitors with DAMON under a fake sysfs root until a signal: the kill tests' child.
import { KernelFs, startDamon, stopOnSignals } from './index.js';

const session = startDamon(new KernelFs(process.argv[2]!), { ranges: [{ start: 4_294_967_296, end: 26_843_545_600 }] });
stopOnSignals(session);
process.stdout.write('on\n');
setInterval(() => session.regions(), 50);
