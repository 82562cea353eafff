export { runCli, createProgram, CLI_VERSION, type Io } from './program.js';
export { runDemo, DEMO_DEFAULTS, type DemoOptions, type DemoReport, type DemoSecond } from './commands/demo.js';
