// Simulated field devices speaking the real protocols (Modbus TCP now;
// LoRaWAN over Semtech UDP later), with seeded physics and fault injection.
export { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDistrictOptions, type SimulatedDeviceInfo, type SimFault } from './district.ts';
