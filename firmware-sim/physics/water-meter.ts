import type { DevicePhysics } from './types.ts';
import { num, flag, numParam, lag, clamp } from './types.ts';

// Alarm thresholds (water-meter.yaml): reverse flow for 60 s, pressure < 0.14
// or > 1.0 MPa, battery < 10 %.
//
// Demand follows a household day (morning and evening peaks, draws rare at
// 3 am); a leak adds a constant flow, which is how utilities find leaks: the
// night flow never drops to zero. Volume counts forward flow only, so it never
// decreases; reverse flow (backflow from a building's tank) sets the flag and
// a negative instant flow. A closed valve stops both. Network pressure sags at
// peak demand and falls when a power cut stops the pumping stations.

const demandCurve = (hour: number): number => {
  const morning = Math.exp(-((hour - 7.5) ** 2) / 1.5);
  const evening = Math.exp(-((hour - 20) ** 2) / 3);
  const day = 0.35 * Math.exp(-((hour - 13) ** 2) / 12);
  return 0.03 + morning + 0.9 * evening + day;
};

export const waterMeter: DevicePhysics = {
  silentWithoutMains: false,
  initial: (rng, { time }) => {
    const hidden = {
      peakDemandM3h: rng.between(0.3, 1.6),
      pressureBaseMpa: rng.between(0.3, 0.42),
      drainPctPerDay: rng.between(0.02, 0.06),
      leakM3h: 0,
      reverse: false,
      valveOpen: true,
      surgeMpa: 0,
    };
    return {
      hidden,
      state: {
        volume_m3: rng.between(100, 5000),
        flow_m3h: 0,
        pressure_mpa: hidden.pressureBaseMpa,
        valve_open: true,
        reverse_flow: false,
        battery_pct: rng.between(60, 100),
      },
    };
  },
  step: (s, h, { rng, dtS, time, env }) => {
    const valveOpen = flag(h, 'valveOpen');
    // Household use comes in draws (a shower, a washing machine): in use for a
    // share of the time that follows the day's curve, so night flow is mostly 0.
    const share = Math.min(1, demandCurve(time.hour));
    const demand = rng.chance(share) ? num(h, 'peakDemandM3h') * rng.between(0.5, 1.2) : 0;
    const reverse = valveOpen && flag(h, 'reverse');
    const flow = !valveOpen ? 0 : reverse ? -numParam(h as Record<string, number>, 'reverseM3h', 0.3) : demand + num(h, 'leakM3h');
    const volume = num(s, 'volume_m3') + (Math.max(0, flow) * dtS) / 3600;

    // Pumps off in a power cut: the network drains towards 0.08 MPa in ~20 min.
    const base = num(h, 'pressureBaseMpa') * (1 - 0.12 * demandCurve(time.hour));
    const target = env.mainsPower ? base : 0.08;
    const surge = num(h, 'surgeMpa');
    h.surgeMpa = surge * Math.exp(-dtS / 60);
    const pressure = lag(num(s, 'pressure_mpa'), target, dtS, env.mainsPower ? 300 : 1200) + surge + rng.between(-0.003, 0.003);
    const battery = Math.max(0, num(s, 'battery_pct') - (num(h, 'drainPctPerDay') * dtS) / 86_400);
    return {
      volume_m3: volume,
      flow_m3h: flow,
      pressure_mpa: clamp(pressure, 0, 2.5),
      valve_open: valveOpen,
      reverse_flow: reverse,
      battery_pct: battery,
    };
  },
  command: (h, s, metric, value) => {
    if (metric !== 'valve_open') return false;
    h.valveOpen = value === true;
    s.valve_open = value === true;
    if (!value) s.flow_m3h = 0;
    return true;
  },
  events: {
    /** A pipe leaks after the meter: constant extra flow, day and night. */
    'pipe-leak': (h, _s, p, rng) => {
      h.leakM3h = numParam(p, 'm3h', rng.between(0.15, 0.6));
    },
    'pipe-fixed': (h) => {
      h.leakM3h = 0;
    },
    'reverse-flow': (h, _s, p) => {
      h.reverse = true;
      h.reverseM3h = numParam(p, 'm3h', 0.3);
    },
    'reverse-end': (h) => {
      h.reverse = false;
    },
    /** Water hammer: a pressure spike that rings down in a minute or two. */
    'pressure-surge': (h, s, p) => {
      h.surgeMpa = numParam(p, 'mpa', 0.9);
      s.pressure_mpa = num(s, 'pressure_mpa') + num(h, 'surgeMpa');
    },
    'battery-low': (_h, s, p) => {
      s.battery_pct = numParam(p, 'pct', 8);
    },
    'battery-replaced': (_h, s) => {
      s.battery_pct = 100;
    },
  },
};
