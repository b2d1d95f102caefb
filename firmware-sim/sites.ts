// Where simulated devices stand. The sim does not own the city's geography
// (registry/places does, and firmware-sim may not import registry/): cli/
// passes a CitySites built from the city plan. Structural types, so either
// room can change without the other importing it.

export interface DeviceSite {
  lat: number;
  lon: number;
  district: string;
  districtName: string;
  gridCell: string;
  gridName: string;
  street: string;
  address: string;
}

export interface CitySites {
  /** District ids, in the order devices are dealt to them. */
  districts: string[];
  /** `count` sites in one district, in placement order (deterministic). */
  sitesIn(district: string, count: number): DeviceSite[];
}
