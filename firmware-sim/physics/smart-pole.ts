import type { DevicePhysics, HiddenState, PhysicsStep } from './types.ts';
import { num, flag, numParam, lag, clamp } from './types.ts';
import { sunHours } from '../city-time.ts';

// Alarm thresholds (smart-pole.yaml): lamp on with current < 0.05 A for 2 min,
// voltage outside 190–250 V, noise > 85 dBA, PM2.5 > 250, EV charger state 3.
//
// The lamp follows an astronomical clock in the city's time zone: on 15 min
// after sunset, off 15 min before sunrise. A set_lamp command (coil write)
// overrides it until the next dusk or dawn; a set_dimming command (holding
// register write) is the LED driver's setpoint and stays. Current follows the
// dimming level; a failed lamp draws only the driver's standby current.
// The loudspeaker (holding registers speaker_message, speaker_volume_pct) plays
// what a play_warning command wrote until message 0 is written; the playing
// message and volume read back as written.

const scheduledOn = (hour: number, dayOfYear: number): boolean => {
  const { sunrise, sunset } = sunHours(dayOfYear);
  return hour >= sunset + 0.25 || hour < sunrise - 0.25;
};

/** Traffic noise by hour: ~45 dBA at 3 am, ~68 dBA by day, peaks in the rush hours. */
const trafficNoise = (hour: number): number => {
  const day = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
  const rush = Math.exp(-((hour - 8) ** 2) / 2) + Math.exp(-((hour - 18) ** 2) / 2);
  return 45 + 20 * day + 4 * rush;
};

function lampCurrent(h: HiddenState, lampOn: boolean, dimming: number, rng: PhysicsStep['rng'], volts: number): number {
  if (!lampOn || volts < 100) return 0;
  if (flag(h, 'lampFailed')) return 0.02;
  return num(h, 'ratedA') * (0.1 + (0.9 * dimming) / 100) * (1 + rng.between(-0.02, 0.02));
}

export const smartPole: DevicePhysics = {
  silentWithoutMains: false,
  initial: (rng, { time, env }) => {
    const hidden: HiddenState = {
      ratedA: rng.between(0.6, 1.1),
      noiseOffsetDb: rng.between(-4, 4),
      dimmingPct: 100,
      scheduleOn: scheduledOn(time.hour, time.dayOfYear),
      manualLamp: -1, // -1 = follow the schedule; 0/1 = a set_lamp override
      noiseEventDb: 0,
      evFault: false,
      speakerMessage: 0,
      speakerVolumePct: 60,
    };
    const volts = rng.between(222, 232);
    const lampOn = hidden.scheduleOn as boolean;
    const current = lampCurrent(hidden, lampOn, 100, rng, volts);
    return {
      hidden,
      state: {
        lamp_on: lampOn,
        dimming_pct: 100,
        voltage_v: volts,
        current_a: current,
        power_w: volts * current,
        energy_kwh: rng.between(100, 5000),
        noise_db: trafficNoise(time.hour) + num(hidden, 'noiseOffsetDb'),
        pm25_ugm3: env.pm25Ugm3,
        temperature_c: env.airTempC,
        humidity_pct: rng.between(50, 80),
        ev_charger_state: rng.int(0, 2),
        speaker_message: 0,
        speaker_volume_pct: 60,
      },
    };
  },
  step: (s, h, { rng, dtS, time, env }) => {
    const schedule = scheduledOn(time.hour, time.dayOfYear);
    if (schedule !== h.scheduleOn) {
      h.scheduleOn = schedule;
      h.manualLamp = -1; // dusk or dawn ends a manual override
    }
    const manual = num(h, 'manualLamp');
    const volts = env.mainsPower ? clamp(num(s, 'voltage_v') + rng.between(-0.5, 0.5), 220, 235) || 226 : 0;
    const lampOn = env.mainsPower && (manual >= 0 ? manual === 1 : schedule);
    const dimming = num(h, 'dimmingPct');
    const current = lampCurrent(h, lampOn, dimming, rng, volts);
    const power = volts * current;

    const noiseEvent = num(h, 'noiseEventDb');
    const noise = trafficNoise(time.hour) + num(h, 'noiseOffsetDb') + Math.min(4, env.rainMmH / 5) + noiseEvent + rng.between(-1.5, 1.5);
    const humidityTarget = env.rainMmH > 0 ? 95 : clamp(85 - 1.5 * (env.airTempC - 15), 35, 90);

    let ev = num(s, 'ev_charger_state');
    if (flag(h, 'evFault')) ev = 3;
    else if (ev === 3) ev = 0;
    else if (rng.chance(Math.min(1, dtS / 1800))) ev = ev === 1 ? 2 : ev === 2 ? 0 : rng.chance(0.5) ? 1 : 0;
    return {
      lamp_on: lampOn,
      dimming_pct: dimming,
      voltage_v: volts,
      current_a: current,
      power_w: power,
      energy_kwh: num(s, 'energy_kwh') + (power * dtS) / 3_600_000,
      noise_db: clamp(noise, 20, 140),
      pm25_ugm3: clamp(lag(num(s, 'pm25_ugm3'), env.pm25Ugm3, dtS, 1800) * (1 + rng.between(-0.02, 0.02)), 0, 1000),
      temperature_c: lag(num(s, 'temperature_c'), env.airTempC, dtS, 900),
      humidity_pct: clamp(lag(num(s, 'humidity_pct'), humidityTarget, dtS, 1800), 0, 100),
      ev_charger_state: ev,
      speaker_message: num(h, 'speakerMessage'),
      speaker_volume_pct: num(h, 'speakerVolumePct'),
    };
  },
  command: (h, s, metric, value) => {
    if (metric === 'dimming_pct') {
      h.dimmingPct = clamp(Math.round(Number(value)), 0, 100);
      s.dimming_pct = h.dimmingPct;
      return true;
    }
    if (metric === 'speaker_message') {
      h.speakerMessage = clamp(Math.round(Number(value)), 0, 8);
      s.speaker_message = h.speakerMessage;
      return true;
    }
    if (metric === 'speaker_volume_pct') {
      h.speakerVolumePct = clamp(Math.round(Number(value)), 0, 100);
      s.speaker_volume_pct = h.speakerVolumePct;
      return true;
    }
    if (metric === 'lamp_on') {
      h.manualLamp = value ? 1 : 0;
      s.lamp_on = value === true;
      return true;
    }
    return false;
  },
  events: {
    /** LED module or driver dies: the relay stays on, the current drops to standby. */
    'lamp-fail': (h) => {
      h.lampFailed = true;
    },
    'lamp-repair': (h) => {
      h.lampFailed = false;
    },
    /** Construction work, a street party: dBA added on top of traffic. */
    'noise-event': (h, _s, p) => {
      h.noiseEventDb = numParam(p, 'db', 25);
    },
    'noise-end': (h) => {
      h.noiseEventDb = 0;
    },
    'ev-fault': (h) => {
      h.evFault = true;
    },
    'ev-repair': (h) => {
      h.evFault = false;
    },
  },
};
