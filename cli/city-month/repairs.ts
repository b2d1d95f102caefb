import type { SimulatedDistrict } from '../../firmware-sim/index.ts';
import { toError, type Logger } from '../../service-kit/index.ts';

// What a crew's repair does to a simulated device: every repair its class
// knows (a cover closed and reseated, drain cleared, silt removed, battery
// replaced; a lamp or charger repaired; a leak fixed; supplies restocked).
// The next reading clears the alarm, as in the street.

const REPAIRS: Record<string, Array<[string, Record<string, number>?]>> = {
  'manhole-cover': [['cover-close'], ['cover-reseat'], ['drain-cleared'], ['sediment', { level: 0.05 }], ['battery-replaced']],
  'smart-pole': [['lamp-repair'], ['ev-repair'], ['noise-end']],
  'water-meter': [['pipe-fixed'], ['reverse-end'], ['battery-replaced']],
  'public-toilet': [['restock'], ['resume-cleaning'], ['clean'], ['crowd-end']],
};

export function repairDevice(sim: Pick<SimulatedDistrict, 'deviceEvent'>, deviceClass: string | undefined, deviceId: string, log: Logger): void {
  for (const [event, params] of REPAIRS[deviceClass ?? ''] ?? []) {
    try {
      sim.deviceEvent(deviceId, event, params ?? {});
    } catch (err) {
      log.warn({ deviceId, event, err: toError(err).message }, 'a repair the simulated device does not know');
    }
  }
}
