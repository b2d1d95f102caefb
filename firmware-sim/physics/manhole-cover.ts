import type { DevicePhysics } from './types.ts';
import { num, flag, numParam, lag, clamp } from './types.ts';

// Alarm thresholds (manhole-cover.yaml): cover open, tilt > 15° or displacement
// > 30 mm, water > 150 cm, CH4 >= 10 %LEL or H2S >= 10 ppm, battery < 15 %.
//
// Water: the shaft collects runoff from its catchment (cm of rise per mm of
// rain) and drains at a rate proportional to the head above its dry level.
// Gas: sediment ferments faster in warm water (methane production above
// 18 °C) and the shaft vents slowly; an open cover vents fast.
// Tilt: a lifted cover reads its resting angle on the frame; a hit (a lorry
// wheel, a crowbar) spikes and rings down, and may leave it shifted.

const HOUR = 3600;

export const manholeCover: DevicePhysics = {
  silentWithoutMains: false,
  initial: (rng, { env }) => {
    const hidden = {
      dryLevelCm: rng.between(10, 50),
      catchmentCmPerMm: rng.between(0.8, 3.5),
      drainPerHour: rng.between(1.2, 2.5),
      sediment: rng.between(0.02, 0.22),
      drainPctPerDay: rng.between(0.02, 0.08),
      restTiltDeg: rng.between(0.3, 2.5),
      hitTiltDeg: 0,
      openTiltDeg: 0,
      coverOpen: false,
    };
    const shaftT = 0.6 * env.airTempC + 6;
    return {
      hidden,
      state: {
        cover_open: false,
        tilt_deg: hidden.restTiltDeg,
        displacement_mm: rng.between(0, 5),
        water_level_cm: hidden.dryLevelCm,
        ch4_pct_lel: clamp((hidden.sediment * Math.max(0, shaftT - 18)) / 0.5, 0, 8),
        h2s_ppm: rng.between(0, 2),
        battery_pct: rng.between(60, 100),
        temperature_c: shaftT,
      },
    };
  },
  step: (s, h, { rng, dtS, env }) => {
    const open = flag(h, 'coverOpen');
    // A hit rings down with a ~2 min time constant.
    const hit = num(h, 'hitTiltDeg') * Math.exp(-dtS / 120);
    h.hitTiltDeg = hit < 0.05 ? 0 : hit;
    const tilt = open ? num(h, 'openTiltDeg') : num(h, 'restTiltDeg') + hit + rng.between(-0.2, 0.2);

    const level = num(s, 'water_level_cm');
    const dry = num(h, 'dryLevelCm');
    const inflow = (env.rainMmH * num(h, 'catchmentCmPerMm') * dtS) / HOUR;
    const outflow = ((level - dry) * num(h, 'drainPerHour') * dtS) / HOUR;
    const water = clamp(level + inflow - outflow + rng.between(-0.3, 0.3), 0, 499);

    // The shaft follows the air slowly (6 h), damped by the ground at ~15 °C.
    const temperature = lag(num(s, 'temperature_c'), 0.6 * env.airTempC + 6, dtS, 6 * HOUR);
    const ventPerHour = open ? 6 : 0.5;
    const ch4Target = (num(h, 'sediment') * Math.max(0, temperature - 18)) / 0.5 * (0.5 / ventPerHour);
    const ch4 = lag(num(s, 'ch4_pct_lel'), ch4Target, dtS, HOUR / ventPerHour) + rng.between(-0.05, 0.05);
    const h2s = lag(num(s, 'h2s_ppm'), ch4Target * 0.3, dtS, HOUR / ventPerHour) + rng.between(-0.03, 0.03);

    // Lithium primary cell: a base drain, doubled in the cold.
    const cold = temperature < 5 ? 2 : 1;
    const battery = Math.max(0, num(s, 'battery_pct') - (num(h, 'drainPctPerDay') * cold * dtS) / 86_400);
    return {
      cover_open: open,
      tilt_deg: clamp(tilt, 0, 90),
      displacement_mm: num(s, 'displacement_mm'),
      water_level_cm: water,
      ch4_pct_lel: clamp(ch4, 0, 100),
      h2s_ppm: clamp(h2s, 0, 200),
      battery_pct: battery,
      temperature_c: temperature + rng.between(-0.05, 0.05),
    };
  },
  events: {
    /** Cover lifted off its frame (theft, unauthorised access): reed switch opens, tilt reads its resting angle. */
    'cover-open': (h, s, p, rng) => {
      h.coverOpen = true;
      h.openTiltDeg = numParam(p, 'tiltDeg', rng.between(35, 60));
      s.cover_open = true;
      s.tilt_deg = h.openTiltDeg;
    },
    'cover-close': (h, s) => {
      h.coverOpen = false;
      s.cover_open = false;
      s.tilt_deg = num(h, 'restTiltDeg');
    },
    /** A hit: tilt spikes and rings down; the cover may be shoved along its frame. */
    'cover-hit': (h, s, p, rng) => {
      h.hitTiltDeg = numParam(p, 'tiltDeg', rng.between(20, 35));
      s.tilt_deg = num(h, 'restTiltDeg') + num(h, 'hitTiltDeg');
      s.displacement_mm = clamp(num(s, 'displacement_mm') + numParam(p, 'shiftMm', rng.between(0, 40)), 0, 500);
    },
    /** The crew re-seats a displaced cover. */
    'cover-reseat': (h, s) => {
      h.hitTiltDeg = 0;
      h.coverOpen = false;
      s.cover_open = false;
      s.displacement_mm = 1;
      s.tilt_deg = num(h, 'restTiltDeg');
    },
    /** A blocked outlet: the shaft drains at a tenth of its rate. */
    'drain-blocked': (h) => {
      h.drainPerHour = num(h, 'drainPerHour') / 10;
    },
    'drain-cleared': (h, _s, _p, rng) => {
      h.drainPerHour = rng.between(1.2, 2.5);
    },
    /** Fermenting sediment (grease, sewage ingress): enough gas to pass 10 %LEL once the shaft is above ~24 °C. */
    sediment: (h, _s, p) => {
      h.sediment = numParam(p, 'level', 0.8);
    },
    'battery-low': (_h, s, p) => {
      s.battery_pct = numParam(p, 'pct', 12);
    },
    'battery-replaced': (_h, s) => {
      s.battery_pct = 100;
    },
  },
};
