import type { SimulatedAbpDevice } from './abp-device.ts';
import { applyWaterMeterDownlink, encodeWaterMeterUplink, WATER_METER_FPORT, type WaterMeterState } from './water-meter-firmware.ts';

/**
 * A LoRa water meter with a motorised valve: its radio (ABP or OTAA, class A
 * or C — the class is how the network treats it; a class C radio is simply
 * always listening) obeys set_valve downlinks, and a closed valve stops the
 * flow, which its next uplink reports.
 */
export class SimulatedLoraValveMeter {
  /** set_valve downlinks obeyed. */
  valveCommands = 0;

  constructor(readonly radio: SimulatedAbpDevice, readonly state: WaterMeterState) {
    radio.onDownlink = (d) => {
      if (!applyWaterMeterDownlink(state, d.fPort, d.bytes)) return;
      this.valveCommands++;
      if (!state.valveOpen) state.flowM3h = 0;
    };
  }

  get deviceId(): string {
    return this.radio.deviceId;
  }

  /** The meter's state as its next uplink (confirmed: the network must ACK it). */
  uplink(confirmed = false): Buffer {
    return this.radio.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(this.state), confirmed);
  }
}
