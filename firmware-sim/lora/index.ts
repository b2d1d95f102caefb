// Simulated LoRaWAN: ABP end devices that build real encrypted frames, and a
// Semtech UDP packet forwarder that carries them to a network address.
export { SimulatedAbpDevice, type AbpKeys, type ReceivedDownlink } from './abp-device.ts';
export { SimulatedPacketForwarder, type ForwarderOptions, type RadioConditions, type ReceivedTxpk } from './packet-forwarder.ts';
export { encodeWaterMeterUplink, applyWaterMeterDownlink, WATER_METER_FPORT, type WaterMeterState } from './water-meter-firmware.ts';
export { SimulatedOtaaDevice, type OtaaKeys } from './otaa-device.ts';
export { SimulatedLoraValveMeter } from './valve-meter.ts';
