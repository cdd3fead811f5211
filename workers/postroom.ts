// Every role selected by POSTROOM_ROLES (default: all) in one process.
import { runProcess } from '../src/runtime/process.ts';

await runProcess();
