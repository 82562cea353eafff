export { runCli, createProgram, CLI_VERSION, type Io } from './program.js';
export { BUILTIN_CONFIGS, DEFAULT_COMPARISON, simConfigShape, resolveScenario, runConfigs, type Scenario, type ConfigUnderTest } from './commands/simulate.js';
