/**
 * Prints how many brokers the cluster's metadata lists (cluster-up.sh waits for 3).
 *   node scripts/kafka/brokers.ts 127.0.0.1:9192,127.0.0.1:9194   → "3"
 */
import { Admin } from '@platformatic/kafka';

const admin = new Admin({
  clientId: 'qt-kafka-cluster-check',
  bootstrapBrokers: (process.argv[2] ?? '127.0.0.1:9092').split(','),
  timeout: 3000,
  retries: 0,
});
try {
  const meta = await admin.metadata({ topics: [] });
  console.log(meta.brokers.size);
} catch {
  console.log(0);
} finally {
  await admin.close().catch(() => undefined);
}
