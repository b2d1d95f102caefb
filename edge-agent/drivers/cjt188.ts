import { CJT188, cjt188ReadRequest, cjt188Values, decodeCjt188, scanCjt188 } from '../../device-profiles/index.ts';
import { TzError } from '../../service-kit/index.ts';
import type { MeterAnswer, MeterProtocol } from './meter-line.ts';

/**
 * CJ/T 188-2004 as a polling master: one read-data request (C = 01h) per DI
 * the profile lists; the reply (81h) must come from the meter asked (type and
 * address) and carry the DI asked. An abnormal reply (C1h) fails the poll.
 */
export const cjt188Protocol: MeterProtocol = {
  protocol: 'cjt188',
  scan: scanCjt188,
  requests(device, ser) {
    const spec = device.profile.cjt188;
    // Devices reach this driver only through a profile with a cjt188 section.
    if (!spec) throw new TzError('TZ_INTERNAL', `CJ/T 188 meter ${device.config.deviceId}: profile ${device.profile.class} has no cjt188 section`);
    return spec.reads.map((read) => {
      const di = Number.parseInt(read.di, 16);
      return {
        bytes: cjt188ReadRequest(spec.meterType, device.address, di, ser),
        answer(frame): MeterAnswer {
          const d = decodeCjt188(frame);
          if (!d.ok) return { kind: 'failed', reason: d.reason, detail: d.detail };
          const f = d.frame;
          // Our own request echoed by a transparent server, or another meter's late reply.
          if (f.control === CJT188.readData) return { kind: 'foreign', reason: 'control', detail: 'a request frame on the line' };
          if (f.address !== device.address) return { kind: 'foreign', reason: 'address', detail: `reply from ${f.address}, asked ${device.address}` };
          if (f.meterType !== spec.meterType) return { kind: 'failed', reason: 'meter-type', detail: `meter type ${f.meterType.toString(16)}h, profile expects ${spec.meterType.toString(16)}h` };
          if (f.control === CJT188.readAbnormal) return { kind: 'failed', reason: 'device-error', detail: `abnormal reply, ST ${f.status?.toString('hex') ?? ''}` };
          if (f.di !== di) return { kind: 'foreign', reason: 'di', detail: `reply for DI ${f.di.toString(16)}, asked ${read.di}` };
          const v = cjt188Values(device.profile, read, f.data);
          return v.ok ? { kind: 'values', values: v.values } : { kind: 'failed', reason: v.reason, detail: v.detail };
        },
      };
    });
  },
};
