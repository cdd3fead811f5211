// npm run backup -- <folder>: a consistent copy of the embedded store's data
// directory (POSTROOM_DATA_DIR, default var/data) into a new or empty folder,
// while Postroom runs or not. The folder is itself a data directory: restore
// by putting it in place of POSTROOM_DATA_DIR with Postroom stopped.
import { backupDataDir } from '../src/embedded-mongo/host/maintenance.ts';
import { createLogger } from '../src/platform/logger.ts';

const destination = process.argv[2];
if (!destination) {
  console.error('usage: npm run backup -- <folder>   (POSTROOM_DATA_DIR names the data directory)');
  process.exit(64);
}
const dataDir = process.env.POSTROOM_DATA_DIR ?? 'var/data';
try {
  const { destination: target, bytes } = await backupDataDir(
    dataDir,
    destination,
    createLogger('warn'),
  );
  console.log(`backed up ${dataDir} to ${target} (${bytes} bytes)`);
} catch (error) {
  console.error(`backup failed: ${(error as Error).message}`);
  process.exit(1);
}
