import { DLT645, decodeDlt645, dlt645ErrorText, dlt645ReadRequest, dlt645Value, scanDlt645 } from '../../device-profiles/index.ts';
import { TzError } from '../../service-kit/index.ts';
import type { MeterAnswer, MeterProtocol } from './meter-line.ts';

/**
 * DL/T 645-2007 as a polling master: one read-data request (C = 11h) per
 * data identifier in the profile; the normal reply (91h, or B1h with a
 * follow-up we do not fetch) must come from the meter asked and carry the DI
 * asked; the abnormal reply (D1h) fails the poll with its ERR bits.
 */
export const dlt645Protocol: MeterProtocol = {
  protocol: 'dlt645',
  scan: scanDlt645,
  requests(device) {
    const spec = device.profile.dlt645;
    // Devices reach this driver only through a profile with a dlt645 section.
    if (!spec) throw new TzError('TZ_INTERNAL', `DL/T 645 meter ${device.config.deviceId}: profile ${device.profile.class} has no dlt645 section`);
    return spec.reads.map((read) => {
      const di = Number.parseInt(read.di, 16);
      return {
        bytes: dlt645ReadRequest(device.address, di),
        answer(frame): MeterAnswer {
          const d = decodeDlt645(frame);
          if (!d.ok) return { kind: 'failed', reason: d.reason, detail: d.detail };
          const f = d.frame;
          if (f.control === DLT645.readData) return { kind: 'foreign', reason: 'control', detail: 'a request frame on the line' };
          if (f.address !== device.address) return { kind: 'foreign', reason: 'address', detail: `reply from ${f.address}, asked ${device.address}` };
          if (f.control === DLT645.readAbnormal) return { kind: 'failed', reason: 'device-error', detail: `DI ${read.di}: ${dlt645ErrorText(f.data[0] ?? 0)}` };
          if (f.di !== di) return { kind: 'foreign', reason: 'di', detail: `reply for DI ${f.di.toString(16).padStart(8, '0')}, asked ${read.di}` };
          const v = dlt645Value(read, f.data);
          return v.ok ? { kind: 'values', values: new Map([[read.metric, v.value]]) } : { kind: 'failed', reason: v.reason, detail: v.detail };
        },
      };
    });
  },
};
