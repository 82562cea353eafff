/** The version of @pghot/core, checked against plugins' `core` ranges (a test keeps it equal to package.json). */
export const CORE_VERSION = '0.1.0';
