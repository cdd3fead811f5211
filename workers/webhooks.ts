// Only the webhooks role, whatever POSTROOM_ROLES says: for scaling roles apart.
import { runProcess } from '../src/runtime/process.ts';

await runProcess(['webhooks']);
