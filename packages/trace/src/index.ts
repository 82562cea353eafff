export { readLackey, type AccessBatch, type LackeyStats, type LackeyOptions } from './lackey.js';
export { PgtraceWriter, PgtraceReader, PGTRACE_MAGIC, type PgtraceInfo } from './pgtrace.js';
export { lackeyToPgtrace, pgtraceToLackey, type ConvertResult } from './convert.js';
export { lackeyWorkload, pgtraceWorkload, traceWorkload } from './workload.js';
export { DamonFeed, readDamon, replayDamon, type DamonInput, type DamonReport, type DamonReplayOptions, type RegionSnapshot, type DamonRegion, type DamonFormat } from './damon.js';
export { TraceParseError, traceFileError } from './errors.js';
export { ioReason, OutputFile, outputError, refuseOutputOverInput, removeUnfinishedOutputs, temporaryPathBeside } from './output-file.js';
