// Simulated devices of the China field protocols, speaking through the same
// codecs as the edge agent: a CJ/T 188 water-meter bus, DL/T 645 electricity
// meters, HJ 212 environmental stations.
export { SimulatedMeterBus, type MeterBusHandler, type MeterBusCounters } from './meter-bus.ts';
export { WaterMeterBus, type SimulatedWaterMeter, type WaterMeterBusOptions } from './cjt188-water-meters.ts';
export { ElectricityMeterBus, type SimulatedElectricityMeter } from './dlt645-meters.ts';
export { Hj212StationFleet, type SimulatedStation, type StationOptions } from './hj212-stations.ts';
export { startFieldSimulation, type FieldSimulation, type FieldSimulationOptions } from './field-simulation.ts';
