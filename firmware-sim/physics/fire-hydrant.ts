import type { DevicePhysics } from './types.ts';
import { num, flag, numParam, lag, clamp } from './types.ts';

// Alarm thresholds (fire-hydrant.yaml): knocked over or tilt > 30°, pressure
// < 0.10 MPa for 10 min, valve open without a dispatch key for 2 min,
// tampered, battery < 15 %.
//
// A hydrant stands on the distribution main: its static pressure follows the
// network (sagging at the morning and evening peaks, falling in a power cut
// that stops the pumps). Closed, nothing flows; opened, an outlet draws
// 20–40 m³/h and the pressure at the outlet drops. Events: a fire-brigade
// draw (authorised), an illegal draw (a street-sweeper or a builder filling a
// tank), a car knocking it over (water gushes, tilt ~80°), tampering.

const peak = (hour: number): number => Math.exp(-((hour - 7.5) ** 2) / 1.5) + 0.9 * Math.exp(-((hour - 20) ** 2) / 3);

export const fireHydrant: DevicePhysics = {
  silentWithoutMains: false,
  initial: (rng) => {
    const hidden = { staticMpa: rng.between(0.28, 0.45), drainPctPerDay: rng.between(0.01, 0.03), open: false, authorized: false, drawM3h: 0, fallen: false, tampered: false };
    return {
      hidden,
      state: {
        pressure_mpa: hidden.staticMpa, valve_open: false, authorized: false, tampered: false, tilt_deg: rng.between(0, 1.5),
        knocked_over: false, flow_m3h: 0, water_drawn_m3: rng.between(0, 50), battery_pct: rng.between(60, 100),
      },
    };
  },
  step: (s, h, { rng, dtS, time, env }) => {
    const fallen = flag(h, 'fallen');
    const open = flag(h, 'open') || fallen;
    // A broken-off hydrant gushes; an opened outlet draws what the hose takes.
    const flow = fallen ? 80 : open ? num(h, 'drawM3h') : 0;
    const base = num(h, 'staticMpa') * (1 - 0.1 * peak(time.hour));
    const target = !env.mainsPower ? 0.06 : fallen ? 0.02 : open ? base * 0.55 : base;
    const pressure = lag(num(s, 'pressure_mpa'), target, dtS, open ? 20 : 300) + rng.between(-0.002, 0.002);
    return {
      pressure_mpa: clamp(pressure, 0, 1.6),
      valve_open: open,
      authorized: open && flag(h, 'authorized'),
      tampered: flag(h, 'tampered'),
      tilt_deg: fallen ? 80 : clamp(num(s, 'tilt_deg') + rng.between(-0.05, 0.05), 0, 3),
      knocked_over: fallen,
      flow_m3h: flow,
      water_drawn_m3: num(s, 'water_drawn_m3') + (flow * dtS) / 3600,
      battery_pct: Math.max(0, num(s, 'battery_pct') - (num(h, 'drainPctPerDay') * dtS) / 86_400),
    };
  },
  events: {
    /** The fire brigade opens it under a dispatch (authorised key). */
    'fire-draw': (h, _s, p, rng) => {
      h.open = true;
      h.authorized = true;
      h.drawM3h = numParam(p, 'm3h', rng.between(25, 40));
    },
    /** Opened without a dispatch: a tanker filling up, a builder, a sweeper. */
    'illegal-draw': (h, _s, p, rng) => {
      h.open = true;
      h.authorized = false;
      h.drawM3h = numParam(p, 'm3h', rng.between(15, 30));
    },
    'valve-closed': (h) => {
      h.open = false;
      h.authorized = false;
      h.drawM3h = 0;
    },
    /** A vehicle hits it. */
    'knocked-over': (h) => {
      h.fallen = true;
    },
    'hydrant-repaired': (h, s) => {
      h.fallen = false;
      h.tampered = false;
      h.open = false;
      s.tilt_deg = 0.5;
    },
    'tampered': (h) => {
      h.tampered = true;
    },
    'battery-low': (_h, s, p) => {
      s.battery_pct = numParam(p, 'pct', 10);
    },
  },
};
