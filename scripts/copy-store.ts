// npm run copy-store -- <mongodb uri>: copy everything the embedded store
// holds (POSTROOM_DATA_DIR, default var/data) into a real MongoDB database,
// which must be empty; then run Postroom with MONGODB_URI set to it.
import { copyDataDirTo } from '../src/embedded-mongo/host/maintenance.ts';
import { createLogger } from '../src/platform/logger.ts';
import { EMBEDDED_DATABASE } from '../src/runtime/embedded-store.ts';

const targetUri = process.argv[2];
if (!targetUri || !/^mongodb(\+srv)?:\/\//.test(targetUri)) {
  console.error('usage: npm run copy-store -- mongodb://host1,host2,host3/postroom?replicaSet=rs0');
  process.exit(64);
}
const dataDir = process.env.POSTROOM_DATA_DIR ?? 'var/data';
try {
  const report = await copyDataDirTo(dataDir, EMBEDDED_DATABASE, targetUri, createLogger('info'));
  console.log(
    `copied ${report.collections} collections, ${report.documents} documents and ${report.indexes} indexes from ${dataDir}`,
  );
} catch (error) {
  console.error(`copy failed: ${(error as Error).message}`);
  process.exit(1);
}
