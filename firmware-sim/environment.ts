import type { CityTime } from './city-time.ts';

/** What the street is like in one district at one moment; every device there feels it. */
export interface Environment {
  /** Rain intensity, mm/h (0 dry, 10 moderate, 50+ rainstorm). */
  rainMmH: number;
  /** Air temperature, °C (season + time of day + heat waves). */
  airTempC: number;
  /** Ambient PM2.5 background, µg/m³. */
  pm25Ugm3: number;
  /** Grid power in the district (poles, toilets, pumping stations). */
  mainsPower: boolean;
}

/** What a scenario changes in a district; the rest follows season and hour. */
export class DistrictConditions {
  rainMmH = 0;
  heatOffsetC = 0;
  pm25ExtraUgm3 = 0;
  mainsPower = true;

  at(time: CityTime): Environment {
    // Pilot city (~26°N, humid subtropical): ~11 °C in January, ~29 °C in July,
    // ±4 °C over the day with the peak at 14:00; rain cools the air.
    const seasonal = 20 + 9 * Math.sin((2 * Math.PI * (time.dayOfYear - 110)) / 365);
    const diurnal = 4 * Math.cos((2 * Math.PI * (time.hour - 14)) / 24);
    const rainCooling = Math.min(5, this.rainMmH / 10);
    // PM2.5: worse in the morning and evening rush and in winter, washed out by rain.
    const rush = Math.exp(-((time.hour - 8) ** 2) / 4) + Math.exp(-((time.hour - 18.5) ** 2) / 5);
    const winter = 1 + 0.6 * Math.cos((2 * Math.PI * (time.dayOfYear - 15)) / 365);
    const washout = 1 / (1 + this.rainMmH / 5);
    return {
      rainMmH: this.rainMmH,
      airTempC: seasonal + diurnal - rainCooling + this.heatOffsetC,
      pm25Ugm3: (25 + 25 * rush) * winter * washout + this.pm25ExtraUgm3,
      mainsPower: this.mainsPower,
    };
  }
}
