// Device physics by class id; a class without physics here cannot be simulated yet.
import type { DevicePhysics } from './types.ts';
import { manholeCover } from './manhole-cover.ts';
import { smartPole } from './smart-pole.ts';
import { waterMeter } from './water-meter.ts';
import { publicToilet } from './public-toilet.ts';
import { fireHydrant } from './fire-hydrant.ts';

export type { DevicePhysics, MetricState, PhysicsStep } from './types.ts';

export const PHYSICS_BY_CLASS: Readonly<Record<string, DevicePhysics>> = {
  'manhole-cover': manholeCover,
  'smart-pole': smartPole,
  'water-meter': waterMeter,
  'public-toilet': publicToilet,
  'fire-hydrant': fireHydrant,
};
