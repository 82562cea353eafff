// `pghot sweep --queue` and `pghot worker` on a real Redis: .ci/run starts one (PGHOT_TEST_REDIS);
// without it the test starts Debian's redis-server itself on a free port.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_NAME } from './commands/queue.js';
import { runTestCli, sweepProject } from './test-cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// tsx by its path: the workers run in the project's directory, where plugin names resolve
const TSX = pathToFileURL(createRequire(path.join(ROOT, 'package.json')).resolve('tsx')).href;
const CLI = ['--conditions=@pghot/source', '--import', TSX, path.join(ROOT, 'packages/cli/src/cli.ts')];
function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** A process of the CLI (cwd: the project), with its stderr gathered as it comes. */
function cli(args: string[], cwd: string): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => void (err += d));
  child.stdout!.resume();
  return { child, stderr: () => err, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

const until = async (what: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe.skipIf(!process.env.PGHOT_TEST_REDIS && !hasRedisServer() && !process.env.CI)('pghot sweep --queue on Redis, with pghot worker (skipped without redis-server outside CI)', () => {
  let url: string;
  let redis: ChildProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    if (process.env.PGHOT_TEST_REDIS) url = process.env.PGHOT_TEST_REDIS;
    else {
      const port = await freePort();
      redis = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      redis.stdout!.on('data', (d: Buffer) => void (out += d));
      await until(() => out.includes('Ready to accept connections'), 10_000);
      url = `redis://127.0.0.1:${port}`;
    }
    dir = sweepProject('pghot-queue-');
  }, 20_000);

  afterAll(() => {
    redis?.kill();
  });

  it('two workers run the grid; one killed mid-job (SIGKILL) has its job retried by the other; each result collected once, the same bytes as a local sweep', async () => {
    const local = await runTestCli(['sweep', 'grid.yaml', '-o', 'local.jsonl', '--format', 'json'], { cwd: dir });
    expect(local.code).toBe(0);
    const workers = [0, 1].map(() => cli(['worker', '--queue', url, '--jobs', '1', '--lock-duration', '1500'], dir));
    try {
      await until(() => workers.every((w) => w.stderr().includes(' serving pghot-sweep on ')), 30_000);
      const sweep = runTestCli(['sweep', 'grid.yaml', '--queue', url, '-o', 'queued.jsonl', '--format', 'json'], { cwd: dir });
      // the first worker to start a simulation dies in it
      await until(() => workers.some((w) => w.stderr().includes(': started (job ')), 30_000);
      const victim = workers.find((w) => w.stderr().includes(': started (job '))!;
      victim.child.kill('SIGKILL');
      const killedJob = /started \(job ([^,]+),/.exec(victim.stderr())![1]!;
      const survivor = workers.find((w) => w !== victim)!;
      const r = await sweep;
      expect([r.code, r.stderr]).toEqual([0, 'pghot sweep: 4 runs in queued.jsonl (4 run now, 0 from before)\n']);
      expect(readFileSync(path.join(dir, 'queued.jsonl'), 'utf8')).toBe(readFileSync(path.join(dir, 'local.jsonl'), 'utf8'));
      // the killed worker's job ran again on the other, which finished it
      expect(survivor.stderr()).toContain(`started (job ${killedJob}, attempt 1)`);
      expect(victim.stderr()).not.toMatch(/: done in /);
      // 1 baseline + 4 runs, one of them twice: the survivor ran the other 4 and the retried one
      expect(survivor.stderr().match(/: done in /g)).toHaveLength(5);
      // nothing left in Redis: every job collected and removed
      const queue = new Queue(QUEUE_NAME, { connection: { url } });
      try {
        expect(await queue.getJobCounts('active', 'wait', 'completed', 'failed', 'delayed')).toEqual({ active: 0, wait: 0, completed: 0, failed: 0, delayed: 0 });
      } finally {
        await queue.close();
      }
      survivor.child.kill('SIGTERM');
      expect(await survivor.exited).toBe(0);
      expect(survivor.stderr()).toMatch(/pghot worker: stopping after the running jobs\npghot worker: stopped after 5 runs\n$/);
    } finally {
      for (const w of workers) w.child.kill('SIGKILL');
    }
  }, 180_000);

  it('refuses a queue that is not redis://, or no Redis there, with exit 2 and no results file', async () => {
    const notRedis = await runTestCli(['sweep', 'grid.yaml', '--queue', 'http://127.0.0.1:1', '-o', 'x.jsonl'], { cwd: dir });
    expect([notRedis.code, notRedis.stderr]).toEqual([2, 'pghot: --queue http://127.0.0.1:1: not a redis:// URL\n']);
    const port = await freePort();
    const nobody = await runTestCli(['sweep', 'grid.yaml', '--queue', `redis://127.0.0.1:${port}`, '-o', 'x.jsonl'], { cwd: dir });
    expect([nobody.code, nobody.stderr]).toEqual([2, `pghot: --queue redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`]);
    expect(existsSync(path.join(dir, 'x.jsonl'))).toBe(false);
    const worker = await runTestCli(['worker', '--queue', `redis://127.0.0.1:${port}`], { cwd: dir });
    expect([worker.code, worker.stderr]).toEqual([2, `pghot: --queue redis://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`]);
    const both = await runTestCli(['sweep', 'grid.yaml', '--queue', url, '--jobs', '2'], { cwd: dir });
    expect([both.code, both.stderr]).toEqual([2, 'pghot: --jobs and --queue: with --queue the runs go to the workers, each with its own --jobs\n']);
  }, 60_000);
});
