/**
 * Golden tests against PyTorch 1.13, in one process so that test/fixtures/golden_optim.py
 * runs once: optimizers (golden_optimizers.ts), schedules (golden_schedules.ts) and gradient
 * clipping (golden_clip.ts).
 */
import { clipGoldenTests } from './golden_clip.js';
import { optimizerGoldenTests } from './golden_optimizers.js';
import { scheduleGoldenTests } from './golden_schedules.js';

optimizerGoldenTests();
scheduleGoldenTests();
clipGoldenTests();
