/**
 * A worker process running only the coupon store consumer, so a test can SIGKILL it mid-stream
 * (no graceful stop: whatever batch is in flight is lost, its offsets uncommitted).
 */
import { loadConfig } from '../../../src/platform/config.ts';
import { startConsumers } from '../../../src/platform/outbox/consumer-runner.ts';
import { createRuntime } from '../../../src/platform/runtime.ts';
import { createModules } from '../../../src/roles/modules.ts';

const rt = createRuntime(loadConfig({ ...process.env, LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent' }));
const modules = createModules(rt);
const stop = startConsumers(rt, modules.coupon.consumers(), {
  batchSize: Number(process.env.CONSUMER_BATCH ?? '10'),
  maxWaitTimeMs: 100,
});
process.on('SIGTERM', () => {
  void stop()
    .then(() => rt.shutdown())
    .then(() => process.exit(0));
});
